//! A host's politeness as records: the rules its requests follow and why
//! one cannot start now.

use std::time::Duration;

/// The politeness settings of one host (from `[fetch]` and `[[host]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostRules {
    /// Requests in flight.
    pub concurrency: u32,
    /// Minimum time between request starts.
    pub gap: Duration,
    /// Whether robots.txt is obeyed.
    pub robots_txt: bool,
}

/// Why a host's gate does not let a request start now. Times are relative,
/// so that each keeper of the gates judges them by its own clock (a
/// process by its monotonic clock, a shared database by its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The host has its full number of requests in flight.
    Full,
    /// Its gap (or a `Retry-After`) runs for this long yet.
    For(Duration),
}
