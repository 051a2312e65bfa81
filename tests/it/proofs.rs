//! Answers anyone can verify: an answer with `context.proof` from a mirror of a mirror checks out against the
//! authority's DID alone; one flipped byte in its statement, inclusion path, header or JWS is refused with its
//! reason (by the library and by `trustnode registry check-answer`); answers signed by the node verify against its
//! `/.well-known/did.json`; the node's DID survives restarts; a did:web identity must publish the node's key.

use std::net::IpAddr;
use std::process::Command;

use crate::support::mirror::{mirror_of, serves};
use crate::support::node::{Reply, TestNode};
use crate::support::origin::{Origin, Reply as OriginReply, TestCa};
use crate::support::registry::{node_for, Fixture, COLLEGE};
use serde_json::{json, Value};
use trustnode::hosting::answer::{check_saved_answer, AnswerError, CheckedAnswer, Expectations};
use trustnode::identity::{IdentityError, NodeIdentity};
use trustnode::node::NodeError;
use trustnode_registry::jws::{self, JwsError};
use trustnode_registry::jws::{SigningKey, SigningKeyType};
use trustnode_registry::merkle::MerkleError;
use trustnode_registry::proof::{LinkError, ProofError};
use trustnode_registry::wire::ANSWER_JWS_TYPE;
use trustnode_resolver::{computed, Resolver};

/// The college may issue certificates in May 2025 (statement s2, reinstated in April).
fn question(authority: &str, resource: &str, proof: bool) -> String {
    json!({
        "entity_id": COLLEGE, "authority_id": authority, "action": "issue", "resource": resource,
        "context": {"time": "2025-05-01T00:00:00Z", "proof": proof},
    })
    .to_string()
}

async fn ask(node: &TestNode, body: String, accept: &str) -> Reply {
    let headers = [("content-type", "application/json"), ("accept", accept)];
    let reply = node.request(hyper::Method::POST, "/authorization", &headers, body).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    reply
}

/// A verifier's resolver: did:key only, so nothing but the DIDs themselves is consulted.
fn offline_resolver() -> Resolver {
    Resolver::new(computed::key_and_jwk(0))
}

async fn check(text: &str, authority: &str) -> Result<CheckedAnswer, AnswerError> {
    check_saved_answer(&offline_resolver(), text, &Expectations { authority_id: Some(authority), node_id: None }).await
}

