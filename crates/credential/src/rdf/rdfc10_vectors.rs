//! The W3C RDFC-1.0 test suite (`tests/vectors/rdfc10/`, see the README there), run against canonicalization as
//! this crate calls it: every evaluation and map test gives the published result, and the negative "poison" graph
//! fails on the hash-call limit instead of running for minutes.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;
use sha2::{Sha256, Sha384};

use super::*;

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/rdfc10")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(suite_dir().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn quads(path: &str) -> Vec<canon::Quad> {
    oxttl::NQuadsParser::new()
        .for_slice(read(path).as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|error| panic!("{path}: {error}"))
}

#[test]
fn every_w3c_rdfc10_test_passes() {
    let manifest: Value = serde_json::from_str(&read("manifest.jsonld")).unwrap();
    let entries = manifest["entries"].as_array().unwrap();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for entry in entries {
        let (id, kind) = (entry["id"].as_str().unwrap(), entry["type"].as_str().unwrap());
        let input = quads(entry["action"].as_str().unwrap());
        let sha384 = entry.get("hashAlgorithm").and_then(Value::as_str) == Some("SHA384");
        match kind {
            "rdfc:RDFC10EvalTest" => {
                let canonical =
                    if sha384 { canonicalize_quads::<Sha384>(&input) } else { canonicalize_quads::<Sha256>(&input) };
                assert_eq!(canonical.unwrap(), read(entry["result"].as_str().unwrap()), "{id}");
            }
            "rdfc:RDFC10MapTest" => {
                let issued = if sha384 {
                    rdf_canon::issue_quads_with::<Sha384>(&input, &canonicalization_options())
                } else {
                    rdf_canon::issue_quads_with::<Sha256>(&input, &canonicalization_options())
                };
                let expected: HashMap<String, String> =
                    serde_json::from_str(&read(entry["result"].as_str().unwrap())).unwrap();
                assert_eq!(issued.unwrap(), expected, "{id}");
            }
            "rdfc:RDFC10NegativeEvalTest" => {
                let refused = canonicalize_quads::<Sha256>(&input).unwrap_err();
                assert!(matches!(refused, CredentialError::CanonicalizationLimit(_)), "{id}: {refused}");
            }
            other => panic!("{id}: unknown test type {other}"),
        }
        *counts.entry(kind).or_default() += 1;
    }
    // The suite at the copied commit: a missing file or entry must not pass silently.
    assert_eq!(counts["rdfc:RDFC10EvalTest"], 64);
    assert_eq!(counts["rdfc:RDFC10MapTest"], 21);
    assert_eq!(counts["rdfc:RDFC10NegativeEvalTest"], 1);
}
