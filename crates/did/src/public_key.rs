//! Validated public keys of every type did:key and did:jwk carry, and their encodings: multicodec (unsigned-varint
//! header + raw key), multibase (`z` + base58btc) and JWK.
//!
//! A [`PublicKey`] can only be built by decoding and validating bytes or a JWK, so holding one means the key is
//! well formed: right length, a point on its curve, in the prime-order subgroup where the curve has a cofactor,
//! canonical encodings only. This module knows nothing about DIDs or documents and performs no I/O.
//!
//! Validation choices where the specifications leave room (all refusals are `invalidPublicKey` unless noted):
//! - Ed25519: the y coordinate must be canonical (< 2^255−19), the point must decompress, and small-order points
//!   (the 8 torsion points, including the identity) are refused: they verify forged signatures and derive a
//!   degenerate X25519 key. Mixed-order points are accepted, as ed25519-dalek's `VerifyingKey` accepts them; the
//!   torsion check would cost a full scalar multiplication per resolution.
//! - X25519: any canonical u-coordinate (< 2^255−19, so also the high bit clear) except the five low-order ones
//!   (0, 1, −1 and the two of order 8), which force an all-zero shared secret.
//! - secp256k1, P-256, P-384, P-521: SEC1 compressed points only (tag 0x02/0x03), decompressed and checked.
//! - BLS12-381: canonical compressed G1/G2 points in the prime-order subgroup; the point at infinity is refused.
//! - RSA: strict DER PKCS#1 `RSAPublicKey`; a modulus of 2048 to 8192 bits (else `invalidPublicKeyLength`), odd;
//!   an odd exponent with 3 ≤ e < n.
//! - Multicodec headers: a truncated, overlong or non-minimal varint and the identity codec (0x00) are `invalidDid`;
//!   secret-key codecs (0x1300–0x13ff) and codecs that name no supported public key are `invalidPublicKeyType`.
//! - JWK: private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`) and `oct` keys are refused as
//!   `invalidPublicKey`; an unknown `kty`/`crv` is `invalidPublicKeyType`; coordinates of the wrong size are
//!   `invalidPublicKeyLength`. BLS12-381 keys use the `OKP` / `Bls12381G1` | `Bls12381G2` convention with `x` the
//!   compressed point (the representation draft-looker-cose-bls-key-representations proposed); the combined
//!   G1+G2 key is two keys and has no single JWK.
//! - Key families left out of the build (the `bls`, `rsa` and `secp256k1` features, see [`KeyType::feature`]): their
//!   multicodec codes and JWK names are still recognised, and such keys are refused as `featureNotSupported`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
#[cfg(feature = "bls")]
use bls12_381::{G1Affine, G2Affine};
use p256::elliptic_curve::sec1::{FromEncodedPoint, ModulusSize, ToEncodedPoint};
use p256::elliptic_curve::{self, AffinePoint, CurveArithmetic, FieldBytesSize};
#[cfg(feature = "rsa")]
use pkcs1::der::asn1::UintRef;
#[cfg(feature = "rsa")]
use pkcs1::der::{Decode, Encode};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::curve25519::{ed25519_to_x25519, Refusal, LOW_ORDER_U};
use super::error::{
    invalid_did, invalid_public_key, invalid_public_key_length, invalid_public_key_type, ResolutionError,
};

/// The key types this resolver knows, named after their multicodec table entries. Every build knows all of them;
/// keys of a type whose family is left out of the build ([`KeyType::feature`]) are refused as `featureNotSupported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Ed25519 signature key (multicodec 0xed).
    Ed25519,
    /// X25519 key-agreement key (0xec).
    X25519,
    /// secp256k1 ECDSA key (0xe7).
    Secp256k1,
    /// NIST P-256 key (0x1200).
    P256,
    /// NIST P-384 key (0x1201).
    P384,
    /// NIST P-521 key (0x1202).
    P521,
    /// BLS12-381 key in G1 (0xea).
    Bls12381G1,
    /// BLS12-381 key in G2 (0xeb).
    Bls12381G2,
    /// A BLS12-381 G1 key followed by a G2 key (0xee).
    Bls12381G1G2,
    /// RSA key as DER PKCS#1 `RSAPublicKey` (0x1205).
    Rsa,
}

impl KeyType {
    /// Every known key type, including those of families left out of this build.
    pub const ALL: [KeyType; 10] = [
        KeyType::Ed25519,
        KeyType::X25519,
        KeyType::Secp256k1,
        KeyType::P256,
        KeyType::P384,
        KeyType::P521,
        KeyType::Bls12381G1,
        KeyType::Bls12381G2,
        KeyType::Bls12381G1G2,
        KeyType::Rsa,
    ];

    /// The multicodec code of the public key type.
    pub fn multicodec(self) -> u64 {
        match self {
            KeyType::Ed25519 => 0xed,
            KeyType::X25519 => 0xec,
            KeyType::Secp256k1 => 0xe7,
            KeyType::P256 => 0x1200,
            KeyType::P384 => 0x1201,
            KeyType::P521 => 0x1202,
            KeyType::Bls12381G1 => 0xea,
            KeyType::Bls12381G2 => 0xeb,
            KeyType::Bls12381G1G2 => 0xee,
            KeyType::Rsa => 0x1205,
        }
    }

