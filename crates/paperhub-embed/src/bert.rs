//! The forward pass of all-MiniLM-L6-v2 (BERT: 6 layers, hidden 384, 12 heads, FFN 1536, exact
//! GELU, post-LayerNorm), followed by mean pooling and L2 normalisation.
//!
//! Why it is fast without padding: every projection (Q/K/V, attention output, both FFN
//! matrices) acts on tokens one by one, so the tokens of all sequences of a batch are stacked
//! into one `[tokens × 384]` matrix and each projection is one large GEMM (faer, runtime-
//! dispatched AVX2/AVX-512, on every core). Only attention looks across tokens; it runs per
//! (sequence, head) at the sequence's own length, in parallel. The element-wise work (bias,
//! GELU, softmax, LayerNorm) is written as plain loops compiled for the CPU's vector width
//! through `pulp`'s runtime dispatch.

use std::path::Path;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};

use crate::{amx, few_rows, EmbedError, Precision, Result, DIMENSIONS, MAX_TOKENS};

const HIDDEN: usize = DIMENSIONS;
const HEADS: usize = 12;
const HEAD_DIM: usize = HIDDEN / HEADS;
const QKV: usize = 3 * HIDDEN;
const FFN: usize = 1536;
const LAYERS: usize = 6;
const VOCAB: usize = 30522;
const MAX_POSITIONS: usize = 512;
const LAYER_NORM_EPS: f32 = 1e-12;
/// Rows of the element-wise passes handed to one rayon task.
const ROWS_PER_TASK: usize = 32;

/// One encoder layer. Matrices are transposed once on load from PyTorch's `[out × in]` to
/// `[in × out]` (see [`Linear`]).
struct Layer {
    /// Query, key and value side by side: `[384 × 1152]`, so the three projections are one GEMM.
    qkv_weight: Linear,
    qkv_bias: Vec<f32>,
    attn_out_weight: Linear,
    attn_out_bias: Vec<f32>,
    attn_norm_weight: Vec<f32>,
    attn_norm_bias: Vec<f32>,
    ffn_in_weight: Linear,
    ffn_in_bias: Vec<f32>,
    ffn_out_weight: Linear,
    ffn_out_bias: Vec<f32>,
    ffn_norm_weight: Vec<f32>,
    ffn_norm_bias: Vec<f32>,
}

pub(crate) struct Bert {
    word_embeddings: Vec<f32>,
    position_embeddings: Vec<f32>,
    /// Row 0 of the token-type embeddings: every token is of type 0.
    token_type_embedding: Vec<f32>,
    embed_norm_weight: Vec<f32>,
    embed_norm_bias: Vec<f32>,
    layers: Vec<Layer>,
}

