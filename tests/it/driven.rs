//! The library's checker driven by a test's own clock, for schedule tests
//! that must not sleep through intervals.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The checker of the library on a temp-dir database, with a clock the test
/// sets: the schedule is driven, not slept through.
pub struct Driven {
    pub rt: tokio::runtime::Runtime,
    pub handle: redline::store::StoreHandle,
    pub checker: redline::check::Checker,
    now: Arc<std::sync::atomic::AtomicI64>,
    _dir: tempfile::TempDir,
}

impl Driven {
    /// Starts with the clock at `start` and the test config's fetch limits.
    pub fn new(start: redline::model::Timestamp) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = redline::store::Store::open(&dir.path().join("driven.db")).unwrap();
        let handle = redline::store::StoreHandle::new(store);
        // The test servers are on 127.0.0.1, discovered targets too.
        let config = redline::config::Config::from_toml(
            "[fetch]\nper_host_gap = \"0s\"\n\n[discovery]\nallow_private = true\n",
            Path::new("test.toml"),
        )
        .unwrap();
        let now = Arc::new(std::sync::atomic::AtomicI64::new(start.millis()));
        let clock = {
            let now = Arc::clone(&now);
            Arc::new(move || redline::model::Timestamp(now.load(Ordering::SeqCst)))
        };
        let checker = redline::check::Checker::new(&config, Arc::new(handle.clone()))
            .unwrap()
            .with_clock(clock);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Self {
            rt,
            handle,
            checker,
            now,
            _dir: dir,
        }
    }

    /// Runs a store call to completion.
    pub fn store<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut redline::store::Store) -> Result<R, redline::store::StoreError>
        + Send
        + 'static,
    ) -> R {
        self.rt.block_on(self.handle.call(f)).unwrap()
    }

    /// Sets the clock to `at` (ms), checks the target at `url`, and returns
    /// the report with the target as stored afterwards.
    pub fn check_at(
        &self,
        url: &str,
        at: i64,
    ) -> (redline::check::CheckReport, redline::model::Target) {
        self.now.store(at, Ordering::SeqCst);
        let u = redline::model::TargetUrl::parse(url).unwrap();
        let target = self.store(move |s| Ok(s.target_by_url(&u)?.unwrap()));
        let report = self.rt.block_on(self.checker.check(&target));
        let u = redline::model::TargetUrl::parse(url).unwrap();
        let after = self.store(move |s| Ok(s.target_by_url(&u)?.unwrap()));
        (report, after)
    }
}
