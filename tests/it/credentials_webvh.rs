//! Credentials from did:webvh issuers, verified over HTTP against a node that resolves a builder-made log served by
//! the HTTPS test origin: each credential is checked with the key its issuer's DID authorized when the credential
//! says it was issued (`validFrom`, else `issuanceDate`), and the verdict's `issuer` step names that version.
//! Timeline of the issuer: version 1 (2025-01-01) authorizes key A, version 2 (2025-06-01) rotates A to B. A second
//! issuer is deactivated on 2025-06-01. A presentation's holder is checked at its latest version.

use std::process::Command;

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use time::macros::datetime;
use trustnode_registry::model::EntityMetadata;
use trustnode_webvh::author::{document, multikey, LogBuilder};

use crate::support::credentials::{presentation, verify_request, Issuer};
use crate::support::node::{Reply, TestNode};
use crate::support::origin::{Origin, Reply as OriginReply, TestCa};
use crate::support::registry::{node_for, register_from_now, Fixture};

/// A did:webvh issuer published on the test origin: its log, and its keys A (version 1) and B (from version 2).
struct Published {
    log: LogBuilder,
    key_a: SigningKey,
    key_b: SigningKey,
}

fn key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

impl Published {
    /// The issuer signing with `key`, named as the DID's verification method of that key.
    fn signer(&self, key: &SigningKey) -> Issuer {
        let did = self.log.did();
        let method = document(&did, &[key])["verificationMethod"][0]["id"].as_str().unwrap().to_owned();
        Issuer::of(key, &did, &method)
    }
}

/// The issuer whose key A is rotated to B on 2025-06-01; the one deactivated that day; and one rotated like the
/// first whose third entry (2025-09-01) was altered after signing, so its log verifies only up to version 2.
fn issuers(port: u16) -> [Published; 3] {
    let update = key();
    let parameters = json!({"updateKeys": [multikey(&update)]});
    let create = |place: &str, key_a: &SigningKey| {
        LogBuilder::create(
            place,
            parameters.clone(),
            |did| document(did, &[key_a]),
            datetime!(2025-01-01 0:00 UTC),
            &update,
        )
    };
    let rotate = |place: &str| {
        let (key_a, key_b) = (key(), key());
        let mut log = create(place, &key_a);
        let did = log.did();
        log.update(json!({}), Some(document(&did, &[&key_b])), datetime!(2025-06-01 0:00 UTC), &update);
        Published { log, key_a, key_b }
    };
    let rotated = rotate(&format!("issuer.test%3A{port}"));

    let (key_a, key_b) = (key(), key());
    let mut closed = create(&format!("issuer.test%3A{port}:dids:closed"), &key_a);
    closed.deactivate(datetime!(2025-06-01 0:00 UTC), &update);

    let mut broken = rotate(&format!("issuer.test%3A{port}:dids:broken"));
    broken.log.update(json!({}), None, datetime!(2025-09-01 0:00 UTC), &update);
    broken.log.tamper(3, false, None, |entry| entry["state"]["alsoKnownAs"] = json!(["did:example:forged"]));
    [rotated, Published { log: closed, key_a, key_b }, broken]
}

/// The test origin serving the logs, and a node that resolves did:webvh through it and whose registry authorizes
/// the issuers to issue Open Badges.
struct Lab {
    dir: tempfile::TempDir,
    node: TestNode,
    rotated: Published,
    closed: Published,
    broken: Published,
    origin: Origin,
    _fixture: Fixture,
}

async fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let origin = Origin::start(&ca).await;
    let [rotated, closed, broken] = issuers(origin.port());
    let jsonl = |log: &LogBuilder| OriginReply::Document {
        body: String::from_utf8(log.log()).unwrap(),
        headers: vec![("content-type".into(), "text/jsonl".into())],
    };
    origin.set("/.well-known/did.jsonl", jsonl(&rotated.log));
    origin.set("/dids/closed/did.jsonl", jsonl(&closed.log));
    origin.set("/dids/broken/did.jsonl", jsonl(&broken.log));
    let mut fixture = Fixture::new();
    fixture.extend(|source| {
        for did in [rotated.log.did(), closed.log.did(), broken.log.did()] {
            register_from_now(source, &did, EntityMetadata { name: "College".into(), ..Default::default() });
        }
    });
    let pem = ca.write_pem(dir.path()).display().to_string();
    let node = node_for(&fixture, move |config| webvh_through_origin(config, pem)).await;
    Lab { dir, node, rotated, closed, broken, origin, _fixture: fixture }
}

