//! did:key: decoding `did:key:[<version>:]z<base58btc multicodec key>` into a validated [`PublicKey`] and
//! expanding it into its DID document, following the CCG did:key method (v0.7/v0.9 algorithms).
//!
//! Pure: strings in, a `serde_json::Value` document or a [`ResolutionError`] out. DID Core syntax checks, DID URL
//! dereferencing and HTTP belong to the caller.
//!
//! Decisions where the specification leaves room:
//! - Version: optional, ASCII digits denoting a positive integer (`1`, `2`, `01` are accepted; `0`, `-4`, `+1`,
//!   empty are `invalidDid`). Any positive version expands the same way.
//! - The multibase value must start with `z` and use only the base58btc alphabet, else `invalidDid`; a value
//!   longer than the largest supported key could encode is `invalidPublicKeyLength` without being decoded. Key
//!   validation and codec errors are those of [`PublicKey::from_multicodec`] (unknown codec →
//!   `invalidPublicKeyType`).
//! - Verification method ids are `<did>#<multibase value>`. Signature keys are referenced from `authentication`,
//!   `assertionMethod`, `capabilityInvocation` and `capabilityDelegation`; an X25519 key only from `keyAgreement`;
//!   a BLS12-381 G1+G2 key becomes two methods (G1, then G2), each with its own multibase. With
//!   `enableEncryptionKeyDerivation` an Ed25519 key adds its derived X25519 method, referenced from `keyAgreement`.
//! - Formats: the spec allows `Multikey`, `JsonWebKey2020` and `Ed25519VerificationKey2020` (signature) /
//!   `X25519KeyAgreementKey2020` (key agreement) without `enableExperimentalPublicKeyTypes`; `JsonWebKey`,
//!   `Ed25519VerificationKey2018` and `X25519KeyAgreementKey2019` are known but experimental. The derived X25519
//!   method takes the key-agreement counterpart of the requested format (Ed25519VerificationKey2020 →
//!   X25519KeyAgreementKey2020, 2018 → 2019, the others unchanged). A format that cannot express the key (e.g.
//!   `Ed25519VerificationKey2020` for a P-256 key, `X25519KeyAgreementKey2020` for an Ed25519 key) is
//!   `invalidPublicKeyType`. JWK formats express every key; BLS12-381 keys use the `OKP` convention described in
//!   [`super::public_key`].

use std::str::FromStr;

use serde_json::{Map, Value};

use super::error::ResolutionError;
use super::error::{invalid_did, invalid_public_key_length, invalid_public_key_type, unsupported_public_key_type};
use super::public_key::{KeyType, PublicKey, MAX_RSA_DER_LEN};

/// The DID Core context, always first in `@context`.
pub(crate) const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";

/// How a verification method expresses its key (`options.publicKeyFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicKeyFormat {
    /// `Multikey` with `publicKeyMultibase` (the default).
    Multikey,
    /// `JsonWebKey` (Controlled Identifiers) with `publicKeyJwk`; experimental for did:key.
    JsonWebKey,
    /// `JsonWebKey2020` with `publicKeyJwk`.
    JsonWebKey2020,
    /// `Ed25519VerificationKey2020` with `publicKeyMultibase`; Ed25519 keys only.
    Ed25519VerificationKey2020,
    /// `X25519KeyAgreementKey2020` with `publicKeyMultibase`; X25519 keys only.
    X25519KeyAgreementKey2020,
    /// `Ed25519VerificationKey2018` with `publicKeyBase58` (raw key); experimental, Ed25519 keys only.
    Ed25519VerificationKey2018,
    /// `X25519KeyAgreementKey2019` with `publicKeyBase58` (raw key); experimental, X25519 keys only.
    X25519KeyAgreementKey2019,
}

impl PublicKeyFormat {
    /// Every known format.
    pub const ALL: [PublicKeyFormat; 7] = [
        PublicKeyFormat::Multikey,
        PublicKeyFormat::JsonWebKey,
        PublicKeyFormat::JsonWebKey2020,
        PublicKeyFormat::Ed25519VerificationKey2020,
        PublicKeyFormat::X25519KeyAgreementKey2020,
        PublicKeyFormat::Ed25519VerificationKey2018,
        PublicKeyFormat::X25519KeyAgreementKey2019,
    ];

