//! JWS credentials signed here with ed25519-dalek, p256 and p384 directly (independent of the code under test),
//! verified with the key `authorized_method` finds under `assertionMethod`, and each way to break one refused
//! with its reason.

use ed25519_dalek::Signer as _;
use serde_json::json;

use super::*;
use crate::verification_method::authorized_method;

/// A signing key of one of the three algorithms.
enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// A signer: its alg, its public key (a did:key) and its secret.
struct Signer {
    alg: &'static str,
    key: PublicKey,
    secret: Secret,
}

impl Signer {
    fn ed25519(seed: u8) -> Signer {
        let secret = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let key = PublicKey::from_raw(KeyType::Ed25519, secret.verifying_key().as_bytes()).unwrap();
        Signer { alg: "EdDSA", key, secret: Secret::Ed25519(secret) }
    }

    fn p256() -> Signer {
        let secret = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        Signer { alg: "ES256", key: PublicKey::P256(secret.verifying_key().into()), secret: Secret::P256(secret) }
    }

    fn p384() -> Signer {
        let secret = p384::ecdsa::SigningKey::from_slice(&[9; 48]).unwrap();
        Signer { alg: "ES384", key: PublicKey::P384(secret.verifying_key().into()), secret: Secret::P384(secret) }
    }

    /// The signature of `message`: Ed25519, or ECDSA `r‖s` with the curve's hash.
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.secret {
            Secret::Ed25519(secret) => secret.sign(message).to_bytes().to_vec(),
            Secret::P256(secret) => {
                let signature: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(secret, message);
                signature.to_bytes().to_vec()
            }
            Secret::P384(secret) => {
                let signature: p384::ecdsa::Signature = p384::ecdsa::signature::Signer::sign(secret, message);
                signature.to_bytes().to_vec()
            }
        }
    }

    fn did(&self) -> String {
        format!("did:key:{}", self.key.to_multibase())
    }

    fn kid(&self) -> String {
        format!("{}#{}", self.did(), self.key.to_multibase())
    }

    /// The issuer's DID document, its key under `assertionMethod`.
    fn document(&self) -> Value {
        let (did, kid) = (self.did(), self.kid());
        json!({
            "id": did,
            "verificationMethod": [{"id": kid, "type": "Multikey", "controller": did, "publicKeyMultibase": self.key.to_multibase()}],
            "assertionMethod": [kid],
        })
    }

    fn jws(&self, header: Value, payload: Value) -> String {
        let part = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());
        let input = format!("{}.{}", part(&header), part(&payload));
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(self.sign(input.as_bytes())))
    }

    fn header(&self, typ: &str) -> Value {
        json!({"alg": self.alg, "typ": typ, "kid": self.kid()})
    }

    fn badge(&self) -> Value {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": "urn:uuid:0b4e3d9a-1c2f-4e5a-8b7c-6d5e4f3a2b1c",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": self.did(), "type": ["Profile"], "name": "Issuer"},
            "validFrom": "2025-01-01T00:00:00Z",
            "validUntil": "2030-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:learner", "type": ["AchievementSubject"]}
        })
    }

    /// Parses `jws` and verifies it with the key its `kid` finds in this signer's document.
    fn check(&self, jws: &str) -> Result<Jws, CredentialError> {
        let parsed = Jws::parse(jws)?;
        let method = authorized_method(&self.document(), parsed.kid(), "assertionMethod")?;
        parsed.verify(&method.key)?;
        Ok(parsed)
    }
}

/// Signer 1's badge without `validUntil`.
fn signer_without_until() -> Value {
    let mut badge = Signer::ed25519(1).badge();
    badge.as_object_mut().unwrap().remove("validUntil");
    badge
}

