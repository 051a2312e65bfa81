//! The did:webvh test suite's vectors (decentralized-identity/didwebvh-test-suite at 81e4a94, copied into
//! `tests/vectors/`, see its README): every positive log of the ts, python and rust implementations verifies and
//! resolves to that implementation's expected result; every negative scenario is refused with its rule.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use time::OffsetDateTime;
use trustnode_did::error::ErrorCode;
use trustnode_did::syntax::DidUrl;
use trustnode_webvh::{locate, Limits, Log, Rule, Verification, VersionQuery};

const LIMITS: Limits = Limits { max_entries: 1000, max_bytes: 1 << 20 };

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn verify(folder: &Path, did: &str) -> Verification {
    let log = fs::read(folder.join("did.jsonl")).unwrap();
    let witness = fs::read(folder.join("did-witness.json")).ok();
    let log = Log::parse(&log, &LIMITS).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
    log.verify(did, witness.as_deref(), OffsetDateTime::now_utc())
}

/// The DID the suite resolves: the first entry's `state.id`.
fn first_did(folder: &Path) -> String {
    let log = fs::read_to_string(folder.join("did.jsonl")).unwrap();
    let first: Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    first["state"]["id"].as_str().unwrap().to_owned()
}

/// The expected result files of one implementation and the query each answers.
fn expectations(folder: &Path) -> Vec<(PathBuf, VersionQuery)> {
    let mut found = Vec::new();
    for file in fs::read_dir(folder).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let query = match name.strip_prefix("resolutionResult.").and_then(|rest| rest.strip_suffix(".json")) {
            Some("") | None if name == "resolutionResult.json" => VersionQuery::Latest,
            Some(number) => VersionQuery::Number(number.parse().unwrap()),
            None => continue,
        };
        found.push((path, query));
    }
    found
}

/// The implicit services as this crate writes them (absolute ids, `#files` ending in `/`): ts writes relative ids
/// and leaves out the `/`.
fn normalise_services(document: &mut Value) {
    let id = document["id"].as_str().unwrap_or_default().to_owned();
    if let Some(services) = document.get_mut("service").and_then(Value::as_array_mut) {
        for service in services {
            if let Some(relative) =
                service["id"].as_str().filter(|s| *s == "#files" || *s == "#whois").map(str::to_owned)
            {
                service["id"] = Value::String(format!("{id}{relative}"));
            }
            if service["type"] == "relativeRef" {
                if let Some(endpoint) = service["serviceEndpoint"].as_str().filter(|e| !e.ends_with('/')) {
                    service["serviceEndpoint"] = Value::String(format!("{endpoint}/"));
                }
            }
        }
    }
}

/// Compares the metadata members both sides have; rust writes `null` for an inactive `witness` and `watchers`,
/// python the witness threshold as a number.
fn compare_metadata(ours: &Map<String, Value>, expected: &Map<String, Value>, skip: &[&str], context: &str) {
    for name in ["versionId", "versionTime", "versionNumber", "created"] {
        assert!(expected.contains_key(name), "{context}: the expected metadata has no {name}");
    }
    for (name, value) in expected {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let Some(mine) = ours.get(name) else { continue };
        let value = match (name.as_str(), value) {
            ("witness", Value::Null) => Value::Object(Map::new()),
            // python writes the threshold as a number; the specification has metadata carry it as a string.
            ("witness", Value::Object(witness)) if witness.get("threshold").is_some_and(Value::is_number) => {
                let mut witness = witness.clone();
                witness["threshold"] = Value::String(witness["threshold"].to_string());
                Value::Object(witness)
            }
            ("watchers", Value::Null) => Value::Array(Vec::new()),
            _ => value.clone(),
        };
        assert_eq!(mine, &value, "{context}: metadata {name}");
    }
}