    /// The multicodec table name, e.g. `ed25519-pub`.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "ed25519-pub",
            KeyType::X25519 => "x25519-pub",
            KeyType::Secp256k1 => "secp256k1-pub",
            KeyType::P256 => "p256-pub",
            KeyType::P384 => "p384-pub",
            KeyType::P521 => "p521-pub",
            KeyType::Bls12381G1 => "bls12_381-g1-pub",
            KeyType::Bls12381G2 => "bls12_381-g2-pub",
            KeyType::Bls12381G1G2 => "bls12_381-g1g2-pub",
            KeyType::Rsa => "rsa-pub",
        }
    }

    /// The key type of a multicodec code, if it is a known public key.
    pub fn from_multicodec(code: u64) -> Option<KeyType> {
        KeyType::ALL.into_iter().find(|key_type| key_type.multicodec() == code)
    }

    /// The Cargo feature of trustnode-did that builds keys of this type (`bls`, `rsa`, `secp256k1`; all on by
    /// default), or `None` for the types every build supports.
    pub fn feature(self) -> Option<&'static str> {
        match self {
            KeyType::Secp256k1 => Some("secp256k1"),
            KeyType::Bls12381G1 | KeyType::Bls12381G2 | KeyType::Bls12381G1G2 => Some("bls"),
            KeyType::Rsa => Some("rsa"),
            KeyType::Ed25519 | KeyType::X25519 | KeyType::P256 | KeyType::P384 | KeyType::P521 => None,
        }
    }
}

/// The refusal of a key whose family this build leaves out.
#[cfg(not(all(feature = "bls", feature = "rsa", feature = "secp256k1")))]
fn disabled_family(key_type: KeyType) -> ResolutionError {
    super::error::feature_not_supported(format!(
        "{} keys are not supported by this build (the `{}` feature of trustnode-did is off)",
        key_type.name(),
        key_type.feature().unwrap_or_default()
    ))
}

/// The multicodec range reserved for private keys (`ed25519-priv` 0x1300 … `bls12_381-g2-priv-share` 0x130d and
/// whatever is added after them).
const SECRET_KEY_CODECS: std::ops::RangeInclusive<u64> = 0x1300..=0x13ff;

/// An Ed25519 public key: its canonical encoding and the u-coordinate of its X25519 counterpart, found while
/// validating it.
#[derive(Debug, Clone)]
pub struct Ed25519Key {
    encoded: [u8; 32],
    x25519: [u8; 32],
    /// The decompressed point, made on the first signature check and kept: resolving a did:key never needs it,
    /// while a verifier holding a resolved key checks many signatures with it (decompressing is a field
    /// exponentiation, a tenth of a check). `None` inside: ed25519-dalek refused a key this module accepted.
    verifying: OnceLock<Option<ed25519_dalek::VerifyingKey>>,
}

impl PartialEq for Ed25519Key {
    fn eq(&self, other: &Self) -> bool {
        self.encoded == other.encoded
    }
}

impl Eq for Ed25519Key {}

/// An X25519 public key: a canonical, non-low-order Montgomery u-coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct X25519Key {
    encoded: [u8; 32],
}

/// A BLS12-381 G1 public key (prime-order subgroup, not the identity).
#[cfg(feature = "bls")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bls12381G1Key(G1Affine);

/// A BLS12-381 G2 public key (prime-order subgroup, not the identity).
#[cfg(feature = "bls")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bls12381G2Key(G2Affine);

/// An RSA public key: its canonical DER PKCS#1 encoding and the big-endian modulus and exponent without leading
/// zeros.
#[cfg(feature = "rsa")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    der: Vec<u8>,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

/// One validated public key of any supported type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// An Ed25519 signature key.
    Ed25519(Ed25519Key),
    /// An X25519 key-agreement key.
    X25519(X25519Key),
    /// A secp256k1 key.
    #[cfg(feature = "secp256k1")]
    Secp256k1(k256::PublicKey),
    /// A P-256 key.
    P256(p256::PublicKey),
    /// A P-384 key.
    P384(p384::PublicKey),
    /// A P-521 key.
    P521(p521::PublicKey),
    /// A BLS12-381 G1 key.
    #[cfg(feature = "bls")]
    Bls12381G1(Bls12381G1Key),
    /// A BLS12-381 G2 key.
    #[cfg(feature = "bls")]
    Bls12381G2(Bls12381G2Key),
    /// A BLS12-381 G1 key and a G2 key, published together.
    #[cfg(feature = "bls")]
    Bls12381G1G2(Bls12381G1Key, Bls12381G2Key),
    /// An RSA key.
    #[cfg(feature = "rsa")]
    Rsa(RsaKey),
}

/// Smallest and largest accepted RSA modulus, in bits.
#[cfg(feature = "rsa")]
const RSA_MODULUS_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// Upper bound of the DER encoding of the largest accepted RSA key (an 8192-bit modulus with a modulus-sized
/// exponent, plus headers), so oversized input is refused before any parsing.
pub(crate) const MAX_RSA_DER_LEN: usize = 2 * (8192 / 8) + 16;

/// The field prime 2^255 − 19 of Curve25519, little-endian, to check canonical encodings.
const CURVE25519_PRIME_LE: [u8; 32] = {
    let mut prime = [0xff; 32];
    prime[0] = 0xed;
    prime[31] = 0x7f;
    prime
};

/// True when a little-endian 256-bit number is below 2^255 − 19.
fn is_canonical_field_element(bytes: &[u8; 32]) -> bool {
    bytes.iter().rev().cmp(CURVE25519_PRIME_LE.iter().rev()) == std::cmp::Ordering::Less
}

/// The bytes as an array of the length the key type requires.
fn fixed_length<const N: usize>(key_type: KeyType, raw: &[u8]) -> Result<[u8; N], ResolutionError> {
    raw.try_into()
        .map_err(|_| invalid_public_key_length(format!("{} key must be {N} bytes, got {}", key_type.name(), raw.len())))
}

