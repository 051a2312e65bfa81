//! The RDF cryptosuites: the input, when it is a JSON object, is verified as a credential or presentation with an
//! `eddsa-rdfc-2022` proof, and again as the W3C vector's credential with the input's members merged in, so that
//! JSON-LD expansion (under the bundled contexts), the conversion to RDF and RDFC-1.0 all see arbitrary documents.
//! Nothing may panic or run past the crate's bounds; an edited document never verifies unless its canonical RDF is
//! unchanged, which the unit tests check, so here any outcome but a panic is accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use trustnode_credential::contexts::ContextSet;
use trustnode_credential::data_integrity::{decode_multikey, DataIntegrityProof};

const SIGNED: &str = include_str!("../../tests/vectors/credentials/eddsa-rdfc-2022/signedDataInt.json");
const KEY: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";

fn verify(document: &Map<String, Value>, proof: &Map<String, Value>) {
    let key = decode_multikey(KEY).expect("the vector's key");
    if let Ok(proof) = DataIntegrityProof::parse(proof) {
        let _ = proof.verify(document, &key, "assertionMethod", &ContextSet::bundled());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(data) else { return };
    let signed: Map<String, Value> = serde_json::from_str(SIGNED).expect("the vector");
    let proof = signed["proof"].as_object().expect("a proof object").clone();
    verify(&input, input.get("proof").and_then(Value::as_object).unwrap_or(&proof));
    let mut merged = signed;
    merged.extend(input);
    verify(&merged, &proof);
});
