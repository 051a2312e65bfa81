//! did:webvh log verification (issue 17's goal: a cold verification of a 100-entry log under 20 ms on one core):
//! parse and verify a builder-made 100-entry log with a key rotation (pre-rotation on) every 10 entries and a
//! 2-of-3 witness list on from the first entry, the witness file holding each witness's latest approval as the
//! specification asks publishers to keep it; and select a version by `versionTime` in the verified history.
//! Everything is cold: nothing is cached between iterations (keys are decoded, hashes and signatures computed,
//! for every entry, every time). `cargo bench -p trustnode-bench --bench webvh`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ed25519_dalek::SigningKey;
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use trustnode_webvh::author::{self, LogBuilder};
use trustnode_webvh::{key_hash, Limits, Log, VersionQuery};

// The node's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ENTRIES: usize = 100;
const ROTATION_EVERY: usize = 10;
const START: OffsetDateTime = datetime!(2025-01-01 00:00 UTC);
const LIMITS: Limits = Limits { max_entries: 1000, max_bytes: 16 << 20 };

/// The 100-entry log, its witness file and its DID.
fn log() -> (Vec<u8>, Vec<u8>, String) {
    let keys: Vec<SigningKey> =
        (0..=ENTRIES / ROTATION_EVERY).map(|n| SigningKey::from_bytes(&[n as u8 + 1; 32])).collect();
    let witnesses: Vec<SigningKey> = (0..3).map(|n| SigningKey::from_bytes(&[100 + n; 32])).collect();
    let ids: Vec<_> = witnesses.iter().map(|w| json!({"id": author::did_key(w)})).collect();
    let commit = |key: &SigningKey| json!([key_hash(&author::multikey(key))]);
    let mut builder = LogBuilder::create(
        "issuer.example:dids:college",
        json!({"updateKeys": [author::multikey(&keys[0])], "nextKeyHashes": commit(&keys[1 / ROTATION_EVERY]), "witness": {"threshold": 2, "witnesses": ids}}),
        |did| author::document(did, &[&keys[0]]),
        START,
        &keys[0],
    );
    let did = builder.did();
    for n in 1..ENTRIES {
        let time = START + Duration::hours(n as i64);
        let current = n / ROTATION_EVERY;
        let document = author::document(&did, &[&keys[current]]);
        // Pre-rotation stays on: each entry commits to the key of the next one (the same key nine times in ten) and
        // restates its own; every tenth entry rotates to a new key.
        let parameters = json!({"updateKeys": [author::multikey(&keys[current])], "nextKeyHashes": commit(&keys[(n + 1) / ROTATION_EVERY])});
        builder.update(parameters, Some(document), time, &keys[current]);
    }
    for witness in &witnesses[..2] {
        builder.witness(ENTRIES, witness);
    }
    (builder.log(), builder.witness_file(), did)
}

fn verify(c: &mut Criterion) {
    let (log, witness, did) = log();
    let now = START + Duration::days(365);
    let history = Log::parse(&log, &LIMITS).unwrap().verify(&did, Some(&witness), now).into_result().unwrap();
    assert_eq!(history.len(), ENTRIES);
    c.bench_function("verify a 100-entry did:webvh log, cold", |b| {
        b.iter(|| {
            let parsed = Log::parse(black_box(&log), &LIMITS).unwrap();
            parsed.verify(&did, Some(&witness), now).into_result().unwrap()
        })
    });
    let at = START + Duration::minutes(61 * 37);
    assert_eq!(history.select(&VersionQuery::Time(at)).unwrap().number(), 38);
    c.bench_function("select by versionTime in a 100-entry history", |b| {
        b.iter(|| history.select(&VersionQuery::Time(black_box(at))).unwrap().number())
    });
}

criterion_group!(benches, verify);
criterion_main!(benches);
