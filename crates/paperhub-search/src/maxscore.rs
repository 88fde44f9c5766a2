//! Top-k BM25 for a plain disjunction of many words, by MaxScore.
//!
//! A pasted sentence or a claim makes a query of 10 to 20 words, several of them common. tantivy
//! ranks such a disjunction with block-max WAND, which keeps its cursors sorted by document and
//! re-sorts them at every step: with 15 cursors, most of the time of a query went to that
//! bookkeeping (`block_wand` was 69% of BM25's CPU at a million papers). MaxScore (Turtle and
//! Flood, 1995) fits long queries better. The terms are ordered by the most a term can add to a
//! score. The weakest terms whose bounds together cannot lift a document past the k-th best
//! score so far are *non-essential*: a document that only they contain cannot enter the top k.
//! Candidates therefore come from the essential terms alone. The non-essential ones are only
//! looked up, with skips, for candidates that can still make it, strongest first, and not at all
//! once the bound says the candidate cannot. As the k-th score rises, more terms become
//! non-essential and fewer documents are looked at.
//!
//! A term's bound is exact, not tantivy's idf x (k1 + 1): see [`TermBounds`].
//!
//! Scores are tantivy's BM25 for the same terms ([`Bm25Weight`] per term, summed), so the
//! ranking is the one `BooleanQuery::new_multiterms_query` gives; only the work differs. For
//! everything other than top-k collection (counting, the `Must` clause of a filtered query,
//! explanations) the weight hands over to that boolean query.

use std::fmt;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;
use tantivy::index::SegmentId;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, BooleanQuery, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

/// A disjunction of terms, ranked by the sum of their BM25 scores; a term the query repeats
/// counts as often as it appears (as in a boolean query of one clause per word).
#[derive(Clone)]
pub(crate) struct MaxScoreQuery {
    /// Each term once, with how often the query holds it.
    terms: Vec<(Term, u32)>,
    /// The words as the query holds them, repeats included.
    words: Vec<Term>,
    bounds: Arc<TermBounds>,
}

/// A term's undominated (fieldnorm id, term frequency) pairs in one segment.
type Frontier = Arc<[(u8, u32)]>;

/// Frontiers by segment and term.
type Frontiers = FxHashMap<(SegmentId, Term), Frontier>;

/// Entries [`TermBounds`] keeps before it starts again (a few MB at most).
const BOUNDS_CAPACITY: usize = 200_000;

/// What each term can add to a document's score at most, per segment, learnt the first time a
/// query uses the term and kept for the index's life (segments never change; merged ones get
/// new ids).
///
/// tantivy's bound for a term is its idf x (k1 + 1), what an infinitely frequent term in an
/// empty document would score; real documents reach 70-85% of it. Tighter bounds make more
/// terms non-essential sooner. The bound kept is exact, not a guess: the term's postings are
/// read once and reduced to the pairs (length, frequency) no other pair dominates (BM25 grows
/// with the frequency and falls with the length, whatever the statistics), so the most the
/// term scores under any later statistics is the best of those few pairs.
#[derive(Default)]
pub(crate) struct TermBounds {
    frontiers: Mutex<Frontiers>,
}

