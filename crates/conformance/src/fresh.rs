//! Freshly generated cases: a random public key of every did:key type and did:jwk identifiers with a random member
//! order and `use`, so an implementation cannot pass by memorizing the public vectors.
//!
//! Pure apart from drawing randomness from the operating system; no I/O, no HTTP.

use ed25519_dalek::SigningKey;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use pkcs1::der::asn1::UintRef;
use pkcs1::der::Encode;
use rand_core::{OsRng, RngCore};
use serde_json::{Map, Value};

use trustnode_did::error::{invalid_public_key, ResolutionError};
use trustnode_did::public_key::{KeyType, PublicKey};

/// Bits of the random RSA modulus.
const RSA_MODULUS_BITS: usize = 2048;

/// A random, valid public key of `key_type`.
///
/// The RSA "key" is a random odd 2048-bit modulus with e = 65537: a resolver can only check a public key's
/// structure, never whether its modulus is a product of two primes, and generating real primes would need a
/// big-number crate this project does not carry.
pub fn random_key(key_type: KeyType) -> Result<PublicKey, ResolutionError> {
    let raw = match key_type {
        KeyType::Ed25519 => SigningKey::generate(&mut OsRng).verifying_key().to_bytes().to_vec(),
        KeyType::X25519 => curve25519_dalek::MontgomeryPoint::mul_base_clamped(random_bytes()).to_bytes().to_vec(),
        KeyType::Secp256k1 => compressed(&k256::SecretKey::random(&mut OsRng).public_key()),
        KeyType::P256 => compressed(&p256::SecretKey::random(&mut OsRng).public_key()),
        KeyType::P384 => compressed(&p384::SecretKey::random(&mut OsRng).public_key()),
        KeyType::P521 => compressed(&p521::SecretKey::random(&mut OsRng).public_key()),
        KeyType::Bls12381G1 => random_g1().to_vec(),
        KeyType::Bls12381G2 => random_g2().to_vec(),
        KeyType::Bls12381G1G2 => [&random_g1()[..], &random_g2()[..]].concat(),
        KeyType::Rsa => random_rsa_der()?,
    };
    PublicKey::from_raw(key_type, &raw)
}

/// A random did:jwk JWK for `key`: its public members in a random order, with `use` absent, `sig` or `enc` at
/// random. `None` for keys without a single JWK (BLS12-381 G1+G2).
pub(crate) fn shuffled_jwk(key: &PublicKey) -> Option<Map<String, Value>> {
    let mut members: Vec<(String, Value)> = key.to_jwk()?.into_iter().collect();
    match OsRng.next_u32() % 3 {
        0 => members.push(("use".to_owned(), Value::from("sig"))),
        1 => members.push(("use".to_owned(), Value::from("enc"))),
        _ => {}
    }
    // Fisher–Yates; the modulo bias of a u32 over at most six members is irrelevant here.
    for last in (1..members.len()).rev() {
        let pick = OsRng.next_u32() as usize % (last + 1);
        members.swap(last, pick);
    }
    Some(members.into_iter().collect())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

fn compressed<C>(key: &k256::elliptic_curve::PublicKey<C>) -> Vec<u8>
where
    C: k256::elliptic_curve::CurveArithmetic,
    k256::elliptic_curve::AffinePoint<C>: k256::elliptic_curve::sec1::FromEncodedPoint<C> + ToEncodedPoint<C>,
    k256::elliptic_curve::FieldBytesSize<C>: k256::elliptic_curve::sec1::ModulusSize,
{
    key.to_encoded_point(true).as_bytes().to_vec()
}

fn random_scalar() -> bls12_381::Scalar {
    bls12_381::Scalar::from_bytes_wide(&random_bytes::<64>())
}

fn random_g1() -> [u8; 48] {
    bls12_381::G1Affine::from(bls12_381::G1Affine::generator() * random_scalar()).to_compressed()
}

fn random_g2() -> [u8; 96] {
    bls12_381::G2Affine::from(bls12_381::G2Affine::generator() * random_scalar()).to_compressed()
}

fn random_rsa_der() -> Result<Vec<u8>, ResolutionError> {
    let mut modulus = [0u8; RSA_MODULUS_BITS / 8];
    OsRng.fill_bytes(&mut modulus);
    if let Some(first) = modulus.first_mut() {
        *first |= 0x80;
    }
    if let Some(last) = modulus.last_mut() {
        *last |= 1;
    }
    let key = pkcs1::RsaPublicKey { modulus: uint(&modulus)?, public_exponent: uint(&[1, 0, 1])? };
    key.to_der().map_err(|error| invalid_public_key(error.to_string()))
}

fn uint(bytes: &[u8]) -> Result<UintRef<'_>, ResolutionError> {
    UintRef::new(bytes).map_err(|error| invalid_public_key(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_type_yields_a_key_of_that_type_and_keys_differ() {
        for key_type in KeyType::ALL {
            let first = random_key(key_type).unwrap();
            assert_eq!(first.key_type(), key_type);
            assert_ne!(first, random_key(key_type).unwrap(), "{}", key_type.name());
        }
    }

    #[test]
    fn shuffled_jwk_decodes_to_the_same_key() {
        let key = random_key(KeyType::P384).unwrap();
        let jwk = shuffled_jwk(&key).unwrap();
        assert_eq!(PublicKey::from_jwk(&jwk).unwrap(), key);
        assert!(shuffled_jwk(&random_key(KeyType::Bls12381G1G2).unwrap()).is_none());
    }
}
