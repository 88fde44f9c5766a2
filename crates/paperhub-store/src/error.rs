//! The store's one error type.

/// A store operation's result.
pub type Result<T> = std::result::Result<T, StoreError>;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A write clashed with a row already stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database's schema is newer than this binary knows: it was written by a later
    /// paperhub, and this one refuses to touch it.
    #[error(
        "the database is at schema version {found}, newer than this paperhub knows ({known}); upgrade paperhub"
    )]
    SchemaTooNew {
        /// The version the database records.
        found: u32,
        /// The newest version this binary has a migration for.
        known: u32,
    },
    /// The database cannot be reached (refused, timed out, closed).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StoreError {
    /// Wraps any error as [`StoreError::Other`].
    pub fn other(e: impl Into<anyhow::Error>) -> Self {
        StoreError::Other(e.into())
    }
}

/// Checks a database's schema version against the migrations a binary knows: newer is refused.
pub fn check_schema_version(found: u32, known: u32) -> Result<()> {
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    Ok(())
}
