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
//! The documents are taken in windows of 8,192, as Lucene's MaxScore does. In each window the
//! terms are ordered by the most they score there (0 for a term the window lacks), and the
//! essential terms' postings are summed into an array of the window's documents, one term after
//! the other, instead of merging 10 or 15 cursors document by document; the documents hit are
//! then completed with the non-essential terms. At a million papers this halved the median
//! and the 99th percentile of BM25 alone (`paperhub-bench run`, "bounds per segment" against
//! "index only"; BENCHMARKS.md).
//!
//! A term's bounds are exact, not tantivy's idf x (k1 + 1): see [`TermBounds`].
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
    /// Documents are taken in windows of `1 << window_shift`.
    window_shift: u32,
}

/// The pairs (fieldnorm id, term frequency) of a term's postings that no other of its postings
/// dominates (a shorter document with at least as many occurrences). BM25 grows with the
/// frequency and falls with the length, whatever the statistics, so the most a term can score
/// in a set of documents is the best of that set's frontier.
type Pair = (u8, u32);

/// A term's bounds are kept for each block of `1 << BLOCK_SHIFT` document ids; MaxScore takes
/// the documents in windows of one or more whole blocks.
pub(crate) const BLOCK_SHIFT: u32 = 13;

/// Documents per window by default: `1 << WINDOW_SHIFT` (see [`MaxScoreQuery::new`]).
pub(crate) const WINDOW_SHIFT: u32 = 13;

/// The largest window: a whole segment (document ids are below 2^31).
pub(crate) const SEGMENT_WINDOW_SHIFT: u32 = 31;

/// What one term can score in one segment, block by block ([`BLOCK_SHIFT`]).
pub(crate) struct TermBlocks {
    /// The blocks holding the term, ascending.
    blocks: Box<[u32]>,
    /// `pairs[ends[i - 1]..ends[i]]` is the frontier of `blocks[i]` (from 0 for the first).
    ends: Box<[u32]>,
    pairs: Box<[Pair]>,
}

impl TermBlocks {
    /// Reads the term's postings once and keeps the frontiers.
    fn learn(reader: &SegmentReader, term: &Term) -> tantivy::Result<Self> {
        let fieldnorms = reader.get_fieldnorms_reader(term.field())?;
        let mut block_tf = [0u32; 256];
        let mut blocks = Vec::new();
        let mut ends = Vec::new();
        let mut pairs = Vec::new();
        let mut current = None;
        if let Some(mut postings) = reader
            .inverted_index(term.field())?
            .read_block_postings(term, IndexRecordOption::WithFreqs)?
        {
            while !postings.docs().is_empty() {
                for (&doc, &tf) in postings.docs().iter().zip(postings.freqs()) {
                    let block = doc >> BLOCK_SHIFT;
                    if current != Some(block) {
                        if let Some(done) = current {
                            blocks.push(done);
                            push_frontier(&mut block_tf, &mut pairs);
                            ends.push(u32::try_from(pairs.len()).unwrap_or(u32::MAX));
                        }
                        current = Some(block);
                    }
                    let id = usize::from(fieldnorms.fieldnorm_id(doc));
                    block_tf[id] = block_tf[id].max(tf);
                }
                postings.advance();
            }
        }
        if let Some(done) = current {
            blocks.push(done);
            push_frontier(&mut block_tf, &mut pairs);
            ends.push(u32::try_from(pairs.len()).unwrap_or(u32::MAX));
        }
        Ok(Self {
            blocks: blocks.into(),
            ends: ends.into(),
            pairs: pairs.into(),
        })
    }

    /// Bytes held, for the cache's budget.
    fn bytes(&self) -> usize {
        self.pairs.len() * std::mem::size_of::<Pair>() + (self.blocks.len() + self.ends.len()) * 4
    }

    /// The frontier of the `i`-th block holding the term.
    fn block(&self, i: usize) -> &[Pair] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.pairs[start..self.ends[i] as usize]
    }
}

/// Appends the frontier of `max_tf` (the highest frequency per fieldnorm id) to `out` and
/// clears `max_tf`.
fn push_frontier(max_tf: &mut [u32; 256], out: &mut Vec<Pair>) {
    let mut best = 0;
    for (id, tf) in max_tf.iter_mut().enumerate() {
        if *tf > best {
            best = *tf;
            out.push((u8::try_from(id).expect("invariant: 256 fieldnorm ids"), *tf));
        }
        *tf = 0;
    }
}