/// `text` with the byte `offset` bytes after the first `needle` found after `anchor` changed to another letter.
fn flip(text: &str, anchor: &str, needle: &str, offset: usize) -> String {
    let start = text.find(anchor).unwrap() + anchor.len();
    let position = start + text[start..].find(needle).unwrap() + offset;
    let mut bytes = text.as_bytes().to_vec();
    bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// Runs `trustnode registry check-answer` on `text`; returns success and stdout + stderr.
fn check_answer_command(text: &str, authority: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answer");
    std::fs::write(&file, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trustnode"))
        .args(["registry", "check-answer", "--authority", authority])
        .arg(&file)
        .env("TRUSTNODE_SERVER__DATA_DIR", dir.path())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn an_answer_from_a_mirror_of_a_mirror_verifies_with_only_the_authoritys_did() {
    let fixture = Fixture::new();
    let a = node_for(&fixture, |_| {}).await;
    let b = mirror_of(&fixture, a.addr).await;
    let c = mirror_of(&fixture, b.addr).await;
    serves(&c, &fixture, &fixture.signed[0].0).await;
    let authority = fixture.authority.as_str();

    let answer = ask(&c, question(authority, "Certificate", true), "application/json").await;
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    let checked = check(&text, authority).await.unwrap();
    assert_eq!((checked.answer.authorized, checked.deciding_link), (Some(true), Some(0)));
    assert_eq!(checked.links[0].0.sequence, 1);
    assert_eq!(checked.links[0].1.kid, fixture.kid);
    let (valid, output) = check_answer_command(&text, authority);
    assert!(valid, "{output}");
    assert!(output.contains("proven by link 0"), "{output}");

    let unproven = ask(&c, question(authority, "Certificate", false), "application/json").await.json();
    assert!(unproven.get("proof").is_none() && unproven["authorized"] == true, "{unproven}");
    assert_eq!(
        check(&unproven.to_string(), authority).await.unwrap_err(),
        AnswerError::Proof(ProofError::MissingProof)
    );
    let other_authority = check(&text, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").await;
    assert!(matches!(other_authority, Err(AnswerError::UnexpectedAuthority { .. })));

    let statement = flip(&text, "\"statement\":", "\"resource\":\"Certificate", 14);
    assert!(matches!(
        check(&statement, authority).await,
        Err(AnswerError::Proof(ProofError::Link {
            index: 0,
            error: LinkError::NotIncluded { error: MerkleError::RootMismatch, .. }
        }))
    ));
    let path = flip(&text, "\"path\":[\"", "", 10);
    assert!(matches!(
        check(&path, authority).await,
        Err(AnswerError::Proof(ProofError::Link { index: 0, error: LinkError::NotIncluded { .. } }))
    ));
    let header = flip(&text, "\"header\":", "\"name\":\"State", 9);
    let signature_refused =
        AnswerError::Proof(ProofError::Link { index: 0, error: LinkError::HeaderSignature(JwsError::BadSignature) });
    assert_eq!(check(&header, authority).await.unwrap_err(), signature_refused);
    let signature = flip(&text, "\"jws\":\"", "..", 20);
    assert_eq!(check(&signature, authority).await.unwrap_err(), signature_refused);

    for (tampered, reason) in [
        (statement, "is not in the signed snapshot"),
        (path, "is not in the signed snapshot"),
        (header, "signature is refused"),
        (signature, "signature is refused"),
    ] {
        let (valid, output) = check_answer_command(&tampered, authority);
        assert!(!valid && output.contains(reason), "{output}");
    }
}

#[tokio::test]
async fn node_signed_answers_verify_against_the_nodes_did_document() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let authority = fixture.authority.as_str();
    let document = node.get("/.well-known/did.json", &[]).await;
    assert_eq!(document.header("content-type"), Some("application/did+json"));
    let document = document.json();
    let about = node.get("/node", &[]).await.json();
    let did = about["did"].as_str().unwrap();
    assert_eq!(document["id"], did);
    assert_eq!(about["registries"], json!([{"authority_id": authority, "sequence": 1, "upstream": null}]));
    assert_eq!(about["software"]["version"], env!("CARGO_PKG_VERSION"));

    let plain = ask(&node, question(authority, "Certificate", true), "application/json").await.json();
    let signed = ask(&node, question(authority, "Certificate", true), "application/jose").await;
    assert_eq!(signed.header("content-type"), Some("application/jose"));
    let jws = std::str::from_utf8(&signed.body).unwrap();
    let (verified, payload) = jws::verify_compact(jws, ANSWER_JWS_TYPE, did, &document).unwrap();
    assert_eq!(verified.kid, about["verification_method"]);
    assert_eq!(serde_json::from_slice::<Value>(&payload).unwrap(), plain);

    let nested = check(jws, authority).await.unwrap();
    assert_eq!((nested.node.map(|n| n.kid), nested.deciding_link), (Some(verified.kid.clone()), Some(0)));
    let (valid, output) = check_answer_command(jws, authority);
    assert!(valid && output.contains("node signature: ok"), "{output}");

    let negative = ask(&node, question(authority, "Degree", false), "application/jose").await;
    let negative = std::str::from_utf8(&negative.body).unwrap();
    let checked = check(negative, authority).await.unwrap();
    assert_eq!((checked.answer.authorized, checked.deciding_link), (Some(false), None));
    let tampered = flip(negative, ".", "", 30);
    assert!(matches!(check(&tampered, authority).await, Err(AnswerError::NodeSignature(_))), "{tampered}");
    let plain_negative = ask(&node, question(authority, "Degree", false), "application/json").await;
    assert_eq!(
        check(std::str::from_utf8(&plain_negative.body).unwrap(), authority).await.unwrap_err(),
        AnswerError::Unsupported
    );
}

#[tokio::test]
async fn the_node_did_is_stable_across_restarts() {
    let first = TestNode::start(|_| {}).await;
    let did = first.get("/node", &[]).await.json()["did"].clone();
    assert!(did.as_str().unwrap().starts_with("did:key:z6Mk"), "{did}");
    let data = first.stop().await;
    let second = TestNode::start_in(data, |_| {}).await;
    assert_eq!(second.get("/node", &[]).await.json()["did"], did);
    assert_eq!(second.get("/.well-known/did.json", &[]).await.json()["id"], did);
    let elsewhere = TestNode::start(|_| {}).await;
    assert_ne!(elsewhere.get("/node", &[]).await.json()["did"], did);
}

#[tokio::test]
async fn a_did_web_identity_must_list_the_node_key_where_it_is_published() {
    let (ca, ca_dir, keys) = (TestCa::new(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let ca_file = ca.write_pem(ca_dir.path()).display().to_string();
    let origin = Origin::start(&ca).await;
    let did = format!("did:web:issuer.test%3A{}:node", origin.port());
    let key = SigningKey::generate(SigningKeyType::Ed25519, &mut rand_core::OsRng);
    let key_file = keys.path().join("node.jwk");
    std::fs::write(&key_file, key.to_file_bytes().unwrap()).unwrap();
    let fixture = Fixture::new();
    let configure = |config: &mut trustnode::config::Config| {
        config.web.extra_ca_file = ca_file.clone();
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
        config.cache.min_ttl_s = 0;
        config.cache.default_ttl_s = 0;
        config.node.did = did.clone();
        config.node.key_file = key_file.display().to_string();
        config.registries = vec![fixture.config()];
    };
    let expected = NodeIdentity::new(key.clone(), Some(&did)).unwrap();

    let stranger = SigningKey::generate(SigningKeyType::Ed25519, &mut rand_core::OsRng);
    let wrong = NodeIdentity::new(stranger, Some(&did)).unwrap();
    origin.set("/node/did.json", OriginReply::json(wrong.document()));
    // Each start gets its own data directory, so no did:web cache entry outlives the document it came from.
    let data = tempfile::tempdir().unwrap();
    let config_in = |name: &str| {
        let mut config = trustnode::config::Config::load(None, Vec::<(String, String)>::new()).unwrap();
        config.server.data_dir = data.path().join(name);
        configure(&mut config);
        config
    };
    let refused = trustnode::node::open(config_in("wrong")).await.expect_err("the node refuses to start");
    assert!(matches!(refused, NodeError::Identity(IdentityError::KeyNotPublished { .. })), "{refused}");

    origin.set_down(true);
    assert!(trustnode::node::open(config_in("down")).await.is_ok(), "an unreachable document only warns");
    origin.set_down(false);
    origin.set("/node/did.json", OriginReply::json(expected.document()));
    let node = TestNode::start(|config| configure(config)).await;
    assert_eq!(node.get("/.well-known/did.json", &[]).await.json(), *expected.document());
    let about = node.get("/node", &[]).await.json();
    assert_eq!(
        (about["did"].as_str(), about["verification_method"].as_str()),
        (Some(did.as_str()), Some(expected.kid()))
    );

    let signed = ask(&node, question(&fixture.authority, "Certificate", true), "application/jose").await;
    let resolver = trustnode::node::open_resolver(&config_in("verifier")).unwrap();
    let expect = Expectations { authority_id: Some(&fixture.authority), node_id: Some(&did) };
    let checked = check_saved_answer(&resolver, std::str::from_utf8(&signed.body).unwrap(), &expect).await.unwrap();
    assert_eq!(checked.node.map(|node| node.kid), Some(expected.kid().to_owned()));
}
