//! Reading configs written for the purpose, good and bad.

use super::validate::line_column;
use super::*;
use crate::alert::{AlertSpec, PayloadFormat};
use crate::detect::ChangeClass;
use crate::fetch::{DEFAULT_MAX_BODY_BYTES, DEFAULT_PER_HOST_GAP, DEFAULT_TIMEOUT};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new("test.toml"))
}

fn error_at(text: &str) -> (usize, usize, String) {
    match parse(text) {
        Err(ConfigError::Invalid {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn the_shipped_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG_PATH);
    let config = Config::load(&path).unwrap();
    assert!(
        !config.targets.is_empty(),
        "the example config shows a target"
    );
    assert_eq!(config.alerts, vec![AlertSpec::Log(AlertFilter::default())]);
}

#[test]
fn sources_are_read_with_their_target_defaults() {
    let c = parse(
        r#"
[[source]]
url = "https://news.example/rss.xml"
kind = "feed"
interval = "5m"
include = ["/world/"]
exclude = ["/video/"]
hosts = ["CDN.news.example"]
track_for = "14d"
max_new_per_poll = 10
max_targets = 50

[source.targets]
interval = "15m"
selector = "article"
exclude = ["aside"]
ignore = ["Updated \\d+ minutes ago"]
tags = ["world"]

[[source]]
url = "https://news.example/world"
kind = "page"
links = "main h2 a"

[[alert]]
kind = "log"
sources = ["https://news.example/rss.xml"]
"#,
    )
    .unwrap();
    assert_eq!(c.sources.len(), 2);
    let s = &c.sources[0].settings;
    assert_eq!(c.sources[0].kind, SourceKind::Feed);
    assert_eq!(s.interval_ms, 300_000);
    assert_eq!(s.include, ["/world/"]);
    assert_eq!(s.exclude, ["/video/"]);
    assert_eq!(s.hosts, ["cdn.news.example"]);
    assert_eq!(s.track_for_ms, Some(14 * 86_400_000));
    assert_eq!((s.max_new_per_poll, s.max_targets), (10, 50));
    assert_eq!(s.targets.interval_ms, Some(900_000));
    assert_eq!(s.targets.selector.as_deref(), Some("article"));
    assert_eq!(s.targets.tags, ["world"]);
    assert_eq!(s.targets.ignore, ["Updated \\d+ minutes ago"]);
    assert_eq!(c.sources[1].settings.links.as_deref(), Some("main h2 a"));
    assert_eq!(c.sources[1].settings.interval_ms, 600_000, "default poll");
    let AlertSpec::Log(f) = &c.alerts[0] else {
        panic!("a log sink")
    };
    assert!(f.covers(
        "https://news.example/a",
        &[],
        Some("https://news.example/rss.xml")
    ));
    assert!(!f.covers("https://news.example/a", &[], None));
}

#[test]
fn bad_sources_are_named_where_they_stand() {
    let (line, _, msg) = error_at("[[source]]\nurl = \"https://e.com/f\"\nkind = \"rss\"\n");
    assert_eq!(line, 3);
    assert!(msg.contains("unknown source kind `rss`"), "{msg}");
    let (line, _, msg) = error_at("[[source]]\nurl = \"https://e.com/\"\nkind = \"page\"\n");
    assert_eq!(line, 2);
    assert!(msg.contains("needs `include`"), "{msg}");
    let (line, _, msg) =
        error_at("[[source]]\nurl = \"https://e.com/f\"\nkind = \"feed\"\nexclude = [\"[\"]\n");
    assert_eq!(line, 4);
    assert!(msg.contains("`exclude`"), "{msg}");
    let (_, _, msg) =
        error_at("[[source]]\nurl = \"https://e.com/f\"\nkind = \"feed\"\nfrequency = \"5m\"\n");
    assert!(msg.contains("frequency"), "{msg}");
    let (_, _, msg) =
        error_at("[[source]]\nurl = \"https://e.com/f\"\nkind = \"feed\"\nmax_targets = 0\n");
    assert!(msg.contains("between 1 and"), "{msg}");
}

#[test]
fn empty_config_gives_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.storage.database, PathBuf::from(DEFAULT_DATABASE));
    assert_eq!(c.fetch.timeout, DEFAULT_TIMEOUT);
    assert_eq!(c.fetch.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    assert_eq!(c.defaults.interval, None, "the age schedule decides");
    assert_eq!(c.schedule, ScheduleConfig::default());
    assert_eq!(c.fetch.per_host_gap, DEFAULT_PER_HOST_GAP);
    assert!(c.fetch.robots_txt);
    assert!(c.targets.is_empty());
    assert_eq!(c.alerts, vec![AlertSpec::Log(AlertFilter::default())]);
}

#[test]
fn full_config_is_read() {
    let c = parse(
        r#"
[storage]
database = "/var/lib/redline/redline.db"
[fetch]
user_agent = "test-agent"
timeout = "10s"
max_body_bytes = 1000
max_redirects = 0
concurrency = 4
per_host_concurrency = 1
[defaults]
interval = "1h"
[[target]]
url = "https://example.com/a"
name = "A"
interval = "5m"
selector = "div.body"
[[target]]
url = "https://example.com/b"
[[alert]]
kind = "log"
"#,
    )
    .unwrap();
    assert_eq!(c.fetch.user_agent, "test-agent");
    assert_eq!(c.fetch.timeout, Duration::from_secs(10));
    assert_eq!(c.fetch.max_redirects, 0);
    assert_eq!(c.targets.len(), 2);
    assert_eq!(c.targets[0].name.as_deref(), Some("A"));
    assert_eq!(c.targets[0].interval, Some(Duration::from_secs(300)));
    assert_eq!(c.targets[0].selector.as_ref().unwrap().as_str(), "div.body");
    assert_eq!(
        c.fixed_interval(c.targets[1].interval),
        Some(Duration::from_secs(3600))
    );
}

#[test]
fn politeness_schedule_and_metrics_are_read() {
    let c = parse(
        r#"
[storage]
raw_html = "first_and_latest"
[fetch]
per_host_gap = "250ms"
robots_txt = false
[[host]]
match = "News.Example.com"
concurrency = 4
gap = "0s"
robots_txt = true
[schedule]
tiers = [{ until = "1h", every = "2m" }, { until = "2d", every = "1h" }]
max_backoff = "2h"
gone_after = 2
[metrics]
listen = "127.0.0.1:9898"
[[target]]
url = "https://example.com/a"
robots_txt = false
"#,
    )
    .unwrap();
    assert_eq!(c.storage.raw_html, RawHtmlPolicy::FirstAndLatest);
    assert_eq!(c.fetch.per_host_gap, Duration::from_millis(250));
    assert!(!c.fetch.robots_txt);
    assert_eq!(
        c.hosts,
        vec![HostSpec {
            host: "news.example.com".into(),
            concurrency: Some(4),
            gap: Some(Duration::ZERO),
            robots_txt: Some(true),
        }]
    );
    assert_eq!(c.schedule.tiers.len(), 2);
    assert_eq!(c.schedule.tiers[1].every, Duration::from_secs(3600));
    assert_eq!(c.schedule.max_backoff, Duration::from_secs(7200));
    assert_eq!(c.schedule.gone_after, 2);
    assert_eq!(c.metrics.listen, Some("127.0.0.1:9898".parse().unwrap()));
    assert_eq!(c.targets[0].robots_txt, Some(false));
}

#[test]
fn bad_tiers_hosts_and_listen_are_named() {
    let (line, _, msg) = error_at(
        "[schedule]\ntiers = [{ until = \"1d\", every = \"1h\" },\n  { until = \"3h\", every = \"5m\" }]\n",
    );
    assert_eq!(line, 3);
    assert!(msg.contains("youngest first"), "{msg}");
    let (line, _, msg) = error_at("[[host]]\nmatch = \"a.com\"\n[[host]]\nmatch = \"A.com\"\n");
    assert_eq!(line, 4);
    assert!(msg.contains("two [[host]]"), "{msg}");
    let (line, _, msg) = error_at("[metrics]\nlisten = \"localhost\"\n");
    assert_eq!(line, 2);
    assert!(msg.contains("127.0.0.1:9898"), "{msg}");
}

#[test]
fn unknown_key_is_rejected_with_its_line() {
    let (line, col, msg) = error_at("[fetch]\ntimeout = \"5s\"\nretries = 3\n");
    assert_eq!((line, col), (3, 1));
    assert!(msg.contains("retries"), "{msg}");
}

#[test]
fn unknown_key_in_a_target_is_rejected() {
    let (line, _, msg) = error_at("[[target]]\nurl = \"https://e.com/\"\nintervall = \"5m\"\n");
    assert_eq!(line, 3);
    assert!(msg.contains("intervall"), "{msg}");
}

#[test]
fn bad_values_are_rejected_where_they_stand() {
    let (line, col, msg) = error_at("[[target]]\nurl = \"htp:/nope\"\n");
    assert_eq!((line, col), (2, 7));
    assert!(msg.contains("url"), "{msg}");

    let (line, _, msg) = error_at("[defaults]\ninterval = \"soon\"\n");
    assert_eq!(line, 2);
    assert!(msg.contains("soon"), "{msg}");

    let (line, _, msg) = error_at("[[target]]\nurl = \"https://e.com/\"\nselector = \"div[[\"\n");
    assert_eq!(line, 3);
    assert!(msg.contains("selector"), "{msg}");

    let (line, _, _) = error_at("[fetch]\nmax_body_bytes = 0\n");
    assert_eq!(line, 2);

    let (line, _, msg) = error_at("[[alert]]\nkind = \"pager\"\n");
    assert_eq!(line, 2);
    assert!(msg.contains("pager"), "{msg}");

    let (line, _, msg) = error_at(
        "[[target]]\nurl = \"https://e.com/a\"\n[[target]]\nurl = \"https://e.com/a#x\"\n",
    );
    assert_eq!(line, 4);
    assert!(msg.contains("twice"), "{msg}");
}

#[test]
fn noise_rules_and_alert_filters_are_read() {
    let c = parse(
        r#"
[defaults]
ignore = ["Reading time: \\d+ min"]
exclude = ["div.live-ticker"]
masks = ["dates", "times"]
[noise]
suspect_after = 2
revert_window = 4
flap_limit = 5
[[target]]
url = "https://e.com/a"
ignore = ["\\d+ comments"]
exclude = ["aside.promo", ".newsletter"]
tags = ["politics"]
[[alert]]
kind = "log"
classes = ["headline", "substantive"]
min_words = 3
tags = ["politics", "world"]
targets = ["https://e.com/a"]
"#,
    )
    .unwrap();
    assert_eq!(c.defaults.ignore[0].as_str(), r"Reading time: \d+ min");
    assert_eq!(c.defaults.exclude[0].as_str(), "div.live-ticker");
    assert!(c.defaults.masks.dates && c.defaults.masks.times);
    assert_eq!(
        c.noise,
        NoiseConfig {
            suspect_after: 2,
            revert_window: 4,
            flap_limit: 5
        }
    );
    assert_eq!(c.targets[0].ignore.len(), 1);
    assert_eq!(c.targets[0].exclude.len(), 2);
    let AlertSpec::Log(f) = &c.alerts[0] else {
        panic!("a log sink")
    };
    assert_eq!(
        f.classes,
        vec![ChangeClass::Headline, ChangeClass::Substantive]
    );
    assert!(f.accepts(ChangeClass::Headline, 3) && !f.accepts(ChangeClass::Headline, 2));
    assert!(!f.accepts(ChangeClass::Minor, 10));
    assert!(!AlertFilter::default().accepts(ChangeClass::Cosmetic, 10));
    assert_eq!(c.targets[0].tags, vec!["politics".to_string()]);
    assert!(f.covers("https://e.com/a", &["politics".into()], None));
    assert!(!f.covers("https://e.com/a", &["sport".into()], None));
    assert!(!f.covers("https://e.com/b", &["politics".into()], None));
    assert!(AlertFilter::default().covers("https://e.com/b", &[], None));

    let (line, _, msg) =
        error_at("[[target]]\nurl = \"https://e.com/\"\nignore = [\"(unclosed\"]\n");
    assert_eq!(line, 3);
    assert!(msg.contains("regex"), "{msg}");
    let (line, _, msg) = error_at("[[alert]]\nkind = \"log\"\nclasses = [\"big\"]\n");
    assert_eq!(line, 3);
    assert!(msg.contains("big"), "{msg}");
    let (line, _, _) = error_at("[defaults]\nmasks = [\"weather\"]\n");
    assert_eq!(line, 2);
    let (line, _, _) = error_at("[noise]\nsuspect_after = 0\n");
    assert_eq!(line, 2);
}

#[test]
fn webhook_alerts_are_read_and_secrets_resolved() {
    // SAFETY: tests in this module do not read this variable concurrently.
    unsafe {
        std::env::set_var(
            "REDLINE_TEST_WEBHOOK_SECRET",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
    };
    let c = parse(
        r#"
[[alert]]
kind = "webhook"
name = "newsroom"
url = "https://hooks.example/redline"
secret = "env:REDLINE_TEST_WEBHOOK_SECRET"
headers = { Authorization = "Bearer abc" }
timeout = "5s"
format = "slack"
classes = ["headline"]
min_words = 2
retry_min = "1s"
retry_max = "10m"
max_age = "1d"
"#,
    )
    .unwrap();
    let AlertSpec::Webhook(w) = &c.alerts[0] else {
        panic!("a webhook sink")
    };
    assert_eq!(w.name, "newsroom");
    assert_eq!(w.format, PayloadFormat::Slack);
    assert_eq!(w.key.len(), 24);
    assert_eq!(w.headers[0].0, "Authorization");
    assert_eq!(w.retry_max, Duration::from_secs(600));
    assert!(
        !format!("{c:?}").contains("MfKQ9r8"),
        "secrets never show in Debug output"
    );
    assert!(!format!("{c:?}").contains("Bearer abc"));

    let (line, _, msg) = error_at(
        "[[alert]]\nkind = \"webhook\"\nurl = \"https://e.com/\"\nsecret = \"env:REDLINE_TEST_UNSET_VARIABLE\"\n",
    );
    assert_eq!(line, 4);
    assert!(msg.contains("REDLINE_TEST_UNSET_VARIABLE"), "{msg}");
    let (line, _, msg) =
        error_at("[[alert]]\nkind = \"webhook\"\nurl = \"https://e.com/\"\nsecret = \"hunter2\"\n");
    assert_eq!(line, 4);
    assert!(!msg.contains("hunter2"), "the secret is not echoed: {msg}");
    let (line, _, _) = error_at("[[alert]]\nkind = \"webhook\"\nsecret = \"whsec_AAAA\"\n");
    assert_eq!(line, 2);
    let (line, _, _) = error_at("[[alert]]\nkind = \"log\"\nurl = \"https://e.com/\"\n");
    assert_eq!(line, 3);
}

#[test]
fn syntax_errors_name_the_line() {
    let (line, _, _) = error_at("[fetch]\ntimeout = \"5s\n");
    assert_eq!(line, 2);
}

#[test]
fn line_column_counts_characters() {
    assert_eq!(line_column("ab\ncé d", 7), (2, 4));
    assert_eq!(line_column("", 0), (1, 1));
}

#[test]
fn the_export_operator_is_one_line_and_optional() {
    assert_eq!(parse("").unwrap().export.operator, None);
    let c = parse("[export]\noperator = \"  Desk <a@example.org> \"\n").unwrap();
    assert_eq!(c.export.operator.as_deref(), Some("Desk <a@example.org>"));
    let (line, _, message) = error_at("[export]\noperator = \"a\\nb\"\n");
    assert_eq!(line, 2);
    assert!(message.contains("one non-empty line"), "{message}");
    let (line, _, message) = error_at("[export]\noprator = \"x\"\n");
    assert_eq!(line, 2, "{message}");
}

#[test]
fn the_web_section_needs_a_token_off_loopback_and_keeps_it_out_of_the_file() {
    let c = parse("[web]\nlisten = \"127.0.0.1:8080\"\n").unwrap();
    assert_eq!(c.web.listen, Some("127.0.0.1:8080".parse().unwrap()));
    assert!(c.web.token.is_none(), "loopback needs no token");
    let (line, _, msg) = error_at("[web]\nlisten = \"0.0.0.0:8080\"\n");
    assert_eq!(line, 2);
    assert!(msg.contains("token") && msg.contains("loopback"), "{msg}");
    let (line, _, msg) =
        error_at("[web]\nlisten = \"[::]:8080\"\ntoken = \"abcdefghijklmnopqrstuvwxyz\"\n");
    assert_eq!(line, 3);
    assert!(msg.contains("env:") && !msg.contains("abcdefghij"), "{msg}");
    // SAFETY: only this test reads these variables, whose names are its own.
    unsafe { std::env::set_var("REDLINE_TEST_WEB_TOKEN_SHORT", "short") };
    let (_, _, msg) = error_at("[web]\ntoken = \"env:REDLINE_TEST_WEB_TOKEN_SHORT\"\n");
    assert!(
        msg.contains("16 bytes") && !msg.contains("short\""),
        "{msg}"
    );
    // SAFETY: as above.
    unsafe { std::env::set_var("REDLINE_TEST_WEB_TOKEN_OK", "0123456789abcdef0123") };
    let c = parse("[web]\nlisten = \"0.0.0.0:8080\"\ntoken = \"env:REDLINE_TEST_WEB_TOKEN_OK\"\n")
        .unwrap();
    assert_eq!(c.web.token.unwrap().expose(), "0123456789abcdef0123");
    let (_, _, msg) = error_at("[web]\nlisten = \"localhost\"\n");
    assert!(msg.contains("127.0.0.1:8080"), "{msg}");
}
