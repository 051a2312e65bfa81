//! `POST /credentials/verify` and `trustnode verify` as a verifier uses them: an Open Badges 3.0 credential from
//! an issuer a hosted registry authorizes is verified with every check explained; each kind of failure is named
//! (all of them at once when several apply); requests that cannot be read are problem details.

use std::process::Command;

use serde_json::{json, Value};
use trustnode_registry::model::EntityMetadata;

use crate::support::credentials::{encoded_list, presentation, verify_request, Issuer};
use crate::support::node::{Reply, TestNode};
use crate::support::origin::{Origin, Reply as OriginReply, TestCa};
use crate::support::registry::{node_for, register_from_now, Fixture};

/// A node hosting a registry that authorizes `issuer` to issue Open Badges (from now on).
async fn node_trusting(issuer: &Issuer, adjust: impl FnOnce(&mut trustnode::config::Config)) -> (TestNode, Fixture) {
    let mut fixture = Fixture::new();
    fixture.extend(|source| {
        register_from_now(source, &issuer.did, EntityMetadata { name: "Badge Issuer".into(), ..Default::default() })
    });
    (node_for(&fixture, adjust).await, fixture)
}

fn with_context(mut credential: Value, context: &str) -> Value {
    credential["@context"].as_array_mut().unwrap().push(json!(context));
    credential
}

async fn verify(node: &TestNode, credential: &Value, options: Value) -> Reply {
    let headers = [("content-type", "application/json")];
    node.request(hyper::Method::POST, "/credentials/verify", &headers, verify_request(credential, options)).await
}

