//! did:jwk through the public API: every positive and negative vector of `didjwk.json`, the document shape, and
//! property tests (round trips of JWKs, no panics on any input, bounded cost on oversized input).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use trustnode_did::error::{ErrorCode, ResolutionError};
use trustnode_did::jwk;
use trustnode_did::public_key::PublicKey;
use trustnode_did::syntax::DidUrl;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/didjwk.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn list<'a>(vectors: &'a Value, name: &str) -> &'a Vec<Value> {
    vectors[name].as_array().unwrap_or_else(|| panic!("no {name} list"))
}

/// Parses the DID as the resolver does, then resolves it as a did:jwk.
fn resolve(did: &str) -> Result<Value, ResolutionError> {
    let url = DidUrl::parse(did)?;
    assert_eq!(url.method, "jwk", "{did} is not a did:jwk");
    jwk::resolve(url.did, url.method_specific_id)
}

fn member_names(object: &Value) -> Vec<String> {
    object.as_object().map(|members| members.keys().cloned().collect()).unwrap_or_default()
}

const RELATIONSHIPS: [&str; 5] =
    ["assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation", "keyAgreement"];

#[test]
fn every_positive_vector_resolves_to_its_jwk_id_and_relationships() {
    let vectors = vectors();
    let positive = list(&vectors, "positive");
    assert_eq!(positive.len(), 31);
    for vector in positive {
        let did = vector["did"].as_str().expect("did");
        let document = resolve(did).unwrap_or_else(|error| panic!("{did}: {error}"));
        let method_id = vector["expectedVerificationMethodId"].as_str().expect("id");
        assert_eq!(document["id"], did);
        assert_eq!(
            document["@context"],
            json!(["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"])
        );
        let method = &document["verificationMethod"][0];
        assert_eq!(document["verificationMethod"].as_array().map(Vec::len), Some(1));
        assert_eq!(method["id"], method_id);
        assert_eq!(method["type"], "JsonWebKey2020");
        assert_eq!(method["controller"], did);
        assert_eq!(method["publicKeyJwk"], vector["jwk"], "{did}");
        assert_eq!(member_names(&method["publicKeyJwk"]), member_names(&vector["jwk"]), "{did}: member order");
        let expected: Vec<&str> = vector["expectedRelationshipsPerSpec"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let present: Vec<&str> = RELATIONSHIPS.into_iter().filter(|name| document.get(*name).is_some()).collect();
        assert_eq!(present, expected, "{did}");
        for name in present {
            assert_eq!(document[name], json!([method_id]), "{did} {name}");
        }
    }
}

#[test]
fn every_positive_vector_key_matches_its_jwk() {
    let vectors = vectors();
    for vector in list(&vectors, "positive") {
        let did = vector["did"].as_str().expect("did");
        let (key, decoded) = jwk::decode(did.trim_start_matches("did:jwk:")).expect("decodes");
        assert_eq!(Some(&decoded), vector["jwk"].as_object());
        // The key's own JWK carries exactly the key members of the given one.
        let own = key.to_jwk().expect("single key");
        for (name, value) in &own {
            assert_eq!(Some(value), decoded.get(name), "{did}: member {name}");
        }
        assert_eq!(PublicKey::from_jwk(&own).as_ref(), Ok(&key));
        let rebuilt = jwk::did_for(&decoded);
        assert_eq!(jwk::decode(rebuilt.trim_start_matches("did:jwk:")).map(|(_, jwk)| jwk), Ok(decoded));
    }
}

#[test]
fn every_negative_vector_is_invalid_did() {
    let vectors = vectors();
    let negative = list(&vectors, "negative");
    assert_eq!(negative.len(), 7);
    for vector in negative {
        let did = vector["did"].as_str().expect("did");
        assert_eq!(vector["expect"], "invalidDid");
        let error = resolve(did).expect_err(did);
        assert_eq!(error.code, ErrorCode::InvalidDid, "{did}: {error}");
    }
}

fn did_of(value: Value) -> String {
    jwk::did_for(value.as_object().expect("object"))
}

#[test]
fn invalid_keys_and_private_material_are_refused() {
    let valid_x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
    let p256 = json!({"kty": "EC", "crv": "P-256", "x": "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0"});
    let off_curve = {
        let mut jwk = p256.clone();
        jwk["y"] = json!(URL_SAFE_NO_PAD.encode([1u8; 32]));
        jwk
    };
    for (jwk, why) in [
        (json!({"kty": "OKP", "crv": "Ed25519", "x": valid_x, "d": valid_x}), "private d"),
        (json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "p": "AQAB"}), "private p"),
        (json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}), "short x"),
        (json!({"kty": "OKP", "crv": "Ed448", "x": valid_x}), "unsupported curve"),
        (json!({"kty": "OKP", "crv": "Ed25519", "x": valid_x, "use": 1}), "use not a string"),
        (json!({"kty": "OKP", "crv": "Ed25519", "x": format!("{valid_x}=")}), "padded x"),
        (json!({"kty": "OKP", "crv": "Ed25519", "x": [valid_x]}), "x not a string"),
        (p256, "missing y"),
        (off_curve, "point off the curve"),
        (json!({"kty": 1}), "kty not a string"),
    ] {
        let did = did_of(jwk);
        let error = jwk::decode(did.trim_start_matches("did:jwk:")).expect_err(why);
        assert_eq!(error.code, ErrorCode::InvalidDid, "{why}: {error}");
    }
}

