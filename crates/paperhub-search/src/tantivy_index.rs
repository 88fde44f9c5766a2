//! [`KeywordIndex`] on tantivy.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{Datelike, NaiveDate};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, Occur, PhraseQuery, Query, QueryParser, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::maxscore::{MaxScoreQuery, TermBounds, BLOCK_SHIFT, SEGMENT_WINDOW_SHIFT, WINDOW_SHIFT};
use crate::stem::MemoStemmer;
use crate::{
    Filters, IndexDoc, KeywordHit, KeywordIndex, KeywordQuery, Result, SearchError, Snippet,
};

/// English words: lower-cased, accents folded, stop words dropped, stemmed.
const ENGLISH: &str = "paperhub_en";
/// Names: lower-cased and accents folded, not stemmed (`Balázs` matches `balazs`).
const NAMES: &str = "paperhub_names";
/// The layout of the index this code writes. An index of another version is rebuilt from the
/// store (it is derived data): its directory is emptied and the catch-up re-indexes everything.
const SCHEMA_VERSION: &str = "4";
/// The file in the index directory that records [`SCHEMA_VERSION`].
const VERSION_FILE: &str = "paperhub-index-version";
/// Memory the writer may buffer before it flushes a segment, shared by its threads.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;

/// How long opening a writer waits for the index's lock before saying another writer has it.
const WRITER_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    /// Everything a free-text query searches: the title twice (a word in the title says more
    /// about a paper than one in its abstract), the abstract and the authors. One field makes
    /// one posting list per query word; three fields made three, and BM25 at a million papers
    /// spent most of its time merging them.
    text: Field,
    /// The title alone, for `title:` queries.
    title: Field,
    author: Field,
    category: Field,
    day: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        key: builder.add_u64_field("key", NumericOptions::default().set_indexed().set_fast()),
        text: builder.add_text_field("text", text(ENGLISH)),
        title: builder.add_text_field("title", text(ENGLISH)),
        author: builder.add_text_field("author", text(NAMES)),
        category: builder.add_text_field("category", STRING),
        day: builder.add_i64_field("day", NumericOptions::default().set_indexed().set_fast()),
    };
    (builder.build(), fields)
}

fn register_tokenizers(index: &Index) {
    let english = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(MemoStemmer)
        .build();
    let names = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(ENGLISH, english);
    index.tokenizers().register(NAMES, names);
}

fn day_number(day: NaiveDate) -> i64 {
    i64::from(day.num_days_from_ce())
}

/// Reads the store's key of documents, opening each segment's key column once.
struct KeyReader<'a> {
    searcher: &'a tantivy::Searcher,
    columns: HashMap<u32, tantivy::columnar::Column<u64>>,
}

impl<'a> KeyReader<'a> {
    fn new(searcher: &'a tantivy::Searcher) -> Self {
        Self {
            searcher,
            columns: HashMap::new(),
        }
    }

    fn key(&mut self, address: tantivy::DocAddress) -> Result<u64> {
        let column = match self.columns.entry(address.segment_ord) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                self.searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .u64("key")?,
            ),
        };
        column
            .first(address.doc_id)
            .ok_or_else(|| SearchError::Corrupt(format!("document {address:?} has no key")))
    }
}

/// Threads a search uses: one per core (at most 8).
pub fn search_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
}

/// How the best documents of a plain disjunction of words (a sentence typed or pasted as a
/// query) are found. All give the same ranking; they differ in the work done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopKAlgorithm {
    /// MaxScore over the terms ([`MaxScoreQuery`]) in windows of 8,192 documents, each scored
    /// in bulk: the default, faster on long queries.
    #[default]
    MaxScore,
    /// MaxScore with one bound per term and segment and the cursors merged document by
    /// document (how it ran before windows), kept so that benchmarks can compare in one run.
    MaxScoreSegmentBounds,
    /// MaxScore with windows of `1 << shift` documents (13 to 31; up to 16 scored in bulk,
    /// larger ones document by document), for benchmarks.
    MaxScoreWindows(u32),
    /// tantivy's own block-max WAND, kept so that benchmarks can compare in one run.
    BlockMaxWand,
}

impl TopKAlgorithm {
    /// The window shifts [`TopKAlgorithm::MaxScoreWindows`] runs as asked: MaxScore keeps its
    /// bounds per block of `1 << 13` documents, so a smaller window would be a block anyway;
    /// 31 makes a segment one window.
    pub const WINDOW_SHIFTS: std::ops::RangeInclusive<u32> = BLOCK_SHIFT..=SEGMENT_WINDOW_SHIFT;

