//! The defaults are safe to expose by mistake (issue 16): a default node takes no snapshot over HTTP, not even one
//! signed with the example registry's committed key, until `[publishing]` allows it; a node other hosts can reach
//! logs each risky setting loudly at start and lists it in `/readyz`; and the committed example stays fresh for at least a year.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::node::{Reply, TestNode};
use crate::support::registry::{node_for, now, put, Fixture};
use serde_json::json;
use trustnode_registry::model::{EntityMetadata, NewStatement, StatementKind};

/// Someone who wants to be trusted without the authority's consent.
const INTRUDER: &str = "did:web:intruder.example";

/// The attack: a successor of the committed example that authorizes [`INTRUDER`], signed with the committed key.
fn forged_example_successor(example: &mut Fixture) -> (Vec<u8>, String) {
    let (snapshot, jws) = example.edit_and_build(|source| {
        source.upsert_entity(INTRUDER, EntityMetadata { name: "Intruder".into(), ..Default::default() }).unwrap();
        source
            .add_statement(NewStatement {
                kind: StatementKind::Authorization,
                entity_id: INTRUDER.into(),
                action: "issue".into(),
                resource: "Degree".into(),
                valid_from: now(),
                valid_until: None,
            })
            .unwrap();
    });
    (snapshot.bytes().to_vec(), jws)
}

async fn intruder_authorized(node: &TestNode, example: &Fixture) -> bool {
    let question =
        json!({"entity_id": INTRUDER, "authority_id": example.authority, "action": "issue", "resource": "Degree"});
    let reply = node
        .request(hyper::Method::POST, "/authorization", &[("content-type", "application/json")], question.to_string())
        .await;
    reply.status == 200 && reply.json()["authorized"] == true
}

fn refused(reply: &Reply, kind: &str, setting: &str) {
    assert_eq!(reply.status, 403, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    let problem = reply.json();
    assert_eq!(problem["type"], format!("urn:trustnode:problem:{kind}"), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains(setting), "{problem}");
}

#[tokio::test]
async fn a_default_node_refuses_a_publish_signed_with_the_committed_example_key() {
    let mut example = Fixture::committed_example();
    let (bytes, jws) = forged_example_successor(&mut example);
    let sequence = example.signed.len() as u64 + 1;
    let node = TestNode::start(|_| {}).await;
    refused(&put(&node, &example.encoded_authority(), sequence, bytes, &jws).await, "publishing-disabled", "enabled");
    assert!(!intruder_authorized(&node, &example).await);

    // Decided without the body: one far over the snapshot limit gets the same 403, not 413.
    let small = TestNode::start(|config| config.publishing.max_snapshot_bytes = 64).await;
    let reply = put(&small, &example.encoded_authority(), sequence, vec![b' '; 4096], &jws).await;
    refused(&reply, "publishing-disabled", "enabled");
}

#[tokio::test]
async fn publishing_is_one_setting_away_and_can_be_limited_to_listed_authorities() {
    let mut example = Fixture::committed_example();
    let (bytes, jws) = forged_example_successor(&mut example);
    let sequence = example.signed.len() as u64 + 1;
    let limited =
        node_for(&example, |config| config.publishing.authorities = vec!["did:web:board.example".into()]).await;
    let reply = put(&limited, &example.encoded_authority(), sequence, bytes.clone(), &jws).await;
    refused(&reply, "publishing-not-allowed", "publishing.authorities");

    // `node_for` sets `publishing.enabled = true`, and nothing else.
    let open = node_for(&example, |_| {}).await;
    assert_eq!(put(&open, &example.encoded_authority(), sequence, bytes, &jws).await.status, 201);
    assert!(intruder_authorized(&open, &example).await, "the example's key is public: never enable this in production");
}

#[tokio::test]
async fn a_node_other_hosts_can_reach_lists_each_risk_in_readyz_and_stays_ready() {
    let exposed = TestNode::start(|config| {
        config.server.listen = "0.0.0.0:0".parse().unwrap();
        config.publishing.enabled = true;
    })
    .await;
    let ready = exposed.get("/readyz", &[]).await;
    assert_eq!(ready.status, 200);
    let body = String::from_utf8_lossy(&ready.body);
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("ready"));
    let warnings: Vec<&str> = lines.collect();
    assert_eq!(warnings.len(), 3, "{body}");
    for (warning, setting) in warnings.iter().zip(["[[registries]]", "publishing.enabled", "server.public_url"]) {
        assert!(warning.starts_with("warning: server.listen 0.0.0.0:0") && warning.contains(setting), "{warning}");
    }

    let loopback = TestNode::start(|config| config.publishing.enabled = true).await;
    let ready = loopback.get("/readyz", &[]).await;
    assert_eq!((ready.status.as_u16(), &ready.body[..]), (200, &b"ready"[..]));
}

/// The log lines `trustnode serve` with the defaults writes before it listens on `listen` (it is killed then).
fn start_up_log(listen: &str, env: &[(&str, &str)]) -> Vec<String> {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_trustnode"))
        .args(["serve", "--listen", listen, "--data-dir"])
        .arg(data.path())
        .envs(env.iter().copied())
        .env("TRUSTNODE_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let listening = line.contains("trustnode listening");
        lines.push(line);
        if listening {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

#[test]
fn serve_on_every_interface_warns_loudly_at_start_and_on_loopback_not() {
    let log = start_up_log("0.0.0.0:0", &[("TRUSTNODE_PUBLISHING__ENABLED", "true")]);
    assert!(log.last().is_some_and(|line| line.contains("trustnode listening")), "{log:#?}");
    let warnings: Vec<&String> = log.iter().filter(|line| line.contains("UNSAFE CONFIGURATION")).collect();
    assert_eq!(warnings.len(), 3, "{log:#?}");
    for (warning, setting) in warnings.iter().zip(["[[registries]]", "publishing.enabled", "server.public_url"]) {
        assert!(warning.contains("WARN") && warning.contains(setting), "{warning}");
    }
    let log = start_up_log("127.0.0.1:0", &[("TRUSTNODE_PUBLISHING__ENABLED", "true")]);
    assert!(log.last().is_some_and(|line| line.contains("trustnode listening")), "{log:#?}");
    assert!(!log.iter().any(|line| line.contains("UNSAFE")), "{log:#?}");
}

#[tokio::test]
async fn the_committed_example_stays_fresh_for_a_year_and_verifies() {
    let example = Fixture::committed_example();
    let (newest, _) = example.signed.last().unwrap();
    let content = newest.snapshot();
    let year_ahead = now().checked_add_seconds(365 * 86_400).unwrap();
    assert!(
        content.next_update >= year_ahead,
        "registry/example is due for update on {}, less than a year from now: re-sign it (registry/example/README.md)",
        content.next_update
    );

    // The default configuration serves that very snapshot, fresh, and its federation facade signs.
    let node = TestNode::start(|_| {}).await;
    let listing = node.get("/registries", &[]).await.json();
    let entry = &listing["registries"][0];
    assert_eq!((entry["sequence"].as_u64(), &entry["stale"]), (Some(content.sequence), &json!(false)), "{listing}");
    let configuration = format!("/registries/{}/.well-known/openid-federation", example.encoded_authority());
    assert_eq!(node.get(&configuration, &[]).await.status, 200);
}
