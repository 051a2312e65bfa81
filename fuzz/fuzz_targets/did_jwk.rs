//! did:jwk: decoding a method-specific id into a JWK and a validated key, and building its DID document. An
//! accepted JWK re-encodes (`did_for`) to an identifier that decodes to the same JWK and key, and the document's
//! only method is `#0` of the DID asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trustnode_did::jwk;

fuzz_target!(|data: &[u8]| {
    let Ok(method_specific_id) = std::str::from_utf8(data) else { return };
    let Ok((public_key, decoded)) = jwk::decode(method_specific_id) else {
        return;
    };
    let did = format!("did:jwk:{method_specific_id}");
    let document = jwk::resolve(&did, method_specific_id).expect("a decodable did:jwk resolves");
    assert_eq!(document["id"], did.as_str());
    assert_eq!(document["verificationMethod"][0]["id"], format!("{did}#0").as_str());

    let again = jwk::did_for(&decoded);
    let msid = again.strip_prefix("did:jwk:").expect("did_for writes a did:jwk");
    let (same_key, same_jwk) = jwk::decode(msid).expect("a re-encoded JWK decodes");
    assert_eq!((same_key, same_jwk), (public_key, decoded));
});
