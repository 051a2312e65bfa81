//! The set's cache of processed contexts changes no result: every test credential of the repository, and documents
//! written to exercise context processing (inline, nested, scoped, non-propagated, nulled and protected contexts),
//! canonicalize to the same N-Quads, or fail with the same error, with a fresh cache, a warm cache shared by all
//! of them, and no cache; and the cache stays within its bound whatever the documents.

use std::path::PathBuf;

use serde_json::json;
use sha2::Sha256;

use super::*;
use crate::contexts::PROCESSED_CONTEXT_CAPACITY;

const V2: &str = "https://www.w3.org/ns/credentials/v2";
const V1: &str = "https://www.w3.org/2018/credentials/v1";
const OB3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// The repository's credentials (with their proofs), as files relative to its root.
const FILES: [&str; 21] = [
    "tests/vectors/credentials/Ed25519Signature2020/signedEdSig.json",
    "tests/vectors/credentials/Ed25519Signature2020/proofConfigEdSig.json",
    "tests/vectors/credentials/eddsa-rdfc-2022/proofConfigDataInt.json",
    "tests/vectors/credentials/eddsa-rdfc-2022/signedDataInt.json",
    "tests/vectors/credentials/ecdsa-jcs-2019-p384/proofConfigJCSECDSAP384.json",
    "tests/vectors/credentials/ecdsa-jcs-2019-p384/signedJCSECDSAP384.json",
    "tests/vectors/credentials/bitstring-status-list-examples.json",
    "tests/vectors/credentials/dcc/ob3-eddsa-rdfc-2022.json",
    "tests/vectors/credentials/dcc/ob3-vc1-ed25519signature2020.json",
    "tests/vectors/credentials/dcc/vp-eddsa-rdfc-2022.json",
    "tests/vectors/credentials/ecdsa-rdfc-2019-p384/signedECDSAP384.json",
    "tests/vectors/credentials/ecdsa-rdfc-2019-p384/proofConfigECDSAP384.json",
    "tests/vectors/credentials/eddsa-jcs-2022/proofConfigJCS.json",
    "tests/vectors/credentials/eddsa-jcs-2022/signedJCS.json",
    "tests/vectors/credentials/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json",
    "tests/vectors/credentials/ecdsa-jcs-2019-p256/proofConfigJCSECDSAP256.json",
    "tests/vectors/credentials/ecdsa-rdfc-2019-p256/proofConfigECDSAP256.json",
    "tests/vectors/credentials/ecdsa-rdfc-2019-p256/signedECDSAP256.json",
    "registry/example/credentials/badge.json",
    "bench/benches/ob3/badge-eddsa-jcs-2022.json",
    "bench/benches/ob3/badge-eddsa-rdfc-2022.json",
];

/// Every JSON object with an `@context` member in `value`, outermost first (a file may hold several examples).
fn json_ld_documents(value: &Value, documents: &mut Vec<Map<String, Value>>) {
    match value {
        Value::Object(members) if members.contains_key("@context") => documents.push(members.clone()),
        Value::Object(members) => members.values().for_each(|value| json_ld_documents(value, documents)),
        Value::Array(items) => items.iter().for_each(|item| json_ld_documents(item, documents)),
        _ => {}
    }
}