impl Ed25519Key {
    fn from_bytes(raw: &[u8]) -> Result<Self, ResolutionError> {
        let encoded: [u8; 32] = fixed_length(KeyType::Ed25519, raw)?;
        let mut y = encoded;
        y[31] &= 0x7f;
        if !is_canonical_field_element(&y) {
            return Err(invalid_public_key("ed25519-pub key has a non-canonical y coordinate (>= 2^255-19)"));
        }
        let x25519 = ed25519_to_x25519(&encoded).map_err(|refusal| match refusal {
            Refusal::NotOnCurve => invalid_public_key("ed25519-pub key is not a point on the curve"),
            Refusal::SmallOrder => invalid_public_key("ed25519-pub key is a small-order point"),
        })?;
        Ok(Ed25519Key { encoded, x25519, verifying: OnceLock::new() })
    }

    /// Whether `signature` (64 bytes) is this key's signature of `message`, by RFC 8032's rules with the strict
    /// checks (canonical `S`, no small-order `R`), which refuse the malleable signatures lax verifiers accept.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else { return false };
        let key = self.verifying.get_or_init(|| ed25519_dalek::VerifyingKey::from_bytes(&self.encoded).ok());
        key.is_some_and(|key| key.verify_strict(message, &signature).is_ok())
    }
}

impl X25519Key {
    fn from_bytes(raw: &[u8]) -> Result<Self, ResolutionError> {
        let encoded: [u8; 32] = fixed_length(KeyType::X25519, raw)?;
        if !is_canonical_field_element(&encoded) {
            return Err(invalid_public_key("x25519-pub key is not a canonical u-coordinate (>= 2^255-19)"));
        }
        if LOW_ORDER_U.contains(&encoded) {
            return Err(invalid_public_key("x25519-pub key is a low-order point"));
        }
        Ok(X25519Key { encoded })
    }
}

/// Refuses a BLS12-381 point that did not decode (non-canonical, off the curve or outside the prime-order
/// subgroup: `from_compressed` checks all three) or that is the point at infinity.
#[cfg(feature = "bls")]
fn bls_point<P>(key_type: KeyType, decoded: Option<P>, is_identity: fn(&P) -> bool) -> Result<P, ResolutionError> {
    let point = decoded.ok_or_else(|| {
        invalid_public_key(format!("{} key is not a canonical compressed point of its subgroup", key_type.name()))
    })?;
    if is_identity(&point) {
        return Err(invalid_public_key(format!("{} key is the point at infinity", key_type.name())));
    }
    Ok(point)
}

#[cfg(feature = "bls")]
impl Bls12381G1Key {
    fn from_bytes(raw: &[u8]) -> Result<Self, ResolutionError> {
        let encoded: [u8; 48] = fixed_length(KeyType::Bls12381G1, raw)?;
        let decoded: Option<G1Affine> = Option::from(G1Affine::from_compressed(&encoded));
        bls_point(KeyType::Bls12381G1, decoded, |point| point.is_identity().into()).map(Bls12381G1Key)
    }
}

#[cfg(feature = "bls")]
impl Bls12381G2Key {
    fn from_bytes(raw: &[u8]) -> Result<Self, ResolutionError> {
        let encoded: [u8; 96] = fixed_length(KeyType::Bls12381G2, raw)?;
        let decoded: Option<G2Affine> = Option::from(G2Affine::from_compressed(&encoded));
        bls_point(KeyType::Bls12381G2, decoded, |point| point.is_identity().into()).map(Bls12381G2Key)
    }
}

#[cfg(feature = "rsa")]
impl RsaKey {
    fn from_der(der: &[u8]) -> Result<Self, ResolutionError> {
        if der.len() > MAX_RSA_DER_LEN {
            return Err(invalid_public_key_length(format!(
                "rsa-pub key of {} bytes is longer than the largest accepted key ({MAX_RSA_DER_LEN} bytes)",
                der.len()
            )));
        }
        let parsed = pkcs1::RsaPublicKey::from_der(der)
            .map_err(|error| invalid_public_key(format!("rsa-pub key is not a DER PKCS#1 RSAPublicKey: {error}")))?;
        // Strict DER has exactly one encoding; re-encoding catches any leniency of the parser.
        if parsed.to_der().ok().as_deref() != Some(der) {
            return Err(invalid_public_key("rsa-pub key is not in canonical DER"));
        }
        Self::from_components(parsed.modulus.as_bytes(), parsed.public_exponent.as_bytes())
    }

    /// Checks modulus and exponent (big-endian unsigned) and builds the canonical DER encoding.
    fn from_components(modulus: &[u8], exponent: &[u8]) -> Result<Self, ResolutionError> {
        let (modulus, exponent) = (strip_leading_zeros(modulus), strip_leading_zeros(exponent));
        let modulus_bits = match modulus.first() {
            Some(&top) => modulus.len() * 8 - top.leading_zeros() as usize,
            None => 0,
        };
        if !RSA_MODULUS_BITS.contains(&modulus_bits) {
            return Err(invalid_public_key_length(format!(
                "rsa-pub modulus has {modulus_bits} bits, accepted are {} to {}",
                RSA_MODULUS_BITS.start(),
                RSA_MODULUS_BITS.end()
            )));
        }
        if modulus.last().is_none_or(|low| low & 1 == 0) {
            return Err(invalid_public_key("rsa-pub modulus is even"));
        }
        let exponent_is_odd = exponent.last().is_some_and(|low| low & 1 == 1);
        let exponent_at_least_3 = exponent.len() > 1 || exponent.first().is_some_and(|&e| e >= 3);
        let exponent_below_modulus = (exponent.len(), exponent) < (modulus.len(), modulus);
        if !(exponent_is_odd && exponent_at_least_3 && exponent_below_modulus) {
            return Err(invalid_public_key("rsa-pub exponent must be odd with 3 <= e < n"));
        }
        let der = pkcs1::RsaPublicKey {
            modulus: UintRef::new(modulus).map_err(|error| invalid_public_key(format!("rsa-pub modulus: {error}")))?,
            public_exponent: UintRef::new(exponent)
                .map_err(|error| invalid_public_key(format!("rsa-pub exponent: {error}")))?,
        }
        .to_der()
        .map_err(|error| invalid_public_key(format!("rsa-pub key cannot be DER-encoded: {error}")))?;
        Ok(RsaKey { der, modulus: modulus.to_vec(), exponent: exponent.to_vec() })
    }
}

