//! Waking on `NOTIFY paperhub_changes`.

use std::time::Duration;

use fallible_iterator::FallibleIterator;
use paperhub_store::{ChangeWatcher, Result, StoreError};
use postgres::{Client, NoTls};

/// The channel every write notifies, with the writer's schema and what changed as payload.
pub const CHANNEL: &str = "paperhub_changes";

/// A connection of its own that listens on [`CHANNEL`].
pub struct NotifyWatcher {
    client: Client,
    schema: String,
}

impl NotifyWatcher {
    pub(crate) fn connect(config: &postgres::Config, shown: &str) -> Result<Self> {
        let unavailable =
            |e: postgres::Error| StoreError::Unavailable(format!("listening at {shown}: {e}"));
        let mut client = config.connect(NoTls).map_err(unavailable)?;
        let schema: String = client
            .query_one("SELECT current_schema()", &[])
            .map_err(unavailable)?
            .get(0);
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .map_err(unavailable)?;
        Ok(Self { client, schema })
    }
}

impl ChangeWatcher for NotifyWatcher {
    fn wait(&mut self, timeout: Duration) -> Result<bool> {
        let schema = self.schema.clone();
        let ours = |payload: &str| payload.split(' ').next() == Some(schema.as_str());
        let failed = |e: postgres::Error| StoreError::Unavailable(e.to_string());
        let deadline = std::time::Instant::now() + timeout;
        let mut woken = false;
        // Until one of this schema's notifications (others' share the channel) or the deadline;
        // those queued behind it are taken too.
        while !woken {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let first = self
                .client
                .notifications()
                .timeout_iter(left)
                .next()
                .map_err(failed)?;
            let Some(n) = first else { break };
            woken |= ours(n.payload());
            let mut notifications = self.client.notifications();
            let mut queued = notifications.iter();
            while let Some(n) = queued.next().map_err(failed)? {
                woken |= ours(n.payload());
            }
        }
        if self.client.is_closed() {
            return Err(StoreError::Unavailable(
                "the listening connection closed".into(),
            ));
        }
        Ok(woken)
    }
}
