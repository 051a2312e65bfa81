//! The presentation model: the members a verifier reads from a W3C verifiable presentation (VCDM 1.1 or 2.0) —
//! its holder, the credentials it holds and its proofs — taken from its JSON without JSON-LD processing. It reads,
//! it does not verify: each credential is read with [`crate::model::Credential`] (a JOSE-secured one with
//! [`crate::jose`]) by the caller, the proofs are checked with [`crate::data_integrity`]. No I/O here.

use serde_json::{Map, Value};

use crate::error::CredentialError;
use crate::model::{data_model, one_or_many, proofs, type_names, DataModel};

/// A presentation as read from its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Presentation {
    document: Map<String, Value>,
    data_model: DataModel,
    holder: Option<String>,
    credentials: Vec<Value>,
}

impl Presentation {
    /// Reads a presentation: the first `@context` names a known data model, `type` includes
    /// `VerifiablePresentation`, `holder` (optional) is a URL or an object with an `id`, `verifiableCredential`
    /// (optional) is one credential or an array of them (objects, enveloped or not, or compact JWS strings), `proof` (optional) an object or an array of objects.
    pub fn parse(value: Value) -> Result<Presentation, CredentialError> {
        let Value::Object(document) = value else { return Err(CredentialError::NotAnObject) };
        let data_model = data_model(&document)?;
        if !type_names(&document)?.iter().any(|t| t == "VerifiablePresentation") {
            return Err(CredentialError::NotAVerifiablePresentation);
        }
        let holder = match document.get("holder") {
            None => None,
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            Some(Value::Object(holder)) => {
                holder.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()).map(str::to_owned)
            }
            Some(_) => None,
        };
        if document.get("holder").is_some() && holder.is_none() {
            return Err(CredentialError::InvalidMember {
                member: "holder",
                expected: "a non-empty URL string or an object with a non-empty string `id`",
            });
        }
        let credentials = match document.get("verifiableCredential") {
            None => Vec::new(),
            Some(value) => {
                let credentials = one_or_many(value);
                // A string is a compact JWS credential (VC-JOSE-COSE or VC 1.1 JWT), read by the caller.
                if !credentials.iter().all(|credential| credential.is_object() || credential.is_string()) {
                    return Err(CredentialError::InvalidMember {
                        member: "verifiableCredential",
                        expected: "a credential or an array of credentials (objects, or compact JWS strings)",
                    });
                }
                credentials.to_vec()
            }
        };
        proofs(&document)?;
        Ok(Presentation { document, data_model, holder, credentials })
    }

    /// The data-model version, from the first `@context`.
    pub fn data_model(&self) -> DataModel {
        self.data_model
    }

    /// The holder's id, when the presentation names one.
    pub fn holder(&self) -> Option<&str> {
        self.holder.as_deref()
    }

    /// The credentials it holds, in order.
    pub fn credentials(&self) -> &[Value] {
        &self.credentials
    }

    /// The embedded proofs: none, the one `proof` object, or each object of a `proof` array.
    pub fn proofs(&self) -> Vec<&Map<String, Value>> {
        // Checked when parsing, so an error cannot happen here.
        proofs(&self.document).unwrap_or_default()
    }

    /// The whole presentation, proofs included: the secured document its proofs are verified over.
    pub fn document(&self) -> &Map<String, Value> {
        &self.document
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_presentation_is_read_with_its_holder_and_credentials() {
        let presentation = Presentation::parse(json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "VerifiablePresentation",
            "holder": {"id": "did:example:holder"},
            "verifiableCredential": {"type": "VerifiableCredential"},
            "proof": {"type": "DataIntegrityProof"}
        }))
        .unwrap();
        assert_eq!(presentation.holder(), Some("did:example:holder"));
        assert_eq!(presentation.credentials().len(), 1);
        assert_eq!(presentation.proofs().len(), 1);
        assert_eq!(presentation.data_model(), DataModel::V2_0);
    }

    #[test]
    fn what_is_no_presentation_is_refused_with_its_reason() {
        let base = |extra: Value| {
            let mut value =
                json!({"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiablePresentation"]});
            value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            value
        };
        assert!(Presentation::parse(base(json!({}))).is_ok());
        assert_eq!(Presentation::parse(json!([])), Err(CredentialError::NotAnObject));
        assert_eq!(
            Presentation::parse(base(json!({"type": "VerifiableCredential"}))),
            Err(CredentialError::NotAVerifiablePresentation)
        );
        assert!(matches!(
            Presentation::parse(base(json!({"holder": 7}))),
            Err(CredentialError::InvalidMember { member: "holder", .. })
        ));
        let jws =
            base(json!({"verifiableCredential": ["eyJhbGciOiJFZERTQSJ9.e30.sig", {"type": "VerifiableCredential"}]}));
        assert_eq!(Presentation::parse(jws).unwrap().credentials().len(), 2);
        assert!(matches!(
            Presentation::parse(base(json!({"verifiableCredential": [7]}))),
            Err(CredentialError::InvalidMember { member: "verifiableCredential", .. })
        ));
        assert!(matches!(
            Presentation::parse(base(json!({"proof": "x"}))),
            Err(CredentialError::InvalidMember { member: "proof", .. })
        ));
    }
}
