//! [`KeywordIndex`] on tantivy.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::{
    Filters, IndexDoc, KeywordHit, KeywordIndex, KeywordQuery, Result, SearchError, Snippet,
};

/// English words: lower-cased, accents folded, stop words dropped, stemmed.
const ENGLISH: &str = "paperhub_en";
/// Names: lower-cased and accents folded, not stemmed (`Balázs` matches `balazs`).
const NAMES: &str = "paperhub_names";
/// Titles count twice as much as abstracts: a word in the title says more about the paper.
const TITLE_BOOST: f32 = 2.0;
/// Memory the writer may buffer before it flushes a segment, shared by its threads.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    title: Field,
    abstract_text: Field,
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
        title: builder.add_text_field("title", text(ENGLISH)),
        abstract_text: builder.add_text_field("abstract", text(ENGLISH)),
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
        .filter(
            StopWordFilter::new(Language::English)
                .expect("invariant: English stop words ship with tantivy"),
        )
        .filter(Stemmer::new(Language::English))
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

/// BM25 keyword index on tantivy, on disk or in RAM.
pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    parser: QueryParser,
    path: Option<PathBuf>,
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it if the directory is empty or missing.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Corrupt(format!("creating {}: {e}", dir.display())))?;
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

    fn build(index: Index, path: Option<PathBuf>) -> Result<Self> {
        register_tokenizers(&index);
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
            title: field("title")?,
            abstract_text: field("abstract")?,
            author: field("author")?,
            category: field("category")?,
            day: field("day")?,
        };
        let mut parser = QueryParser::for_index(
            &index,
            vec![fields.title, fields.abstract_text, fields.author],
        );
        parser.set_field_boost(fields.title, TITLE_BOOST);
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
        })
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
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4);
            *slot = Some(self.index.writer_with_num_threads(threads, WRITER_MEMORY)?);
        }
        f(slot.as_mut().expect("invariant: writer created above"))
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
            // Lenient: a stray quote or colon in a pasted claim must not fail the search.
            self.parser.parse_query_lenient(text).0
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

impl KeywordIndex for TantivyIndex {
    fn index_batch(&self, docs: &[IndexDoc<'_>], seq: u64) -> Result<()> {
        let f = self.fields;
        self.with_writer(|writer| {
            let staged = (|| -> Result<()> {
                for doc in docs {
                    writer.delete_term(Term::from_field_u64(f.key, doc.key));
                    let mut d = TantivyDocument::new();
                    d.add_u64(f.key, doc.key);
                    d.add_text(f.title, doc.title);
                    d.add_text(f.abstract_text, doc.abstract_text);
                    for author in doc.authors {
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
                let mut prepared = writer.prepare_commit()?;
                prepared.set_payload(&seq.to_string());
                prepared.commit()?;
                Ok(())
            })();
            if let Err(e) = staged {
                // Drop whatever was staged so the next batch starts from the last commit.
                writer.rollback()?;
                return Err(e);
            }
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
        let top = searcher.search(
            &q,
            &TopDocs::with_limit(query.limit)
                .and_offset(query.offset)
                .order_by_score(),
        )?;
        let mut columns = HashMap::new();
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let column = match columns.entry(address.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .u64("key")?,
                ),
            };
            let key = column
                .first(address.doc_id)
                .ok_or_else(|| SearchError::Corrupt(format!("document {address:?} has no key")))?;
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

    fn snippet(&self, query: &KeywordQuery, text: &str, max_chars: usize) -> Result<Snippet> {
        let Some(q) = self.build_query(query) else {
            return Ok(Snippet {
                fragment: text.chars().take(max_chars).collect(),
                highlights: vec![],
            });
        };
        let searcher = self.reader.searcher();
        let mut generator = SnippetGenerator::create(&searcher, &*q, self.fields.abstract_text)?;
        generator.set_max_num_chars(max_chars);
        let snippet = generator.snippet(text);
        if snippet.is_empty() {
            // Nothing matched in the abstract (a title or author hit): show its opening.
            let mut end = text.len().min(max_chars);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            return Ok(Snippet {
                fragment: text[..end].to_owned(),
                highlights: vec![],
            });
        }
        Ok(Snippet {
            fragment: snippet.fragment().to_owned(),
            highlights: snippet.highlighted().to_vec(),
        })
    }

    fn num_docs(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
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

    fn docs() -> Vec<(
        u64,
        &'static str,
        &'static str,
        Vec<String>,
        Vec<String>,
        NaiveDate,
    )> {
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
        assert_eq!(keys(&index, "\"from scratch\""), vec![3]);
        assert!(keys(&index, "\"scratch from\"").is_empty());
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
        // No words: every paper in range.
        let mut in_2024 = keys(&index, "date:2024-01-01..");
        in_2024.sort();
        assert_eq!(in_2024, vec![1, 2]);
        assert_eq!(keys(&index, "models date:..2023-12-31"), vec![3]);
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
        };
        index.index_batch(&[doc], 4).unwrap();
        assert_eq!(index.num_docs().unwrap(), 3);
        assert!(keys(&index, "scratch").is_empty());
        assert_eq!(keys(&index, "completely"), vec![3]);
        assert_eq!(index.indexed_seq().unwrap(), 4);
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
    fn empty_and_stop_word_queries_return_nothing_without_error() {
        let index = index();
        assert!(keys(&index, "").is_empty());
        assert!(keys(&index, "the of and").is_empty());
        assert!(keys(&index, "IL-10: (a \"b").len() <= 3);
    }
}
