//! Small persistent values: harvest checkpoints and the like.

use crate::Result;

/// Named values that outlive a process, such as where a harvest stopped.
pub trait CheckpointStore: Send + Sync {
    /// A small persistent value.
    fn get_state(&self, name: &str) -> Result<Option<String>>;

    /// Sets a value read by [`CheckpointStore::get_state`].
    fn set_state(&self, name: &str, value: &str) -> Result<()>;

    /// Every value, by name (for `paperhub copy`). The store's own bookkeeping (its change
    /// counter) is not among them.
    fn all_states(&self) -> Result<Vec<(String, String)>>;
}
