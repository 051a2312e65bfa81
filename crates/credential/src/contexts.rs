//! The JSON-LD contexts a credential may name: a bundled, hash-pinned set compiled into the binary (the files of
//! `crates/credential/contexts/`, listed with their sources in the README there), which the operator can extend
//! with (URL, JSON text) pairs.
//!
//! A context is never fetched: a document naming any URL outside the set is refused with
//! [`CredentialError::UnknownContext`] before any processing, so a credential cannot make the verifier reach a
//! server of the holder's choosing (SSRF, tracking the holder through context URLs) or change meaning with a
//! context served differently tomorrow. Nothing here reads files or the network: the node reads the operator's
//! files and hands their bytes to [`ContextSet::with_operator_context`].

use std::collections::HashMap;
use std::sync::Arc;

use oxjsonld::JsonLdContextCache;
use serde_json::{Map, Value};

use crate::error::CredentialError;

/// One bundled context: the URL it answers for, its text, and (for the pinning test) its file and the SHA-256 its
/// bytes must have.
struct Bundled {
    url: &'static str,
    text: &'static str,
    #[cfg(test)]
    file: &'static str,
    #[cfg(test)]
    sha256: &'static str,
}

/// Each bundled context, built from its file in `crates/credential/contexts/`.
macro_rules! bundled {
    ($url:literal, $file:literal, $sha256:literal) => {
        Bundled {
            url: $url,
            text: include_str!(concat!("../contexts/", $file)),
            #[cfg(test)]
            file: $file,
            #[cfg(test)]
            sha256: $sha256,
        }
    };
}

/// The bundled contexts. The SHA-256 values repeat the README's table; a unit test recomputes them, so a changed
/// file cannot slip in unnoticed.
const BUNDLED: [Bundled; 15] = [
    bundled!(
        "https://www.w3.org/2018/credentials/v1",
        "credentials-v1.jsonld",
        "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc"
    ),
    bundled!(
        "https://www.w3.org/ns/credentials/v2",
        "credentials-v2.jsonld",
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    ),
    bundled!(
        "https://www.w3.org/ns/credentials/examples/v2",
        "credentials-examples-v2.jsonld",
        "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c"
    ),
    bundled!(
        "https://w3id.org/security/data-integrity/v1",
        "data-integrity-v1.jsonld",
        "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554"
    ),
    bundled!(
        "https://w3id.org/security/data-integrity/v2",
        "data-integrity-v2.jsonld",
        "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363"
    ),
    bundled!(
        "https://w3id.org/security/multikey/v1",
        "multikey-v1.jsonld",
        "c5f3806f8286920573221938917988a18a4cc5a09e968d29649613c7a1c2b1f6"
    ),
    bundled!(
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "ed25519-signature-2020-v1.jsonld",
        "b9e1ab971fd8bf2c7553e0c4a9438e0b9450afde1ea1ca5b2492368b9f549588"
    ),
    bundled!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "ob-v3p0-context.json",
        "9f1c8f9f361ba2994b9b50701f41149919542c50c7b7455b2846d87959295d72"
    ),
    bundled!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "ob-v3p0-context-3.0.1.json",
        "cfc147db5fd5e3575b06bd471fe04784e92de69296f64a351b8dff0ec3372e9c"
    ),
    bundled!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "ob-v3p0-context-3.0.2.json",
        "bba433989e1e700ca60838a3c22378e7d8381aeb0c9590f9ddf84d1714f10296"
    ),
    bundled!(
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "ob-v3p0-context-3.0.3.json",
        "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84"
    ),
    bundled!(
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "clr-v2p0-context-2.0.1.json",
        "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6"
    ),
    bundled!(
        "https://www.w3.org/ns/credentials/status/v1",
        "bitstring-status-list-v1.jsonld",
        "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7"
    ),
    bundled!(
        "https://w3id.org/vc/status-list/2021/v1",
        "status-list-2021-v1.jsonld",
        "634d71c159289f068c96012e4511c657fdf82ac4231900081bda3ba24e2e1160"
    ),
    bundled!(
        "https://www.w3.org/ns/did/v1",
        "did-v1.jsonld",
        "62c1054bf404d6dd3a4b26b64f830fd72095f6a26edc4469908c94351352ce5f"
    ),
];

