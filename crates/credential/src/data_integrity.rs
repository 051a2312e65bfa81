//! Data Integrity proofs of the JCS cryptosuites: `eddsa-jcs-2022` (Ed25519, SHA-256) and `ecdsa-jcs-2019`
//! (P-256 with SHA-256, P-384 with SHA-384). The proof options are the proof without `proofValue`, the document is
//! the credential without `proof`; both are RFC 8785 canonicalized and hashed, and the signature covers
//! hash(options) ‖ hash(document). ECDSA signatures are `r‖s` over that concatenation as the message.
//!
//! The caller resolves the proof's `verificationMethod` and passes its public key ([`decode_multikey`] reads a
//! Multikey value); whether that method belongs to the issuer is the caller's question too. No RDF canonicalization
//! (the `-rdfc-` suites), no selective disclosure, no `previousProof` chains, no I/O here.

use p256::ecdsa::signature::Verifier as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384};
use trustnode_did::public_key::{KeyType, PublicKey};

use crate::error::CredentialError;
use crate::model::{one_or_many, parse_date, Credential};

/// A cryptosuite this crate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cryptosuite {
    /// `eddsa-jcs-2022`: Ed25519 over SHA-256 hashes.
    EddsaJcs2022,
    /// `ecdsa-jcs-2019`: ECDSA over P-256 (SHA-256) or P-384 (SHA-384).
    EcdsaJcs2019,
}

impl Cryptosuite {
    /// The `cryptosuite` value naming it.
    pub fn name(self) -> &'static str {
        match self {
            Cryptosuite::EddsaJcs2022 => "eddsa-jcs-2022",
            Cryptosuite::EcdsaJcs2019 => "ecdsa-jcs-2019",
        }
    }

    fn from_name(name: &str) -> Option<Cryptosuite> {
        [Cryptosuite::EddsaJcs2022, Cryptosuite::EcdsaJcs2019].into_iter().find(|suite| suite.name() == name)
    }

    /// Whether the suite signs with keys of this type.
    fn uses(self, key_type: KeyType) -> bool {
        match self {
            Cryptosuite::EddsaJcs2022 => key_type == KeyType::Ed25519,
            Cryptosuite::EcdsaJcs2019 => matches!(key_type, KeyType::P256 | KeyType::P384),
        }
    }
}

/// A `DataIntegrityProof` of a supported cryptosuite, read from a credential's `proof`.
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
        let proof_type = string_member(proof, "type")?;
        if proof_type != "DataIntegrityProof" {
            return Err(CredentialError::UnsupportedProofType(proof_type.to_owned()));
        }
        let suite_name = string_member(proof, "cryptosuite")?;
        let cryptosuite = Cryptosuite::from_name(suite_name)
            .ok_or_else(|| CredentialError::UnsupportedCryptosuite(suite_name.to_owned()))?;
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

    /// Verifies the proof over `credential` with the verification method's `key`, for the `expected_purpose`
    /// (`assertionMethod` for a credential).
    pub fn verify(
        &self,
        credential: &Credential,
        key: &PublicKey,
        expected_purpose: &str,
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
        let (options, document) = self.canonical_parts(credential)?;
        let verified = match key {
            PublicKey::Ed25519(_) => {
                let hash_data = hash_data::<Sha256>(&options, &document);
                ed25519_verify(&key.raw_bytes(), &hash_data, &self.signature)
            }
            PublicKey::P256(point) => {
                let hash_data = hash_data::<Sha256>(&options, &document);
                p256::ecdsa::Signature::from_slice(&self.signature).is_ok_and(|signature| {
                    p256::ecdsa::VerifyingKey::from(point).verify(&hash_data, &signature).is_ok()
                })
            }
            PublicKey::P384(point) => {
                let hash_data = hash_data::<Sha384>(&options, &document);
                p384::ecdsa::Signature::from_slice(&self.signature).is_ok_and(|signature| {
                    p384::ecdsa::VerifyingKey::from(point).verify(&hash_data, &signature).is_ok()
                })
            }
            // `uses` admitted only the three types above.
            _ => false,
        };
        verified.then_some(()).ok_or(CredentialError::SignatureMismatch)
    }

    /// The canonical proof options and the canonical document, in the order they are hashed. When the proof names
    /// its `@context`, the credential's must start with it, and the document is hashed with the proof's.
    fn canonical_parts(&self, credential: &Credential) -> Result<(Vec<u8>, Vec<u8>), CredentialError> {
        let mut document = credential.document().clone();
        document.remove("proof");
        if let Some(proof_context) = self.options.get("@context") {
            let expected = one_or_many(proof_context);
            let actual = document.get("@context").map(one_or_many).unwrap_or_default();
            if !actual.starts_with(expected) {
                return Err(CredentialError::ContextMismatch);
            }
            document.insert("@context".to_owned(), proof_context.clone());
        }
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

fn ed25519_verify(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = <[u8; 32]>::try_from(key) else { return false };
    let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else { return false };
    ed25519_dalek::VerifyingKey::from_bytes(&key).is_ok_and(|key| key.verify_strict(message, &signature).is_ok())
}

#[cfg(test)]
mod w3c_vectors;
