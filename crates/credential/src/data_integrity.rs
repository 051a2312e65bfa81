//! Data Integrity proofs: `DataIntegrityProof` with the cryptosuites `eddsa-rdfc-2022` and `eddsa-jcs-2022`
//! (Ed25519, SHA-256), `ecdsa-rdfc-2019` and `ecdsa-jcs-2019` (P-256 with SHA-256, P-384 with SHA-384), and the
//! legacy proof type `Ed25519Signature2020` (Ed25519, SHA-256, RDF canonicalization, no `cryptosuite`).
//!
//! The proof options are the proof without `proofValue`, the document is the secured document (a credential, a
//! presentation, any JSON-LD object) without `proof`; a proof naming its own `@context` needs the document's to start
//! with it, and the document then takes the proof's. The JCS suites canonicalize both with RFC 8785; the RDF suites
//! give the options the document's `@context` and canonicalize both with JSON-LD to RDF and RDFC-1.0 ([`crate::rdf`]). The signature covers
//! hash(options) ‖ hash(document); ECDSA signatures are `r‖s` over that concatenation as the message. Every JSON-LD
//! context the document names, at any depth and for every suite, must be in the caller's [`ContextSet`].
//!
//! The caller resolves the proof's `verificationMethod` and passes its public key ([`decode_multikey`] reads a
//! Multikey value); whether that method belongs to the issuer, and whether `challenge`/`domain` are the expected
//! ones, are the caller's questions too. No selective disclosure, no `previousProof` chains, no I/O here.

use p256::ecdsa::signature::Verifier as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384};
use trustnode_did::public_key::{KeyType, PublicKey};

use crate::contexts::ContextSet;
use crate::error::CredentialError;
use crate::model::{one_or_many, parse_date};
use crate::rdf::canonical_nquads;

/// A cryptosuite this crate verifies: the four of `DataIntegrityProof`, and the legacy proof type
/// `Ed25519Signature2020`, which names its suite by its `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cryptosuite {
    /// `eddsa-rdfc-2022`: Ed25519 over SHA-256 hashes of RDFC-1.0 canonical N-Quads.
    EddsaRdfc2022,
    /// `eddsa-jcs-2022`: Ed25519 over SHA-256 hashes of RFC 8785 canonical JSON.
    EddsaJcs2022,
    /// `ecdsa-rdfc-2019`: ECDSA over P-256 (SHA-256) or P-384 (SHA-384) hashes of RDFC-1.0 canonical N-Quads.
    EcdsaRdfc2019,
    /// `ecdsa-jcs-2019`: ECDSA over P-256 (SHA-256) or P-384 (SHA-384) hashes of RFC 8785 canonical JSON.
    EcdsaJcs2019,
    /// The proof type `Ed25519Signature2020` (no `cryptosuite`): Ed25519 over SHA-256 hashes of RDFC-1.0 canonical
    /// N-Quads, as `eddsa-rdfc-2022`; its keys are `Ed25519VerificationKey2020` (`publicKeyMultibase` `z6Mk…`).
    Ed25519Signature2020,
}

/// How a suite turns the options and the document into bytes to hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transformation {
    /// RFC 8785 JSON canonicalization.
    Jcs,
    /// JSON-LD to RDF, then RDFC-1.0.
    Rdfc,
}

/// The hash of a proof: SHA-384 with P-384 keys, SHA-256 with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
}

impl Cryptosuite {
    /// The `cryptosuite` value naming it; for the legacy `Ed25519Signature2020`, its proof `type`.
    pub fn name(self) -> &'static str {
        match self {
            Cryptosuite::EddsaRdfc2022 => "eddsa-rdfc-2022",
            Cryptosuite::EddsaJcs2022 => "eddsa-jcs-2022",
            Cryptosuite::EcdsaRdfc2019 => "ecdsa-rdfc-2019",
            Cryptosuite::EcdsaJcs2019 => "ecdsa-jcs-2019",
            Cryptosuite::Ed25519Signature2020 => "Ed25519Signature2020",
        }
    }

    /// The cryptosuite a `DataIntegrityProof` names.
    fn from_name(name: &str) -> Option<Cryptosuite> {
        [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022, Cryptosuite::EcdsaRdfc2019, Cryptosuite::EcdsaJcs2019]
            .into_iter()
            .find(|suite| suite.name() == name)
    }

    /// Whether the suite signs with keys of this type.
    fn uses(self, key_type: KeyType) -> bool {
        match self {
            Cryptosuite::EddsaRdfc2022 | Cryptosuite::EddsaJcs2022 | Cryptosuite::Ed25519Signature2020 => {
                key_type == KeyType::Ed25519
            }
            Cryptosuite::EcdsaRdfc2019 | Cryptosuite::EcdsaJcs2019 => matches!(key_type, KeyType::P256 | KeyType::P384),
        }
    }

    fn transformation(self) -> Transformation {
        match self {
            Cryptosuite::EddsaJcs2022 | Cryptosuite::EcdsaJcs2019 => Transformation::Jcs,
            Cryptosuite::EddsaRdfc2022 | Cryptosuite::EcdsaRdfc2019 | Cryptosuite::Ed25519Signature2020 => {
                Transformation::Rdfc
            }
        }
    }
}