/// The most context references (URLs and inline contexts, at any depth) one document may hold. JSON-LD processes each
/// anew, and the VCDM 2.0 context alone costs about half a millisecond: 20,000 repetitions of it in one document took
/// 9 s. A presentation of a few credentials, or a CLR with its nested achievements, holds tens.
pub const MAX_CONTEXT_REFERENCES: usize = 256;

/// How many processed contexts a set keeps (see [`ContextSet`]). A credential of one kind needs a few tens: its
/// context list, then one per type-scoped or property-scoped context applied along its nodes.
pub const PROCESSED_CONTEXT_CAPACITY: usize = 512;

/// The contexts a document may name, by URL. Cheap to clone: the documents are shared.
///
/// A set also keeps the contexts JSON-LD processing built from its documents (term definitions, by the context
/// list and the scoped contexts applied on top of it), so that each is built once and not on every verification:
/// building them is most of the cost of an RDF canonicalization. Clones share it; a set made by
/// [`ContextSet::with_operator_context`] starts its own, as what it builds depends on its documents. It is bounded
/// by [`PROCESSED_CONTEXT_CAPACITY`] (the least recently used goes first), so documents with many distinct inline
/// contexts cannot grow it.
#[derive(Debug, Clone)]
pub struct ContextSet {
    documents: Arc<HashMap<String, Arc<[u8]>>>,
    processed: JsonLdContextCache,
}

impl ContextSet {
    /// The bundled contexts only.
    pub fn bundled() -> ContextSet {
        let documents =
            BUNDLED.iter().map(|context| (context.url.to_owned(), context.text.as_bytes().into())).collect();
        ContextSet::new(documents)
    }

    fn new(documents: HashMap<String, Arc<[u8]>>) -> ContextSet {
        ContextSet { documents: Arc::new(documents), processed: JsonLdContextCache::new(PROCESSED_CONTEXT_CAPACITY) }
    }

    /// This set plus the operator's context `json` answering for `url`. Refuses a URL that is not absolute, one
    /// already in the set (a bundled context cannot be replaced: it is pinned), and a text that is not a JSON object
    /// with an `@context` member.
    pub fn with_operator_context(self, url: &str, json: &[u8]) -> Result<ContextSet, CredentialError> {
        let invalid =
            |reason: &str| CredentialError::InvalidOperatorContext { url: url.to_owned(), reason: reason.into() };
        if url::Url::parse(url).is_err() {
            return Err(invalid("the URL is not an absolute URL"));
        }
        if self.contains(url) {
            return Err(invalid("the set already has a context for this URL"));
        }
        let value: Value = serde_json::from_slice(json).map_err(|error| invalid(&format!("not JSON: {error}")))?;
        if !value.as_object().is_some_and(|object| object.contains_key("@context")) {
            return Err(invalid("not a JSON object with an `@context` member"));
        }
        let mut documents = (*self.documents).clone();
        documents.insert(url.to_owned(), json.into());
        Ok(ContextSet::new(documents))
    }

    /// Whether a document may name `url` as a context.
    pub fn contains(&self, url: &str) -> bool {
        self.documents.contains_key(url)
    }

    /// The context document for `url`, if the set has one.
    pub(crate) fn document(&self, url: &str) -> Option<Arc<[u8]>> {
        self.documents.get(url).cloned()
    }

    /// This set with a cache of `capacity` processed contexts instead (0: none), to compare results with and
    /// without it.
    #[cfg(test)]
    pub(crate) fn with_processed_capacity(self, capacity: usize) -> ContextSet {
        ContextSet { processed: JsonLdContextCache::new(capacity), ..self }
    }

    /// The contexts JSON-LD processing built from this set's documents.
    pub(crate) fn processed(&self) -> &JsonLdContextCache {
        &self.processed
    }

    /// Checks every context reference of `document` (a credential, a presentation, any JSON-LD document), at any
    /// depth (nested credentials, proofs, scoped contexts written inline, `@import`): each URL must be in the set
    /// (else [`CredentialError::UnknownContext`] names the first that is not), and there may be at most
    /// [`MAX_CONTEXT_REFERENCES`] of them (else [`CredentialError::CanonicalizationLimit`]).
    pub fn check(&self, document: &Map<String, Value>) -> Result<(), CredentialError> {
        let mut references = 0;
        self.check_members(document, &mut references)?;
        if references > MAX_CONTEXT_REFERENCES {
            return Err(CredentialError::CanonicalizationLimit(format!(
                "the document holds {references} context references, more than {MAX_CONTEXT_REFERENCES}"
            )));
        }
        Ok(())
    }