#[test]
fn positive_vectors_verify_and_resolve_as_each_implementation_expects() {
    let mut compared = 0;
    let mut scenarios: Vec<_> = fs::read_dir(vectors()).unwrap().map(|e| e.unwrap().path()).collect();
    scenarios.sort();
    for scenario in scenarios.iter().filter(|p| p.is_dir() && !p.ends_with("x") && !is_negative(p)) {
        for implementation in ["ts", "python", "rust"] {
            let folder = scenario.join(implementation);
            if !folder.exists() {
                continue;
            }
            let context = format!("{}/{implementation}", scenario.file_name().unwrap().to_str().unwrap());
            let did = first_did(&folder);
            let needs_witnesses =
                Log::parse(&fs::read(folder.join("did.jsonl")).unwrap(), &LIMITS).unwrap().needs_witness_proofs();
            assert_eq!(needs_witnesses, folder.join("did-witness.json").exists(), "{context}");
            let verification = verify(&folder, &did);
            if KNOWN_REFUSALS.contains(&context.as_str()) {
                // Entry 2 replaces the 2-of-2 witness list with 1-of-1 and only the remaining witness signed it;
                // the specification (§ Witness Lists) makes a replacement list active only after its entry, so the
                // old 2-of-2 applies to entry 2. ts and python apply the new list at once; we refuse, and keep
                // version 1.
                let failure = verification.failure.unwrap();
                assert_eq!((failure.rule, failure.entry), (Rule::WitnessThreshold, Some(2)), "{context}: {failure}");
                let history = verification.history.unwrap();
                assert_eq!(history.select(&VersionQuery::Number(1)).unwrap().number(), 1);
                let refused = history.select(&VersionQuery::Latest).unwrap_err();
                assert_eq!(refused.code, ErrorCode::InvalidDidDocument, "{context}");
                assert!(refused.detail.contains("entry 2: witness-threshold"), "{refused}");
                continue;
            }
            assert_eq!(verification.failure, None, "{context}");
            let history = verification.history.unwrap();
            for (path, query) in expectations(&folder) {
                // python's harness ignores versionNumber: its numbered files hold the latest version.
                if implementation == "python" && query != VersionQuery::Latest {
                    continue;
                }
                let expected = read_json(&path);
                let version = history.select(&query).unwrap_or_else(|e| panic!("{context} {query:?}: {e}"));
                let metadata = version.metadata();
                let expected_metadata = expected["didDocumentMetadata"].as_object().unwrap();
                // ts reports `updated` as the resolved version's time; the specification (and we) the last one's.
                let skip: &[&str] =
                    if implementation == "ts" && query != VersionQuery::Latest { &["updated"] } else { &[] };
                compare_metadata(&metadata, expected_metadata, skip, &context);
                if metadata["deactivated"] == true && query == VersionQuery::Latest {
                    // The implementations still return the document; the specification says not to, and we don't.
                    assert_eq!(version.document(), None, "{context}");
                } else {
                    let mut document = expected["didDocument"].clone();
                    normalise_services(&mut document);
                    assert_eq!(version.document(), Some(&document), "{context} {query:?}");
                }
                compared += 1;
            }
        }
    }
    assert!(compared >= 40, "only {compared} results compared");
}

/// Positive vectors whose implementation accepts what the specification refuses.
const KNOWN_REFUSALS: [&str; 2] = ["witness-update/ts", "witness-update/python"];

fn is_negative(path: &Path) -> bool {
    path.file_name().unwrap().to_str().unwrap().starts_with("negative-")
}

/// The rule and entry each negative log is refused with.
const NEGATIVE_LOGS: [(&str, Rule, u64); 11] = [
    ("negative-cross-did-witness-replay", Rule::WitnessThreshold, 2),
    ("negative-did-key-body-fragment-mismatch", Rule::Proof, 1),
    ("negative-duplicate-witness-ids", Rule::Parameters, 1),
    ("negative-portable-scid-swap", Rule::StateId, 2),
    ("negative-pre-rotation-omit-updatekeys", Rule::PreRotation, 2),
    ("negative-scid-mismatch-genesis", Rule::Scid, 1),
    ("negative-unknown-method-version", Rule::MethodVersion, 1),
    ("negative-versiontime-future", Rule::FutureTime, 2),
    ("negative-versiontime-non-monotonic", Rule::VersionTime, 2),
    ("negative-wrong-cryptosuite", Rule::Proof, 1),
    ("negative-zero-witness-threshold", Rule::Parameters, 1),
];

/// The scenarios whose attack is in the DID itself (their logs are empty): each DID in `script.yaml`.
const NEGATIVE_DIDS: [&str; 5] = [
    "negative-fragment-leaks-into-domain",
    "negative-lowercase-pct-port-ip",
    "negative-path-traversal-did",
    "negative-pct-encoded-ip-host",
    "negative-pct-encoded-traversal",
];

#[test]
fn negative_logs_are_refused_with_their_rule() {
    for (scenario, rule, entry) in NEGATIVE_LOGS {
        let folder = vectors().join(scenario).join("ts");
        let verification = verify(&folder, &first_did(&folder));
        let failure = verification.failure.unwrap_or_else(|| panic!("{scenario} verified"));
        assert_eq!((failure.rule, failure.entry), (rule, Some(entry)), "{scenario}: {failure}");
        // Whatever was valid before the failure, the latest version is refused as an invalid document.
        if let Some(history) = verification.history {
            assert_eq!(history.len() as u64, entry - 1, "{scenario}");
            let refused = history.select(&VersionQuery::Latest).unwrap_err();
            assert_eq!(refused.code, ErrorCode::InvalidDidDocument, "{scenario}");
            assert!(refused.detail.contains(&format!("entry {entry}: {rule}")), "{scenario}: {refused}");
        }
    }
}

#[test]
fn negative_dids_are_invalid_before_any_fetch() {
    let mut checked = 0;
    for scenario in NEGATIVE_DIDS {
        let folder = vectors().join(scenario);
        assert!(fs::read(folder.join("ts/did.jsonl")).unwrap().is_empty(), "{scenario}");
        let script = fs::read_to_string(folder.join("script.yaml")).unwrap();
        for did in script.lines().filter_map(|line| line.trim().strip_prefix("did: ")) {
            let did = did.trim_matches('"');
            let url = DidUrl::parse(did).unwrap();
            let refused = locate(url.method_specific_id).expect_err(did);
            assert_eq!(refused.code, ErrorCode::InvalidDid, "{did}");
            // The placeholder SCID is checked last: each DID is refused for its host or path.
            assert!(!refused.detail.contains("SCID"), "{did}: {refused}");
            checked += 1;
        }
    }
    assert_eq!(checked, 9);
}
