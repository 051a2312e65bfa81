//! The W3C test vectors of vc-di-eddsa (`eddsa-jcs-2022`) and vc-di-ecdsa (`ecdsa-jcs-2019`, P-256 and P-384),
//! copied under `tests/vectors/credentials/` (see the README there): each signed credential verifies, each
//! intermediate value matches, and each kind of tampering fails with its own error.

use serde_json::{json, Value};
use trustnode_did::public_key::{KeyType, PublicKey};

use super::*;

/// One vector directory: the signed credential, the signer's Multikey, and the intermediate values.
struct Vector {
    signed: &'static str,
    proof_options: &'static str,
    /// The key pair file, which holds `publicKeyMultibase`.
    key_pair: &'static str,
    canonical_options: &'static str,
    canonical_document: &'static str,
    options_hash: &'static str,
    document_hash: &'static str,
    combined_hash: &'static str,
    signature_hex: &'static str,
}

/// A file of `tests/vectors/credentials/`, built into the test binary.
macro_rules! vector_file {
    ($($part:literal),+) => {
        include_str!(concat!("../../../../tests/vectors/credentials/", $($part),+))
    };
}

/// The vector of directory `$dir`, whose files end in `$suffix`, signed by the key pair in `$keys`.
macro_rules! vector {
    ($dir:literal, $suffix:literal, $keys:literal) => {
        Vector {
            signed: vector_file!($dir, "/signed", $suffix, ".json"),
            proof_options: vector_file!($dir, "/proofConfig", $suffix, ".json"),
            key_pair: vector_file!($keys),
            canonical_options: vector_file!($dir, "/proofCanon", $suffix, ".txt"),
            canonical_document: vector_file!($dir, "/canonDoc", $suffix, ".txt"),
            options_hash: vector_file!($dir, "/proofHash", $suffix, ".txt"),
            document_hash: vector_file!($dir, "/docHash", $suffix, ".txt"),
            combined_hash: vector_file!($dir, "/combinedHash", $suffix, ".txt"),
            signature_hex: vector_file!($dir, "/sigHex", $suffix, ".txt"),
        }
    };
}

