//! robots.txt: parsing a site's file and deciding whether Redline may fetch a
//! path, as RFC 9309 describes.
//!
//! The groups naming Redline's product token apply when there are any, else
//! the `*` groups, else everything is allowed. A group names the token when
//! its `User-agent` value's product name (the letters, `_` and `-` it
//! starts with: `Redline/1.0` names `Redline`) equals it, ignoring case —
//! never by substring. Within the groups that apply, the longest matching
//! `Allow`/`Disallow` pattern wins, and `Allow` wins a tie; `*` matches any
//! run of characters and a final `$` anchors the end. Patterns and paths
//! are compared in one percent-encoded form (§2.2.2): bytes outside ASCII
//! encoded, escapes of printable ASCII decoded, hex in upper case. A
//! leading byte-order mark is skipped, and at most [`MAX_ROBOTS_BYTES`]
//! bytes are read.
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
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let text = match text.len() > MAX_ROBOTS_BYTES {
            true => {
                let mut end = MAX_ROBOTS_BYTES;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                &text[..end]
            }
            false => text,
        };
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
                    agents.push(value.to_string());
                }
                "allow" | "disallow" => {
                    in_rules = true;
                    if value.is_empty() {
                        continue;
                    }
                    let rule = (key == "allow", normalise(value));
                    if agents.iter().any(|a| names(a, token)) {
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
                    k.trim().eq_ignore_ascii_case("user-agent") && names(v.trim(), token)
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
        let path = normalise(path);
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, &path) {
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
        let path = normalise(path);
        self.rules
            .iter()
            .filter(|(allow, p)| !allow && matches(p, &path))
            .map(|(_, p)| p.as_str())
            .max_by_key(|p| p.len())
    }
}

/// Whether a `User-agent` value names the product `token`: its product
/// name (the letters, `_` and `-` it starts with) equals the token,
/// ignoring case. `*` and empty values name nobody.
fn names(agent: &str, token: &str) -> bool {
    let end = agent
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '_' || c == '-'))
        .unwrap_or(agent.len());
    let name = &agent[..end];
    !name.is_empty() && name.eq_ignore_ascii_case(token)
}

/// A pattern or path in the one form they are compared in (RFC 9309
/// §2.2.2): bytes outside ASCII (and spaces and controls) percent-encoded,
/// escapes of printable ASCII decoded (`%62` is `b`) except `%`, `*` and
/// `$`, whose escapes must stay literal, and hex digits in upper case.
fn normalise(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let escape = |out: &mut String, b: u8| {
        out.push('%');
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escaped = (b == b'%')
            .then(|| Some((hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?)))
            .flatten();
        if let Some((hi, lo)) = escaped {
            let v = hi << 4 | lo;
            if (0x21..0x7f).contains(&v) && !matches!(v, b'%' | b'*' | b'$') {
                out.push(v as char);
            } else {
                escape(&mut out, v);
            }
            i += 3;
        } else if b <= 0x20 || b >= 0x7f {
            escape(&mut out, b);
            i += 1;
        } else {
            out.push(b as char);
            i += 1;
        }
    }
    out
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

    #[test]
    fn a_byte_order_mark_does_not_hide_the_first_group() {
        let r = Rules::parse("\u{feff}User-agent: *\nDisallow: /private\n", "Redline");
        assert!(!r.allows("/private/a"));
    }

    #[test]
    fn groups_name_the_product_token_exactly_ignoring_case() {
        let only = |agent: &str| format!("User-agent: {agent}\nDisallow: /\n");
        // A group for another crawler whose name is part of ours, or ours
        // part of theirs, is not ours.
        for other in ["red", "line", "Redlinebot", "dline", "redline-archiver"] {
            assert!(
                Rules::parse(&only(other), "Redline").allows("/a"),
                "{other}"
            );
        }
        for ours in ["Redline", "REDLINE", "redline/2.0", "Redline (news)"] {
            assert!(!Rules::parse(&only(ours), "Redline").allows("/a"), "{ours}");
        }
        // An empty group naming another crawler does not replace `*`.
        let text = "User-agent: *\nDisallow: /x\n\nUser-agent: red\n";
        assert!(!Rules::parse(text, "Redline").allows("/x"));
    }

    #[test]
    fn patterns_and_paths_compare_percent_encoded_like_rfc_9309() {
        // The table of RFC 9309 §2.2.2: (pattern as written, URL path).
        let table = [
            ("/foo/bar?baz=quz", "/foo/bar?baz=quz"),
            (
                "/foo/bar?baz=https://foo.bar",
                "/foo/bar?baz=https%3A%2F%2Ffoo.bar",
            ),
            ("/foo/bar/\u{30c4}", "/foo/bar/%E3%83%84"),
            ("/foo/bar/%E3%83%84", "/foo/bar/%E3%83%84"),
            ("/foo/bar/%62%61%7A", "/foo/bar/baz"),
        ];
        for (pattern, path) in table {
            let r = Rules::parse(&format!("User-agent: *\nDisallow: {pattern}$\n"), "Redline");
            assert!(!r.allows(path), "{pattern} should match {path}");
        }
        // Escapes in either case are one escape; a literal `*` or `$`
        // written as an escape is not a wildcard or an anchor.
        let r = Rules::parse(
            "User-agent: *\nDisallow: /caf%c3%a9\nDisallow: /a%2Ab\n",
            "x",
        );
        assert!(!r.allows("/caf%C3%A9/menu"));
        assert!(!r.allows("/caf\u{e9}/menu"));
        assert!(r.allows("/aXYZb"), "%2A is a literal star");
        assert!(!r.allows("/a%2Ab"));
        assert_eq!(normalise("/a b%zz%4a"), "/a%20b%zzJ");
    }

    #[test]
    fn the_size_cap_counts_bytes() {
        // Three-byte characters: a cap counted in characters would read
        // three times too far.
        let filler = format!("# {}\n", "\u{30c4}".repeat(MAX_ROBOTS_BYTES / 3));
        let text = format!("User-agent: *\n{filler}Disallow: /late\n");
        assert!(text.chars().count() < MAX_ROBOTS_BYTES);
        assert!(
            Rules::parse(&text, "Redline").allows("/late"),
            "past the cap"
        );
        let text = format!("User-agent: *\nDisallow: /early\n{filler}");
        assert!(!Rules::parse(&text, "Redline").allows("/early"));
    }

    #[test]
    fn the_rfc_examples_hold() {
        // RFC 9309 §5.1.
        let file = "\
User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

EOF
";
        let foobot = Rules::parse(file, "foobot");
        assert!(foobot.allows("/example/page.html"));
        assert!(foobot.allows("/example/allowed.gif"));
        assert!(!foobot.allows("/example/other.html"));
        assert!(!foobot.allows("/publications/"));
        for bot in ["barbot", "bazbot"] {
            let r = Rules::parse(file, bot);
            assert!(!r.allows("/example/page.html"), "{bot}");
            assert!(r.allows("/example/other.gif"), "{bot}: its group, not *");
        }
        assert!(Rules::parse(file, "quxbot").allows("/example/x.gif"));
        let other = Rules::parse(file, "Redline");
        assert!(!other.allows("/pics/a.gif"));
        assert!(!other.allows("/example/x"));
        assert!(other.allows("/publications/a"));
        // RFC 9309 §5.2: the longest match wins.
        let longest =
            "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n";
        let r = Rules::parse(longest, "foobot");
        assert!(r.allows("/example/page/"));
        assert!(!r.allows("/example/page/disallowed.gif"));
    }
}
