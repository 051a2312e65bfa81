//! Resolution cost of the pure core: did:key resolve + JSON serialization for one DID of every key type (taken
//! from the public vectors), and did:jwk for a P-256 and an Ed25519 key.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::Value;
use trustnode_did::jwk;
use trustnode_did::key::{self, KeyOptions};
use trustnode_did::public_key::KeyType;

fn vectors(name: &str) -> Value {
    let path = format!("{}/../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn did_key(c: &mut Criterion) {
    let vectors = vectors("didkey-valid.json");
    let options = KeyOptions::default();
    for key_type in KeyType::ALL {
        let Some(did) = vectors
            .as_array()
            .and_then(|all| all.iter().find(|vector| vector["codecName"] == key_type.name()))
            .and_then(|vector| vector["did"].as_str())
        else {
            panic!("no vector for {}", key_type.name());
        };
        let method_specific_id = did.trim_start_matches("did:key:");
        c.bench_function(&format!("did:key {}", key_type.name()), |b| {
            b.iter(|| {
                let document = key::resolve(black_box(did), black_box(method_specific_id), &options);
                document.map(|document| serde_json::to_vec(&document))
            })
        });
    }
}

fn did_jwk(c: &mut Criterion) {
    let vectors = vectors("didjwk.json");
    for crv in ["P-256", "Ed25519"] {
        let Some(did) = vectors["positive"]
            .as_array()
            .and_then(|all| all.iter().find(|vector| vector["jwk"]["crv"] == crv))
            .and_then(|vector| vector["did"].as_str())
        else {
            panic!("no did:jwk vector for {crv}");
        };
        let method_specific_id = did.trim_start_matches("did:jwk:");
        c.bench_function(&format!("did:jwk {crv}"), |b| {
            b.iter(|| {
                let document = jwk::resolve(black_box(did), black_box(method_specific_id));
                document.map(|document| serde_json::to_vec(&document))
            })
        });
    }
}

criterion_group!(benches, did_key, did_jwk);
criterion_main!(benches);
