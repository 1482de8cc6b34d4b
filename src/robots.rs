//! robots.txt: parsing a site's file and deciding whether Redline may fetch a
//! path, as RFC 9309 describes.
//!
//! The groups naming Redline's product token apply when there are any, else
//! the `*` groups, else everything is allowed. Within the groups that apply,
//! the longest matching `Allow`/`Disallow` pattern wins, and `Allow` wins a
//! tie; `*` matches any run of characters and a final `$` anchors the end.
//! How an unreachable file is treated (a 4xx allows all, a 5xx or network
//! failure disallows all for a while) is the checker's business, not this
//! module's: it only reads text.

/// At most this much of a robots.txt is read (the RFC asks for at least
/// 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;

/// The rules of one robots.txt that apply to one user agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// (allow, pattern), as written.
    rules: Vec<(bool, String)>,
    /// Why the file could not be read, when everything is disallowed
    /// because of that.
    unreachable: Option<String>,
}

impl Rules {
    /// Rules that allow everything (no file, or a 4xx answer).
    pub fn allow_all() -> Self {
        Self::default()
    }

    /// Rules that forbid everything.
    pub fn disallow_all() -> Self {
        Self {
            rules: vec![(false, "/".into())],
            unreachable: None,
        }
    }

    /// Rules for a file that could not be read (a 5xx answer): RFC 9309
    /// says to assume complete disallow.
    pub fn unreachable(reason: String) -> Self {
        Self {
            unreachable: Some(reason),
            ..Self::disallow_all()
        }
    }

    /// Why the file could not be read, if that is why all is disallowed.
    pub fn unreachable_reason(&self) -> Option<&str> {
        self.unreachable.as_deref()
    }

    /// Parses a robots.txt and keeps the groups that apply to `token`
    /// (Redline's product token, matched without regard to case).
    pub fn parse(text: &str, token: &str) -> Self {
        let text = match text.char_indices().nth(MAX_ROBOTS_BYTES) {
            Some((i, _)) => &text[..i],
            None => text,
        };
        let token = token.to_ascii_lowercase();
        let mut named: Vec<(bool, String)> = Vec::new();
        let mut star: Vec<(bool, String)> = Vec::new();
        let mut found_named = false;
        // The agents of the group being read, and whether its rules began
        // (a user-agent line after rules starts a new group).
        let mut agents: Vec<String> = Vec::new();
        let mut in_rules = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if in_rules {
                        agents.clear();
                        in_rules = false;
                    }
                    agents.push(value.to_ascii_lowercase());
                }
                "allow" | "disallow" => {
                    in_rules = true;
                    if value.is_empty() {
                        continue;
                    }
                    let rule = (key == "allow", value.to_string());
                    if agents
                        .iter()
                        .any(|a| !a.is_empty() && a != "*" && token.contains(a.as_str()))
                    {
                        found_named = true;
                        named.push(rule.clone());
                    }
                    if agents.iter().any(|a| a == "*") {
                        star.push(rule);
                    }
                }
                _ => {}
            }
        }
        // A group that names Redline but has no rules still replaces `*`.
        if !found_named {
            found_named = text.lines().any(|l| {
                let l = l.split('#').next().unwrap_or("").trim();
                l.split_once(':').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("user-agent") && {
                        let v = v.trim().to_ascii_lowercase();
                        !v.is_empty() && v != "*" && token.contains(v.as_str())
                    }
                })
            });
        }
        Self {
            rules: if found_named { named } else { star },
            unreachable: None,
        }
    }

    /// Whether `path` (path and query of the URL) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, *allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// The pattern that forbids `path`, for messages.
    pub fn blocking_rule(&self, path: &str) -> Option<&str> {
        if self.allows(path) {
            return None;
        }
        self.rules
            .iter()
            .filter(|(allow, p)| !allow && matches(p, path))
            .map(|(_, p)| p.as_str())
            .max_by_key(|p| p.len())
    }
}

/// Whether a robots.txt pattern matches a path: `*` is any run of
/// characters, a final `$` anchors the end, anything else is a prefix match.
fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('$') {
        Some(p) => glob(p.as_bytes(), path.as_bytes(), false),
        None => glob(pattern.as_bytes(), path.as_bytes(), true),
    }
}

/// Wildcard match of the whole `text` (or a prefix of it, with `prefix`),
/// with `*` as the only special byte; linear backtracking to the last star.
fn glob(p: &[u8], t: &[u8], prefix: bool) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi == p.len() && (prefix || ti == t.len()) {
            return true;
        }
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
            continue;
        }
        if pi < p.len() && ti < t.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
            continue;
        }
        match star {
            Some((sp, st)) if st < t.len() => {
                star = Some((sp, st + 1));
                pi = sp + 1;
                ti = st + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# comment
User-agent: *
Disallow: /private/
Allow: /private/open
Disallow: /*.pdf$
Disallow: /search

User-agent: OtherBot
Disallow: /

Sitemap: https://example.com/sitemap.xml
";

    #[test]
    fn star_group_applies_with_longest_match() {
        let r = Rules::parse(FILE, "Redline");
        assert!(r.allows("/news/story.html"));
        assert!(!r.allows("/private/x"));
        assert!(r.allows("/private/open/door"));
        assert!(!r.allows("/files/report.pdf"));
        assert!(r.allows("/files/report.pdf?page=2"));
        assert!(!r.allows("/search?q=x"));
        assert_eq!(r.blocking_rule("/private/x"), Some("/private/"));
        assert_eq!(r.blocking_rule("/news"), None);
    }

    #[test]
    fn a_group_naming_redline_replaces_star() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: redline\nUser-agent: other\nDisallow: /drafts\n";
        let r = Rules::parse(text, "Redline");
        assert!(r.allows("/news/a"));
        assert!(!r.allows("/drafts/a"));
        let empty = "User-agent: *\nDisallow: /\n\nUser-agent: Redline\n";
        assert!(Rules::parse(empty, "redline").allows("/anything"));
    }

    #[test]
    fn allow_wins_ties_and_empty_disallow_allows() {
        let r = Rules::parse("User-agent: *\nDisallow: /a\nAllow: /a\n", "redline");
        assert!(r.allows("/a/b"));
        let r = Rules::parse("User-agent: *\nDisallow:\n", "redline");
        assert!(r.allows("/"));
        assert!(Rules::allow_all().allows("/x"));
        assert!(!Rules::disallow_all().allows("/x"));
    }

    #[test]
    fn wildcards_match_like_the_rfc() {
        assert!(matches("/*", "/anything"));
        assert!(matches("/a*c", "/abbbc/d"));
        assert!(!matches("/a*c$", "/abbbc/d"));
        assert!(matches("/a*c$", "/abbbc"));
        assert!(matches("/x$", "/x"));
        assert!(!matches("/x$", "/xy"));
        assert!(matches("/a*$", "/abc"));
        assert!(!matches("/b", "/a/b"));
    }

    #[test]
    fn garbage_is_harmless() {
        let r = Rules::parse(
            "<html><body>Not found</body></html>\n\u{0}\u{ffff}",
            "redline",
        );
        assert!(r.allows("/x"));
        let huge = "User-agent: *\n".to_string() + &"Disallow: /x\n".repeat(100_000);
        assert!(!Rules::parse(&huge, "redline").allows("/x"));
    }
}
