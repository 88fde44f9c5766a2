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

/// Rows one AVX-512 pass keeps in registers (of the 32 vector registers: accumulators, a
/// weight piece and room for the compiler).
const PASS_ROWS: usize = 24;

/// Rows one AVX2 pass keeps in registers (of 16).
const PASS_ROWS_AVX2: usize = 12;

/// Rows this module takes, in at most two AVX-512 passes over the weights (four AVX2 ones;
/// SciFact's claims are 21 tokens at the median, 33 at the 90th percentile, 44 at the 99th);
/// longer inputs go to the general GEMM.
pub(crate) const MAX_ROWS: usize = 2 * PASS_ROWS;

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
            if std::env::var_os("PAPERHUB_EMBED_NO_FEW_ROWS").is_some() {
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

/// Whether this CPU runs a kernel of this module (AVX-512F, or AVX2 with FMA; the environment
/// variable `PAPERHUB_EMBED_NO_FEW_ROWS` turns them off, for comparisons).
pub(crate) fn available() -> bool {
    isa().is_some()
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
    // Passes of about equal size (33 rows: 17 and 16).
    let passes = rows.div_ceil(pass_rows);
    let mut first = 0;
    for pass in 0..passes {
        let count = (rows - first) / (passes - pass);
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
        first += count;
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
            for r in 0..rows {
                for c in 0..n {
                    let got = out[r * n + c];
                    if (16..48).contains(&c) {
                        let expected: f32 = (0..k).map(|i| x[r * k + i] * weight[i * n + c]).sum();
                        assert_eq!(got, expected, "rows {rows}, ({r}, {c})");
                    } else {
                        assert!(got.is_nan(), "rows {rows}: column {c} is not ours to write");
                    }
                }
            }
        }
    }
}