#[test]
fn vc_jose_credentials_of_each_algorithm_verify_and_carry_the_payload_as_the_credential() {
    for signer in [Signer::ed25519(1), Signer::p256(), Signer::p384()] {
        let badge = signer.badge();
        let parsed = signer.check(&signer.jws(signer.header("vc+jwt"), badge.clone())).unwrap();
        assert_eq!(parsed.algorithm().name(), signer.alg);
        assert_eq!(parsed.form(), JwtForm::VcJose);
        assert_eq!(parsed.typ(), Some("vc+jwt"));
        assert_eq!(parsed.credential(), &badge);
        assert_eq!(parsed.kid(), signer.kid());
    }
    // A vc+jwt that says when it expires does, even without validUntil.
    let mut badge = signer_without_until();
    badge["exp"] = json!(1_893_456_000);
    let signer = Signer::ed25519(1);
    let parsed = signer.check(&signer.jws(signer.header("vc+jwt"), badge)).unwrap();
    assert_eq!(parsed.credential()["validUntil"], "2030-01-01T00:00:00Z");

    // `application/vc+jwt` is the same type, and a relative kid is taken against the issuer.
    let signer = Signer::ed25519(2);
    let fragment = format!("#{}", signer.key.to_multibase());
    let header = json!({"alg": "EdDSA", "typ": "application/vc+jwt", "kid": fragment});
    assert_eq!(signer.check(&signer.jws(header, signer.badge())).unwrap().kid(), signer.kid());
}

#[test]
fn a_vc_1_1_jwt_maps_its_claims_onto_the_credential() {
    let signer = Signer::ed25519(3);
    let vc = json!({
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": {"type": "AchievementSubject"}
    });
    let claims = json!({
        "iss": signer.did(), "jti": "urn:uuid:1", "sub": "did:example:learner",
        "nbf": 1_735_689_600, "exp": 1_893_456_000.5, "vc": vc,
    });
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": signer.kid()});
    let parsed = signer.check(&signer.jws(header, claims.clone())).unwrap();
    assert_eq!(parsed.form(), JwtForm::VcJwt);
    let credential = parsed.credential();
    assert_eq!(credential["issuer"], signer.did().as_str());
    assert_eq!(credential["id"], "urn:uuid:1");
    assert_eq!(credential["issuanceDate"], "2025-01-01T00:00:00Z");
    assert_eq!(credential["expirationDate"], "2030-01-01T00:00:00Z");
    assert_eq!(credential["credentialSubject"]["id"], "did:example:learner");
    let model = Credential::parse(credential.clone()).unwrap();
    assert_eq!(model.issuer(), signer.did());

    // No typ at all is the same encoding; a VCDM 2.0 `vc` takes the dates as validFrom / validUntil.
    let mut claims = claims;
    claims["vc"]["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]);
    let header = json!({"alg": "EdDSA", "kid": signer.kid()});
    let parsed = signer.check(&signer.jws(header, claims)).unwrap();
    assert_eq!(parsed.credential()["validFrom"], "2025-01-01T00:00:00Z");
    assert!(parsed.credential().get("issuanceDate").is_none());
}

#[test]
fn claims_that_disagree_with_the_credential_are_refused() {
    let signer = Signer::ed25519(4);
    let header = signer.header("vc+jwt");
    let with = |claim: &str, value: Value| {
        let mut badge = signer.badge();
        badge[claim] = value;
        Jws::parse(&signer.jws(header.clone(), badge))
    };
    let mismatch = |claim, member| Err(CredentialError::ClaimMismatch { claim, member });
    assert_eq!(with("iss", json!("did:example:other")), mismatch("iss", "issuer"));
    assert_eq!(with("exp", json!(1_893_456_001)), mismatch("exp", "validUntil"));
    assert_eq!(with("nbf", json!(0)), mismatch("nbf", "validFrom"));
    assert_eq!(with("sub", json!("did:example:else")), mismatch("sub", "credentialSubject.id"));
    assert!(with("exp", json!(1_893_456_000)).is_ok());
    assert!(matches!(with("exp", json!("tomorrow")), Err(CredentialError::InvalidMember { member: "exp", .. })));
    assert_eq!(with("vc", json!({})), Err(CredentialError::ForbiddenClaim("vc")));

    // In the JWT form, a claim beside a `vc` member that says otherwise is refused too.
    let mut vc = signer.badge();
    vc["id"] = json!("urn:uuid:2");
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": signer.kid()});
    let token = signer.jws(header, json!({"jti": "urn:uuid:3", "vc": vc}));
    assert_eq!(Jws::parse(&token), mismatch("jti", "id"));
}

#[test]
fn tampering_wrong_keys_and_algorithms_fail_with_their_reason() {
    let signer = Signer::ed25519(5);
    let token = signer.jws(signer.header("vc+jwt"), signer.badge());

    // A payload changed after signing.
    let (input, signature) = token.rsplit_once('.').unwrap();
    let (header, _) = input.split_once('.').unwrap();
    let mut changed = signer.badge();
    changed["name"] = json!("Forged");
    let forged = format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&changed).unwrap()));
    assert_eq!(signer.check(&forged).unwrap_err(), CredentialError::SignatureMismatch);

    // Signed by another key than the one the kid names.
    let other = Signer::ed25519(6);
    let token = other.jws(signer.header("vc+jwt"), signer.badge());
    assert_eq!(signer.check(&token).unwrap_err(), CredentialError::SignatureMismatch);

    // An alg that does not fit the key.
    let p256 = Signer::p256();
    let header = json!({"alg": "ES384", "typ": "vc+jwt", "kid": p256.kid()});
    assert_eq!(
        p256.check(&p256.jws(header, p256.badge())).unwrap_err(),
        CredentialError::KeyNotForAlgorithm { alg: "ES384", key_type: "p256-pub" }
    );

    // Unsecured, unknown or missing algorithms.
    let unsecured = |alg: &str| {
        let part = |value: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&value).unwrap());
        format!("{}.{}.", part(json!({"alg": alg, "typ": "vc+jwt", "kid": signer.kid()})), part(signer.badge()))
    };
    assert_eq!(Jws::parse(&unsecured("none")), Err(CredentialError::UnsecuredJws));
    assert_eq!(Jws::parse(&unsecured("HS256")), Err(CredentialError::UnsupportedAlgorithm("HS256".into())));
    let token = signer.jws(signer.header("vc+jwt"), signer.badge());
    let short = format!("{}.{}", token.rsplit_once('.').unwrap().0, URL_SAFE_NO_PAD.encode([0; 63]));
    assert_eq!(signer.check(&short).unwrap_err(), CredentialError::SignatureLength { expected: 64, found: 63 });
}