    /// The verification method `type` this format produces.
    pub fn name(self) -> &'static str {
        match self {
            PublicKeyFormat::Multikey => "Multikey",
            PublicKeyFormat::JsonWebKey => "JsonWebKey",
            PublicKeyFormat::JsonWebKey2020 => "JsonWebKey2020",
            PublicKeyFormat::Ed25519VerificationKey2020 => "Ed25519VerificationKey2020",
            PublicKeyFormat::X25519KeyAgreementKey2020 => "X25519KeyAgreementKey2020",
            PublicKeyFormat::Ed25519VerificationKey2018 => "Ed25519VerificationKey2018",
            PublicKeyFormat::X25519KeyAgreementKey2019 => "X25519KeyAgreementKey2019",
        }
    }

    /// True for the formats the did:key spec only allows with `enableExperimentalPublicKeyTypes`.
    pub(crate) fn is_experimental(self) -> bool {
        matches!(
            self,
            PublicKeyFormat::JsonWebKey
                | PublicKeyFormat::Ed25519VerificationKey2018
                | PublicKeyFormat::X25519KeyAgreementKey2019
        )
    }

    /// The JSON-LD context that defines the format's type.
    pub fn context(self) -> &'static str {
        match self {
            PublicKeyFormat::Multikey => "https://w3id.org/security/multikey/v1",
            PublicKeyFormat::JsonWebKey => "https://w3id.org/security/jwk/v1",
            PublicKeyFormat::JsonWebKey2020 => "https://w3id.org/security/suites/jws-2020/v1",
            PublicKeyFormat::Ed25519VerificationKey2020 => "https://w3id.org/security/suites/ed25519-2020/v1",
            PublicKeyFormat::X25519KeyAgreementKey2020 => "https://w3id.org/security/suites/x25519-2020/v1",
            PublicKeyFormat::Ed25519VerificationKey2018 => "https://w3id.org/security/suites/ed25519-2018/v1",
            PublicKeyFormat::X25519KeyAgreementKey2019 => "https://w3id.org/security/suites/x25519-2019/v1",
        }
    }

    /// The format of the X25519 key derived from an Ed25519 key expressed in this format.
    fn key_agreement_counterpart(self) -> PublicKeyFormat {
        match self {
            PublicKeyFormat::Ed25519VerificationKey2020 => PublicKeyFormat::X25519KeyAgreementKey2020,
            PublicKeyFormat::Ed25519VerificationKey2018 => PublicKeyFormat::X25519KeyAgreementKey2019,
            other => other,
        }
    }

    /// Whether this format can express a single key of the given type.
    fn can_express(self, key_type: KeyType) -> bool {
        match self {
            PublicKeyFormat::Multikey | PublicKeyFormat::JsonWebKey | PublicKeyFormat::JsonWebKey2020 => true,
            PublicKeyFormat::Ed25519VerificationKey2020 | PublicKeyFormat::Ed25519VerificationKey2018 => {
                key_type == KeyType::Ed25519
            }
            PublicKeyFormat::X25519KeyAgreementKey2020 | PublicKeyFormat::X25519KeyAgreementKey2019 => {
                key_type == KeyType::X25519
            }
        }
    }
}

impl FromStr for PublicKeyFormat {
    type Err = ResolutionError;

    /// The format of a `publicKeyFormat` option value (exact, case-sensitive); unknown values are
    /// `unsupportedPublicKeyType`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        PublicKeyFormat::ALL
            .into_iter()
            .find(|format| format.name() == value)
            .ok_or_else(|| unsupported_public_key_type(format!("publicKeyFormat \"{value}\" is not supported")))
    }
}

/// The did:key resolution options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyOptions {
    /// How verification methods express their keys.
    pub public_key_format: PublicKeyFormat,
    /// Whether an Ed25519 key also yields its derived X25519 key-agreement method.
    pub enable_encryption_key_derivation: bool,
    /// Whether the experimental formats are allowed.
    pub enable_experimental_public_key_types: bool,
}

