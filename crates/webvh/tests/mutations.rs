//! Adversarial mutations of a builder-made log with key rotation, pre-rotation and witnesses: each field of each
//! entry changed the way an attacker would (after signing, or re-hashed and re-signed with a key they hold), each
//! refused with its rule at its entry; and random byte and field mutations never panic and never verify unless
//! the log still reads the same.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use trustnode_webvh::author::{self, LogBuilder};
use trustnode_webvh::{key_hash, Limits, Log, Rule};

const LIMITS: Limits = Limits { max_entries: 100, max_bytes: 1 << 20 };
const START: OffsetDateTime = datetime!(2025-01-01 00:00 UTC);
const NOW: OffsetDateTime = datetime!(2025-02-01 00:00 UTC);

struct Keys {
    k0: SigningKey,
    k1: SigningKey,
    k2: SigningKey,
    witnesses: [SigningKey; 3],
}

fn keys() -> Keys {
    let key = |seed: u8| SigningKey::from_bytes(&[seed; 32]);
    Keys { k0: key(1), k1: key(2), k2: key(3), witnesses: [key(10), key(11), key(12)] }
}

fn day(n: i64) -> OffsetDateTime {
    START + Duration::days(n)
}

fn genesis_parameters(keys: &Keys) -> Value {
    let ids: Vec<Value> = keys.witnesses.iter().map(|w| json!({"id": author::did_key(w)})).collect();
    json!({
        "updateKeys": [author::multikey(&keys.k0)],
        "nextKeyHashes": [key_hash(&author::multikey(&keys.k1))],
        "witness": {"threshold": 2, "witnesses": ids},
    })
}

/// Four entries: k0 commits to k1; k1 takes over and commits to k2; k2 takes over and ends pre-rotation; k2 updates
/// again. Witnesses 0 and 1 approved the last entry (and so all of them).
fn base(keys: &Keys) -> LogBuilder {
    let mut builder = LogBuilder::create(
        "example.com",
        genesis_parameters(keys),
        |did| author::document(did, &[&keys.k0]),
        day(0),
        &keys.k0,
    );
    let did = builder.did();
    let (k1, k2) = (author::multikey(&keys.k1), author::multikey(&keys.k2));
    builder.update(
        json!({"updateKeys": [k1], "nextKeyHashes": [key_hash(&k2)]}),
        Some(author::document(&did, &[&keys.k1])),
        day(1),
        &keys.k1,
    );
    builder.update(
        json!({"updateKeys": [k2], "nextKeyHashes": []}),
        Some(author::document(&did, &[&keys.k2])),
        day(2),
        &keys.k2,
    );
    builder.update(json!({}), None, day(3), &keys.k2);
    builder.witness(4, &keys.witnesses[0]);
    builder.witness(4, &keys.witnesses[1]);
    builder
}

/// The rule and entry verification fails with, or `None` when it verifies.
fn outcome(log: &[u8], did: &str, witness: &[u8]) -> Option<(Rule, Option<u64>)> {
    let log = match Log::parse(log, &LIMITS) {
        Ok(log) => log,
        Err(error) => return Some((error.rule, error.entry)),
    };
    log.verify(did, Some(witness), NOW).failure.map(|failure| (failure.rule, failure.entry))
}

#[test]
fn the_base_log_verifies() {
    let keys = keys();
    let builder = base(&keys);
    assert_eq!(outcome(&builder.log(), &builder.did(), &builder.witness_file()), None);
}

type Change = Box<dyn FnOnce(&mut Map<String, Value>)>;

/// A mutation: what it is, the version it changes, the key that re-hashes and re-signs it (none: changed after
/// signing), the change, and the rule it must be refused with.
type Case<'k> = (&'static str, usize, Option<&'k SigningKey>, Change, Rule);

/// `entry[path] = value`.
fn set(path: &'static [&'static str], value: Value) -> Change {
    Box::new(move |entry| {
        let (last, parents) = path.split_last().unwrap();
        let mut target = entry;
        for name in parents {
            target = target.get_mut(*name).and_then(Value::as_object_mut).unwrap();
        }
        target.insert((*last).to_owned(), value);
    })
}

/// `entry.proof[0][name] = value`.
fn set_proof(name: &'static str, value: Value) -> Change {
    Box::new(move |entry| entry.get_mut("proof").unwrap()[0][name] = value)
}

/// Removes a parameter.
fn drop_parameter(name: &'static str) -> Change {
    Box::new(move |entry| {
        entry["parameters"].as_object_mut().unwrap().remove(name);
    })
}