#[test]
fn headers_kids_and_envelopes_are_checked() {
    let signer = Signer::ed25519(7);
    let parse = |header: Value| Jws::parse(&signer.jws(header, signer.badge()));
    assert!(matches!(
        parse(json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": signer.kid(), "crit": ["b64"], "b64": false})),
        Err(CredentialError::UnsupportedCritical(_))
    ));
    assert_eq!(
        parse(json!({"alg": "EdDSA", "typ": "vc+ld+json", "kid": signer.kid()})),
        Err(CredentialError::UnsupportedJwsType("vc+ld+json".into()))
    );
    assert!(matches!(parse(json!({"alg": "EdDSA", "typ": "vc+jwt"})), Err(CredentialError::InvalidKid(_))));
    let https = json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": "https://example.com/keys/1"});
    assert!(matches!(parse(https), Err(CredentialError::InvalidKid(_))));
    let no_fragment = json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": signer.did()});
    assert!(matches!(parse(no_fragment), Err(CredentialError::InvalidKid(_))));
    // A VC 1.1 JWT without its `vc` object.
    let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": signer.kid()});
    assert!(matches!(Jws::parse(&signer.jws(header, signer.badge())), Err(CredentialError::InvalidJws(_))));

    // A kid that is not under assertionMethod.
    let token = signer.jws(signer.header("vc+jwt"), signer.badge());
    let mut document = signer.document();
    document["assertionMethod"] = json!([]);
    let parsed = Jws::parse(&token).unwrap();
    assert!(matches!(
        authorized_method(&document, parsed.kid(), "assertionMethod"),
        Err(CredentialError::MethodNotForPurpose { .. })
    ));

    for broken in ["", "a.b", "a.b.c.d", "!!.e30.", "W10.e30."] {
        assert!(matches!(Jws::parse(broken), Err(CredentialError::InvalidJws(_))), "{broken}");
    }
    let duplicated = format!("{}.e30.", URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","alg":"none"}"#));
    assert!(matches!(Jws::parse(&duplicated), Err(CredentialError::InvalidJws(_))));

    assert_eq!(compact_jws(&json!("a.b.c")), Some(Ok("a.b.c")));
    let enveloped = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "EnvelopedVerifiableCredential", "id": format!("data:application/vc+jwt,{token}")});
    assert_eq!(compact_jws(&enveloped), Some(Ok(token.as_str())));
    let wrong = json!({"type": ["EnvelopedVerifiableCredential"], "id": "data:application/json,{}"});
    assert!(matches!(compact_jws(&wrong), Some(Err(CredentialError::InvalidEnvelope(_)))));
    assert_eq!(compact_jws(&signer.badge()), None);
}
