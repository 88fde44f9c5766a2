//! The hub's use cases, independent of how they are reached (command line, HTTP) and of which
//! database and index sit behind them.
//!
//! [`Hub`] owns the rules that span store and index: a batch of gathered papers is committed
//! to the store and then to the index with the store's sequence number, and on open the index
//! catches up with any change it missed (a crash between the two commits), so the two never
//! disagree. It also runs searches (keys from the index, papers from the store, snippets) and
//! OAI-PMH harvests with a checkpoint in the store.

mod accounts;
mod comments;
mod days;
mod follow;
mod harvest;
mod ingest;
mod library;
mod mail;
mod query_batch;
mod search;
mod semantic;
mod submissions;
mod trending;
mod votes;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use paperhub_core::Paper;
use paperhub_search::{IndexDoc, KeywordIndex};
use paperhub_store::{Store, StoreStats};
use serde::Serialize;

pub use accounts::{
    check_password, display_name, hash_password, token_hash, verify_password, Accounts,
    MAX_NAME_CHARS, MIN_PASSWORD_CHARS, MIN_PASSWORD_SCORE, SESSION_PREFIX, TOKEN_PREFIX,
};
pub use comments::{CommentView, MAX_COMMENT_CHARS};
pub use days::{DayOrder, DayPage, DayRange};
pub use follow::{Follower, Synced};
pub use harvest::{HarvestOutcome, HarvestPlan};
pub use ingest::{
    IngestObserver, IngestSummary, NoObserver, DEFAULT_BATCH_SIZE, INDEX_COMMIT_PAPERS,
};
pub use library::{
    check_tag, label_name, AlertPaper, AlertResults, ImportReport, Labelled, Library, Matched,
    NearPaper, Pick, Recommendation, RecommendationWhy, TaggedPaper, Unmatched, FEED_TOKEN_PREFIX,
    MAX_IMPORT_BYTES, MAX_IMPORT_ENTRIES, MAX_NOTE_CHARS, MAX_RECOMMENDATIONS, MAX_SAVED_SEARCHES,
    MAX_TAGS, MAX_TAG_CHARS, MAX_TAG_PAPERS,
};
pub use mail::{
    Content, Delivery, DeliveryError, DeliveryRules, DeliveryStats, Digest, DigestPaper,
    DigestRules, Export, Imported, Letter, MailLinks, PersonalPicks, Postman, RunOutcome,
    Subscriptions, TopicPapers, CONFIRM_TOKEN_HOURS, DEFAULT_TOPIC_MIN_SIMILARITY,
    EMAIL_TOKEN_HOURS, MAX_TOPICS, MAX_TOPIC_CHARS, RESET_TOKEN_MINUTES,
};
/// Accounts as the store keeps them, for the edges that ask who is calling.
pub use paperhub_store::{Account, ApiToken, Comment, SavedSearch};
pub use paperhub_store::{Label, OutboxCounts, Submission, Subscription, TagEntry, TagSummary};
pub use search::{
    hybrid_candidates, SearchHit, SearchMode, SearchRequest, SearchResults, SimilarBy,
    SimilarPapers, DEFAULT_LIMIT, HYBRID_FUSION, HYBRID_MIN_CANDIDATES, HYBRID_RRF_K, MAX_LIMIT,
    MAX_OFFSET,
};
pub use semantic::{document_text, MODEL_MISSING};
pub use submissions::{
    Community, SubmissionRules, Submitted, DEFAULT_MAX_AGE_DAYS, DELETED_ACCOUNT,
};
pub use trending::{
    Period, TrendingPaper, TrendingRules, Why, DEFAULT_CACHE_SECS, DEFAULT_GRAVITY,
    DEFAULT_OFFSET_HOURS, FORMULA,
};
pub use votes::VoteOutcome;

/// A hub operation's result.
pub type Result<T> = std::result::Result<T, HubError>;