#[test]
fn each_field_mutated_is_refused_with_its_rule() {
    let keys = keys();
    let did = base(&keys).did();
    let (k0, k2) = (author::multikey(&keys.k0), author::multikey(&keys.k2));
    let other_hash = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n";
    let version_3 = base(&keys).version_id(3);
    let w0 = author::did_key(&keys.witnesses[0]);
    let moved = {
        let did = did.clone();
        Box::new(move |entry: &mut Map<String, Value>| {
            entry["state"]["id"] = json!(did.replace("example.com", "elsewhere.example"));
            entry["state"]["alsoKnownAs"] = json!([did]);
        }) as Change
    };
    let flipped_signature = Box::new(|entry: &mut Map<String, Value>| {
        let value = entry["proof"][0]["proofValue"].as_str().unwrap();
        let flipped = match value.strip_suffix('2') {
            Some(rest) => format!("{rest}3"),
            None => format!("{}2", &value[..value.len() - 1]),
        };
        entry.get_mut("proof").unwrap()[0]["proofValue"] = json!(flipped);
    }) as Change;
    // (what, version, re-hashed and re-signed with, change, rule)
    let cases: Vec<Case> = vec![
        ("entry hash changed", 3, None, set(&["versionId"], json!(format!("3-{other_hash}"))), Rule::EntryHash),
        (
            "state changed after signing",
            2,
            None,
            set(&["state", "alsoKnownAs"], json!(["did:web:evil.example"])),
            Rule::EntryHash,
        ),
        ("parameter changed after signing", 4, None, set(&["parameters", "ttl"], json!(60)), Rule::EntryHash),
        (
            "versionTime changed after signing",
            2,
            None,
            set(&["versionTime"], json!("2025-01-02T00:00:01Z")),
            Rule::EntryHash,
        ),
        ("proof value changed", 2, None, flipped_signature, Rule::Proof),
        ("proof value not base58", 1, None, set_proof("proofValue", json!("u0000")), Rule::Proof),
        (
            "proof method names a key that is not active",
            2,
            None,
            set_proof("verificationMethod", json!(format!("did:key:{k2}#{k2}"))),
            Rule::UnauthorizedKey,
        ),
        (
            "proof method body and fragment differ",
            4,
            None,
            set_proof("verificationMethod", json!(format!("did:key:{k0}#{k2}"))),
            Rule::Proof,
        ),
        ("cryptosuite eddsa-rdfc-2022", 1, None, set_proof("cryptosuite", json!("eddsa-rdfc-2022")), Rule::Proof),
        ("proof purpose authentication", 3, None, set_proof("proofPurpose", json!("authentication")), Rule::Proof),
        ("proof type Ed25519Signature2020", 3, None, set_proof("type", json!("Ed25519Signature2020")), Rule::Proof),
        ("SCID replaced, re-signed", 1, Some(&keys.k0), set(&["parameters", "scid"], json!(other_hash)), Rule::Scid),
        (
            "versionId number skips, re-signed",
            3,
            Some(&keys.k2),
            set(&["versionId"], json!("4-x")),
            Rule::VersionNumber,
        ),
        ("versionId without a hash", 2, None, set(&["versionId"], json!("2")), Rule::VersionNumber),
        ("entries out of order", 2, None, set(&["versionId"], json!(version_3)), Rule::VersionNumber),
        (
            "versionTime not after the previous, re-signed",
            3,
            Some(&keys.k2),
            set(&["versionTime"], json!("2025-01-02T00:00:00Z")),
            Rule::VersionTime,
        ),
        (
            "versionTime not UTC, re-signed",
            3,
            Some(&keys.k2),
            set(&["versionTime"], json!("2025-01-03T01:00:00+01:00")),
            Rule::VersionTime,
        ),
        (
            "versionTime in the future, re-signed",
            4,
            Some(&keys.k2),
            set(&["versionTime"], json!("2025-02-01T00:06:00Z")),
            Rule::FutureTime,
        ),
        ("signed by a key no longer authorized", 4, Some(&keys.k0), Box::new(|_| {}), Rule::UnauthorizedKey),
        (
            "pre-rotated key not committed",
            2,
            Some(&keys.k2),
            set(&["parameters", "updateKeys"], json!([k2])),
            Rule::PreRotation,
        ),
        (
            "pre-rotation entry omits nextKeyHashes",
            2,
            Some(&keys.k1),
            drop_parameter("nextKeyHashes"),
            Rule::PreRotation,
        ),
        (
            "pre-rotation entry inherits updateKeys, old key",
            2,
            Some(&keys.k0),
            drop_parameter("updateKeys"),
            Rule::PreRotation,
        ),
        ("pre-rotated entry signed by the old key", 2, Some(&keys.k0), Box::new(|_| {}), Rule::UnauthorizedKey),
        ("null parameter in a v1.0 log", 4, Some(&keys.k2), set(&["parameters", "ttl"], Value::Null), Rule::Parameters),
        ("unknown parameter", 4, Some(&keys.k2), set(&["parameters", "colour"], json!("red")), Rule::Parameters),
        ("ttl beyond 2^31", 4, Some(&keys.k2), set(&["parameters", "ttl"], json!(1u64 << 32)), Rule::Parameters),
        (
            "updateKeys not Multikeys",
            4,
            Some(&keys.k2),
            set(&["parameters", "updateKeys"], json!([1])),
            Rule::Parameters,
        ),
        ("scid restated later", 4, Some(&keys.k2), set(&["parameters", "scid"], json!(other_hash)), Rule::Parameters),
        (
            "method downgraded",
            4,
            Some(&keys.k2),
            set(&["parameters", "method"], json!("did:webvh:0.5")),
            Rule::MethodVersion,
        ),
        (
            "unknown method",
            4,
            Some(&keys.k2),
            set(&["parameters", "method"], json!("did:webvh:2.0")),
            Rule::MethodVersion,
        ),
        ("portable turned on later", 4, Some(&keys.k2), set(&["parameters", "portable"], json!(true)), Rule::Portable),
        (
            "witness threshold 0",
            4,
            Some(&keys.k2),
            set(&["parameters", "witness"], json!({"threshold": 0, "witnesses": [{"id": w0}]})),
            Rule::Parameters,
        ),
        (
            "witness threshold above the witnesses",
            4,
            Some(&keys.k2),
            set(&["parameters", "witness"], json!({"threshold": 2, "witnesses": [{"id": w0}]})),
            Rule::Parameters,
        ),
        (
            "witness id not a did:key",
            4,
            Some(&keys.k2),
            set(&["parameters", "witness"], json!({"threshold": 1, "witnesses": [{"id": "did:web:witness.example"}]})),
            Rule::Parameters,
        ),
        (
            "witness weight in a v1.0 log",
            4,
            Some(&keys.k2),
            set(&["parameters", "witness"], json!({"threshold": 1, "witnesses": [{"id": w0, "weight": 1}]})),
            Rule::Parameters,
        ),
        (
            "state.id with another SCID",
            4,
            Some(&keys.k2),
            set(&["state", "id"], json!(format!("did:webvh:{other_hash}:example.com"))),
            Rule::StateId,
        ),
        (
            "state.id not did:webvh",
            4,
            Some(&keys.k2),
            set(&["state", "id"], json!("did:web:example.com")),
            Rule::StateId,
        ),
        ("moved without portability", 4, Some(&keys.k2), moved, Rule::Portable),
    ];
    for (what, version, signer, change, rule) in cases {
        let mut builder = base(&keys);
        builder.tamper(version, signer.is_some(), signer, change);
        let found = outcome(&builder.log(), &did, &builder.witness_file());
        assert_eq!(found, Some((rule, Some(version as u64))), "{what}");
    }
}

