//! WARC/1.1 records (ISO 28500:2017), written by hand: the header lines,
//! CRLF, the block and the two CRLFs that end a record, each record
//! gzipped as a member of its own so that an index can address it by
//! offset and length in the `.warc.gz` file (the `warc` crate gzips a
//! whole file as one stream, which would break that).
//!
//! Digests are SHA-256 in the labelled form the standard allows,
//! `sha256:` followed by the RFC 4648 base32 of the digest. Record IDs are
//! UUIDs (RFC 9562 version 8) derived from what the record says, so the
//! same history exports to the same IDs.

use std::io::{self, Write};

use crate::model::Timestamp;

/// The kinds of WARC record Redline writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordType {
    Warcinfo,
    Request,
    Response,
    Resource,
    Revisit,
    Conversion,
    Metadata,
}

impl RecordType {
    /// The `WARC-Type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warcinfo => "warcinfo",
            Self::Request => "request",
            Self::Response => "response",
            Self::Resource => "resource",
            Self::Revisit => "revisit",
            Self::Conversion => "conversion",
            Self::Metadata => "metadata",
        }
    }
}

/// The WARC 1.1 revisit profile for a payload identical to one archived
/// before (the digest names it).
pub const IDENTICAL_PAYLOAD: &str =
    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest";
/// The WARC 1.1 revisit profile for a `304 Not Modified`.
pub const SERVER_NOT_MODIFIED: &str = "http://netpreserve.org/warc/1.1/revisit/server-not-modified";

/// A `<urn:uuid:…>` record ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordId(String);

impl RecordId {
    /// The ID derived from `seed` (what makes the record unique): a UUID
    /// of version 8 whose bits are the seed's SHA-256.
    pub fn derive(seed: &str) -> Self {
        let d = sha256(seed.as_bytes());
        let mut b = [0_u8; 16];
        b.copy_from_slice(&d[..16]);
        b[6] = (b[6] & 0x0f) | 0x80;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Self(format!(
            "<urn:uuid:{}-{}-{}-{}-{}>",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        ))
    }

