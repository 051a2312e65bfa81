//! did:jwk: decoding `did:jwk:<base64url of a JWK>` into the JWK and its validated [`PublicKey`], and expanding it
//! into the DID document the did:jwk specification defines.
//!
//! Pure: strings in, a `serde_json::Value` document or a [`ResolutionError`] out; no I/O, no DID URL handling.
//!
//! Every failure is `invalidDid` (did:jwk names no other code); the detail starts with the key-level code of
//! [`PublicKey::from_jwk`] when the key was the problem. The identifier must be unpadded base64url of a JSON object
//! with `kty`; it is bounded in length before decoding, so hostile input costs linear time at most. The document
//! keeps the JWK exactly as given (member order included) and never rebuilds the DID from the key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::error::{invalid_did, ResolutionError};
use super::public_key::PublicKey;

/// The contexts of every did:jwk document.
pub(crate) const CONTEXTS: [&str; 2] = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"];

/// The longest accepted method-specific id: generous for an 8192-bit RSA JWK with `kid`, `alg` and friends.
pub(crate) const MAX_METHOD_SPECIFIC_ID_LEN: usize = 8192;

/// Decodes the method-specific id (the part after `did:jwk:`) into the validated key and the JWK as given.
pub fn decode(method_specific_id: &str) -> Result<(PublicKey, Map<String, Value>), ResolutionError> {
    if method_specific_id.len() > MAX_METHOD_SPECIFIC_ID_LEN {
        return Err(invalid_did(format!(
            "did:jwk identifier of {} characters exceeds the limit of {MAX_METHOD_SPECIFIC_ID_LEN}",
            method_specific_id.len()
        )));
    }
    let json = URL_SAFE_NO_PAD
        .decode(method_specific_id)
        .map_err(|error| invalid_did(format!("did:jwk identifier is not unpadded base64url: {error}")))?;
    let jwk = match serde_json::from_slice::<Value>(&json) {
        Ok(Value::Object(jwk)) => jwk,
        Ok(_) => return Err(invalid_did("did:jwk identifier does not decode to a JSON object")),
        Err(error) => return Err(invalid_did(format!("did:jwk identifier does not decode to JSON: {error}"))),
    };
    if !jwk.contains_key("kty") {
        return Err(invalid_did("did:jwk JWK has no \"kty\" member"));
    }
    if jwk.get("use").is_some_and(|usage| !usage.is_string()) {
        return Err(invalid_did("did:jwk JWK member \"use\" is not a string"));
    }
    let key = PublicKey::from_jwk(&jwk).map_err(|error| invalid_did(format!("did:jwk JWK is not valid: {error}")))?;
    Ok((key, jwk))
}

/// The did:jwk DID of a JWK: its compact JSON serialization (member order as in the map), base64url-encoded.
pub fn did_for(jwk: &Map<String, Value>) -> String {
    let json = serde_json::to_vec(jwk).unwrap_or_default();
    format!("did:jwk:{}", URL_SAFE_NO_PAD.encode(json))
}

/// Resolves a did:jwk into its DID document: one `JsonWebKey2020` method `#0` referenced by relationships chosen
/// by the JWK's `use` (`sig`: all but `keyAgreement`; `enc`: only `keyAgreement`; anything else or absent: all).
pub fn resolve(did: &str, method_specific_id: &str) -> Result<Value, ResolutionError> {
    let (_, jwk) = decode(method_specific_id)?;
    let (signature, key_agreement) = match jwk.get("use").and_then(Value::as_str) {
        Some("sig") => (true, false),
        Some("enc") => (false, true),
        _ => (true, true),
    };
    let id = format!("{did}#0");
    let mut method = Map::with_capacity(4);
    method.insert("id".to_owned(), Value::from(id.as_str()));
    method.insert("type".to_owned(), Value::from("JsonWebKey2020"));
    method.insert("controller".to_owned(), Value::from(did));
    method.insert("publicKeyJwk".to_owned(), Value::Object(jwk));

    let mut document = Map::with_capacity(8);
    document.insert("@context".to_owned(), CONTEXTS.into_iter().map(Value::from).collect());
    document.insert("id".to_owned(), Value::from(did));
    document.insert("verificationMethod".to_owned(), Value::Array(vec![Value::Object(method)]));
    let relationships = [
        ("assertionMethod", signature),
        ("authentication", signature),
        ("capabilityInvocation", signature),
        ("capabilityDelegation", signature),
        ("keyAgreement", key_agreement),
    ];
    for (name, _) in relationships.into_iter().filter(|(_, included)| *included) {
        document.insert(name.to_owned(), Value::Array(vec![Value::from(id.as_str())]));
    }
    Ok(Value::Object(document))
}
