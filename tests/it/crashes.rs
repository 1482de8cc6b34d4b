//! The kill loop: a daemon checking changing articles (120 in the test), with a
//! webhook sink, is killed outright (SIGKILL) at random moments again and
//! again. After every kill the database is sound, every target's versions
//! are numbered without a gap and each later version has its diff; at the
//! end every alert the outbox holds reached the receiver, under its one id.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{PageServer, Receiver, Route, Workspace, article, wait_exit, wait_for};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A little generator, so the kill times differ from round to round but
/// each run of the test is the same.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn a_daemon_killed_at_random_moments_loses_nothing() {
    let figures = kill_loop(120, 100);
    eprintln!("kill loop: {figures}");
}

/// What a kill loop did and found.
pub struct Figures {
    pub rounds: u64,
    pub seconds: f64,
    pub versions: i64,
    pub changes: i64,
    pub queued: usize,
    pub received: usize,
    pub repeats: usize,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} rounds in {:.1}s; {} versions ({} changes), {} alerts queued, {} received ({} repeats of one id); after every kill: integrity failures 0, version-number gaps 0, versions without a diff 0; alerts lost 0",
            self.rounds,
            self.seconds,
            self.versions,
            self.changes,
            self.queued,
            self.received,
            self.repeats
        )
    }
}

/// Runs a daemon over `targets` changing articles and kills it `rounds`
/// times; panics on the first integrity failure, numbering gap, version
/// without its diff, or lost alert.
pub fn kill_loop(targets: usize, rounds: u64) -> Figures {
    let server = PageServer::start();
    for i in 0..targets {
        // Each answer changes one number in the text: every check makes a
        // new version (and an alert).
        server.route(
            &format!("/news/{i}"),
            Route::dynamic(move |n| {
                article::render(n, |p| {
                    p.replace("40 people", &format!("{} people", 40 + n * 3 + i as u64))
                })
                .into_bytes()
            }),
        );
    }
    let receiver = Receiver::start(|_| (200, Duration::ZERO));
    let ws = Workspace::new();
    let config: String = (0..targets)
        .map(|i| {
            format!(
                "[[target]]\nurl = \"{}\"\ninterval = \"1s\"\n\n",
                server.url(&format!("/news/{i}"))
            )
        })
        .collect();
    ws.write_config(&format!(
        "{config}[[alert]]\nkind = \"webhook\"\nname = \"desk\"\nurl = \"{}\"\nsecret = \"{SECRET}\"\nclasses = [\"cosmetic\", \"minor\", \"substantive\", \"headline\", \"revert\", \"removed\"]\nretry_min = \"100ms\"\nretry_max = \"300ms\"\n",
        receiver.url()
    ));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let started = Instant::now();
    let mut kills = 0;
    for round in 0..rounds {
        let mut daemon = ws
            .cmd(&["run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it at a random moment once it is at work (it holds the
        // database's lock), however slowly a loaded machine starts it.
        let lock = std::path::PathBuf::from(format!("{}.lock", ws.db().display()));
        wait_for("the daemon to start", Duration::from_secs(30), || {
            std::fs::read_to_string(&lock)
                .is_ok_and(|held| held.contains(&format!("(pid {},", daemon.id())))
        });
        std::thread::sleep(Duration::from_millis(40 + next(&mut seed) % 300));
        daemon.kill().unwrap();
        wait_exit(&mut daemon, Duration::from_secs(20));
        kills += 1;
        let db = rusqlite::Connection::open(ws.db()).unwrap();
        let integrity: String = db
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        let gaps: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM (SELECT target_id FROM versions GROUP BY target_id
                 HAVING MAX(number) <> COUNT(*) OR MIN(number) <> 1)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(gaps, 0, "round {round}: version numbers with gaps");
        let without_diff: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM versions v WHERE v.number > 1 AND NOT EXISTS
                 (SELECT 1 FROM diffs d WHERE d.to_version_id = v.id)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(without_diff, 0, "round {round}: a version without its diff");
    }
    // One last daemon delivers what the outbox still holds. The articles
    // stop changing first: once every target has been checked since, no
    // new alert can be queued behind the last one delivered, so the
    // outbox found empty stays empty until the daemon stops.
    let still = article::render(0, |p| p).into_bytes();
    for i in 0..targets {
        server.route(&format!("/news/{i}"), Route::html(still.clone()));
    }
    let settled_at = redline::model::Timestamp::now().millis();
    let daemon = ws.start_daemon();
    let db = rusqlite::Connection::open(ws.db()).unwrap();
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    wait_for(
        "every target checked on its still page, and the outbox empty",
        Duration::from_secs(120),
        || {
            count(&format!(
                "SELECT COUNT(DISTINCT target_id) FROM checks WHERE started_at > {settled_at}"
            )) == targets as i64
                && count("SELECT COUNT(*) FROM deliveries WHERE state <> 'delivered'") == 0
        },
    );
    ws.stop_daemon(daemon);
    let versions: i64 = db
        .query_row("SELECT COUNT(*) FROM versions", [], |r| r.get(0))
        .unwrap();
    let changes: i64 = db
        .query_row("SELECT COUNT(*) FROM versions WHERE number > 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let queued: HashSet<String> = db
        .prepare("SELECT id FROM deliveries")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let tally = || {
        let mut received: HashMap<String, usize> = HashMap::new();
        for r in receiver.delivered() {
            *received
                .entry(r.headers["webhook-id"].to_str().unwrap().to_string())
                .or_default() += 1;
        }
        received
    };
    // The receiver notes a delivery just after answering it, so the last
    // few may be noted a moment after the daemon marked them delivered.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(5) && {
        let received = tally();
        !queued.iter().all(|id| received.contains_key(id))
    } {
        std::thread::sleep(Duration::from_millis(50));
    }
    let received = tally();
    let got: HashSet<String> = received.keys().cloned().collect();
    let lost: Vec<&String> = queued.difference(&got).collect();
    let unknown: Vec<&String> = got.difference(&queued).collect();
    let repeats: usize = received.values().map(|n| n - 1).sum();
    assert!(changes > 0, "the daemons made changes between kills");
    if !lost.is_empty() {
        // What the database and the receiver know of each, to tell a lost
        // alert from one the receiver failed to note.
        let all = receiver.received();
        let rows: Vec<String> = lost
            .iter()
            .map(|id| {
                let row: String = db
                    .query_row(
                        "SELECT printf('seq %d state %s attempts %d created %d delivered %d error %s',
                                seq, state, attempts, created_at, delivered_at, last_error)
                         FROM deliveries WHERE id = ?1",
                        [id],
                        |r| r.get(0),
                    )
                    .unwrap();
                let seen: Vec<u16> = all
                    .iter()
                    .filter(|r| r.headers["webhook-id"] == id.as_str())
                    .map(|r| r.status)
                    .collect();
                format!("{id}: {row}; receiver saw it answered {seen:?}")
            })
            .collect();
        panic!(
            "alerts lost: {} of {} (receiver: {} requests started, {} noted)\n{}",
            lost.len(),
            queued.len(),
            receiver.started(),
            all.len(),
            rows.join("\n")
        );
    }
    assert!(unknown.is_empty(), "alerts never queued: {unknown:?}");
    Figures {
        rounds: kills,
        seconds: started.elapsed().as_secs_f64(),
        versions,
        changes,
        queued: queued.len(),
        received: got.len(),
        repeats,
    }
}
