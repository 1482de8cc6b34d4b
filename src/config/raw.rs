//! The first step of reading a config: the TOML as written, with the
//! position of every value, unknown keys refused.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) storage: RawStorage,
    #[serde(default)]
    pub(super) fetch: RawFetch,
    #[serde(default)]
    pub(super) defaults: RawDefaults,
    #[serde(default, rename = "target")]
    pub(super) targets: Vec<RawTarget>,
    #[serde(default, rename = "alert")]
    pub(super) alerts: Vec<RawAlert>,
    #[serde(default, rename = "source")]
    pub(super) sources: Vec<RawSource>,
    #[serde(default)]
    pub(super) noise: RawNoise,
    #[serde(default, rename = "host")]
    pub(super) hosts: Vec<RawHost>,
    #[serde(default)]
    pub(super) schedule: RawSchedule,
    #[serde(default)]
    pub(super) metrics: RawMetrics,
    #[serde(default)]
    pub(super) web: RawWeb,
    #[serde(default)]
    pub(super) discovery: RawDiscovery,
    #[serde(default)]
    pub(super) export: RawExport,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExport {
    pub(super) operator: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscovery {
    pub(super) allow_private: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    #[serde(rename = "match")]
    pub(super) host: Spanned<String>,
    pub(super) concurrency: Option<Spanned<u64>>,
    pub(super) gap: Option<Spanned<String>>,
    pub(super) robots_txt: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub(super) tiers: Option<Spanned<Vec<RawTier>>>,
    pub(super) max_backoff: Option<Spanned<String>>,
    pub(super) gone_after: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTier {
    pub(super) until: Spanned<String>,
    pub(super) every: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub(super) listen: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    pub(super) listen: Option<Spanned<String>>,
    pub(super) token: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNoise {
    pub(super) suspect_after: Option<Spanned<u64>>,
    pub(super) revert_window: Option<Spanned<u64>>,
    pub(super) flap_limit: Option<Spanned<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    pub(super) database: Option<Spanned<String>>,
    pub(super) raw_html: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) max_body_bytes: Option<Spanned<u64>>,
    pub(super) max_redirects: Option<Spanned<u64>>,
    pub(super) concurrency: Option<Spanned<u64>>,
    pub(super) per_host_concurrency: Option<Spanned<u64>>,
    pub(super) per_host_gap: Option<Spanned<String>>,
    pub(super) robots_txt: Option<bool>,
    pub(super) revalidate_after: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) interval: Option<Spanned<String>>,
    pub(super) ignore: Option<Vec<Spanned<String>>>,
    pub(super) exclude: Option<Vec<Spanned<String>>>,
    pub(super) masks: Option<Vec<Spanned<String>>>,
    pub(super) failing_after: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    pub(super) url: Spanned<String>,
    pub(super) name: Option<String>,
    pub(super) interval: Option<Spanned<String>>,
    pub(super) selector: Option<Spanned<String>>,
    pub(super) ignore: Option<Vec<Spanned<String>>>,
    pub(super) exclude: Option<Vec<Spanned<String>>>,
    pub(super) tags: Option<Vec<Spanned<String>>>,
    pub(super) robots_txt: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) url: Spanned<String>,
    pub(super) kind: Spanned<String>,
    pub(super) interval: Option<Spanned<String>>,
    pub(super) include: Option<Vec<Spanned<String>>>,
    pub(super) exclude: Option<Vec<Spanned<String>>>,
    pub(super) links: Option<Spanned<String>>,
    pub(super) hosts: Option<Vec<Spanned<String>>>,
    pub(super) max_new_per_poll: Option<Spanned<u64>>,
    pub(super) max_targets: Option<Spanned<u64>>,
    pub(super) track_for: Option<Spanned<String>>,
    pub(super) robots_txt: Option<bool>,
    pub(super) targets: Option<Spanned<RawSourceTargets>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSourceTargets {
    pub(super) interval: Option<Spanned<String>>,
    pub(super) selector: Option<Spanned<String>>,
    pub(super) exclude: Option<Vec<Spanned<String>>>,
    pub(super) ignore: Option<Vec<Spanned<String>>>,
    pub(super) tags: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlert {
    pub(super) kind: Spanned<String>,
    pub(super) classes: Option<Vec<Spanned<String>>>,
    pub(super) min_words: Option<u64>,
    pub(super) targets: Option<Vec<Spanned<String>>>,
    pub(super) tags: Option<Vec<Spanned<String>>>,
    pub(super) sources: Option<Vec<Spanned<String>>>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) secret: Option<Spanned<String>>,
    pub(super) headers: Option<Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) format: Option<Spanned<String>>,
    pub(super) retry_min: Option<Spanned<String>>,
    pub(super) retry_max: Option<Spanned<String>>,
    pub(super) max_age: Option<Spanned<String>>,
}
