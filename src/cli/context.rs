//! What every command gets: the validated config and the way to the store
//! (for writing, synced with the config file; or read-only for reports).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::config::{Config, ConfigError, ConfigOrigin};
use crate::model::{Target, TargetSettings, TargetUrl, Timestamp};
use crate::store::{History, Storage};

use super::GlobalArgs;

/// A mistake in how a command was called (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// What every command gets.
#[derive(Debug)]
pub struct Context {
    /// The validated config.
    pub config: Config,
    /// The database file.
    pub db_path: PathBuf,
}

impl Context {
    /// Loads the config and resolves the database path.
    pub fn load(global: &GlobalArgs) -> Result<Self, ConfigError> {
        let config = Config::discover(global.config.as_deref())?;
        let db_path = global
            .db
            .clone()
            .unwrap_or_else(|| config.storage.database.clone());
        Ok(Self { config, db_path })
    }

    /// Opens the store for a command that writes.
    pub async fn store(&self) -> anyhow::Result<Arc<dyn Storage>> {
        let path = self.db_path.clone();
        tokio::task::spawn_blocking(move || crate::store::open(&path))
            .await
            .context("opening the database")?
            .context("opening the database")
    }

    /// Opens the store for a command that writes, and makes its config
    /// targets and sources match the config file (nothing is synced when
    /// no config file was found).
    pub async fn storage(&self) -> anyhow::Result<Arc<dyn Storage>> {
        let store = self.store().await?;
        self.sync_config(store).await
    }

    /// Opens the store for the command that fetches (`run`, `check`,
    /// `sources --poll`, named by `what`): refused while another process
    /// fetches for the database; config synced as by [`Self::storage`].
    pub async fn fetching_storage(&self, what: &'static str) -> anyhow::Result<Arc<dyn Storage>> {
        let path = self.db_path.clone();
        let store = tokio::task::spawn_blocking(move || crate::store::open_fetching(&path, what))
            .await
            .context("opening the database")?
            .context("opening the database")?;
        self.sync_config(store).await
    }

    async fn sync_config(&self, store: Arc<dyn Storage>) -> anyhow::Result<Arc<dyn Storage>> {
        if let ConfigOrigin::File(path) = &self.config.origin {
            let settings: Vec<TargetSettings> = self
                .config
                .targets
                .iter()
                .map(|t| TargetSettings {
                    url: t.url.clone(),
                    name: t.name.clone(),
                    interval: t.interval,
                    selector: t.selector.as_ref().map(|s| s.as_str().to_string()),
                    ignore: t.ignore.iter().map(|r| r.as_str().to_string()).collect(),
                    exclude: t.exclude.iter().map(|e| e.as_str().to_string()).collect(),
                    tags: t.tags.clone(),
                    robots_txt: t.robots_txt,
                })
                .collect();
            let report = store
                .sync_config_targets(settings, Timestamp::now())
                .await
                .with_context(|| format!("applying the targets of {}", path.display()))?;
            for url in &report.added {
                tracing::info!(url, "target added from the config");
            }
            for url in &report.removed {
                tracing::info!(
                    url,
                    "target no longer in the config: not checked any more, history kept"
                );
            }
            let sources: Vec<_> = self
                .config
                .sources
                .iter()
                .map(|s| (s.url.clone(), s.kind, s.settings.clone()))
                .collect();
            let report = store
                .sync_config_sources(sources, Timestamp::now())
                .await
                .with_context(|| format!("applying the sources of {}", path.display()))?;
            for url in &report.added {
                tracing::info!(url, "source added from the config");
            }
            for url in &report.removed {
                tracing::info!(
                    url,
                    "source no longer in the config: not polled any more; its targets run out their tracking"
                );
            }
        }
        Ok(store)
    }

    /// Opens the store for a report: read-only when it is up to date, so
    /// reports never wait for the daemon's writes.
    pub async fn reports(&self) -> anyhow::Result<Arc<dyn History>> {
        let path = self.db_path.clone();
        tokio::task::spawn_blocking(move || crate::store::open_reports(&path))
            .await
            .context("opening the database")?
            .context("opening the database")
    }
}

/// Looks a watched target up, or explains that the URL is not watched.
pub(crate) async fn find_target(store: &dyn History, url: &TargetUrl) -> anyhow::Result<Target> {
    store.target_by_url(url.clone()).await?.ok_or_else(|| {
        anyhow::anyhow!("{url} is not watched (see `redline list`, or add it with `redline add`)")
    })
}

/// Runs a command's async body on a runtime of the calling thread (the
/// daemon and `check` start a multi-threaded one instead: [`runtime`]).
pub(crate) fn block_on<T>(
    f: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(f)
}