#[test]
fn use_decides_the_relationships() {
    let key = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
    for (usage, expected) in [
        (Some("sig"), &RELATIONSHIPS[..4]),
        (Some("enc"), &RELATIONSHIPS[4..]),
        (None, &RELATIONSHIPS[..]),
        (Some("other"), &RELATIONSHIPS[..]),
    ] {
        let mut jwk = key.clone();
        if let Some(usage) = usage {
            jwk["use"] = json!(usage);
        }
        let did = did_of(jwk);
        let document = resolve(&did).expect("resolves");
        let present: Vec<&str> = RELATIONSHIPS.into_iter().filter(|name| document.get(*name).is_some()).collect();
        assert_eq!(present, expected, "use {usage:?}");
    }
}

#[test]
fn fragment_is_always_zero_whatever_kid_says() {
    let did = did_of(
        json!({"kty": "OKP", "crv": "X25519", "kid": "key-7", "x": "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}),
    );
    let document = resolve(&did).expect("resolves");
    assert_eq!(document["verificationMethod"][0]["id"], format!("{did}#0"));
}

#[test]
fn oversized_identifier_fails_fast() {
    let padding = "A".repeat(1_000_000);
    let did = did_of(
        json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "pad": padding}),
    );
    let started = std::time::Instant::now();
    let error = jwk::decode(did.trim_start_matches("did:jwk:")).expect_err("too long");
    assert_eq!(error.code, ErrorCode::InvalidDid);
    assert!(started.elapsed() < std::time::Duration::from_millis(50));
}

fn any_jwk() -> impl Strategy<Value = Map<String, Value>> {
    (any::<[u8; 32]>(), prop::option::of(prop::sample::select(vec!["sig", "enc"])), any::<bool>()).prop_map(
        |(secret, usage, kid_first)| {
            let public = ed25519_dalek::SigningKey::from_bytes(&secret).verifying_key().to_bytes();
            let mut jwk = Map::new();
            if kid_first {
                jwk.insert("kid".into(), json!("k1"));
            }
            jwk.insert("kty".into(), json!("OKP"));
            jwk.insert("crv".into(), json!("Ed25519"));
            jwk.insert("x".into(), json!(URL_SAFE_NO_PAD.encode(public)));
            if let Some(usage) = usage {
                jwk.insert("use".into(), json!(usage));
            }
            jwk
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_jwks_round_trip_with_member_order(jwk in any_jwk()) {
        let did = jwk::did_for(&jwk);
        let document = resolve(&did).expect("resolves");
        let published = &document["verificationMethod"][0]["publicKeyJwk"];
        prop_assert_eq!(member_names(published), jwk.keys().cloned().collect::<Vec<_>>());
        let key = PublicKey::from_jwk(published.as_object().expect("object")).expect("key");
        prop_assert_eq!(Ok(key), PublicKey::from_jwk(&jwk));
    }

    #[test]
    fn decode_never_panics_on_strings(input in "\\PC{0,200}") {
        let _ = jwk::decode(&input);
    }

    #[test]
    fn decode_never_panics_on_encoded_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = jwk::decode(&URL_SAFE_NO_PAD.encode(bytes));
    }
}