/// A proof of a supported type and cryptosuite, read from a document's `proof`: a `DataIntegrityProof` or a legacy
/// `Ed25519Signature2020`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataIntegrityProof {
    /// The proof without `proofValue`: what the proof-options hash covers.
    options: Map<String, Value>,
    cryptosuite: Cryptosuite,
    verification_method: String,
    proof_purpose: String,
    signature: Vec<u8>,
}

impl DataIntegrityProof {
    /// Reads a proof object. Refuses other proof types and cryptosuites, missing members and a `proofValue` that is
    /// not base58btc.
    pub fn parse(proof: &Map<String, Value>) -> Result<DataIntegrityProof, CredentialError> {
        let cryptosuite = match string_member(proof, "type")? {
            "DataIntegrityProof" => {
                let suite_name = string_member(proof, "cryptosuite")?;
                Cryptosuite::from_name(suite_name)
                    .ok_or_else(|| CredentialError::UnsupportedCryptosuite(suite_name.to_owned()))?
            }
            // A `cryptosuite` member on it would be hashed with the other options, so it needs no check here.
            "Ed25519Signature2020" => Cryptosuite::Ed25519Signature2020,
            other => return Err(CredentialError::UnsupportedProofType(other.to_owned())),
        };
        let verification_method = string_member(proof, "verificationMethod")?.to_owned();
        let proof_purpose = string_member(proof, "proofPurpose")?.to_owned();
        if let Some(created) = proof.get("created") {
            parse_date(created, "proof.created")?;
        }
        let proof_value = string_member(proof, "proofValue")?;
        let base58 = proof_value
            .strip_prefix('z')
            .ok_or_else(|| CredentialError::InvalidProofValue("it does not start with `z`".to_owned()))?;
        let signature = multibase::Base::Base58Btc
            .decode(base58)
            .map_err(|error| CredentialError::InvalidProofValue(error.to_string()))?;
        let mut options = proof.clone();
        options.remove("proofValue");
        Ok(DataIntegrityProof { options, cryptosuite, verification_method, proof_purpose, signature })
    }

    /// The proof's cryptosuite.
    pub fn cryptosuite(&self) -> Cryptosuite {
        self.cryptosuite
    }

    /// The `verificationMethod` whose key the caller must resolve.
    pub fn verification_method(&self) -> &str {
        &self.verification_method
    }

    /// The `proofPurpose` the proof states.
    pub fn proof_purpose(&self) -> &str {
        &self.proof_purpose
    }

    /// The proof's `challenge`, which a presentation's verifier compares with the one it issued.
    pub fn challenge(&self) -> Option<&str> {
        self.options.get("challenge").and_then(Value::as_str)
    }

    /// The proof's `domain` values (a string or an array of strings), which a presentation's verifier compares
    /// with its own.
    pub fn domains(&self) -> Vec<&str> {
        self.options.get("domain").map(one_or_many).unwrap_or_default().iter().filter_map(Value::as_str).collect()
    }

    /// Verifies the proof over `document`, the secured document that holds it (a credential, a presentation, any
    /// JSON-LD object; `proof` members are left out of what is hashed), with the verification method's `key`, for
    /// the `expected_purpose` (`assertionMethod` for a credential, `authentication` for a presentation). Every
    /// JSON-LD context the document names must be in `contexts`, whatever the suite.
    pub fn verify(
        &self,
        document: &Map<String, Value>,
        key: &PublicKey,
        expected_purpose: &str,
        contexts: &ContextSet,
    ) -> Result<(), CredentialError> {
        if self.proof_purpose != expected_purpose {
            return Err(CredentialError::WrongProofPurpose {
                expected: expected_purpose.to_owned(),
                found: self.proof_purpose.clone(),
            });
        }
        let key_type = key.key_type();
        if !self.cryptosuite.uses(key_type) {
            return Err(CredentialError::KeyNotForCryptosuite {
                cryptosuite: self.cryptosuite.name(),
                key_type: key_type.name(),
            });
        }
        let expected = if key_type == KeyType::P384 { 96 } else { 64 };
        if self.signature.len() != expected {
            return Err(CredentialError::SignatureLength { expected, found: self.signature.len() });
        }
        contexts.check(document)?;
        let hash = if key_type == KeyType::P384 { Hash::Sha384 } else { Hash::Sha256 };
        let (options, document) = self.canonical_parts(document, contexts, hash)?;
        let hash_data = match hash {
            Hash::Sha256 => hash_data::<Sha256>(&options, &document),
            Hash::Sha384 => hash_data::<Sha384>(&options, &document),
        };
        signature_holds(key, &hash_data, &self.signature).then_some(()).ok_or(CredentialError::SignatureMismatch)
    }

