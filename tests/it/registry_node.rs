//! The registry node over HTTP: start-up import and load, the read API (snapshots with ETag, conditional GET and
//! cache lifetime; entity listing and view), publishing with every refusal keeping the previous snapshot, one
//! winner among concurrent publishes, and a `kill -9` during a publish.

use std::time::Duration;

use crate::support::origin::{Origin, Reply, TestCa};
use crate::support::process::{exchange, spawn_node};
use crate::support::registry::{
    add_schools, at, latest_etag, node_for, put, Fixture, BADGE, BOOTCAMP, COLLEGE, UNIVERSITY,
};
use rand_core::OsRng;
use serde_json::Value;
use trustnode::store::RegistryDir;
use trustnode_registry::jws::{SigningKey, SigningKeyType};
use trustnode_registry::model::Status;
use trustnode_registry::snapshot::CanonicalSnapshot;

#[tokio::test]
async fn serves_the_signed_bytes_with_signature_etag_and_cache_lifetime() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let (snapshot, jws) = &fixture.signed[0];
    for authority in [fixture.encoded_authority(), fixture.authority.clone()] {
        let reply = node.get(&format!("/registries/{authority}/snapshots/latest"), &[]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(&reply.body[..], snapshot.bytes());
        assert_eq!(reply.header("etag"), Some(format!("\"{}\"", snapshot.digest()).as_str()));
        assert_eq!(reply.header("registry-snapshot-jws"), Some(jws.as_str()));
        let max_age: i64 =
            reply.header("cache-control").and_then(|c| c.strip_prefix("public, max-age=")).unwrap().parse().unwrap();
        assert!((86_000..=86_400).contains(&max_age), "max-age {max_age} must not pass next_update");
    }
    let path = format!("/registries/{}/snapshots/1", fixture.encoded_authority());
    let etag = format!("\"{}\"", snapshot.digest());
    let cached = node.get(&path, &[("if-none-match", &etag)]).await;
    assert_eq!((cached.status.as_u16(), cached.body.len()), (304, 0));
    let other = node.get(&path, &[("if-none-match", "\"sha256:00\"")]).await;
    assert_eq!(other.status, 200);
    let signature = node.get(&format!("{path}?format=jws"), &[]).await;
    assert_eq!((signature.header("content-type"), &signature.body[..]), (Some("application/jose"), jws.as_bytes()));
    assert_eq!(node.get(&format!("/registries/{}/snapshots/7", fixture.encoded_authority()), &[]).await.status, 404);
    assert_eq!(node.get("/registries/did:key:z6MkUnknown/snapshots/latest", &[]).await.status, 404);

    let listing = node.get("/registries", &[]).await.json();
    let entry = &listing["registries"][0];
    assert_eq!(
        (entry["authority_id"].as_str(), entry["sequence"].as_u64()),
        (Some(fixture.authority.as_str()), Some(1))
    );
    assert_eq!(entry["next_update"], serde_json::json!(snapshot.snapshot().next_update));
    let latest = entry["links"]["latest"].as_str().unwrap();
    assert_eq!(node.get(latest, &[]).await.status, 200);
}

#[tokio::test]
async fn entities_are_paginated_filtered_and_viewable_by_raw_or_encoded_did() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let base = format!("/registries/{}/entities", fixture.encoded_authority());
    let ids = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|i| i["entity_id"].as_str().unwrap().to_owned()).collect()
    };
    let page = node.get(&format!("{base}?limit=2&offset=1"), &[]).await.json();
    assert_eq!(ids(&page), [BOOTCAMP, COLLEGE]);
    assert_eq!(page["pagination"], serde_json::json!({"limit": 2, "offset": 1, "total": 4}));
    let badges = node.get(&format!("{base}?resource={BADGE}"), &[]).await.json();
    assert_eq!(ids(&badges), [BOOTCAMP, UNIVERSITY]);
    let revoked = node.get(&format!("{base}?resource={BADGE}&status=revoked"), &[]).await.json();
    assert_eq!(ids(&revoked), [UNIVERSITY]);
    let before = node.get(&format!("{base}?status=active&action=issue&time=2025-02-15T00:00:00Z"), &[]).await.json();
    assert_eq!(ids(&before), [UNIVERSITY], "the college was suspended and the bootcamp expired then");
    for bad in ["limit=1001", "limit=0", "status=sleeping", "time=2025-01-01"] {
        assert_eq!(node.get(&format!("{base}?{bad}"), &[]).await.status, 400, "{bad}");
    }

    for entity in [UNIVERSITY.to_owned(), trustnode_registry::wire::encode(UNIVERSITY)] {
        let view = node.get(&format!("{base}/{entity}?time=2025-06-01T00:00:00Z"), &[]).await.json();
        assert_eq!(view["metadata"]["name"], "University");
        assert_eq!(view["statements"][0]["status"], "revoked");
        assert_eq!(view["statements"][0]["reason"], "programme closed");
        assert_eq!(view["statements"][0]["statement"]["id"], "s1");
    }
    assert_eq!(node.get(&format!("{base}/did:web:nobody.example"), &[]).await.status, 404);
}

