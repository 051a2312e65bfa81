//! `LogBuilder` writes what the did:webvh implementations write: rebuilt from the test suite's own inputs (its keys,
//! parameters, documents and times), every positive ts, python and rust log comes out with the same SCID and
//! entry hashes (`versionId`s), and where the implementation dated its proofs at the entry's `versionTime`, the same
//! proofs byte for byte (Ed25519 signatures are deterministic). Builder-made logs verify.

use std::fs;
use std::path::Path;

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::OffsetDateTime;
use trustnode_webvh::author::{self, LogBuilder};
use trustnode_webvh::{key_hash, Limits, Log, VersionQuery};

const LIMITS: Limits = Limits { max_entries: 1000, max_bytes: 1 << 20 };

/// The keys a scenario's `script.yaml` declares (by seed).
fn scenario_keys(scenario: &Path) -> Vec<SigningKey> {
    let script = fs::read_to_string(scenario.join("script.yaml")).unwrap();
    script
        .lines()
        .filter_map(|line| line.trim().strip_prefix("seed: "))
        .map(|seed| {
            let bytes: Vec<u8> =
                (0..32).map(|i| u8::from_str_radix(&seed.trim_matches('"')[2 * i..2 * i + 2], 16).unwrap()).collect();
            SigningKey::from_bytes(&bytes.try_into().unwrap())
        })
        .collect()
}

fn time(entry: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(entry["versionTime"].as_str().unwrap(), &Rfc3339).unwrap()
}

/// The scenario key that signed `entry`.
fn signer<'k>(entry: &Value, keys: &'k [SigningKey]) -> &'k SigningKey {
    let method = entry["proof"][0]["verificationMethod"].as_str().unwrap();
    keys.iter().find(|key| method.ends_with(&author::multikey(key))).expect("a scenario key signed the entry")
}

#[test]
fn the_builder_reproduces_the_suite_logs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut entries_compared = 0;
    let mut proofs_compared = 0;
    for scenario in fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()) {
        let name = scenario.file_name().unwrap().to_str().unwrap().to_owned();
        if !scenario.is_dir() || name.starts_with("negative-") {
            continue;
        }
        let keys = scenario_keys(&scenario);
        for implementation in ["ts", "python", "rust"] {
            let Ok(text) = fs::read_to_string(scenario.join(implementation).join("did.jsonl")) else { continue };
            let entries: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
            let first = &entries[0];
            let scid = first["parameters"]["scid"].as_str().unwrap();
            let did = first["state"]["id"].as_str().unwrap();
            let place = did.splitn(4, ':').nth(3).unwrap();
            let mut parameters = first["parameters"].as_object().unwrap().clone();
            parameters.remove("method");
            parameters.remove("scid");
            let template = first["state"].to_string().replace(scid, "{SCID}");
            let document = |_: &str| serde_json::from_str(&template).unwrap();
            let mut builder =
                LogBuilder::create(place, Value::Object(parameters), document, time(first), signer(first, &keys));
            for entry in &entries[1..] {
                let state = Some(entry["state"].clone());
                builder.update(entry["parameters"].clone(), state, time(entry), signer(entry, &keys));
            }
            assert_eq!(builder.scid(), scid, "{name}/{implementation}");
            let built: Vec<Value> = builder
                .log()
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect();
            for (mine, theirs) in built.iter().zip(&entries) {
                assert_eq!(mine["versionId"], theirs["versionId"], "{name}/{implementation}");
                entries_compared += 1;
                if theirs["proof"][0]["created"] == theirs["versionTime"] {
                    assert_eq!(mine["proof"], theirs["proof"], "{name}/{implementation}");
                    proofs_compared += 1;
                }
            }
        }
    }
    assert!(entries_compared >= 50 && proofs_compared >= 30, "{entries_compared} entries, {proofs_compared} proofs");
}

/// A log with every feature: rotation with pre-rotation, witnesses, a portable move, deactivation.
#[test]
fn a_builder_log_with_every_feature_verifies() {
    let keys: Vec<SigningKey> = (1..=6u8).map(|seed| SigningKey::from_bytes(&[seed; 32])).collect();
    let [k0, k1, k2, w0, w1, w2] = [&keys[0], &keys[1], &keys[2], &keys[3], &keys[4], &keys[5]];
    let witness = json!({"threshold": 2, "witnesses": [{"id": author::did_key(w0)}, {"id": author::did_key(w1)}, {"id": author::did_key(w2)}]});
    let start = datetime!(2025-01-01 00:00 UTC);
    let day = time::Duration::days(1);
    let mut builder = LogBuilder::create(
        "issuer.example%3A8443:dids:college",
        json!({"updateKeys": [author::multikey(k0)], "nextKeyHashes": [key_hash(&author::multikey(k1))], "portable": true, "witness": witness}),
        |did| author::document(did, &[k0]),
        start,
        k0,
    );
    let first_did = builder.did();
    // Rotate to k1 (committed), committing to k2.
    let rotated = author::document(&first_did, &[k1]);
    builder.update(
        json!({"updateKeys": [author::multikey(k1)], "nextKeyHashes": [key_hash(&author::multikey(k2))]}),
        Some(rotated),
        start + day,
        k1,
    );
    // Pre-rotation off (k2 as the last committed key), then a move and a deactivation.
    builder.update(json!({"updateKeys": [author::multikey(k2)], "nextKeyHashes": []}), None, start + 2 * day, k2);
    builder.move_to("moved.example:college", start + 3 * day, k2);
    builder.deactivate(start + 4 * day, k2);
    for witness in [w0, w2] {
        builder.witness(5, witness);
    }

    let log = Log::parse(&builder.log(), &LIMITS).unwrap();
    assert!(log.needs_witness_proofs());
    let verification = log.verify(&first_did, Some(&builder.witness_file()), start + 5 * day);
    assert_eq!(verification.failure, None);
    let history = verification.history.unwrap();
    assert_eq!(history.len(), 5);
    let latest = history.select(&VersionQuery::Latest).unwrap();
    assert_eq!(latest.document(), None, "deactivated");
    assert_eq!(latest.metadata()["deactivated"], true);
    let moved = history.select(&VersionQuery::Number(4)).unwrap();
    let document = moved.document().unwrap();
    assert_eq!(document["id"], format!("did:webvh:{}:moved.example:college", builder.scid()));
    assert_eq!(document["alsoKnownAs"], json!([first_did]));
    assert_eq!(document["service"][0]["serviceEndpoint"], "https://moved.example/college/");
    let first = history.select(&VersionQuery::Time(start + time::Duration::hours(12))).unwrap();
    assert_eq!(first.document().unwrap()["verificationMethod"][0]["publicKeyMultibase"], author::multikey(k0));
    assert_eq!(first.metadata()["nextVersionId"], builder.version_id(2));
    assert_eq!(first.document().unwrap()["service"][0]["serviceEndpoint"], "https://issuer.example:8443/dids/college/");
    let keys: Vec<Vec<String>> = history.versions().map(|v| v.update_keys).collect();
    assert_eq!(keys[0], [author::multikey(k0)]);
    assert_eq!(keys[1], [author::multikey(k1)]);
    assert_eq!(keys[4], Vec::<String>::new());
}
