//! End-to-end checks of the registry core: author a registry, publish signed snapshots, verify them against the
//! authority's DID document, refuse every kind of forgery with its own reason, and answer as-of-time questions.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::Signer as _;
use rand_core::OsRng;
use serde_json::{json, Value};
use sha2::Digest as _;
use trustnode_jcs::JcsError;
use trustnode_registry::evaluate::{Query, RegistryIndex, Standing};
use trustnode_registry::jws::{Algorithm, JwsError, SigningKey, SigningKeyType, SNAPSHOT_JWS_TYPE};
use trustnode_registry::merkle::{leaf_hash, verify_inclusion};
use trustnode_registry::model::{EntityMetadata, NewStatement, RegistrySource, StatementKind, Status, Timestamp};
use trustnode_registry::snapshot::{CanonicalSnapshot, SnapshotError};

const UNIVERSITY: &str = "did:web:university.example";
const BADGE: &str = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential";

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// A did:key style DID document whose `assertionMethod` lists `key` by its absolute id.
fn did_key_document(key: &SigningKey) -> Value {
    let (did, kid) = (key.did_key().unwrap(), key.did_key_url().unwrap());
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{
            "id": kid, "type": "Multikey", "controller": did, "publicKeyMultibase": key.public_key().to_did_key().unwrap().to_multibase()
        }],
        "authentication": [kid],
        "assertionMethod": [kid],
    })
}