/// Frontiers by segment and term.
type Frontiers = FxHashMap<(SegmentId, Term), Arc<TermBlocks>>;

/// Bytes of frontiers [`TermBounds`] keeps before it starts again (a term keeps a few 8-byte
/// pairs per block of documents that holds it).
const BOUNDS_CAPACITY_BYTES: usize = 64 << 20;

/// The largest window scored in bulk (its sums take 4 bytes per document).
const MAX_BULK_SHIFT: u32 = 16;

/// What each term can add to a document's score at most, per block of documents, learnt the
/// first time a query uses the term and kept for the index's life (segments never change;
/// merged ones get new ids).
///
/// tantivy's bound for a term is its idf x (k1 + 1), what an infinitely frequent term in an
/// empty document would score; real documents reach 70-85% of it, and the documents of most
/// windows less. Tighter bounds make more terms non-essential sooner. The bounds kept are
/// exact, not guesses: the term's postings are read once and reduced to their frontiers
/// ([`Pair`]), so the most the term scores under any later statistics is the best of a few
/// pairs.
#[derive(Default)]
pub(crate) struct TermBounds {
    frontiers: Mutex<(Frontiers, usize)>,
}

impl TermBounds {
    /// The frontiers of `term` in `reader`.
    fn blocks(&self, reader: &SegmentReader, term: &Term) -> tantivy::Result<Arc<TermBlocks>> {
        let key = (reader.segment_id(), term.clone());
        if let Some(found) = self.lock().0.get(&key) {
            return Ok(found.clone());
        }
        let blocks = Arc::new(TermBlocks::learn(reader, term)?);
        let mut guard = self.lock();
        let (map, bytes) = &mut *guard;
        if *bytes + blocks.bytes() > BOUNDS_CAPACITY_BYTES {
            map.clear();
            *bytes = 0;
        }
        *bytes += blocks.bytes();
        if let Some(replaced) = map.insert(key, blocks.clone()) {
            *bytes -= replaced.bytes();
        }
        Ok(blocks)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Frontiers, usize)> {
        // The map holds only derived numbers: one poisoned by a panic is still usable.
        self.frontiers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl MaxScoreQuery {
    /// The query for `words`, in order, repeats included, learning term bounds into `bounds`,
    /// taking the documents in windows of `1 << window_shift` ([`WINDOW_SHIFT`] unless a
    /// benchmark compares others).
    pub(crate) fn new(words: Vec<Term>, bounds: Arc<TermBounds>, window_shift: u32) -> Self {
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
            window_shift,
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
            window_shift: self.window_shift,
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
    window_shift: u32,
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
                let blocks = self.bounds.blocks(reader, term)?;
                scorers.push(TermCursor {
                    postings,
                    fieldnorms,
                    weight: weight.clone(),
                    blocks,
                    next_block: 0,
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
        max_score(
            self.term_scorers(reader)?,
            threshold,
            callback,
            self.window_shift,
        );
        Ok(())
    }
}

/// The most a term weighted by `weight` scores with any of `pairs`.
fn best_score(pairs: &[Pair], weight: &Bm25Weight) -> Score {
    pairs
        .iter()
        .map(|&(id, tf)| weight.score(id, tf))
        .fold(0.0, Score::max)
}

/// One term's postings in a segment, scored as tantivy's `TermScorer` scores them.
struct TermCursor {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    weight: Bm25Weight,
    blocks: Arc<TermBlocks>,
    /// The first of `blocks.blocks` not yet passed.
    next_block: usize,
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

    /// The next window of `1 << (BLOCK_SHIFT + blocks_per_window)` documents, at or after
    /// `window`, that holds the term (`u32::MAX` when none).
    fn next_window(&mut self, window: u32, blocks_per_window: u32) -> u32 {
        let first = window << blocks_per_window;
        let blocks = &self.blocks.blocks;
        while self.next_block < blocks.len() && blocks[self.next_block] < first {
            self.next_block += 1;
        }
        blocks
            .get(self.next_block)
            .map_or(u32::MAX, |&block| block >> blocks_per_window)
    }

    /// The most this term adds to a document of `window` (0 if it holds none).
    fn window_score(&mut self, window: u32, blocks_per_window: u32) -> Score {
        if self.next_window(window, blocks_per_window) != window {
            return 0.0;
        }
        let held = &self.blocks.blocks[self.next_block..];
        let in_window = held
            .iter()
            .take_while(|&&block| block >> blocks_per_window == window)
            .count();
        (self.next_block..self.next_block + in_window)
            .map(|i| best_score(self.blocks.block(i), &self.weight))
            .fold(0.0, Score::max)
    }
}

/// Calls `callback` with every document whose score exceeds the threshold, which `callback`
/// returns (the k-th best score so far, as tantivy's top-k collector does). Documents come in
/// increasing order; a document that cannot beat the threshold may be skipped.
///
/// The documents are taken in windows of `1 << window_shift` (at least a block,
/// [`BLOCK_SHIFT`]; [`SEGMENT_WINDOW_SHIFT`] makes the segment one window). In each window
/// the terms are ordered by the most they add to a document of that window (0 for a term the
/// window lacks). A window whose bounds together cannot beat the threshold is skipped without
/// reading a posting. In the others, windows of up to `1 << MAX_BULK_SHIFT` documents are
/// scored in bulk (the essential terms summed into an array, then the documents hit completed
/// in order); larger ones merge the essential cursors document by document.
fn max_score(
    mut scorers: Vec<TermCursor>,
    mut threshold: Score,
    callback: &mut dyn FnMut(DocId, Score) -> Score,
    window_shift: u32,
) {
    let window_shift = window_shift.clamp(BLOCK_SHIFT, SEGMENT_WINDOW_SHIFT);
    let blocks_per_window = window_shift - BLOCK_SHIFT;
    scorers.retain(|s| s.doc() != TERMINATED);
    let n = scorers.len();
    // Per window: `order` lists the terms weakest first, `bounds[i]` is the most the terms
    // `order[0..=i]` can add to a document of the window together.
    let mut order: Vec<usize> = (0..n).collect();
    let mut window_scores: Vec<Score> = vec![0.0; n];
    let mut bounds: Vec<Score> = vec![0.0; n];
    // Bulk scoring: the essential terms' postings are summed per document into `sums` (`hit`
    // marks the documents), term after term.
    let bulk = window_shift <= MAX_BULK_SHIFT;
    let window_docs = if bulk { 1usize << window_shift } else { 0 };
    let mut sums: Vec<Score> = vec![0.0; window_docs];
    let mut hit: Vec<u64> = vec![0; window_docs.div_ceil(64)];
    let mut window = 0u32;
    loop {
        // The next window that holds any of the terms.
        window = scorers
            .iter_mut()
            .map(|s| s.next_window(window, blocks_per_window))
            .min()
            .unwrap_or(u32::MAX);
        if window == u32::MAX {
            break;
        }
        let start = window << window_shift;
        let end = start.saturating_add(1 << window_shift).min(TERMINATED);
        let mut total: Score = 0.0;
        for (score, scorer) in window_scores.iter_mut().zip(&mut scorers) {
            *score = scorer.window_score(window, blocks_per_window);
            total += *score;
        }
        window += 1;
        if total <= threshold {
            continue;
        }
        order.sort_unstable_by(|&a, &b| window_scores[a].total_cmp(&window_scores[b]));
        let mut sum = 0.0;
        for (bound, &i) in bounds.iter_mut().zip(&order) {
            sum += window_scores[i];
            *bound = sum;
        }
        // Terms before `essential` are non-essential: together they cannot beat the threshold.
        let mut essential = bounds.iter().take_while(|&&b| b <= threshold).count();
        for &i in &order[essential..] {
            if scorers[i].doc() < start {
                scorers[i].seek(start);
            }
        }
        if bulk {
            // The essential terms' postings of the window, term by term, summed per document.
            for &i in &order[essential..] {
                let scorer = &mut scorers[i];
                let mut doc = scorer.doc();
                while doc < end {
                    let at = (doc - start) as usize;
                    sums[at] += scorer.score();
                    hit[at >> 6] |= 1 << (at & 63);
                    doc = scorer.advance();
                }
            }
            for (word, bits) in hit.iter_mut().enumerate() {
                let mut bits = std::mem::take(bits);
                while bits != 0 {
                    let at = word * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let doc = start + at as u32;
                    let score = std::mem::take(&mut sums[at]);
                    let (can_win, score) = non_essential(
                        &mut scorers,
                        &order,
                        &bounds,
                        essential,
                        doc,
                        score,
                        threshold,
                    );
                    if can_win && score > threshold {
                        threshold = callback(doc, score);
                    }
                }
            }
            continue;
        }
        while essential < n {
            let doc = order[essential..]
                .iter()
                .map(|&i| scorers[i].doc())
                .min()
                .unwrap_or(TERMINATED);
            if doc >= end {
                break;
            }
            let mut score: Score = 0.0;
            for &i in &order[essential..] {
                let scorer = &mut scorers[i];
                if scorer.doc() == doc {
                    score += scorer.score();
                    scorer.advance();
                }
            }
            let (can_win, score) = non_essential(
                &mut scorers,
                &order,
                &bounds,
                essential,
                doc,
                score,
                threshold,
            );
            if can_win && score > threshold {
                threshold = callback(doc, score);
                while essential < n && bounds[essential] <= threshold {
                    essential += 1;
                }
            }
        }
    }
}

/// Adds the non-essential terms (`order[..essential]`) of `doc` to its `score`, strongest
/// first, while the document can still beat `threshold`; returns whether it still can, and
/// the score.
fn non_essential(
    scorers: &mut [TermCursor],
    order: &[usize],
    bounds: &[Score],
    essential: usize,
    doc: DocId,
    mut score: Score,
    threshold: Score,
) -> (bool, Score) {
    for j in (0..essential).rev() {
        if score + bounds[j] <= threshold {
            return (false, score);
        }
        let scorer = &mut scorers[order[j]];
        if scorer.doc() < doc {
            scorer.seek(doc);
        }
        if scorer.doc() == doc {
            score += scorer.score();
        }
    }
    (true, score)
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

    /// Three segments of `docs` documents each, some deleted, a skewed vocabulary of 400 words.
    /// With `drift`, the vocabulary moves along the documents (a topic that comes and goes), so
    /// that windows of documents differ in what their terms can score.
    fn index(rng: &mut Rng, docs: u64, drift: bool) -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000).unwrap();
        for segment in 0..3 {
            for id in 0..docs {
                let len = 5 + rng.next() % 60;
                let shift = if drift { (id / 1_500) * 37 } else { 0 };
                let body: Vec<String> = (0..len)
                    .map(|_| {
                        let word = rng.word(400);
                        match word[1..].parse::<u64>() {
                            Ok(n) if n > 20 => format!("w{}", (n + shift) % 450),
                            _ => word,
                        }
                    })
                    .collect();
                writer
                    .add_document(doc!(text => format!("id{segment}x{id} {}", body.join(" "))))
                    .unwrap();
            }
            writer.commit().unwrap();
        }
        for id in (0..docs).step_by(7) {
            writer.delete_term(Term::from_field_text(text, &format!("id1x{id}")));
        }
        writer.commit().unwrap();
        (index, text)
    }

    /// Compares MaxScore's top k with the boolean union's for 120 random queries and several k.
    fn assert_ranks_as_the_boolean_union(
        index: &Index,
        field: tantivy::schema::Field,
        rng: &mut Rng,
        window_shift: u32,
    ) {
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
                    .search(
                        &MaxScoreQuery::new(terms.clone(), bounds.clone(), window_shift),
                        &top,
                    )
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
    fn max_score_ranks_exactly_as_tantivys_boolean_union() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let (index, field) = index(&mut rng, 2_000, false);
        // Segments of 2,000 documents: one window each, the bounds of the whole segment.
        assert_ranks_as_the_boolean_union(&index, field, &mut rng, SEGMENT_WINDOW_SHIFT);
    }

    #[test]
    fn window_bounds_rank_exactly_where_the_vocabulary_drifts() {
        // Segments of several windows, whose terms' bounds differ from window to window.
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let docs = 3 << (WINDOW_SHIFT - 1);
        let (index, field) = index(&mut rng, docs, true);
        for window_shift in [WINDOW_SHIFT, MAX_BULK_SHIFT] {
            assert_ranks_as_the_boolean_union(&index, field, &mut rng, window_shift);
        }
    }

    #[test]
    fn counting_and_terms_are_the_plain_unions() {
        let mut rng = Rng(7);
        let (index, field) = index(&mut rng, 2_000, false);
        let searcher = index.reader().unwrap().searcher();
        let terms: Vec<Term> = ["w0", "w3", "w17", "w200"]
            .iter()
            .map(|w| Term::from_field_text(field, w))
            .collect();
        let query = MaxScoreQuery::new(terms.clone(), Arc::default(), WINDOW_SHIFT);
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
