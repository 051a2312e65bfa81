//! Credentials for verification tests: an Open Badges 3.0 credential from a did:key issuer, signed with
//! `eddsa-jcs-2022` as the vc-di-eddsa specification describes (checked against its W3C vectors in the credential
//! crate) or as a compact JWS, and the requests of the VC API verification endpoints.

use ed25519_dalek::Signer as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use trustnode_registry::jws::SigningKey;

/// An issuer: its Ed25519 key, its DID and the verification method of the key in the DID's document.
pub struct Issuer {
    /// The signing key.
    pub key: ed25519_dalek::SigningKey,
    /// `did:key:z6Mk…` by default.
    pub did: String,
    method: String,
}

impl Issuer {
    /// A fresh issuer with a did:key.
    pub fn generate() -> Issuer {
        let key = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        let did = SigningKey::Ed25519(key.clone()).did_key().unwrap();
        let method = format!("{did}#{}", did.trim_start_matches("did:key:"));
        Issuer { key, did, method }
    }

    /// An issuer whose `key` is the verification method `method` of `did` (a did:web or did:webvh it publishes).
    pub fn of(key: &ed25519_dalek::SigningKey, did: &str, method: &str) -> Issuer {
        Issuer { key: key.clone(), did: did.to_owned(), method: method.to_owned() }
    }

    /// The verification method its proofs name.
    pub fn method(&self) -> String {
        self.method.clone()
    }

    /// An unsigned Open Badges 3.0 credential (VCDM 2.0) it issues, valid from 2025.
    pub fn badge(&self) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": "urn:uuid:8a6b2c1d-3e4f-4a5b-9c6d-7e8f9a0b1c2d",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": self.did, "type": ["Profile"], "name": "Badge Issuer"},
            "validFrom": "2025-01-01T00:00:00Z",
            "name": "Rust fundamentals",
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "achievement": {"id": "urn:uuid:1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d", "type": ["Achievement"], "name": "Rust fundamentals"}
            }
        })
    }

    /// `credential` with an `eddsa-jcs-2022` proof by this issuer's key for `purpose`.
    pub fn sign_for(&self, credential: &Value, purpose: &str) -> Value {
        self.sign_with(credential, purpose, json!({}))
    }

    /// `document` (a credential or a presentation) with an `eddsa-jcs-2022` proof by this key for `purpose`,
    /// with the proof options `extra` adds (`challenge`, `domain`).
    pub fn sign_with(&self, credential: &Value, purpose: &str, extra: Value) -> Value {
        let mut options = Map::new();
        options.insert("type".into(), json!("DataIntegrityProof"));
        options.insert("cryptosuite".into(), json!("eddsa-jcs-2022"));
        options.insert("created".into(), json!("2025-01-01T00:00:00Z"));
        options.insert("verificationMethod".into(), json!(self.method()));
        options.insert("proofPurpose".into(), json!(purpose));
        options.insert("@context".into(), credential["@context"].clone());
        options.extend(extra.as_object().unwrap().clone());
        let options_hash = Sha256::digest(trustnode_jcs::canonicalize(&Value::Object(options.clone())).unwrap());
        let document_hash = Sha256::digest(trustnode_jcs::canonicalize(credential).unwrap());
        let signature = self.key.sign(&[options_hash, document_hash].concat());
        options.insert("proofValue".into(), json!(multibase::encode(multibase::Base::Base58Btc, signature.to_bytes())));
        let mut signed = credential.clone();
        signed["proof"] = Value::Object(options);
        signed
    }

    /// An unsigned Bitstring Status List credential of `purpose` at `url` with the bits at `set` on.
    pub fn status_list(&self, url: &str, purpose: &str, set: &[usize]) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.did,
            "validFrom": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": format!("{url}#list"), "type": "BitstringStatusList", "statusPurpose": purpose, "encodedList": encoded_list(set)}
        })
    }

    /// A compact JWS of `payload` under `header`, signed with this issuer's Ed25519 key (`alg` is the header's).
    pub fn jws(&self, header: &Value, payload: &Value) -> String {
        let part = |value: &Value| {
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                serde_json::to_vec(value).unwrap(),
            )
        };
        let input = format!("{}.{}", part(header), part(payload));
        let signature = self.key.sign(input.as_bytes()).to_bytes();
        format!("{input}.{}", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature))
    }

    /// `credential` signed for `assertionMethod`.
    pub fn sign(&self, credential: &Value) -> Value {
        self.sign_for(credential, "assertionMethod")
    }
}

/// A Bitstring Status List of 131,072 one-bit entries (the smallest the specification allows) with the bits at
/// `set` on, as `encodedList`: multibase `u`, base64url without padding, of a GZIP member.
pub fn encoded_list(set: &[usize]) -> String {
    let mut bits = vec![0u8; 131_072 / 8];
    for index in set {
        bits[index / 8] |= 0x80 >> (index % 8);
    }
    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gzip.extend(miniz_oxide::deflate::compress_to_vec(&bits, 6));
    gzip.extend(crc32(&bits).to_le_bytes());
    gzip.extend((bits.len() as u32).to_le_bytes());
    format!("u{}", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, gzip))
}

/// CRC-32 (IEEE), bit by bit: the GZIP trailer's checksum.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// An unsigned presentation by `holder` of `credentials`.
pub fn presentation(holder: &Issuer, credentials: Vec<Value>) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.did,
        "verifiableCredential": credentials,
    })
}

/// The body of `POST /credentials/verify`.
pub fn verify_request(credential: &Value, options: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"verifiableCredential": credential, "options": options})).unwrap()
}