impl Bert {
    pub(crate) fn load(path: &Path, precision: Precision) -> Result<Self> {
        let amx = precision == Precision::Auto && amx::available();
        // The bf16 copy a hybrid search's query is multiplied by, where there is no AMX.
        let bf16 = precision == Precision::Auto && !amx && few_rows::bf16_available();
        let linear = |weight: Vec<f32>, out: usize, inner: usize| {
            Linear::new(transpose(&weight, out, inner), inner, out, amx, bf16)
        };
        let bad = |reason: String| EmbedError::BadModelFile {
            path: path.to_path_buf(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| EmbedError::io("cannot read", path, e))?;
        let tensors = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let tensor = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
            let view = tensors
                .tensor(name)
                .or_else(|_| tensors.tensor(&format!("bert.{name}")))
                .map_err(|_| bad(format!("it has no tensor {name}")))?;
            if view.dtype() != Dtype::F32 || view.shape() != shape {
                return Err(bad(format!(
                    "tensor {name} is {:?} {:?}, expected F32 {shape:?}",
                    view.dtype(),
                    view.shape()
                )));
            }
            Ok(view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect())
        };
        let mut token_type_embedding =
            tensor("embeddings.token_type_embeddings.weight", &[2, HIDDEN])?;
        token_type_embedding.truncate(HIDDEN);
        let mut layers = Vec::with_capacity(LAYERS);
        for i in 0..LAYERS {
            let p = format!("encoder.layer.{i}");
            let mut qkv_weight = Vec::with_capacity(QKV * HIDDEN);
            let mut qkv_bias = Vec::with_capacity(QKV);
            for part in ["query", "key", "value"] {
                qkv_weight.extend(tensor(
                    &format!("{p}.attention.self.{part}.weight"),
                    &[HIDDEN, HIDDEN],
                )?);
                qkv_bias.extend(tensor(
                    &format!("{p}.attention.self.{part}.bias"),
                    &[HIDDEN],
                )?);
            }
            layers.push(Layer {
                qkv_weight: linear(qkv_weight, QKV, HIDDEN),
                qkv_bias,
                attn_out_weight: linear(
                    tensor(
                        &format!("{p}.attention.output.dense.weight"),
                        &[HIDDEN, HIDDEN],
                    )?,
                    HIDDEN,
                    HIDDEN,
                ),
                attn_out_bias: tensor(&format!("{p}.attention.output.dense.bias"), &[HIDDEN])?,
                attn_norm_weight: tensor(
                    &format!("{p}.attention.output.LayerNorm.weight"),
                    &[HIDDEN],
                )?,
                attn_norm_bias: tensor(&format!("{p}.attention.output.LayerNorm.bias"), &[HIDDEN])?,
                ffn_in_weight: linear(
                    tensor(&format!("{p}.intermediate.dense.weight"), &[FFN, HIDDEN])?,
                    FFN,
                    HIDDEN,
                ),
                ffn_in_bias: tensor(&format!("{p}.intermediate.dense.bias"), &[FFN])?,
                ffn_out_weight: linear(
                    tensor(&format!("{p}.output.dense.weight"), &[HIDDEN, FFN])?,
                    HIDDEN,
                    FFN,
                ),
                ffn_out_bias: tensor(&format!("{p}.output.dense.bias"), &[HIDDEN])?,
                ffn_norm_weight: tensor(&format!("{p}.output.LayerNorm.weight"), &[HIDDEN])?,
                ffn_norm_bias: tensor(&format!("{p}.output.LayerNorm.bias"), &[HIDDEN])?,
            });
        }
        Ok(Bert {
            word_embeddings: tensor("embeddings.word_embeddings.weight", &[VOCAB, HIDDEN])?,
            position_embeddings: tensor(
                "embeddings.position_embeddings.weight",
                &[MAX_POSITIONS, HIDDEN],
            )?,
            token_type_embedding,
            embed_norm_weight: tensor("embeddings.LayerNorm.weight", &[HIDDEN])?,
            embed_norm_bias: tensor("embeddings.LayerNorm.bias", &[HIDDEN])?,
            layers,
        })
    }

    /// Whether the matrix products run on AMX tiles (bf16), not in f32.
    pub(crate) fn uses_amx(&self) -> bool {
        self.layers.iter().any(|layer| layer.qkv_weight.is_amx())
    }

    /// Embeds token-id sequences (each at most [`MAX_TOKENS`] long, `[CLS]`/`[SEP]` included):
    /// one L2-normalised vector per sequence, in order.
    ///
    /// `threads` says whether this pass may use every core ([`Threads::All`], for one text or a
    /// small batch) or must stay on the calling thread ([`Threads::One`], when the caller runs
    /// several passes side by side).
    pub(crate) fn embed(
        &self,
        sequences: &[Vec<u32>],
        threads: Threads,
        arithmetic: Arithmetic,
    ) -> Vec<Vec<f32>> {
        let lengths: Vec<usize> = sequences.iter().map(|s| s.len().min(MAX_TOKENS)).collect();
        let tokens: usize = lengths.iter().sum();
        if tokens == 0 {
            return vec![vec![0.0; HIDDEN]; sequences.len()];
        }
        let mut x = vec![0.0f32; tokens * HIDDEN];
        self.embed_tokens(sequences, &lengths, &mut x, threads);

        // Working buffers, allocated once per pass and reused by every layer.
        let mut qkv = vec![0.0f32; tokens * QKV];
        let mut context = vec![0.0f32; tokens * HIDDEN];
        let mut projected = vec![0.0f32; tokens * HIDDEN];
        let mut intermediate = vec![0.0f32; tokens * FFN];
        for layer in &self.layers {
            layer.qkv_weight.apply(&x, &mut qkv, threads, arithmetic);
            add_bias(&mut qkv, &layer.qkv_bias, threads);
            attention(&qkv, &lengths, &mut context, threads);
            layer
                .attn_out_weight
                .apply(&context, &mut projected, threads, arithmetic);
            add_bias_residual_norm(
                &projected,
                &layer.attn_out_bias,
                &mut x,
                (&layer.attn_norm_weight, &layer.attn_norm_bias),
                threads,
            );
            layer
                .ffn_in_weight
                .apply(&x, &mut intermediate, threads, arithmetic);
            add_bias_gelu(&mut intermediate, &layer.ffn_in_bias, threads);
            layer
                .ffn_out_weight
                .apply(&intermediate, &mut projected, threads, arithmetic);
            add_bias_residual_norm(
                &projected,
                &layer.ffn_out_bias,
                &mut x,
                (&layer.ffn_norm_weight, &layer.ffn_norm_bias),
                threads,
            );
        }
        mean_pool_normalise(&x, &lengths)
    }

