//! did:key through the public API: every vector of `didkey-valid.json` and `didkey-invalid.json`, the CCG test
//! suite's fixed DIDs, option handling, and property tests (round trips of random keys, no panics on any input).

use proptest::prelude::*;
use serde_json::{Map, Value};
use trustnode_did::error::{ErrorCode, ResolutionError};
use trustnode_did::key::{self, KeyOptions, PublicKeyFormat};
use trustnode_did::public_key::{KeyType, PublicKey};
use trustnode_did::syntax::DidUrl;

fn vectors(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn text<'a>(value: &'a Value, member: &str) -> &'a str {
    value[member].as_str().unwrap_or_else(|| panic!("no string {member} in {value}"))
}

/// Parses the DID as the resolver does, then resolves it as a did:key.
fn resolve(did: &str, options: &KeyOptions) -> Result<Value, ResolutionError> {
    let url = DidUrl::parse(did)?;
    assert_eq!(url.method, "key", "{did} is not a did:key");
    key::resolve(url.did, url.method_specific_id, options)
}

fn options(format: PublicKeyFormat) -> KeyOptions {
    KeyOptions { public_key_format: format, ..KeyOptions::default() }
}

fn ids(document: &Value, relationship: &str) -> Vec<String> {
    document[relationship]
        .as_array()
        .map(|ids| ids.iter().map(|id| id.as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

fn method<'a>(document: &'a Value, id: &str) -> &'a Value {
    document["verificationMethod"]
        .as_array()
        .and_then(|methods| methods.iter().find(|method| method["id"] == id))
        .unwrap_or_else(|| panic!("no method {id} in {document}"))
}

const SIGNATURE_RELATIONSHIPS: [&str; 4] =
    ["authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation"];

#[test]
fn every_valid_vector_decodes_to_its_raw_key_and_type() {
    let vectors = vectors("didkey-valid.json");
    assert_eq!(vectors.len(), 76);
    for vector in &vectors {
        let did = text(vector, "did");
        let key = key::decode(did.trim_start_matches("did:key:")).unwrap_or_else(|error| panic!("{did}: {error}"));
        assert_eq!(key.key_type().name(), text(vector, "codecName"), "{did}");
        assert_eq!(format!("{:#x}", key.key_type().multicodec()), text(vector, "multicodec"), "{did}");
        assert_eq!(hex::encode(key.raw_bytes()), text(vector, "rawKeyHex"), "{did}");
        assert_eq!(key.raw_bytes().len() as u64, vector["rawKeyLen"].as_u64().unwrap_or_default(), "{did}");
        let multicodec = hex::encode(key.to_multicodec());
        assert!(multicodec.starts_with(text(vector, "varintHeaderHex")), "{did}: header of {multicodec}");
        assert_eq!(key::did_for(&key), did);
    }
}

#[test]
fn every_valid_vector_resolves_with_ids_and_relationships() {
    for vector in vectors("didkey-valid.json") {
        let did = text(&vector, "did");
        let multibase = did.trim_start_matches("did:key:");
        let document = resolve(did, &KeyOptions::default()).unwrap_or_else(|error| panic!("{did}: {error}"));
        assert_eq!(document["id"], did);
        assert_eq!(document["@context"][0], "https://www.w3.org/ns/did/v1");
        let key_type = key::decode(multibase).map(|key| key.key_type()).ok();
        let own_id = format!("{did}#{multibase}");
        match key_type {
            Some(KeyType::X25519) => {
                assert_eq!(ids(&document, "keyAgreement"), vec![own_id.clone()], "{did}");
                for relationship in SIGNATURE_RELATIONSHIPS {
                    assert!(document.get(relationship).is_none(), "{did} has {relationship}");
                }
            }
            Some(KeyType::Bls12381G1G2) => {
                let methods = document["verificationMethod"].as_array().cloned().unwrap_or_default();
                assert_eq!(methods.len(), 2, "{did}");
                let method_ids: Vec<String> = methods.iter().map(|m| text(m, "id").to_owned()).collect();
                let raw = hex::decode(text(&vector, "rawKeyHex")).expect("hex");
                let part_id = |header: u8, part: &[u8]| {
                    format!("{did}#{}", multibase::encode(multibase::Base::Base58Btc, [&[header, 0x01], part].concat()))
                };
                assert_eq!(method_ids, [part_id(0xea, &raw[..48]), part_id(0xeb, &raw[48..])], "{did}");
                for relationship in SIGNATURE_RELATIONSHIPS {
                    assert_eq!(ids(&document, relationship), method_ids, "{did} {relationship}");
                }
            }
            _ => {
                for relationship in SIGNATURE_RELATIONSHIPS {
                    assert_eq!(ids(&document, relationship), vec![own_id.clone()], "{did} {relationship}");
                }
                let own = method(&document, &own_id);
                assert_eq!(own["type"], "Multikey");
                assert_eq!(own["controller"], did);
                assert_eq!(own["publicKeyMultibase"], multibase);
            }
        }
        if let Some(derived) = vector.get("derivedX25519Multibase").and_then(Value::as_str) {
            let derived_id = format!("{did}#{derived}");
            assert_eq!(ids(&document, "keyAgreement"), vec![derived_id.clone()], "{did}");
            assert_eq!(method(&document, &derived_id)["publicKeyMultibase"], derived);
        } else if key_type != Some(KeyType::X25519) {
            assert!(document.get("keyAgreement").is_none(), "{did} has keyAgreement");
        }
    }
}

#[test]
fn every_vector_jwk_matches_the_json_web_key_formats() {
    for format in [PublicKeyFormat::JsonWebKey2020, PublicKeyFormat::JsonWebKey] {
        let options = KeyOptions { enable_experimental_public_key_types: true, ..options(format) };
        for vector in vectors("didkey-valid.json") {
            let Some(expected) = vector.get("expectedPublicKeyJwk") else { continue };
            let did = text(&vector, "did");
            let document = resolve(did, &options).unwrap_or_else(|error| panic!("{did}: {error}"));
            let own = method(&document, &format!("{did}#{}", did.trim_start_matches("did:key:")));
            assert_eq!(own["type"], format.name());
            assert_eq!(&own["publicKeyJwk"], expected, "{did}");
            assert!(own.get("publicKeyMultibase").is_none());
            assert!(document["@context"].as_array().is_some_and(|c| c.contains(&format.context().into())));
            if let Some(derived_jwk) = vector.get("derivedX25519Jwk") {
                let derived_id = format!("{did}#{}", text(&vector, "derivedX25519Multibase"));
                assert_eq!(&method(&document, &derived_id)["publicKeyJwk"], derived_jwk, "{did}");
            }
        }
    }
}

/// The code a vector expects; where it names alternatives or none, the one this implementation chose.
fn expected_code(vector: &Value) -> Option<ErrorCode> {
    let expect = text(vector, "expect");
    let first_word = expect.split([' ', ';']).next().unwrap_or_default();
    let chosen = if expect.starts_with("unspecified") { "invalidPublicKeyType" } else { first_word };
    let chosen = if expect.contains("=> invalidDid") { "invalidDid" } else { chosen };
    [
        ErrorCode::InvalidDid,
        ErrorCode::InvalidPublicKeyLength,
        ErrorCode::InvalidPublicKey,
        ErrorCode::InvalidPublicKeyType,
        ErrorCode::MethodNotSupported,
    ]
    .into_iter()
    .find(|code| code.legacy() == chosen)
}

#[test]
fn every_invalid_vector_fails_with_its_code() {
    let vectors = vectors("didkey-invalid.json");
    assert_eq!(vectors.len(), 25);
    for vector in &vectors {
        let did = text(vector, "did");
        let expected = expected_code(vector).unwrap_or_else(|| panic!("no code chosen for {vector}"));
        let outcome = DidUrl::parse(did).and_then(|url| {
            if url.method == "key" {
                key::resolve(url.did, url.method_specific_id, &KeyOptions::default()).map(|_| "resolved")
            } else {
                Ok("another method")
            }
        });
        match outcome {
            Err(error) => assert_eq!(error.code, expected, "{did}: {error}"),
            // Not a did:key at all: the resolver answers methodNotSupported before this module is reached.
            Ok(outcome) => assert!(
                outcome == "another method" && expected == ErrorCode::MethodNotSupported,
                "{did} gave {outcome}, expected {expected}"
            ),
        }
    }
}

#[test]
fn ccg_fixed_dids_derive_their_published_x25519_keys() {
    for (did, derived) in [
        (
            "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b",
            "z6LSfHfAMAopsuBxaBzvp51GXrPf38Az13j2fmwqadbwwrzJ",
        ),
        (
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p",
        ),
    ] {
        let key = key::decode(did.trim_start_matches("did:key:")).expect("CCG DID decodes");
        assert_eq!(key.to_x25519().map(|x| x.to_multibase()).as_deref(), Some(derived));
        let document = resolve(did, &KeyOptions::default()).expect("CCG DID resolves");
        assert_eq!(ids(&document, "keyAgreement"), vec![format!("{did}#{derived}")]);
        assert_eq!(method(&document, &format!("{did}#{derived}"))["type"], "Multikey");
    }
}

#[test]
fn default_document_has_multikey_contexts_and_derived_method() {
    let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let document = resolve(did, &KeyOptions::default()).expect("resolves");
    assert_eq!(
        document["@context"],
        serde_json::json!(["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"])
    );
    assert_eq!(document["verificationMethod"].as_array().map(Vec::len), Some(2));
    let without_derivation = KeyOptions { enable_encryption_key_derivation: false, ..KeyOptions::default() };
    let document = resolve(did, &without_derivation).expect("resolves");
    assert_eq!(document["verificationMethod"].as_array().map(Vec::len), Some(1));
    assert!(document.get("keyAgreement").is_none());
}

#[test]
fn suite_2020_formats_pair_ed25519_with_x25519_2020() {
    let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let document = resolve(did, &options(PublicKeyFormat::Ed25519VerificationKey2020)).expect("resolves");
    let methods = document["verificationMethod"].as_array().cloned().unwrap_or_default();
    let types: Vec<&str> = methods.iter().map(|m| text(m, "type")).collect();
    assert_eq!(types, ["Ed25519VerificationKey2020", "X25519KeyAgreementKey2020"]);
    assert_eq!(
        document["@context"],
        serde_json::json!([
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/suites/ed25519-2020/v1",
            "https://w3id.org/security/suites/x25519-2020/v1"
        ])
    );
    let x25519 = "did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc";
    let document = resolve(x25519, &options(PublicKeyFormat::X25519KeyAgreementKey2020)).expect("resolves");
    assert_eq!(document["verificationMethod"][0]["type"], "X25519KeyAgreementKey2020");
}

#[test]
fn experimental_formats_need_the_option() {
    let did = "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b";
    let format: PublicKeyFormat = "Ed25519VerificationKey2018".parse().expect("known format");
    let error = resolve(did, &options(format)).expect_err("experimental refused");
    assert_eq!(error.code, ErrorCode::InvalidPublicKeyType);
    let allowed = KeyOptions { enable_experimental_public_key_types: true, ..options(format) };
    let document = resolve(did, &allowed).expect("experimental allowed");
    let methods = document["verificationMethod"].as_array().cloned().unwrap_or_default();
    assert_eq!(methods[0]["type"], "Ed25519VerificationKey2018");
    assert_eq!(methods[1]["type"], "X25519KeyAgreementKey2019");
    let raw = key::decode(did.trim_start_matches("did:key:")).expect("decodes").raw_bytes();
    assert_eq!(methods[0]["publicKeyBase58"], multibase::Base::Base58Btc.encode(raw));
}

#[test]
fn unknown_format_is_unsupported_and_misfit_format_is_invalid() {
    let error = "unknown".parse::<PublicKeyFormat>().expect_err("unknown format");
    assert_eq!(error.code, ErrorCode::UnsupportedPublicKeyType);
    let p256 = "did:key:zDnaeTiq1PdzvZXUaMdezchcMJQpBdH2VN4pgrrEhMCCbmwSb";
    let error = resolve(p256, &options(PublicKeyFormat::Ed25519VerificationKey2020)).expect_err("misfit");
    assert_eq!(error.code, ErrorCode::InvalidPublicKeyType);
    let ed25519 = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let error = resolve(ed25519, &options(PublicKeyFormat::X25519KeyAgreementKey2020)).expect_err("misfit");
    assert_eq!(error.code, ErrorCode::InvalidPublicKeyType);
    for format in PublicKeyFormat::ALL {
        assert_eq!(format.name().parse::<PublicKeyFormat>().ok(), Some(format));
    }
}

#[test]
fn bls_g1g2_in_jwk_format_gives_two_okp_keys() {
    let vector = vectors("didkey-valid.json")
        .into_iter()
        .find(|vector| vector["codecName"] == "bls12_381-g1g2-pub")
        .expect("a G1+G2 vector");
    let did = text(&vector, "did");
    let document = resolve(did, &options(PublicKeyFormat::JsonWebKey2020)).expect("resolves");
    let raw = hex::decode(text(&vector, "rawKeyHex")).expect("hex");
    for (index, (crv, bytes)) in [("Bls12381G1", &raw[..48]), ("Bls12381G2", &raw[48..])].into_iter().enumerate() {
        let jwk = &document["verificationMethod"][index]["publicKeyJwk"];
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(jwk["crv"], crv);
        assert_eq!(jwk["x"], base64_url(bytes));
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn version_segment_must_be_a_positive_integer() {
    let multibase = "z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b";
    for version in ["1", "2", "01"] {
        assert!(key::decode(&format!("{version}:{multibase}")).is_ok(), "version {version}");
    }
    for version in ["0", "00", "-4", "+1", "", "1.0", "one", "1:1"] {
        let error = key::decode(&format!("{version}:{multibase}")).expect_err(version);
        assert_eq!(error.code, ErrorCode::InvalidDid, "version {version}");
    }
    let versioned = format!("did:key:1:{multibase}");
    let document = resolve(&versioned, &KeyOptions::default()).expect("versioned DID resolves");
    assert_eq!(ids(&document, "authentication"), vec![format!("{versioned}#{multibase}")]);
}

#[test]
fn secret_key_and_unknown_codecs_are_refused() {
    let key = [7u8; 32];
    let with_key = |header: &[u8]| [header, &key[..]].concat();
    for (bytes, expected) in [
        (with_key(&[0x80, 0x26]), ErrorCode::InvalidPublicKeyType), // ed25519-priv 0x1300
        (with_key(&[0x86, 0x26]), ErrorCode::InvalidPublicKeyType), // p256-priv 0x1306
        (with_key(&[0x55]), ErrorCode::InvalidPublicKeyType),       // raw 0x55
        (with_key(&[0x00]), ErrorCode::InvalidDid),                 // identity
        (with_key(&[0xed, 0x81, 0x00]), ErrorCode::InvalidDid),     // non-minimal 0xed
        (vec![0xed], ErrorCode::InvalidDid),                        // truncated varint
        (vec![0xff; 11], ErrorCode::InvalidDid),                    // varint longer than 64 bits
    ] {
        let multibase = multibase::encode(multibase::Base::Base58Btc, &bytes);
        let error = key::decode(&multibase).expect_err(&multibase);
        assert_eq!(error.code, expected, "bytes {bytes:02x?}: {error}");
    }
    assert_eq!(key::decode("z").map_err(|e| e.code), Err(ErrorCode::InvalidDid));
}

#[test]
fn oversized_multibase_fails_before_decoding() {
    let huge = format!("z{}", "2".repeat(100_000));
    let started = std::time::Instant::now();
    assert_eq!(key::decode(&huge).map_err(|e| e.code), Err(ErrorCode::InvalidPublicKeyLength));
    assert!(started.elapsed() < std::time::Duration::from_millis(50));
}

/// Random keys of every type, built from random secrets (RSA: a random odd modulus, which the structural checks
/// accept since primality is not checked).
fn any_key() -> impl Strategy<Value = PublicKey> {
    let seed = proptest::collection::vec(any::<u8>(), 64);
    (0usize..KeyType::ALL.len(), seed)
        .prop_filter_map("secret out of range", |(index, seed)| random_key(KeyType::ALL[index], &seed))
}

fn random_key(key_type: KeyType, seed: &[u8]) -> Option<PublicKey> {
    use bls12_381::{G1Affine, G2Affine, Scalar};
    let seed64: [u8; 64] = seed.try_into().ok()?;
    let seed32: [u8; 32] = seed[..32].try_into().ok()?;
    let scalar = Scalar::from_bytes_wide(&seed64);
    let g1 = || G1Affine::from(G1Affine::generator() * scalar).to_compressed().to_vec();
    let g2 = || G2Affine::from(G2Affine::generator() * scalar).to_compressed().to_vec();
    let raw = match key_type {
        KeyType::Ed25519 => ed25519_dalek::SigningKey::from_bytes(&seed32).verifying_key().to_bytes().to_vec(),
        KeyType::X25519 => curve25519_dalek::MontgomeryPoint::mul_base_clamped(seed32).to_bytes().to_vec(),
        KeyType::Secp256k1 => sec1(k256::SecretKey::from_slice(&seed32).ok()?.public_key()),
        KeyType::P256 => sec1(p256::SecretKey::from_slice(&seed32).ok()?.public_key()),
        KeyType::P384 => sec1(p384::SecretKey::from_slice(&seed[..48]).ok()?.public_key()),
        KeyType::P521 => {
            let mut secret = [seed, seed].concat()[..66].to_vec();
            secret[0] &= 0x01;
            sec1(p521::SecretKey::from_slice(&secret).ok()?.public_key())
        }
        KeyType::Bls12381G1 => g1(),
        KeyType::Bls12381G2 => g2(),
        KeyType::Bls12381G1G2 => [g1(), g2()].concat(),
        KeyType::Rsa => {
            let mut modulus: Vec<u8> = seed.iter().cycle().take(256).copied().collect();
            modulus[0] |= 0x80;
            modulus[255] |= 1;
            let der = |bytes: &[u8]| {
                let mut int = vec![0x02, 0x82, 0x01, 0x01, 0x00];
                int.extend_from_slice(bytes);
                int
            };
            let body = [der(&modulus), vec![0x02, 0x03, 0x01, 0x00, 0x01]].concat();
            [&[0x30, 0x82, (body.len() >> 8) as u8, body.len() as u8][..], &body].concat()
        }
    };
    PublicKey::from_raw(key_type, &raw).ok()
}

fn sec1<C>(key: k256::elliptic_curve::PublicKey<C>) -> Vec<u8>
where
    C: k256::elliptic_curve::CurveArithmetic,
    k256::elliptic_curve::AffinePoint<C>:
        k256::elliptic_curve::sec1::FromEncodedPoint<C> + k256::elliptic_curve::sec1::ToEncodedPoint<C>,
    k256::elliptic_curve::FieldBytesSize<C>: k256::elliptic_curve::sec1::ModulusSize,
{
    use k256::elliptic_curve::sec1::ToEncodedPoint;
    key.to_encoded_point(true).as_bytes().to_vec()
}

/// The keys expressed by the document's verification methods, read back from the given member.
fn keys_in_document(document: &Value, member: &str) -> Vec<PublicKey> {
    let methods = document["verificationMethod"].as_array().cloned().unwrap_or_default();
    methods
        .iter()
        .map(|method| match member {
            "publicKeyMultibase" => {
                let (_, bytes) = multibase::decode(text(method, member)).expect("multibase");
                PublicKey::from_multicodec(&bytes).expect("key from multibase")
            }
            _ => {
                let jwk: &Map<String, Value> = method[member].as_object().expect("JWK object");
                PublicKey::from_jwk(jwk).expect("key from JWK")
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_keys_round_trip_through_did_and_document(key in any_key()) {
        let did = key::did_for(&key);
        let method_specific_id = did.trim_start_matches("did:key:");
        prop_assert_eq!(&key::decode(method_specific_id).expect("own DID decodes"), &key);

        let mut expected = key.components();
        expected.extend(key.to_x25519());
        let document = key::resolve(&did, method_specific_id, &KeyOptions::default()).expect("resolves");
        prop_assert_eq!(keys_in_document(&document, "publicKeyMultibase"), expected.clone());
        let document = key::resolve(&did, method_specific_id, &options(PublicKeyFormat::JsonWebKey2020))
            .expect("resolves as JWK");
        prop_assert_eq!(keys_in_document(&document, "publicKeyJwk"), expected);
    }

    #[test]
    fn decode_never_panics_on_strings(input in "\\PC{0,80}") {
        let _ = key::decode(&input);
    }

    #[test]
    fn decode_never_panics_on_bytes_after_z(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = key::decode(&multibase::encode(multibase::Base::Base58Btc, &bytes));
    }

    #[test]
    fn decode_never_panics_on_known_headers_with_random_bytes(
        header in prop::sample::select(KeyType::ALL.to_vec()),
        raw in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut buffer = unsigned_varint::encode::u64_buffer();
        let header = unsigned_varint::encode::u64(header.multicodec(), &mut buffer);
        let _ = key::decode(&multibase::encode(multibase::Base::Base58Btc, [header, &raw[..]].concat()));
    }
}

#[test]
fn only_base58btc_digits_are_accepted_and_the_first_other_character_is_named() {
    const ALPHABET: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let valid = "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    // ':' is not tried: it separates a version from the key.
    for c in (0u32..0x250).filter_map(char::from_u32).filter(|c| *c != ':').chain(['é', '０', '𝟘']) {
        // The character replaces the last digit: the key stays the same length.
        let candidate = format!("{}{c}", &valid[..valid.len() - 1]);
        let message = key::decode(&candidate).err().map(|error| error.detail).unwrap_or_default();
        let named = message.contains(&format!("contains '{c}', which is not base58btc"));
        assert_eq!(named, !ALPHABET.contains(c), "{c:?}: {message}");
    }
}
