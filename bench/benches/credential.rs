//! Credential core: parse a signed credential and verify its Data Integrity proof, for each cryptosuite, on the
//! W3C vectors of `tests/vectors/credentials/` and on the Open Badges 3.0 badge `scripts/bench --suite credentials`
//! posts (`ob3/`, issued by `bench/peers/js/issue-credential.mjs`; issue 15's goals: `eddsa-jcs-2022` under 50 µs,
//! `eddsa-rdfc-2022` of a typical OB 3.0 credential under 200 µs). The key is decoded and the context set built
//! once, as the node will hold resolved keys and its set; parsing, JSON-LD processing, canonicalizing and verifying
//! are what each request pays.
//! `cargo bench -p trustnode-bench --bench credential`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use trustnode_credential::contexts::ContextSet;
use trustnode_credential::data_integrity::{decode_multikey, DataIntegrityProof};
use trustnode_credential::model::Credential;

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
        let key_pair: Value = serde_json::from_str(key_pair).expect("key pair JSON");
        let key =
            decode_multikey(key_pair["publicKeyMultibase"].as_str().expect("publicKeyMultibase")).expect("vector key");
        c.bench_function(&format!("verify {name}"), |b| {
            b.iter(|| {
                let credential =
                    Credential::parse(serde_json::from_str(black_box(signed)).expect("JSON")).expect("credential");
                let proof = DataIntegrityProof::parse(credential.proofs()[0]).expect("proof");
                proof.verify(credential.document(), &key, "assertionMethod", &contexts).expect("verifies");
            })
        });
    }
}

criterion_group!(benches, verify_credentials);
criterion_main!(benches);
