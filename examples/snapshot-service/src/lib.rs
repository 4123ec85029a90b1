//! An example downstream crate: a small backup service for one DSW instance, written on the
//! `snapshots` facade as a user of the SDK would write it. It knows nothing of the emulator:
//! its tests (`tests/backups.rs`) start `snapshot_emulator` in process, seeded with an
//! instance and an existing snapshot, point the client at it with
//! [`snapshots::ClientBuilder::origin`], and inject faults from Rust. That is the answer to
//! "how do I test my code that uses this SDK": the real wire (signatures, errors, retries,
//! state machines), no mocks, no network.
//!
//! ```no_run
//! # async fn run() -> Result<(), snapshot_service::BackupError> {
//! let client = snapshots::Client::builder().build()?; // the credentials chain, cn-hangzhou
//! let backups = snapshot_service::Backups::new(client, "dsw-0123456789abcdef");
//! let id = backups.back_up("nightly-2026-12-01", "registry.example/team/env:nightly").await?;
//! let deleted = backups.prune(7).await?;
//! # let _ = (id, deleted);
//! # Ok(()) }
//! ```

use futures::TryStreamExt;
use snapshots::paginate::Paginate;
use snapshots::{validate, wait, Client};
use std::time::Duration;

/// Why a backup did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The SDK's error: invalid input, a service error, a transport failure, a timeout.
    #[error(transparent)]
    Sdk(#[from] snapshots::Error),
    /// The service answered without the snapshot's id or name.
    #[error("the service answered without {0}")]
    Incomplete(&'static str),
}

/// Backups of one DSW instance: snapshots pushed to an image registry.
#[derive(Debug, Clone)]
pub struct Backups {
    client: Client,
    instance: String,
    poll_interval: Duration,
}

impl Backups {
    /// The backups of `instance`, through `client`.
    pub fn new(client: Client, instance: impl Into<String>) -> Self {
        Self {
            client,
            instance: instance.into(),
            poll_interval: Duration::from_secs(5),
        }
    }

    /// How often [`back_up`](Self::back_up) polls while the image is pushed (default 5 s).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Snapshots the instance as `name` into `image_url`, waits until it is saved, and
    /// returns its id. A push that fails ends with the service's reason.
    pub async fn back_up(&self, name: &str, image_url: &str) -> Result<String, BackupError> {
        let name = validate::dsw_snapshot_name(name)?;
        let dsw = self.client.dsw()?;
        let created = dsw
            .create_instance_snapshot()
            .instance_id(&self.instance)
            .body_map(|b| b.snapshot_name(name).image_url(image_url))
            .send()
            .await
            .map_err(snapshots::Error::from)?
            .into_inner();
        let id = created
            .snapshot_id
            .ok_or(BackupError::Incomplete("SnapshotId"))?;
        wait::until(snapshots::pai_dsw::waiters::instance_snapshot(
            dsw,
            &self.instance,
            &id,
        ))
        .poll_interval(self.poll_interval)
        .await?;
        Ok(id)
    }

    /// Every snapshot of the instance as `(creation time, id, name)`, oldest first.
    pub async fn list(&self) -> Result<Vec<(String, String, String)>, BackupError> {
        let mut all: Vec<(String, String, String)> = self
            .client
            .dsw()?
            .list_instance_snapshot()
            .instance_id(&self.instance)
            .items()
            .map_ok(|s| {
                let created = s.gmt_create_time.unwrap_or_default();
                (
                    created,
                    s.snapshot_id.unwrap_or_default(),
                    s.snapshot_name.unwrap_or_default(),
                )
            })
            .try_collect()
            .await?;
        all.sort();
        Ok(all)
    }

    /// Deletes every snapshot but the newest `keep`; how many were deleted.
    pub async fn prune(&self, keep: usize) -> Result<usize, BackupError> {
        let all = self.list().await?;
        let excess = all.len().saturating_sub(keep);
        let dsw = self.client.dsw()?;
        for (_, id, _) in &all[..excess] {
            dsw.delete_instance_snapshot()
                .instance_id(&self.instance)
                .snapshot_id(id)
                .send()
                .await
                .map_err(snapshots::Error::from)?;
        }
        Ok(excess)
    }
}
