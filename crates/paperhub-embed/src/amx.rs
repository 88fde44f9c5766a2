//! Matrix products on Intel AMX tiles: bf16 inputs, f32 accumulation.
//!
//! A short query spends nearly all of its forward pass in four matrix products per layer, and
//! for 20 rows those are bound by reading the weights (84 MB of f32 per query), not by
//! arithmetic. AMX (Sapphire Rapids and later) multiplies 16x32 by 32x16 bf16 tiles into a
//! 16x16 f32 tile in one instruction.
//!
//! Weights and activations are each split into two bf16 parts, `x = hi + lo` (`hi` the
//! rounded value, `lo` the rounding error, rounded): weights once, at load, laid out as the
//! tile instruction reads them ([`PackedWeight`]); activations per product. Each product sums
//! three tile products, `a_lo·W_hi + a_hi·W_hi + a_hi·W_lo`, leaving out only `a_lo·W_lo`
//! (about 2^-16 of the product), and accumulates in f32 over the whole inner dimension. A
//! query whose neighbours are only candidates for a fused ranking leaves out `a_hi·W_lo` as
//! well (`exact` false in [`matmul`]: half the weight bytes read).
//! Measured on SciFact (`paperhub-bench quality`, BENCHMARKS.md): with plain bf16 activations
//! search by meaning lost nDCG@10 0.0009 against sentence-transformers (0.6593 against
//! 0.6602), with split activations and bf16 weights 2.3e-5 (0.66022 against 0.66024); with
//! the weights split too it equals sentence-transformers and paperhub's own f32 path to the
//! last digit. The third product costs about 10% of document throughput (53.9-56.5 against
//! 61.9-62.5 documents/s at batch 32, still 1.6x PyTorch) and 0.6-1 ms per query.
//!
//! Used only where the CPU has AMX-BF16 and the kernel grants this process the tile state
//! ([`available`]); everywhere else, and with `embed.precision = "f32"`, the model runs in f32.

use std::sync::OnceLock;

use rayon::prelude::*;

use crate::bf16::split;

/// Rows (and bf16 columns) of one tile: 16 rows of 64 bytes.
const TILE_ROWS: usize = 16;
/// bf16 values in one tile row.
const TILE_K: usize = 32;
/// Rows of activations one kernel call covers (two row tiles).
const ROW_BLOCK: usize = 2 * TILE_ROWS;
/// Output columns one kernel pass covers (two column tiles).
const COL_BLOCK: usize = 2 * TILE_ROWS;

/// Whether matrix products may run on AMX tiles here: the CPU has AMX-BF16, Linux granted this
/// process the tile data state, and the settings do not ask for f32 (`embed.precision`).
pub(crate) fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| !crate::f32_forced() && detect())
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn detect() -> bool {
    // CPUID leaf 7: EDX bit 22 is AMX-BF16, bit 24 AMX-TILE.
    let features = std::arch::x86_64::__cpuid_count(7, 0);
    if features.edx & (1 << 22) == 0 || features.edx & (1 << 24) == 0 {
        return false;
    }
    // Linux enables the (8 KB) tile state only for processes that ask for it.
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: arch_prctl(ARCH_REQ_XCOMP_PERM) only changes which register state the kernel
    // lets this process use; it touches no memory of ours.
    let granted = unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        )
    };
    granted == 0
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn detect() -> bool {
    false
}

/// A weight matrix `[k × n]` rounded to bf16 and cut into the 32x16 blocks a tile product
/// reads: block (column block `j`, inner block `b`) holds rows `32b..32b+32` and columns
/// `16j..16j+16`, as 16 rows of 16 pairs (row `2r` and `2r + 1` of the block side by side).
pub(crate) struct PackedWeight {
    k: usize,
    n: usize,
    /// The weights rounded to bf16.
    data: Vec<u16>,
    /// Their rounding errors, rounded to bf16, in the same layout.
    low: Vec<u16>,
}