/// Puts `bytes`/`jws` as `sequence` and checks the refusal's status and problem type, and that the node still
/// serves the snapshot it served before; returns the problem's detail (empty for a 413).
async fn assert_refused(
    node: &crate::support::node::TestNode,
    fixture: &Fixture,
    sequence: u64,
    (bytes, jws): (Vec<u8>, String),
    status: u16,
    kind: &str,
) -> String {
    let before = latest_etag(node, &fixture.encoded_authority()).await;
    let reply = put(node, &fixture.encoded_authority(), sequence, bytes, &jws).await;
    assert_eq!(reply.status, status, "{kind}: {}", String::from_utf8_lossy(&reply.body));
    let mut detail = String::new();
    if status != 413 {
        let problem = reply.json();
        assert_eq!(problem["type"], format!("urn:trustnode:problem:{kind}"), "{problem}");
        detail = problem["detail"].as_str().unwrap_or_default().to_owned();
        assert!(!detail.is_empty());
    }
    assert_eq!(latest_etag(node, &fixture.encoded_authority()).await, before, "{kind}: the previous snapshot stays");
    detail
}

fn revoke_college(fixture: &mut Fixture) -> (CanonicalSnapshot, String) {
    fixture.edit_and_build(|source| {
        source.change_status("s2", Status::Revoked, at("2025-09-01T00:00:00Z"), "closed").unwrap();
    })
}

#[tokio::test]
async fn every_forgery_and_out_of_order_publish_is_refused_with_its_reason() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.publishing.max_snapshot_bytes = 64 * 1024).await;
    let (two, jws) = revoke_college(&mut fixture);
    let bytes = two.bytes().to_vec();

    let mut tampered = bytes.clone();
    let position = tampered.windows(5).position(|w| w == b"Board").unwrap();
    tampered[position] = b'H';
    assert_refused(&node, &fixture, 2, (tampered, jws.clone()), 403, "signature-refused").await;

    let stranger = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let forged = two.sign(&stranger, &fixture.key.did_key_url().unwrap()).unwrap();
    assert_refused(&node, &fixture, 2, (bytes.clone(), forged), 403, "signature-refused").await;

    let not_listed = two.sign(&fixture.key, &format!("{}#key-2", fixture.authority)).unwrap();
    assert_refused(&node, &fixture, 2, (bytes.clone(), not_listed), 403, "signature-refused").await;

    let pretty = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&bytes).unwrap()).unwrap();
    assert_refused(&node, &fixture, 2, (pretty, jws.clone()), 400, "non-canonical").await;
    assert_refused(&node, &fixture, 2, (bytes.clone(), String::new()), 400, "missing-signature").await;
    assert_refused(&node, &fixture, 3, (bytes.clone(), jws.clone()), 409, "sequence-not-next").await;
    let (one, one_jws) = fixture.signed[0].clone();
    assert_refused(&node, &fixture, 1, (one.bytes().to_vec(), one_jws), 409, "sequence-not-next").await;

    // A snapshot 2 chained to a different snapshot 1 (same authority, same key).
    let mut fork = Fixture::new();
    fork.key = fixture.key.clone();
    fork.kid = fixture.kid.clone();
    fork.authority = fixture.authority.clone();
    fork.source.authority_id = fixture.authority.clone();
    fork.source.name = "A different board".into();
    fork.signed.clear();
    let fork_one = fork.build_next(86_400);
    fork.accepted(fork_one);
    let (forked, forked_jws) = fork.build_next(86_400);
    let detail =
        assert_refused(&node, &fixture, 2, (forked.bytes().to_vec(), forked_jws), 409, "not-a-successor").await;
    // A sentence naming the sequence and both digests, not a Rust value.
    let (served, named) = (fixture.signed[0].0.digest(), fork.signed[0].0.digest());
    assert_eq!(
        detail,
        format!(
            "`previous` must name snapshot 1 with digest {served}, the one it follows; it names snapshot 1 with \
             digest {named}"
        )
    );

    let big = fixture.edit_and_build(|source| add_schools(source, 400));
    assert!(big.0.bytes().len() > 64 * 1024);
    assert_refused(&node, &fixture, 2, (big.0.bytes().to_vec(), big.1), 413, "too-large").await;

    // The genuine snapshot 2 is accepted; replaying it is refused.
    let accepted = put(&node, &fixture.encoded_authority(), 2, bytes.clone(), &jws).await;
    assert_eq!(accepted.status, 201, "{}", String::from_utf8_lossy(&accepted.body));
    assert_eq!(accepted.json()["digest"], two.digest().to_string());
    assert_eq!(latest_etag(&node, &fixture.encoded_authority()).await, two.digest().to_string());
    assert_refused(&node, &fixture, 2, (bytes, jws), 409, "sequence-not-next").await;
    let one_again = node.get(&format!("/registries/{}/snapshots/1", fixture.encoded_authority()), &[]).await;
    assert_eq!(&one_again.body[..], one.bytes());
}

