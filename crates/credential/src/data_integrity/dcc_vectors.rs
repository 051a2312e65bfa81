//! Credentials and a presentation signed by the Digital Credentials Consortium's npm stack (the libraries Learner
//! Credential Wallet and VerifierPlus use; `tests/vectors/credentials/dcc/generate.mjs` made them): an Open Badge
//! 3.0 on VCDM 2.0 with `eddsa-rdfc-2022`, the same badge on VCDM 1.1 with `Ed25519Signature2020`, and a
//! presentation of the first with an `authentication` proof for a challenge and a domain. They check this crate's
//! JSON-LD processing and RDFC-1.0 against jsonld.js and rdf-canonize on the Open Badges contexts.

use serde_json::{json, Map, Value};
use trustnode_did::public_key::PublicKey;

use super::*;

/// A file of `tests/vectors/credentials/dcc/`.
macro_rules! dcc_file {
    ($name:literal) => {
        include_str!(concat!("../../../../tests/vectors/credentials/dcc/", $name))
    };
}

const BADGE: &str = dcc_file!("ob3-eddsa-rdfc-2022.json");
const LEGACY_BADGE: &str = dcc_file!("ob3-vc1-ed25519signature2020.json");
const PRESENTATION: &str = dcc_file!("vp-eddsa-rdfc-2022.json");

fn document(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap()
}

/// The signer's key, from the did:key fragment of the proof's verification method.
fn signer_key(document: &Map<String, Value>) -> PublicKey {
    let method = document["proof"]["verificationMethod"].as_str().unwrap();
    decode_multikey(method.rsplit_once('#').unwrap().1).unwrap()
}

fn verify(document: &Map<String, Value>, purpose: &str) -> Result<(), CredentialError> {
    let proof = DataIntegrityProof::parse(document["proof"].as_object().unwrap())?;
    proof.verify(document, &signer_key(document), purpose, &ContextSet::bundled())
}

#[test]
fn open_badges_signed_by_the_dcc_stack_verify() {
    for (text, suite) in [(BADGE, Cryptosuite::EddsaRdfc2022), (LEGACY_BADGE, Cryptosuite::Ed25519Signature2020)] {
        let badge = document(text);
        let credential = crate::model::Credential::parse(Value::Object(badge.clone())).unwrap();
        assert_eq!(DataIntegrityProof::parse(credential.proofs()[0]).unwrap().cryptosuite(), suite);
        assert_eq!(verify(&badge, "assertionMethod"), Ok(()), "{}", suite.name());
        let mut tampered = badge.clone();
        tampered["credentialSubject"]["achievement"]["name"] = json!("Forged badge");
        assert_eq!(verify(&tampered, "assertionMethod"), Err(CredentialError::SignatureMismatch), "{}", suite.name());
        let mut tampered = badge;
        tampered["issuer"]["name"] = json!("Forged College");
        assert_eq!(verify(&tampered, "assertionMethod"), Err(CredentialError::SignatureMismatch), "{}", suite.name());
    }
}

#[test]
fn a_presentation_verifies_for_authentication_with_its_challenge_and_domain() {
    let presentation = document(PRESENTATION);
    let proof = DataIntegrityProof::parse(presentation["proof"].as_object().unwrap()).unwrap();
    assert_eq!(proof.proof_purpose(), "authentication");
    assert_eq!(proof.challenge(), Some("c-1234"));
    assert_eq!(proof.domains(), ["verifier.example"]);
    assert_eq!(verify(&presentation, "authentication"), Ok(()));
    assert_eq!(
        verify(&presentation, "assertionMethod"),
        Err(CredentialError::WrongProofPurpose { expected: "assertionMethod".into(), found: "authentication".into() })
    );
    // The credential inside verifies on its own, with its issuer's purpose.
    let inner = presentation["verifiableCredential"][0].as_object().unwrap();
    assert_eq!(verify(inner, "assertionMethod"), Ok(()));
}

#[test]
fn a_presentation_signs_its_challenge_and_the_credentials_it_holds() {
    let mut replayed = document(PRESENTATION);
    replayed["proof"]["challenge"] = json!("c-5678");
    assert_eq!(verify(&replayed, "authentication"), Err(CredentialError::SignatureMismatch));
    let mut elsewhere = document(PRESENTATION);
    elsewhere["proof"]["domain"] = json!("other-verifier.example");
    assert_eq!(verify(&elsewhere, "authentication"), Err(CredentialError::SignatureMismatch));
    // The held credential is part of the presentation's RDF dataset (a named graph), so editing it breaks the
    // presentation's proof as well as its own.
    let mut edited = document(PRESENTATION);
    edited["verifiableCredential"][0]["credentialSubject"]["achievement"]["name"] = json!("Forged badge");
    assert_eq!(verify(&edited, "authentication"), Err(CredentialError::SignatureMismatch));
    let inner = edited["verifiableCredential"][0].as_object().unwrap();
    assert_eq!(verify(inner, "assertionMethod"), Err(CredentialError::SignatureMismatch));
}