/// Documents written to exercise context processing, each against the bundled contexts.
fn crafted_documents() -> Vec<Value> {
    let achievement = |i: usize| json!({"id": format!("urn:a:{i}"), "type": "Achievement", "name": format!("n{i}")});
    vec![
        // An inline context after the remote ones, and one nested in a node.
        json!({"@context": [V2, {"@vocab": "https://example.org/vocab#"}], "type": "VerifiableCredential",
            "credentialSubject": {"@context": {"ex": "https://example.org/ex#"}, "ex:score": 7, "other": "x"}}),
        // The same inline context written with its members in another order.
        json!({"@context": [V2, {"b": "https://example.org/b", "a": "https://example.org/a"}], "a": "1", "b": "2"}),
        json!({"@context": [V2, {"a": "https://example.org/a", "b": "https://example.org/b"}], "a": "1", "b": "2"}),
        // Type-scoped contexts applied along the nodes (they do not propagate), and property-scoped ones.
        json!({"@context": [V2, OB3], "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "did:example:issuer", "type": "Profile", "name": "Issuer",
                "image": {"id": "https://example.org/i.png", "type": "Image"}},
            "credentialSubject": {"type": "AchievementSubject",
                "achievement": [achievement(1), achievement(2), achievement(3)],
                "result": [{"type": "Result", "value": "A"}]}}),
        // A type-scoped context in a node nested in a node without a type: the context reverts.
        json!({"@context": [{"@vocab": "https://example.org/#",
                "T": {"@id": "https://example.org/T", "@context": {"p": "https://example.org/scoped-p"}}}],
            "@type": "T", "p": "scoped", "child": {"p": "reverted"}}),
        // A property-scoped context that propagates, and one that does not.
        json!({"@context": {"@vocab": "https://example.org/#",
                "deep": {"@id": "https://example.org/deep", "@context": {"q": "https://example.org/q1"}},
                "flat": {"@id": "https://example.org/flat", "@context": {"@propagate": false, "q": "https://example.org/q2"}}},
            "deep": {"q": "a", "inner": {"q": "b"}}, "flat": {"q": "c", "inner": {"q": "d"}}}),
        // A null context clearing the active one, inside a node.
        json!({"@context": [V2], "type": "VerifiableCredential",
            "credentialSubject": {"@context": [null, {"@vocab": "https://example.org/after-null#"}], "name": "x"}}),
        // Redefining a protected term: an error, the same each time.
        json!({"@context": [V2, {"VerifiableCredential": "https://example.org/Other"}], "type": "VerifiableCredential"}),
        // An unknown term without @vocab is dropped; an invalid scoped context is an error.
        json!({"@context": [V2], "type": "VerifiableCredential", "notATerm": 1}),
        json!({"@context": [{"T": {"@id": "https://example.org/T", "@context": {"@version": 2.0}}}], "@type": "T"}),
        // VCDM 1.1 and 2.0 contexts in one presentation.
        json!({"@context": [V2], "type": "VerifiablePresentation", "verifiableCredential": [
            {"@context": [V1], "type": "VerifiableCredential", "credentialSubject": {"id": "did:example:a"}},
            {"@context": [V2, OB3], "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "credentialSubject": {"type": "AchievementSubject", "achievement": achievement(4)}}]}),
        // A @base in an inline context and relative IRIs.
        json!({"@context": [V2, {"@base": "https://example.org/base/"}], "id": "relative", "type": "VerifiableCredential"}),
    ]
}

/// Every document, read from the repository's files and crafted.
fn all_documents() -> Vec<Map<String, Value>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut documents = Vec::new();
    for file in FILES {
        let text = std::fs::read_to_string(root.join(file)).unwrap_or_else(|error| panic!("{file}: {error}"));
        json_ld_documents(&serde_json::from_str(&text).unwrap(), &mut documents);
    }
    for document in crafted_documents() {
        json_ld_documents(&document, &mut documents);
    }
    documents
}

/// The canonical N-Quads of `document`, or the kind of its error (the reason can name any of several faults,
/// whichever `oxjsonld` meets first in its hash maps' order).
fn canonical(document: &Map<String, Value>, contexts: &ContextSet) -> Result<String, String> {
    let kind = |error: CredentialError| format!("{error:?}").split('(').next().unwrap_or_default().to_owned();
    contexts.check(document).map_err(kind)?;
    canonical_nquads::<Sha256>(document, contexts).map_err(kind)
}

#[test]
fn a_fresh_a_warm_shared_and_no_cache_give_the_same_nquads() {
    let documents = all_documents();
    let uncached = ContextSet::bundled().with_processed_capacity(0);
    let expected: Vec<_> = documents.iter().map(|document| canonical(document, &uncached)).collect();
    assert!(uncached.processed().is_empty());
    let canonicalized = expected.iter().filter(|result| result.is_ok()).count();
    assert!(canonicalized >= 30, "{canonicalized} of {} documents canonicalize", documents.len());
    assert!(expected.iter().any(Result::is_err), "some crafted documents fail");

    for (document, expected) in documents.iter().zip(&expected) {
        assert_eq!(&canonical(document, &ContextSet::bundled()), expected, "fresh cache: {document:?}");
    }
    // One set for all, each document twice in a different order: the second pass reads what the others left.
    let shared = ContextSet::bundled();
    for pass in [false, true] {
        let order: Box<dyn Iterator<Item = usize>> =
            if pass { Box::new((0..documents.len()).rev()) } else { Box::new(0..documents.len()) };
        for i in order {
            assert_eq!(canonical(&documents[i], &shared), expected[i], "warm cache, pass {pass}: {:?}", documents[i]);
        }
    }
    assert!(!shared.processed().is_empty());
}

#[test]
fn a_set_with_an_operator_context_never_reads_another_sets_results() {
    // The same URL-free document means different things in two sets: their caches must not mix.
    let url = "https://contexts.example.edu/badge/v1";
    let set = |vocab: &str| {
        let context = format!(r#"{{"@context": {{"@vocab": "{vocab}"}}}}"#);
        ContextSet::bundled().with_operator_context(url, context.as_bytes()).unwrap()
    };
    let (first, second) = (set("https://one.example/#"), set("https://two.example/#"));
    let document = json!({"@context": [url], "name": "x"});
    let document = document.as_object().unwrap();
    assert!(canonical(document, &first).unwrap().contains("<https://one.example/#name>"));
    assert!(canonical(document, &second).unwrap().contains("<https://two.example/#name>"));
    assert!(canonical(document, &first.clone()).unwrap().contains("<https://one.example/#name>"));
}

#[test]
fn many_distinct_inline_contexts_keep_the_cache_within_its_bound() {
    let contexts = ContextSet::bundled();
    let badge = crafted_documents().swap_remove(3);
    let badge = badge.as_object().unwrap();
    let expected = canonical(badge, &ContextSet::bundled().with_processed_capacity(0));
    assert!(expected.as_ref().is_ok_and(|nquads| nquads.contains("Achievement")), "{expected:?}");
    for i in 0..PROCESSED_CONTEXT_CAPACITY * 2 {
        let document = json!({"@context": [V2, OB3, {"@vocab": format!("https://example.org/{i}#")}],
            "type": ["VerifiableCredential", "OpenBadgeCredential"], "extra": i,
            "credentialSubject": {"type": "AchievementSubject", "achievement": {"type": "Achievement", "name": "n"}}});
        let nquads = canonical(document.as_object().unwrap(), &contexts).unwrap();
        assert!(nquads.contains(&format!("<https://example.org/{i}#extra>")), "{nquads}");
        assert!(contexts.processed().len() <= PROCESSED_CONTEXT_CAPACITY);
    }
    assert_eq!(contexts.processed().len(), PROCESSED_CONTEXT_CAPACITY);
    assert_eq!(canonical(badge, &contexts), expected);
}
