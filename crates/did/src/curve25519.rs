//! Ed25519 public-key validation and the Ed25519 → X25519 conversion in one field exponentiation.
//!
//! Checking that an Ed25519 key decompresses (a square root) and deriving its X25519 key (an inversion) costs two
//! exponentiations in GF(2^255−19) with curve25519-dalek, about two thirds of a did:key resolution. Both answers
//! follow from one: with u = y²−1, v = d·y²+1 and t = 1−y, the point exists iff u·v is a square, and then
//! r = b³·(b⁷)^((p−5)/8) for b = u·v·t² satisfies b·r² = ±1, so 1/b = ±r² and 1/t = u·v·t/b. The Montgomery
//! u-coordinate is (1+y)/t.
//!
//! The field arithmetic is fiat-crypto's formally verified GF(2^255−19) code; this module only composes it, and
//! its tests check it against curve25519-dalek on random and edge-case inputs. Public keys are public, so nothing
//! here needs to run in constant time. Pure: no I/O.

use fiat_crypto::curve25519_64::{
    fiat_25519_add, fiat_25519_carry_mul, fiat_25519_carry_square, fiat_25519_from_bytes,
    fiat_25519_loose_field_element, fiat_25519_opp, fiat_25519_relax, fiat_25519_sub, fiat_25519_tight_field_element,
    fiat_25519_to_bytes,
};

/// The Edwards curve constant d = −121665/121666, little-endian.
const EDWARDS_D: [u8; 32] = [
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00, 0x98, 0xe8, 0x79,
    0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
];

/// A field element in fiat-crypto's tight (fully carried) form.
#[derive(Clone, Copy)]
struct Fe(fiat_25519_tight_field_element);

impl Fe {
    /// The element of a little-endian encoding whose top bit is clear (the caller masks the sign bit).
    fn from_bytes(bytes: &[u8; 32]) -> Fe {
        let mut out = fiat_25519_tight_field_element([0; 5]);
        fiat_25519_from_bytes(&mut out, bytes);
        Fe(out)
    }

    fn one() -> Fe {
        let mut bytes = [0; 32];
        bytes[0] = 1;
        Fe::from_bytes(&bytes)
    }

    /// The canonical little-endian encoding.
    fn to_bytes(self) -> [u8; 32] {
        let mut out = [0; 32];
        fiat_25519_to_bytes(&mut out, &self.0);
        out
    }

    fn loose(self) -> fiat_25519_loose_field_element {
        let mut out = fiat_25519_loose_field_element([0; 5]);
        fiat_25519_relax(&mut out, &self.0);
        out
    }

    fn mul(self, other: Fe) -> Fe {
        let mut out = fiat_25519_tight_field_element([0; 5]);
        fiat_25519_carry_mul(&mut out, &self.loose(), &other.loose());
        Fe(out)
    }

    fn square(self) -> Fe {
        let mut out = fiat_25519_tight_field_element([0; 5]);
        fiat_25519_carry_square(&mut out, &self.loose());
        Fe(out)
    }

    /// self^(2^k).
    fn pow2k(self, k: u32) -> Fe {
        (0..k).fold(self, |acc, _| acc.square())
    }

    fn add(self, other: Fe) -> Fe {
        let mut sum = fiat_25519_loose_field_element([0; 5]);
        fiat_25519_add(&mut sum, &self.0, &other.0);
        Fe::carry(&sum)
    }

    fn sub(self, other: Fe) -> Fe {
        let mut difference = fiat_25519_loose_field_element([0; 5]);
        fiat_25519_sub(&mut difference, &self.0, &other.0);
        Fe::carry(&difference)
    }

    fn neg(self) -> Fe {
        let mut negated = fiat_25519_loose_field_element([0; 5]);
        fiat_25519_opp(&mut negated, &self.0);
        Fe::carry(&negated)
    }

    fn carry(loose: &fiat_25519_loose_field_element) -> Fe {
        let mut out = fiat_25519_tight_field_element([0; 5]);
        fiat_crypto::curve25519_64::fiat_25519_carry(&mut out, loose);
        Fe(out)
    }

    fn is_zero(self) -> bool {
        self.to_bytes() == [0; 32]
    }

    fn equals(self, other: Fe) -> bool {
        self.to_bytes() == other.to_bytes()
    }

    /// self^((p−5)/8) = self^(2^252−3), by the usual addition chain.
    fn pow_p58(self) -> Fe {
        let x = self;
        let x2 = x.square();
        let x9 = x.mul(x2.pow2k(2));
        let x11 = x2.mul(x9);
        let e5 = x9.mul(x11.square()); // 2^5 − 1
        let e10 = e5.pow2k(5).mul(e5);
        let e20 = e10.pow2k(10).mul(e10);
        let e40 = e20.pow2k(20).mul(e20);
        let e50 = e40.pow2k(10).mul(e10);
        let e100 = e50.pow2k(50).mul(e50);
        let e200 = e100.pow2k(100).mul(e100);
        let e250 = e200.pow2k(50).mul(e50);
        e250.pow2k(2).mul(x)
    }
}

