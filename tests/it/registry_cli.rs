//! The governance CLI end to end, as a person runs it: key generate → init → entity → authorize → sign → serve →
//! change and sign again → publish → TRQP query; plus refusals (overwriting a key, signing an invalid source,
//! verifying a tampered file) and `--help` on every command.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::process::{exchange, spawn_node};

const BIN: &str = env!("CARGO_BIN_EXE_trustnode");

fn trustnode(args: &[&str], data: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .env("TRUSTNODE_SERVER__DATA_DIR", data)
        .env("TRUSTNODE_LOG", "warn")
        .output()
        .expect("run trustnode")
}

/// Runs a command that must succeed and returns its stdout.
fn ok(args: &[&str], data: &Path) -> String {
    let output = trustnode(args, data);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs a command that must fail and returns its stderr.
fn fails(args: &[&str], data: &Path) -> String {
    let output = trustnode(args, data);
    assert!(!output.status.success(), "{args:?} should fail: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_command_has_help() {
    let data = tempfile::tempdir().unwrap();
    let commands: &[&[&str]] = &[
        &["key", "--help"],
        &["key", "generate", "--help"],
        &["registry", "--help"],
        &["registry", "init", "--help"],
        &["registry", "entity", "--help"],
        &["registry", "authorize", "--help"],
        &["registry", "recognize", "--help"],
        &["registry", "delegate", "--help"],
        &["registry", "suspend", "--help"],
        &["registry", "revoke", "--help"],
        &["registry", "reinstate", "--help"],
        &["registry", "sign", "--help"],
        &["registry", "verify", "--help"],
        &["registry", "publish", "--help"],
        &["registry", "watch", "--help"],
    ];
    for args in commands {
        assert!(ok(args, data.path()).contains("Usage: trustnode"), "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn keys_are_private_files_that_are_never_overwritten() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    for key_type in ["ed25519", "p256"] {
        let file = dir.path().join(format!("{key_type}.jwk"));
        let file = file.to_str().unwrap();
        let did = ok(&["key", "generate", "--type", key_type, "--out", file], dir.path());
        let prefix = if key_type == "ed25519" { "did:key:z6Mk" } else { "did:key:zDn" };
        assert!(did.trim().starts_with(prefix), "{did}");
        assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600);
        let before = std::fs::read(file).unwrap();
        let error = fails(&["key", "generate", "--type", key_type, "--out", file], dir.path());
        assert!(error.contains("exists"), "{error}");
        assert_eq!(std::fs::read(file).unwrap(), before);
    }
}

#[cfg(unix)]
#[test]
fn author_sign_serve_publish_and_query() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path();
    let key = data.join("board.jwk");
    let key = key.to_str().unwrap();
    let dir = data.join("registry");
    let dir = dir.to_str().unwrap();
    let authority = ok(&["key", "generate", "--type", "p256", "--out", key], data).trim().to_owned();
    ok(&["registry", "init", dir, "--authority", &authority, "--name", "Test Board"], data);
    let university = "did:web:university.example";
    ok(
        &["registry", "entity", dir, "--entity", university, "--name", "University", "--ror", "https://ror.org/0x"],
        data,
    );
    let added =
        ok(&["registry", "authorize", dir, "--entity", university, "--action", "issue", "--resource", "Degree"], data);
    assert_eq!(added.trim(), "added statement s1");
    assert!(ok(&["registry", "sign", dir, "--key", key, "--next-update", "7d"], data).contains("snapshot 1"));
    let first = format!("{dir}/snapshots/1.json");
    assert!(ok(&["registry", "verify", &first], data).contains("signature: ok"));

    let tampered = data.join("tampered");
    std::fs::create_dir(&tampered).unwrap();
    let text = std::fs::read_to_string(&first).unwrap().replace("Test Board", "Test Hoard");
    std::fs::write(tampered.join("1.json"), text).unwrap();
    std::fs::copy(format!("{dir}/snapshots/1.jws"), tampered.join("1.jws")).unwrap();
    let error = fails(&["registry", "verify", tampered.join("1.json").to_str().unwrap()], data);
    assert!(error.contains("signature does not verify"), "{error}");

    let (mut node, address) = spawn_node(Path::new(dir), &data.join("node-data"));
    let query = |resource: &str| {
        let body = serde_json::json!({"entity_id": university, "authority_id": authority, "action": "issue",
            "resource": resource})
        .to_string();
        let request = format!(
            "POST /authorization HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let (status, reply) = exchange(&address, request.as_bytes()).unwrap();
        (status, serde_json::from_slice::<serde_json::Value>(&reply).unwrap())
    };
    assert_eq!(query("Degree").1["authorized"], true);
    assert_eq!(query("Certificate").0, 404, "no statement names Certificate yet");

    ok(&["registry", "authorize", dir, "--entity", university, "--action", "issue", "--resource", "Certificate"], data);
    ok(&["registry", "sign", dir, "--key", key], data);
    let published = ok(&["registry", "publish", dir, "--node", &format!("http://{address}")], data);
    assert!(published.contains("published snapshot 2"), "{published}");
    let (status, answer) = query("Certificate");
    assert_eq!(
        (status, answer["authorized"].as_bool(), answer["registry_sequence"].as_u64()),
        (200, Some(true), Some(2))
    );
    let refused = fails(&["registry", "publish", dir, "--node", &format!("http://{address}")], data);
    assert!(refused.contains("409") && refused.contains("not next"), "{refused}");
    let url = format!("http://{address}/registries/{authority}/snapshots/latest");
    assert!(ok(&["registry", "verify", &url], data).contains("signature: ok (ES256"));
    node.kill().unwrap();
    node.wait().unwrap();
}

#[test]
fn sign_refuses_an_invalid_source_and_lists_every_problem() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path();
    let key = data.join("k.jwk");
    let key = key.to_str().unwrap();
    let dir = data.join("r");
    let dir = dir.to_str().unwrap();
    let authority = ok(&["key", "generate", "--out", key], data).trim().to_owned();
    ok(&["registry", "init", dir, "--authority", &authority, "--name", "Board"], data);
    ok(&["registry", "entity", dir, "--entity", "did:web:a.example", "--name", "A"], data);
    ok(&["registry", "authorize", dir, "--entity", "did:web:a.example", "--action", "issue", "--resource", "X"], data);
    let source = format!("{dir}/registry.json");
    let original = std::fs::read_to_string(&source).unwrap();
    let edited = original
        .replace("\"name\": \"A\"", "\"name\": \"\"")
        .replace("\"entity_id\": \"did:web:a.example\"", "\"entity_id\": \"did:web:b.example\"");
    std::fs::write(&source, edited).unwrap();
    let error = fails(&["registry", "sign", dir, "--key", key], data);
    assert!(error.contains("2 problems"), "{error}");
    assert!(error.contains("entities[did:web:a.example].name") && error.contains("statements[0].entity_id"), "{error}");
    assert!(!Path::new(dir).join("snapshots/1.json").exists());

    std::fs::write(&source, original).unwrap();
    let stranger = data.join("other.jwk");
    ok(&["key", "generate", "--out", stranger.to_str().unwrap()], data);
    let error = fails(&["registry", "sign", dir, "--key", stranger.to_str().unwrap()], data);
    assert!(error.contains("not the authority") && error.contains("--kid"), "{error}");
}

#[test]
fn delegate_writes_a_delegation_and_refuses_malformed_scopes_and_depths() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path();
    let dir = data.join("r");
    let dir = dir.to_str().unwrap();
    ok(&["registry", "init", dir, "--authority", "did:web:board.example", "--name", "Board"], data);
    ok(&["registry", "entity", dir, "--entity", "did:web:accreditor.example", "--name", "Accreditor"], data);
    let delegate = |scope: &'static str, depth: &'static str| {
        let args = ["registry", "delegate", dir, "--entity", "did:web:accreditor.example", "--scope", scope];
        [&args[..], &["--max-depth", depth, "--valid-from", "2025-01-01T00:00:00Z"]].concat()
    };
    let added = ok(&delegate("https://example.org/badges/*", "2"), data);
    assert_eq!(added.trim(), "added delegation s1");
    let source: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(dir).join("registry.json")).unwrap()).unwrap();
    let statement = &source["statements"][0];
    assert_eq!(
        (statement["kind"].as_str(), statement["action"].as_str(), statement["max_depth"].as_u64()),
        (Some("authorization"), Some("delegate"), Some(2))
    );
    assert_eq!(statement["resource"], "https://example.org/badges/*");
    let error = fails(&delegate("https://example.org/*/math", "2"), data);
    assert!(error.contains("statement.resource") && error.contains("may only end a scope"), "{error}");
    let error = fails(&delegate("Degree", "9"), data);
    assert!(error.contains("statement.max_depth"), "{error}");
}