#[tokio::test]
async fn sequences_in_paths_are_canonical_decimal_from_1() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let base = format!("/registries/{}/snapshots", fixture.encoded_authority());
    assert_eq!(node.get(&format!("{base}/1"), &[]).await.status, 200);
    // `0` is canonical, but sequences start at 1: no snapshot 0 can exist.
    for segment in ["01", "02", "+1", "%2B1", "%201", "1%20", "0", "00", "-1", "1.0", "18446744073709551616"] {
        let reply = node.get(&format!("{base}/{segment}"), &[]).await;
        assert_eq!(reply.status, 400, "GET {segment}: {}", String::from_utf8_lossy(&reply.body));
        let problem = reply.json();
        assert_eq!(problem["type"], "urn:trustnode:problem:invalid-sequence", "{segment}");
        assert!(problem["detail"].as_str().unwrap().contains("without sign, spaces or leading zeros"), "{problem}");
    }
    let (two, jws) = revoke_college(&mut fixture);
    let json = ("content-type", "application/json");
    for segment in ["02", "+2", "0"] {
        let headers = [json, (trustnode_registry::wire::SNAPSHOT_JWS_HEADER, jws.as_str())];
        let reply =
            node.request(hyper::Method::PUT, &format!("{base}/{segment}"), &headers, two.bytes().to_vec()).await;
        assert_eq!(reply.status, 400, "PUT {segment}: {}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.json()["type"], "urn:trustnode:problem:invalid-sequence", "{segment}");
    }
    assert_eq!(put(&node, &fixture.encoded_authority(), 2, two.bytes().to_vec(), &jws).await.status, 201);
    assert_eq!(node.get(&format!("{base}/02"), &[]).await.status, 400, "no alias of a snapshot that exists");
}

