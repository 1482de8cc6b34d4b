//! Turning a page's bytes into UTF-8 text, whatever charset it was written in.
//!
//! The charset is taken, in order, from a byte-order mark, the HTTP
//! `Content-Type` header, a `<meta charset>` or `http-equiv` declaration near
//! the top of the page, and finally from detection (valid UTF-8 is taken as
//! UTF-8; anything else goes to `chardetng`). Labels are resolved as browsers
//! do (WHATWG Encoding Standard: `iso-8859-1` means windows-1252). Malformed
//! sequences become U+FFFD, so the result is always valid UTF-8 and never
//! mojibake from a wrong guess when the page says what it is.

use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;

/// How many leading bytes are searched for a `<meta>` charset declaration.
/// The HTML standard says 1024; real pages put long `<head>` preambles first,
/// so we look further, as browsers effectively do by re-parsing.
const META_SCAN_BYTES: usize = 16 * 1024;

/// Where the charset came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    /// A byte-order mark.
    Bom,
    /// The HTTP `Content-Type` header.
    Header,
    /// A `<meta>` declaration in the page.
    Meta,
    /// No declaration: detected from the bytes.
    Detected,
}

/// A decoded page.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The page as UTF-8.
    pub text: String,
    /// The charset used.
    pub encoding: &'static Encoding,
    /// Why that charset.
    pub source: CharsetSource,
    /// Whether malformed byte sequences were replaced.
    pub had_errors: bool,
}

/// Decodes a page. `content_type` is the HTTP header value, if any; `url`
/// helps detection guess from the top-level domain.
pub fn decode(bytes: &[u8], content_type: Option<&str>, url: Option<&str>) -> Decoded {
    let (encoding, source) = sniff(bytes, content_type, url);
    let (text, used, had_errors) = encoding.decode(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: used,
        source,
        had_errors,
    }
}

fn sniff(
    bytes: &[u8],
    content_type: Option<&str>,
    url: Option<&str>,
) -> (&'static Encoding, CharsetSource) {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return (enc, CharsetSource::Bom);
    }
    if let Some(enc) = content_type.and_then(charset_param).and_then(resolve_label) {
        return (enc, CharsetSource::Header);
    }
    if let Some(enc) = meta_charset(&bytes[..bytes.len().min(META_SCAN_BYTES)]) {
        return (enc, CharsetSource::Meta);
    }
    if std::str::from_utf8(bytes).is_ok() {
        return (UTF_8, CharsetSource::Detected);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let tld = url
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_string))
        .and_then(|h| h.rsplit('.').next().map(str::to_ascii_lowercase));
    let enc = detector.guess(
        tld.as_deref().map(str::as_bytes),
        chardetng::Utf8Detection::Allow,
    );
    (enc, CharsetSource::Detected)
}

/// Resolves a charset label the way browsers do. UTF-16 declared inside
/// the page cannot be true (the declaration was readable as ASCII), so it
/// means UTF-8; `x-user-defined` means windows-1252.
fn resolve_label(label: &[u8]) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(label)?;
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    if enc == encoding_rs::X_USER_DEFINED {
        return Some(WINDOWS_1252);
    }
    if enc == encoding_rs::REPLACEMENT {
        return None;
    }
    Some(enc)
}

/// The `charset=` parameter of a Content-Type value.
fn charset_param(content_type: &str) -> Option<&[u8]> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("charset") {
            let v = value.trim().trim_matches(['"', '\'']);
            (!v.is_empty()).then_some(v.as_bytes())
        } else {
            None
        }
    })
}

/// A charset from `<meta charset=...>` or
/// `<meta http-equiv="Content-Type" content="...; charset=...">`.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    static META: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i-u)<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([a-z0-9_:.+\-]+)"#)
            .expect("static regex")
    });
    META.captures_iter(head)
        .find_map(|c| c.get(1).and_then(|m| resolve_label(m.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_charset_wins_over_detection() {
        let (bytes, _, _) = WINDOWS_1252.encode("café “quoted” — done");
        let d = decode(&bytes, Some("text/html; charset=windows-1252"), None);
        assert_eq!(d.text, "café “quoted” — done");
        assert_eq!(d.source, CharsetSource::Header);
    }

    #[test]
    fn latin1_label_means_windows_1252() {
        let d = decode(
            b"caf\xe9 \x93q\x94",
            Some("text/html; charset=ISO-8859-1"),
            None,
        );
        assert_eq!(d.text, "café “q”");
    }

    #[test]
    fn meta_charset_is_found_in_both_forms() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("国連報告書");
        let mut page = b"<html><head><meta charset=\"Shift_JIS\"></head><body>".to_vec();
        page.extend_from_slice(&sjis);
        let d = decode(&page, Some("text/html"), None);
        assert!(d.text.contains("国連報告書"), "{}", d.text);
        assert_eq!(d.source, CharsetSource::Meta);

        let (gb, _, _) = encoding_rs::GB18030.encode("新疆报告");
        let mut page =
            b"<meta http-equiv='Content-Type' content='text/html; charset=gb2312'>".to_vec();
        page.extend_from_slice(&gb);
        let d = decode(&page, None, None);
        assert!(d.text.contains("新疆报告"), "{}", d.text);
    }

    #[test]
    fn bom_wins_over_everything() {
        let mut page = vec![0xEF, 0xBB, 0xBF];
        page.extend_from_slice("<meta charset=windows-1252>é".as_bytes());
        let d = decode(&page, Some("text/html; charset=iso-8859-2"), None);
        assert!(d.text.ends_with('é'));
        assert_eq!(d.source, CharsetSource::Bom);
    }

    #[test]
    fn undeclared_pages_are_detected() {
        let d = decode("plain ünïcödé".as_bytes(), None, None);
        assert_eq!(d.encoding, UTF_8);
        let text =
            "Москва заявила, что доклад ООН является незаконным и недействительным документом.";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let d = decode(&bytes, None, Some("https://example.ru/a"));
        assert_eq!(d.text, text);
    }

    #[test]
    fn malformed_bytes_become_replacement_characters() {
        let d = decode(
            b"ok \xff\xfe\xfd end",
            Some("text/html; charset=utf-8"),
            None,
        );
        assert!(d.had_errors);
        assert!(d.text.starts_with("ok ") && d.text.ends_with(" end"));
    }

    #[test]
    fn utf16_declared_in_meta_means_utf8() {
        let d = decode("<meta charset=utf-16>é".as_bytes(), None, None);
        assert!(d.text.ends_with('é'));
    }
}
