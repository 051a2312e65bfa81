//! Credentials made by other people's software, verified by the node and by `@digitalcredentials/verifier-core`:
//! `scripts/ler-interop sign-credentials` signs the cases with Digital Bazaar's npm stack (Open Badges 3.0 with
//! every suite, CLR 2.0, a presentation, and the negative variants, each with its expected verdict in
//! `manifest.json`); the node must give that verdict on `POST /credentials/verify` and
//! `POST /presentations/verify`, naming the failed check; `scripts/ler-interop verify-all` runs verifier-core over
//! the same files and must agree with the node on every case it can judge.
//!
//! The cases verifier-core cannot judge carry the reason in the manifest (`verifier_core`): the ECDSA and JCS
//! suites (it verifies only eddsa-rdfc-2022 and Ed25519Signature2020, and its did:key driver knows only Ed25519
//! keys), and the presentation (it checks a presentation proof for the `assertionMethod` purpose and takes no
//! domain, while holders sign for `authentication` with a challenge and a domain).
//!
//! Status lists are served by an HTTPS test origin (`status.issuer.test`, certified by the test CA) that the node
//! and the Node.js programs reach by name on 127.0.0.1 only. Skips (passing) with a message when Node.js or npm is
//! missing or npm cannot install the packages; `scripts/install-test-deps` installs Node.js and npm.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use hyper::Method;
use serde_json::{json, Value};
use trustnode_registry::model::{EntityMetadata, NewStatement, StatementKind};

use crate::support::node::TestNode;
use crate::support::origin::{Origin, Reply, TestCa};
use crate::support::registry::{at, node_for, Fixture, BADGE};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ler-interop");
/// Status of `scripts/ler-interop` when npm could not install the packages.
const INSTALL_FAILED: i32 = 3;
/// The status origin's name: the test CA certifies `*.issuer.test`.
const STATUS_HOST: &str = "status.issuer.test";
/// The CLR 2.0 credential type, the other resource the positive issuers are authorized for.
const CLR: &str = "ClrCredential";
/// The check names the verifier's answer may use (the contract of `errors[].check`).
const CHECKS: [&str; 7] = ["proof", "issuer", "validity", "status", "trust", "context", "presentation"];

/// The `RESULT` lines of `scripts/ler-interop program args…` run with `env`, or `None` (after saying why) when
/// the test must skip.
fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Option<Vec<Value>> {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| Path::new(&dir).join(name).is_file()))
    };
    if !on_path("node") || !on_path("npm") {
        eprintln!("SKIPPED: Node.js and npm are needed for the credential interop test (scripts/install-test-deps)");
        return None;
    }
    let output = Command::new(SCRIPT)
        .arg(program)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("scripts/ler-interop runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.code() == Some(INSTALL_FAILED) {
        eprintln!("SKIPPED: npm could not install the pinned interop packages:\n{stderr}");
        return None;
    }
    assert!(output.status.success(), "{program} failed ({}):\n{stdout}\n{stderr}", output.status);
    let results: Vec<Value> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("RESULT "))
        .map(|result| serde_json::from_str(result).unwrap())
        .collect();
    assert!(!results.is_empty(), "{program} printed no RESULT line:\n{stdout}\n{stderr}");
    Some(results)
}

/// A manifest member as text (empty when absent).
fn text<'a>(case: &'a Value, member: &str) -> &'a str {
    case[member].as_str().unwrap_or_default()
}

/// The node's answer to one case: its status and body.
async fn verify(node: &TestNode, case: &Value, document: Value) -> (u16, Value) {
    let (path, body) = if text(case, "kind") == "presentation" {
        let options = json!({"challenge": case["challenge"], "domain": case["domain"]});
        ("/presentations/verify", json!({"verifiablePresentation": document, "options": options}))
    } else {
        ("/credentials/verify", json!({"verifiableCredential": document, "options": {}}))
    };
    let reply = node.request(Method::POST, path, &[("content-type", "application/json")], body.to_string()).await;
    (reply.status.as_u16(), reply.json())
}