#[tokio::test]
async fn the_snapshot_must_be_for_the_path() {
    let mut fixture = Fixture::new();
    let other = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let (two, jws) = revoke_college(&mut fixture);
    // Another authority's (validly signed) snapshot 1, sent to this authority's sequence 2: its JWS names a key of
    // the other authority, which is refused before the body is read.
    let (foreign, foreign_jws) = other.signed[0].clone();
    assert_refused(&node, &fixture, 2, (foreign.bytes().to_vec(), foreign_jws), 403, "signature-refused").await;
    // This authority's own snapshot 1, signed, sent as sequence 2: the body says otherwise.
    let (one, one_jws) = fixture.signed[0].clone();
    assert_refused(&node, &fixture, 2, (one.bytes().to_vec(), one_jws), 400, "path-mismatch").await;
    assert_eq!(put(&node, &fixture.encoded_authority(), 2, two.bytes().to_vec(), &jws).await.status, 201);
    let unknown = put(&node, &other.encoded_authority(), 2, two.bytes().to_vec(), &jws).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn of_concurrent_publishes_of_one_sequence_exactly_one_wins() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let first = revoke_college(&mut fixture);
    let second = fixture.edit_and_build(|source| {
        source.change_status("s4", Status::Suspended, at("2025-10-01T00:00:00Z"), "review").unwrap();
    });
    let authority = fixture.encoded_authority();
    let (a, b) = tokio::join!(
        put(&node, &authority, 2, first.0.bytes().to_vec(), &first.1),
        put(&node, &authority, 2, second.0.bytes().to_vec(), &second.1),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let winner = if a.status == 201 { &first.0 } else { &second.0 };
    assert_eq!(latest_etag(&node, &authority).await, winner.digest().to_string());
}

#[tokio::test]
async fn unverifiable_files_are_skipped_at_start_and_the_newest_good_one_served() {
    let mut fixture = Fixture::new();
    let (two, jws) = revoke_college(&mut fixture);
    let snapshots = RegistryDir::new(fixture.dir.path()).snapshots();
    let mut corrupt = two.bytes().to_vec();
    let position = corrupt.windows(6).position(|w| w == b"closed").unwrap();
    corrupt[position] = b'C';
    snapshots.write(2, &corrupt, &jws).unwrap();
    let node = node_for(&fixture, |_| {}).await;
    assert_eq!(latest_etag(&node, &fixture.encoded_authority()).await, fixture.signed[0].0.digest().to_string());
    let refused = node.get(&format!("/registries/{}/snapshots/2", fixture.encoded_authority()), &[]).await;
    assert_eq!(refused.status, 404, "a file that did not verify is never served");

    // The served bytes come from the stored file; changed on disk after loading, it is refused, not served.
    let store = trustnode::store::SnapshotDir::for_authority(
        &node.config.server.data_dir.join("registries"),
        &fixture.authority,
    );
    store.write(1, b"{}", &jws).unwrap();
    let latest = node.get(&format!("/registries/{}/snapshots/latest", fixture.encoded_authority()), &[]).await;
    assert_eq!(latest.status, 500);
    assert_eq!(latest.json()["type"], "urn:trustnode:problem:snapshot-unavailable");
}

#[tokio::test]
async fn a_missing_registry_directory_is_a_clear_start_up_error() {
    let data = tempfile::tempdir().unwrap();
    let mut config = trustnode::config::Config::load(None, Vec::<(String, String)>::new()).unwrap();
    config.server.data_dir = data.path().to_owned();
    config.registries = vec![trustnode::config::RegistryConfig::Source("/nonexistent/registry".into())];
    let error = trustnode::node::open(config).await.unwrap_err().to_string();
    assert!(error.contains("/nonexistent/registry") && error.contains("does not exist"), "{error}");
}

#[tokio::test]
async fn the_default_configuration_serves_the_example_registry() {
    let node = crate::support::node::TestNode::start(|_| {}).await;
    let listing = node.get("/registries", &[]).await.json();
    let entry = &listing["registries"][0];
    assert!(entry["sequence"].as_u64().unwrap() >= 1, "{listing}");
    let authority = trustnode_registry::wire::encode(entry["authority_id"].as_str().unwrap());
    let entities = node.get(&format!("/registries/{authority}/entities"), &[]).await.json();
    assert!(entities["pagination"]["total"].as_u64().unwrap() >= 3, "{entities}");
}

#[cfg(unix)]
#[test]
fn a_node_killed_during_a_publish_restarts_with_the_old_or_the_new_snapshot() {
    let mut fixture = Fixture::new();
    // Large enough that parsing, verifying and writing take a while.
    let (two, jws) = fixture.edit_and_build(|source| add_schools(source, 10_000));
    let good = [fixture.signed[0].0.bytes().to_vec(), two.bytes().to_vec()];
    let authority = fixture.encoded_authority();
    let mut outcomes = Vec::new();
    // `None`: wait for the node's answer, then kill it; the new snapshot must then survive.
    for delay_ms in [Some(0u64), Some(20), Some(100), Some(300), Some(1000), None] {
        let data = tempfile::tempdir().unwrap();
        let (mut child, address) = spawn_node(fixture.dir.path(), data.path());
        let mut request = format!(
            "PUT /registries/{authority}/snapshots/2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             registry-snapshot-jws: {jws}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            two.bytes().len()
        )
        .into_bytes();
        request.extend_from_slice(two.bytes());
        let sender = {
            let address = address.clone();
            std::thread::spawn(move || exchange(&address, &request))
        };
        let answered = match delay_ms {
            Some(delay_ms) => {
                std::thread::sleep(Duration::from_millis(delay_ms));
                None
            }
            None => Some(sender.join().unwrap().unwrap().0),
        };
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let (mut restarted, address) = spawn_node(fixture.dir.path(), data.path());
        let get =
            format!("GET /registries/{authority}/snapshots/latest HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let (status, body) = exchange(&address, get.as_bytes()).unwrap();
        restarted.kill().unwrap();
        restarted.wait().unwrap();
        assert_eq!(status, 200, "delay {delay_ms:?} ms");
        let served = good.iter().position(|bytes| *bytes == body);
        assert!(served.is_some(), "delay {delay_ms:?} ms: the node serves neither the old nor the new snapshot");
        if answered == Some(201) {
            assert_eq!(served, Some(1), "an acknowledged publish survives the kill");
        }
        outcomes.push(served);
    }
    assert_eq!(outcomes.last(), Some(&Some(1)));
    eprintln!("snapshot served after kill at 0/20/100/300/1000 ms/after the answer: {outcomes:?} (0 old, 1 new)");
}

/// A did:web DID document listing `keys` as `#key-<n>` and only `assertion` under `assertionMethod`.
fn did_web_document(did: &str, keys: &[(&str, &SigningKey)], assertion: &str) -> Value {
    let methods: Vec<Value> = keys
        .iter()
        .map(|(fragment, key)| {
            let multibase = key.public_key().to_did_key().unwrap().to_multibase();
            serde_json::json!({"id": format!("#{fragment}"), "type": "Multikey", "controller": did,
                "publicKeyMultibase": multibase})
        })
        .collect();
    serde_json::json!({"id": did, "verificationMethod": methods, "assertionMethod": [format!("#{assertion}")]})
}

#[tokio::test]
async fn a_did_web_authority_rotates_its_key() {
    let ca = TestCa::new();
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(ca_dir.path()).display().to_string();
    let origin = Origin::start(&ca).await;
    let did = format!("did:web:issuer.test%3A{}:board", origin.port());
    let (old_key, new_key) = (
        SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng),
        SigningKey::generate(SigningKeyType::P256, &mut OsRng),
    );
    let no_cache = [("cache-control", "no-cache")];
    origin
        .set("/board/did.json", Reply::json_with(&did_web_document(&did, &[("key-1", &old_key)], "key-1"), &no_cache));
    let mut fixture = Fixture::signed_by(old_key.clone(), &did, &format!("{did}#key-1"), 86_400);
    let lab = move |config: &mut trustnode::config::Config| {
        config.web.extra_ca_file = ca_file;
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse().unwrap());
        config.cache.min_ttl_s = 0;
    };
    let node = node_for(&fixture, lab.clone()).await;
    let one = fixture.signed[0].0.clone();
    assert_eq!(latest_etag(&node, &fixture.encoded_authority()).await, one.digest().to_string());

    // Rotation: key-2 replaces key-1 in assertionMethod; key-1 stays only as a verification method.
    let rotated = did_web_document(&did, &[("key-1", &old_key), ("key-2", &new_key)], "key-2");
    origin.set("/board/did.json", Reply::json_with(&rotated, &no_cache));
    let (two, old_signature) = revoke_college(&mut fixture);
    assert_refused(&node, &fixture, 2, (two.bytes().to_vec(), old_signature), 403, "signature-refused").await;
    let new_signature = two.sign(&new_key, &format!("{did}#key-2")).unwrap();
    let accepted = put(&node, &fixture.encoded_authority(), 2, two.bytes().to_vec(), &new_signature).await;
    assert_eq!(accepted.status, 201, "{}", String::from_utf8_lossy(&accepted.body));

    // After a restart the node loads snapshot 2 (new key) and still serves snapshot 1 (old key) through the chain.
    let data_dir = node.stop().await;
    let restarted = crate::support::node::TestNode::start_in(data_dir, {
        let registry = fixture.config();
        move |config| {
            config.registries = vec![registry];
            lab(config);
        }
    })
    .await;
    assert_eq!(latest_etag(&restarted, &fixture.encoded_authority()).await, two.digest().to_string());
    let old = restarted.get(&format!("/registries/{}/snapshots/1", fixture.encoded_authority()), &[]).await;
    assert_eq!((old.status.as_u16(), &old.body[..]), (200, one.bytes()));
}
