//! The W3C test vectors of vc-di-eddsa (`eddsa-rdfc-2022`, `eddsa-jcs-2022`, `Ed25519Signature2020`) and vc-di-ecdsa
//! (`ecdsa-rdfc-2019` and `ecdsa-jcs-2019`, P-256 and P-384), copied under `tests/vectors/credentials/` (see the
//! README there): each signed credential verifies, each intermediate value (canonical forms, hashes, signature)
//! matches, and each kind of tampering fails with its own error.

use serde_json::{json, Value};

use crate::model::Credential;
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

fn vectors() -> [(&'static str, Vector); 7] {
    [
        ("eddsa-jcs-2022", vector!("eddsa-jcs-2022", "JCS", "ed25519KeyPair.json")),
        ("ecdsa-jcs-2019-p256", vector!("ecdsa-jcs-2019-p256", "JCSECDSAP256", "p256KeyPair.json")),
        ("ecdsa-jcs-2019-p384", vector!("ecdsa-jcs-2019-p384", "JCSECDSAP384", "p384KeyPair.json")),
        ("eddsa-rdfc-2022", vector!("eddsa-rdfc-2022", "DataInt", "ed25519KeyPair.json")),
        ("Ed25519Signature2020", vector!("Ed25519Signature2020", "EdSig", "ed25519KeyPair.json")),
        ("ecdsa-rdfc-2019-p256", vector!("ecdsa-rdfc-2019-p256", "ECDSAP256", "p256KeyPair.json")),
        ("ecdsa-rdfc-2019-p384", vector!("ecdsa-rdfc-2019-p384", "ECDSAP384", "p384KeyPair.json")),
    ]
}

/// The vector named `name`.
fn vector(name: &str) -> Vector {
    vectors().into_iter().find(|(vector, _)| *vector == name).map(|(_, vector)| vector).unwrap()
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
    proof.verify(credential.document(), key, "assertionMethod", &ContextSet::bundled())
}

/// The canonical options and document of the only proof of `credential`, hashed as its key requires.
fn canonical_parts(credential: &Value, key: &PublicKey) -> Result<(Vec<u8>, Vec<u8>), CredentialError> {
    let document = credential.as_object().ok_or(CredentialError::NotAnObject)?;
    let proof = document.get("proof").and_then(Value::as_object).ok_or(CredentialError::NoProof)?;
    let hash = if key.key_type() == KeyType::P384 { Hash::Sha384 } else { Hash::Sha256 };
    DataIntegrityProof::parse(proof)?.canonical_parts(document, &ContextSet::bundled(), hash)
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
        let mut published_options: Value = serde_json::from_str(vector.proof_options).unwrap();
        if proof.cryptosuite.transformation() == Transformation::Rdfc {
            // The RDF suites' published proof configuration carries the document's @context, added when hashing.
            assert_eq!(published_options["@context"], vector.credential()["@context"], "{name}");
            published_options.as_object_mut().unwrap().remove("@context");
        }
        assert_eq!(Value::Object(proof.options.clone()), published_options, "{name}: the proof without proofValue");
        let (options, document) = canonical_parts(&vector.credential(), &vector.key()).unwrap();
        // JCS forms are published without a final newline; N-Quads end each line with one.
        let published = |text: &str| {
            if proof.cryptosuite.transformation() == Transformation::Jcs { text.trim() } else { text }.to_owned()
        };
        assert_eq!(String::from_utf8(options.clone()).unwrap(), published(vector.canonical_options), "{name}");
        assert_eq!(String::from_utf8(document.clone()).unwrap(), published(vector.canonical_document), "{name}");
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
    // No second ECDSA signer is published: the curves' generator points are valid keys that did not sign.
    let other_p256 = PublicKey::P256(p256::PublicKey::from_affine(p256::AffinePoint::GENERATOR).unwrap());
    let other_p384 = PublicKey::P384(p384::PublicKey::from_affine(p384::AffinePoint::GENERATOR).unwrap());
    for (name, vector) in vectors() {
        let other = match vector.key().key_type() {
            KeyType::Ed25519 => &other_ed25519,
            KeyType::P256 => &other_p256,
            _ => &other_p384,
        };
        assert_eq!(verify(vector.credential(), other), Err(CredentialError::SignatureMismatch), "{name}");
    }
    // A P-256 key cannot check a 96-byte P-384 signature.
    for (p256, p384) in
        [("ecdsa-jcs-2019-p256", "ecdsa-jcs-2019-p384"), ("ecdsa-rdfc-2019-p256", "ecdsa-rdfc-2019-p384")]
    {
        assert_eq!(
            verify(vector(p384).credential(), &vector(p256).key()),
            Err(CredentialError::SignatureLength { expected: 64, found: 96 })
        );
    }
}

#[test]
fn a_proof_for_another_purpose_is_refused() {
    for (name, vector) in vectors() {
        let credential = Credential::parse(vector.credential()).unwrap();
        let proof = DataIntegrityProof::parse(credential.proofs()[0]).unwrap();
        assert_eq!(proof.proof_purpose(), "assertionMethod");
        assert_eq!(
            proof.verify(credential.document(), &vector.key(), "authentication", &ContextSet::bundled()),
            Err(CredentialError::WrongProofPurpose {
                expected: "authentication".into(),
                found: "assertionMethod".into()
            }),
            "{name}"
        );
        // Claiming the other purpose in the proof changes the signed options.
        let claimed = with_proof(vector.credential(), |proof| {
            proof.insert("proofPurpose".into(), json!("authentication"));
        });
        let credential = Credential::parse(claimed).unwrap();
        let proof = DataIntegrityProof::parse(credential.proofs()[0]).unwrap();
        assert_eq!(
            proof.verify(credential.document(), &vector.key(), "authentication", &ContextSet::bundled()),
            Err(CredentialError::SignatureMismatch),
            "{name}"
        );
    }
}

#[test]
fn a_wrong_cryptosuite_is_refused() {
    let (eddsa, p256) = (vector("eddsa-jcs-2022"), vector("ecdsa-jcs-2019-p256"));
    let selective = with_proof(eddsa.credential(), |proof| {
        proof.insert("cryptosuite".into(), json!("ecdsa-sd-2023"));
    });
    assert_eq!(verify(selective, &eddsa.key()), Err(CredentialError::UnsupportedCryptosuite("ecdsa-sd-2023".into())));
    // A JCS proof renamed to the RDF suite of the same key is hashed differently, so the signature fails.
    let rdfc = with_proof(eddsa.credential(), |proof| {
        proof.insert("cryptosuite".into(), json!("eddsa-rdfc-2022"));
    });
    assert_eq!(verify(rdfc, &eddsa.key()), Err(CredentialError::SignatureMismatch));
    let legacy = with_proof(vector("eddsa-rdfc-2022").credential(), |proof| {
        proof.insert("type".into(), json!("Ed25519Signature2020"));
        proof.remove("cryptosuite");
    });
    assert_eq!(verify(legacy, &eddsa.key()), Err(CredentialError::SignatureMismatch));
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
    let other_type = with_proof(eddsa.credential(), |proof| {
        proof.insert("type".into(), json!("BbsBlsSignature2020"));
    });
    assert_eq!(
        verify(other_type, &eddsa.key()),
        Err(CredentialError::UnsupportedProofType("BbsBlsSignature2020".into()))
    );
}

#[test]
fn the_credential_context_must_start_with_the_proof_context() {
    let eddsa = vector("eddsa-jcs-2022");
    let reordered = with_proof(eddsa.credential(), |proof| {
        proof["@context"].as_array_mut().unwrap().reverse();
    });
    assert_eq!(verify(reordered, &eddsa.key()), Err(CredentialError::ContextMismatch));
    // A JCS proof hashes its own @context, not the credential's: a known context appended after signing is not
    // covered.
    let mut appended = eddsa.credential();
    appended["@context"].as_array_mut().unwrap().push(json!("https://w3id.org/security/multikey/v1"));
    assert_eq!(verify(appended, &eddsa.key()), Ok(()));
}

#[test]
fn a_proof_context_must_start_the_document_context_for_the_rdf_suites_too() {
    let rdfc = vector("eddsa-rdfc-2022");
    let reordered = with_proof(rdfc.credential(), |proof| {
        proof.insert("@context".into(), json!(["https://www.w3.org/ns/credentials/examples/v2"]));
    });
    assert_eq!(verify(reordered, &rdfc.key()), Err(CredentialError::ContextMismatch));
    // The proof's own @context, when it starts the document's, is the context both are processed with.
    let own = with_proof(rdfc.credential(), |proof| {
        proof.insert("@context".into(), rdfc.credential()["@context"].clone());
    });
    assert_eq!(verify(own, &rdfc.key()), Ok(()));
}

#[test]
fn the_rdf_suites_sign_the_meaning_so_a_context_that_changes_it_fails() {
    let rdfc = vector("eddsa-rdfc-2022");
    // A context that defines no term the credential uses leaves its RDF, hence what is signed, unchanged.
    let mut appended = rdfc.credential();
    appended["@context"].as_array_mut().unwrap().push(json!("https://w3id.org/security/multikey/v1"));
    assert_eq!(verify(appended, &rdfc.key()), Ok(()));
    // An operator context (known, so processed) that gives `alumniOf` another IRI changes the statements.
    let url = "https://contexts.example.edu/redefine/v1";
    let contexts = ContextSet::bundled()
        .with_operator_context(url, br#"{"@context": {"alumniOf": "https://contexts.example.edu/#forged"}}"#)
        .unwrap();
    let mut credential = rdfc.credential();
    credential["@context"].as_array_mut().unwrap().push(json!(url));
    let credential = Credential::parse(credential).unwrap();
    let proof = DataIntegrityProof::parse(credential.proofs()[0]).unwrap();
    assert_eq!(
        proof.verify(credential.document(), &rdfc.key(), "assertionMethod", &contexts),
        Err(CredentialError::SignatureMismatch)
    );
    // Without the operator's file, the same credential is refused before any processing.
    assert_eq!(
        proof.verify(credential.document(), &rdfc.key(), "assertionMethod", &ContextSet::bundled()),
        Err(CredentialError::UnknownContext(url.into()))
    );
}

#[test]
fn a_context_outside_the_set_is_refused_by_name_for_every_suite() {
    for (name, vector) in vectors() {
        let mut credential = vector.credential();
        credential["@context"].as_array_mut().unwrap().push(json!("https://tracker.example/holder-42/v1"));
        assert_eq!(
            verify(credential, &vector.key()),
            Err(CredentialError::UnknownContext("https://tracker.example/holder-42/v1".into())),
            "{name}"
        );
        // Nested anywhere, in the subject or in the proof, it is refused the same way.
        let mut credential = vector.credential();
        credential["credentialSubject"]["@context"] = json!("https://tracker.example/nested");
        assert_eq!(
            verify(credential, &vector.key()),
            Err(CredentialError::UnknownContext("https://tracker.example/nested".into())),
            "{name}"
        );
        let credential = with_proof(vector.credential(), |proof| {
            proof.insert("@context".into(), json!(["https://www.w3.org/ns/credentials/v2", "https://evil.example/"]));
        });
        assert_eq!(
            verify(credential, &vector.key()),
            Err(CredentialError::UnknownContext("https://evil.example/".into())),
            "{name}"
        );
    }
}

#[test]
fn malformed_proofs_get_precise_errors() {
    let eddsa = vector("eddsa-jcs-2022");
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
    let multibase = vector("eddsa-jcs-2022").key().to_multibase();
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

/// The bundled context URLs, and one outside the set.
fn context_urls() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::strategy::Strategy as _;
    proptest::sample::select(vec![
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/2018/credentials/v1",
        "https://www.w3.org/ns/credentials/examples/v2",
        "https://w3id.org/security/data-integrity/v2",
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        "https://www.w3.org/ns/credentials/status/v1",
        "https://w3id.org/vc/status-list/2021/v1",
        "https://www.w3.org/ns/did/v1",
        "https://unknown.example/v1",
    ])
    .prop_map(Value::from)
}

proptest::proptest! {
    /// Any change to a member of a signed credential or of its proof is refused with an error, never a panic; it
    /// verifies only when the signed bytes are unchanged: with JCS, the JSON itself; with the RDF suites, the
    /// canonical RDF, which JSON-LD leaves unchanged for some edits (a member set to `null` or `[]` is no statement).
    #[test]
    fn any_edit_of_a_signed_vector_verifies_only_if_what_is_signed_is_unchanged(
        vector in 0..7usize,
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
        let signed_unchanged = Credential::parse(edited.clone()).is_ok()
            && ContextSet::bundled().check(edited.as_object().unwrap()).is_ok()
            && edited["proof"]["proofValue"] == original["proof"]["proofValue"]
            && canonical_parts(&edited, &vector.key()).ok() == canonical_parts(&original, &vector.key()).ok();
        proptest::prop_assert_eq!(outcome.is_ok(), signed_unchanged, "{:?}", outcome);
        if edited == original {
            proptest::prop_assert!(outcome.is_ok());
        }
    }

    /// Arbitrary JSON-LD under known and unknown contexts, signed or not, into the RDF verifier: an answer, never a
    /// panic.
    #[test]
    fn arbitrary_json_ld_into_the_rdf_suites_never_panics(
        contexts in proptest::collection::vec(context_urls(), 1..4),
        members in proptest::collection::vec(("[a-zA-Z@]{1,12}", json_values()), 0..6),
        suite in proptest::sample::select(vec!["eddsa-rdfc-2022", "Ed25519Signature2020", "ecdsa-rdfc-2019-p256"]),
    ) {
        let vector = vector(suite);
        let mut document = vector.credential();
        let object = document.as_object_mut().unwrap();
        object.insert("@context".into(), Value::Array(contexts));
        for (name, value) in members {
            object.insert(name, value);
        }
        let proof = DataIntegrityProof::parse(document["proof"].as_object().unwrap()).unwrap();
        let outcome = proof.verify(document.as_object().unwrap(), &vector.key(), "assertionMethod", &ContextSet::bundled());
        if outcome.is_ok() {
            let signed = canonical_parts(&vector.credential(), &vector.key()).unwrap();
            proptest::prop_assert_eq!(canonical_parts(&document, &vector.key()).unwrap(), signed);
        }
    }
}
