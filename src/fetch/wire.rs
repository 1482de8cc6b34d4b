//! The heads of an HTTP/1.1 exchange written out as they went over the
//! wire, for the WARC `request` and `response` records of a capture: the
//! request line with the headers Redline sends, and the status line with
//! the headers the server sent, in the order they came.
//!
//! reqwest hands back the parsed response, not its bytes: header names come
//! lower-cased (HTTP/1.1 names are case-insensitive) and the reason phrase
//! is the standard one for the status. When reqwest decoded a compressed
//! body it has already removed `Content-Encoding` and `Content-Length`, so
//! the head kept describes the body that is kept.

use reqwest::header::HeaderMap;

/// A header value's bytes as text, each byte one character (Latin-1, the
/// HTTP/1.1 reading of octets that are not ASCII), so nothing is dropped
/// and the bytes come back exactly (`export::warc::head_bytes`).
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The request head: `GET /path?query HTTP/1.1`, `host`, then `headers` in
/// order. No trailing blank line.
pub fn request_head(url: &url::Url, headers: &[(&str, &str)]) -> String {
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    };
    let mut head = format!("GET {target} HTTP/1.1\r\nhost: {host}");
    for (name, value) in headers {
        head.push_str("\r\n");
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
    }
    head
}

/// The response head: status line, then each header as received, values
/// read as [`latin1`].
pub fn response_head(version: reqwest::Version, status: u16, headers: &HeaderMap) -> String {
    let version = match version {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    };
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut head = format!("{version} {status} {reason}")
        .trim_end()
        .to_string();
    for (name, value) in headers {
        head.push_str("\r\n");
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(&latin1(value.as_bytes()));
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn a_request_head_names_the_path_query_and_host_with_its_port() {
        let url = url::Url::parse("http://127.0.0.1:8080/a/b?x=1&y=2").unwrap();
        assert_eq!(
            request_head(&url, &[("user-agent", "r/1"), ("if-none-match", "\"e\"")]),
            "GET /a/b?x=1&y=2 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nuser-agent: r/1\r\nif-none-match: \"e\""
        );
        let url = url::Url::parse("https://e.example").unwrap();
        assert_eq!(request_head(&url, &[]), "GET / HTTP/1.1\r\nhost: e.example");
    }

    #[test]
    fn a_response_head_keeps_repeated_headers_and_odd_bytes() {
        let mut h = HeaderMap::new();
        h.append("set-cookie", HeaderValue::from_static("a=1"));
        h.append("set-cookie", HeaderValue::from_static("b=2"));
        h.append("x-name", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let head = response_head(reqwest::Version::HTTP_11, 200, &h);
        assert_eq!(
            head,
            "HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx-name: caf\u{e9}"
        );
        // An unregistered status has no reason phrase, and no trailing space.
        let odd = response_head(reqwest::Version::HTTP_10, 299, &HeaderMap::new());
        assert_eq!(odd, "HTTP/1.0 299");
    }
}
