//! Integration tests, compiled as one binary. Every test serves its pages
//! from a local server on 127.0.0.1 and drives the real `redline` binary on a
//! temp-dir database.

mod harness;

/// Webhook alerts: outages, 410, slow receivers, signatures, crash safety.
mod alerts;
/// The web pages in headless Chromium: screenshots, the rendered diff, and
/// no request beyond 127.0.0.1.
mod browser;
/// Legacy charsets decoded to the right text.
mod charsets;
/// Config errors, config-vs-database targets, and the report commands.
mod cli;
/// A daemon killed at random moments: nothing lost, nothing half-written.
mod crashes;
/// `redline run`: scheduling and clean shutdown on SIGTERM.
mod daemon;
/// Discovery: feeds, sitemaps and section pages becoming targets once.
mod discovery;
/// Archives and exports: WARC, WACZ, JSON Lines and CSV checked by the
/// archiving world's own tools.
mod export;
/// Failing targets: HTTP errors, refused connections, timeouts, huge bodies.
mod failures;
/// Change fidelity: validators that never hide an edit, hand-added targets
/// that never retire by age, volatile metadata, short articles with wall
/// phrases.
mod fidelity;
/// Hostile servers: redirect loops, compression bombs, endless and
/// malformed responses.
mod hostile;
/// Noise, suspect pages, flapping, user rules, classes and readable diffs.
mod noise;
/// Versions, unchanged checks, edits, headline changes and page noise.
mod pipeline;
/// A server that writes whatever bytes a test wants.
mod raw;
/// Many targets: politeness per host, Retry-After, robots.txt, conditional
/// requests, the age schedule, gone pages, restarts and metrics.
mod scale;
/// The noise scenario generator: churn, edits, walls and reverts, counted.
mod scenarios;
/// Search of history: where a phrase was removed, added or is.
mod search;
/// An HTTPS server with a certificate from a test authority.
mod tls;
/// The web front: every page, escaping, tokens, and `run`/`serve` on a socket.
mod web;
/// The read API and the Atom feeds: paging, NDJSON, ETags, OpenAPI.
mod web_api;
