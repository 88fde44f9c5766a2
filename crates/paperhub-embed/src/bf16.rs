//! bfloat16: the upper half of an f32 (8 bits of mantissa), the number format of the AMX tiles
//! and of AVX-512 BF16's dot products.

/// f32 to bf16, rounding to nearest even. Activations are finite; a NaN would come out as
/// some other value, without a panic.
pub(crate) fn round(x: f32) -> u16 {
    let bits = x.to_bits();
    (bits.wrapping_add(0x7FFF + ((bits >> 16) & 1)) >> 16) as u16
}

/// `x` as two bf16 parts, `x ≈ hi + lo`: `hi` the rounded value, `lo` the rounding error,
/// rounded (together 16 bits of mantissa, against f32's 24).
pub(crate) fn split(x: f32) -> (u16, u16) {
    let hi = round(x);
    (hi, round(x - widen(hi)))
}

/// bf16 to f32 (exact).
pub(crate) fn widen(x: u16) -> f32 {
    f32::from_bits(u32::from(x) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_nearest_even() {
        assert_eq!(round(1.0), 0x3F80);
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: to even, down.
        assert_eq!(round(1.0 + 1.0 / 256.0), 0x3F80);
        // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: to even, up.
        assert_eq!(round(1.0 + 3.0 / 256.0), 0x3F82);
        assert_eq!(round(-2.5), 0xC020);
    }

    #[test]
    fn the_two_parts_hold_sixteen_bits_of_mantissa() {
        // 2^-9 + 2^-16 is under half a bf16 step above 1, and 8 bits wide: the low part.
        let x = 1.0 + 1.0 / 512.0 + 1.0 / 65536.0;
        let (hi, lo) = split(x);
        assert_eq!(widen(hi), 1.0);
        assert_eq!(widen(hi) + widen(lo), x);
    }
}