impl Default for KeyOptions {
    /// `Multikey`, derivation on (what the CCG test suite expects), experimental formats off.
    fn default() -> Self {
        KeyOptions {
            public_key_format: PublicKeyFormat::Multikey,
            enable_encryption_key_derivation: true,
            enable_experimental_public_key_types: false,
        }
    }
}

/// The longest multibase value that can hold a supported key: `z` plus base58 of the 2-byte header and the largest
/// RSA key (base58 needs log(256)/log(58) < 1.366 characters per byte).
const MAX_MULTIBASE_CHARS: usize = 1 + ((2 + MAX_RSA_DER_LEN) * 1366).div_ceil(1000);

/// Whether `c` is a base58btc digit: the alphanumerics without `0`, `O`, `I` and `l`. A range check, not a search
/// of the alphabet: it runs for every character of every did:key.
fn is_base58_digit(c: char) -> bool {
    matches!(c, '1'..='9' | 'A'..='H' | 'J'..='N' | 'P'..='Z' | 'a'..='k' | 'm'..='z')
}

/// Decodes the method-specific id (`[<version>:]z…`, the part after `did:key:`) into a validated key.
pub fn decode(method_specific_id: &str) -> Result<PublicKey, ResolutionError> {
    decode_with_multibase(method_specific_id).map(|(key, _)| key)
}

/// The key and the multibase value it was decoded from.
fn decode_with_multibase(method_specific_id: &str) -> Result<(PublicKey, &str), ResolutionError> {
    let multibase = strip_version(method_specific_id)?;
    let base58 = multibase
        .strip_prefix('z')
        .ok_or_else(|| invalid_did("did:key multibase value must start with 'z' (base58btc)"))?;
    if let Some(bad) = base58.chars().find(|c| !is_base58_digit(*c)) {
        return Err(invalid_did(format!("did:key multibase value contains '{bad}', which is not base58btc")));
    }
    if multibase.len() > MAX_MULTIBASE_CHARS {
        return Err(invalid_public_key_length(format!(
            "did:key multibase value of {} characters is longer than any supported key",
            multibase.len()
        )));
    }
    let bytes = multibase::Base::Base58Btc
        .decode(base58)
        .map_err(|error| invalid_did(format!("did:key multibase value is not base58btc: {error}")))?;
    Ok((PublicKey::from_multicodec(&bytes)?, multibase))
}

/// The multibase value after an optional `<version>:` segment, which must be a positive integer.
fn strip_version(method_specific_id: &str) -> Result<&str, ResolutionError> {
    let Some((version, multibase)) = method_specific_id.split_once(':') else {
        return Ok(method_specific_id);
    };
    let is_positive_integer =
        !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) && version.bytes().any(|b| b != b'0');
    if !is_positive_integer {
        return Err(invalid_did(format!("did:key version \"{version}\" is not a positive integer")));
    }
    Ok(multibase)
}

/// The did:key DID of a key: `did:key:z…`.
pub fn did_for(key: &PublicKey) -> String {
    format!("did:key:{}", key.to_multibase())
}

/// Resolves a did:key into its DID document. `did` is the DID as given (already DID Core valid),
/// `method_specific_id` the part after `did:key:`.
pub fn resolve(did: &str, method_specific_id: &str, options: &KeyOptions) -> Result<Value, ResolutionError> {
    let (key, multibase) = decode_with_multibase(method_specific_id)?;
    let format = options.public_key_format;
    let mut document = DocumentBuilder::new(did, options.enable_experimental_public_key_types);
    match &key {
        #[cfg(feature = "bls")]
        PublicKey::Bls12381G1G2(..) => {
            for part in key.components() {
                document.add_method(&part, &part.to_multibase(), format, Relationship::Signature)?;
            }
        }
        PublicKey::X25519(_) => document.add_method(&key, multibase, format, Relationship::KeyAgreement)?,
        _ => document.add_method(&key, multibase, format, Relationship::Signature)?,
    }
    if options.enable_encryption_key_derivation {
        if let Some(derived) = key.to_x25519() {
            let derived_format = format.key_agreement_counterpart();
            document.add_method(&derived, &derived.to_multibase(), derived_format, Relationship::KeyAgreement)?;
        }
    }
    Ok(document.finish())
}