#[cfg(feature = "rsa")]
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first_significant = bytes.iter().position(|&byte| byte != 0).unwrap_or(bytes.len());
    bytes.get(first_significant..).unwrap_or_default()
}

/// Decodes a SEC1 compressed point (tag 0x02/0x03) of the expected length and checks it is on the curve.
fn compressed_sec1<C>(
    key_type: KeyType,
    length: usize,
    raw: &[u8],
) -> Result<elliptic_curve::PublicKey<C>, ResolutionError>
where
    C: CurveArithmetic,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    if raw.len() != length {
        return Err(invalid_public_key_length(format!(
            "{} key must be {length} bytes (SEC1 compressed), got {}",
            key_type.name(),
            raw.len()
        )));
    }
    match raw.first() {
        Some(0x02 | 0x03) => {}
        Some(tag) => {
            return Err(invalid_public_key(format!(
                "{} key must be SEC1 compressed (tag 0x02 or 0x03), got tag {tag:#04x}",
                key_type.name()
            )))
        }
        None => return Err(invalid_public_key_length(format!("{} key is empty", key_type.name()))),
    }
    elliptic_curve::PublicKey::<C>::from_sec1_bytes(raw)
        .map_err(|_| invalid_public_key(format!("{} key is not a point on the curve", key_type.name())))
}

/// The uncompressed SEC1 encoding `04 ‖ x ‖ y` of the point from the JWK coordinates, checked on the curve.
fn uncompressed_sec1<C>(
    crv: &str,
    size: usize,
    x: &[u8],
    y: &[u8],
) -> Result<elliptic_curve::PublicKey<C>, ResolutionError>
where
    C: CurveArithmetic,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    if x.len() != size || y.len() != size {
        return Err(invalid_public_key_length(format!(
            "{crv} JWK coordinates must be {size} bytes each, got x {} and y {}",
            x.len(),
            y.len()
        )));
    }
    let mut sec1 = Vec::with_capacity(1 + 2 * size);
    sec1.push(0x04);
    sec1.extend_from_slice(x);
    sec1.extend_from_slice(y);
    elliptic_curve::PublicKey::<C>::from_sec1_bytes(&sec1)
        .map_err(|_| invalid_public_key(format!("{crv} JWK point is not on the curve")))
}