/// Checks the node's answer against the case's expected verdict; returns the verdict.
fn judge(case: &Value, status: u16, answer: &Value) -> bool {
    let file = text(case, "file");
    let expect = &case["expect"];
    let verified = expect["verified"] == true;
    assert_eq!(answer["verified"], verified, "{file} ({}): {answer:#}", text(expect, "reason"));
    assert_eq!(status, if verified { 200 } else { 400 }, "{file}: {answer:#}");
    assert!(answer["checks"].as_array().is_some_and(|checks| !checks.is_empty()), "{file}: {answer:#}");
    let errors = answer["errors"].as_array().unwrap_or_else(|| panic!("{file}: no errors list: {answer:#}"));
    for error in errors {
        let check = text(error, "check");
        assert!(CHECKS.contains(&check), "{file}: unknown check {check:?}: {answer:#}");
        assert!(!text(error, "code").is_empty() && !text(error, "message").is_empty(), "{file}: {error}");
    }
    if verified {
        assert_eq!(errors.len(), 0, "{file}: {answer:#}");
        if text(case, "kind") == "presentation" {
            let credentials = answer["credentials"].as_array().unwrap_or_else(|| panic!("{file}: {answer:#}"));
            assert!(credentials.iter().all(|credential| credential["verified"] == true), "{file}: {answer:#}");
        }
    } else {
        let named: BTreeSet<&str> = errors.iter().map(|error| text(error, "check")).collect();
        let expected: Vec<&str> = expect["check"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(
            expected.iter().any(|check| named.contains(check)),
            "{file} ({}): no error from the {expected:?} check: {answer:#}",
            text(expect, "reason")
        );
    }
    verified
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_and_verifier_core_agree_on_credentials_signed_by_digital_bazaars_stack() {
    let ca = TestCa::new();
    let work = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(work.path()).display().to_string();
    let origin = Origin::start(&ca).await;
    let status_base = format!("https://{STATUS_HOST}:{}/status/", origin.port());
    let cases_dir = work.path().join("cases");
    let out = cases_dir.display().to_string();
    // The CLR 2.0 context has no npm package: the signer gets the node's bundled copy.
    let clr_context = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/credential/contexts/clr-v2p0-context-2.0.1.json");
    let Some(signed) = run("sign-credentials", &[&out, &status_base], &[("TRUSTNODE_CLR_CONTEXT", clr_context)]) else {
        return;
    };
    let read = |file: &str| -> Value { serde_json::from_slice(&std::fs::read(cases_dir.join(file)).unwrap()).unwrap() };
    let manifest = read("manifest.json");
    let manifest = manifest.as_array().unwrap();
    for list in manifest.iter().filter(|case| text(case, "kind") == "status-list") {
        origin.set(text(list, "serve_at"), Reply::json(&read(text(list, "file"))));
    }

    // The issuers of the positive cases may issue badges and learner records; the stranger may not.
    let mut fixture = Fixture::new();
    let positive_issuers: BTreeSet<&str> =
        manifest.iter().filter(|case| case["expect"]["verified"] == true).map(|case| text(case, "issuer")).collect();
    assert_eq!(positive_issuers.len(), 3, "the Ed25519, P-256 and P-384 issuers: {positive_issuers:?} {signed:?}");
    fixture.extend(|source| {
        for (n, issuer) in positive_issuers.iter().enumerate() {
            let metadata = EntityMetadata { name: format!("Interop Academy {n}"), ..Default::default() };
            source.upsert_entity(issuer, metadata).unwrap();
            for resource in [BADGE, CLR] {
                let terms = NewStatement {
                    kind: StatementKind::Authorization,
                    entity_id: (*issuer).into(),
                    action: "issue".into(),
                    resource: resource.into(),
                    valid_from: at("2024-01-01T00:00:00Z"),
                    valid_until: None,
                };
                source.add_statement(terms).unwrap();
            }
        }
    });
    let node = node_for(&fixture, |config| {
        config.web.extra_ca_file = ca_file.clone();
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert(STATUS_HOST.into(), "127.0.0.1".parse::<IpAddr>().unwrap());
    })
    .await;

    let mut node_verdicts = BTreeMap::new();
    for case in manifest.iter().filter(|case| text(case, "kind") != "status-list") {
        let (status, answer) = verify(&node, case, read(text(case, "file"))).await;
        node_verdicts.insert(text(case, "file").to_owned(), judge(case, status, &answer));
    }
    let negatives = ["tampered", "wrong_key", "wrong_purpose", "expired", "not_yet_valid", "unknown_context"];
    for reason in negatives.into_iter().chain(["revoked", "suspended", "unauthorized_issuer"]) {
        assert!(manifest.iter().any(|case| case["expect"]["reason"] == reason), "no {reason} case");
    }
    assert!(origin.requests_to("/status/revocation") > 0 && origin.requests_to("/status/suspension") > 0);

    let entity_configuration =
        format!("http://{}/registries/{}/.well-known/openid-federation", node.addr, fixture.encoded_authority());
    let env = [("NODE_EXTRA_CA_CERTS", ca_file.as_str()), ("TRUSTNODE_INTEROP_HOSTS", STATUS_HOST)];
    let Some(verdicts) = run("verify-all", &[&out, &entity_configuration], &env) else { return };
    let judged: BTreeSet<&str> = manifest
        .iter()
        .filter(|case| text(case, "kind") != "status-list" && case["verifier_core"].is_null())
        .map(|case| text(case, "file"))
        .collect();
    assert!(judged.len() >= 10, "verifier-core judges too few cases: {judged:?}");
    for verdict in &verdicts {
        let file = text(verdict, "file");
        if judged.contains(file) {
            assert_eq!(verdict["verified"], node_verdicts[file], "verifier-core disagrees on {file}: {verdict:#}");
        }
    }
    let reported: BTreeSet<&str> = verdicts.iter().map(|verdict| text(verdict, "file")).collect();
    assert!(judged.is_subset(&reported), "verifier-core gave no verdict on {:?}", judged.difference(&reported));
}
