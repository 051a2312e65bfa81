//! Finding the key a proof names in its controller's resolved DID document: the verification method must be
//! listed under the relationship the proof's purpose names (`assertionMethod` for a credential, `authentication`
//! for a presentation), belong to that document's DID, and hold a public key this crate can use.
//!
//! Pure: the caller resolves the DID (the node's resolver) and passes the document. Whether the DID is the
//! credential's issuer or the presentation's holder is the caller's check, made before resolving.

use serde_json::{Map, Value};
use trustnode_did::public_key::PublicKey;

use crate::data_integrity::decode_multikey;
use crate::error::CredentialError;

/// A verification method found under a relationship of its controller's document.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationMethod {
    /// The method's absolute id (`did:…#fragment`).
    pub id: String,
    /// Its `type` (`Multikey`, `Ed25519VerificationKey2020`, `JsonWebKey2020`, …), as the document states it.
    pub method_type: String,
    /// The public key it holds.
    pub key: PublicKey,
}

/// The DID a verification method id belongs to: the id without its fragment.
pub fn controller_did(method_id: &str) -> &str {
    method_id.split_once('#').map_or(method_id, |(did, _)| did)
}

/// The verification method `method_id` of `document` (the resolved document of [`controller_did`]`(method_id)`),
/// if the document lists it under `relationship`, by reference or embedded.
pub fn authorized_method(
    document: &Value,
    method_id: &str,
    relationship: &str,
) -> Result<VerificationMethod, CredentialError> {
    let did = controller_did(method_id);
    if document.get("id").and_then(Value::as_str) != Some(did) {
        return Err(CredentialError::MethodNotInDocument(method_id.to_owned()));
    }
    let absolute = |id: &str| if id.starts_with('#') { format!("{did}{id}") } else { id.to_owned() };
    let is_method = |entry: &Value| entry.get("id").and_then(Value::as_str).is_some_and(|id| absolute(id) == method_id);
    let listed = |name: &str| document.get(name).and_then(Value::as_array).into_iter().flatten();
    let entry = listed(relationship)
        .find(|entry| match entry {
            Value::String(reference) => absolute(reference) == method_id,
            embedded => is_method(embedded),
        })
        .ok_or_else(|| {
            if listed("verificationMethod").any(is_method) {
                CredentialError::MethodNotForPurpose {
                    method: method_id.to_owned(),
                    relationship: relationship.to_owned(),
                }
            } else {
                CredentialError::MethodNotInDocument(method_id.to_owned())
            }
        })?;
    let method = match entry {
        Value::String(_) => listed("verificationMethod")
            .find(|method| is_method(method))
            .ok_or_else(|| CredentialError::MethodNotInDocument(method_id.to_owned()))?,
        embedded => embedded,
    };
    let method = method.as_object().ok_or_else(|| unusable(method_id, "it is not a JSON object"))?;
    if let Some(controller) = method.get("controller") {
        if controller.as_str() != Some(did) {
            return Err(unusable(method_id, &format!("its controller is {controller}, not {did}")));
        }
    }
    let method_type = method.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    Ok(VerificationMethod { id: method_id.to_owned(), method_type, key: method_key(method_id, method)? })
}

/// The public key of a method: `publicKeyMultibase` (Multikey, Ed25519VerificationKey2020) or `publicKeyJwk`.
fn method_key(method_id: &str, method: &Map<String, Value>) -> Result<PublicKey, CredentialError> {
    match (method.get("publicKeyMultibase"), method.get("publicKeyJwk")) {
        (Some(Value::String(multibase)), None) => decode_multikey(multibase),
        (None, Some(Value::Object(jwk))) => {
            PublicKey::from_jwk(jwk).map_err(|error| unusable(method_id, &format!("publicKeyJwk: {}", error.detail)))
        }
        (Some(_), Some(_)) => Err(unusable(method_id, "it has both publicKeyMultibase and publicKeyJwk")),
        (None, None) => Err(unusable(method_id, "it has neither publicKeyMultibase nor publicKeyJwk")),
        _ => Err(unusable(method_id, "publicKeyMultibase must be a string and publicKeyJwk an object")),
    }
}

fn unusable(method_id: &str, why: &str) -> CredentialError {
    CredentialError::UnusableMethod { method: method_id.to_owned(), why: why.to_owned() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const DID: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    const KEY: &str = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

    fn document(assertion: Value) -> Value {
        json!({
            "id": DID,
            "verificationMethod": [{"id": format!("{DID}#{KEY}"), "type": "Multikey", "controller": DID, "publicKeyMultibase": KEY}],
            "assertionMethod": assertion,
            "authentication": [format!("#{KEY}")],
        })
    }

    #[test]
    fn a_referenced_method_under_the_relationship_gives_its_key() {
        let id = format!("{DID}#{KEY}");
        let method = authorized_method(&document(json!([id])), &id, "assertionMethod").unwrap();
        assert_eq!(method.method_type, "Multikey");
        assert_eq!(method.key.to_multibase(), KEY);
        // A relative reference counts as the absolute id.
        assert!(authorized_method(&document(json!([])), &id, "authentication").is_ok());
    }

    #[test]
    fn a_method_outside_the_relationship_or_the_document_is_refused_with_its_reason() {
        let id = format!("{DID}#{KEY}");
        assert_eq!(
            authorized_method(&document(json!([])), &id, "assertionMethod"),
            Err(CredentialError::MethodNotForPurpose { method: id.clone(), relationship: "assertionMethod".into() })
        );
        let other = format!("{DID}#other");
        assert_eq!(
            authorized_method(&document(json!([other])), &other, "assertionMethod"),
            Err(CredentialError::MethodNotInDocument(other.clone()))
        );
        // A method of another DID is never looked for in this document.
        let foreign = format!("did:key:z6Mkother#{KEY}");
        assert_eq!(
            authorized_method(&document(json!([foreign])), &foreign, "assertionMethod"),
            Err(CredentialError::MethodNotInDocument(foreign.clone()))
        );
    }

    #[test]
    fn embedded_methods_and_jwks_are_read_and_bad_keys_are_named() {
        let id = format!("{DID}#jwk");
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik"});
        let embedded = json!([{"id": "#jwk", "type": "JsonWebKey2020", "controller": DID, "publicKeyJwk": jwk}]);
        let method = authorized_method(&document(embedded), &id, "assertionMethod").unwrap();
        assert_eq!(method.method_type, "JsonWebKey2020");

        let bad = json!([{"id": id, "type": "Multikey", "controller": "did:example:else", "publicKeyMultibase": KEY}]);
        let refused = authorized_method(&document(bad), &id, "assertionMethod").unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!("verification method {id} is unusable: its controller is \"did:example:else\", not {DID}")
        );
        let keyless = json!([{"id": id, "type": "Multikey"}]);
        assert!(matches!(
            authorized_method(&document(keyless), &id, "assertionMethod"),
            Err(CredentialError::UnusableMethod { .. })
        ));
        let x25519 = json!([{"id": id, "publicKeyMultibase": "z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p"}]);
        assert_eq!(
            authorized_method(&document(x25519), &id, "assertionMethod"),
            Err(CredentialError::UnsupportedKeyType("x25519-pub"))
        );
    }
}