impl PackedWeight {
    /// Packs `weight_t`, `[k × n]` row-major; `k` and `n` must be multiples of 32.
    pub(crate) fn new(weight_t: &[f32], k: usize, n: usize) -> Self {
        assert!(k.is_multiple_of(TILE_K) && n.is_multiple_of(COL_BLOCK) && weight_t.len() == k * n);
        let blocks_k = k / TILE_K;
        let mut data = vec![0u16; k * n];
        let mut low = vec![0u16; k * n];
        for (row, values) in weight_t.chunks_exact(n).enumerate() {
            let (b, within) = (row / TILE_K, row % TILE_K);
            for (col, &value) in values.iter().enumerate() {
                let (j, c) = (col / TILE_ROWS, col % TILE_ROWS);
                let block = (j * blocks_k + b) * TILE_ROWS * TILE_K;
                let at = block + (within / 2) * TILE_K + c * 2 + within % 2;
                (data[at], low[at]) = split(value);
            }
        }
        PackedWeight { k, n, data, low }
    }

    fn offset(&self, j: usize, b: usize) -> usize {
        (j * (self.k / TILE_K) + b) * TILE_ROWS * TILE_K
    }

    fn block(&self, j: usize, b: usize) -> *const u16 {
        self.data[self.offset(j, b)..].as_ptr()
    }

    fn low_block(&self, j: usize, b: usize) -> *const u16 {
        self.low[self.offset(j, b)..].as_ptr()
    }
}

/// `out[rows × n] = x[rows × k] · W` with `W` packed by [`PackedWeight::new`]; blocks of 32
/// rows run on rayon's threads when `parallel`. With `exact`, the product keeps the weights'
/// rounding error (three tile products per block); without, it multiplies the weights
/// rounded to bf16 (two, and half the weight bytes read). Call only when [`available`].
///
/// On one thread, up to [`BLOCKS_PER_PASS`] blocks of 32 rows share one pass over the weights
/// (see [`kernel`]): a batch of queries reads the weights from memory once, not once per 32
/// rows. Each output value is the same sum in the same order either way.
pub(crate) fn matmul(
    x: &[f32],
    weight: &PackedWeight,
    out: &mut [f32],
    parallel: bool,
    exact: bool,
) {
    let (k, n) = (weight.k, weight.n);
    let rows = x.len() / k;
    debug_assert!(available());
    debug_assert_eq!(out.len(), rows * n);
    let parallel = parallel && rows > ROW_BLOCK;
    let pass_rows = if parallel {
        ROW_BLOCK
    } else {
        rows.div_ceil(ROW_BLOCK).clamp(1, BLOCKS_PER_PASS) * ROW_BLOCK
    };
    let (a_len, c_len) = (2 * pass_rows * k, pass_rows * n);
    let pass = |(a, scratch): &mut Buffers, (x, out): (&[f32], &mut [f32])| {
        let valid = x.len() / k;
        let blocks = valid.div_ceil(ROW_BLOCK);
        // Each block of 32 rows as two bf16 parts, `hi` then `lo`, rows past the end zeros.
        for (x, a) in x
            .chunks(ROW_BLOCK * k)
            .zip(a.chunks_exact_mut(2 * ROW_BLOCK * k))
        {
            let (hi, lo) = a.split_at_mut(ROW_BLOCK * k);
            for ((hi, lo), &from) in hi.iter_mut().zip(lo.iter_mut()).zip(x) {
                (*hi, *lo) = split(from);
            }
            hi[x.len()..].fill(0);
            lo[x.len()..].fill(0);
        }
        let a = &a[..blocks * 2 * ROW_BLOCK * k];
        if valid == blocks * ROW_BLOCK {
            // SAFETY: `a` holds `blocks` blocks of 2 x 32 rows of `k`, `out` 32 * `blocks`
            // rows of `n`, `weight` k x n.
            unsafe { kernel(a, blocks, weight, out.as_mut_ptr(), n, exact) };
        } else {
            // SAFETY: as above, with `scratch` (at least 32 * `blocks` rows) as the output.
            unsafe { kernel(a, blocks, weight, scratch.as_mut_ptr(), n, exact) };
            out.copy_from_slice(&scratch[..valid * n]);
        }
    };
    let passes = x.chunks(pass_rows * k).zip(out.chunks_mut(pass_rows * n));
    if parallel {
        passes
            .collect::<Vec<_>>()
            .into_par_iter()
            .for_each(|p| with_buffers(a_len, c_len, |buffers| pass(buffers, p)));
    } else {
        with_buffers(a_len, c_len, |buffers| {
            passes.for_each(|p| pass(buffers, p))
        });
    }
}

