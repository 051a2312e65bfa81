//! The pure DID core of trustnode: identifier syntax, public-key decoding and validation, DID document building
//! for did:key and did:jwk, and the did:web identifier-to-URL mapping.
//!
//! Nothing in this crate performs I/O or knows about HTTP: every function takes strings and bytes and returns
//! documents or [`error::ResolutionError`]s, so it can be tested, fuzzed and benchmarked in isolation, and an
//! embedder that only needs did:key gets no runtime, TLS, DNS or database in its build.
//!
//! Features: `bls` (BLS12-381 G1/G2 keys, `bls12_381`), `rsa` (RSA keys, `pkcs1`) and `secp256k1` (`k256`) are on by
//! default; an embedder can trim them with `default-features = false`. Ed25519, X25519 and P-256/384/521 are always
//! built. A build without a family still knows its multicodec codes and JWK names and refuses such keys with
//! `featureNotSupported` naming the missing feature (see [`public_key::KeyType::feature`]).
//!
//! ```
//! use trustnode_did::key::{self, KeyOptions};
//!
//! let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
//! let document = key::resolve(did, &did[8..], &KeyOptions::default()).expect("a valid Ed25519 did:key");
//! assert_eq!(document["id"], did);
//!
//! // Bad input is an error that says what was wrong, never a panic.
//! let refused = key::decode("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2d0K").unwrap_err();
//! assert_eq!(refused.code.legacy(), "invalidDid");
//! assert!(refused.detail.contains("'0'"));
//! ```

pub mod curve25519;
pub mod document;
pub mod error;
pub mod jwk;
pub mod key;
pub mod public_key;
pub mod strict_json;
pub mod syntax;
pub mod web;