    /// Word + position + token-type embeddings, then LayerNorm, into `x` (`[tokens × 384]`).
    fn embed_tokens(
        &self,
        sequences: &[Vec<u32>],
        lengths: &[usize],
        x: &mut [f32],
        threads: Threads,
    ) {
        let mut rows = x.chunks_exact_mut(HIDDEN);
        for (sequence, &len) in sequences.iter().zip(lengths) {
            for (position, &id) in sequence[..len].iter().enumerate() {
                let row = rows.next().expect("invariant: x has one row per token");
                // An id outside the vocabulary cannot come from our tokenizer; map it to [UNK]
                // (100) rather than panic.
                let id = if (id as usize) < VOCAB {
                    id as usize
                } else {
                    100
                };
                let word = &self.word_embeddings[id * HIDDEN..][..HIDDEN];
                let pos = &self.position_embeddings[position * HIDDEN..][..HIDDEN];
                for (((out, w), p), t) in row
                    .iter_mut()
                    .zip(word)
                    .zip(pos)
                    .zip(&self.token_type_embedding)
                {
                    *out = w + p + t;
                }
            }
        }
        threads.rows(x, HIDDEN, |rows| {
            simd(ResidualNorm {
                x: rows,
                residual: None,
                weight: &self.embed_norm_weight,
                norm_bias: &self.embed_norm_bias,
            })
        });
    }
}

/// How many threads one forward pass uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Threads {
    /// Every core of the rayon pool: GEMMs split across threads, attention heads in parallel.
    All,
    /// Only the calling thread, for passes that already run one per core.
    One,
}

impl Threads {
    /// How a GEMM is shared out: on every core, by output columns (see [`linear`]).
    fn gemm(self) -> Gemm {
        match self {
            Threads::All if rayon::current_num_threads() > 1 => {
                Gemm::Columns(rayon::current_num_threads())
            }
            _ => Gemm::Seq,
        }
    }

    /// Runs `f` over `data` in blocks of [`ROWS_PER_TASK`] rows of `width`.
    fn rows(self, data: &mut [f32], width: usize, f: impl Fn(&mut [f32]) + Send + Sync) {
        match self {
            Threads::All => data.par_chunks_mut(width * ROWS_PER_TASK).for_each(f),
            Threads::One => f(data),
        }
    }
}

/// How exactly a forward pass multiplies: on AMX tiles, and on AVX-512 BF16 for few rows (in
/// f32 everywhere else both are the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arithmetic {
    /// Weights and activations each split in two bf16 parts: rankings as f32's.
    Exact,
    /// For a query whose neighbours are only candidates for a fused ranking: the weights
    /// rounded to bf16 (half the bytes a product reads) on AMX, weights and activations
    /// rounded to bf16 with AVX-512 BF16 ([`few_rows::product_bf16`]).
    Fast,
}

/// How one matrix product is shared among threads.
#[derive(Debug, Clone, Copy)]
enum Gemm {
    /// On the calling thread.
    Seq,
    /// In this many blocks of output columns, one per rayon thread, each a sequential product
    /// over its own columns of the weights.
    Columns(usize),
}