/// The `check/code` of each error.
fn errors(verdict: &Value) -> Vec<String> {
    let errors = verdict["errors"].as_array().unwrap_or_else(|| panic!("no errors array: {verdict}"));
    errors
        .iter()
        .map(|error| format!("{}/{}", error["check"].as_str().unwrap(), error["code"].as_str().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_badge_from_an_authorized_issuer_is_verified_and_every_check_explained() {
    let issuer = Issuer::generate();
    let (node, fixture) = node_trusting(&issuer, |_| {}).await;
    let reply = verify(&node, &issuer.sign(&issuer.badge()), json!({"checks": ["proof"], "unknownOption": 1})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["verified"], true);
    assert_eq!(verdict["checks"], json!(["credential", "context", "proof", "issuer", "validity", "trust"]));
    assert_eq!(verdict["errors"], json!([]));
    let evidence = &verdict["trustnode"];
    assert_eq!(evidence["credential"]["lerType"], "OpenBadgeCredential");
    assert_eq!(evidence["credential"]["issuer"], issuer.did.as_str());
    let proof = &evidence["proof"][0];
    assert_eq!(proof["verified"], true, "{proof}");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(proof["key"]["publicKeyMultibase"].as_str(), issuer.did.strip_prefix("did:key:"));
    assert_eq!(proof["resolution"]["method"], "key");
    assert_eq!(evidence["validity"]["inForce"], true);
    let answer = &evidence["trust"]["answers"][0];
    assert_eq!(answer["authority_id"], fixture.authority.as_str(), "{answer}");
    assert_eq!(answer["authorized"], true);
    assert_eq!(answer["resource"], "OpenBadgeCredential");
    assert_eq!(answer["registry_sequence"], 2);
    assert!(answer["statement_id"].is_string() && answer["snapshot_digest"].is_string(), "{answer}");
    assert!(answer.get("proof").is_none(), "no proof unless asked: {answer}");

    // Verified again (its proof now from the node's memo of verified proofs): the same verdict; an edit is still
    // caught, since the memo is keyed by the whole document.
    let again = verify(&node, &issuer.sign(&issuer.badge()), json!({})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["trustnode"]["proof"][0]["verified"], true);
    let mut edited = issuer.sign(&issuer.badge());
    edited["name"] = json!("Edited after signing");
    assert_eq!(errors(&verify(&node, &edited, json!({})).await.json()), ["proof/signature_mismatch"]);

    // Asked with options.proof, each registry answer carries its inclusion proof, as TRQP answers do.
    let options = json!({"proof": true, "authority_id": fixture.authority});
    let verdict = verify(&node, &issuer.sign(&issuer.badge()), options).await.json();
    assert!(verdict["trustnode"]["trust"]["answers"][0]["proof"]["links"].is_array(), "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_failure_is_named_and_all_are_reported_at_once() {
    let issuer = Issuer::generate();
    let (node, _fixture) = node_trusting(&issuer, |_| {}).await;
    let signed = issuer.sign(&issuer.badge());

    let mut tampered = signed.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Rust mastery");
    let mut expired = issuer.badge();
    expired["validUntil"] = json!("2025-06-01T00:00:00Z");
    let not_yet = {
        let mut badge = issuer.badge();
        badge["validFrom"] = json!("2999-01-01T00:00:00Z");
        badge
    };
    let stranger = Issuer::generate();
    let mut foreign_key = issuer.badge();
    foreign_key["issuer"]["id"] = json!(stranger.did);
    let unsigned = issuer.badge();
    let cases = [
        ("tampered", tampered, vec!["proof/signature_mismatch"]),
        ("expired", issuer.sign(&expired), vec!["validity/expired"]),
        ("not yet valid", issuer.sign(&not_yet), vec!["validity/not_yet_valid"]),
        ("wrong purpose", issuer.sign_for(&issuer.badge(), "authentication"), vec!["proof/wrong_proof_purpose"]),
        ("unregistered issuer", stranger.sign(&stranger.badge()), vec!["trust/issuer_not_authorized"]),
        // Signed by the registered issuer's key, naming another issuer: the key is not the issuer's.
        (
            "key of another DID",
            issuer.sign(&foreign_key),
            vec!["issuer/method_not_issuers", "trust/issuer_not_authorized"],
        ),
        ("no proof", unsigned, vec!["proof/no_proof"]),
        // A context outside the bundled set is refused by name, never fetched; no proof is checked against it.
        (
            "unknown context",
            issuer.sign(&with_context(issuer.badge(), "https://tracker.example/ctx.jsonld")),
            vec!["context/unknown_context"],
        ),
    ];
    for (case, credential, expected) in cases {
        let reply = verify(&node, &credential, json!({})).await;
        let verdict = reply.json();
        assert_eq!(reply.status, 400, "{case}: {verdict}");
        assert_eq!(verdict["verified"], false, "{case}");
        assert_eq!(errors(&verdict), expected, "{case}: {verdict}");
        let messages = verdict["errors"].as_array().unwrap().iter().all(|e| !e["message"].as_str().unwrap().is_empty());
        assert!(messages, "{case}: {verdict}");
    }

    // Tampered, expired and from an unregistered issuer at once: three errors, not the first one only.
    let mut everything = stranger.sign(&{
        let mut badge = stranger.badge();
        badge["validUntil"] = json!("2025-06-01T00:00:00Z");
        badge
    });
    everything["name"] = json!("Changed");
    let verdict = verify(&node, &everything, json!({})).await.json();
    assert_eq!(errors(&verdict), ["proof/signature_mismatch", "validity/expired", "trust/issuer_not_authorized"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_can_be_a_warning_and_an_unknown_authority_is_named() {
    let stranger = Issuer::generate();
    let issuer = Issuer::generate();
    let (node, _fixture) =
        node_trusting(&issuer, |config| config.credentials.trust = trustnode::config::TrustPolicy::Warning).await;
    let reply = verify(&node, &stranger.sign(&stranger.badge()), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["verified"], true);
    assert_eq!(verdict["warnings"][0]["code"], "issuer_not_authorized", "{verdict}");

    let options = json!({"authority_id": "did:web:registry.unknown.example"});
    let verdict = verify(&node, &issuer.sign(&issuer.badge()), options).await.json();
    assert_eq!(errors(&verdict), ["trust/unknown_authority"], "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clr_is_verified_with_each_nested_credential() {
    let issuer = Issuer::generate();
    let (node, _fixture) = node_trusting(&issuer, |config| {
        config.credentials.resources.insert("ClrCredential".into(), "OpenBadgeCredential".into());
    })
    .await;
    let stranger = Issuer::generate();
    let clr = |nested: Vec<Value>| {
        issuer.sign(&json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"],
            "type": ["VerifiableCredential", "ClrCredential"],
            "issuer": {"id": issuer.did, "type": ["Profile"], "name": "Badge Issuer"},
            "validFrom": "2025-01-01T00:00:00Z",
            "name": "Transcript",
            "credentialSubject": {"type": ["ClrSubject"], "verifiableCredential": nested}
        }))
    };
    let good = clr(vec![issuer.sign(&issuer.badge()), issuer.sign(&issuer.badge())]);
    let reply = verify(&node, &good, json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["trustnode"]["credential"]["lerType"], "ClrCredential");
    assert_eq!(verdict["trustnode"]["nested"].as_array().map(Vec::len), Some(2), "{verdict}");
    assert!(verdict["checks"].as_array().unwrap().contains(&json!("nested")));

    let bad = clr(vec![issuer.sign(&issuer.badge()), stranger.sign(&stranger.badge())]);
    let verdict = verify(&node, &bad, json!({})).await.json();
    assert_eq!(errors(&verdict), ["nested/nested_not_verified"], "{verdict}");
    assert!(verdict["errors"][0]["message"].as_str().unwrap().contains("nested credential 1"), "{verdict}");
    assert_eq!(verdict["trustnode"]["nested"][1]["errors"][0]["code"], "issuer_not_authorized");

    // Nesting counts against credentials.max_credentials: beyond it the request is refused, not half verified.
    let many = clr((0..64).map(|_| issuer.sign(&issuer.badge())).collect());
    let reply = verify(&node, &many, json!({})).await;
    assert_eq!(reply.status, 413, "{}", reply.json());
    assert_eq!(reply.json()["type"], "urn:trustnode:problem:too-many-credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_cannot_be_read_are_problem_details() {
    let node = TestNode::start(|_| {}).await;
    let headers = [("content-type", "application/json")];
    for (case, body) in [
        ("not JSON", &b"{\"verifiableCredential\": "[..]),
        ("not an object", b"[1, 2]"),
        ("no credential", b"{\"options\": {}}"),
        ("options not an object", b"{\"verifiableCredential\": {}, \"options\": []}"),
        ("options.proof not a boolean", b"{\"verifiableCredential\": {}, \"options\": {\"proof\": \"yes\"}}"),
        ("duplicate member", b"{\"verifiableCredential\": {}, \"verifiableCredential\": {\"a\": 1}}"),
    ] {
        let reply = node.request(hyper::Method::POST, "/credentials/verify", &headers, body.to_vec()).await;
        assert_eq!(reply.status, 400, "{case}");
        assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{case}");
        assert_eq!(reply.json()["type"], "urn:trustnode:problem:invalid-verification-request", "{case}");
    }
    // A readable request whose credential is no credential gets a verdict naming why.
    let reply =
        node.request(hyper::Method::POST, "/credentials/verify", &headers, &b"{\"verifiableCredential\": 7}"[..]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(errors(&reply.json()), ["credential/not_an_object"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_explains_a_verdict_and_exits_by_it() {
    let issuer = Issuer::generate();
    let mut fixture = Fixture::new();
    fixture.extend(|source| {
        register_from_now(source, &issuer.did, EntityMetadata { name: "Issuer".into(), ..Default::default() })
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("node.toml");
    let registry = fixture.dir.path().display().to_string();
    std::fs::write(&config, format!("[[registries]]\nsource = {registry:?}\n")).unwrap();
    let file = dir.path().join("badge.json");
    let run = |contents: String, format: &str| {
        std::fs::write(&file, contents).unwrap();
        Command::new(env!("CARGO_BIN_EXE_trustnode"))
            .args(["verify", file.to_str().unwrap(), "--format", format, "--config", config.to_str().unwrap()])
            .env("TRUSTNODE_SERVER__DATA_DIR", dir.path().join("data"))
            .env("TRUSTNODE_LOG", "warn")
            .output()
            .unwrap()
    };
    let output = run(issuer.sign(&issuer.badge()).to_string(), "text");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.starts_with("VERIFIED\n"), "{text}");
    assert!(text.contains("trust        passed"), "{text}");

    let mut expired = issuer.badge();
    expired["validUntil"] = json!("2025-06-01T00:00:00Z");
    let output = run(issuer.sign(&expired).to_string(), "json");
    assert_eq!(output.status.code(), Some(1));
    let verdict: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(errors(&verdict), ["validity/expired"]);

    // A file holding a bare compact JWS is a JOSE-secured credential.
    let header = json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": issuer.method()});
    let output = run(format!("{}\n", issuer.jws(&header, &issuer.badge())), "json");
    let verdict: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(output.status.success(), "{verdict}");
    assert_eq!(verdict["trustnode"]["proof"][0]["type"], "JWS");
    let output = run("not a credential".to_owned(), "json");
    assert!(String::from_utf8_lossy(&output.stderr).contains("neither JSON nor a compact JWS"));
}

async fn verify_presentation(node: &TestNode, presentation: &Value, options: Value) -> Reply {
    let headers = [("content-type", "application/json")];
    let body = serde_json::to_vec(&json!({"verifiablePresentation": presentation, "options": options})).unwrap();
    node.request(hyper::Method::POST, "/presentations/verify", &headers, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presentation_is_verified_with_its_challenge_domain_holder_and_every_credential() {
    let issuer = Issuer::generate();
    let (node, _fixture) = node_trusting(&issuer, |_| {}).await;
    let holder = Issuer::generate();
    let badge = issuer.sign(&issuer.badge());
    let bound = json!({"challenge": "c-123", "domain": "verifier.example"});
    let signed = holder.sign_with(&presentation(&holder, vec![badge.clone()]), "authentication", bound.clone());

    let reply = verify_presentation(&node, &signed, bound.clone()).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["checks"], json!(["presentation", "context", "proof", "issuer"]));
    assert_eq!(verdict["trustnode"]["presentation"]["holder"], holder.did.as_str());
    assert_eq!(verdict["trustnode"]["proof"][0]["verified"], true);
    assert_eq!(verdict["credentials"][0]["verified"], true, "{verdict}");

    let stranger = Issuer::generate();
    let unregistered = stranger.sign(&stranger.badge());
    let cases = [
        (
            "wrong challenge",
            signed.clone(),
            json!({"challenge": "other", "domain": "verifier.example"}),
            vec!["presentation/challenge_mismatch"],
        ),
        (
            "wrong domain",
            signed.clone(),
            json!({"challenge": "c-123", "domain": "evil.example"}),
            vec!["presentation/domain_mismatch"],
        ),
        (
            "unsigned with a challenge",
            presentation(&holder, vec![badge.clone()]),
            bound.clone(),
            vec!["presentation/proof_required"],
        ),
        (
            "signed by someone else than the holder",
            stranger.sign_with(&presentation(&holder, vec![badge.clone()]), "authentication", bound.clone()),
            bound.clone(),
            vec!["issuer/method_not_holders"],
        ),
        (
            "made for assertionMethod",
            holder.sign_with(&presentation(&holder, vec![badge.clone()]), "assertionMethod", bound.clone()),
            bound.clone(),
            vec!["proof/wrong_proof_purpose"],
        ),
        (
            "a credential fails",
            holder.sign_with(
                &presentation(&holder, vec![badge.clone(), unregistered]),
                "authentication",
                bound.clone(),
            ),
            bound.clone(),
            vec!["presentation/credential_not_verified"],
        ),
    ];
    for (case, document, options, expected) in cases {
        let reply = verify_presentation(&node, &document, options).await;
        let verdict = reply.json();
        assert_eq!(reply.status, 400, "{case}: {verdict}");
        assert_eq!(errors(&verdict), expected, "{case}: {verdict}");
    }
    // Without a challenge asked, an unsigned presentation is only a warning; its credentials still decide.
    let reply = verify_presentation(&node, &presentation(&holder, vec![badge]), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["warnings"][0]["code"], "unsigned");
}

/// A node trusting `issuer` whose did:web client reaches `status.issuer.test` (the test origin) through the test CA.
async fn node_with_status_origin(issuer: &Issuer, ca: &TestCa, dir: &std::path::Path) -> (TestNode, Fixture) {
    let pem = ca.write_pem(dir).display().to_string();
    node_trusting(issuer, move |config| {
        config.web.extra_ca_file = pem;
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert("status.issuer.test".into(), "127.0.0.1".parse().unwrap());
        config.web.timeout_ms = 2000;
    })
    .await
}

fn with_status(mut credential: Value, url: &str, purpose: &str, index: usize) -> Value {
    credential["credentialStatus"] = json!({
        "id": format!("{url}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": index.to_string(),
        "statusListCredential": url,
    });
    credential
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_are_fetched_verified_and_read_and_each_failure_is_named() {
    let issuer = Issuer::generate();
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::start(&ca).await;
    let (node, _fixture) = node_with_status_origin(&issuer, &ca, dir.path()).await;
    let url = |path: &str| format!("https://status.issuer.test:{}{path}", origin.port());
    let revocations = url("/lists/revocation");
    let suspensions = url("/lists/suspension");
    origin.set(
        "/lists/revocation",
        OriginReply::json(&issuer.sign(&issuer.status_list(&revocations, "revocation", &[7]))),
    );
    origin.set(
        "/lists/suspension",
        OriginReply::json(&issuer.sign(&issuer.status_list(&suspensions, "suspension", &[3]))),
    );
    let mut tampered = issuer.sign(&issuer.status_list(&url("/lists/tampered"), "revocation", &[]));
    tampered["credentialSubject"]["encodedList"] = json!(encoded_list(&[]).replace('A', "B"));
    origin.set("/lists/tampered", OriginReply::json(&tampered));
    let stranger = Issuer::generate();
    origin.set(
        "/lists/foreign",
        OriginReply::json(&stranger.sign(&issuer.status_list(&url("/lists/foreign"), "revocation", &[]))),
    );

    let badge =
        |list: &str, purpose: &str, index: usize| issuer.sign(&with_status(issuer.badge(), list, purpose, index));
    let reply = verify(&node, &badge(&revocations, "revocation", 8), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert!(verdict["checks"].as_array().unwrap().contains(&json!("status")));
    let status = &verdict["trustnode"]["status"][0];
    assert_eq!(status["value"], 0, "{status}");
    assert_eq!(status["listVerified"], true);
    assert_eq!(status["issuer"], issuer.did.as_str());

    let cases = [
        ("revoked", badge(&revocations, "revocation", 7), vec!["status/revoked"]),
        ("suspended", badge(&suspensions, "suspension", 3), vec!["status/suspended"]),
        ("purpose the list lacks", badge(&revocations, "suspension", 1), vec!["status/status_verification_error"]),
        ("past the end", badge(&revocations, "revocation", 131_072), vec!["status/range_error"]),
        ("no such list", badge(&url("/lists/missing"), "revocation", 1), vec!["status/status_retrieval_error"]),
        (
            "list not by its issuer's key",
            badge(&url("/lists/foreign"), "revocation", 1),
            vec!["status/status_verification_error"],
        ),
        ("tampered list", badge(&url("/lists/tampered"), "revocation", 1), vec!["status/status_verification_error"]),
        // Never fetched: plain HTTP (and loopback IPs, private hosts) are refused before any connection.
        (
            "http list",
            badge("http://status.issuer.test/lists/revocation", "revocation", 1),
            vec!["status/status_retrieval_error"],
        ),
    ];
    for (case, credential, expected) in cases {
        let reply = verify(&node, &credential, json!({})).await;
        let verdict = reply.json();
        assert_eq!(reply.status, 400, "{case}: {verdict}");
        assert_eq!(errors(&verdict), expected, "{case}: {verdict}");
    }
    let revoked = verify(&node, &badge(&revocations, "revocation", 7), json!({})).await.json();
    assert!(revoked["errors"][0]["message"].as_str().unwrap().contains("index 7"), "{revoked}");

    // One fetch serves every verification while the copy is fresh; an origin that goes down leaves the cached copy
    // in use (fresh here, so without a warning).
    let fetched = origin.requests_to("/lists/revocation");
    origin.set_down(true);
    let reply = verify(&node, &badge(&revocations, "revocation", 9), json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    assert_eq!(origin.requests_to("/lists/revocation"), fetched);
}

#[test]
fn the_example_badge_verifies_on_the_default_configuration() {
    // The README's tour: the committed example badge, signed with Digital Bazaar's eddsa-rdfc-2022 by an issuer the
    // example registry authorizes, verified with the embedded default configuration.
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_trustnode"))
        .args(["verify", "registry/example/credentials/badge.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("TRUSTNODE_SERVER__DATA_DIR", data.path())
        .env("TRUSTNODE_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.starts_with("VERIFIED\n"), "{text}");
    assert!(text.contains("proof        passed: eddsa-rdfc-2022 by did:key:"), "{text}");
    assert!(text.contains("trust        passed: issue OpenBadgeCredential; did:key:z6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z: active"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jose_credentials_are_verified_bare_enveloped_or_as_vc_1_1_jwts_and_each_failure_named() {
    let issuer = Issuer::generate();
    let (node, _fixture) = node_trusting(&issuer, |_| {}).await;
    let header = json!({"alg": "EdDSA", "typ": "vc+jwt", "kid": issuer.method()});
    let token = issuer.jws(&header, &issuer.badge());

    // VC-JOSE-COSE: the payload is the badge, checked like any badge.
    let reply = verify(&node, &json!(token), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["checks"], json!(["credential", "context", "proof", "issuer", "validity", "trust"]));
    assert_eq!(verdict["trustnode"]["credential"]["lerType"], "OpenBadgeCredential");
    let proof = &verdict["trustnode"]["proof"][0];
    assert_eq!(proof["type"], "JWS", "{proof}");
    assert_eq!(proof["alg"], "EdDSA");
    assert_eq!(proof["typ"], "vc+jwt");
    assert_eq!(proof["kid"], issuer.method().as_str());
    assert_eq!(proof["verified"], true);
    assert_eq!(proof["key"]["publicKeyMultibase"].as_str(), issuer.did.strip_prefix("did:key:"));
    assert_eq!(proof["resolution"]["method"], "key");

    // The VC 1.1 JWT encoding (the Open Badges 3.0 JWT): the credential in `vc`, its members in the claims.
    let mut vc = issuer.badge();
    let vc_members = vc.as_object_mut().unwrap();
    for member in ["issuer", "id", "validFrom"] {
        vc_members.remove(member);
    }
    let claims = json!({"iss": issuer.did, "jti": "urn:uuid:5d7e", "nbf": 1_735_689_600, "vc": vc});
    let jwt_header = json!({"alg": "EdDSA", "typ": "JWT", "kid": issuer.method()});
    let reply = verify(&node, &json!(issuer.jws(&jwt_header, &claims)), json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["trustnode"]["credential"]["id"], "urn:uuid:5d7e");
    assert_eq!(verdict["trustnode"]["credential"]["issuer"], issuer.did.as_str());
    assert_eq!(verdict["trustnode"]["validity"]["validFrom"], "2025-01-01T00:00:00Z");

    // Each way to break one fails with its reason.
    let (signed_part, signature) = token.rsplit_once('.').unwrap();
    let header_part = signed_part.split_once('.').unwrap().0;
    let mut forged = issuer.badge();
    forged["name"] = json!("Forged");
    let forged_part = issuer.jws(&header, &forged);
    let forged_payload = forged_part.split('.').nth(1).unwrap();
    let tampered = format!("{header_part}.{forged_payload}.{signature}");
    let stranger = Issuer::generate();
    let unsecured = {
        let none = issuer.jws(&json!({"alg": "none", "typ": "vc+jwt", "kid": issuer.method()}), &issuer.badge());
        format!("{}.", none.rsplit_once('.').unwrap().0)
    };
    let mut expired = issuer.badge();
    expired["validUntil"] = json!("2025-06-01T00:00:00Z");
    let cases = [
        ("tampered payload", tampered, vec!["proof/signature_mismatch"]),
        ("another key", stranger.jws(&header, &issuer.badge()), vec!["proof/signature_mismatch"]),
        ("alg none", unsecured, vec!["proof/unsecured_jws"]),
        ("expired", issuer.jws(&header, &expired), vec!["validity/expired"]),
    ];
    for (case, token, expected) in cases {
        let reply = verify(&node, &json!(token), json!({})).await;
        let verdict = reply.json();
        assert_eq!(reply.status, 400, "{case}: {verdict}");
        assert_eq!(verdict["verified"], false, "{case}");
        assert_eq!(errors(&verdict), expected, "{case}");
    }

    // An enveloped credential inside a signed presentation.
    let holder = Issuer::generate();
    let enveloped = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": format!("data:application/vc+jwt,{token}"),
    });
    let signed = holder.sign_with(&presentation(&holder, vec![enveloped]), "authentication", json!({}));
    let reply = verify_presentation(&node, &signed, json!({})).await;
    let verdict = reply.json();
    assert_eq!(reply.status, 200, "{verdict}");
    assert_eq!(verdict["credentials"][0]["verified"], true, "{verdict}");
    assert_eq!(verdict["credentials"][0]["trustnode"]["proof"][0]["type"], "JWS");
    let broken = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "EnvelopedVerifiableCredential", "id": "data:,x"});
    let signed = holder.sign_with(&presentation(&holder, vec![broken]), "authentication", json!({}));
    let verdict = verify_presentation(&node, &signed, json!({})).await.json();
    assert_eq!(errors(&verdict), ["presentation/credential_not_verified"]);
    assert_eq!(errors(&verdict["credentials"][0]), ["proof/invalid_envelope"]);
}