impl TermBounds {
    /// The (fieldnorm id, term frequency) pairs of `term` in `reader` that no other of its
    /// postings dominates (a shorter document with at least as many occurrences).
    fn frontier(&self, reader: &SegmentReader, term: &Term) -> tantivy::Result<Frontier> {
        let key = (reader.segment_id(), term.clone());
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        let fieldnorms = reader.get_fieldnorms_reader(term.field())?;
        let mut max_tf = [0u32; 256];
        if let Some(mut block) = reader
            .inverted_index(term.field())?
            .read_block_postings(term, IndexRecordOption::WithFreqs)?
        {
            while !block.docs().is_empty() {
                for (&doc, &tf) in block.docs().iter().zip(block.freqs()) {
                    let id = usize::from(fieldnorms.fieldnorm_id(doc));
                    max_tf[id] = max_tf[id].max(tf);
                }
                block.advance();
            }
        }
        let mut frontier = Vec::new();
        let mut best = 0;
        for (id, &tf) in max_tf.iter().enumerate() {
            if tf > best {
                best = tf;
                frontier.push((u8::try_from(id).expect("invariant: 256 fieldnorm ids"), tf));
            }
        }
        let frontier: Frontier = frontier.into();
        let mut map = self.lock();
        if map.len() >= BOUNDS_CAPACITY {
            map.clear();
        }
        map.insert(key, frontier.clone());
        Ok(frontier)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Frontiers> {
        // The map holds only derived numbers: one poisoned by a panic is still usable.
        self.frontiers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl MaxScoreQuery {
    /// The query for `words`, in order, repeats included, learning term bounds into `bounds`.
    pub(crate) fn new(words: Vec<Term>, bounds: Arc<TermBounds>) -> Self {
        let mut terms: Vec<(Term, u32)> = Vec::with_capacity(words.len());
        for word in &words {
            match terms.iter_mut().find(|(t, _)| t == word) {
                Some((_, count)) => *count += 1,
                None => terms.push((word.clone(), 1)),
            }
        }
        Self {
            terms,
            words,
            bounds,
        }
    }
}

impl fmt::Debug for MaxScoreQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MaxScoreQuery").field(&self.terms).finish()
    }
}

impl Query for MaxScoreQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let union =
            BooleanQuery::new_multiterms_query(self.words.clone()).weight(enable_scoring)?;
        let EnableScoring::Enabled {
            statistics_provider,
            ..
        } = enable_scoring
        else {
            // Without scores there is nothing to prune: the plain union does the work.
            return Ok(union);
        };
        let terms = self
            .terms
            .iter()
            .map(|(term, count)| {
                let weight =
                    Bm25Weight::for_terms(statistics_provider, std::slice::from_ref(term))?;
                Ok((term.clone(), weight.boost_by(*count as Score)))
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(MaxScoreWeight {
            union,
            terms,
            bounds: self.bounds.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (term, _) in &self.terms {
            visitor(term, false);
        }
    }
}

struct MaxScoreWeight {
    /// The same disjunction as tantivy's boolean query, for everything but top-k collection.
    union: Box<dyn Weight>,
    terms: Vec<(Term, Bm25Weight)>,
    bounds: Arc<TermBounds>,
}

impl MaxScoreWeight {
    fn term_scorers(&self, reader: &SegmentReader) -> tantivy::Result<Vec<TermCursor>> {
        let mut scorers = Vec::with_capacity(self.terms.len());
        for (term, weight) in &self.terms {
            let field = term.field();
            let postings = reader
                .inverted_index(field)?
                .read_postings(term, IndexRecordOption::WithFreqs)?;
            if let Some(postings) = postings {
                let fieldnorms = reader.get_fieldnorms_reader(field)?;
                let max_score = self
                    .bounds
                    .frontier(reader, term)?
                    .iter()
                    .map(|&(id, tf)| weight.score(id, tf))
                    .fold(0.0, Score::max);
                scorers.push(TermCursor {
                    postings,
                    fieldnorms,
                    max_score,
                    weight: weight.clone(),
                });
            }
        }
        Ok(scorers)
    }
}

impl Weight for MaxScoreWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.union.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.union.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.union.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.union.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.union.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        if self.terms.len() < 3 {
            // One or two cursors: block-max WAND has nothing to re-sort and is hard to beat.
            return self.union.for_each_pruning(threshold, reader, callback);
        }
        max_score(self.term_scorers(reader)?, threshold, callback);
        Ok(())
    }
}

/// One term's postings in a segment, scored as tantivy's `TermScorer` scores them.
struct TermCursor {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    weight: Bm25Weight,
    /// The most this term adds to any document's score.
    max_score: Score,
}

impl TermCursor {
    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    /// Moves to the first document at or after `target` (which is after the current one).
    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn score(&self) -> Score {
        let doc = self.postings.doc();
        self.weight
            .score(self.fieldnorms.fieldnorm_id(doc), self.postings.term_freq())
    }
}

/// Calls `callback` with every document whose score exceeds the threshold, which `callback`
/// returns (the k-th best score so far, as tantivy's top-k collector does). Documents come in
/// increasing order; a document that cannot beat the threshold may be skipped.
fn max_score(
    mut scorers: Vec<TermCursor>,
    mut threshold: Score,
    callback: &mut dyn FnMut(DocId, Score) -> Score,
) {
    scorers.retain(|s| s.doc() != TERMINATED);
    // Weakest first: `bounds[i]` is the most terms 0..=i can add to a document together.
    scorers.sort_by(|a, b| a.max_score.total_cmp(&b.max_score));
    let bounds: Vec<Score> = scorers
        .iter()
        .scan(0.0, |sum, s| {
            *sum += s.max_score;
            Some(*sum)
        })
        .collect();
    // Terms before `essential` are non-essential: together they cannot beat the threshold.
    let mut essential = bounds.iter().take_while(|&&b| b <= threshold).count();
    while essential < scorers.len() {
        let doc = scorers[essential..]
            .iter()
            .map(TermCursor::doc)
            .min()
            .unwrap_or(TERMINATED);
        if doc == TERMINATED {
            break;
        }
        let mut score: Score = 0.0;
        for scorer in &mut scorers[essential..] {
            if scorer.doc() == doc {
                score += scorer.score();
                scorer.advance();
            }
        }
        // The non-essential terms, strongest first, while the document can still make it.
        let mut can_win = true;
        for i in (0..essential).rev() {
            if score + bounds[i] <= threshold {
                can_win = false;
                break;
            }
            let scorer = &mut scorers[i];
            if scorer.doc() < doc {
                scorer.seek(doc);
            }
            if scorer.doc() == doc {
                score += scorer.score();
            }
        }
        if can_win && score > threshold {
            threshold = callback(doc, score);
            while essential < scorers.len() && bounds[essential] <= threshold {
                essential += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, Index, IndexWriter};

    use super::*;

    /// A tiny deterministic generator (xorshift), so the test needs no extra dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// A word of a Zipf-like vocabulary of `n`: low numbers are common, high ones rare.
        fn word(&mut self, n: u64) -> String {
            let a = self.next() % n + 1;
            let b = self.next() % a + 1;
            format!("w{}", self.next() % b)
        }
    }

    /// Several segments, some documents deleted, a skewed vocabulary of 400 words.
    fn index(rng: &mut Rng) -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for segment in 0..3 {
            for id in 0..2_000 {
                let len = 5 + rng.next() % 60;
                let body: Vec<String> = (0..len).map(|_| rng.word(400)).collect();
                writer
                    .add_document(doc!(text => format!("id{segment}x{id} {}", body.join(" "))))
                    .unwrap();
            }
            writer.commit().unwrap();
        }
        for id in (0..2_000).step_by(7) {
            writer.delete_term(Term::from_field_text(text, &format!("id1x{id}")));
        }
        writer.commit().unwrap();
        (index, text)
    }

    #[test]
    fn max_score_ranks_exactly_as_tantivys_boolean_union() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let (index, field) = index(&mut rng);
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 3);
        let mut compared = 0;
        let bounds = Arc::new(TermBounds::default());
        for q in 0..120 {
            let len = 3 + (q % 18) as usize;
            let mut terms: Vec<Term> = Vec::new();
            while terms.len() < len {
                let term = Term::from_field_text(field, &rng.word(450));
                if !terms.contains(&term) {
                    terms.push(term);
                }
            }
            if q % 3 == 0 {
                // A word the query repeats counts twice.
                terms.push(terms[1].clone());
            }
            for k in [1, 10, 100, 300] {
                let top = TopDocs::with_limit(k).order_by_score();
                let expected = searcher
                    .search(&BooleanQuery::new_multiterms_query(terms.clone()), &top)
                    .unwrap();
                let got = searcher
                    .search(&MaxScoreQuery::new(terms.clone(), bounds.clone()), &top)
                    .unwrap();
                assert_eq!(got.len(), expected.len(), "query {q}, k {k}");
                for (rank, (g, e)) in got.iter().zip(&expected).enumerate() {
                    // The same documents with the same scores; sums taken in another order
                    // may differ in the last bits, which can swap two tied documents.
                    assert!(
                        (g.0 - e.0).abs() <= 1e-4 * e.0.abs().max(1.0),
                        "query {q}, k {k}, rank {rank}: {g:?} vs {e:?}"
                    );
                    if g.1 != e.1 {
                        // Then a tie: the document is in the expected list with that score, or
                        // ties the last score the expected list kept.
                        let last = expected.last().map_or(0.0, |x| x.0);
                        assert!(
                            expected
                                .iter()
                                .any(|x| x.1 == g.1 && (x.0 - g.0).abs() < 1e-4)
                                || (last - g.0).abs() < 1e-4,
                            "query {q}, k {k}, rank {rank}: {g:?} vs {e:?} (last {last})"
                        );
                    }
                }
                compared += got.len();
            }
        }
        assert!(compared > 10_000, "too few hits compared: {compared}");
    }

    #[test]
    fn counting_and_terms_are_the_plain_unions() {
        let mut rng = Rng(7);
        let (index, field) = index(&mut rng);
        let searcher = index.reader().unwrap().searcher();
        let terms: Vec<Term> = ["w0", "w3", "w17", "w200"]
            .iter()
            .map(|w| Term::from_field_text(field, w))
            .collect();
        let query = MaxScoreQuery::new(terms.clone(), Arc::default());
        let union = BooleanQuery::new_multiterms_query(terms.clone());
        assert_eq!(
            query.count(&searcher).unwrap(),
            union.count(&searcher).unwrap()
        );
        let mut seen = Vec::new();
        query.query_terms(&mut |term, _| seen.push(term.clone()));
        assert_eq!(seen, terms);
    }
}