/// A weight matrix `W` of a linear layer, `[k × n]`, as the matrix products read it.
enum Linear {
    /// f32, row-major, for faer ([`linear`]), and again in stripes for products of few rows
    /// where the CPU runs that kernel ([`few_rows`]).
    F32 {
        weight_t: Vec<f32>,
        k: usize,
        stripes: Option<few_rows::Stripes>,
        /// The weights rounded to bf16, in stripes, for a candidates query of few rows
        /// ([`Arithmetic::Fast`]) where the CPU has AVX-512 BF16.
        bf16_stripes: Option<few_rows::Bf16Stripes>,
    },
    /// bf16 in AMX tile blocks ([`amx::matmul`]).
    Amx(amx::PackedWeight),
}

impl Linear {
    /// `weight_t` is `[k × n]` row-major.
    fn new(weight_t: Vec<f32>, k: usize, n: usize, amx: bool, bf16: bool) -> Self {
        if amx {
            Linear::Amx(amx::PackedWeight::new(&weight_t, k, n))
        } else {
            let stripes = (few_rows::available() && n.is_multiple_of(16))
                .then(|| few_rows::Stripes::new(&weight_t, k, n));
            let bf16_stripes = (bf16 && n.is_multiple_of(16) && k.is_multiple_of(2))
                .then(|| few_rows::Bf16Stripes::new(&weight_t, k, n));
            Linear::F32 {
                weight_t,
                k,
                stripes,
                bf16_stripes,
            }
        }
    }

    /// `out[rows × n] = x[rows × k] · W`.
    fn apply(&self, x: &[f32], out: &mut [f32], threads: Threads, arithmetic: Arithmetic) {
        match self {
            Linear::F32 {
                weight_t,
                k,
                stripes,
                bf16_stripes,
            } => {
                let n = weight_t.len() / k;
                match bf16_stripes {
                    Some(bf16_stripes)
                        if arithmetic == Arithmetic::Fast && x.len() / k <= few_rows::MAX_ROWS =>
                    {
                        linear_bf16(x, *k, bf16_stripes, out, n, threads.gemm())
                    }
                    _ => linear(x, *k, weight_t, stripes.as_ref(), out, n, threads.gemm()),
                }
            }
            Linear::Amx(packed) => amx::matmul(
                x,
                packed,
                out,
                threads == Threads::All,
                arithmetic == Arithmetic::Exact,
            ),
        }
    }

    fn is_amx(&self) -> bool {
        matches!(self, Linear::Amx(_))
    }
}

/// `out[rows × n] = x[rows × k] · Wᵀ` for `Wᵀ` stored `[k × n]` row-major.
///
/// The GEMM works on the transposed problem, `outᵀ = W · xᵀ` (its output column-major), so `W`
/// is its left-hand side. Laid out `[k × n]` row-major, `W` is column-major there and is read
/// in place; in PyTorch's `[n × k]` layout it was copied into packed panels on every call,
/// which cost as much as the multiplication itself for a 20-token query (measured with perf
/// under HTTP load: 21% of the server's time in `gemm_pack`).
///
/// A pass on every core (one query, one document, or a batch of at most
/// `TOKENS_PER_PASS` tokens) splits each product by output columns
/// ([`Gemm::Columns`]): each thread reads only its share of the weights, which for a few rows
/// is most of the work, and no thread waits on another until the product ends. faer's own
/// split was slower than one thread for a query: p50 12.3 ms on two cores against 10.4 ms on
/// one; split by columns 7.0-7.3 ms, and one 256-token document 10.6-10.8 against 9.8 docs/s
/// (`paperhub-bench embed`, AMD EPYC, 2026-12-01).
///
/// Products of at most [`few_rows::MAX_ROWS`] rows (a query) go to [`few_rows`] instead where
/// the CPU has AVX-512, by the same column split: on a Zen 4 machine a query on one thread took
/// 3.9-5.0 ms against faer's 8.1-8.4, and hybrid search over HTTP served 83-91 requests/s
/// against 69-79 (`paperhub-bench embed`, `bench/http/run.sh`, runs interleaved).
fn linear(
    x: &[f32],
    k: usize,
    weight_t: &[f32],
    stripes: Option<&few_rows::Stripes>,
    out: &mut [f32],
    n: usize,
    gemm: Gemm,
) {
    let rows = x.len() / k;
    if let Some(stripes) = stripes.filter(|_| rows <= few_rows::MAX_ROWS) {
        let out = few_rows::OutColumns::new(out);
        match gemm {
            Gemm::Seq => few_rows::product(x, stripes, out, 0..n),
            Gemm::Columns(parts) => column_blocks(n, parts)
                .into_par_iter()
                .for_each(|cols| few_rows::product(x, stripes, out, cols)),
        }
        return;
    }
    let lhs = MatRef::from_row_major_slice(x, rows, k);
    let rhs = MatRef::from_row_major_slice(weight_t, k, n);
    let mut dst = MatMut::from_row_major_slice_mut(out, rows, n);
    match gemm {
        Gemm::Seq => matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq),
        Gemm::Columns(parts) => {
            let mut blocks = Vec::with_capacity(parts);
            for range in column_blocks(n, parts) {
                let (start, cols) = (range.start, range.len());
                let (block, rest) = dst.split_at_col_mut(cols);
                blocks.push((start, cols, block));
                dst = rest;
            }
            blocks.into_par_iter().for_each(|(start, cols, block)| {
                matmul(
                    block,
                    Accum::Replace,
                    lhs,
                    rhs.subcols(start, cols),
                    1.0,
                    Par::Seq,
                );
            });
        }
    }
}

