//! The LER tools people already use, unchanged, against a running node: DCC's issuer-registry-client
//! (3.2.0-beta.5) through the OpenID Federation facade and the legacy file, verifier-core verifying an Open Badges
//! 3.0 credential with its `registered_issuer` step, and a Universal Resolver JS client (did-resolver with
//! Veramo's driver) resolving did:key, did:jwk and a local did:web.
//!
//! The clients run under Node.js through `scripts/ler-interop`, which installs them, pinned, into a cache
//! directory. Each test skips (passing) with a message when Node.js or npm is missing or npm cannot install the
//! packages; `scripts/install-test-deps` installs Node.js and npm.

use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, PoisonError};

use crate::support::node::TestNode;
use crate::support::origin::{Origin, Reply, TestCa};
use crate::support::registry::{node_for, now, put, register_from_now, Fixture, COLLEGE, UNIVERSITY};
use rand_core::OsRng;
use serde_json::{json, Value};
use trustnode_registry::jws::SigningKey;
use trustnode_registry::model::{EntityMetadata, RegistrySource, Status};
use trustnode_resolver::{Content, ResolutionOptions};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ler-interop");
/// Status of `scripts/ler-interop` when npm could not install the clients.
const INSTALL_FAILED: i32 = 3;

/// One script at a time: the first run installs the packages into the shared cache.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| Path::new(&dir).join(name).is_file()))
}

/// The `RESULT` of `scripts/ler-interop program args…`, or `None` (after saying why) when the test must skip.
async fn interop(program: &'static str, args: Vec<String>) -> Option<Value> {
    if !on_path("node") || !on_path("npm") {
        eprintln!(
            "SKIPPED: Node.js and npm are needed for the LER interop tests; scripts/install-test-deps installs them"
        );
        return None;
    }
    let output = tokio::task::spawn_blocking(move || {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        Command::new(SCRIPT).arg(program).args(&args).output().expect("scripts/ler-interop runs")
    })
    .await
    .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.code() == Some(INSTALL_FAILED) {
        eprintln!("SKIPPED: npm could not install the pinned LER clients:\n{stderr}");
        return None;
    }
    assert!(output.status.success(), "{program} failed ({}):\n{stdout}\n{stderr}", output.status);
    let result = stdout.lines().find_map(|line| line.strip_prefix("RESULT ")).unwrap_or_else(|| {
        panic!("{program} printed no RESULT line:\n{stdout}\n{stderr}");
    });
    Some(serde_json::from_str(result).unwrap())
}

/// The facade URLs a DCC known-registries list would name for the fixture's registry.
fn registry_urls(node: &TestNode, fixture: &Fixture) -> (String, String) {
    let base = format!("http://{}/registries/{}", node.addr, fixture.encoded_authority());
    (format!("{base}/.well-known/openid-federation"), format!("{base}/registry.json"))
}