#[test]
fn witness_mutations_are_refused_with_their_rule() {
    let keys = keys();
    let builder = base(&keys);
    let did = builder.did();
    let log = builder.log();

    // One witness is below the threshold of two: the first entry already lacks approvals.
    let single = witness_file(&builder, &[(4, &keys.witnesses[0])]);
    assert_eq!(outcome(&log, &did, &single), Some((Rule::WitnessThreshold, Some(1))));

    // The same witness twice counts once.
    let twice = witness_file(&builder, &[(4, &keys.witnesses[0]), (4, &keys.witnesses[0])]);
    assert_eq!(outcome(&log, &did, &twice), Some((Rule::WitnessThreshold, Some(1))));

    // Approvals of an earlier entry do not cover later ones.
    let early = witness_file(&builder, &[(2, &keys.witnesses[0]), (2, &keys.witnesses[1])]);
    assert_eq!(outcome(&log, &did, &early), Some((Rule::WitnessThreshold, Some(3))));

    // A key that is not a witness approves nothing.
    let stranger = witness_file(&builder, &[(4, &keys.witnesses[0]), (4, &keys.k2)]);
    assert_eq!(outcome(&log, &did, &stranger), Some((Rule::WitnessThreshold, Some(1))));

    // Proofs made for another DID with the same witnesses are replayed here: they name versionIds this log does not
    // have, so they approve nothing.
    let mut other = LogBuilder::create(
        "other.example",
        genesis_parameters(&keys),
        |d| author::document(d, &[&keys.k0]),
        day(0),
        &keys.k0,
    );
    other.witness(1, &keys.witnesses[0]);
    other.witness(1, &keys.witnesses[1]);
    assert_eq!(outcome(&log, &did, &other.witness_file()), Some((Rule::WitnessThreshold, Some(1))));

    // Duplicate witness ids in the configuration are refused outright.
    let w0 = author::did_key(&keys.witnesses[0]);
    let duplicated = created(
        &keys,
        json!({"updateKeys": [author::multikey(&keys.k0)], "witness": {"threshold": 2, "witnesses": [{"id": w0}, {"id": w0}]}}),
    );
    let found = outcome(&duplicated.log(), &duplicated.did(), b"[]");
    assert_eq!(found, Some((Rule::Parameters, Some(1))));

    // No witness file at all.
    let verification = Log::parse(&log, &LIMITS).unwrap().verify(&did, None, NOW);
    assert_eq!(verification.failure.map(|f| (f.rule, f.entry)), Some((Rule::WitnessThreshold, Some(1))));
    assert!(verification.history.is_none(), "nothing is witnessed");
}

