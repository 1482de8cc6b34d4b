//! A check's rules: the target's body selector, `exclude` selectors and
//! `ignore` regexes joined to the global ones, compiled once per rule set
//! and kept by fingerprint, and the fingerprint itself (which also decides
//! whether validators taken earlier still apply).

use std::sync::Arc;

use super::*;

/// A target's rules, compiled.
#[derive(Debug)]
pub(super) struct TargetRules {
    pub(super) policy: Policy,
    /// Global and the target's `exclude` selectors.
    pub(super) exclude: Vec<BodySelector>,
    /// The target's body selector.
    pub(super) selector: Option<BodySelector>,
}

/// Most distinct rule sets kept compiled (most targets share the global
/// rules alone, one entry); past it the cache starts again.
const MAX_CACHED_RULES: usize = 4096;

impl Checker {
    /// A fingerprint of everything that turns a page into a decision: the
    /// target's and global rules, and this Redline's version.
    pub(super) fn rules_fingerprint(&self, target: &Target) -> i64 {
        let mut h = blake3::Hasher::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        let mut part = |s: &str| {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        part(target.selector.as_deref().unwrap_or(""));
        for r in target.ignore.iter().chain(&target.exclude) {
            part(r);
        }
        for r in &self.detection.ignore {
            part(r.as_str());
        }
        for e in &self.detection.exclude {
            part(e.as_str());
        }
        part(&format!(
            "{:?}{:?}",
            self.detection.masks, self.detection.noise
        ));
        let bytes = h.finalize();
        i64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("8 bytes"))
    }

    /// A target's compiled rules: parsed on its first check and kept, by
    /// the fingerprint of everything they are made of, for the next ones
    /// (compiling regexes and selectors on every check costs more than
    /// extracting some pages). Rules that no longer parse are an error of
    /// the check, never cached.
    pub(super) fn rules(
        &self,
        target: &Target,
        fingerprint: i64,
    ) -> Result<Arc<TargetRules>, CheckError> {
        let cache = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = cache.get(&fingerprint) {
            return Ok(Arc::clone(r));
        }
        drop(cache);
        let selector = target
            .selector
            .as_deref()
            .map(BodySelector::parse)
            .transpose()
            .map_err(|e| CheckError::Rule(e.to_string()))?;
        let (policy, exclude) = self.policy(target)?;
        let rules = Arc::new(TargetRules {
            policy,
            exclude,
            selector,
        });
        let mut cache = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_CACHED_RULES {
            cache.clear();
        }
        cache.insert(fingerprint, Arc::clone(&rules));
        Ok(rules)
    }

    /// The detection policy for one target: global rules plus its own.
    pub(super) fn policy(
        &self,
        target: &Target,
    ) -> Result<(Policy, Vec<BodySelector>), CheckError> {
        let mut ignore: Vec<regex::Regex> =
            self.detection.ignore.iter().map(|r| r.0.clone()).collect();
        for r in &target.ignore {
            ignore.push(
                IgnoreRule::parse(r)
                    .map_err(|e| CheckError::Rule(e.to_string()))?
                    .0,
            );
        }
        let mut exclude = self.detection.exclude.clone();
        for e in &target.exclude {
            exclude.push(BodySelector::parse(e).map_err(|e| CheckError::Rule(e.to_string()))?);
        }
        let noise = self.detection.noise;
        Ok((
            Policy {
                ignore,
                masks: self.detection.masks,
                suspect_after: noise.suspect_after,
                revert_window: noise.revert_window,
                flap_limit: noise.flap_limit,
            },
            exclude,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::{Store, StoreHandle};

    fn checker() -> Checker {
        let store = StoreHandle::new(Store::open_in_memory().unwrap());
        Checker::new(&Config::builtin(), Arc::new(store)).unwrap()
    }

    fn target(ignore: &[&str]) -> Target {
        Target {
            selector: Some("article".into()),
            ignore: ignore.iter().map(|s| s.to_string()).collect(),
            exclude: vec![".share".into()],
            ..Target::plain("https://news.example/a")
        }
    }

    #[test]
    fn rules_are_compiled_once_per_rule_set() {
        let c = checker();
        let a = target(&[r"\d+ readers"]);
        let first = c.rules(&a, c.rules_fingerprint(&a)).unwrap();
        let again = c.rules(&a, c.rules_fingerprint(&a)).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the second check reuses them");
        assert!(
            first
                .policy
                .ignore
                .iter()
                .any(|r| r.as_str() == r"\d+ readers")
        );
        assert_eq!(
            first.selector.as_ref().map(BodySelector::as_str),
            Some("article")
        );
        assert!(first.exclude.iter().any(|e| e.as_str() == ".share"));
        // Other rules: another set.
        let b = target(&["Updated .*"]);
        let other = c.rules(&b, c.rules_fingerprint(&b)).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
    }

    #[test]
    fn a_rule_that_no_longer_parses_fails_every_check() {
        let c = checker();
        let bad = target(&["(unclosed"]);
        for _ in 0..2 {
            assert!(matches!(
                c.rules(&bad, c.rules_fingerprint(&bad)),
                Err(CheckError::Rule(_))
            ));
        }
    }
}
