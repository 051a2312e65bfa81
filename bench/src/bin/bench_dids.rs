//! Prints `COUNT` did:key identifiers of fresh keys, one per line, for benchmarks that must not hit a memo or an
//! answer cache: `bench_dids COUNT [ed25519|p-256]` (default ed25519). The private keys are thrown away.
//!
//! Run: `cargo run --release -p trustnode-bench --bin bench_dids -- 50000 ed25519 > dids.txt`

use rand_core::OsRng;
use trustnode_registry::jws::{SigningKey, SigningKeyType};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_dids COUNT [ed25519|p-256]";
    let count: usize = args.next().and_then(|c| c.parse().ok()).expect(usage);
    let key_type = match args.next().as_deref() {
        None | Some("ed25519") => SigningKeyType::Ed25519,
        Some("p-256") => SigningKeyType::P256,
        Some(_) => panic!("{usage}"),
    };
    let mut out = String::new();
    for _ in 0..count {
        let did = SigningKey::generate(key_type, &mut OsRng).did_key().expect("a fresh key has a did:key");
        out.push_str(&did);
        out.push('\n');
    }
    print!("{out}");
}
