//! Snapshot signature verification: a detached JWS (the input's first line) over a payload (the rest) checked
//! against the example registry's authority. Nothing verifies except the example's own signed snapshots: the
//! fuzzer must never forge a signature, whatever header, key reference or encoding tricks it tries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustnode_did::key::{self, KeyOptions};
use trustnode_registry::jws::verify_detached;

const AUTHORITY: &str = "did:key:z6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z";
const SIGNED: [&[u8]; 2] = [
    include_bytes!("../../registry/example/snapshots/1.json"),
    include_bytes!("../../registry/example/snapshots/2.json"),
];

fuzz_target!(|data: &[u8]| {
    let (jws, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &[][..]),
    };
    let Ok(jws) = std::str::from_utf8(jws) else { return };
    let msid = AUTHORITY.trim_start_matches("did:key:");
    let document = key::resolve(AUTHORITY, msid, &KeyOptions::default()).expect("the example authority resolves");
    if let Ok(verified) = verify_detached(jws, payload, AUTHORITY, &document) {
        assert!(SIGNED.contains(&payload), "a signature verified over a payload the authority never signed");
        assert!(verified.kid.starts_with(AUTHORITY));
    }
});
