//! One HTTP exchange as it happened on the wire, kept with a check so that
//! its capture can be exported as WARC `request` and `response` records:
//! the URL that answered, the heads sent and received, the body's digest
//! and the server's address.

/// The HTTP exchange behind a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The URL that answered (after redirects).
    pub url: String,
    /// Request line and headers sent, CRLF-separated, without the blank
    /// line that ends them.
    pub request_head: String,
    /// Status line and headers as received, likewise.
    pub response_head: String,
    /// SHA-256 of the body as received (after content decoding); `None`
    /// for a `304 Not Modified`, which has no body.
    pub payload_sha256: Option<[u8; 32]>,
    /// The server's IP address, when known.
    pub ip: Option<std::net::IpAddr>,
}

impl Exchange {
    /// SHA-256 of `body`.
    pub fn digest(body: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(body).into()
    }
}

/// One capture of a target as an archive sees it: a stored version, or an
/// unchanged check that matched one, with the exchange behind it when it
/// was kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureRow {
    /// When it was captured: the version's capture time, or the check's
    /// start for an unchanged check.
    pub at: super::Timestamp,
    /// What it was.
    pub kind: CaptureKind,
    /// HTTP status, when a server answered.
    pub status: Option<u16>,
    /// The exchange (`None` for captures recorded before exchanges were
    /// kept).
    pub exchange: Option<Exchange>,
}

/// What a capture stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureKind {
    /// This version was stored from it.
    Version(u32),
    /// It had the same wording as this version; its page was not kept.
    Unchanged(u32),
}