async fn publish_next(node: &TestNode, fixture: &mut Fixture, edit: impl FnOnce(&mut RegistrySource)) {
    let sequence = fixture.signed.len() as u64 + 1;
    let next = fixture.edit_and_build(edit);
    let reply = put(node, &fixture.encoded_authority(), sequence, next.0.bytes().to_vec(), &next.1).await;
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    fixture.accepted(next);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dcc_registry_client_matches_registered_issuers_until_they_are_suspended() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let (configuration, legacy) = registry_urls(&node, &fixture);
    let stranger = "did:web:stranger.example";
    let lookup = |dids: &[&str]| {
        let args = [configuration.as_str(), legacy.as_str()].iter().chain(dids).map(|s| s.to_string()).collect();
        interop("registry-client", args)
    };
    let Some(first) = lookup(&[COLLEGE, UNIVERSITY, stranger]).await else { return };
    let college = &first[COLLEGE];
    assert_eq!(college["unchecked"], json!([]), "{first}");
    let issuer = &college["oidf"]["issuer"]["federation_entity"];
    assert_eq!(
        (issuer["organization_name"].as_str(), issuer["homepage_uri"].as_str()),
        (Some("College"), Some("https://College.example"))
    );
    let fetch_endpoint = &college["oidf"]["registry"]["federation_entity"]["federation_fetch_endpoint"];
    assert_eq!(
        fetch_endpoint.as_str(),
        Some(configuration.replace("/.well-known/openid-federation", "/federation/fetch").as_str())
    );
    assert_eq!(college["legacy"]["issuer"]["federation_entity"]["organization_name"], "College");
    for (did, why) in [(UNIVERSITY, "revoked"), (stranger, "unknown")] {
        assert_eq!(first[did], json!({"oidf": null, "legacy": null, "unchecked": []}), "{why}: {first}");
    }

    // A school whose did:web has a port: the client appends the DID unencoded, `%3A` included.
    let school = "did:web:school.example%3A8443";
    publish_next(&node, &mut fixture, |source| {
        let metadata = EntityMetadata {
            name: "School".into(),
            legal_name: Some("School Inc.".into()),
            ctid: Some("ce-5a1f0c2e-8f7b-4b3a-9e6d-1c2b3a4d5e6f".into()),
            ..Default::default()
        };
        register_from_now(source, school, metadata);
        source.change_status("s2", Status::Suspended, now(), "audit").unwrap();
    })
    .await;
    let Some(second) = lookup(&[COLLEGE, school]).await else { return };
    assert_eq!(second[COLLEGE], json!({"oidf": null, "legacy": null, "unchecked": []}), "suspended: {second}");
    let school_metadata = &second[school]["oidf"]["issuer"];
    assert_eq!(school_metadata["federation_entity"]["organization_name"], "School", "{second}");
    assert_eq!(school_metadata["institution_additional_information"]["legal_name"], "School Inc.");
    assert_eq!(school_metadata["credential_registry_entity"]["ctid"], "ce-5a1f0c2e-8f7b-4b3a-9e6d-1c2b3a4d5e6f");
    assert_eq!(second[school]["legacy"]["issuer"]["federation_entity"]["organization_name"], "School");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifier_core_reports_a_registered_badge_issuer_and_not_an_unregistered_one() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let (configuration, _) = registry_urls(&node, &fixture);
    let [registered, unregistered] = [(); 2].map(|()| ed25519_dalek::SigningKey::generate(&mut OsRng));
    let issuer = SigningKey::Ed25519(registered.clone()).did_key().unwrap();
    publish_next(&node, &mut fixture, |source| {
        register_from_now(source, &issuer, EntityMetadata { name: "Badge Issuer".into(), ..Default::default() });
    })
    .await;

    for (key, expected_issuer, is_registered) in [(&registered, Some(&issuer), true), (&unregistered, None, false)] {
        let args = vec![configuration.clone(), hex::encode(key.to_bytes())];
        let Some(result) = interop("verify-credential", args).await else { return };
        assert_eq!(result["errors"], Value::Null, "{result}");
        if let Some(expected) = expected_issuer {
            assert_eq!(result["issuer"].as_str(), Some(expected.as_str()));
        }
        let step = |id: &str| {
            result["log"]
                .as_array()
                .and_then(|log| log.iter().find(|step| step["id"] == id))
                .cloned()
                .unwrap_or_else(|| panic!("no {id} step: {result}"))
        };
        assert_eq!(step("valid_signature")["valid"], true, "{result}");
        let registered_issuer = step("registered_issuer");
        assert_eq!(registered_issuer["valid"], is_registered, "{result}");
        assert_eq!(registered_issuer["uncheckedRegistries"], json!([]), "{result}");
        if is_registered {
            let name = &registered_issuer["matchingIssuers"][0]["issuer"]["federation_entity"]["organization_name"];
            assert_eq!(name, "Badge Issuer");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_universal_resolver_js_client_gets_the_documents_the_node_resolves() {
    let vectors = |file: &str| -> Value {
        let path = format!("{}/tests/vectors/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let mut dids: Vec<String> = vectors("didkey-valid.json")
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|vector| vector["did"].as_str().map(str::to_owned))
        .collect();
    let jwk_vectors = vectors("didjwk.json");
    dids.extend(
        jwk_vectors["positive"].as_array().unwrap().iter().filter_map(|v| v["did"].as_str().map(str::to_owned)),
    );

    let ca = TestCa::new();
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(ca_dir.path()).display().to_string();
    let origin = Origin::start(&ca).await;
    let web = format!("did:web:issuer.test%3A{}", origin.port());
    let document = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": web,
        "verificationMethod": [{
            "id": format!("{web}#key-1"),
            "type": "Multikey",
            "controller": web,
            "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        }],
        "assertionMethod": [format!("{web}#key-1")],
    });
    origin.set("/.well-known/did.json", Reply::json(&document));
    dids.push(web.clone());
    let node = TestNode::start(move |config| {
        config.web.extra_ca_file = ca_file;
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
    })
    .await;

    let endpoint = format!("http://{}/1.0/identifiers/", node.addr);
    let Some(results) = interop("universal-resolver", [endpoint].into_iter().chain(dids.clone()).collect()).await
    else {
        return;
    };
    assert!(dids.len() > 10, "{} DIDs", dids.len());
    for did in &dids {
        let resolution = node.state.resolver.resolve(did, &ResolutionOptions::default()).await;
        let Ok(Content::Document(expected)) = resolution.result else { panic!("{did} does not resolve in process") };
        assert_eq!(&results[did]["didDocument"], expected.value(), "{did}: {}", results[did]);
    }
    assert_eq!(results[&web]["didDocument"], document);
}
