//! JSON-LD to RDF and RDF Dataset Canonicalization (RDFC-1.0): the transformation of the RDF cryptosuites
//! (`eddsa-rdfc-2022`, `ecdsa-rdfc-2019`, `Ed25519Signature2020`), from a JSON document to its serialized canonical
//! form (canonical N-Quads).
//!
//! JSON-LD expansion and deserialization to RDF is `oxjsonld` (the Oxigraph project's JSON-LD 1.1 processor: it
//! handles what the bundled contexts use, `@protected`, type- and property-scoped contexts, `@vocab`, `@graph`
//! containers and `@json` literals, as the vectors and tests show against jsonld.js's output; its document loader
//! is a callback that here serves only the [`ContextSet`], and its cache of processed contexts is the set's, so
//! contexts are turned into term definitions once per set, not per document). Canonicalization is `rdf-canon`
//! (RDFC-1.0, checked here against the W3C test suite, `tests/vectors/rdfc10/`). The two crates are built on
//! different major versions of `oxrdf`: `oxjsonld` 0.2.7 pins `oxrdf` =0.3.5 and `rdf-canon` 0.15 (its newest) takes
//! `oxrdf` 0.2; no released pair shares one. [`to_canon_quad`] maps a quad of the one onto the other: IRIs, blank
//! node labels, literals with their datatype or language tag, and the default or a named graph carry over exactly
//! (RDF 1.2 triple terms and base directions are not produced, as neither crate's `rdf-12` feature is enabled).
//!
//! The work is bounded, so a hostile document fails instead of hanging the verifier: the number of context
//! references ([`crate::contexts::MAX_CONTEXT_REFERENCES`], each is processed anew), the serialized document size
//! ([`MAX_DOCUMENT_BYTES`]), the number of quads ([`MAX_QUADS`]) and RDFC-1.0's calls of its Hash N-Degree Quads
//! algorithm ([`MAX_HNDQ_CALLS`], which stops "poison" graphs built to make canonicalization exponential).
//! No I/O: contexts come from the set only.

use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf_canon as canon;
use rdf_canon::{CanonicalizationError, CanonicalizationOptions};
use serde_json::{Map, Value};
use sha2::Digest;

use crate::contexts::ContextSet;
use crate::error::CredentialError;

/// The largest document (as serialized JSON) that is turned into RDF. Credentials embedding images as data URLs
/// are rarely past a few hundred kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;
/// The most quads a document may expand to. An Open Badge has tens, a CLR with many nested achievements a few
/// thousand. Each quad can cost a type-scoped context application: a lookup in the set's cache of processed
/// contexts, but a processing of the scoped context when the cache does not hold it (a context built on an inline
/// context too large to cache, a flood that evicted it), so this bound is what keeps one document's work near a
/// second.
pub const MAX_QUADS: usize = 10_000;
/// The most calls of RDFC-1.0's Hash N-Degree Quads algorithm for one document. Real credentials need a few per
/// blank node; the W3C suite's largest positive case needs far fewer than this, its poison graph far more.
pub const MAX_HNDQ_CALLS: usize = 4_000;

/// A JSON-LD error names the URL of a context the set does not hold; surfaced through `oxjsonld` as a load failure.
#[derive(Debug, thiserror::Error)]
#[error("the context {0:?} is not in the bundled or operator-added set; contexts are never fetched")]
struct NotInSet(String);

/// The serialized canonical form (RDFC-1.0, with `D` as its hash) of the RDF dataset `document` expands to.
/// Every context reference of `document` must be in `contexts` ([`ContextSet::check`]).
pub(crate) fn canonical_nquads<D: Digest>(
    document: &Map<String, Value>,
    contexts: &ContextSet,
) -> Result<String, CredentialError> {
    let json = serde_json::to_vec(document).map_err(|error| CredentialError::JsonLdExpansion(error.to_string()))?;
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(CredentialError::CanonicalizationLimit(format!(
            "the document is {} bytes, more than the {MAX_DOCUMENT_BYTES} turned into RDF",
            json.len()
        )));
    }
    let loader = contexts.clone();
    let parser = JsonLdParser::new().with_context_cache(contexts.processed().clone()).for_slice(&json);
    let parser = parser.with_load_document_callback(move |url, _options| {
        let document = loader.document(url).ok_or_else(|| NotInSet(url.to_owned()))?;
        Ok(JsonLdRemoteDocument { document: document.to_vec(), document_url: url.to_owned() })
    });
    let mut quads = Vec::new();
    for quad in parser {
        let quad = quad.map_err(|error| CredentialError::JsonLdExpansion(error.to_string()))?;
        if quads.len() == MAX_QUADS {
            return Err(CredentialError::CanonicalizationLimit(format!(
                "the document expands to more than {MAX_QUADS} RDF quads"
            )));
        }
        quads.push(to_canon_quad(quad));
    }
    canonicalize_quads::<D>(&quads)
}