/// Which verification relationships reference a method.
#[derive(Clone, Copy)]
enum Relationship {
    /// `authentication`, `assertionMethod`, `capabilityInvocation`, `capabilityDelegation`.
    Signature,
    /// `keyAgreement`.
    KeyAgreement,
}

/// Collects methods, their references and the contexts their types need, in document order.
struct DocumentBuilder<'a> {
    did: &'a str,
    allow_experimental: bool,
    contexts: Vec<&'static str>,
    methods: Vec<Value>,
    signature_ids: Vec<Value>,
    key_agreement_ids: Vec<Value>,
}

impl<'a> DocumentBuilder<'a> {
    fn new(did: &'a str, allow_experimental: bool) -> Self {
        DocumentBuilder {
            did,
            allow_experimental,
            contexts: vec![DID_CONTEXT],
            methods: Vec::with_capacity(2),
            signature_ids: Vec::with_capacity(2),
            key_agreement_ids: Vec::with_capacity(1),
        }
    }

    fn add_method(
        &mut self,
        key: &PublicKey,
        multibase: &str,
        format: PublicKeyFormat,
        relationship: Relationship,
    ) -> Result<(), ResolutionError> {
        if format.is_experimental() && !self.allow_experimental {
            return Err(invalid_public_key_type(format!(
                "publicKeyFormat {} is experimental and enableExperimentalPublicKeyTypes is false",
                format.name()
            )));
        }
        let key_type = key.key_type();
        if !format.can_express(key_type) {
            return Err(invalid_public_key_type(format!(
                "publicKeyFormat {} cannot express a {} key",
                format.name(),
                key_type.name()
            )));
        }
        let (member, material) = match format {
            PublicKeyFormat::Multikey
            | PublicKeyFormat::Ed25519VerificationKey2020
            | PublicKeyFormat::X25519KeyAgreementKey2020 => ("publicKeyMultibase", Value::from(multibase)),
            PublicKeyFormat::JsonWebKey | PublicKeyFormat::JsonWebKey2020 => {
                let jwk = key
                    .to_jwk()
                    .ok_or_else(|| invalid_public_key_type(format!("a {} key has no single JWK", key_type.name())))?;
                ("publicKeyJwk", Value::Object(jwk))
            }
            PublicKeyFormat::Ed25519VerificationKey2018 | PublicKeyFormat::X25519KeyAgreementKey2019 => {
                ("publicKeyBase58", Value::from(multibase::Base::Base58Btc.encode(key.raw_bytes())))
            }
        };
        let id = format!("{}#{}", self.did, multibase);
        let mut method = Map::with_capacity(4);
        method.insert("id".to_owned(), Value::from(id.as_str()));
        method.insert("type".to_owned(), Value::from(format.name()));
        method.insert("controller".to_owned(), Value::from(self.did));
        method.insert(member.to_owned(), material);
        self.methods.push(Value::Object(method));
        match relationship {
            Relationship::Signature => self.signature_ids.push(Value::String(id)),
            Relationship::KeyAgreement => self.key_agreement_ids.push(Value::String(id)),
        }
        if !self.contexts.contains(&format.context()) {
            self.contexts.push(format.context());
        }
        Ok(())
    }

    fn finish(self) -> Value {
        let mut document = Map::with_capacity(8);
        document.insert("@context".to_owned(), self.contexts.into_iter().map(Value::from).collect());
        document.insert("id".to_owned(), Value::from(self.did));
        document.insert("verificationMethod".to_owned(), Value::Array(self.methods));
        if !self.signature_ids.is_empty() {
            for name in ["authentication", "assertionMethod", "capabilityInvocation"] {
                document.insert(name.to_owned(), Value::Array(self.signature_ids.clone()));
            }
            document.insert("capabilityDelegation".to_owned(), Value::Array(self.signature_ids));
        }
        if !self.key_agreement_ids.is_empty() {
            document.insert("keyAgreement".to_owned(), Value::Array(self.key_agreement_ids));
        }
        Value::Object(document)
    }
}