/// `out[rows × n] = x[rows × k] · W` for a few rows, with the weights rounded to bf16
/// ([`few_rows::product_bf16`]), split by output columns as [`linear`] splits.
fn linear_bf16(
    x: &[f32],
    k: usize,
    stripes: &few_rows::Bf16Stripes,
    out: &mut [f32],
    n: usize,
    gemm: Gemm,
) {
    let x = few_rows::Bf16Rows::new(x, k);
    let out = few_rows::OutColumns::new(out);
    match gemm {
        Gemm::Seq => few_rows::product_bf16(&x, stripes, out, 0..n),
        Gemm::Columns(parts) => column_blocks(n, parts)
            .into_par_iter()
            .for_each(|cols| few_rows::product_bf16(&x, stripes, out, cols)),
    }
}

/// The output columns `0..n` cut into at most `parts` blocks of whole SIMD registers (16
/// columns), as even as that allows, for [`Gemm::Columns`].
fn column_blocks(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let width = n.div_ceil(parts.max(1)).next_multiple_of(16);
    (0..n)
        .step_by(width.max(1))
        .map(|start| start..(start + width).min(n))
        .collect()
}

/// `[rows × cols]` row-major to `[cols × rows]` row-major.
fn transpose(matrix: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; matrix.len()];
    for (r, row) in matrix.chunks_exact(cols).enumerate() {
        for (c, &value) in row.iter().enumerate() {
            out[c * rows + r] = value;
        }
    }
    debug_assert_eq!(rows * cols, matrix.len());
    out
}

/// Self-attention of every (sequence, head) pair at the sequence's own length: reads Q, K, V from
/// `qkv` (`[tokens × 1152]`), writes each head's output into its 32 columns of `context`.
fn attention(qkv: &[f32], lengths: &[usize], context: &mut [f32], threads: Threads) {
    let scale = 1.0 / (HEAD_DIM as f32).sqrt();
    let mut tasks = Vec::with_capacity(lengths.len() * HEADS);
    let mut rest = context;
    let mut offset = 0;
    for &len in lengths {
        let (mine, others) = rest.split_at_mut(len * HIDDEN);
        rest = others;
        let mut heads = MatMut::from_row_major_slice_mut(mine, len, HIDDEN);
        for head in 0..HEADS {
            let (this, remaining) = heads.split_at_col_mut(HEAD_DIM);
            heads = remaining;
            tasks.push((offset, len, head, this));
        }
        offset += len;
    }
    let attend = |scores: &mut Vec<f32>,
                  (offset, len, head, out): (usize, usize, usize, MatMut<f32>)| {
        if len == 0 {
            return;
        }
        let rows = &qkv[offset * QKV..(offset + len) * QKV];
        let column = |start: usize| {
            MatRef::from_row_major_slice_with_stride(&rows[start..], len, HEAD_DIM, QKV)
        };
        let q = column(head * HEAD_DIM);
        let k = column(HIDDEN + head * HEAD_DIM);
        let v = column(2 * HIDDEN + head * HEAD_DIM);
        scores.clear();
        scores.resize(len * len, 0.0);
        matmul(
            MatMut::from_row_major_slice_mut(scores, len, len),
            Accum::Replace,
            q,
            k.transpose(),
            scale,
            Par::Seq,
        );
        simd(Softmax { scores, len });
        matmul(
            out,
            Accum::Replace,
            MatRef::from_row_major_slice(scores, len, len),
            v,
            1.0,
            Par::Seq,
        );
    };
    match threads {
        Threads::All => tasks.into_par_iter().for_each_init(Vec::new, attend),
        Threads::One => {
            let mut scores = Vec::new();
            tasks.into_iter().for_each(|task| attend(&mut scores, task));
        }
    }
}