/// RDFC-1.0 of `quads`, serialized as canonical N-Quads, within [`MAX_HNDQ_CALLS`].
fn canonicalize_quads<D: Digest>(quads: &[canon::Quad]) -> Result<String, CredentialError> {
    rdf_canon::canonicalize_quads_with::<D>(quads, &canonicalization_options()).map_err(|error| match error {
        CanonicalizationError::HndqCallLimitExceeded(limit) => CredentialError::CanonicalizationLimit(format!(
            "RDFC-1.0 needs more than {limit} calls of Hash N-Degree Quads (a graph built to be costly to canonicalize)"
        )),
        other => CredentialError::JsonLdExpansion(format!("RDFC-1.0 failed: {other}")),
    })
}

/// RDFC-1.0 within [`MAX_HNDQ_CALLS`].
fn canonicalization_options() -> CanonicalizationOptions {
    CanonicalizationOptions { hndq_call_limit: Some(MAX_HNDQ_CALLS) }
}

/// The same quad in `rdf-canon`'s `oxrdf`.
fn to_canon_quad(quad: oxrdf::Quad) -> canon::Quad {
    let subject = match quad.subject {
        oxrdf::NamedOrBlankNode::NamedNode(node) => canon::Subject::NamedNode(to_canon_named(node)),
        oxrdf::NamedOrBlankNode::BlankNode(node) => canon::Subject::BlankNode(to_canon_blank(&node)),
    };
    let object = match quad.object {
        oxrdf::Term::NamedNode(node) => canon::Term::NamedNode(to_canon_named(node)),
        oxrdf::Term::BlankNode(node) => canon::Term::BlankNode(to_canon_blank(&node)),
        oxrdf::Term::Literal(literal) => canon::Term::Literal(to_canon_literal(&literal)),
    };
    let graph_name = match quad.graph_name {
        oxrdf::GraphName::NamedNode(node) => canon::GraphName::NamedNode(to_canon_named(node)),
        oxrdf::GraphName::BlankNode(node) => canon::GraphName::BlankNode(to_canon_blank(&node)),
        oxrdf::GraphName::DefaultGraph => canon::GraphName::DefaultGraph,
    };
    canon::Quad::new(subject, to_canon_named(quad.predicate), object, graph_name)
}

/// An IRI, already validated by `oxjsonld`.
fn to_canon_named(node: oxrdf::NamedNode) -> canon::NamedNode {
    canon::NamedNode::new_unchecked(node.into_string())
}

/// A blank node keeps its label: RDFC-1.0 relabels them all anyway, and labels must stay distinct.
fn to_canon_blank(node: &oxrdf::BlankNode) -> canon::BlankNode {
    canon::BlankNode::new_unchecked(node.as_str())
}

fn to_canon_literal(literal: &oxrdf::Literal) -> canon::Literal {
    match literal.language() {
        Some(language) => canon::Literal::new_language_tagged_literal_unchecked(literal.value(), language),
        None => canon::Literal::new_typed_literal(
            literal.value(),
            canon::NamedNode::new_unchecked(literal.datatype().as_str()),
        ),
    }
}

#[cfg(test)]
mod processed_contexts;
#[cfg(test)]
mod rdfc10_vectors;

#[cfg(test)]
mod hostile {
    //! Hostile documents: each is refused with its error, never a hang or a panic.

    use serde_json::json;
    use sha2::Sha256;

    use super::*;

    const V2: &str = "https://www.w3.org/ns/credentials/v2";