/// What can go wrong in a hub operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The store failed.
    #[error("store: {0}")]
    Store(paperhub_store::StoreError),
    /// The database cannot be reached now (refused, timed out, closed): worth a retry.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A write clashed with what is stored (an email that has an account).
    #[error("conflict: {0}")]
    Conflict(String),
    /// What the request names does not exist (an account, a token, a paper).
    #[error("{0}")]
    NotFound(String),
    /// The request needs an account: none was given, or its credentials are not valid.
    #[error("{0}")]
    Unauthorized(String),
    /// The account may not do this (banned, or not its own).
    #[error("{0}")]
    Forbidden(String),
    /// The index failed.
    #[error(transparent)]
    Search(#[from] paperhub_search::SearchError),
    /// A harvest failed.
    #[error("harvest: {0}")]
    Harvest(#[from] paperhub_ingest::HarvestError),
    /// The request is not valid (a malformed parameter, a day that is not a day).
    #[error("{0}")]
    Invalid(String),
    /// A search's query text cannot be run (a malformed `date:` range).
    #[error("{0}")]
    InvalidQuery(String),
    /// A limit or offset is out of its range.
    #[error("{0}")]
    OutOfRange(String),
    /// Search by meaning was asked for, but no embedding model is loaded.
    #[error("{}", semantic::MODEL_MISSING)]
    ModelMissing,
    /// A service the hub relies on (the arXiv API) failed, was too slow or answered garbage:
    /// neither the request's fault nor the hub's.
    #[error("{0}")]
    Upstream(String),
    /// The embedding model failed on a text: the hub's fault, not the request's.
    #[error("the embedding model failed {0}")]
    Embedding(String),
}

impl From<paperhub_store::StoreError> for HubError {
    /// A store's error as the use cases report it: unavailable and conflict by their kind,
    /// the rest as the store's failure.
    fn from(error: paperhub_store::StoreError) -> Self {
        match error {
            paperhub_store::StoreError::Unavailable(message) => HubError::Unavailable(message),
            paperhub_store::StoreError::Conflict(message) => HubError::Conflict(message),
            other => HubError::Store(other),
        }
    }
}

/// An ingest that changes at least 1/BULK_FRACTION of the hub's papers is a bulk ingest.
pub const BULK_FRACTION: u64 = 20;

/// Whether `changed` papers of an index of `total` (them included) make a bulk ingest.
pub(crate) fn is_bulk(changed: u64, total: u64) -> bool {
    changed.saturating_mul(BULK_FRACTION) >= total
}

/// How many changed papers the index catch-up reads from the store at a time.
const CATCH_UP_CHUNK: usize = 5_000;

/// Counts for `paperhub stats`.
#[derive(Debug, Clone, Serialize)]
pub struct HubStats {
    /// What the store counts.
    #[serde(flatten)]
    pub store: StoreStats,
    /// Documents in the keyword index (equals `papers` when the two agree).
    pub indexed: u64,
    /// The last store change the index holds.
    pub indexed_seq: u64,
    /// Segments of the keyword index.
    pub index_segments: usize,
    /// Papers with a vector from the loaded embedding model (`None`: no model loaded).
    pub embedded: Option<u64>,
    /// The last store change.
    pub store_seq: u64,
}

/// The hub: a store and the indexes over it.
#[derive(Clone)]
pub struct Hub {
    store: Arc<dyn Store>,
    keywords: Arc<dyn KeywordIndex>,
    semantic: Option<semantic::Semantic>,
    /// Searches running now, across every clone of this hub (see [`search::InFlight`]).
    searches: Arc<AtomicUsize>,
    /// Held by whatever writes papers to the store and the keyword index (an ingest, one
    /// harvested batch, a catch-up, a merge), across every clone of this hub. The index records
    /// the store's change number with each commit, so two writers interleaved could record a
    /// number that skips the other's batch still on its way to the index.
    writing: Arc<Mutex<()>>,
    /// The trending formula's parameters.
    trending_rules: trending::TrendingRules,
    /// Each period's ranking as last computed, across every clone of this hub.
    rankings: trending::RankingCache,
    /// Community changes made through this hub (any clone): votes, comments, submissions. A
    /// ranking computed before the last one is stale.
    community_changes: Arc<std::sync::atomic::AtomicU64>,
    /// Where submitted papers are looked up (`None`: this hub takes no submissions).
    submissions: Option<submissions::SubmissionRules>,
}

impl Hub {
    /// A hub over `store` and `keywords`. Call [`Hub::catch_up`] before serving or writing.
    pub fn new(store: Arc<dyn Store>, keywords: Arc<dyn KeywordIndex>) -> Self {
        Self {
            store,
            keywords,
            semantic: None,
            searches: Arc::new(AtomicUsize::new(0)),
            writing: Arc::new(Mutex::new(())),
            trending_rules: trending::TrendingRules::default(),
            rankings: Default::default(),
            community_changes: Default::default(),
            submissions: None,
        }
    }

    /// The same hub ranking trending papers by `rules` (with rankings of its own: those of
    /// other rules are not reused).
    pub fn with_trending(mut self, rules: trending::TrendingRules) -> Self {
        self.trending_rules = rules;
        self.rankings = Default::default();
        self
    }

    /// How many community changes (votes, comments, submissions) went through this hub: what
    /// is shown of the community may be reused while it stays the same.
    pub fn community_version(&self) -> u64 {
        self.community_changes
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Seconds a trending ranking is reused (`trending.cache_secs`).
    pub fn trending_cache_secs(&self) -> u64 {
        self.trending_rules.cache_secs
    }

    /// Notes a change to votes, comments or submissions: cached rankings are stale now.
    pub(crate) fn community_changed(&self) {
        self.community_changes
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// Waits until no other writer of this hub runs, then holds it off until the guard drops.
    /// A writer that panicked leaves nothing to repair here (the guard holds no data; the
    /// index catches up with the store), so a poisoned lock is taken as it is.
    pub(crate) fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Brings the index up to the store: re-indexes every paper changed after the last change
    /// the index committed. Returns how many papers it re-indexed. `progress(done, total)`.
    pub fn catch_up(&self, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
        let _writing = self.write_lock();
        let target = self.store.last_seq()?;
        let mut seq = self.keywords.indexed_seq()?;
        if seq > target {
            return Err(HubError::Invalid(format!(
                "the index holds change {seq} but the store only {target}: the index belongs to another \
                 store; delete the index directory to rebuild it"
            )));
        }
        let total = target - seq;
        let mut done = 0;
        while seq < target {
            let changed = self.store.changes_since(seq, CATCH_UP_CHUNK)?;
            let Some(last) = changed.last() else { break };
            let last_seq = last.seq;
            let docs: Vec<IndexDoc<'_>> = changed
                .iter()
                .map(|p| IndexDoc::from_paper(p.key, &p.paper))
                .collect();
            self.keywords.index_batch(&docs, last_seq)?;
            done += changed.len() as u64;
            seq = last_seq;
            progress(done, total);
        }
        if seq < target {
            // Changes superseded by later ones leave gaps in the sequence; record the target.
            self.keywords.index_batch(&[], target)?;
        }
        Ok(done)
    }

    /// The paper known by this hub id, arXiv id (any spelling) or source id.
    pub fn find_paper(&self, id: &str) -> Result<Option<Paper>> {
        let id = id.trim();
        if let Some(found) = self.store.find(id)? {
            return Ok(Some(found));
        }
        match paperhub_core::ArxivId::parse(id) {
            Ok(arxiv) if arxiv.as_str() != id => Ok(self.store.find(arxiv.as_str())?),
            _ => Ok(None),
        }
    }

    /// Counts from the store and the index.
    pub fn stats(&self) -> Result<HubStats> {
        let store = self.store.stats()?;
        Ok(HubStats {
            indexed: self.keywords.num_docs()?,
            indexed_seq: self.keywords.indexed_seq()?,
            index_segments: self.keywords.segments()?,
            embedded: match &self.semantic {
                Some(s) => Some(self.store.embedding_count(s.embedder.model_id())?),
                None => None,
            },
            store_seq: self.store.last_seq()?,
            store,
        })
    }

    /// Leaves the index fast to search after an ingest that changed `changed` papers. After a
    /// bulk ingest (at least 1/[`BULK_FRACTION`] of the hub) the index is merged into one
    /// segment per core, which searches fastest; after a small one, merging a large index
    /// would cost more than it saves, so only the background merges are awaited.
    pub fn compact_after_ingest(&self, changed: u64) -> Result<()> {
        let total = self.keywords.num_docs()?;
        if is_bulk(changed, total) {
            self.compact_to(paperhub_search::search_threads())
        } else {
            Ok(self.keywords.wait_for_merges()?)
        }
    }

    /// Waits for background merges and, if more than `segments` segments remain, merges them
    /// into `segments` of about equal size.
    pub fn compact_to(&self, segments: usize) -> Result<()> {
        let _writing = self.write_lock();
        Ok(self.keywords.compact(segments.max(1))?)
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}
