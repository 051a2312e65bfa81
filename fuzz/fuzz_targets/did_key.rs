//! did:key: decoding a method-specific id into a validated key, and building its DID document. An accepted key
//! encodes back to a multibase value that decodes to the same key, and its document is that of the DID asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustnode_did::key::{self, KeyOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(method_specific_id) = std::str::from_utf8(data) else { return };
    let Ok(public_key) = key::decode(method_specific_id) else {
        return;
    };
    let canonical = public_key.to_multibase();
    assert_eq!(key::decode(&canonical).as_ref(), Ok(&public_key), "the key's own multibase decodes to it");
    assert_eq!(key::did_for(&public_key), format!("did:key:{canonical}"));

    let did = format!("did:key:{method_specific_id}");
    for options in [
        KeyOptions::default(),
        KeyOptions {
            enable_encryption_key_derivation: false,
            enable_experimental_public_key_types: true,
            ..KeyOptions::default()
        },
    ] {
        if let Ok(document) = key::resolve(&did, method_specific_id, &options) {
            assert_eq!(document["id"], did.as_str(), "the document is the DID's own");
        }
    }
});
