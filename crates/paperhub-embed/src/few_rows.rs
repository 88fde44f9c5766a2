//! Matrix products with few rows (a query's 10-30 tokens) on AVX-512 or AVX2: each weight read
//! once per pass.
//!
//! `out[rows × n] = x[rows × k] · W` with `W` stored `[k × n]` row-major. For a short query the
//! general GEMM packs panels of the weights and works through 4-token tiles; with 20 rows there
//! is little to amortise that over, and under load a query's products ran at about 40% of the
//! core's FMA peak. Here one pass over a 16-column stripe of `W` keeps every row's 16 outputs
//! in registers (up to 24 accumulators): each step loads one 64-byte piece of a row of `W` and
//! multiplies it by one broadcast activation per row. The weights are kept a second time for
//! this (42 MB for the six layers), cut into those stripes ([`Stripes`]: each stripe's `k × 16` values contiguous), so a
//! pass reads them once, front to back; read in place from the `[k × n]` layout, each step
//! would land on another page.
//!
//! On a CPU with AVX2 and FMA but not AVX-512 (16 vector registers of 8 floats), each stripe
//! is taken in two 8-column halves, with up to 12 rows' outputs in registers; the second half
//! reads the stripe again from the core's L2 cache (a stripe is `k × 64` bytes, 24-96 KB).
//!
//! Sums run over the inner dimension in order, in f32, as a plain dot product would; they
//! differ from the general GEMM's blocked sums only in rounding, and both kernels give the
//! same sums.
//!
//! A query whose neighbours are only candidates for a fused ranking (the semantic half of a
//! hybrid search, `Arithmetic::Fast`) is multiplied in bf16 instead where the CPU has AVX-512
//! BF16 (Zen 4, Sapphire Rapids): [`product_bf16`]. Its stripes ([`Bf16Stripes`], 21 MB) hold
//! two inner-dimension steps of 16 columns in one 64-byte piece, and one `vdpbf16ps`
//! multiplies a piece by a row's pair of activations, rounded to bf16 as well ([`Bf16Rows`]),
//! and adds both products into the row's 16 f32 sums: half the weight bytes and half the
//! instructions of the f32 kernel. On SciFact the fused ranking did not lose by it (hybrid
//! nDCG@10 0.72492 against 0.72466 with the f32 query; BENCHMARKS.md), and a Zen 4 machine
//! served about 30% more hybrid searches per second with it.

use crate::bf16;

/// Rows one AVX-512 pass keeps in registers (of the 32 vector registers: accumulators, a
/// weight piece and room for the compiler).
const PASS_ROWS: usize = 24;

/// Rows one AVX2 pass keeps in registers (of 16).
const PASS_ROWS_AVX2: usize = 12;

/// Rows this module takes, in at most two AVX-512 passes over the weights (four AVX2 ones;
/// SciFact's claims are 21 tokens at the median, 33 at the 90th percentile, 44 at the 99th);
/// longer inputs go to the general GEMM.
pub(crate) const MAX_ROWS: usize = 2 * PASS_ROWS;

/// The passes a product of `rows` rows takes with at most `pass_rows` rows each: as few as
/// that allows, of about equal size (33 rows in passes of 24: 16 and 17), as row ranges.
fn passes(rows: usize, pass_rows: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let passes = rows.div_ceil(pass_rows);
    let mut first = 0;
    (0..passes).map(move |pass| {
        let count = (rows - first) / (passes - pass);
        first += count;
        first - count..first
    })
}

/// The vector instructions a kernel of this module runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isa {
    Avx512,
    Avx2,
}

