//! Accept negotiation: `negotiate` on any header value. Whatever it picks, the `Content-Type` of that answer,
//! sent back as an `Accept` header, picks the same representation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustnode_resolver::accept::negotiate;

fuzz_target!(|data: &[u8]| {
    let Ok(accept) = std::str::from_utf8(data) else { return };
    let Some(representation) = negotiate(Some(accept)) else { return };
    let content_type = representation.content_type();
    assert!(!content_type.is_empty());
    assert_eq!(negotiate(Some(content_type)), Some(representation), "{accept:?} chose {content_type}");
});