/// The `x` and `y` members of an EC JWK: the uncompressed point split in halves.
fn ec_jwk_members<C>(key: &elliptic_curve::PublicKey<C>) -> [(&'static str, Value); 2]
where
    C: CurveArithmetic,
    AffinePoint<C>: FromEncodedPoint<C> + ToEncodedPoint<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let point = key.to_encoded_point(false);
    // A valid public key always encodes as 0x04 ‖ x ‖ y; the fallback keeps this free of panics.
    let coordinates = point.as_bytes().get(1..).unwrap_or_default();
    let (x, y) = coordinates.split_at(coordinates.len() / 2);
    [("x", base64url(x)), ("y", base64url(y))]
}

fn base64url(bytes: &[u8]) -> Value {
    Value::String(URL_SAFE_NO_PAD.encode(bytes))
}

/// JWK members that carry private or symmetric key material.
const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

impl PublicKey {
    /// Decodes and validates `<unsigned-varint multicodec><raw key>`. The varint must be minimal.
    pub fn from_multicodec(bytes: &[u8]) -> Result<PublicKey, ResolutionError> {
        let (code, raw) = unsigned_varint::decode::u64(bytes)
            .map_err(|error| invalid_did(format!("multicodec header is not a valid unsigned varint: {error}")))?;
        if code == 0 {
            return Err(invalid_did("multicodec 0x00 (identity) does not name a key type"));
        }
        if SECRET_KEY_CODECS.contains(&code) {
            return Err(invalid_public_key_type(format!(
                "multicodec {code:#x} is a secret-key codec; only public keys are accepted"
            )));
        }
        let key_type = KeyType::from_multicodec(code).ok_or_else(|| {
            invalid_public_key_type(format!("multicodec {code:#x} is not a supported public key type"))
        })?;
        Self::from_raw(key_type, raw)
    }

    /// Validates the raw key bytes (without multicodec header) of the given type.
    pub fn from_raw(key_type: KeyType, raw: &[u8]) -> Result<PublicKey, ResolutionError> {
        Ok(match key_type {
            KeyType::Ed25519 => PublicKey::Ed25519(Ed25519Key::from_bytes(raw)?),
            KeyType::X25519 => PublicKey::X25519(X25519Key::from_bytes(raw)?),
            #[cfg(feature = "secp256k1")]
            KeyType::Secp256k1 => PublicKey::Secp256k1(compressed_sec1(key_type, 33, raw)?),
            KeyType::P256 => PublicKey::P256(compressed_sec1(key_type, 33, raw)?),
            KeyType::P384 => PublicKey::P384(compressed_sec1(key_type, 49, raw)?),
            KeyType::P521 => PublicKey::P521(compressed_sec1(key_type, 67, raw)?),
            #[cfg(feature = "bls")]
            KeyType::Bls12381G1 => PublicKey::Bls12381G1(Bls12381G1Key::from_bytes(raw)?),
            #[cfg(feature = "bls")]
            KeyType::Bls12381G2 => PublicKey::Bls12381G2(Bls12381G2Key::from_bytes(raw)?),
            #[cfg(feature = "bls")]
            KeyType::Bls12381G1G2 => {
                let both: [u8; 144] = fixed_length(key_type, raw)?;
                let (g1, g2) = both.split_at(48);
                PublicKey::Bls12381G1G2(Bls12381G1Key::from_bytes(g1)?, Bls12381G2Key::from_bytes(g2)?)
            }
            #[cfg(feature = "rsa")]
            KeyType::Rsa => PublicKey::Rsa(RsaKey::from_der(raw)?),
            #[cfg(not(all(feature = "bls", feature = "rsa", feature = "secp256k1")))]
            disabled => return Err(disabled_family(disabled)),
        })
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Ed25519(_) => KeyType::Ed25519,
            PublicKey::X25519(_) => KeyType::X25519,
            #[cfg(feature = "secp256k1")]
            PublicKey::Secp256k1(_) => KeyType::Secp256k1,
            PublicKey::P256(_) => KeyType::P256,
            PublicKey::P384(_) => KeyType::P384,
            PublicKey::P521(_) => KeyType::P521,
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G1(_) => KeyType::Bls12381G1,
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G2(_) => KeyType::Bls12381G2,
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G1G2(..) => KeyType::Bls12381G1G2,
            #[cfg(feature = "rsa")]
            PublicKey::Rsa(_) => KeyType::Rsa,
        }
    }

    /// The raw key bytes as did:key carries them: compressed points, G1 ‖ G2, or DER PKCS#1 for RSA.
    pub fn raw_bytes(&self) -> Vec<u8> {
        match self {
            PublicKey::Ed25519(key) => key.encoded.to_vec(),
            PublicKey::X25519(key) => key.encoded.to_vec(),
            #[cfg(feature = "secp256k1")]
            PublicKey::Secp256k1(key) => key.to_encoded_point(true).as_bytes().to_vec(),
            PublicKey::P256(key) => key.to_encoded_point(true).as_bytes().to_vec(),
            PublicKey::P384(key) => key.to_encoded_point(true).as_bytes().to_vec(),
            PublicKey::P521(key) => key.to_encoded_point(true).as_bytes().to_vec(),
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G1(key) => key.0.to_compressed().to_vec(),
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G2(key) => key.0.to_compressed().to_vec(),
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G1G2(g1, g2) => [&g1.0.to_compressed()[..], &g2.0.to_compressed()[..]].concat(),
            #[cfg(feature = "rsa")]
            PublicKey::Rsa(key) => key.der.clone(),
        }
    }

    /// The unsigned-varint multicodec header followed by the raw key bytes.
    pub fn to_multicodec(&self) -> Vec<u8> {
        let mut header = unsigned_varint::encode::u64_buffer();
        let header = unsigned_varint::encode::u64(self.key_type().multicodec(), &mut header);
        [header, &self.raw_bytes()[..]].concat()
    }

    /// `z` followed by the base58btc encoding of [`PublicKey::to_multicodec`].
    pub fn to_multibase(&self) -> String {
        multibase::encode(multibase::Base::Base58Btc, self.to_multicodec())
    }

    /// The keys this key consists of: the G1 and the G2 key of a combined BLS12-381 key, otherwise itself.
    pub fn components(&self) -> Vec<PublicKey> {
        match self {
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G1G2(g1, g2) => vec![PublicKey::Bls12381G1(*g1), PublicKey::Bls12381G2(*g2)],
            single => vec![single.clone()],
        }
    }

    /// The X25519 key of the same secret as an Ed25519 key (birational Edwards→Montgomery map); `None` for every
    /// other key type.
    pub fn to_x25519(&self) -> Option<PublicKey> {
        match self {
            PublicKey::Ed25519(key) => Some(PublicKey::X25519(X25519Key { encoded: key.x25519 })),
            _ => None,
        }
    }

    /// The public JWK: `OKP` for Ed25519/X25519 and BLS12-381, `EC` with both `x` and `y` for the NIST curves and
    /// secp256k1, `RSA` with `n` and `e`. `None` for the combined BLS12-381 G1+G2 key, which is two JWKs (see
    /// [`PublicKey::components`]).
    pub fn to_jwk(&self) -> Option<Map<String, Value>> {
        let okp = |crv: &str, x: &[u8]| [("kty", "OKP".into()), ("crv", crv.into()), ("x", base64url(x))];
        let members: Vec<(&str, Value)> = match self {
            PublicKey::Ed25519(key) => okp("Ed25519", &key.encoded).into(),
            PublicKey::X25519(key) => okp("X25519", &key.encoded).into(),
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G1(key) => okp("Bls12381G1", &key.0.to_compressed()).into(),
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G2(key) => okp("Bls12381G2", &key.0.to_compressed()).into(),
            #[cfg(feature = "bls")]
            PublicKey::Bls12381G1G2(..) => return None,
            #[cfg(feature = "rsa")]
            PublicKey::Rsa(key) => {
                vec![("kty", "RSA".into()), ("n", base64url(&key.modulus)), ("e", base64url(&key.exponent))]
            }
            #[cfg(feature = "secp256k1")]
            PublicKey::Secp256k1(key) => ec_jwk("secp256k1", ec_jwk_members(key)),
            PublicKey::P256(key) => ec_jwk("P-256", ec_jwk_members(key)),
            PublicKey::P384(key) => ec_jwk("P-384", ec_jwk_members(key)),
            PublicKey::P521(key) => ec_jwk("P-521", ec_jwk_members(key)),
        };
        Some(members.into_iter().map(|(name, value)| (name.to_owned(), value)).collect())
    }

    /// Reads and validates a public JWK. Private members, symmetric (`oct`) keys, unknown `kty`/`crv` and invalid
    /// key material are refused; other members (`kid`, `alg`, `use`, …) are ignored.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<PublicKey, ResolutionError> {
        if let Some(private) = PRIVATE_JWK_MEMBERS.iter().find(|name| jwk.contains_key(**name)) {
            return Err(invalid_public_key(format!("JWK contains the private member \"{private}\"")));
        }
        match jwk_string(jwk, "kty")? {
            "OKP" => {
                let x = jwk_bytes(jwk, "x")?;
                match jwk_string(jwk, "crv")? {
                    "Ed25519" => Self::from_raw(KeyType::Ed25519, &x),
                    "X25519" => Self::from_raw(KeyType::X25519, &x),
                    "Bls12381G1" => Self::from_raw(KeyType::Bls12381G1, &x),
                    "Bls12381G2" => Self::from_raw(KeyType::Bls12381G2, &x),
                    other => Err(invalid_public_key_type(format!("unsupported OKP curve \"{other}\""))),
                }
            }
            "EC" => {
                let crv = jwk_string(jwk, "crv")?;
                let (x, y) = (jwk_bytes(jwk, "x")?, jwk_bytes(jwk, "y")?);
                Ok(match crv {
                    #[cfg(feature = "secp256k1")]
                    "secp256k1" => PublicKey::Secp256k1(uncompressed_sec1(crv, 32, &x, &y)?),
                    #[cfg(not(feature = "secp256k1"))]
                    "secp256k1" => return Err(disabled_family(KeyType::Secp256k1)),
                    "P-256" => PublicKey::P256(uncompressed_sec1(crv, 32, &x, &y)?),
                    "P-384" => PublicKey::P384(uncompressed_sec1(crv, 48, &x, &y)?),
                    "P-521" => PublicKey::P521(uncompressed_sec1(crv, 66, &x, &y)?),
                    other => return Err(invalid_public_key_type(format!("unsupported EC curve \"{other}\""))),
                })
            }
            #[cfg(feature = "rsa")]
            "RSA" => Ok(PublicKey::Rsa(RsaKey::from_components(&jwk_bytes(jwk, "n")?, &jwk_bytes(jwk, "e")?)?)),
            #[cfg(not(feature = "rsa"))]
            "RSA" => Err(disabled_family(KeyType::Rsa)),
            "oct" => Err(invalid_public_key("JWK is a symmetric (oct) key, which is secret material")),
            other => Err(invalid_public_key_type(format!("unsupported JWK key type \"{other}\""))),
        }
    }
}