/// The best kernel this CPU runs, decided once.
fn isa() -> Option<Isa> {
    #[cfg(target_arch = "x86_64")]
    {
        static ISA: std::sync::OnceLock<Option<Isa>> = std::sync::OnceLock::new();
        *ISA.get_or_init(|| {
            if !crate::kernels().few_row_kernels {
                None
            } else if std::arch::is_x86_feature_detected!("avx512f") {
                Some(Isa::Avx512)
            } else if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                Some(Isa::Avx2)
            } else {
                None
            }
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// Whether this CPU runs a kernel of this module (AVX-512F, or AVX2 with FMA; the setting
/// `embed.few_row_kernels = false` turns them off, for comparisons).
pub(crate) fn available() -> bool {
    isa().is_some()
}

/// Whether this CPU runs [`product_bf16`]: AVX-512 BF16 besides AVX-512F (and neither the f32
/// kernels, nor bf16 by `embed.bf16_queries = false`, nor everything but f32 by
/// `embed.precision = "f32"`, are turned off).
pub(crate) fn bf16_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static BF16: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *BF16.get_or_init(|| {
            isa() == Some(Isa::Avx512)
                && crate::kernels().bf16_queries
                && !crate::f32_forced()
                && std::arch::is_x86_feature_detected!("avx512bf16")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `out[r][cols] = x[r] · W[.., cols]` for every row `r` of `x` (`[rows × k]`) and the output
/// columns `cols` (a range of multiples of 16 within `n`). `out` is `[rows × n]` row-major;
/// only its `cols` are written. Call only when [`available`], with `rows <= MAX_ROWS`.
pub(crate) fn product(
    x: &[f32],
    weight: &Stripes,
    out: OutColumns<'_>,
    cols: std::ops::Range<usize>,
) {
    let (k, n) = (weight.k, weight.n);
    let rows = x.len() / k;
    assert!(available() && rows <= MAX_ROWS && x.len() == rows * k);
    assert!(weight.data.len() == k * n && out.len == rows * n);
    assert!(cols.start.is_multiple_of(16) && cols.end.is_multiple_of(16) && cols.end <= n);
    let isa = isa().expect("invariant: asserted available above");
    let pass_rows = match isa {
        Isa::Avx512 => PASS_ROWS,
        Isa::Avx2 => PASS_ROWS_AVX2,
    };
    for pass in passes(rows, pass_rows) {
        let (first, count) = (pass.start, pass.len());
        let x = &x[first * k..(first + count) * k];
        // SAFETY: `first + count <= rows`, so the pass's output rows lie inside `out`.
        let out = unsafe { out.ptr.add(first * n) };
        macro_rules! dispatch {
            ($kernel:ident: $($r:literal)*) => {
                match count {
                    $(
                        // SAFETY: the asserts above bound every index the kernel forms: `x` is
                        // `r × k`, the stripes hold `k × n`, `out` covers `r × n` from here, and
                        // `cols` lies in `0..n` in whole 16-column pieces; `isa` says the CPU
                        // has the kernel's instructions.
                        $r => unsafe { $kernel::<$r>(x.as_ptr(), k, weight.data.as_ptr(), n, out, cols.clone()) },
                    )*
                    _ => unreachable!("a pass has 1 to {pass_rows} rows"),
                }
            };
        }
        // `isa` is `None` off x86-64, so `available` and the assert above never let it here.
        #[cfg(target_arch = "x86_64")]
        match isa {
            Isa::Avx512 => {
                dispatch!(kernel: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24)
            }
            Isa::Avx2 => dispatch!(kernel_avx2: 1 2 3 4 5 6 7 8 9 10 11 12),
        }
    }
}

/// As [`product`], with the weights ([`Bf16Stripes`]) and the activations `x` ([`Bf16Rows`])
/// rounded to bf16, summed in f32. Call only when [`bf16_available`].
pub(crate) fn product_bf16(
    x: &Bf16Rows,
    weight: &Bf16Stripes,
    out: OutColumns<'_>,
    cols: std::ops::Range<usize>,
) {
    let (half_k, n) = (weight.k / 2, weight.n);
    let rows = x.rows;
    assert!(bf16_available() && rows <= MAX_ROWS && x.half_k == half_k);
    assert!(weight.data.len() == half_k * n && out.len == rows * n);
    assert!(cols.start.is_multiple_of(16) && cols.end.is_multiple_of(16) && cols.end <= n);
    for pass in passes(rows, PASS_ROWS) {
        let (first, count) = (pass.start, pass.len());
        let x = &x.values[first * 2 * half_k..];
        // SAFETY: `first + count <= rows`, so the pass's output rows lie inside `out`.
        let out = unsafe { out.ptr.add(first * n) };
        macro_rules! dispatch {
            ($($r:literal)*) => {
                match count {
                    $(
                        // SAFETY: the asserts above bound every index the kernel forms: `x`
                        // holds at least `r × half_k` pairs from here, the stripes
                        // `half_k × n`, `out` covers `r × n` from here, and `cols` lies in
                        // `0..n` in whole 16-column pieces; `bf16_available` says the CPU has
                        // AVX-512F and AVX-512 BF16.
                        $r => unsafe {
                            kernel_bf16::<$r>(x.as_ptr(), half_k, weight.data.as_ptr(), n, out, cols.clone())
                        },
                    )*
                    _ => unreachable!("a pass has 1 to {PASS_ROWS} rows"),
                }
            };
        }
        // `bf16_available` is false off x86-64, so the assert above never lets it here.
        #[cfg(target_arch = "x86_64")]
        dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24);
    }
}

/// A weight matrix `[k × n]` (`n` a multiple of 16) cut into stripes of 16 columns, stripe
/// after stripe, each `k` rows of 16 values.
pub(crate) struct Stripes {
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl Stripes {
    /// From `weight_t`, `[k × n]` row-major.
    pub(crate) fn new(weight_t: &[f32], k: usize, n: usize) -> Self {
        assert!(n.is_multiple_of(16) && weight_t.len() == k * n);
        let mut data = Vec::with_capacity(k * n);
        for stripe in 0..n / 16 {
            for row in weight_t.chunks_exact(n) {
                data.extend_from_slice(&row[stripe * 16..][..16]);
            }
        }
        Stripes { k, n, data }
    }
}

/// A weight matrix `[k × n]` (`k` even, `n` a multiple of 16) rounded to bf16 and cut into
/// stripes of 16 columns for [`product_bf16`]: stripe after stripe, `k / 2` pieces of 16
/// 32-bit values, value `c` of piece `p` holding `W[2p][c]` in its low and `W[2p + 1][c]` in its
/// high half, the pairs `vdpbf16ps` multiplies and adds into one f32 lane.
pub(crate) struct Bf16Stripes {
    k: usize,
    n: usize,
    data: Vec<u32>,
}

impl Bf16Stripes {
    /// From `weight_t`, `[k × n]` row-major.
    pub(crate) fn new(weight_t: &[f32], k: usize, n: usize) -> Self {
        assert!(n.is_multiple_of(16) && k.is_multiple_of(2) && weight_t.len() == k * n);
        let mut data = Vec::with_capacity(k * n / 2);
        for stripe in 0..n / 16 {
            for pair in weight_t.chunks_exact(2 * n) {
                let (even, odd) = pair.split_at(n);
                for c in stripe * 16..(stripe + 1) * 16 {
                    let (even, odd) = (bf16::round(even[c]), bf16::round(odd[c]));
                    data.push(u32::from(even) | (u32::from(odd) << 16));
                }
            }
        }
        Bf16Stripes { k, n, data }
    }
}

/// Activations `[rows × k]` (`k` a multiple of 32) rounded to bf16 for [`product_bf16`], in
/// order: read as 32-bit values, the pairs along the inner dimension that [`Bf16Stripes`] pairs
/// the weights in.
pub(crate) struct Bf16Rows {
    rows: usize,
    half_k: usize,
    values: Vec<u16>,
}

impl Bf16Rows {
    /// Call only when [`bf16_available`].
    pub(crate) fn new(x: &[f32], k: usize) -> Self {
        assert!(bf16_available() && k.is_multiple_of(32) && x.len().is_multiple_of(k));
        let mut values = vec![0u16; x.len()];
        // SAFETY: `bf16_available` says the CPU has AVX-512F and AVX-512 BF16; `x` and
        // `values` are as long, a multiple of 32.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            round_to_bf16(x, &mut values)
        };
        Bf16Rows {
            rows: x.len() / k,
            half_k: k / 2,
            values,
        }
    }
}

/// `out[i] = bf16(x[i])`, rounding to nearest even (as [`bf16::round`] does for finite values),
/// 32 values per instruction.
///
/// # Safety
/// The CPU has AVX-512F and AVX-512 BF16; `x.len() == out.len()`, a multiple of 32.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn round_to_bf16(x: &[f32], out: &mut [u16]) {
    use std::arch::x86_64::*;
    for (x, out) in x.chunks_exact(32).zip(out.chunks_exact_mut(32)) {
        // SAFETY: both chunks hold 32 values; unaligned loads and stores.
        let low = _mm512_loadu_ps(x.as_ptr());
        let high = _mm512_loadu_ps(x.as_ptr().add(16));
        // The second operand becomes the lower 16 values.
        let rounded = _mm512_cvtne2ps_pbh(high, low);
        _mm512_storeu_si512(
            out.as_mut_ptr().cast(),
            std::mem::transmute::<__m512bh, __m512i>(rounded),
        );
    }
}

/// Where [`product`] writes: `[rows × n]` f32, shared by threads that write disjoint columns.
#[derive(Clone, Copy)]
pub(crate) struct OutColumns<'a> {
    ptr: *mut f32,
    len: usize,
    _out: std::marker::PhantomData<&'a mut [f32]>,
}

// SAFETY: threads given one `OutColumns` write disjoint column ranges of it (see `product`).
unsafe impl Send for OutColumns<'_> {}
// SAFETY: as above.
unsafe impl Sync for OutColumns<'_> {}

impl<'a> OutColumns<'a> {
    pub(crate) fn new(out: &'a mut [f32]) -> Self {
        OutColumns {
            ptr: out.as_mut_ptr(),
            len: out.len(),
            _out: std::marker::PhantomData,
        }
    }
}

/// # Safety
/// `x` points to `R × k` f32, `w` to the `k × n` values of [`Stripes`], `out` to `R × n`;
/// `cols` is a range of multiples of 16 within `n`; the CPU has AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn kernel<const R: usize>(
    x: *const f32,
    k: usize,
    w: *const f32,
    n: usize,
    out: *mut f32,
    cols: std::ops::Range<usize>,
) {
    use std::arch::x86_64::*;
    let mut j = cols.start;
    while j < cols.end {
        let mut acc = [_mm512_setzero_ps(); R];
        // Stripe j / 16 starts at (j / 16) * k * 16 = j * k.
        let mut piece = w.add(j * k);
        for i in 0..k {
            // SAFETY (this block): i < k, j + 16 <= n, r < R: inside `w` and `x`.
            let weights = _mm512_loadu_ps(piece);
            piece = piece.add(16);
            for (r, acc) in acc.iter_mut().enumerate() {
                let a = _mm512_set1_ps(*x.add(r * k + i));
                *acc = _mm512_fmadd_ps(weights, a, *acc);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            _mm512_storeu_ps(out.add(r * n + j), *acc);
        }
        j += 16;
    }
}

/// # Safety
/// `x` points to `R × 2 half_k` bf16 activations ([`Bf16Rows`]), `w` to the `half_k × n` pairs
/// of [`Bf16Stripes`], `out` to `R × n` f32; `cols` is a range of multiples of 16 within `n`;
/// the CPU has AVX-512F and AVX-512 BF16.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn kernel_bf16<const R: usize>(
    x: *const u16,
    half_k: usize,
    w: *const u32,
    n: usize,
    out: *mut f32,
    cols: std::ops::Range<usize>,
) {
    use std::arch::x86_64::*;
    // Row r's pair p: two bf16 values, one 32-bit broadcast.
    let pairs = x.cast::<i32>();
    let mut j = cols.start;
    while j < cols.end {
        let mut acc = [_mm512_setzero_ps(); R];
        // Stripe j / 16 starts at (j / 16) * half_k * 16 = j * half_k.
        let mut piece = w.add(j * half_k);
        for p in 0..half_k {
            // SAFETY (this block): p < half_k, j + 16 <= n, r < R: inside `w` and `x`.
            let weights: __m512bh = std::mem::transmute(_mm512_loadu_si512(piece.cast()));
            piece = piece.add(16);
            for (r, acc) in acc.iter_mut().enumerate() {
                let pair = pairs.add(r * half_k + p).read_unaligned();
                let pair: __m512bh = std::mem::transmute(_mm512_set1_epi32(pair));
                *acc = _mm512_dpbf16_ps(*acc, weights, pair);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            _mm512_storeu_ps(out.add(r * n + j), *acc);
        }
        j += 16;
    }
}

/// # Safety
/// As [`kernel`], with AVX2 and FMA instead of AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_avx2<const R: usize>(
    x: *const f32,
    k: usize,
    w: *const f32,
    n: usize,
    out: *mut f32,
    cols: std::ops::Range<usize>,
) {
    use std::arch::x86_64::*;
    let mut j = cols.start;
    while j < cols.end {
        for half in [0, 8] {
            let mut acc = [_mm256_setzero_ps(); R];
            // Stripe j / 16 starts at j * k; this half at 8 more.
            let mut piece = w.add(j * k + half);
            for i in 0..k {
                // SAFETY (this block): i < k, j + 16 <= n, r < R: inside `w` and `x`.
                let weights = _mm256_loadu_ps(piece);
                piece = piece.add(16);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let a = _mm256_set1_ps(*x.add(r * k + i));
                    *acc = _mm256_fmadd_ps(weights, a, *acc);
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                _mm256_storeu_ps(out.add(r * n + j + half), *acc);
            }
        }
        j += 16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_cover_the_rows_in_as_few_even_pieces_as_fit() {
        assert_eq!(passes(33, 24).collect::<Vec<_>>(), vec![0..16, 16..33]);
        assert_eq!(passes(24, 24).collect::<Vec<_>>(), vec![0..24]);
        for rows in 1..=MAX_ROWS {
            for pass_rows in [PASS_ROWS, PASS_ROWS_AVX2] {
                let pieces: Vec<_> = passes(rows, pass_rows).collect();
                assert_eq!(pieces.len(), rows.div_ceil(pass_rows), "{rows} rows");
                assert_eq!(pieces.first().unwrap().start, 0);
                assert_eq!(pieces.last().unwrap().end, rows);
                assert!(pieces.windows(2).all(|w| w[0].end == w[1].start));
                let (min, max) = pieces.iter().fold((usize::MAX, 0), |(lo, hi), p| {
                    (lo.min(p.len()), hi.max(p.len()))
                });
                assert!(
                    max <= pass_rows && max - min <= 1,
                    "{rows} rows: {pieces:?}"
                );
            }
        }
    }

    /// Halves as weights, and activations of small integers plus a multiple of 2^-12 (which
    /// bf16 rounds away): the bf16 kernel must equal the plain product of the rounded
    /// activations and weights exactly (f32 holds every product and sum), for every row
    /// count; also with weights that bf16 rounds, and with activations it rounds up.
    #[test]
    fn the_bf16_kernel_multiplies_the_rounded_values_exactly() {
        if !bf16_available() {
            eprintln!("skipped: no AVX-512 BF16 on this machine");
            return;
        }
        let (k, n) = (64, 64);
        let halves: Vec<f32> = (0..k * n)
            .map(|i| ((i * 7 + 3) % 9) as f32 * 0.5 - 2.0)
            .collect();
        // 2^-10 beside a non-zero half-integer is lost when bf16 rounds the weight (8 bits of
        // mantissa); zeros stay zeros (a lone 2^-10 is a bf16 value).
        let rounded_away: Vec<f32> = halves
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                if w == 0.0 {
                    w
                } else {
                    w + (i % 3) as f32 / 1024.0 * w.signum()
                }
            })
            .collect();
        let round = |v: f32| bf16::widen(bf16::round(v));
        assert!(rounded_away.iter().any(|&w| round(w) != w));
        for weight in [&halves, &rounded_away] {
            let stripes = Bf16Stripes::new(weight, k, n);
            for rows in 1..=MAX_ROWS {
                // 1 - 2^-12 rounds up to 1, 3 + 2^-12 down to 3.
                let x: Vec<f32> = (0..rows * k)
                    .map(|i| {
                        ((i * 5 + 1) % 7) as f32 - 3.0 + (i % 3) as f32 / 4096.0 - 1.0 / 4096.0
                    })
                    .collect();
                assert!(x.iter().any(|&v| round(v) != v));
                let mut out = vec![f32::NAN; rows * n];
                product_bf16(
                    &Bf16Rows::new(&x, k),
                    &stripes,
                    OutColumns::new(&mut out),
                    16..48,
                );
                let rounded_x: Vec<f32> = x.iter().map(|&v| round(v)).collect();
                let rounded_weight: Vec<f32> = weight.iter().map(|&w| round(w)).collect();
                assert_plain_product_in_columns(&out, &rounded_x, &rounded_weight, k, 16..48);
            }
        }
    }

    /// The vector conversion rounds as [`bf16::round`] does, halfway cases to even included.
    #[test]
    fn activations_round_as_the_scalar_conversion_does() {
        if !bf16_available() {
            eprintln!("skipped: no AVX-512 BF16 on this machine");
            return;
        }
        let x: Vec<f32> = (0..64 * 32)
            .map(|i| {
                let halfway = 1.0 + (2 * (i % 5) + 1) as f32 / 256.0;
                [
                    halfway,
                    -halfway,
                    (i as f32 * 0.37).sin() * 3.0,
                    i as f32 / 7.0,
                ][i % 4]
            })
            .collect();
        let rows = Bf16Rows::new(&x, 64);
        let expected: Vec<u16> = x.iter().map(|&v| bf16::round(v)).collect();
        assert_eq!(rows.values, expected);
    }

    /// Small integers and halves: every product and sum is exact in f32, so the kernel must
    /// equal the plain triple loop exactly, for every row count and a column range that starts
    /// and ends inside the matrix.
    #[test]
    fn equals_the_plain_product_for_every_row_count() {
        if !available() {
            eprintln!("skipped: neither AVX-512F nor AVX2 with FMA on this machine");
            return;
        }
        let (k, n) = (40, 64);
        let weight: Vec<f32> = (0..k * n)
            .map(|i| ((i * 7 + 3) % 9) as f32 * 0.5 - 2.0)
            .collect();
        for rows in 1..=MAX_ROWS {
            let x: Vec<f32> = (0..rows * k)
                .map(|i| ((i * 5 + 1) % 7) as f32 - 3.0)
                .collect();
            let mut out = vec![f32::NAN; rows * n];
            product(
                &x,
                &Stripes::new(&weight, k, n),
                OutColumns::new(&mut out),
                16..48,
            );
            assert_plain_product_in_columns(&out, &x, &weight, k, 16..48);
        }
    }

    /// `out` is exactly `x · weight` (`x` rows of `k`, `weight` `k` rows) in the columns
    /// `cols`, and untouched (NaN) in the others.
    fn assert_plain_product_in_columns(
        out: &[f32],
        x: &[f32],
        weight: &[f32],
        k: usize,
        cols: std::ops::Range<usize>,
    ) {
        let (rows, n) = (x.len() / k, weight.len() / k);
        for r in 0..rows {
            for c in 0..n {
                let got = out[r * n + c];
                if cols.contains(&c) {
                    let expected: f32 = (0..k).map(|i| x[r * k + i] * weight[i * n + c]).sum();
                    assert_eq!(got, expected, "rows {rows}, ({r}, {c})");
                } else {
                    assert!(got.is_nan(), "rows {rows}: column {c} is not ours to write");
                }
            }
        }
    }
}