    /// The window of MaxScore, as a shift; 0 for block-max WAND.
    fn window_shift(self) -> u32 {
        match self {
            Self::MaxScore => WINDOW_SHIFT,
            Self::MaxScoreSegmentBounds => SEGMENT_WINDOW_SHIFT,
            Self::MaxScoreWindows(shift) => shift.max(1),
            Self::BlockMaxWand => 0,
        }
    }
}

/// BM25 keyword index on tantivy, on disk or in RAM.
pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    parser: QueryParser,
    path: Option<PathBuf>,
    /// How plain disjunctions are ranked: MaxScore's window shift, or 0 for tantivy's
    /// block-max WAND ([`TopKAlgorithm::window_shift`]).
    top_k_window_shift: AtomicU32,
    /// MaxScore's bounds per term and segment, learnt as queries use them.
    term_bounds: Arc<TermBounds>,
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it if the directory is empty or missing.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Corrupt(format!("creating {}: {e}", dir.display())))?;
        let version_file = dir.join(VERSION_FILE);
        let current =
            std::fs::read_to_string(&version_file).is_ok_and(|v| v.trim() == SCHEMA_VERSION);
        if !current {
            if dir.join("meta.json").exists() {
                // An index of another layout: derived data, rebuilt from the store by the catch-up.
                std::fs::remove_dir_all(dir)
                    .and_then(|()| std::fs::create_dir_all(dir))
                    .map_err(|e| {
                        SearchError::Corrupt(format!(
                            "clearing outdated index {}: {e}",
                            dir.display()
                        ))
                    })?;
            }
            std::fs::write(&version_file, SCHEMA_VERSION).map_err(|e| {
                SearchError::Corrupt(format!("writing {}: {e}", version_file.display()))
            })?;
        }
        let (schema, _) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| SearchError::Corrupt(format!("opening {}: {e}", dir.display())))?;
        let index = Index::open_or_create(directory, schema)?;
        Self::build(index, Some(dir.to_owned()))
    }

    /// A fresh index in memory, for tests.
    pub fn in_ram() -> Result<Self> {
        let (schema, _) = schema();
        Self::build(Index::create_in_ram(schema), None)
    }

    fn build(mut index: Index, path: Option<PathBuf>) -> Result<Self> {
        register_tokenizers(&index);
        // Segments are searched in parallel, one thread per core: after a bulk ingest the index
        // is merged into that many segments of equal size (see `compact`).
        index.set_multithread_executor(search_threads())?;
        let schema = index.schema();
        let field = |name: &str| {
            schema.get_field(name).map_err(|_| {
                SearchError::Corrupt(format!(
                    "the index has no field `{name}`; delete it to rebuild"
                ))
            })
        };
        let fields = Fields {
            key: field("key")?,
            text: field("text")?,
            title: field("title")?,
            author: field("author")?,
            category: field("category")?,
            day: field("day")?,
        };
        let parser = QueryParser::for_index(&index, vec![fields.text]);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(None),
            fields,
            parser,
            path,
            top_k_window_shift: AtomicU32::new(TopKAlgorithm::default().window_shift()),
            term_bounds: Arc::default(),
        })
    }

    /// Chooses how plain disjunctions are ranked (for benchmarks; the default is MaxScore).
    pub fn set_top_k_algorithm(&self, algorithm: TopKAlgorithm) {
        self.top_k_window_shift
            .store(algorithm.window_shift(), Ordering::Relaxed);
    }

    /// Bytes the index takes on disk (0 in RAM).
    pub fn size_on_disk(&self) -> u64 {
        fn walk(path: &Path) -> u64 {
            std::fs::read_dir(path)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| match e.metadata() {
                            Ok(m) if m.is_dir() => walk(&e.path()),
                            Ok(m) => m.len(),
                            Err(_) => 0,
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        self.path.as_deref().map(walk).unwrap_or(0)
    }

    /// Sees commits made by other processes.
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut slot = self
            .writer
            .lock()
            .map_err(|_| SearchError::Corrupt("writer mutex poisoned".into()))?;
        if slot.is_none() {
            *slot = Some(self.new_writer()?);
        }
        f(slot.as_mut().expect("invariant: writer created above"))
    }

    /// A writer, waiting up to [`WRITER_LOCK_WAIT`] for the index's lock. The lock is a file
    /// lock (`flock`), and a process that another thread forks (a browser, a `pip` the model
    /// install runs) holds a copy of every open file until it execs: a writer dropped a
    /// moment before (at the end of a compaction, say) can leave its lock held for that
    /// long. Another process writing to the index holds it for good, and is reported after
    /// the wait.
    fn new_writer(&self) -> Result<IndexWriter> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let started = std::time::Instant::now();
        loop {
            match self.index.writer_with_num_threads(threads, WRITER_MEMORY) {
                Err(tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                )) if started.elapsed() < WRITER_LOCK_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                writer => return Ok(writer?),
            }
        }
    }

    fn author_query(&self, author: &str) -> Option<Box<dyn Query>> {
        let mut analyzer = self.index.tokenizers().get(NAMES)?;
        let mut stream = analyzer.token_stream(author);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(Term::from_field_text(
                self.fields.author,
                &stream.token().text,
            ));
        }
        match terms.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                terms.remove(0),
                IndexRecordOption::Basic,
            ))),
            _ => Some(Box::new(PhraseQuery::new(terms))),
        }
    }

    fn filter_queries(&self, filters: &Filters) -> Vec<Box<dyn Query>> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if let Some(author) = filters.author.as_deref() {
            // An author with no indexable word matches nothing rather than everything.
            out.push(
                self.author_query(author)
                    .unwrap_or_else(|| Box::new(BooleanQuery::new(vec![]))),
            );
        }
        if let Some(category) = filters.category.as_deref() {
            let term = Term::from_field_text(self.fields.category, category.trim());
            out.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
        }
        if filters.from.is_some() || filters.until.is_some() {
            let bound = |d: Option<NaiveDate>| match d {
                Some(d) => Bound::Included(Term::from_field_i64(self.fields.day, day_number(d))),
                None => Bound::Unbounded,
            };
            out.push(Box::new(RangeQuery::new(
                bound(filters.from),
                bound(filters.until),
            )));
        }
        out
    }

    /// The words of `text` as the index stores them (lower-cased, stop words out, stemmed),
    /// each once. (Counting a repeated word twice, as bm25s does, was measured on SciFact:
    /// recall@100 +0.006 but nDCG@10 -0.004; not kept.)
    fn analyze(&self, text: &str) -> Vec<Term> {
        let Some(mut analyzer) = self.index.tokenizers().get(ENGLISH) else {
            return Vec::new();
        };
        let mut stream = analyzer.token_stream(text);
        let mut terms: Vec<Term> = Vec::new();
        while stream.advance() {
            let term = Term::from_field_text(self.fields.text, &stream.token().text);
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        terms
    }

    /// The query for free text. Plain words (the common case, and every pasted sentence) make
    /// a BM25 disjunction of their terms, ranked by MaxScore ([`MaxScoreQuery`]). Text with
    /// query syntax (`"phrases"`, `+must`, `-not`, `field:`, `AND`/`OR`/`NOT` with parentheses)
    /// goes through tantivy's query parser; if that parser cannot read it, the words are
    /// searched plainly rather than failing (or matching everything). `None`: no searchable word.
    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let text = &unsign_numbers(text);
        // Parentheses alone are not syntax: claims are full of "(RIP)" and "(CAFs)", and the
        // parser would turn each hyphenated word inside into a phrase query.
        let has_syntax = text.contains(['"', ':'])
            || text.split_whitespace().any(|w| {
                (w.len() > 1 && (w.starts_with('+') || w.starts_with('-')))
                    || matches!(w, "AND" | "OR" | "NOT")
            });
        if has_syntax {
            let (query, errors) = self.parser.parse_query_lenient(text);
            if errors.is_empty() {
                return Some(query);
            }
        }
        let terms = self.analyze(text);
        if terms.is_empty() {
            return None;
        }
        let window_shift = self.top_k_window_shift.load(Ordering::Relaxed);
        if window_shift == 0 {
            return Some(Box::new(BooleanQuery::new_multiterms_query(terms)));
        }
        Some(Box::new(MaxScoreQuery::new(
            terms,
            self.term_bounds.clone(),
            window_shift,
        )))
    }

    /// The tantivy query for `query`; `None` when it can match nothing (no words, no filter).
    fn build_query(&self, query: &KeywordQuery) -> Option<Box<dyn Query>> {
        let text = query.text.trim();
        let filters = self.filter_queries(&query.filters);
        let main: Box<dyn Query> = if text.is_empty() {
            if filters.is_empty() {
                return None;
            }
            Box::new(AllQuery)
        } else {
            self.text_query(text)?
        };
        if filters.is_empty() {
            return Some(main);
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, main)];
        for filter in filters {
            // Filters select; they must not change the ranking.
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

/// `text` with the sign taken off every word that is a signed number (`+1 nucleosomes`,
/// `E2f-1, -2, -3`): text means a number there, and the query parser would read `+1` as
/// "must contain 1" and `-2` as "must not contain 2". Signs carry nothing the index keeps.
fn unsign_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let signed_number = |w: &str| {
        let mut chars = w.chars();
        matches!(chars.next(), Some('+' | '-')) && chars.next().is_some_and(|c| c.is_ascii_digit())
    };
    if !text.split_whitespace().any(signed_number) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        out.push_str(if signed_number(word) {
            &word[1..]
        } else {
            word
        });
        rest = &rest[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

impl KeywordIndex for TantivyIndex {
    fn stage(&self, docs: &[IndexDoc<'_>]) -> Result<()> {
        let f = self.fields;
        self.with_writer(|writer| {
            let staged = (|| -> Result<()> {
                for doc in docs {
                    if !doc.new {
                        writer.delete_term(Term::from_field_u64(f.key, doc.key));
                    }
                    let mut d = TantivyDocument::new();
                    d.add_u64(f.key, doc.key);
                    d.add_text(f.text, doc.title);
                    d.add_text(f.text, doc.abstract_text);
                    d.add_text(f.title, doc.title);
                    for author in doc.authors {
                        d.add_text(f.text, author);
                        d.add_text(f.author, author);
                    }
                    for category in doc.categories {
                        d.add_text(f.category, category);
                    }
                    if let Some(day) = doc.day {
                        d.add_i64(f.day, day_number(day));
                    }
                    writer.add_document(d)?;
                }
                Ok(())
            })();
            if let Err(e) = staged {
                // Drop whatever was staged so the index stays at its last commit.
                writer.rollback()?;
                return Err(e);
            }
            Ok(())
        })
    }

    fn commit(&self, seq: u64) -> Result<()> {
        self.with_writer(|writer| {
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&seq.to_string());
            prepared.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    fn indexed_seq(&self) -> Result<u64> {
        let metas = self.index.load_metas()?;
        match metas.payload.as_deref() {
            None | Some("") => Ok(0),
            Some(p) => p.parse().map_err(|_| {
                SearchError::Corrupt(format!("commit payload `{p}` is not a sequence number"))
            }),
        }
    }

    fn search(&self, query: &KeywordQuery) -> Result<Vec<KeywordHit>> {
        let Some(q) = self.build_query(query) else {
            return Ok(Vec::new());
        };
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let top_docs = TopDocs::with_limit(query.limit).and_offset(query.offset);
        let top: Vec<(f32, tantivy::DocAddress)> = if query.text.trim().is_empty() {
            // Filters alone (`author:…`, a date range) rank nothing: newest papers first.
            searcher
                .search(
                    &q,
                    &top_docs.order_by_fast_field::<i64>("day", tantivy::Order::Desc),
                )?
                .into_iter()
                .map(|(_, address)| (0.0, address))
                .collect()
        } else {
            searcher.search(&q, &top_docs.order_by_score())?
        };
        let mut keys = KeyReader::new(&searcher);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let key = keys.key(address)?;
            hits.push(KeywordHit { key, score });
        }
        Ok(hits)
    }

    fn count(&self, query: &KeywordQuery) -> Result<usize> {
        let Some(q) = self.build_query(query) else {
            return Ok(0);
        };
        Ok(self.reader.searcher().search(&q, &Count)?)
    }

    fn snippets(
        &self,
        query: &KeywordQuery,
        texts: &[&str],
        max_chars: usize,
    ) -> Result<Vec<Snippet>> {
        // The opening of a text, for a query with no words or a text they do not occur in
        // (a title or author hit).
        let opening = |text: &str| {
            let end = text
                .char_indices()
                .nth(max_chars)
                .map_or(text.len(), |(i, _)| i);
            Snippet {
                fragment: text[..end].to_owned(),
                highlights: vec![],
            }
        };
        let Some(q) = self.build_query(query) else {
            return Ok(texts.iter().map(|text| opening(text)).collect());
        };
        let searcher = self.reader.searcher();
        let mut generator = SnippetGenerator::create(&searcher, &*q, self.fields.text)?;
        generator.set_max_num_chars(max_chars);
        Ok(texts
            .iter()
            .map(|text| {
                let snippet = generator.snippet(text);
                if snippet.is_empty() {
                    opening(text)
                } else {
                    Snippet {
                        fragment: snippet.fragment().to_owned(),
                        highlights: snippet.highlighted().to_vec(),
                    }
                }
            })
            .collect())
    }

    fn filter_keys(&self, filters: &Filters) -> Result<std::collections::HashSet<u64>> {
        let query = KeywordQuery {
            text: String::new(),
            filters: filters.clone(),
            limit: 0,
            offset: 0,
        };
        let Some(q) = self.build_query(&query) else {
            return Ok(std::collections::HashSet::new());
        };
        let searcher = self.reader.searcher();
        let docs = searcher.search(&q, &tantivy::collector::DocSetCollector)?;
        let mut reader = KeyReader::new(&searcher);
        let mut keys = std::collections::HashSet::with_capacity(docs.len());
        for address in docs {
            keys.insert(reader.key(address)?);
        }
        Ok(keys)
    }

    fn num_docs(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
    }

    fn compact(&self, segments: usize) -> Result<()> {
        self.wait_for_merges()?;
        let mut metas = self.index.searchable_segment_metas()?;
        let target = segments.max(1);
        if metas.len() <= target {
            return Ok(());
        }
        // Deal the segments, largest first, into `target` groups of about equal size.
        metas.sort_by_key(|m| std::cmp::Reverse(m.num_docs()));
        let mut groups: Vec<(u64, Vec<tantivy::index::SegmentId>)> = vec![(0, Vec::new()); target];
        for meta in metas {
            let lightest = groups
                .iter_mut()
                .min_by_key(|g| g.0)
                .expect("invariant: target >= 1");
            lightest.0 += u64::from(meta.num_docs());
            lightest.1.push(meta.id());
        }
        self.with_writer(|writer| {
            // No background merge may take a segment these merges need.
            writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
            // All merges at once: each runs on a merge thread of its own, so the cores share
            // them (one after the other, the last ingest of 1M papers spent seconds on one
            // core while the other waited).
            let merges: Vec<_> = groups
                .iter()
                .filter(|g| g.1.len() > 1)
                .map(|(_, group)| writer.merge(group))
                .collect();
            for merge in merges {
                merge.wait()?;
            }
            Ok(())
        })?;
        self.wait_for_merges()
    }

    fn segments(&self) -> Result<usize> {
        Ok(self.index.searchable_segment_ids()?.len())
    }

    fn set_background_merges(&self, on: bool) -> Result<()> {
        self.with_writer(|writer| {
            if on {
                writer.set_merge_policy(Box::<tantivy::indexer::LogMergePolicy>::default());
            } else {
                writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
            }
            Ok(())
        })
    }

    fn wait_for_merges(&self) -> Result<()> {
        let mut slot = self
            .writer
            .lock()
            .map_err(|_| SearchError::Corrupt("writer mutex poisoned".into()))?;
        if let Some(writer) = slot.take() {
            writer.wait_merging_threads()?;
        }
        drop(slot);
        self.reader.reload()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key, title, abstract, authors, categories, day.
    type TestDoc = (
        u64,
        &'static str,
        &'static str,
        Vec<String>,
        Vec<String>,
        NaiveDate,
    );

    fn docs() -> Vec<TestDoc> {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        vec![
            (1, "YOLOv9: Learning What You Want to Learn Using Programmable Gradient Information",
             "We propose programmable gradient information to cope with data loss in deep networks.",
             vec!["Chien-Yao Wang".into()], vec!["cs.CV".into()], d(2024, 2, 21)),
            (2, "Machine Unlearning for Large Language Models",
             "Making a trained model forget some of its training data, as if it never saw it.",
             vec!["Ana Balázs".into()], vec!["cs.LG".into(), "cs.CL".into()], d(2024, 3, 1)),
            (3, "Training Transformers from Scratch",
             "We train models from scratch and compare gradient methods.",
             vec!["Bob Smith".into()], vec!["cs.LG".into()], d(2023, 6, 5)),
        ]
    }

    fn index() -> TantivyIndex {
        let index = TantivyIndex::in_ram().unwrap();
        let docs = docs();
        let batch: Vec<IndexDoc<'_>> = docs
            .iter()
            .map(|(key, t, a, au, c, day)| IndexDoc {
                key: *key,
                title: t,
                abstract_text: a,
                authors: au,
                categories: c,
                day: Some(*day),
                new: true,
            })
            .collect();
        index.index_batch(&batch, 3).unwrap();
        index
    }

    fn keys(index: &TantivyIndex, text: &str) -> Vec<u64> {
        index
            .search(&KeywordQuery::parse(text).unwrap())
            .unwrap()
            .iter()
            .map(|h| h.key)
            .collect()
    }

    #[test]
    fn finds_by_stemmed_words_with_titles_first() {
        let index = index();
        assert_eq!(keys(&index, "programmable gradients")[0], 1);
        assert_eq!(keys(&index, "unlearning"), vec![2]);
        assert_eq!(keys(&index, "trains"), vec![3, 2]);
    }

    #[test]
    fn phrase_queries_need_the_words_together() {
        let index = index();
        assert_eq!(keys(&index, "\"programmable gradient\""), vec![1]);
        assert!(keys(&index, "\"gradient programmable\"").is_empty());
    }

    #[test]
    fn author_and_category_fields_and_filters_narrow_results() {
        let index = index();
        assert_eq!(keys(&index, "author:balazs"), vec![2]);
        assert_eq!(keys(&index, "gradient category:cs.LG"), vec![3]);
        let mut q = KeywordQuery::parse("gradient").unwrap();
        q.filters.author = Some("Chien-Yao Wang".into());
        assert_eq!(
            index
                .search(&q)
                .unwrap()
                .iter()
                .map(|h| h.key)
                .collect::<Vec<_>>(),
            vec![1]
        );
        q.filters.author = None;
        q.filters.category = Some("cs.LG".into());
        assert_eq!(index.search(&q).unwrap().len(), 1);
    }

    #[test]
    fn date_ranges_filter_by_listing_day() {
        let index = index();
        // No words: every paper in range, newest first.
        assert_eq!(keys(&index, "date:2024-01-01.."), vec![2, 1]);
        assert_eq!(keys(&index, "models date:..2023-12-31"), vec![3]);
    }

    #[test]
    fn filter_keys_lists_every_paper_a_filter_keeps() {
        let index = index();
        let filters = Filters {
            category: Some("cs.LG".into()),
            ..Filters::default()
        };
        let mut keys: Vec<u64> = index.filter_keys(&filters).unwrap().into_iter().collect();
        keys.sort();
        assert_eq!(keys, vec![2, 3]);
    }

    #[test]
    fn reindexing_a_key_replaces_it_and_records_the_sequence_number() {
        let index = index();
        assert_eq!(index.indexed_seq().unwrap(), 3);
        let authors = vec![];
        let cats = vec![];
        let doc = IndexDoc {
            key: 3,
            title: "Completely new title",
            abstract_text: "Nothing.",
            authors: &authors,
            categories: &cats,
            day: None,
            new: false,
        };
        index.index_batch(&[doc], 4).unwrap();
        assert_eq!(index.num_docs().unwrap(), 3);
        assert!(keys(&index, "scratch").is_empty());
        assert_eq!(keys(&index, "completely"), vec![3]);
        assert_eq!(index.indexed_seq().unwrap(), 4);
    }

    /// A writer waits for a lock that is released soon (here another index handle on the same
    /// directory lets go of its writer after 300 ms) instead of failing at once.
    #[test]
    fn a_writer_waits_for_a_lock_released_a_moment_later() {
        let dir = tempfile::tempdir().unwrap();
        let first = TantivyIndex::open(dir.path()).unwrap();
        let second = TantivyIndex::open(dir.path()).unwrap();
        let (authors, cats) = (vec![], vec![]);
        let doc = |key| IndexDoc {
            key,
            title: "Lock",
            abstract_text: "Waiting.",
            authors: &authors,
            categories: &cats,
            day: None,
            new: true,
        };
        first.stage(&[doc(1)]).unwrap();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(std::time::Duration::from_millis(300));
                first.wait_for_merges().unwrap();
            });
            second.index_batch(&[doc(2)], 1).unwrap();
        });
        assert_eq!(second.num_docs().unwrap(), 1);
    }

    #[test]
    fn compacting_merges_many_segments_into_one_and_keeps_every_document() {
        let index = index();
        let (authors, cats) = (vec![], vec![]);
        for key in 10..15u64 {
            let doc = IndexDoc {
                key,
                title: "Extra",
                abstract_text: "More.",
                authors: &authors,
                categories: &cats,
                day: None,
                new: true,
            };
            index.index_batch(&[doc], key).unwrap();
        }
        index.wait_for_merges().unwrap();
        assert!(index.segments().unwrap() > 1);
        index.compact(2).unwrap();
        assert_eq!(index.segments().unwrap(), 2);
        index.compact(1).unwrap();
        assert_eq!(index.segments().unwrap(), 1);
        assert_eq!(index.num_docs().unwrap(), 8);
        assert_eq!(keys(&index, "extra").len(), 5);
        assert_eq!(
            index.indexed_seq().unwrap(),
            14,
            "compaction keeps the commit payload"
        );
    }

    #[test]
    fn a_page_of_snippets_comes_in_order_with_openings_where_nothing_matched() {
        let index = index();
        let q = KeywordQuery::parse("forget").unwrap();
        let texts = [
            "Nothing to see in this one at all.",
            "Models that forget what they learned.",
            "\u{e9}t\u{e9} \u{e9}t\u{e9} \u{e9}t\u{e9} \u{e9}t\u{e9}",
        ];
        let snippets = index.snippets(&q, &texts, 12).unwrap();
        assert_eq!(snippets.len(), 3);
        // No match: the opening, cut at 12 characters (not bytes).
        assert_eq!(snippets[0].fragment, "Nothing to s");
        assert!(snippets[0].highlights.is_empty());
        let marked: Vec<&str> = snippets[1]
            .highlights
            .iter()
            .map(|r| &snippets[1].fragment[r.clone()])
            .collect();
        assert_eq!(marked, ["forget"]);
        assert_eq!(
            snippets[2].fragment,
            "\u{e9}t\u{e9} \u{e9}t\u{e9} \u{e9}t\u{e9} "
        );
        // One text alone gives the same snippet as within the page.
        let alone = index.snippet(&q, texts[1], 12).unwrap();
        assert_eq!(alone.fragment, snippets[1].fragment);
    }

    #[test]
    fn snippets_highlight_the_matched_words() {
        let index = index();
        let q = KeywordQuery::parse("forget training").unwrap();
        let text =
            "Making a trained model forget some of its training data, as if it never saw it.";
        let s = index.snippet(&q, text, 200).unwrap();
        let marked: Vec<&str> = s
            .highlights
            .iter()
            .map(|r| &s.fragment[r.clone()])
            .collect();
        assert!(
            marked.contains(&"forget") && marked.contains(&"training"),
            "{marked:?}"
        );
    }

    #[test]
    fn plain_sentences_are_searched_word_by_word_not_as_boolean_syntax() {
        let index = index();
        let mut both = keys(&index, "gradient and scratch");
        both.sort();
        assert_eq!(
            both,
            vec![1, 3],
            "`and` is a stop word here, not a conjunction"
        );
        assert_eq!(
            keys(&index, "+scratch gradient"),
            vec![3],
            "explicit syntax still works"
        );
    }

    #[test]
    fn signed_numbers_are_numbers_not_operators() {
        assert_eq!(unsign_numbers("E2f-1, -2, -3 cells"), "E2f-1, 2, 3 cells");
        assert_eq!(
            unsign_numbers(" +1  nucleosomes\t-x"),
            " 1  nucleosomes\t-x"
        );
        assert_eq!(
            unsign_numbers("-transformer +attention"),
            "-transformer +attention"
        );
        let index = index();
        let mut plain = keys(&index, "gradient scratch");
        plain.sort();
        let mut signed = keys(&index, "gradient -2 scratch +1");
        signed.sort();
        assert_eq!(
            signed, plain,
            "`-2` excludes nothing and `+1` requires nothing"
        );
    }

    #[test]
    fn empty_and_stop_word_queries_return_nothing_without_error() {
        let index = index();
        assert!(keys(&index, "").is_empty());
        assert!(keys(&index, "the of and").is_empty());
        assert!(keys(&index, "IL-10: (a \"b").len() <= 3);
    }
}