fn ec_jwk(crv: &str, coordinates: [(&'static str, Value); 2]) -> Vec<(&'static str, Value)> {
    let [x, y] = coordinates;
    vec![("kty", "EC".into()), ("crv", crv.into()), x, y]
}

/// A string member of a JWK.
fn jwk_string<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, ResolutionError> {
    match jwk.get(name) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(invalid_public_key(format!("JWK member \"{name}\" is not a string"))),
        None => Err(invalid_public_key(format!("JWK member \"{name}\" is missing"))),
    }
}

/// A base64url (unpadded) member of a JWK, decoded.
fn jwk_bytes(jwk: &Map<String, Value>, name: &str) -> Result<Vec<u8>, ResolutionError> {
    URL_SAFE_NO_PAD
        .decode(jwk_string(jwk, name)?)
        .map_err(|error| invalid_public_key(format!("JWK member \"{name}\" is not unpadded base64url: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::MontgomeryPoint;

    fn code(result: Result<PublicKey, ResolutionError>) -> Option<ErrorCode> {
        result.err().map(|error| error.code)
    }

    #[test]
    fn x25519_low_order_list_is_exactly_the_torsion_u_coordinates() {
        let mut torsion: Vec<[u8; 32]> = EIGHT_TORSION.iter().map(|point| point.to_montgomery().to_bytes()).collect();
        torsion.sort();
        torsion.dedup();
        let mut listed = LOW_ORDER_U.to_vec();
        listed.sort();
        // The eight torsion points map to four u-coordinates (0, 1 and two of order 8); u = -1 is the low-order
        // point of the quadratic twist, which an X25519 implementation accepts just the same.
        assert_eq!(torsion.len(), 4);
        assert!(torsion.iter().all(|u| listed.contains(u)), "{torsion:02x?}");
        for u in LOW_ORDER_U {
            assert_eq!(MontgomeryPoint(u).mul_clamped([0x42; 32]).to_bytes(), [0; 32], "{u:02x?}");
            assert_eq!(code(PublicKey::from_raw(KeyType::X25519, &u)), Some(ErrorCode::InvalidPublicKey));
        }
    }

    #[test]
    fn x25519_non_canonical_u_is_refused() {
        let mut prime_plus_two = CURVE25519_PRIME_LE;
        prime_plus_two[0] += 2;
        let mut high_bit = [9u8; 32];
        high_bit[31] |= 0x80;
        for u in [CURVE25519_PRIME_LE, prime_plus_two, high_bit] {
            assert_eq!(code(PublicKey::from_raw(KeyType::X25519, &u)), Some(ErrorCode::InvalidPublicKey));
        }
        assert!(PublicKey::from_raw(KeyType::X25519, &[9u8; 32]).is_ok());
    }

    #[test]
    fn ed25519_signatures_are_checked_strictly_with_the_kept_point() {
        use ed25519_dalek::Signer as _;
        let secret = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let raw = secret.verifying_key().to_bytes();
        let PublicKey::Ed25519(key) = PublicKey::from_raw(KeyType::Ed25519, &raw).unwrap() else { unreachable!() };
        let signature = secret.sign(b"message").to_bytes();
        assert!(key.verify(b"message", &signature));
        // The second check uses the point the first one decompressed, and must agree with it.
        assert!(key.verify(b"message", &signature) && !key.verify(b"massage", &signature));
        assert!(!key.verify(b"message", &signature[..63]), "a short signature is refused, not a panic");
        // S + L is the same signature to a lax verifier; strict checking refuses the non-canonical S.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut malleated = signature;
        let mut carry = 0u16;
        for (byte, add) in malleated[32..].iter_mut().zip(L) {
            let sum = u16::from(*byte) + u16::from(add) + carry;
            *byte = sum as u8;
            carry = sum >> 8;
        }
        assert!(!key.verify(b"message", &malleated));
        let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]).sign(b"message").to_bytes();
        assert!(!key.verify(b"message", &other), "another key's signature");
    }

    #[test]
    fn ed25519_small_order_and_non_canonical_points_are_refused() {
        for point in EIGHT_TORSION {
            let encoded = point.compress().to_bytes();
            assert_eq!(code(PublicKey::from_raw(KeyType::Ed25519, &encoded)), Some(ErrorCode::InvalidPublicKey));
        }
        // y = p + 1 encodes the identity's y non-canonically; with the sign bit it is "-0".
        let mut y_above_prime = CURVE25519_PRIME_LE;
        y_above_prime[0] += 1;
        assert_eq!(code(PublicKey::from_raw(KeyType::Ed25519, &y_above_prime)), Some(ErrorCode::InvalidPublicKey));
        // y = 2 is not the y of any curve point.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert_eq!(code(PublicKey::from_raw(KeyType::Ed25519, &off_curve)), Some(ErrorCode::InvalidPublicKey));
    }

    #[cfg(feature = "bls")]
    #[test]
    fn bls_points_at_infinity_are_refused() {
        let g1 = G1Affine::identity().to_compressed();
        let g2 = G2Affine::identity().to_compressed();
        assert_eq!(code(PublicKey::from_raw(KeyType::Bls12381G1, &g1)), Some(ErrorCode::InvalidPublicKey));
        assert_eq!(code(PublicKey::from_raw(KeyType::Bls12381G2, &g2)), Some(ErrorCode::InvalidPublicKey));
        let generator = G1Affine::generator().to_compressed();
        assert!(PublicKey::from_raw(KeyType::Bls12381G1, &generator).is_ok());
        let both = [&generator[..], &g2[..]].concat();
        assert_eq!(code(PublicKey::from_raw(KeyType::Bls12381G1G2, &both)), Some(ErrorCode::InvalidPublicKey));
    }

    /// DER of an RSAPublicKey with the given (already minimal, positive) INTEGER contents.
    #[cfg(feature = "rsa")]
    fn rsa_der(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
        let tlv = |tag: u8, content: &[u8]| {
            let length = content.len();
            let header = match length {
                0..=127 => vec![tag, length as u8],
                128..=255 => vec![tag, 0x81, length as u8],
                _ => vec![tag, 0x82, (length >> 8) as u8, length as u8],
            };
            [&header[..], content].concat()
        };
        tlv(0x30, &[tlv(0x02, modulus), tlv(0x02, exponent)].concat())
    }

    #[cfg(feature = "rsa")]
    fn modulus(bits: usize, low_byte: u8) -> Vec<u8> {
        let mut modulus = vec![0xab; bits / 8];
        modulus[bits / 8 - 1] = low_byte;
        [&[0u8][..], &modulus].concat()
    }

    #[cfg(feature = "rsa")]
    #[test]
    fn rsa_keys_need_sane_modulus_and_exponent() {
        let rsa =
            |modulus: &[u8], exponent: &[u8]| code(PublicKey::from_raw(KeyType::Rsa, &rsa_der(modulus, exponent)));
        assert_eq!(rsa(&modulus(2048, 0x01), &[0x01, 0x00, 0x01]), None);
        assert_eq!(rsa(&modulus(1024, 0x01), &[0x01, 0x00, 0x01]), Some(ErrorCode::InvalidPublicKeyLength));
        assert_eq!(rsa(&modulus(2048, 0x02), &[0x01, 0x00, 0x01]), Some(ErrorCode::InvalidPublicKey));
        assert_eq!(rsa(&modulus(2048, 0x01), &[0x01]), Some(ErrorCode::InvalidPublicKey));
        assert_eq!(rsa(&modulus(2048, 0x01), &[0x01, 0x00, 0x00]), Some(ErrorCode::InvalidPublicKey));
        // A superfluous leading zero in the exponent INTEGER is not DER.
        assert_eq!(rsa(&modulus(2048, 0x01), &[0x00, 0x03]), Some(ErrorCode::InvalidPublicKey));
        let mut trailing = rsa_der(&modulus(2048, 0x01), &[0x03]);
        trailing.push(0);
        assert_eq!(code(PublicKey::from_raw(KeyType::Rsa, &trailing)), Some(ErrorCode::InvalidPublicKey));
        let too_long = vec![0x30; MAX_RSA_DER_LEN + 1];
        assert_eq!(code(PublicKey::from_raw(KeyType::Rsa, &too_long)), Some(ErrorCode::InvalidPublicKeyLength));
    }

    #[cfg(feature = "rsa")]
    #[test]
    fn rsa_jwk_round_trips_to_the_same_der() {
        let der = rsa_der(&modulus(2048, 0x01), &[0x01, 0x00, 0x01]);
        let key = PublicKey::from_raw(KeyType::Rsa, &der).expect("valid");
        let jwk = key.to_jwk().expect("jwk");
        assert_eq!(jwk["e"], "AQAB");
        let back = PublicKey::from_jwk(&jwk).expect("from jwk");
        assert_eq!(back.raw_bytes(), der);
    }

    #[test]
    fn sec1_keys_must_be_compressed_and_on_the_curve() {
        let generator = p256::PublicKey::from_affine(p256::AffinePoint::GENERATOR).expect("generator");
        let compressed = generator.to_encoded_point(true).as_bytes().to_vec();
        assert!(PublicKey::from_raw(KeyType::P256, &compressed).is_ok());
        let mut tagged = compressed.clone();
        tagged[0] = 0x04;
        assert_eq!(code(PublicKey::from_raw(KeyType::P256, &tagged)), Some(ErrorCode::InvalidPublicKey));
        let uncompressed = generator.to_encoded_point(false).as_bytes().to_vec();
        assert_eq!(code(PublicKey::from_raw(KeyType::P256, &uncompressed)), Some(ErrorCode::InvalidPublicKeyLength));
        assert_eq!(code(PublicKey::from_raw(KeyType::P384, &compressed)), Some(ErrorCode::InvalidPublicKeyLength));
    }

    #[test]
    fn jwk_refuses_secrets_and_unknown_types() {
        let jwk = |value: Value| value.as_object().cloned().unwrap_or_default();
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let cases = [
            (jwk(serde_json::json!({"kty": "oct", "k": "c2VjcmV0"})), ErrorCode::InvalidPublicKey),
            (jwk(serde_json::json!({"kty": "oct"})), ErrorCode::InvalidPublicKey),
            (jwk(serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "d": x})), ErrorCode::InvalidPublicKey),
            (jwk(serde_json::json!({"kty": "OKP", "crv": "Ed448", "x": x})), ErrorCode::InvalidPublicKeyType),
            (jwk(serde_json::json!({"kty": "EC", "crv": "P-192", "x": x, "y": x})), ErrorCode::InvalidPublicKeyType),
            (jwk(serde_json::json!({"kty": "EC", "crv": "P-384", "x": x, "y": x})), ErrorCode::InvalidPublicKeyLength),
            (jwk(serde_json::json!({"kty": "XYZ"})), ErrorCode::InvalidPublicKeyType),
            (jwk(serde_json::json!({"crv": "Ed25519", "x": x})), ErrorCode::InvalidPublicKey),
        ];
        for (jwk, expected) in cases {
            assert_eq!(code(PublicKey::from_jwk(&jwk)), Some(expected), "{jwk:?}");
        }
        let ed25519 = PublicKey::from_jwk(&jwk(serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x})));
        assert_eq!(ed25519.map(|key| key.key_type()), Ok(KeyType::Ed25519));
    }

    /// Keys of a family left out of the build are recognised and refused precisely, from did:key and from JWK.
    #[cfg(not(all(feature = "bls", feature = "rsa", feature = "secp256k1")))]
    mod disabled_families {
        use super::*;
        use crate::key;

        /// The first did:key of the given multicodec name among the valid vectors, decoded, and its expected JWK
        /// read, when the vector has one.
        fn decode_vector(codec_name: &str) -> Vec<Result<PublicKey, ResolutionError>> {
            let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/didkey-valid.json"));
            let vectors: Vec<Value> = serde_json::from_str(text).expect("vectors are JSON");
            let case = vectors.into_iter().find(|case| case["codecName"] == codec_name).expect("a vector");
            let did = case["did"].as_str().expect("did");
            let decoded = key::decode(did.strip_prefix("did:key:").expect("a did:key"));
            let jwk = case["expectedPublicKeyJwk"].as_object().map(PublicKey::from_jwk);
            [Some(decoded), jwk].into_iter().flatten().collect()
        }

        fn from_jwk(jwk: Value) -> Result<PublicKey, ResolutionError> {
            PublicKey::from_jwk(jwk.as_object().expect("a JSON object"))
        }

        /// Asserts that every result is a featureNotSupported refusal naming the key type and the feature.
        fn assert_refused(results: Vec<Result<PublicKey, ResolutionError>>, codec_name: &str, feature: &str) {
            assert!(!results.is_empty());
            for result in results {
                let error = result.expect_err("a key of a disabled family is refused");
                assert_eq!(error.code, ErrorCode::FeatureNotSupported, "{error}");
                assert_eq!(error.code.legacy(), "featureNotSupported");
                assert!(error.detail.contains(codec_name), "{error}");
                assert!(error.detail.contains(&format!("the `{feature}` feature")), "{error}");
            }
        }

        #[cfg(not(feature = "bls"))]
        #[test]
        fn bls_keys_are_refused_as_feature_not_supported() {
            for codec_name in ["bls12_381-g1-pub", "bls12_381-g2-pub", "bls12_381-g1g2-pub"] {
                assert_refused(decode_vector(codec_name), codec_name, "bls");
            }
            let jwk = from_jwk(serde_json::json!({"kty": "OKP", "crv": "Bls12381G2", "x": "AA"}));
            assert_refused(vec![jwk], "bls12_381-g2-pub", "bls");
        }

        #[cfg(not(feature = "rsa"))]
        #[test]
        fn rsa_keys_are_refused_as_feature_not_supported() {
            let mut results = decode_vector("rsa-pub");
            results.push(from_jwk(serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"})));
            assert_refused(results, "rsa-pub", "rsa");
        }

        #[cfg(not(feature = "secp256k1"))]
        #[test]
        fn secp256k1_keys_are_refused_as_feature_not_supported() {
            let results = decode_vector("secp256k1-pub");
            assert_eq!(results.len(), 2, "the vector's did:key and its JWK");
            assert_refused(results, "secp256k1-pub", "secp256k1");
        }
    }
}