/// A registry of `authority` with one authorization for the university, plus its first snapshot.
fn registry(authority: &str) -> (RegistrySource, CanonicalSnapshot) {
    let mut source = RegistrySource::init(authority, "Board of Higher Education", Some("https://board.example/gf"))
        .expect("valid registry");
    let metadata = EntityMetadata {
        name: "Example University".into(),
        legal_name: Some("Example University, Inc.".into()),
        homepage: Some("https://university.example/".into()),
        ror_id: Some("https://ror.org/00example".into()),
        ..Default::default()
    };
    source.upsert_entity(UNIVERSITY, metadata).unwrap();
    source
        .add_statement(NewStatement {
            kind: StatementKind::Authorization,
            entity_id: UNIVERSITY.into(),
            action: "issue".into(),
            resource: BADGE.into(),
            valid_from: at("2025-01-01T00:00:00Z"),
            valid_until: Some(at("2027-01-01T00:00:00Z")),
        })
        .unwrap();
    let snapshot =
        CanonicalSnapshot::build(&source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z")).unwrap();
    (source, snapshot)
}

/// A detached JWS with an arbitrary header, correctly signed by `key`, to test header checks in isolation.
/// What a snapshot's JWS signs: the canonical JSON of its signed header.
fn signed_payload(snapshot: &CanonicalSnapshot) -> Vec<u8> {
    snapshot.signed_header().signing_bytes().unwrap()
}

fn jws_with_header(header: Value, key: &SigningKey, payload: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let signature = match key {
        SigningKey::Ed25519(inner) => inner.sign(input.as_bytes()).to_bytes().to_vec(),
        SigningKey::P256(inner) => {
            let signature: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(inner, input.as_bytes());
            signature.to_bytes().to_vec()
        }
    };
    format!("{header}..{}", URL_SAFE_NO_PAD.encode(signature))
}

fn signature_error(result: Result<impl std::fmt::Debug, SnapshotError>) -> JwsError {
    match result {
        Err(SnapshotError::Signature(error)) => error,
        other => panic!("expected a signature refusal, got {other:?}"),
    }
}

#[test]
fn ed25519_and_p256_snapshots_verify_against_the_authority_document() {
    for (key_type, algorithm) in [(SigningKeyType::Ed25519, Algorithm::EdDsa), (SigningKeyType::P256, Algorithm::Es256)]
    {
        let key = SigningKey::generate(key_type, &mut OsRng);
        let (_, snapshot) = registry(&key.did_key().unwrap());
        let jws = snapshot.sign(&key, &key.did_key_url().unwrap()).unwrap();

        let published = CanonicalSnapshot::parse(snapshot.bytes().to_vec()).unwrap();
        let verified = published.verify_signature(&jws, &did_key_document(&key)).unwrap();
        assert_eq!((verified.algorithm, verified.kid.as_str()), (algorithm, key.did_key_url().unwrap().as_str()));
        assert_eq!(published.digest(), snapshot.digest());
    }
}

/// The README's rule, applied to the published file alone: the signed header is the file without `statements`,
/// with `entities` replaced by `entities_digest` = sha256 of the entities' canonical JSON.
#[test]
fn the_signature_covers_the_header_recomputed_from_the_published_file() {
    let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let (_, snapshot) = registry(&key.did_key().unwrap());
    let jws = snapshot.sign(&key, &key.did_key_url().unwrap()).unwrap();
    let mut header: Value = serde_json::from_slice(snapshot.bytes()).unwrap();
    let members = header.as_object_mut().unwrap();
    members.remove("statements");
    let entities = members.remove("entities").unwrap();
    let digest = sha2::Sha256::digest(trustnode_jcs::canonicalize(&entities).unwrap());
    members.insert("entities_digest".into(), json!(format!("sha256:{}", hex::encode(digest))));
    let recomputed = trustnode_jcs::canonicalize(&header).unwrap();
    assert_eq!(recomputed, signed_payload(&snapshot));
    let signature = jws.split("..").nth(1).unwrap();
    let encoded_header = jws.split("..").next().unwrap();
    let input = format!("{encoded_header}.{}", URL_SAFE_NO_PAD.encode(&recomputed));
    let SigningKey::Ed25519(secret) = &key else { unreachable!() };
    ed25519_dalek::Verifier::verify(
        &secret.verifying_key(),
        input.as_bytes(),
        &ed25519_dalek::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap(),
    )
    .expect("the JWS signs the recomputed header");
}

#[test]
fn relative_embedded_and_jwk_verification_methods_are_accepted() {
    let key = SigningKey::generate(SigningKeyType::P256, &mut OsRng);
    let authority = "did:web:board.example";
    let (_, snapshot) = registry(authority);
    let kid = format!("{authority}#key-2");
    let jws = snapshot.sign(&key, &kid).unwrap();
    let jwk_method = json!({"id": "#key-2", "type": "JsonWebKey", "controller": authority, "publicKeyJwk": key.public_key().to_jwk().unwrap()});
    let documents = [
        json!({"id": authority, "verificationMethod": [jwk_method], "assertionMethod": ["#key-2"]}),
        json!({"id": authority, "verificationMethod": [jwk_method], "assertionMethod": [kid]}),
        json!({"id": authority, "assertionMethod": [jwk_method]}),
    ];
    for document in documents {
        assert!(snapshot.verify_signature(&jws, &document).is_ok(), "{document}");
    }
}

#[test]
fn forgeries_are_refused_each_with_its_reason() {
    let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let kid = key.did_key_url().unwrap();
    let document = did_key_document(&key);
    let (_, snapshot) = registry(&key.did_key().unwrap());
    let jws = snapshot.sign(&key, &kid).unwrap();

    // A tampered byte that keeps the file canonical and the Merkle root intact: only the signature catches it.
    let tampered = String::from_utf8(snapshot.bytes().to_vec()).unwrap().replace("Board of", "Board 0f");
    let tampered = CanonicalSnapshot::parse(tampered.into_bytes()).unwrap();
    assert_eq!(signature_error(tampered.verify_signature(&jws, &document)), JwsError::BadSignature);

    // Another key, claiming to be the authority's.
    let intruder = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let forged = jws_with_header(
        json!({"alg": "EdDSA", "kid": kid, "typ": SNAPSHOT_JWS_TYPE}),
        &intruder,
        &signed_payload(&snapshot),
    );
    assert_eq!(signature_error(snapshot.verify_signature(&forged, &document)), JwsError::BadSignature);

    // The right key, but listed only for authentication.
    let mut not_assertion = document.clone();
    not_assertion["assertionMethod"] = json!([]);
    assert_eq!(
        signature_error(snapshot.verify_signature(&jws, &not_assertion)),
        JwsError::KeyNotInAssertionMethod(kid.clone())
    );

    // Listed in assertionMethod but defined nowhere.
    let mut undefined = document.clone();
    undefined["verificationMethod"] = json!([]);
    assert_eq!(
        signature_error(snapshot.verify_signature(&jws, &undefined)),
        JwsError::UnknownVerificationMethod(kid.clone())
    );

    // A signature of the right key, but typed as something else, or untyped.
    for typ in [json!("JWT"), Value::Null] {
        let mut header = json!({"alg": "EdDSA", "kid": kid});
        if !typ.is_null() {
            header["typ"] = typ.clone();
        }
        let mistyped = jws_with_header(header, &key, &signed_payload(&snapshot));
        assert!(matches!(signature_error(snapshot.verify_signature(&mistyped, &document)), JwsError::WrongType { .. }));
    }

    let wrong_alg = jws_with_header(
        json!({"alg": "HS256", "kid": kid, "typ": SNAPSHOT_JWS_TYPE}),
        &key,
        &signed_payload(&snapshot),
    );
    assert_eq!(
        signature_error(snapshot.verify_signature(&wrong_alg, &document)),
        JwsError::UnsupportedAlgorithm(Some("\"HS256\"".into()))
    );
    let mismatched = jws_with_header(
        json!({"alg": "ES256", "kid": kid, "typ": SNAPSHOT_JWS_TYPE}),
        &key,
        &signed_payload(&snapshot),
    );
    assert!(matches!(
        signature_error(snapshot.verify_signature(&mismatched, &document)),
        JwsError::AlgorithmKeyMismatch { algorithm: "ES256", key_type: "Ed25519", .. }
    ));
    let critical = jws_with_header(
        json!({"alg": "EdDSA", "kid": kid, "typ": SNAPSHOT_JWS_TYPE, "crit": ["b64"], "b64": false}),
        &key,
        &signed_payload(&snapshot),
    );
    assert!(matches!(
        signature_error(snapshot.verify_signature(&critical, &document)),
        JwsError::UnsupportedCritical(_)
    ));

    // A kid of another DID, even one whose document would list it.
    let other = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let foreign = jws_with_header(
        json!({"alg": "EdDSA", "kid": other.did_key_url().unwrap(), "typ": SNAPSHOT_JWS_TYPE}),
        &other,
        &signed_payload(&snapshot),
    );
    assert!(matches!(
        signature_error(snapshot.verify_signature(&foreign, &did_key_document(&other))),
        JwsError::KidNotOfAuthority { .. }
    ));
    // The right kid, but the document of someone else.
    assert!(matches!(
        signature_error(snapshot.verify_signature(&jws, &did_key_document(&other))),
        JwsError::DocumentNotOfAuthority { .. }
    ));
    // An attached (non-detached) JWS.
    let attached = jws.replace("..", &format!(".{}.", URL_SAFE_NO_PAD.encode(snapshot.bytes())));
    assert!(matches!(signature_error(snapshot.verify_signature(&attached, &document)), JwsError::Malformed(_)));
}

#[test]
fn non_canonical_and_unsafe_integer_snapshots_are_refused() {
    let (_, snapshot) = registry("did:web:board.example");
    let value: Value = serde_json::from_slice(snapshot.bytes()).unwrap();

    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    assert!(matches!(CanonicalSnapshot::parse(pretty), Err(SnapshotError::NonCanonical { .. })));

    let escaped = String::from_utf8(snapshot.bytes().to_vec()).unwrap().replace("Board of", "Board\\u0020of");
    assert!(matches!(CanonicalSnapshot::parse(escaped.into_bytes()), Err(SnapshotError::NonCanonical { .. })));

    let huge = String::from_utf8(snapshot.bytes().to_vec())
        .unwrap()
        .replace("\"sequence\":1", "\"sequence\":9007199254740993");
    assert_eq!(
        CanonicalSnapshot::parse(huge.into_bytes()).unwrap_err(),
        SnapshotError::Canonicalization(JcsError::IntegerOutOfRange("9007199254740993".into()))
    );

    let mut unknown_member = value.clone();
    unknown_member["extra"] = json!(true);
    let bytes = trustnode_jcs::canonicalize(&unknown_member).unwrap();
    assert!(matches!(CanonicalSnapshot::parse(bytes), Err(SnapshotError::Malformed(why)) if why.contains("extra")));
}

#[test]
fn a_chain_of_snapshots_rejects_rollback_and_replay() {
    let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let (mut source, one) = registry(&key.did_key().unwrap());
    source.change_status("s1", Status::Suspended, at("2025-06-01T10:00:00Z"), "audit").unwrap();
    let two =
        CanonicalSnapshot::build(&source, Some(&one), at("2025-06-02T00:00:00Z"), at("2025-06-03T00:00:00Z")).unwrap();
    assert!(two.check_follows(&one).is_ok());
    assert_eq!(one.check_follows(&two).unwrap_err(), SnapshotError::SequenceNotNext { current: 2, found: 1 });
    assert_eq!(two.check_follows(&two).unwrap_err(), SnapshotError::SequenceNotNext { current: 2, found: 2 });
}

#[test]
fn time_travel() {
    let authority = "did:web:board.example";
    let (mut source, _) = registry(authority);
    let degree = |source: &mut RegistrySource, from: &str| {
        source
            .add_statement(NewStatement {
                kind: StatementKind::Authorization,
                entity_id: UNIVERSITY.into(),
                action: "issue".into(),
                resource: "Degree".into(),
                valid_from: at(from),
                valid_until: None,
            })
            .unwrap()
    };
    let revoked = degree(&mut source, "2020-01-01T00:00:00Z");
    source.change_status(&revoked, Status::Revoked, at("2024-03-01T00:00:00Z"), "accreditation lost").unwrap();
    source.change_status("s1", Status::Suspended, at("2025-03-01T00:00:00Z"), "audit").unwrap();
    source.change_status("s1", Status::Active, at("2025-04-01T00:00:00Z"), "audit passed").unwrap();
    let snapshot =
        CanonicalSnapshot::build(&source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z")).unwrap();
    let index = RegistryIndex::new(snapshot);

    let ask = |resource: &str, when: &str| {
        let query = Query {
            kind: StatementKind::Authorization,
            entity_id: UNIVERSITY,
            action: "issue",
            resource,
            at: at(when),
        };
        let answer = index.evaluate(&query);
        (answer.status, answer.reason.map(str::to_owned), answer.granted())
    };
    assert_eq!(ask("Degree", "2024-02-29T23:59:59Z"), (Standing::Active, None, true));
    assert_eq!(ask("Degree", "2024-03-01T00:00:00Z"), (Standing::Revoked, Some("accreditation lost".into()), false));
    assert_eq!(ask(BADGE, "2025-02-01T00:00:00Z"), (Standing::Active, None, true));
    assert_eq!(ask(BADGE, "2025-03-15T00:00:00Z"), (Standing::Suspended, Some("audit".into()), false));
    assert_eq!(ask(BADGE, "2025-04-15T00:00:00Z"), (Standing::Active, Some("audit passed".into()), true));
    assert_eq!(ask(BADGE, "2027-01-01T00:00:00Z"), (Standing::Expired, None, false));
    assert_eq!(ask(BADGE, "2024-12-31T23:59:59Z"), (Standing::NotYetValid, None, false));
    assert_eq!(ask("Diploma", "2025-04-15T00:00:00Z"), (Standing::Unknown, None, false));
    assert!(!index.knows_resource("Diploma") && index.knows_resource("Degree"));

    let answer = index.evaluate(&Query {
        kind: StatementKind::Authorization,
        entity_id: UNIVERSITY,
        action: "issue",
        resource: BADGE,
        at: at("2025-04-15T00:00:00Z"),
    });
    assert_eq!((answer.statement_id, answer.valid_until), (Some("s1"), Some(at("2027-01-01T00:00:00Z"))));
}

#[test]
fn one_statement_is_provable_without_the_others() {
    let (mut source, _) = registry("did:web:board.example");
    for n in 0..20 {
        let entity = format!("did:web:school{n}.example");
        source.upsert_entity(&entity, EntityMetadata { name: format!("School {n}"), ..Default::default() }).unwrap();
        source
            .add_statement(NewStatement {
                kind: StatementKind::Authorization,
                entity_id: entity,
                action: "issue".into(),
                resource: "Badge".into(),
                valid_from: at("2025-01-01T00:00:00Z"),
                valid_until: None,
            })
            .unwrap();
    }
    let snapshot =
        CanonicalSnapshot::build(&source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z")).unwrap();
    let root = snapshot.snapshot().merkle_root.0;
    for (index, statement) in snapshot.snapshot().statements.iter().enumerate() {
        let leaf = leaf_hash(&trustnode_jcs::to_canonical(statement).unwrap());
        let proof = snapshot.merkle_tree().inclusion_proof(index as u64).unwrap();
        assert_eq!(verify_inclusion(&leaf, &proof, &root), Ok(()));
        let mut flipped = leaf;
        flipped[index % 32] ^= 0x01;
        assert!(verify_inclusion(&flipped, &proof, &root).is_err());
    }
}

#[test]
fn an_invalid_source_is_not_signed() {
    let (mut source, _) = registry("did:web:board.example");
    source.statements[0].history.clear();
    let result = CanonicalSnapshot::build(&source, None, at("2025-06-01T00:00:00Z"), at("2025-06-02T00:00:00Z"));
    let Err(SnapshotError::InvalidSource(error)) = result else { panic!("expected InvalidSource") };
    assert!(error.to_string().contains("statements[0].history"), "{error}");
}
