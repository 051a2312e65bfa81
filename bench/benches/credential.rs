//! Credential core: parse a signed credential and verify its Data Integrity proof, for each cryptosuite, on the
//! W3C vectors of `tests/vectors/credentials/` and on the Open Badges 3.0 badge `scripts/bench --suite credentials`
//! posts (`ob3/`, issued by `bench/peers/js/issue-credential.mjs`; issue 15's goals: `eddsa-jcs-2022` under 50 µs,
//! `eddsa-rdfc-2022` of a typical OB 3.0 credential under 200 µs). The key is decoded and the context set built
//! once, as the node holds resolved keys and its set; parsing, JSON-LD to RDF, canonicalizing and verifying are
//! what each request pays. The set keeps the contexts JSON-LD processed from its documents, as the node's does, so
//! these cases measure a credential seen for the first time whose contexts are not (they are the same for every
//! credential of a kind); one more case takes a new set each time, the cost of the first credential naming them.
//! `cargo bench -p trustnode-bench --bench credential`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use trustnode_credential::contexts::ContextSet;
use trustnode_credential::data_integrity::{decode_multikey, DataIntegrityProof};
use trustnode_credential::model::Credential;
use trustnode_did::public_key::PublicKey;

// The node's allocator: JSON-LD processing allocates heavily, and with the system allocator the OB 3.0
// eddsa-rdfc-2022 verification took 2.9 ms instead of the node's 1.5 ms.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// (name, signed credential, key pair) of each vector.
const VECTORS: [(&str, &str, &str); 9] = [
    (
        "eddsa-jcs-2022",
        include_str!("../../tests/vectors/credentials/eddsa-jcs-2022/signedJCS.json"),
        include_str!("../../tests/vectors/credentials/ed25519KeyPair.json"),
    ),
    (
        "ecdsa-jcs-2019-p256",
        include_str!("../../tests/vectors/credentials/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json"),
        include_str!("../../tests/vectors/credentials/p256KeyPair.json"),
    ),
    (
        "ecdsa-jcs-2019-p384",
        include_str!("../../tests/vectors/credentials/ecdsa-jcs-2019-p384/signedJCSECDSAP384.json"),
        include_str!("../../tests/vectors/credentials/p384KeyPair.json"),
    ),
    (
        "eddsa-rdfc-2022",
        include_str!("../../tests/vectors/credentials/eddsa-rdfc-2022/signedDataInt.json"),
        include_str!("../../tests/vectors/credentials/ed25519KeyPair.json"),
    ),
    (
        "Ed25519Signature2020",
        include_str!("../../tests/vectors/credentials/Ed25519Signature2020/signedEdSig.json"),
        include_str!("../../tests/vectors/credentials/ed25519KeyPair.json"),
    ),
    (
        "ecdsa-rdfc-2019-p256",
        include_str!("../../tests/vectors/credentials/ecdsa-rdfc-2019-p256/signedECDSAP256.json"),
        include_str!("../../tests/vectors/credentials/p256KeyPair.json"),
    ),
    (
        "ecdsa-rdfc-2019-p384",
        include_str!("../../tests/vectors/credentials/ecdsa-rdfc-2019-p384/signedECDSAP384.json"),
        include_str!("../../tests/vectors/credentials/p384KeyPair.json"),
    ),
    ("OB 3.0 eddsa-rdfc-2022", include_str!("ob3/badge-eddsa-rdfc-2022.json"), include_str!("ob3/issuer-key.json")),
    ("OB 3.0 eddsa-jcs-2022", include_str!("ob3/badge-eddsa-jcs-2022.json"), include_str!("ob3/issuer-key.json")),
];

fn verify_credentials(c: &mut Criterion) {
    let contexts = ContextSet::bundled();
    for (name, signed, key_pair) in VECTORS {
        let key = vector_key(key_pair);
        c.bench_function(&format!("verify {name}"), |b| b.iter(|| verify(black_box(signed), &key, &contexts)));
    }
    // The first credential naming its contexts: a new set each time, so JSON-LD processes every context (the set
    // keeps them for the requests after, which the cases above measure).
    let (_, signed, key_pair) = VECTORS.iter().find(|(name, ..)| *name == "OB 3.0 eddsa-rdfc-2022").expect("OB 3.0");
    let key = vector_key(key_pair);
    c.bench_function("verify OB 3.0 eddsa-rdfc-2022, contexts not processed yet", |b| {
        b.iter(|| verify(black_box(signed), &key, &ContextSet::bundled()))
    });
}

/// The public key of a vector's key pair.
fn vector_key(key_pair: &str) -> PublicKey {
    let key_pair: Value = serde_json::from_str(key_pair).expect("key pair JSON");
    decode_multikey(key_pair["publicKeyMultibase"].as_str().expect("publicKeyMultibase")).expect("vector key")
}

/// What each request pays: parse the credential, then verify its first proof.
fn verify(signed: &str, key: &PublicKey, contexts: &ContextSet) {
    let credential = Credential::parse(serde_json::from_str(signed).expect("JSON")).expect("credential");
    let proof = DataIntegrityProof::parse(credential.proofs()[0]).expect("proof");
    proof.verify(credential.document(), key, "assertionMethod", contexts).expect("verifies");
}

criterion_group!(benches, verify_credentials);
criterion_main!(benches);
