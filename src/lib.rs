//! Redline watches news articles after publication and records every change
//! to their wording.
//!
//! The pipeline for one check of one target is
//! fetch → decode → extract → normalise → read → decide → commit → alert.
//! Data flows one way, down: [`cli`] → [`daemon`] → [`check`] → (fetch,
//! extract, detect, diff) → [`store`], with [`model`] the records between
//! them; no module imports one above it.
//!
//!
//! - [`model`] holds the records every layer passes around (targets,
//!   checks, versions, sources, deliveries) and the values they are made of
//!   (URLs and their identity, ids, timestamps, durations);
//! - [`config`] parses and validates `redline.toml` into the settings each
//!   module below defines (fetch, politeness, alert sinks, ignore rules);
//! - [`fetch`] downloads a page with one shared HTTP client, under a time and
//!   size budget, conditionally when it has validators;
//! - [`polite`] applies per-host limits (requests in flight, gap between
//!   requests, `Retry-After`; their state is the store's) and caches
//!   robots.txt, which [`robots`] reads; its `PoliteClient` is the one way
//!   article checks and source polls reach a site;
//! - [`decode`] turns the bytes into UTF-8 text whatever the page's charset;
//! - [`extract`] finds the article (headline, body paragraphs, byline, dates);
//! - [`text`] normalises the article text and splits it into words;
//! - [`detect`] decides what a capture is — unchanged, a new version, a
//!   revert, a suspect page — and classifies every change;
//! - [`diff`] computes and renders word-level differences between versions;
//! - [`store`] keeps targets, checks, versions, diffs, sources, the alert
//!   outbox and per-host politeness state: the storage traits
//!   (`store::api`; reports read through `History`), their conformance
//!   suite, and the SQLite backend (`store::sqlite`, the only code that
//!   speaks SQL);
//! - [`check`] runs the pipeline for a target: it reads, decides with pure
//!   functions (`check::decide`) and commits one write per check;
//! - [`schedule`] decides when each target is due (its `Scheduler`): the
//!   article-age tiers, fixed intervals, back-off and retirement;
//! - [`alert`] tells the configured sinks about each change: log events, and
//!   signed webhooks delivered from a durable outbox;
//! - [`discover`] polls sources (feeds, sitemaps, section pages) for new
//!   article URLs and turns them into targets, once per article;
//! - [`daemon`] supervises the long-running tasks of `redline run` and shuts
//!   them down cleanly;
//! - [`metrics`] keeps the counters behind the summary line and the
//!   Prometheus endpoint;
//! - [`report`] holds the read models every report shows (`--json`, and
//!   later the web pages, feeds, API and exports), with cursor paging;
//! - [`cli`] implements the command line, one file per command, reaching
//!   the store only through its traits;
//! - [`eval`] scores the extractor against a benchmark of known articles.

pub mod alert;
pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod decode;
pub mod detect;
pub mod diff;
pub mod discover;
pub mod eval;
pub mod export;
pub mod extract;
pub mod fetch;
pub mod metrics;
pub mod model;
pub mod polite;
pub mod report;
pub mod robots;
pub mod schedule;
pub mod store;
pub mod text;
pub mod web;