    /// The ID as written, angle brackets included.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One record to write: its type, ID, date, the named fields besides the
/// ones every record has, and its block in parts.
#[derive(Debug)]
pub struct Record<'a> {
    pub kind: RecordType,
    pub id: &'a RecordId,
    pub date: Timestamp,
    pub target_uri: Option<&'a str>,
    pub content_type: &'a str,
    /// More named fields, in order (`WARC-Refers-To`, `WARC-Profile`, …).
    pub fields: Vec<(&'static str, String)>,
    /// The block, in parts written one after another.
    pub block: &'a [&'a [u8]],
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

/// The labelled digest, `sha256:` and the base32 of `digest`.
pub fn labelled(digest: &[u8; 32]) -> String {
    format!("sha256:{}", base32(digest))
}

/// RFC 4648 base32 (upper case, `=` padding).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0_u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0_u64, |acc, &b| (acc << 8) | u64::from(b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                let index = (bits >> (35 - 5 * i)) & 0x1f;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `WARC-Date`: UTC, to the millisecond (WARC 1.1 allows fractions of a
/// second; two captures in one second stay in order).
pub fn warc_date(at: Timestamp) -> String {
    let frac = at.millis().rem_euclid(1000);
    let t = utc(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{frac:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The UTC time of `at`, to the second.
pub fn utc(at: Timestamp) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(at.millis().div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The record's bytes before compression: header, blank line, block, and
/// the two CRLFs that end it.
pub fn record_bytes(r: &Record<'_>) -> Vec<u8> {
    let length: usize = r.block.iter().map(|p| p.len()).sum();
    let mut block_digest = <sha2::Sha256 as sha2::Digest>::new();
    for part in r.block {
        sha2::Digest::update(&mut block_digest, part);
    }
    let block_digest: [u8; 32] = sha2::Digest::finalize(block_digest).into();
    let mut head = String::with_capacity(512);
    head.push_str("WARC/1.1\r\n");
    let mut field = |name: &str, value: &str| {
        head.push_str(name);
        head.push_str(": ");
        // A field value never spans lines.
        head.extend(
            value
                .chars()
                .map(|c| if c == '\r' || c == '\n' { ' ' } else { c }),
        );
        head.push_str("\r\n");
    };
    field("WARC-Type", r.kind.as_str());
    field("WARC-Record-ID", r.id.as_str());
    field("WARC-Date", &warc_date(r.date));
    if let Some(uri) = r.target_uri {
        field("WARC-Target-URI", uri);
    }
    for (name, value) in &r.fields {
        field(name, value);
    }
    field("WARC-Block-Digest", &labelled(&block_digest));
    field("Content-Type", r.content_type);
    field("Content-Length", &length.to_string());
    let mut out = Vec::with_capacity(head.len() + length + 6);
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(b"\r\n");
    for part in r.block {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// Writes `r` as one gzip member to `out`; returns the member's length.
pub fn write_record(out: &mut impl Write, r: &Record<'_>) -> io::Result<u64> {
    let raw = record_bytes(r);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw)?;
    let member = gz.finish()?;
    out.write_all(&member)?;
    Ok(member.len() as u64)
}

/// A stored head (kept as Latin-1 text: each character one byte) back as
/// the bytes that went over the wire.
pub fn head_bytes(head: &str) -> Vec<u8> {
    head.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// A response head made to describe the body as it is kept: the body is
/// kept de-chunked (and decoded, where the client decoded it and already
/// dropped `Content-Encoding` and `Content-Length`), so a
/// `Transfer-Encoding` or a `Content-Length` that no longer holds is kept
/// under the `X-Archive-Orig-` prefix that replay tools know, and the true
/// `Content-Length` is added when the head has no true one.
pub fn head_for_kept_body(head: &str, body_len: usize) -> String {
    let mut lines = head.split("\r\n");
    let mut out = lines.next().unwrap_or("").to_string();
    let mut has_length = false;
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let name = name.trim();
        let length = name.eq_ignore_ascii_case("content-length");
        let true_length = length && value.trim() == body_len.to_string();
        has_length |= true_length;
        out.push_str("\r\n");
        if name.eq_ignore_ascii_case("transfer-encoding") || (length && !true_length) {
            out.push_str("X-Archive-Orig-");
        }
        out.push_str(line);
    }
    if !has_length {
        out.push_str(&format!("\r\ncontent-length: {body_len}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc_4648_test_vectors() {
        // RFC 4648 section 10.
        for (input, want) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(base32(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn a_sha256_of_nothing_is_labelled_in_base32() {
        // SHA-256("") = e3b0c442…b855; its base32 as `base32` of coreutils
        // prints it.
        assert_eq!(
            labelled(&sha256(b"")),
            "sha256:4OYMIQUY7QOBJGX36TEJS35ZEQT24QPEMSNZGTFESWMRW6CSXBKQ===="
        );
    }

    #[test]
    fn record_ids_are_version_8_uuids_and_stable() {
        let a = RecordId::derive("x");
        assert_eq!(a, RecordId::derive("x"));
        assert_ne!(a, RecordId::derive("y"));
        let s = a.as_str();
        assert!(s.starts_with("<urn:uuid:") && s.ends_with('>'), "{s}");
        let uuid = &s[10..s.len() - 1];
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "8", "version nibble: {uuid}");
        assert!("89ab".contains(&uuid[19..20]), "variant: {uuid}");
    }

    #[test]
    fn a_record_has_its_length_digest_and_ending() {
        let id = RecordId::derive("r");
        let r = Record {
            kind: RecordType::Resource,
            id: &id,
            date: Timestamp(1_700_000_000_123),
            target_uri: Some("https://e.example/a"),
            content_type: "text/plain",
            fields: vec![("WARC-Refers-To", "<urn:uuid:x>\r\nInjected: 1".into())],
            block: &[b"ab", b"c"],
        };
        let bytes = String::from_utf8(record_bytes(&r)).unwrap();
        assert!(
            bytes.starts_with("WARC/1.1\r\nWARC-Type: resource\r\n"),
            "{bytes}"
        );
        assert!(
            bytes.contains("WARC-Date: 2023-11-14T22:13:20.123Z\r\n"),
            "{bytes}"
        );
        assert!(
            bytes.contains("Content-Length: 3\r\n\r\nabc\r\n\r\n"),
            "{bytes}"
        );
        assert!(bytes.contains(&format!(
            "WARC-Block-Digest: {}\r\n",
            labelled(&sha256(b"abc"))
        )));
        // A value cannot add a header line.
        assert!(!bytes.contains("\r\nInjected"), "{bytes}");
    }

    #[test]
    fn each_record_is_a_gzip_member_of_its_own() {
        let id = RecordId::derive("r");
        let r = Record {
            kind: RecordType::Metadata,
            id: &id,
            date: Timestamp(0),
            target_uri: None,
            content_type: "application/json",
            fields: vec![],
            block: &[b"{}"],
        };
        let mut out = Vec::new();
        let first = write_record(&mut out, &r).unwrap();
        let second = write_record(&mut out, &r).unwrap();
        assert_eq!(out.len() as u64, first + second);
        let mut one = Vec::new();
        io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&out[first as usize..]),
            &mut one,
        )
        .unwrap();
        assert_eq!(one, record_bytes(&r));
    }

    #[test]
    fn a_kept_body_gets_a_true_length_and_the_wire_framing_is_renamed() {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked";
        assert_eq!(
            head_for_kept_body(head, 12),
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nX-Archive-Orig-transfer-encoding: chunked\r\ncontent-length: 12"
        );
        let exact = "HTTP/1.1 200 OK\r\nContent-Length: 12";
        assert_eq!(head_for_kept_body(exact, 12), exact);
        assert_eq!(
            head_for_kept_body(exact, 9),
            "HTTP/1.1 200 OK\r\nX-Archive-Orig-Content-Length: 12\r\ncontent-length: 9"
        );
        assert_eq!(head_bytes("x: caf\u{e9}"), b"x: caf\xe9");
    }
}
