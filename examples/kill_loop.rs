//! The kill loop of `tests/it/crashes.rs`, with as many rounds and targets
//! as you like: a `redline run` checking changing articles with a webhook
//! sink is killed outright (SIGKILL) at random moments; after every kill
//! the database must pass `PRAGMA integrity_check` with version numbers
//! contiguous and every later version's diff stored, and at the end every
//! queued alert must have reached the receiver (repeats only under one id).
//! It panics at the first failure and otherwise prints its figures.
//!
//! ```text
//! cargo build --release --bin redline --example kill_loop
//! target/release/examples/kill_loop [--rounds 1000] [--targets 300]
//! ```

#[allow(dead_code, unused_imports)]
#[path = "../tests/it/harness.rs"]
mod harness;

#[path = "../tests/it/crashes.rs"]
mod crashes;

fn main() {
    let mut rounds = 1000;
    let mut targets = 300;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            "--rounds" => rounds = value("--rounds"),
            "--targets" => targets = value("--targets") as usize,
            other => panic!("unknown argument {other}; use --rounds N --targets N"),
        }
    }
    eprintln!(
        "kill loop: {targets} targets, {rounds} rounds (redline: {})",
        harness::redline_bin().display()
    );
    let figures = crashes::kill_loop(targets, rounds);
    println!("kill loop: {targets} targets, {figures}");
}