/// Why an Ed25519 public-key encoding was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No point on the curve has this y-coordinate.
    NotOnCurve,
    /// The point is one of the eight small-order points.
    SmallOrder,
}

/// The canonical u-coordinates of the low-order points of Curve25519 and its twist (orders 1, 2, 4 and 8): they
/// hold the images of the Edwards small-order points, and they are the X25519 keys that force an all-zero shared
/// secret.
pub(crate) const LOW_ORDER_U: [[u8; 32]; 5] = [
    [0; 32],
    {
        let mut one = [0; 32];
        one[0] = 1;
        one
    },
    {
        let mut minus_one = [0xff; 32];
        minus_one[0] = 0xec;
        minus_one[31] = 0x7f;
        minus_one
    },
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09,
        0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
    ],
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44,
        0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57,
    ],
];

/// Checks an Ed25519 public-key encoding (sign bit ignored; the caller has checked that y is canonical) and
/// returns the X25519 u-coordinate of the same point: refused when no point has this y, or when the point has
/// small order (y = ±1 give b = 0 below; the other six map to low-order u-coordinates).
pub(crate) fn ed25519_to_x25519(encoded: &[u8; 32]) -> Result<[u8; 32], Refusal> {
    let mut y_bytes = *encoded;
    y_bytes[31] &= 0x7f;
    let y = Fe::from_bytes(&y_bytes);
    let one = Fe::one();
    let y2 = y.square();
    let u = y2.sub(one);
    let v = Fe::from_bytes(&EDWARDS_D).mul(y2).add(one);
    let t = one.sub(y);
    let uvt = u.mul(v).mul(t);
    let b = uvt.mul(t);
    if b.is_zero() {
        return Err(Refusal::SmallOrder);
    }
    let b3 = b.square().mul(b);
    let b7 = b3.square().mul(b);
    let r = b3.mul(b7.pow_p58());
    let r2 = r.square();
    let check = b.mul(r2);
    let inverse_b = if check.equals(one) {
        r2
    } else if check.equals(one.neg()) {
        r2.neg()
    } else {
        return Err(Refusal::NotOnCurve); // b, hence u/v, is not a square: no x has this y.
    };
    let montgomery_u = one.add(y).mul(uvt.mul(inverse_b)).to_bytes();
    if LOW_ORDER_U.contains(&montgomery_u) {
        return Err(Refusal::SmallOrder);
    }
    Ok(montgomery_u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use curve25519_dalek::edwards::CompressedEdwardsY;
    use curve25519_dalek::Scalar;
    use proptest::prelude::*;

    /// What curve25519-dalek says about an encoding: its Montgomery u, or why it is refused.
    fn dalek(encoded: &[u8; 32]) -> Result<[u8; 32], Refusal> {
        let point = CompressedEdwardsY(*encoded).decompress().ok_or(Refusal::NotOnCurve)?;
        if point.is_small_order() {
            return Err(Refusal::SmallOrder);
        }
        Ok(point.to_montgomery().to_bytes())
    }

    fn small(n: u32) -> Fe {
        let mut bytes = [0; 32];
        bytes[..4].copy_from_slice(&n.to_le_bytes());
        Fe::from_bytes(&bytes)
    }

    #[test]
    fn d_is_minus_121665_over_121666() {
        assert!(Fe::from_bytes(&EDWARDS_D).mul(small(121666)).add(small(121665)).is_zero());
    }

    #[test]
    fn agrees_with_dalek_on_the_torsion_points_and_the_base_point() {
        for point in EIGHT_TORSION.iter().chain([&ED25519_BASEPOINT_POINT]) {
            let encoded = point.compress().to_bytes();
            assert_eq!(ed25519_to_x25519(&encoded), dalek(&encoded), "{encoded:02x?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn agrees_with_dalek_on_real_keys(seed in any::<[u8; 32]>()) {
            let point = ED25519_BASEPOINT_POINT * Scalar::from_bytes_mod_order(seed);
            let encoded = point.compress().to_bytes();
            prop_assert_eq!(ed25519_to_x25519(&encoded), dalek(&encoded));
        }

        #[test]
        fn agrees_with_dalek_on_arbitrary_encodings(mut encoded in any::<[u8; 32]>()) {
            // Only canonical y values reach this function.
            encoded[31] &= 0x7f;
            encoded[31] = encoded[31].min(0x7e);
            prop_assert_eq!(ed25519_to_x25519(&encoded), dalek(&encoded));
        }
    }
}