    fn check_members(&self, members: &Map<String, Value>, references: &mut usize) -> Result<(), CredentialError> {
        members.iter().try_for_each(|(name, value)| {
            if name == "@context" || name == "@import" {
                self.check_reference(value, references)?;
            }
            self.check_value(value, references)
        })
    }

    fn check_value(&self, value: &Value, references: &mut usize) -> Result<(), CredentialError> {
        match value {
            Value::Object(members) => self.check_members(members, references),
            Value::Array(items) => items.iter().try_for_each(|item| self.check_value(item, references)),
            _ => Ok(()),
        }
    }

    /// A context value: a URL, an inline context (walked by `check_value`), null, or an array of those.
    fn check_reference(&self, reference: &Value, references: &mut usize) -> Result<(), CredentialError> {
        match reference {
            Value::String(url) if !self.contains(url) => Err(CredentialError::UnknownContext(url.clone())),
            Value::Array(items) => items.iter().try_for_each(|item| self.check_reference(item, references)),
            Value::String(_) | Value::Object(_) => {
                *references += 1;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sha2::{Digest, Sha256};

    use super::*;

    #[test]
    fn each_bundled_context_has_its_pinned_sha256() {
        for context in &BUNDLED {
            assert_eq!(hex::encode(Sha256::digest(context.text)), context.sha256, "{}", context.file);
            let value: Value = serde_json::from_str(context.text).unwrap();
            assert!(value.get("@context").is_some(), "{}", context.file);
        }
        let readme = include_str!("../contexts/README.md");
        for context in &BUNDLED {
            let row = format!("| `{}` | `{}` |", context.file, context.url);
            assert!(readme.contains(&row), "the README lists {}", context.file);
            assert!(readme.contains(context.sha256), "the README pins {}", context.file);
        }
    }

    #[test]
    fn a_document_naming_an_unknown_context_is_refused_by_url() {
        let contexts = ContextSet::bundled();
        let credential = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://example.org/#"}],
            "credentialSubject": {"achievement": {"@context": "https://tracker.example/ctx", "name": "x"}},
        });
        assert_eq!(
            contexts.check(credential.as_object().unwrap()),
            Err(CredentialError::UnknownContext("https://tracker.example/ctx".into()))
        );
        let imported = json!({"@context": [{"@import": "https://tracker.example/import"}]});
        assert_eq!(
            contexts.check(imported.as_object().unwrap()),
            Err(CredentialError::UnknownContext("https://tracker.example/import".into()))
        );
        let scoped =
            json!({"@context": {"Badge": {"@id": "https://example.org/Badge", "@context": "https://x.example/"}}});
        assert_eq!(
            contexts.check(scoped.as_object().unwrap()),
            Err(CredentialError::UnknownContext("https://x.example/".into()))
        );
        let relative = json!({"@context": ["https://www.w3.org/ns/credentials/v2", "ctx.jsonld"]});
        assert_eq!(
            contexts.check(relative.as_object().unwrap()),
            Err(CredentialError::UnknownContext("ctx.jsonld".into()))
        );
        let known = json!({"@context": ["https://www.w3.org/ns/credentials/v2", null], "proof": [{"@context": []}]});
        assert_eq!(contexts.check(known.as_object().unwrap()), Ok(()));
    }

    #[test]
    fn operator_contexts_extend_the_set_and_are_validated() {
        let url = "https://contexts.example.edu/badge/v1";
        let extended = ContextSet::bundled()
            .with_operator_context(url, br#"{"@context": {"@vocab": "https://contexts.example.edu/#"}}"#)
            .unwrap();
        assert!(extended.contains(url));
        assert!(!ContextSet::bundled().contains(url));
        assert_eq!(extended.check(json!({"@context": [url]}).as_object().unwrap()), Ok(()));
        let refused = |url: &str, json: &[u8]| match ContextSet::bundled().with_operator_context(url, json) {
            Err(CredentialError::InvalidOperatorContext { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert!(refused("badge/v1", b"{\"@context\": {}}").contains("absolute"));
        assert!(refused("https://www.w3.org/ns/credentials/v2", b"{\"@context\": {}}").contains("already"));
        assert!(refused(url, b"{\"@context\": ").starts_with("not JSON"));
        assert!(refused(url, b"[{\"@context\": {}}]").contains("`@context`"));
        assert!(refused(url, b"{\"@vocab\": \"x\"}").contains("`@context`"));
    }
}
