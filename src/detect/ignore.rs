//! Ignore rules: regexes whose matches are masked before two captures are
//! compared, so a counter or a timestamp in the text never makes a version.

/// A validated `ignore` regex.
#[derive(Debug, Clone)]
pub struct IgnoreRule(pub regex::Regex);

impl IgnoreRule {
    /// Compiles a rule; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Self, IgnoreRuleError> {
        regex::Regex::new(s)
            .map(Self)
            .map_err(|source| IgnoreRuleError {
                rule: s.to_string(),
                source,
            })
    }

    /// The rule as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// An `ignore` rule that is not a valid regex.
#[derive(Debug, thiserror::Error)]
#[error("`{rule}` is not a valid regex: {source}")]
pub struct IgnoreRuleError {
    /// The rule as written.
    pub rule: String,
    #[source]
    source: regex::Error,
}
