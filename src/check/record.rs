//! Recording a check: read the target's recent past, decide with the pure
//! functions of `decide`, commit, and read and decide again on a conflict;
//! for a page that was read, one that matched without reading, one that is
//! gone, and a failure.

use std::sync::Arc;
use std::time::Instant;

use super::decide::{self, Basis, PageFacts};
use super::*;

impl Checker {
    /// Reads what the check needs of its target, lets `build` decide what
    /// to write, and commits it; when a version was stored meanwhile it
    /// reads and decides again, twice at most. A lost lease is final: the
    /// worker that holds the target now records its own check.
    pub(super) async fn record<T: Send + 'static>(
        &self,
        target: TargetId,
        window: usize,
        capture: Option<Arc<Capture>>,
        build: impl Fn(&Recent) -> (Option<CheckCommit>, T),
    ) -> Result<(T, Recent), CheckError> {
        let mut attempt = 0;
        loop {
            let c = capture.clone();
            let recent = self.storage.recent(target, window, c).await?;
            let (commit, out) = build(&recent);
            let Some(commit) = commit else {
                return Ok((out, recent));
            };
            match self.storage.commit_check(commit).await {
                Ok(()) => return Ok((out, recent)),
                Err(StoreError::Conflict { retry: true, .. }) if attempt < 2 => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    pub(super) async fn record_unchanged(
        &self,
        target: &Target,
        lease: Option<Timestamp>,
        facts: &mut CheckFacts,
        clock: Instant,
        cache: PageCache,
    ) -> Recorded {
        facts.duration = clock.elapsed();
        let next = self.next_after(target, None);
        let retired = retire_reason(&next);
        let labels = labels(target);
        let f = facts.clone();
        let (outcome, recent) = self
            .record(target.id, 0, None, |recent| {
                let basis = Basis {
                    target: target.id,
                    lease,
                    facts: &f,
                    recent,
                };
                let recovered = if recent.failing_alerted {
                    labels.recovered(&self.alerter)
                } else {
                    Vec::new()
                };
                match decide::unchanged_commit(basis, &cache, next.clone(), recovered) {
                    Some((commit, outcome)) => (Some(commit), Some(outcome)),
                    // Nothing to match: the check fails (and is recorded so).
                    None => (None, None),
                }
            })
            .await?;
        match outcome {
            Some(outcome) => {
                if recent.failing_alerted {
                    log_recovered(&labels);
                }
                Ok((outcome, retired))
            }
            None => Err(CheckError::Task(NO_VERSION_TO_MATCH.into())),
        }
    }

    pub(super) async fn process_page(
        &self,
        target: &Target,
        lease: Option<Timestamp>,
        page: FetchedPage,
        facts: &mut CheckFacts,
        clock: Instant,
        cache: PageCache,
    ) -> Recorded {
        let rules = self.rules(target, self.rules_fingerprint(target))?;
        let policy = &rules.policy;
        let prepared = {
            let _cpu = self.cpu.acquire().await.ok();
            let rules = Arc::clone(&rules);
            tokio::task::spawn_blocking(move || {
                prepare(page, rules.selector.as_ref(), &rules.exclude)
            })
            .await
            .map_err(|e| CheckError::Task(e.to_string()))?
        };
        facts.duration = clock.elapsed();
        let published = prepared
            .capture
            .published
            .as_deref()
            .and_then(crate::schedule::parse_published);
        let page = PageFacts {
            cache,
            published,
            next: self.next_after(target, published),
            raw_html: self.raw_html,
        };
        let retired = retire_reason(&page.next);
        // Versions beyond the latest are read for revert detection.
        let window = policy.revert_window as usize + 1;
        let labels = labels(target);
        let f = facts.clone();
        let ((outcome, recovered), _) = self
            .record(
                target.id,
                window,
                Some(Arc::clone(&prepared.capture)),
                |recent| {
                    let decision = decide::classify(policy, &prepared, recent);
                    let mut deliveries = decide::outbox_for(
                        &self.alerter,
                        &decision,
                        recent,
                        &prepared.capture,
                        &labels,
                        f.started_at,
                    );
                    let recovered =
                        recent.failing_alerted && !matches!(decision, StoreDecision::Error { .. });
                    if recovered {
                        deliveries.extend(labels.recovered(&self.alerter));
                    }
                    let basis = Basis {
                        target: target.id,
                        lease,
                        facts: &f,
                        recent,
                    };
                    let (commit, outcome) = decide::page_commit(
                        basis,
                        decision,
                        &prepared.capture,
                        page.clone(),
                        deliveries,
                    );
                    (Some(commit), (outcome, recovered))
                },
            )
            .await?;
        if recovered {
            log_recovered(&labels);
        }
        // A page declaring a canonical URL already watched: one article,
        // watched once.
        let canonical = prepared
            .capture
            .canonical
            .as_deref()
            .and_then(crate::model::canon::key_of);
        if let (CaptureOutcome::New { .. } | CaptureOutcome::Changed { .. }, Some(key)) =
            (&outcome, canonical)
        {
            let (id, title, at) = (target.id, prepared.capture.title.clone(), f.started_at);
            let merged = self.storage.merge_canonical(id, key, title, at).await?;
            if let Some(m) = merged {
                tracing::info!(url = %m.retired, kept = %m.kept, "duplicate target retired: both pages declare the same rel=canonical URL");
                if m.retired == target.url.as_str() {
                    return Ok((outcome, Some(m.reason)));
                }
            }
        }
        Ok((outcome, retired))
    }

    /// Records that a page is gone (`410`, or `404` several times): its
    /// disappearance is a `removed` change when it had versions, and the
    /// target retires.
    pub(super) async fn record_gone(
        &self,
        target: &Target,
        lease: Option<Timestamp>,
        facts: &CheckFacts,
        reason: String,
    ) -> Recorded {
        let nothing = Capture {
            hash: crate::model::ContentHash([0; 32]),
            title: String::new(),
            text: String::new(),
            byline: None,
            published: None,
            modified: None,
            canonical: None,
            description: None,
            final_url: target.url.to_string(),
            raw_html: Vec::new(),
        };
        let page = PageFacts {
            cache: PageCache::default(),
            published: None,
            next: Next::Retire(reason.clone()),
            raw_html: self.raw_html,
        };
        let labels = labels(target);
        let capture = Arc::new(nothing.clone());
        let (outcome, _) = self
            .record(target.id, 1, Some(capture), |recent| {
                let decision = decide::gone_decision(recent, &nothing, &reason);
                let deliveries = decide::outbox_for(
                    &self.alerter,
                    &decision,
                    recent,
                    &nothing,
                    &labels,
                    facts.started_at,
                );
                let basis = Basis {
                    target: target.id,
                    lease,
                    facts,
                    recent,
                };
                let (commit, outcome) =
                    decide::page_commit(basis, decision, &nothing, page.clone(), deliveries);
                (Some(commit), outcome)
            })
            .await?;
        Ok((outcome, Some(reason)))
    }

    /// Records a failed check: the error, the streaks, the back-off (or
    /// retirement), and `target.failing` once the failures reach
    /// `failing_after`. Returns why the target retired, if it did.
    pub(super) async fn record_failure(
        &self,
        target: &Target,
        lease: Option<Timestamp>,
        facts: &CheckFacts,
        error: &CheckError,
        misses: u32,
    ) -> Result<Option<String>, CheckError> {
        let message = error.to_string();
        let labels = labels(target);
        let ((next, failing), _) = self
            .record(target.id, 0, None, |recent| {
                let failures = recent.failures + 1;
                // robots.txt refusals are not the site failing: no back-off.
                let next = match error {
                    CheckError::Robots(_) => self.next_after(target, None),
                    CheckError::Fetch(FetchError::Status { retry_after, .. }) => {
                        self.next_after_failure(target, failures, *retry_after)
                    }
                    _ => self.next_after_failure(target, failures, None),
                };
                let failing =
                    decide::failing_due(failures, recent.failing_alerted, self.failing_after);
                let deliveries = if failing {
                    labels.failing(&self.alerter, failures, &message)
                } else {
                    Vec::new()
                };
                let basis = Basis {
                    target: target.id,
                    lease,
                    facts,
                    recent,
                };
                let commit = decide::failure_commit(
                    basis,
                    &message,
                    misses,
                    next.clone(),
                    deliveries,
                    failing,
                );
                (Some(commit), (next, failing))
            })
            .await?;
        if failing {
            self.alerter
                .target_event(&target.url, "target.failing", &message);
        }
        Ok(retire_reason(&next))
    }
}
