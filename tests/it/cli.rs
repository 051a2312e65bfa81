//! The `trustnode` binary as a user runs it: help texts, exit codes, `resolve` output, and `serve` starting on
//! the embedded configuration and stopping cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use crate::support::process::{exchange, listen_address};

const BIN: &str = env!("CARGO_BIN_EXE_trustnode");
const ED25519: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

fn trustnode(args: &[&str]) -> std::process::Output {
    let data = tempfile::tempdir().unwrap();
    Command::new(BIN)
        .args(args)
        .env("TRUSTNODE_SERVER__DATA_DIR", data.path())
        .env("TRUSTNODE_LOG", "warn")
        .output()
        .expect("run trustnode")
}

#[test]
fn every_command_has_help() {
    for args in [&["--help"][..], &["serve", "--help"], &["resolve", "--help"]] {
        let output = trustnode(args);
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Usage: trustnode"), "{args:?}: {text}");
    }
}

#[test]
fn unknown_commands_and_flags_fail_with_a_message() {
    for args in [&["frobnicate"][..], &["serve", "--no-such-flag"], &["resolve"]] {
        let output = trustnode(args);
        assert!(!output.status.success(), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn resolve_prints_the_result_and_exits_zero() {
    let output =
        trustnode(&["resolve", ED25519, "--accept", "application/did", "--option", "publicKeyFormat=JsonWebKey2020"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["id"], ED25519);
    assert_eq!(document["verificationMethod"][0]["type"], "JsonWebKey2020");
}

#[test]
fn resolve_failure_prints_the_error_result_and_exits_nonzero() {
    let output = trustnode(&["resolve", "did:key:zTjsVPtY"]);
    assert_eq!(output.status.code(), Some(1));
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["didDocument"], serde_json::Value::Null);
    assert_eq!(result["didResolutionMetadata"]["error"]["title"], "INVALID_DID");
}

#[test]
fn bad_configuration_is_reported_not_panicked() {
    let output = Command::new(BIN).args(["serve"]).env("TRUSTNODE_SERVER__LISTEN", "not-an-address").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid configuration"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn serve_runs_on_defaults_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("TRUSTNODE_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let address = listen_address(&mut stderr).expect("the node logs its listen address");
    let (status, body) = exchange(&address, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!((status, &body[..]), (200, &b"ok"[..]));

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful stop exits 0, got {exit}");
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("stopped"), "{rest}");
}

/// `serve --log-format json` with the access log on: one JSON object per line, and the access line of a request
/// names its method, route, status, latency and the request id the client sent.
#[cfg(unix)]
#[test]
fn json_logs_carry_the_access_line_with_the_request_id() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .env("TRUSTNODE_LOG", "info")
        .env("TRUSTNODE_SERVER__ACCESS_LOG", "all")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut next_json = || -> serde_json::Value {
        let line = lines.next().expect("a log line").unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
    };
    let address = loop {
        if let Some(address) = next_json()["fields"]["address"].as_str() {
            break address.to_owned();
        }
    };
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    let request = format!("GET /1.0/identifiers/{ED25519} HTTP/1.1\r\nHost: x\r\nX-Request-ID: cli-test-42\r\n");
    write!(stream, "{request}Connection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.to_ascii_lowercase().contains("x-request-id: cli-test-42"), "{reply}");
    let access = loop {
        let line = next_json();
        if line["target"] == "trustnode::access" {
            break line;
        }
    };
    let fields = &access["fields"];
    assert_eq!(fields["request_id"], "cli-test-42");
    assert_eq!(fields["method"], "GET");
    assert_eq!(fields["route"], "/1.0/identifiers/{*id}");
    assert_eq!(fields["status"], 200);
    assert!(fields["latency_us"].is_u64(), "{access}");
    assert_eq!(access["level"], "INFO");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(child.wait().unwrap().success());
}

#[test]
fn conformance_registry_refuses_questions_with_missing_terms() {
    let command = ["conformance", "registry", "http://127.0.0.1:9", "--authority", ED25519];
    let one = ["--entity", "did:web:a.example", "--action", "issue", "--resource", "R"];
    let misaligned = "one --action and one --resource for each --entity";
    let cases: [(Vec<&str>, &str); 3] = [
        (vec!["--entity", "did:web:a.example", "--action", "issue"], misaligned),
        ([&one[..], &["--entity", "did:web:b.example"]].concat(), misaligned),
        ([&one[..], &one[..], &["--expect", "authorized"]].concat(), "--expect for every --entity or for none"),
    ];
    for (extra, message) in cases {
        let output = trustnode(&[&command[..], &extra].concat());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && stderr.contains(message), "{extra:?}: {stderr}");
    }
}
