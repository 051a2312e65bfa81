//! DID and DID URL syntax: `DidUrl::parse` on any UTF-8 input. Beyond not panicking, an accepted input splits
//! into parts that re-assemble to exactly the input, and its DID part parses on its own as the same bare DID.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustnode_did::syntax::DidUrl;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let Ok(url) = DidUrl::parse(input) else { return };

    let mut rebuilt = format!("{}{}", url.did, url.path);
    if let Some(query) = url.query {
        rebuilt.push('?');
        rebuilt.push_str(query);
    }
    if let Some(fragment) = url.fragment {
        rebuilt.push('#');
        rebuilt.push_str(fragment);
    }
    assert_eq!(rebuilt, input, "the parts re-serialize to the input");
    assert_eq!(url.did, format!("did:{}:{}", url.method, url.method_specific_id));

    let bare = DidUrl::parse(url.did).expect("the DID part of a valid DID URL is a valid DID");
    assert!(bare.is_bare_did());
    assert_eq!((bare.method, bare.method_specific_id), (url.method, url.method_specific_id));
    assert!(url.query_pairs().is_ok(), "a parsed DID URL's query decodes");
});