/// Adds `bias` to every row of `rows`.
fn add_bias(rows: &mut [f32], bias: &[f32], threads: Threads) {
    threads.rows(rows, bias.len(), |rows| simd(AddBias { rows, bias }));
}

/// `x ← LayerNorm(projected + bias + x)`, row by row.
fn add_bias_residual_norm(
    projected: &[f32],
    bias: &[f32],
    x: &mut [f32],
    (weight, norm_bias): (&[f32], &[f32]),
    threads: Threads,
) {
    let op = |x: &mut [f32], projected: &[f32]| {
        simd(ResidualNorm {
            x,
            residual: Some((projected, bias)),
            weight,
            norm_bias,
        })
    };
    match threads {
        Threads::All => x
            .par_chunks_mut(HIDDEN * ROWS_PER_TASK)
            .zip(projected.par_chunks(HIDDEN * ROWS_PER_TASK))
            .for_each(|(x, projected)| op(x, projected)),
        Threads::One => op(x, projected),
    }
}

/// `x ← GELU(x + bias)`, row by row, with the exact (erf) GELU of BERT.
fn add_bias_gelu(rows: &mut [f32], bias: &[f32], threads: Threads) {
    threads.rows(rows, bias.len(), |rows| simd(BiasGelu { rows, bias }));
}

/// The mean of each sequence's rows, L2-normalised (as `torch.nn.functional.normalize`, eps 1e-12).
fn mean_pool_normalise(x: &[f32], lengths: &[usize]) -> Vec<Vec<f32>> {
    let mut vectors = Vec::with_capacity(lengths.len());
    let mut offset = 0;
    for &len in lengths {
        let mut v = vec![0.0f32; HIDDEN];
        for row in x[offset * HIDDEN..(offset + len) * HIDDEN].chunks_exact(HIDDEN) {
            for (acc, value) in v.iter_mut().zip(row) {
                *acc += value;
            }
        }
        offset += len;
        let norm = v.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
        // The mean's 1/len cancels in the normalisation.
        v.iter_mut().for_each(|a| *a /= norm);
        vectors.push(v);
    }
    vectors
}

/// Runs `op` compiled for the best vector instructions this CPU has (AVX2+FMA, ...).
///
/// The element-wise kernels are structs rather than closures because a closure's body is a
/// function of its own that LLVM may leave un-inlined, and so compiled for baseline SSE2: a
/// `#[inline(always)]` `with_simd` (and helpers) is what lands inside pulp's target-feature
/// function.
fn simd<Op: pulp::WithSimd>(op: Op) -> Op::Output {
    pulp::Arch::new().dispatch(op)
}

struct AddBias<'a> {
    rows: &'a mut [f32],
    bias: &'a [f32],
}

impl pulp::WithSimd for AddBias<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        for row in self.rows.chunks_exact_mut(self.bias.len()) {
            for (v, b) in row.iter_mut().zip(self.bias) {
                *v += b;
            }
        }
    }
}

struct BiasGelu<'a> {
    rows: &'a mut [f32],
    bias: &'a [f32],
}

impl pulp::WithSimd for BiasGelu<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        for row in self.rows.chunks_exact_mut(self.bias.len()) {
            for (v, b) in row.iter_mut().zip(self.bias) {
                let x = *v + b;
                *v = 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }
}