/// did:webvh enabled, and the did:web client reaching `issuer.test` (the test origin) through the test CA.
fn webvh_through_origin(config: &mut trustnode::config::Config, ca_file: String) {
    if !config.resolver.methods.iter().any(|method| method == "webvh") {
        config.resolver.methods.push("webvh".into());
    }
    config.web.extra_ca_file = ca_file;
    config.web.allow_private_addresses = true;
    config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse().unwrap());
    config.web.timeout_ms = 2000;
}

/// An Open Badge from `issuer`, issued at `valid_from` (none: no issuance time), signed with its key.
fn badge(issuer: &Issuer, valid_from: Option<&str>) -> Value {
    let mut badge = issuer.badge();
    match valid_from {
        Some(at) => badge["validFrom"] = json!(at),
        None => drop(badge.as_object_mut().unwrap().remove("validFrom")),
    }
    issuer.sign(&badge)
}

async fn verify(node: &TestNode, credential: &Value, options: Value) -> Reply {
    let headers = [("content-type", "application/json")];
    node.request(hyper::Method::POST, "/credentials/verify", &headers, verify_request(credential, options)).await
}

/// The `check/code` of each error, or of each warning.
fn codes(verdict: &Value, member: &str) -> Vec<String> {
    let findings = verdict[member].as_array().unwrap_or_else(|| panic!("no {member} array: {verdict}"));
    findings.iter().map(|f| format!("{}/{}", f["check"].as_str().unwrap(), f["code"].as_str().unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_is_checked_with_the_key_its_issuer_authorized_when_it_was_issued() {
    let lab = lab().await;
    let (node, rotated) = (&lab.node, &lab.rotated);
    let (with_a, with_b) = (rotated.signer(&rotated.key_a), rotated.signer(&rotated.key_b));
    let did = rotated.log.did();

    // Issued in March 2025 with key A: A was authorized then (version 1), though B replaced it since.
    let reply = verify(node, &badge(&with_a, Some("2025-03-01T00:00:00Z")), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["verified"], true);
    let issuer = &verdict["trustnode"]["issuer"];
    assert_eq!(issuer["id"], did.as_str(), "{issuer}");
    assert_eq!(issuer["method"], "webvh");
    assert_eq!(issuer["asOf"], json!({"time": "2025-03-01T00:00:00Z", "source": "validFrom"}));
    assert_eq!(issuer["version"]["versionId"], rotated.log.version_id(1).as_str());
    assert_eq!(issuer["version"]["versionTime"], "2025-01-01T00:00:00Z");
    assert_eq!(issuer["version"]["versionNumber"], 1);
    assert_eq!(issuer["version"]["latest"], false);
    assert_eq!(issuer["deactivated"], false);
    let proof = &verdict["trustnode"]["proof"][0];
    assert_eq!(proof["verified"], true, "{proof}");
    assert_eq!(proof["key"]["publicKeyMultibase"], multikey(&rotated.key_a).as_str());
    assert_eq!(proof["resolution"]["didDocumentMetadata"]["versionId"], rotated.log.version_id(1).as_str());

    // Issued in July 2025 with key A, after A was rotated away: refused, naming the version and the time.
    let reply = verify(node, &badge(&with_a, Some("2025-07-01T00:00:00Z")), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 400, "{verdict}");
    assert_eq!(codes(&verdict, "errors"), ["proof/key_not_authorized_at_issuance"]);
    let message = verdict["errors"][0]["message"].as_str().unwrap();
    let version_2 = rotated.log.version_id(2);
    assert!(message.contains(&format!("version 2 ({version_2}, 2025-06-01T00:00:00Z)")), "{message}");
    assert!(message.contains("in force at the credential's validFrom 2025-07-01T00:00:00Z"), "{message}");
    assert!(message.contains("the key was not authorized then"), "{message}");
    assert_eq!(verdict["trustnode"]["issuer"]["version"]["latest"], true);

    // The same credential signed with key B verifies.
    let reply = verify(node, &badge(&with_b, Some("2025-07-01T00:00:00Z")), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["trustnode"]["issuer"]["version"]["versionId"], version_2.as_str());
    assert_eq!(verdict["warnings"], json!([]));

    // Key B before it was authorized, and any key before the DID existed: refused.
    let verdict = verify(node, &badge(&with_b, Some("2025-03-01T00:00:00Z")), json!({})).await.json();
    assert_eq!(codes(&verdict, "errors"), ["proof/key_not_authorized_at_issuance"], "{verdict}");
    let verdict = verify(node, &badge(&with_a, Some("2024-06-01T00:00:00Z")), json!({})).await.json();
    assert_eq!(codes(&verdict, "errors"), ["issuer/unresolved"], "{verdict}");

    // No issuance time: the latest version, with a warning saying so.
    let reply = verify(node, &badge(&with_b, None), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(codes(&verdict, "warnings"), ["issuer/issuance_time_unknown"]);
    assert_eq!(verdict["trustnode"]["issuer"]["asOf"], json!({"time": null, "source": "none"}));
    let verdict = verify(node, &badge(&with_a, None), json!({})).await.json();
    assert_eq!(codes(&verdict, "errors"), ["proof/key_not_authorized_at_issuance"], "{verdict}");

    // A JOSE-secured credential: its `kid` is checked against the same version.
    let jws = |valid_from: &str| {
        let mut unsigned = with_a.badge();
        unsigned["validFrom"] = json!(valid_from);
        json!(with_a.jws(&json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": with_a.method()}), &unsigned))
    };
    let reply = verify(node, &jws("2025-03-01T00:00:00Z"), json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    let verdict = verify(node, &jws("2025-07-01T00:00:00Z"), json!({})).await.json();
    assert_eq!(codes(&verdict, "errors"), ["proof/key_not_authorized_at_issuance"], "{verdict}");

    // VCDM 1.1: issuanceDate is the issuance time.
    let credential = |issuer: &Issuer| {
        issuer.sign(&json!({
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential"],
            "issuer": issuer.did,
            "issuanceDate": "2025-03-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:learner"}
        }))
    };
    let options = json!({"resource": "OpenBadgeCredential"});
    let reply = verify(node, &credential(&with_a), options.clone()).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["trustnode"]["issuer"]["asOf"]["source"], "issuanceDate");
    let verdict = verify(node, &credential(&with_b), options).await.json();
    assert_eq!(codes(&verdict, "errors"), ["proof/key_not_authorized_at_issuance"], "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivated_issuer_still_vouches_for_what_it_issued_before() {
    let lab = lab().await;
    let (node, closed) = (&lab.node, &lab.closed);
    let with_a = closed.signer(&closed.key_a);

    let reply = verify(node, &badge(&with_a, Some("2025-03-01T00:00:00Z")), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(codes(&verdict, "warnings"), ["issuer/issuer_deactivated"]);
    let message = verdict["warnings"][0]["message"].as_str().unwrap();
    assert!(message.contains("deactivated at 2025-06-01T00:00:00Z, after the credential's validFrom"), "{message}");
    let issuer = &verdict["trustnode"]["issuer"];
    assert_eq!(issuer["deactivated"], true, "{issuer}");
    assert_eq!(issuer["deactivatedAt"], "2025-06-01T00:00:00Z");
    assert_eq!(issuer["version"]["versionNumber"], 1);

    // Dated at or after the deactivation, or without a date: refused, whatever the key.
    for valid_from in [Some("2025-07-01T00:00:00Z"), Some("2025-06-01T00:00:00Z"), None] {
        let reply = verify(node, &badge(&with_a, valid_from), json!({})).await;
        let verdict = reply.json();
        assert_eq!(reply.status, 400, "{valid_from:?}: {verdict}");
        assert!(codes(&verdict, "errors").contains(&"issuer/issuer_deactivated".to_owned()), "{verdict}");
    }
    let with_b = closed.signer(&closed.key_b);
    let verdict = verify(node, &badge(&with_b, Some("2025-07-01T00:00:00Z")), json!({})).await.json();
    assert_eq!(codes(&verdict, "errors"), ["issuer/issuer_deactivated"], "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_that_fails_after_a_version_still_vouches_for_credentials_dated_before_it() {
    let lab = lab().await;
    let (node, broken) = (&lab.node, &lab.broken);
    let reply = verify(node, &badge(&broken.signer(&broken.key_a), Some("2025-03-01T00:00:00Z")), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "version 1 is verified and was in force then: {verdict}");
    assert_eq!(verdict["trustnode"]["issuer"]["version"]["versionNumber"], 1);

    // Version 2 is the last verified one: what followed it is unknown, so nothing dated in it is vouched for.
    let verdict = verify(node, &badge(&broken.signer(&broken.key_b), Some("2025-07-01T00:00:00Z")), json!({})).await;
    let verdict = verdict.json();
    assert_eq!(codes(&verdict, "errors"), ["issuer/unresolved"], "{verdict}");
    let message = verdict["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("invalidDidDocument") && message.contains("entry 3"), "{message}");
    assert_eq!(verdict["trustnode"]["issuer"]["version"], Value::Null, "no version is named: {verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_key_that_cannot_be_read_is_a_fault_of_the_document_not_of_the_time() {
    let lab = lab().await;
    let (update, signing) = (key(), key());
    let unreadable = |did: &str| {
        let mut document = document(did, &[&signing]);
        document["verificationMethod"][0]["publicKeyMultibase"] = json!("z6MkNotAKey");
        document
    };
    let place = format!("issuer.test%3A{}:dids:odd", lab.origin.port());
    let parameters = json!({"updateKeys": [multikey(&update)]});
    let log = LogBuilder::create(&place, parameters, unreadable, datetime!(2025-01-01 0:00 UTC), &update);
    let body = String::from_utf8(log.log()).unwrap();
    lab.origin.set("/dids/odd/did.jsonl", OriginReply::Document { body, headers: Vec::new() });
    let did = log.did();
    let method = unreadable(&did)["verificationMethod"][0]["id"].as_str().unwrap().to_owned();
    let credential = badge(&Issuer::of(&signing, &did, &method), Some("2025-03-01T00:00:00Z"));
    let verdict = verify(&lab.node, &credential, json!({})).await.json();
    assert_eq!(codes(&verdict, "errors"), ["issuer/invalid_multikey", "trust/issuer_not_authorized"], "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_did_webvh_holder_presents_with_the_key_it_holds_now() {
    let lab = lab().await;
    let (node, rotated) = (&lab.node, &lab.rotated);
    let badge = badge(&rotated.signer(&rotated.key_a), Some("2025-03-01T00:00:00Z"));
    let present = |key: &SigningKey| {
        let holder = rotated.signer(key);
        holder.sign_with(&presentation(&holder, vec![badge.clone()]), "authentication", json!({"challenge": "c-1"}))
    };
    let request = |document: &Value| {
        let body = json!({"verifiablePresentation": document, "options": {"challenge": "c-1"}});
        node.request(
            hyper::Method::POST,
            "/presentations/verify",
            &[("content-type", "application/json")],
            body.to_string(),
        )
    };
    let reply = request(&present(&rotated.key_b)).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["trustnode"]["issuer"]["asOf"]["source"], "presentation");
    assert_eq!(verdict["trustnode"]["issuer"]["version"]["latest"], true);
    assert_eq!(verdict["credentials"][0]["trustnode"]["issuer"]["version"]["versionNumber"], 1);

    let verdict = request(&present(&rotated.key_a)).await.json();
    assert_eq!(codes(&verdict, "errors"), ["proof/key_not_authorized_at_issuance"], "{verdict}");
    assert!(verdict["errors"][0]["message"].as_str().unwrap().contains("the time of presentation (now)"), "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_names_the_version_a_credential_was_checked_against() {
    let lab = lab().await;
    let (node, rotated) = (&lab.node, &lab.rotated);
    let file = lab.dir.path().join("badge.json");
    std::fs::write(&file, badge(&rotated.signer(&rotated.key_a), Some("2025-03-01T00:00:00Z")).to_string()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trustnode"))
        .args(["verify", file.to_str().unwrap(), "--node", &format!("http://{}", node.addr)])
        .env("TRUSTNODE_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    let expected = format!(
        "  issuer       passed: {} version 1 ({}, 2025-01-01T00:00:00Z) in force at its validFrom \
         2025-03-01T00:00:00Z, not the latest (updated 2025-06-01T00:00:00Z)\n",
        rotated.log.did(),
        rotated.log.version_id(1)
    );
    assert!(text.contains(&expected), "{text}");
}
