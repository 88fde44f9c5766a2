//! Search: finding papers by their words.
//!
//! This crate owns the keyword index interface ([`KeywordIndex`]), the query model
//! ([`KeywordQuery`], [`Filters`]) and its tantivy implementation ([`TantivyIndex`]: BM25 over
//! title (counted twice), abstract and authors in one field, English stemming, phrase queries, `author:` and
//! `category:` fields, day ranges, highlighted snippets). It knows papers only through
//! [`IndexDoc`] and refers to them by the store's integer key; it never reads the store.
//! Search by meaning lives beside it: the [`VectorIndex`] interface with its exact
//! [`FlatIndex`] and approximate, on-disk [`HnswIndex`], and [`fusion`] of the two rankings.

pub mod fusion;
mod maxscore;
mod query;
pub mod recommend;
mod stem;
mod tantivy_index;
pub mod vector;

use std::ops::Range;

use chrono::NaiveDate;
use paperhub_core::Paper;

pub use query::{Filters, KeywordQuery};
pub use tantivy_index::{search_threads, TantivyIndex, TopKAlgorithm};
pub use vector::{
    Embedder, FlatIndex, HashingEmbedder, HnswIndex, HnswParams, KeySet, VectorHit, VectorIndex,
};

/// A search operation's result.
pub type Result<T> = std::result::Result<T, SearchError>;

/// What can go wrong in an index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The index failed (I/O, corruption, a lock held by another writer).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index's bookkeeping is unreadable.
    #[error("search index: {0}")]
    Corrupt(String),
    /// The query cannot be run.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
}

/// What the index needs to know of a paper.
#[derive(Debug, Clone, Copy)]
pub struct IndexDoc<'a> {
    /// The store's key for the paper.
    pub key: u64,
    /// Title.
    pub title: &'a str,
    /// Abstract.
    pub abstract_text: &'a str,
    /// Authors.
    pub authors: &'a [String],
    /// Categories.
    pub categories: &'a [String],
    /// The day the hub lists it on.
    pub day: Option<NaiveDate>,
    /// Whether the store has only now added the paper, so that no version of it can be in the
    /// index: staging it then skips the delete by key that replacing a paper needs (deletes
    /// are applied to every segment at each commit, which a bulk import of new papers would
    /// pay for a million times). False when in doubt: a delete of an absent key is harmless.
    pub new: bool,
}

impl<'a> IndexDoc<'a> {
    /// The index's view of a stored paper.
    pub fn from_paper(key: u64, paper: &'a Paper) -> Self {
        IndexDoc {
            key,
            title: &paper.meta.title,
            abstract_text: &paper.meta.abstract_text,
            authors: &paper.meta.authors,
            categories: &paper.meta.categories,
            day: paper.listed_on,
            new: false,
        }
    }

    /// The same document, marked as one the store has only now added (see [`IndexDoc::new`]).
    pub fn added(self) -> Self {
        IndexDoc { new: true, ..self }
    }
}

/// One keyword hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeywordHit {
    /// The store's key for the paper.
    pub key: u64,
    /// BM25 score.
    pub score: f32,
}

/// A fragment of text with the matched words marked, as byte ranges into `fragment`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snippet {
    /// The fragment.
    pub fragment: String,
    /// Byte ranges of `fragment` that matched the query.
    pub highlights: Vec<Range<usize>>,
}

/// A full-text index of papers.
pub trait KeywordIndex: Send + Sync {
    /// Adds or replaces `docs` (by key), to be seen at the next [`KeywordIndex::commit`].
    fn stage(&self, docs: &[IndexDoc<'_>]) -> Result<()>;

    /// Commits everything staged, recording `seq` as the last store change the index now
    /// holds. Either all that was staged is committed or none of it.
    fn commit(&self, seq: u64) -> Result<()>;

    /// Stages `docs` and commits them with `seq`.
    fn index_batch(&self, docs: &[IndexDoc<'_>], seq: u64) -> Result<()> {
        self.stage(docs)?;
        self.commit(seq)
    }

    /// The last store sequence number committed with [`KeywordIndex::index_batch`] (0 if none).
    fn indexed_seq(&self) -> Result<u64>;

    /// The best matches, best first.
    fn search(&self, query: &KeywordQuery) -> Result<Vec<KeywordHit>>;

    /// How many documents a query matches in all (for pagination), capped at `cap`.
    fn count(&self, query: &KeywordQuery) -> Result<usize>;

    /// A snippet of each of `texts` around the words of `query`, each at most `max_chars`
    /// long, in order. One call for a page of results: the query is prepared once.
    fn snippets(
        &self,
        query: &KeywordQuery,
        texts: &[&str],
        max_chars: usize,
    ) -> Result<Vec<Snippet>>;

    /// A snippet of one `text` around the words of `query`, at most `max_chars` long.
    fn snippet(&self, query: &KeywordQuery, text: &str, max_chars: usize) -> Result<Snippet> {
        Ok(self
            .snippets(query, &[text], max_chars)?
            .pop()
            .expect("invariant: one snippet per text"))
    }

    /// The keys of every paper that passes `filters` (for narrowing search by meaning).
    fn filter_keys(&self, filters: &Filters) -> Result<std::collections::HashSet<u64>>;

    /// Documents indexed.
    fn num_docs(&self) -> Result<u64>;

    /// Waits for background work (segment merges) to end.
    fn wait_for_merges(&self) -> Result<()>;

    /// Waits for background merges, then, if more than `segments` remain, merges them into
    /// `segments` segments of about equal size. A search runs one thread per segment, so
    /// after a bulk ingest one segment per core searches fastest.
    fn compact(&self, segments: usize) -> Result<()>;

    /// Segments the index is made of.
    fn segments(&self) -> Result<usize>;

    /// Whether segments are merged in the background as commits add them (the default). A
    /// bulk load that ends in [`KeywordIndex::compact`] turns this off while it runs: merging
    /// its segments as they come would merge each document several times over.
    fn set_background_merges(&self, on: bool) -> Result<()>;
}