/// A witness file holding exactly these approvals.
fn witness_file(builder: &LogBuilder, approvals: &[(usize, &SigningKey)]) -> Vec<u8> {
    let mut copy = builder.clone();
    copy.clear_witness_proofs();
    for (version, witness) in approvals {
        copy.witness(*version, witness);
    }
    copy.witness_file()
}

/// A DID at example.com created by k0 with `parameters`.
fn created(keys: &Keys, parameters: Value) -> LogBuilder {
    LogBuilder::create("example.com", parameters, |did| author::document(did, &[&keys.k0]), day(0), &keys.k0)
}

#[test]
fn entries_after_deactivation_and_unportable_moves_are_refused() {
    let keys = keys();
    let mut builder = created(&keys, json!({"updateKeys": [author::multikey(&keys.k0)]}));
    builder.update(json!({"deactivated": true}), None, day(1), &keys.k0);
    builder.update(json!({"deactivated": false}), None, day(2), &keys.k0);
    assert_eq!(outcome(&builder.log(), &builder.did(), b"[]"), Some((Rule::DeactivatedUpdate, Some(3))));

    let mut fixed = created(&keys, json!({"updateKeys": [author::multikey(&keys.k0)]}));
    let did = fixed.did();
    fixed.move_to("elsewhere.example", day(1), &keys.k0);
    assert_eq!(outcome(&fixed.log(), &did, b"[]"), Some((Rule::Portable, Some(2))));

    let mut portable = created(&keys, json!({"updateKeys": [author::multikey(&keys.k0)], "portable": true}));
    portable.move_to("elsewhere.example", day(1), &keys.k0);
    portable.tamper(2, true, Some(&keys.k0), |e| {
        e["state"].as_object_mut().unwrap().remove("alsoKnownAs");
    });
    assert_eq!(outcome(&portable.log(), &did, b"[]"), Some((Rule::Portable, Some(2))));
}

/// The leaf paths of a JSON value (object members and array items).
fn leaves(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match value {
        Value::Object(members) if !members.is_empty() => members.iter().for_each(|(name, member)| {
            path.push(json!(name));
            leaves(member, path, out);
            path.pop();
        }),
        Value::Array(items) if !items.is_empty() => items.iter().enumerate().for_each(|(index, item)| {
            path.push(json!(index));
            leaves(item, path, out);
            path.pop();
        }),
        _ => out.push(path.clone()),
    }
}

fn replace(value: &mut Value, path: &[Value], new: Value) {
    let mut target = value;
    for step in path {
        target = match step {
            Value::String(name) => &mut target[name.as_str()],
            other => &mut target[other.as_u64().unwrap() as usize],
        };
    }
    *target = new;
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9:#{}-]{0,12}".prop_map(Value::String),
        Just(json!({})),
        Just(json!([])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn byte_mutations_never_panic_and_verify_only_when_the_log_reads_the_same(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let keys = keys();
        let builder = base(&keys);
        let original = builder.log();
        let mut mutated = original.clone();
        let at = position.index(mutated.len());
        mutated[at] = byte;
        if outcome(&mutated, &builder.did(), &builder.witness_file()).is_none() {
            let same = Log::parse(&mutated, &LIMITS).unwrap() == Log::parse(&original, &LIMITS).unwrap();
            prop_assert!(same, "a changed log verified (byte {at} set to {byte})");
        }
    }

    #[test]
    fn field_mutations_never_panic_and_never_verify(entry in 0usize..4, leaf in any::<prop::sample::Index>(), new in json_leaf()) {
        let keys = keys();
        let builder = base(&keys);
        let text = String::from_utf8(builder.log()).unwrap();
        let mut lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        let mut paths = Vec::new();
        leaves(&lines[entry], &mut Vec::new(), &mut paths);
        let path = &paths[leaf.index(paths.len())];
        let mut old = lines[entry].clone();
        replace(&mut old, path, new.clone());
        prop_assume!(old != lines[entry]);
        lines[entry] = old;
        let log: String = lines.iter().map(|line| format!("{line}\n")).collect();
        prop_assert!(outcome(log.as_bytes(), &builder.did(), &builder.witness_file()).is_some(), "{path:?} = {new} verified");
    }
}