fn vectors() -> [(&'static str, Vector); 3] {
    [
        ("eddsa-jcs-2022", vector!("eddsa-jcs-2022", "JCS", "ed25519KeyPair.json")),
        ("ecdsa-jcs-2019-p256", vector!("ecdsa-jcs-2019-p256", "JCSECDSAP256", "p256KeyPair.json")),
        ("ecdsa-jcs-2019-p384", vector!("ecdsa-jcs-2019-p384", "JCSECDSAP384", "p384KeyPair.json")),
    ]
}

impl Vector {
    fn credential(&self) -> Value {
        serde_json::from_str(self.signed).unwrap()
    }

    fn key(&self) -> PublicKey {
        let pair: Value = serde_json::from_str(self.key_pair).unwrap();
        decode_multikey(pair["publicKeyMultibase"].as_str().unwrap()).unwrap()
    }
}

/// Verifies the only proof of `credential` with `key` for `assertionMethod`.
fn verify(credential: Value, key: &PublicKey) -> Result<(), CredentialError> {
    let credential = Credential::parse(credential)?;
    let proofs = credential.proofs();
    let proof = DataIntegrityProof::parse(proofs.first().ok_or(CredentialError::NoProof)?)?;
    proof.verify(&credential, key, "assertionMethod")
}

/// `credential` with `edit` applied to its proof.
fn with_proof(mut credential: Value, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    edit(credential["proof"].as_object_mut().unwrap());
    credential
}

#[test]
fn each_signed_w3c_vector_verifies() {
    for (name, vector) in vectors() {
        assert_eq!(verify(vector.credential(), &vector.key()), Ok(()), "{name}");
    }
}

#[test]
fn intermediate_values_match_the_w3c_vectors() {
    for (name, vector) in vectors() {
        let credential = Credential::parse(vector.credential()).unwrap();
        let proof = DataIntegrityProof::parse(credential.proofs()[0]).unwrap();
        let published_options: Value = serde_json::from_str(vector.proof_options).unwrap();
        assert_eq!(Value::Object(proof.options.clone()), published_options, "{name}: the proof without proofValue");
        let (options, document) = proof.canonical_parts(&credential).unwrap();
        assert_eq!(String::from_utf8(options.clone()).unwrap(), vector.canonical_options.trim(), "{name}");
        assert_eq!(String::from_utf8(document.clone()).unwrap(), vector.canonical_document.trim(), "{name}");
        let combined = if vector.key().key_type() == KeyType::P384 {
            hash_data::<Sha384>(&options, &document)
        } else {
            hash_data::<Sha256>(&options, &document)
        };
        let half = combined.len() / 2;
        assert_eq!(hex::encode(&combined[..half]), vector.options_hash.trim(), "{name}: options hash first");
        assert_eq!(hex::encode(&combined[half..]), vector.document_hash.trim(), "{name}: document hash second");
        assert_eq!(hex::encode(&combined), vector.combined_hash.trim(), "{name}");
        assert_eq!(hex::encode(&proof.signature), vector.signature_hex.trim(), "{name}: proofValue decoding");
    }
}

#[test]
fn a_tampered_document_fails_the_signature() {
    for (name, vector) in vectors() {
        let mut credential = vector.credential();
        credential["credentialSubject"]["alumniOf"] = json!("The School of Forgeries");
        assert_eq!(verify(credential, &vector.key()), Err(CredentialError::SignatureMismatch), "{name}");
    }
}

#[test]
fn a_tampered_proof_option_fails_the_signature() {
    for (name, vector) in vectors() {
        let credential = with_proof(vector.credential(), |proof| {
            proof.insert("created".into(), json!("2024-02-24T23:36:38Z"));
        });
        assert_eq!(verify(credential, &vector.key()), Err(CredentialError::SignatureMismatch), "{name}");
        let credential = with_proof(vector.credential(), |proof| {
            proof.insert("verificationMethod".into(), json!("did:example:other#key-1"));
        });
        assert_eq!(verify(credential, &vector.key()), Err(CredentialError::SignatureMismatch), "{name}");
    }
}

#[test]
fn another_key_of_the_right_type_fails_the_signature() {
    let other_ed25519 = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let other_ed25519 = PublicKey::from_raw(KeyType::Ed25519, other_ed25519.as_bytes()).unwrap();
    let [(_, eddsa), (_, p256), (_, p384)] = vectors();
    assert_eq!(verify(eddsa.credential(), &other_ed25519), Err(CredentialError::SignatureMismatch));
    // No second ECDSA signer is published: the curves' generator points are valid keys that did not sign.
    let generator = PublicKey::P256(p256::PublicKey::from_affine(p256::AffinePoint::GENERATOR).unwrap());
    assert_eq!(verify(p256.credential(), &generator), Err(CredentialError::SignatureMismatch));
    let generator = PublicKey::P384(p384::PublicKey::from_affine(p384::AffinePoint::GENERATOR).unwrap());
    assert_eq!(verify(p384.credential(), &generator), Err(CredentialError::SignatureMismatch));
    // A P-256 key cannot check a 96-byte P-384 signature.
    assert_eq!(
        verify(p384.credential(), &p256.key()),
        Err(CredentialError::SignatureLength { expected: 64, found: 96 })
    );
}

#[test]
fn a_proof_for_another_purpose_is_refused() {
    let [(_, eddsa), ..] = vectors();
    let credential = Credential::parse(eddsa.credential()).unwrap();
    let proof = DataIntegrityProof::parse(credential.proofs()[0]).unwrap();
    assert_eq!(
        proof.verify(&credential, &eddsa.key(), "authentication"),
        Err(CredentialError::WrongProofPurpose { expected: "authentication".into(), found: "assertionMethod".into() })
    );
}

#[test]
fn a_wrong_cryptosuite_is_refused() {
    let [(_, eddsa), (_, p256), _] = vectors();
    let rdfc = with_proof(eddsa.credential(), |proof| {
        proof.insert("cryptosuite".into(), json!("eddsa-rdfc-2022"));
    });
    assert_eq!(verify(rdfc, &eddsa.key()), Err(CredentialError::UnsupportedCryptosuite("eddsa-rdfc-2022".into())));
    let ecdsa_named = with_proof(eddsa.credential(), |proof| {
        proof.insert("cryptosuite".into(), json!("ecdsa-jcs-2019"));
    });
    assert_eq!(
        verify(ecdsa_named, &eddsa.key()),
        Err(CredentialError::KeyNotForCryptosuite { cryptosuite: "ecdsa-jcs-2019", key_type: "ed25519-pub" })
    );
    assert_eq!(
        verify(p256.credential(), &eddsa.key()),
        Err(CredentialError::KeyNotForCryptosuite { cryptosuite: "ecdsa-jcs-2019", key_type: "ed25519-pub" })
    );
    let legacy = with_proof(eddsa.credential(), |proof| {
        proof.insert("type".into(), json!("Ed25519Signature2020"));
    });
    assert_eq!(verify(legacy, &eddsa.key()), Err(CredentialError::UnsupportedProofType("Ed25519Signature2020".into())));
}

#[test]
fn the_credential_context_must_start_with_the_proof_context() {
    let [(_, eddsa), ..] = vectors();
    let reordered = with_proof(eddsa.credential(), |proof| {
        proof["@context"].as_array_mut().unwrap().reverse();
    });
    assert_eq!(verify(reordered, &eddsa.key()), Err(CredentialError::ContextMismatch));
    // Contexts appended to the credential after signing are not hashed: the proof's @context is.
    let mut appended = eddsa.credential();
    appended["@context"].as_array_mut().unwrap().push(json!("https://example.org/appended/v1"));
    assert_eq!(verify(appended, &eddsa.key()), Ok(()));
}

#[test]
fn malformed_proofs_get_precise_errors() {
    let [(_, eddsa), ..] = vectors();
    let key = eddsa.key();
    let edited = |edit: fn(&mut Map<String, Value>)| verify(with_proof(eddsa.credential(), edit), &key);
    assert_eq!(edited(|p| drop(p.remove("proofValue"))), Err(CredentialError::MissingProofMember("proofValue")));
    assert_eq!(edited(|p| drop(p.remove("cryptosuite"))), Err(CredentialError::MissingProofMember("cryptosuite")));
    assert_eq!(
        edited(|p| drop(p.insert("proofPurpose".into(), json!(["assertionMethod"])))),
        Err(CredentialError::ProofMemberNotString("proofPurpose"))
    );
    assert!(matches!(
        edited(|p| drop(p.insert("proofValue".into(), json!("uAAAA")))),
        Err(CredentialError::InvalidProofValue(_))
    ));
    assert!(matches!(
        edited(|p| drop(p.insert("proofValue".into(), json!("z0OIl")))),
        Err(CredentialError::InvalidProofValue(_))
    ));
    assert_eq!(
        edited(|p| drop(p.insert("proofValue".into(), json!("z2222")))),
        Err(CredentialError::SignatureLength { expected: 64, found: 3 })
    );
    assert_eq!(
        edited(|p| drop(p.insert("created".into(), json!("yesterday")))),
        Err(CredentialError::InvalidDateTime { member: "proof.created", value: "yesterday".into() })
    );
    let mut huge = eddsa.credential();
    huge["credentialSubject"]["count"] = json!(1u64 << 60);
    assert!(matches!(verify(huge, &key), Err(CredentialError::Canonicalization(_))));
    let mut unsigned = eddsa.credential();
    unsigned.as_object_mut().unwrap().remove("proof");
    assert_eq!(verify(unsigned, &key), Err(CredentialError::NoProof));
}

#[test]
fn multikeys_of_other_types_are_refused() {
    for (_, vector) in vectors() {
        assert_eq!(vector.key().to_multibase(), {
            let pair: Value = serde_json::from_str(vector.key_pair).unwrap();
            pair["publicKeyMultibase"].as_str().unwrap().to_owned()
        });
    }
    // An X25519 key (0xec) and a P-521 key (0x1202) are valid keys that no supported suite signs with.
    let x25519 = PublicKey::from_raw(KeyType::X25519, &[9; 32]).unwrap();
    assert_eq!(decode_multikey(&x25519.to_multibase()), Err(CredentialError::UnsupportedKeyType("x25519-pub")));
    let p521 = PublicKey::P521(p521::PublicKey::from_affine(p521::AffinePoint::GENERATOR).unwrap());
    assert_eq!(decode_multikey(&p521.to_multibase()), Err(CredentialError::UnsupportedKeyType("p521-pub")));
    let [(_, eddsa), ..] = vectors();
    let multibase = eddsa.key().to_multibase();
    assert!(matches!(decode_multikey(&format!("1:{multibase}")), Err(CredentialError::InvalidMultikey(_))));
    assert!(matches!(decode_multikey(&multibase[1..]), Err(CredentialError::InvalidMultikey(_))));
    assert!(matches!(decode_multikey("z6Mk"), Err(CredentialError::InvalidMultikey(_))));
}

/// Small JSON values of every kind, with strings near the ones credentials hold.
fn json_values() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON has no NaN or infinity", |x| x.is_finite()).prop_map(Value::from),
        prop_oneof![
            Just("VerifiableCredential".to_owned()),
            Just("DataIntegrityProof".to_owned()),
            Just("z".to_owned()),
            "z[1-9A-HJ-NP-Za-km-z]{0,100}",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",
            any::<String>(),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(("[a-z@]{1,8}", inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    /// Any change to a member of a signed credential or of its proof is refused with an error, never a panic and
    /// never a success.
    #[test]
    fn any_edit_of_a_signed_vector_is_refused(
        vector in 0..3usize,
        in_proof in proptest::bool::ANY,
        member in proptest::sample::select(vec![
            "@context", "id", "type", "issuer", "validFrom", "validUntil", "credentialSubject", "cryptosuite",
            "created", "verificationMethod", "proofPurpose", "proofValue", "proof", "extra",
        ]),
        value in json_values(),
    ) {
        let (_, vector) = vectors().into_iter().nth(vector).unwrap();
        let original = vector.credential();
        let mut edited = original.clone();
        let target = if in_proof { &mut edited["proof"] } else { &mut edited };
        target.as_object_mut().unwrap().insert(member.to_owned(), value);
        let outcome = verify(edited.clone(), &vector.key());
        proptest::prop_assert_eq!(outcome.is_ok(), edited == original, "{:?}", outcome);
    }
}