/// A pass's activations as bf16 parts and its output rows.
type Buffers = (Vec<u16>, Vec<f32>);

thread_local! {
    /// Each thread's [`Buffers`], kept from product to product and grown when a pass needs
    /// more. For k = 1536 a pass of 128 rows needs 768 KB of each, which malloc would map,
    /// zero and unmap at every product (24 per forward pass): `memset` alone was 1.8% of a
    /// server's CPU under hybrid search load (`perf`, BENCHMARKS.md 2026-12-04 afternoon).
    /// Nothing is read before it is written (rows past the end are zeroed by the pass itself),
    /// so old contents do no harm.
    static BUFFERS: std::cell::RefCell<Buffers> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Runs `f` with this thread's buffers, at least `a_len` and `c_len` long.
fn with_buffers<R>(a_len: usize, c_len: usize, f: impl FnOnce(&mut Buffers) -> R) -> R {
    BUFFERS.with(|buffers| {
        let mut buffers = buffers.borrow_mut();
        if buffers.0.len() < a_len {
            buffers.0.resize(a_len, 0);
        }
        if buffers.1.len() < c_len {
            buffers.1.resize(c_len, 0.0);
        }
        f(&mut buffers)
    })
}

/// Blocks of 32 rows that share one pass over the weights on one thread. A pass keeps one
/// column block of the weights (k x 32 bf16: 24 KB for k = 384, 96 KB for k = 1536) in the
/// core's cache while it multiplies every row block, so the weights are read from memory once
/// per pass, and the activations of the pass (at most 768 KB as two bf16 parts for
/// k = 1536) stay in L2 across column blocks.
const BLOCKS_PER_PASS: usize = 4;

/// Rows one pass over the weights multiplies on one thread.
pub(crate) const PASS_ROWS: usize = BLOCKS_PER_PASS * ROW_BLOCK;

/// The tile configuration: palette 1, tiles 0-7 of 16 rows x 64 bytes.
#[repr(C, align(64))]
struct TileConfig {
    palette: u8,
    start_row: u8,
    reserved: [u8; 14],
    bytes_per_row: [u16; 16],
    rows: [u8; 16],
}

const CONFIG: TileConfig = {
    let mut bytes_per_row = [0u16; 16];
    let mut rows = [0u8; 16];
    let mut t = 0;
    while t < 8 {
        bytes_per_row[t] = 64;
        rows[t] = TILE_ROWS as u8;
        t += 1;
    }
    TileConfig {
        palette: 1,
        start_row: 0,
        reserved: [0; 14],
        bytes_per_row,
        rows,
    }
};

/// `blocks` blocks of 32 rows: `c[32 × n] = (a_hi + a_lo)[32 × k] · (W_hi + W_lo)` for each,
/// less the smallest term `a_lo · W_lo`. Tiles 0-3 accumulate the four 16x16 quarters of a
/// 32x32 output block, tiles 4-5 hold two row tiles of `a_hi` or of `a_lo`, tiles 6-7 two
/// column tiles of `W_hi` or of `W_lo`. Column blocks are the outer loop and row blocks the
/// inner one, so the weights of a column block are read from memory once for all the rows.
///
/// # Safety
/// `a` holds `blocks` blocks, each the high then the low parts of 32 rows of `weight.k` bf16
/// values, `c` points to 32 * `blocks` rows of `n` (= `weight.n`) writable f32 values, and
/// [`available`] returned true.
#[cfg(target_arch = "x86_64")]
unsafe fn kernel(
    a: &[u16],
    blocks: usize,
    weight: &PackedWeight,
    c: *mut f32,
    n: usize,
    exact: bool,
) {
    use std::arch::asm;
    let k = weight.k;
    let a_stride = k * 2;
    let c_stride = n * 4;
    let tile_stride = TILE_K * 2;
    debug_assert_eq!(a.len(), blocks * 2 * ROW_BLOCK * k);
    // SAFETY (whole block): every load reads 16 rows at the stride given, inside one block of
    // `a` (2 x 32 rows of k) or one packed block of `weight`; every store writes 16 rows of 16
    // f32 inside `c`.
    // The tile registers are not used by compiled code, so they keep their values between
    // these blocks; the configuration is loaded here and released at the end, on this thread.
    unsafe {
        asm!("ldtilecfg [{0}]", in(reg) &CONFIG, options(nostack, readonly));
        for j in 0..n / COL_BLOCK {
            for r in 0..blocks {
                let a = &a[r * 2 * ROW_BLOCK * k..];
                let c = c.add(r * ROW_BLOCK * n);
                asm!(
                    "tilezero tmm0",
                    "tilezero tmm1",
                    "tilezero tmm2",
                    "tilezero tmm3",
                    options(nostack, nomem)
                );
                for b in 0..k / TILE_K {
                    // The low parts of the activations times the high parts of the weights, the
                    // high parts of both, then the high parts of the activations times the low
                    // parts of the weights: smallest terms first.
                    asm!(
                        "tileloadd tmm6, [{w0} + {sw}*1]",
                        "tileloadd tmm7, [{w1} + {sw}*1]",
                        "tileloadd tmm4, [{l0} + {sa}*1]",
                        "tileloadd tmm5, [{l1} + {sa}*1]",
                        "tdpbf16ps tmm0, tmm4, tmm6",
                        "tdpbf16ps tmm1, tmm4, tmm7",
                        "tdpbf16ps tmm2, tmm5, tmm6",
                        "tdpbf16ps tmm3, tmm5, tmm7",
                        "tileloadd tmm4, [{a0} + {sa}*1]",
                        "tileloadd tmm5, [{a1} + {sa}*1]",
                        "tdpbf16ps tmm0, tmm4, tmm6",
                        "tdpbf16ps tmm1, tmm4, tmm7",
                        "tdpbf16ps tmm2, tmm5, tmm6",
                        "tdpbf16ps tmm3, tmm5, tmm7",
                        a0 = in(reg) a.as_ptr().add(b * TILE_K),
                        a1 = in(reg) a.as_ptr().add(TILE_ROWS * k + b * TILE_K),
                        l0 = in(reg) a.as_ptr().add(ROW_BLOCK * k + b * TILE_K),
                        l1 = in(reg) a.as_ptr().add((ROW_BLOCK + TILE_ROWS) * k + b * TILE_K),
                        w0 = in(reg) weight.block(2 * j, b),
                        w1 = in(reg) weight.block(2 * j + 1, b),
                        sa = in(reg) a_stride,
                        sw = in(reg) tile_stride,
                        options(nostack, readonly)
                    );
                    if exact {
                        // tmm4-5 still hold the high parts of the activations.
                        asm!(
                            "tileloadd tmm6, [{v0} + {sw}*1]",
                            "tileloadd tmm7, [{v1} + {sw}*1]",
                            "tdpbf16ps tmm0, tmm4, tmm6",
                            "tdpbf16ps tmm1, tmm4, tmm7",
                            "tdpbf16ps tmm2, tmm5, tmm6",
                            "tdpbf16ps tmm3, tmm5, tmm7",
                            v0 = in(reg) weight.low_block(2 * j, b),
                            v1 = in(reg) weight.low_block(2 * j + 1, b),
                            sw = in(reg) tile_stride,
                            options(nostack, readonly)
                        );
                    }
                }
                let top = c.add(j * COL_BLOCK);
                let bottom = c.add(TILE_ROWS * n + j * COL_BLOCK);
                asm!(
                    "tilestored [{c00} + {sc}*1], tmm0",
                    "tilestored [{c01} + {sc}*1], tmm1",
                    "tilestored [{c10} + {sc}*1], tmm2",
                    "tilestored [{c11} + {sc}*1], tmm3",
                    c00 = in(reg) top,
                    c01 = in(reg) top.add(TILE_ROWS),
                    c10 = in(reg) bottom,
                    c11 = in(reg) bottom.add(TILE_ROWS),
                    sc = in(reg) c_stride,
                    options(nostack)
                );
            }
        }
        asm!("tilerelease", options(nostack, nomem));
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn kernel(_: &[u16], _: usize, _: &PackedWeight, _: *mut f32, _: usize, _: bool) {
    unreachable!("AMX is x86-64 only and `available` says no elsewhere")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weights that are halves and activations that are small integers plus a multiple of
    /// 2^-12 (not a bf16 value: it takes the low part of the split) give products and sums
    /// that f32 holds exactly, so the tile product must equal the plain one exactly, for row
    /// counts that fill, split and pad row blocks. Without the low part it would be off by the
    /// 2^-12 terms.
    #[test]
    fn tile_product_equals_the_plain_product() {
        if !available() {
            eprintln!("skipped: no AMX-BF16 on this machine");
            return;
        }
        let (k, n) = (64, 96);
        let weight: Vec<f32> = (0..k * n)
            .map(|i| ((i * 7 + 3) % 9) as f32 * 0.5 - 2.0)
            .collect();
        let packed = PackedWeight::new(&weight, k, n);
        // 70 rows: three blocks in one pass; 128: one full pass; 129 and 200: a second pass.
        for rows in [1, 5, 16, 31, 32, 33, 70, 128, 129, 200] {
            let x: Vec<f32> = (0..rows * k)
                .map(|i| ((i * 5 + 1) % 7) as f32 - 3.0 + (i % 3) as f32 / 4096.0)
                .collect();
            for (parallel, exact) in [(false, true), (true, true), (false, false)] {
                let mut out = vec![f32::NAN; rows * n];
                matmul(&x, &packed, &mut out, parallel, exact);
                assert_plain_product(&x, &weight, &out, k);
            }
        }
    }

    /// Weights with a low part (halves plus a multiple of 2^-12) times activations that bf16
    /// holds exactly (halves): the product needs the weights' low part, and f32 holds every
    /// term and sum exactly, so the tile product must equal the plain one exactly. With the
    /// weights rounded to bf16 alone it would be off by the 2^-12 terms.
    #[test]
    fn tile_product_keeps_the_weights_rounding_error() {
        if !available() {
            eprintln!("skipped: no AMX-BF16 on this machine");
            return;
        }
        let (k, n) = (64, 64);
        let weight: Vec<f32> = (0..k * n)
            .map(|i| ((i * 7 + 3) % 9) as f32 * 0.5 - 2.0 + (i % 5) as f32 / 4096.0)
            .collect();
        assert!(
            weight.iter().any(|&w| split(w).1 != 0),
            "the weights have low parts"
        );
        let packed = PackedWeight::new(&weight, k, n);
        for rows in [1, 32, 45] {
            let x: Vec<f32> = (0..rows * k)
                .map(|i| ((i * 5 + 1) % 7) as f32 * 0.5 - 1.5)
                .collect();
            let mut out = vec![f32::NAN; rows * n];
            matmul(&x, &packed, &mut out, false, true);
            assert_plain_product(&x, &weight, &out, k);
            // Without the weights' low parts (a candidates query) it is off by their terms.
            let mut rough = vec![f32::NAN; rows * n];
            matmul(&x, &packed, &mut rough, false, false);
            assert_ne!(rough, out, "rows {rows}: the weights' low parts count");
        }
    }

    /// `out` is exactly `x · weight` (`x` rows of `k`, `weight` `k` rows).
    fn assert_plain_product(x: &[f32], weight: &[f32], out: &[f32], k: usize) {
        let (rows, n) = (x.len() / k, weight.len() / k);
        for r in 0..rows {
            for c in 0..n {
                let expected: f32 = (0..k).map(|i| x[r * k + i] * weight[i * n + c]).sum();
                assert_eq!(out[r * n + c], expected, "rows {rows}, ({r}, {c})");
            }
        }
    }
}
