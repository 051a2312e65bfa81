//! did:web identifier mapping: `locate` on any method-specific id. An accepted identifier maps to an HTTPS URL
//! that a standard URL parser reads back with the same host (a domain name, never an IP address), port and path,
//! and the path ends in `did.json` without dot segments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustnode_did::web;

fuzz_target!(|data: &[u8]| {
    let Ok(method_specific_id) = std::str::from_utf8(data) else { return };
    let Ok(location) = web::locate(method_specific_id) else { return };

    let parsed = url::Url::parse(&location.url()).expect("the document URL parses");
    assert_eq!(parsed.scheme(), "https");
    match parsed.host() {
        Some(url::Host::Domain(host)) => assert_eq!(host, location.host, "the URL parser reads the same host"),
        other => panic!("{method_specific_id:?} maps to a non-domain host {other:?}"),
    }
    assert_eq!(parsed.port_or_known_default(), Some(location.port));
    assert_eq!(parsed.path(), location.path, "the URL parser keeps the path as mapped");
    assert!(parsed.query().is_none() && parsed.fragment().is_none());
    assert!(location.path.ends_with("/did.json"));
    assert!(!location.path.split('/').any(|segment| segment == "." || segment == ".."));
});
