//! Running a command as a child process and measuring it, for the
//! benchmarks that time `redline` itself (`export_bench`, `check_rss`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, Instant};

/// What one run of a child cost.
pub struct Run {
    /// User + system CPU time.
    pub cpu: Duration,
    /// Peak resident set size, bytes.
    pub rss: u64,
    /// Wall-clock time.
    pub wall: Duration,
    /// Lines it printed on standard output.
    pub lines: usize,
}

/// Runs `bin` with `args` to completion; fails if it fails.
pub fn measure(bin: &Path, args: &[&str]) -> anyhow::Result<Run> {
    use std::os::unix::process::ExitStatusExt;
    let wall = Instant::now();
    let mut child = std::process::Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().expect("piped");
    let lines = std::thread::spawn(move || BufReader::new(out).lines().count());
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes the status and usage of our own child into the
    // values we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    anyhow::ensure!(r == pid, "wait4 failed");
    let status = std::process::ExitStatus::from_raw(status);
    anyhow::ensure!(
        status.success(),
        "{} {args:?} failed: {status}",
        bin.display()
    );
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    Ok(Run {
        cpu: t(usage.ru_utime) + t(usage.ru_stime),
        rss: usage.ru_maxrss as u64 * 1024,
        wall: wall.elapsed(),
        lines: lines.join().unwrap_or(0),
    })
}