    /// Checks the contexts, then canonicalizes, as a proof verification does.
    fn canonical(document: Value) -> Result<String, CredentialError> {
        let document = document.as_object().unwrap().clone();
        let contexts = ContextSet::bundled();
        contexts.check(&document)?;
        canonical_nquads::<Sha256>(&document, &contexts)
    }

    fn refused(document: Value) -> String {
        match canonical(document) {
            Err(CredentialError::CanonicalizationLimit(reason)) => reason,
            other => panic!("expected a limit, got {other:?}"),
        }
    }

    #[test]
    fn a_document_past_the_size_bound_is_refused_before_parsing() {
        let reason = refused(json!({"@context": [V2], "type": "VerifiableCredential", "name": "x".repeat(5 << 20)}));
        assert!(reason.contains("more than the 4194304"), "{reason}");
    }

    #[test]
    fn a_context_repeated_thousands_of_times_is_refused_before_processing() {
        // Each reference is processed anew: 20,000 of them took 9 s before the bound.
        let reason = refused(json!({"@context": vec![V2; 20_000], "name": "x"}));
        assert!(reason.contains("20000 context references"), "{reason}");
        let nested: Vec<Value> = (0..300).map(|_| json!({"@context": V2, "name": "x"})).collect();
        let reason = refused(json!({"@context": V2, "type": "VerifiablePresentation", "verifiableCredential": nested}));
        assert!(reason.contains("301 context references"), "{reason}");
    }

    #[test]
    fn a_document_expanding_to_too_many_quads_is_refused() {
        let values: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
        let reason = refused(json!({"@context": [V2], "type": "VerifiableCredential", "name": values}));
        assert!(reason.contains("more than 10000 RDF quads"), "{reason}");
        // Thousands of nodes that each apply a type-scoped context cost far more per quad: still bounded.
        let achievements: Vec<Value> =
            (0..4_000).map(|i| json!({"id": format!("urn:a:{i}"), "type": "Achievement", "name": "n"})).collect();
        let badge = json!({
            "@context": [V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": {"type": "AchievementSubject", "achievement": achievements},
        });
        assert!(refused(badge).contains("RDF quads"));
    }

    #[test]
    fn malformed_json_ld_is_an_expansion_error() {
        for document in [
            json!({"@context": [V2, {"@version": 2.0}], "name": "x"}),
            json!({"@context": [V2, {"term": {"@id": 5}}], "term": "x"}),
            json!({"@context": [V2], "type": "VerifiableCredential", "id": {"not": "an IRI"}}),
            json!({"@context": [V2], "@type": 7}),
            json!({"@context": V2, "type": "VerifiableCredential", "name": {"@value": "x", "@language": 5}}),
        ] {
            assert!(matches!(canonical(document.clone()), Err(CredentialError::JsonLdExpansion(_))), "{document}");
        }
    }

    #[test]
    fn json_literals_are_canonical_json() {
        // VCDM 2.0 types `_sd` as `@json`: the literal is the RFC 8785 form, whatever the input's member order.
        let document =
            |value: Value| json!({"@context": [V2], "id": "urn:c", "type": "VerifiableCredential", "_sd": value});
        let nquads = canonical(document(json!({"b": [1.0, "x"], "a": null}))).unwrap();
        let expected = r#"<urn:c> <https://www.iana.org/assignments/jwt#_sd> "{\"a\":null,\"b\":[1,\"x\"]}"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON> ."#;
        assert!(nquads.contains(expected), "{nquads}");
        assert_eq!(canonical(document(json!({"a": null, "b": [1, "x"]}))).unwrap(), nquads);
    }

    #[test]
    fn deep_nesting_within_the_json_bound_canonicalizes() {
        // serde_json refuses JSON nested deeper than 128 levels, so documents never are.
        let mut deep = json!({"name": "leaf"});
        for _ in 0..120 {
            deep = json!({"id": "urn:n", "type": "VerifiableCredential", "credentialSubject": deep});
        }
        let mut document = deep.as_object().unwrap().clone();
        document.insert("@context".into(), json!([V2]));
        assert!(canonical(Value::Object(document)).is_ok());
    }
}
