//! Snapshot parsing: any bytes through `CanonicalSnapshot::parse`. A snapshot is accepted only in its own canonical
//! form: the accepted bytes are exactly the JCS of their JSON, and the digest is of those bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustnode_registry::snapshot::{CanonicalSnapshot, Digest};

fuzz_target!(|data: &[u8]| {
    let Ok(snapshot) = CanonicalSnapshot::parse(data.to_vec()) else { return };
    assert_eq!(snapshot.bytes(), data);
    let value: serde_json::Value = serde_json::from_slice(data).expect("an accepted snapshot is JSON");
    assert_eq!(trustnode_jcs::canonicalize(&value).as_deref(), Ok(data), "an accepted snapshot is in canonical form");
    assert_eq!(snapshot.into_content().digest(), Digest::of(data));
});