/// `x ← LayerNorm(x [+ projected + bias])` over rows of [`HIDDEN`].
struct ResidualNorm<'a> {
    x: &'a mut [f32],
    residual: Option<(&'a [f32], &'a [f32])>,
    weight: &'a [f32],
    norm_bias: &'a [f32],
}

impl pulp::WithSimd for ResidualNorm<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        for (i, row) in self.x.chunks_exact_mut(HIDDEN).enumerate() {
            if let Some((projected, bias)) = self.residual {
                let projected = &projected[i * HIDDEN..][..HIDDEN];
                for ((v, p), b) in row.iter_mut().zip(projected).zip(bias) {
                    *v += p + b;
                }
            }
            layer_norm(row, self.weight, self.norm_bias);
        }
    }
}

/// Softmax of every row (of `len`) of `scores`.
struct Softmax<'a> {
    scores: &'a mut [f32],
    len: usize,
}

impl pulp::WithSimd for Softmax<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        for row in self.scores.chunks_exact_mut(self.len) {
            softmax(row);
        }
    }
}

const LANES: usize = 16;

/// The sum of `xs` in 16 independent lanes, so that it vectorises.
#[inline(always)]
fn sum(xs: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (a, v) in acc.iter_mut().zip(chunk) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = a.max(v);
        }
    }
    acc.iter().fold(tail, |m, &v| m.max(v))
}

#[inline(always)]
fn layer_norm(row: &mut [f32], weight: &[f32], bias: &[f32]) {
    let n = row.len() as f32;
    let mean = sum(row) / n;
    let mut squares = [0.0f32; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail: f32 = chunks
        .remainder()
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .sum();
    for chunk in chunks {
        for (s, &v) in squares.iter_mut().zip(chunk) {
            let d = v - mean;
            *s += d * d;
        }
    }
    let variance = (squares.iter().sum::<f32>() + tail) / n;
    let inv = 1.0 / (variance + LAYER_NORM_EPS).sqrt();
    for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
        *v = (*v - mean) * inv * w + b;
    }
}

#[inline(always)]
fn softmax(row: &mut [f32]) {
    let m = max(row);
    for v in row.iter_mut() {
        *v = exp(*v - m);
    }
    let inv = 1.0 / sum(row);
    for v in row.iter_mut() {
        *v *= inv;
    }
}

/// `eˣ` to within 2 ulp for x in [-87, 88] (clamped outside), branch-free so that it
/// vectorises: Cephes' `expf` reduction and polynomial, 2ⁿ built from the exponent bits.
#[inline(always)]
fn exp(x: f32) -> f32 {
    // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let e = p * r * r + r + 1.0;
    let two_n = f32::from_bits(t.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127) << 23);
    e * two_n
}

/// `erf(x)` to within 1.5e-7 (Abramowitz & Stegun 7.1.26), branch-free.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = ((((1.061_405_4 * t - 1.453_152_1) * t + 1.421_413_8) * t - 0.284_496_72) * t
        + 0.254_829_6)
        * t;
    (1.0 - poly * exp(-a * a)).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_standard_library() {
        let mut worst = 0.0f32;
        let mut x = -80.0f32;
        while x < 80.0 {
            let rel = ((exp(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 1e-6, "worst relative error {worst}");
        assert_eq!(exp(-1000.0), (-87.0f32).exp());
    }

    #[test]
    fn erf_matches_known_values() {
        // erf from a reference table.
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-1.0, -0.842_700_8),
            (2.0, 0.995_322_3),
            (-3.5, -0.999_999_3),
            (10.0, 1.0),
        ] {
            assert!((erf(x) - want).abs() < 3e-7, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut row: Vec<f32> = (0..37).map(|i| (i as f32) * 0.3 - 4.0).collect();
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(row.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn layer_norm_gives_zero_mean_unit_variance() {
        let mut row: Vec<f32> = (0..HIDDEN).map(|i| ((i * 7) % 13) as f32).collect();
        layer_norm(&mut row, &vec![1.0; HIDDEN], &vec![0.0; HIDDEN]);
        let mean = row.iter().sum::<f32>() / HIDDEN as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / HIDDEN as f32;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
            "{mean} {var}"
        );
    }
}