    /// The canonical proof options and the canonical document, in the order they are hashed.
    fn canonical_parts(
        &self,
        secured: &Map<String, Value>,
        contexts: &ContextSet,
        hash: Hash,
    ) -> Result<(Vec<u8>, Vec<u8>), CredentialError> {
        let mut document = secured.clone();
        document.remove("proof");
        // Data Integrity's proof verification, for every suite: a proof naming its `@context` needs the document's
        // to start with it, and the document is then processed with the proof's.
        if let Some(proof_context) = self.options.get("@context") {
            let expected = one_or_many(proof_context);
            let actual = document.get("@context").map(one_or_many).unwrap_or_default();
            if !actual.starts_with(expected) {
                return Err(CredentialError::ContextMismatch);
            }
            document.insert("@context".to_owned(), proof_context.clone());
        }
        match (self.cryptosuite.transformation(), hash) {
            (Transformation::Jcs, _) => self.jcs_parts(document),
            (Transformation::Rdfc, Hash::Sha256) => self.rdfc_parts::<Sha256>(document, contexts),
            (Transformation::Rdfc, Hash::Sha384) => self.rdfc_parts::<Sha384>(document, contexts),
        }
    }

    /// The RDF suites: the options take the document's `@context`, and both are RDFC-1.0 canonicalized with `D`
    /// (the proof's hash: the canonicalization's hash matches the curve's security level).
    fn rdfc_parts<D: Digest>(
        &self,
        document: Map<String, Value>,
        contexts: &ContextSet,
    ) -> Result<(Vec<u8>, Vec<u8>), CredentialError> {
        let mut options = self.options.clone();
        match document.get("@context") {
            Some(context) => options.insert("@context".to_owned(), context.clone()),
            None => options.remove("@context"),
        };
        let options = canonical_nquads::<D>(&options, contexts)?;
        let document = canonical_nquads::<D>(&document, contexts)?;
        Ok((options.into_bytes(), document.into_bytes()))
    }

    /// The JCS suites: both as they are, RFC 8785 canonical.
    fn jcs_parts(&self, document: Map<String, Value>) -> Result<(Vec<u8>, Vec<u8>), CredentialError> {
        let options = trustnode_jcs::canonicalize(&Value::Object(self.options.clone()))?;
        let document = trustnode_jcs::canonicalize(&Value::Object(document))?;
        Ok((options, document))
    }
}

/// Decodes a Multikey `publicKeyMultibase` value (`z` + base58btc multicodec key), keeping only the key types the
/// supported cryptosuites use: Ed25519 (0xed01), P-256 (0x1200) and P-384 (0x1201).
pub fn decode_multikey(public_key_multibase: &str) -> Result<PublicKey, CredentialError> {
    // did:key's decoder also takes a `<version>:` prefix, which a Multikey value never has.
    if !public_key_multibase.starts_with('z') || public_key_multibase.contains(':') {
        return Err(CredentialError::InvalidMultikey("publicKeyMultibase must be base58btc (`z…`)".to_owned()));
    }
    let key = trustnode_did::key::decode(public_key_multibase)
        .map_err(|error| CredentialError::InvalidMultikey(error.detail))?;
    match key.key_type() {
        KeyType::Ed25519 | KeyType::P256 | KeyType::P384 => Ok(key),
        other => Err(CredentialError::UnsupportedKeyType(other.name())),
    }
}

fn string_member<'a>(proof: &'a Map<String, Value>, member: &'static str) -> Result<&'a str, CredentialError> {
    proof
        .get(member)
        .ok_or(CredentialError::MissingProofMember(member))?
        .as_str()
        .ok_or(CredentialError::ProofMemberNotString(member))
}

/// hash(options) ‖ hash(document).
fn hash_data<D: Digest>(options: &[u8], document: &[u8]) -> Vec<u8> {
    [D::digest(options), D::digest(document)].concat()
}

/// Whether `signature` is `key`'s signature of `message`: Ed25519 (strict), or ECDSA `r‖s` over P-256 with SHA-256
/// or P-384 with SHA-384 of the message. Any other key type never verifies; callers check the type first to name it.
pub(crate) fn signature_holds(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    match key {
        PublicKey::Ed25519(key) => key.verify(message, signature),
        PublicKey::P256(point) => p256::ecdsa::Signature::from_slice(signature)
            .is_ok_and(|signature| p256::ecdsa::VerifyingKey::from(point).verify(message, &signature).is_ok()),
        PublicKey::P384(point) => p384::ecdsa::Signature::from_slice(signature)
            .is_ok_and(|signature| p384::ecdsa::VerifyingKey::from(point).verify(message, &signature).is_ok()),
        _ => false,
    }
}

#[cfg(test)]
mod w3c_vectors;

#[cfg(test)]
mod dcc_vectors;
