//! The storage interface of paperhub: what any database behind the hub must do.
//!
//! This crate owns the store's traits, split by concern ([`PaperStore`] for papers and their
//! day listings, [`EmbeddingStore`] for their vectors, [`CheckpointStore`] for harvest
//! checkpoints, [`AccountStore`] for accounts and their API tokens, [`VoteStore`] for upvotes, [`CommentStore`] for comments,
//! [`SubmissionStore`] for who submitted a paper, [`SubscriptionStore`] for digest subscriptions
//! and their single-use tokens, [`OutboxStore`] for the mail that goes out exactly once, [`LibraryStore`] for members' tags, notes and seen marks), the rows they return, [`StoreError`], the rule that decides which record is which
//! paper ([`matching`]), the copy between stores ([`copy`]) and the conformance suite every
//! backend passes. It chooses no driver: SQLite (the embedded default) lives in
//! `paperhub-store-sqlite`, PostgreSQL (several nodes on one database) in
//! `paperhub-store-postgres`.
//!
//! The traits are synchronous: the hub's work around them (the index, the model) is CPU work
//! on blocking threads, and async callers (the web hub) run hub calls on tokio's blocking pool.
//!
//! Every change to a paper gets a new *sequence number* from one counter, handed out in commit
//! order (a writer holds the counter until it commits). The search index remembers the last
//! sequence number it holds, so after a crash between committing a batch to the store and to
//! the index, or when another node wrote to a shared database, the index catches up from
//! [`PaperStore::changes_since`]: store and index never disagree for longer than a catch-up.

mod accounts;
mod changes;
mod checkpoints;
mod comments;
pub mod copy;
mod embeddings;
mod error;
mod library;
mod mail;
pub mod matching;
mod papers;
mod submissions;
mod votes;

pub use accounts::{
    decode_account, from_unix, to_unix, Account, AccountStore, ApiToken, NewAccount,
};
pub use changes::{ChangeWatcher, PollingWatcher};
pub use checkpoints::CheckpointStore;
pub use comments::{Comment, CommentStore};
pub use embeddings::{EmbeddingStore, StoredEmbedding};
pub use error::{check_schema_version, Result, StoreError};
pub use library::{Label, LibraryStore, SavedSearch, TagEntry, TagSummary};
pub use mail::{
    check_token, decode_subscription, decode_topics, encode_topics, like_prefix, merge, Finish,
    Merge, NewMail, NewSubscription, OutboxCounts, OutboxMail, OutboxStore, Redeemed, Subscription,
    SubscriptionStore, TokenPurpose, SUBSCRIPTION_COLUMNS,
};
pub use papers::{BatchResult, PaperStore, StoreStats, StoredPaper, UpsertOutcome};
pub use submissions::{Submission, SubmissionStore};
pub use votes::VoteStore;

/// A whole store: every concern, from one database.
pub trait Store:
    PaperStore
    + EmbeddingStore
    + CheckpointStore
    + AccountStore
    + VoteStore
    + CommentStore
    + SubmissionStore
    + SubscriptionStore
    + OutboxStore
    + LibraryStore
{
    /// Which backend this is, for logs and `paperhub stats` (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;

    /// Something that wakes when another process or node may have committed a change.
    fn watch(&self) -> Result<Box<dyn ChangeWatcher>>;
}

#[cfg(feature = "conformance")]
pub mod conformance;
