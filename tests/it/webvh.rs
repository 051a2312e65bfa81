//! did:webvh through the node's HTTP API, against the local HTTPS origin serving logs made at test time with the
//! core's `LogBuilder`: versions by id, time and number, deactivation, refused logs (tampered, unwitnessed, too
//! large, too long), the cache (ttl, noCache, restart) and its append-only rule (a rewritten history is refused,
//! flagged and counted until a purge), the SSRF guard, the version-history route and the discovery endpoints.

use std::net::IpAddr;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trustnode::config::Config;
use trustnode_webvh::author::{self, LogBuilder};
use trustnode_webvh::{Limits, Log, VersionQuery};

use crate::http_did_web::{Lab, TOKEN};
use crate::support::node::TestNode;
use crate::support::origin::{Origin, Reply};

const LOG_PATH: &str = "/dids/alice/did.jsonl";
const WITNESS_PATH: &str = "/dids/alice/did-witness.json";

/// did:web's lab (the test CA, `issuer.test` pinned to loopback, the admin token), with `noCache` let through at once.
fn lab_config(lab: &Lab) -> impl FnOnce(&mut Config) {
    let config = lab.config();
    move |c: &mut Config| {
        config(c);
        c.cache.no_cache_min_interval_s = 0;
    }
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// `hours` hours ago, whole seconds.
fn ago(hours: i64) -> OffsetDateTime {
    (OffsetDateTime::now_utc() - time::Duration::hours(hours)).replace_nanosecond(0).unwrap()
}

fn place(origin: &Origin) -> String {
    format!("issuer.test%3A{}:dids:alice", origin.port())
}

/// A log of three versions: created 30 hours ago, a second key added 20 hours ago, the first removed 10 hours ago.
fn three_versions(origin: &Origin, ttl: u64) -> LogBuilder {
    let (first, second) = (key(1), key(2));
    let updater = author::multikey(&first);
    let parameters = json!({"updateKeys": [updater], "ttl": ttl});
    let mut log =
        LogBuilder::create(&place(origin), parameters, |did| author::document(did, &[&first]), ago(30), &first);
    let did = log.did();
    log.update(json!({}), Some(author::document(&did, &[&first, &second])), ago(20), &first);
    log.update(json!({}), Some(author::document(&did, &[&second])), ago(10), &first);
    log
}

/// An origin serving [`three_versions`] with an hour's ttl, and a node of `lab` resolving through it.
async fn served_three_versions(lab: &Lab) -> (Origin, LogBuilder, TestNode) {
    let origin = Origin::start(&lab.ca).await;
    let log = three_versions(&origin, 3600);
    serve(&origin, &log);
    let node = TestNode::start(lab_config(lab)).await;
    (origin, log, node)
}

fn serve(origin: &Origin, log: &LogBuilder) {
    origin.set(LOG_PATH, Reply::Document { body: String::from_utf8(log.log()).unwrap(), headers: Vec::new() });
}

async fn resolve(node: &TestNode, did: &str, query: &str) -> (u16, Value) {
    let reply = node.get(&format!("/1.0/identifiers/{did}{query}"), &[]).await;
    (reply.status.as_u16(), reply.json())
}

fn encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn error_detail(body: &Value) -> String {
    body["didResolutionMetadata"]["error"]["detail"].as_str().unwrap_or_default().to_owned()
}

async fn metrics(node: &TestNode) -> String {
    String::from_utf8(node.get("/metrics", &[]).await.body.to_vec()).unwrap()
}

#[tokio::test]
async fn resolves_the_latest_version_and_each_by_id_time_and_number() {
    let lab = Lab::new();
    let (origin, log, node) = served_three_versions(&lab).await;
    let did = log.did();

    let (status, latest) = resolve(&node, &did, "").await;
    assert_eq!(status, 200, "{latest}");
    assert_eq!(latest["didDocument"]["id"], did);
    assert_eq!(latest["didDocumentMetadata"]["versionId"], log.version_id(3));
    assert_eq!(latest["didDocumentMetadata"]["versionNumber"], 3);
    assert_eq!(latest["didDocumentMetadata"]["deactivated"], false);
    assert_eq!(latest["didDocumentMetadata"]["ttl"], "3600");
    assert_eq!(latest["didResolutionMetadata"]["cache"]["ttlSeconds"], 3600);

    for number in 1..=3usize {
        let version_id = log.version_id(number);
        let (_, by_number) = resolve(&node, &did, &format!("?versionNumber={number}")).await;
        let (_, by_id) = resolve(&node, &did, &format!("?versionId={version_id}")).await;
        let time = ago(30 - 10 * (number as i64 - 1)) + time::Duration::minutes(5);
        let (_, by_time) = resolve(&node, &did, &format!("?versionTime={}", time.format(&Rfc3339).unwrap())).await;
        for answer in [&by_number, &by_id, &by_time] {
            assert_eq!(answer["didDocumentMetadata"]["versionId"], version_id, "{answer}");
            assert_eq!(answer["didDocument"]["verificationMethod"].as_array().unwrap().len(), [1, 2, 1][number - 1]);
        }
    }
    // The DID URL parameters select versions too (an encoded identifier keeps its query in the DID URL).
    let url = encoded(&format!("{did}?versionNumber=2"));
    let (_, by_parameter) = resolve(&node, &url, "").await;
    assert_eq!(by_parameter["didDocumentMetadata"]["versionId"], log.version_id(2));
    assert_eq!(by_parameter["didDocumentMetadata"]["nextVersionId"], log.version_id(3));
    // Only one version at a time, and only versions that exist.
    let (status, both) = resolve(&node, &did, "?versionNumber=1&versionId=x").await;
    assert_eq!(
        (status, both["didResolutionMetadata"]["error"]["title"].clone()),
        (400, json!("INVALID_OPTIONS")),
        "{both}"
    );
    let (status, none) = resolve(&node, &did, "?versionNumber=4").await;
    assert_eq!(status, 404, "{none}");
    let before = ago(40).format(&Rfc3339).unwrap();
    assert_eq!(resolve(&node, &did, &format!("?versionTime={before}")).await.0, 404);
    assert_eq!(origin.requests_to(LOG_PATH), 1, "every answer came from the one verified log");
    // Methods without a history still refuse versions.
    let did_key = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let (status, refused) = resolve(&node, did_key, "?versionNumber=1").await;
    assert_eq!(status, 501, "{refused}");
    assert!(error_detail(&refused).contains("did:key keeps no version history"), "{refused}");
}

#[tokio::test]
async fn a_deactivated_did_answers_410_with_no_keys() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let signer = key(1);
    let parameters = json!({"updateKeys": [author::multikey(&signer)]});
    let mut log =
        LogBuilder::create(&place(&origin), parameters, |did| author::document(did, &[&signer]), ago(2), &signer);
    log.deactivate(ago(1), &signer);
    serve(&origin, &log);
    let node = TestNode::start(lab_config(&lab)).await;
    let (status, body) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["didDocumentMetadata"]["deactivated"], true);
    assert_eq!(body["didDocument"], json!({"id": log.did()}));
    let (status, first) = resolve(&node, &log.did(), "?versionNumber=1").await;
    assert_eq!(status, 410, "the DID is deactivated now, whichever version is shown");
    assert_eq!(first["didDocument"]["verificationMethod"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_tampered_entry_is_refused_naming_the_entry_and_the_rule() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let mut log = three_versions(&origin, 3600);
    log.tamper(2, false, None, |entry| entry["state"]["alsoKnownAs"] = json!(["did:web:evil.test"]));
    serve(&origin, &log);
    let node = TestNode::start(lab_config(&lab)).await;
    let (status, body) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["didResolutionMetadata"]["error"]["title"], "INVALID_DID_DOCUMENT");
    assert!(error_detail(&body).contains("did:webvh log entry 2: entry-hash"), "{body}");
    // The valid prefix still answers a query naming it; nothing was cached.
    let (status, first) = resolve(&node, &log.did(), "?versionNumber=1").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(origin.requests_to(LOG_PATH), 2, "a refused log is not cached");
}

#[tokio::test]
async fn witness_proofs_must_be_served_and_meet_the_threshold() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let (signer, one, two) = (key(1), key(11), key(12));
    let witness = json!({"threshold": 2, "witnesses": [{"id": author::did_key(&one)}, {"id": author::did_key(&two)}]});
    let parameters = json!({"updateKeys": [author::multikey(&signer)], "witness": witness});
    let mut log =
        LogBuilder::create(&place(&origin), parameters, |did| author::document(did, &[&signer]), ago(2), &signer);
    serve(&origin, &log);
    let node = TestNode::start(lab_config(&lab)).await;
    let (status, missing) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 500, "{missing}");
    assert!(error_detail(&missing).contains("entry 1: witness-threshold"), "{missing}");
    assert!(error_detail(&missing).contains("no did-witness.json"), "{missing}");

    log.witness(1, &one);
    origin.set(WITNESS_PATH, Reply::Document { body: String::from_utf8(log.witness_file()).unwrap(), headers: vec![] });
    let (status, below) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 500, "{below}");
    assert!(error_detail(&below).contains("approved by 1 of the 2 witnesses needed"), "{below}");

    log.witness(1, &two);
    origin.set(WITNESS_PATH, Reply::Document { body: String::from_utf8(log.witness_file()).unwrap(), headers: vec![] });
    let (status, witnessed) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 200, "{witnessed}");
    assert_eq!(witnessed["didDocumentMetadata"]["witness"]["threshold"], "2");
}

#[tokio::test]
async fn appended_versions_appear_after_the_ttl_and_not_before() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let mut log = three_versions(&origin, 2);
    serve(&origin, &log);
    let did = log.did();
    let node = TestNode::start(lab_config(&lab)).await;
    assert_eq!(resolve(&node, &did, "").await.1["didDocumentMetadata"]["versionNumber"], 3);
    log.update(json!({}), None, ago(0), &key(1));
    serve(&origin, &log);
    let (_, cached) = resolve(&node, &did, "").await;
    assert_eq!(cached["didDocumentMetadata"]["versionNumber"], 3, "fresh for the log's ttl");
    assert_eq!(cached["didResolutionMetadata"]["cache"]["hit"], true);
    assert_eq!(origin.requests_to(LOG_PATH), 1, "no refetch within the ttl");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (_, appended) = resolve(&node, &did, "").await;
    assert_eq!(appended["didDocumentMetadata"]["versionNumber"], 4, "{appended}");
    assert_eq!(origin.requests_to(LOG_PATH), 2);
    assert!(appended["didResolutionMetadata"].get("webvh").is_none(), "an append is no rewrite");
    // noCache asks the origin again at once.
    resolve(&node, &did, "?noCache=true").await;
    assert_eq!(origin.requests_to(LOG_PATH), 3);
}

#[tokio::test]
async fn an_expired_log_is_revalidated_and_a_down_origin_is_covered_by_it() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let log = three_versions(&origin, 1);
    let body = String::from_utf8(log.log()).unwrap();
    origin.set(LOG_PATH, Reply::Document { body, headers: vec![("etag".into(), "\"v3\"".into())] });
    let did = log.did();
    let node = TestNode::start(lab_config(&lab)).await;
    assert_eq!(resolve(&node, &did, "").await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, revalidated) = resolve(&node, &did, "").await;
    assert_eq!(status, 200, "{revalidated}");
    assert_eq!(revalidated["didResolutionMetadata"]["cache"]["revalidated"], true, "{revalidated}");
    assert_eq!(origin.not_modified(), 1, "the stored log's ETag was sent and confirmed");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    origin.set_down(true);
    let (status, stale) = resolve(&node, &did, "").await;
    assert_eq!(status, 200, "{stale}");
    assert_eq!(stale["didResolutionMetadata"]["cache"]["stale"], true, "{stale}");
    assert_eq!(stale["didDocumentMetadata"]["versionId"], log.version_id(3));
}

#[tokio::test]
async fn a_rewritten_history_is_refused_flagged_counted_until_purged() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let signer = key(1);
    let parameters = json!({"updateKeys": [author::multikey(&signer)], "ttl": 1});
    let mut kept =
        LogBuilder::create(&place(&origin), parameters, |did| author::document(did, &[&signer]), ago(3), &signer);
    let mut fork = kept.clone();
    let did = kept.did();
    kept.update(json!({}), Some(author::document(&did, &[&signer, &key(2)])), ago(2), &signer);
    fork.update(json!({}), Some(author::document(&did, &[&signer, &key(66)])), ago(2), &signer);
    fork.update(json!({}), None, ago(1), &signer);
    serve(&origin, &kept);
    let node = TestNode::start(lab_config(&lab)).await;
    assert_eq!(resolve(&node, &did, "").await.0, 200);

    // The node's tasks run on this test's one thread, so a thread-local subscriber sees their log lines.
    let warnings = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(warnings.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    let logging = tracing::subscriber::set_default(subscriber);
    serve(&origin, &fork);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, flagged) = resolve(&node, &did, "").await;
    assert_eq!(status, 200, "{flagged}");
    assert_eq!(flagged["didDocumentMetadata"]["versionId"], kept.version_id(2), "the verified log is kept");
    let webvh = &flagged["didResolutionMetadata"]["webvh"];
    assert_eq!(webvh["historyRewritten"], true, "{flagged}");
    assert_eq!(webvh["firstDifferingVersionId"], kept.version_id(2));
    assert!(metrics(&node).await.contains("trustnode_did_webvh_history_rewrites_total 1\n"));
    drop(logging);
    let logged = warnings.text();
    assert!(logged.contains("WARN") && logged.contains("rewritten did:webvh history"), "{logged}");
    assert!(logged.contains(&kept.version_id(2)), "the warning names the first differing version: {logged}");
    // The flag stays while the origin keeps serving the fork, and on the version history too.
    let history = node.get(&format!("/1.0/history/{did}"), &[]).await.json();
    assert_eq!(history["webvh"]["historyRewritten"], true, "{history}");
    let bearer = format!("Bearer {TOKEN}");
    let stats = node.get("/1.0/cache", &[("authorization", &bearer)]).await.json();
    assert_eq!((stats["webvh"]["entries"].clone(), stats["webvh"]["historyRewrites"].clone()), (json!(1), json!(1)));

    let purged =
        node.request(hyper::Method::DELETE, &format!("/1.0/cache/{did}"), &[("authorization", &bearer)], "").await;
    assert_eq!(purged.json()["purged"], 1);
    let (status, after) = resolve(&node, &did, "").await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["didDocumentMetadata"]["versionId"], fork.version_id(3), "after a purge the origin's log is new");
    assert!(after["didResolutionMetadata"].get("webvh").is_none(), "{after}");
}

#[tokio::test]
async fn the_verified_log_survives_a_restart() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let log = three_versions(&origin, 3600);
    serve(&origin, &log);
    let node = TestNode::start(lab_config(&lab)).await;
    assert_eq!(resolve(&node, &log.did(), "").await.0, 200);
    let data_dir = node.stop().await;
    origin.set_down(true);
    let restarted = TestNode::start_in(data_dir, lab_config(&lab)).await;
    let (status, body) = resolve(&restarted, &log.did(), "?versionNumber=2").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["didDocumentMetadata"]["versionId"], log.version_id(2));
    assert_eq!(body["didResolutionMetadata"]["cache"]["hit"], true);
    assert_eq!(origin.requests_to(LOG_PATH), 1);
}

#[tokio::test]
async fn private_targets_are_refused_like_did_web() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let log = three_versions(&origin, 3600);
    serve(&origin, &log);
    let ca_file = lab.ca.write_pem(lab.ca_dir.path()).display().to_string();
    let node = TestNode::start(|config| {
        config.web.extra_ca_file = ca_file;
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
    })
    .await;
    let (status, body) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(error_detail(&body), trustnode_resolver::web::fetch::UNREACHABLE);
    assert_eq!(origin.requests(), 0);
    assert!(metrics(&node).await.contains("trustnode_did_webvh_upstream_errors_total{kind=\"refused\"} 1\n"));
}

#[tokio::test]
async fn oversized_and_overlong_logs_are_refused_precisely() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let log = three_versions(&origin, 3600);
    let bytes = log.log().len();
    serve(&origin, &log);
    let config = lab_config(&lab);
    let node = TestNode::start(move |c| {
        config(c);
        c.web.max_webvh_log_bytes = bytes - 1;
    })
    .await;
    let (status, body) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["didResolutionMetadata"]["error"]["title"], "INVALID_DID_DOCUMENT");
    assert!(error_detail(&body).contains(&format!("the did:webvh log exceeds {} bytes", bytes - 1)), "{body}");
    drop(node);

    // 10,000 lines: refused at the first line past the entries bound, well within the request timeout.
    let line = String::from_utf8(log.log()).unwrap().lines().next().unwrap().to_owned();
    let long = format!("{line}\n").repeat(10_000);
    origin.set(LOG_PATH, Reply::Document { body: long, headers: Vec::new() });
    let config = lab_config(&lab);
    let node = TestNode::start(move |c| {
        config(c);
        c.web.max_webvh_log_bytes = 64 << 20;
    })
    .await;
    let started = std::time::Instant::now();
    let (status, body) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 500, "{body}");
    assert!(
        error_detail(&body).contains("did:webvh log entry 1001: too-large: did.jsonl has more than 1000 entries"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn also_known_as_did_web_is_returned_as_published() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let signer = key(1);
    let did_web = format!("did:web:{}", place(&origin));
    let parameters = json!({"updateKeys": [author::multikey(&signer)]});
    let aka = did_web.clone();
    let document = move |did: &str| {
        let mut document = author::document(did, &[&signer]);
        document["alsoKnownAs"] = json!([aka]);
        document
    };
    let log = LogBuilder::create(&place(&origin), parameters, document, ago(1), &key(1));
    serve(&origin, &log);
    let node = TestNode::start(lab_config(&lab)).await;
    let (status, body) = resolve(&node, &log.did(), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["didDocument"]["alsoKnownAs"], json!([did_web]));
    assert_eq!(origin.requests_to("/dids/alice/did.json"), 0, "the did:web form is not fetched to answer did:webvh");
}

#[tokio::test]
async fn the_history_route_lists_versions_keys_and_relationships() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let log = three_versions(&origin, 3600);
    serve(&origin, &log);
    let node = TestNode::start(lab_config(&lab)).await;
    let reply = node.get(&format!("/1.0/history/{}", log.did()), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let history = reply.json();
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[1]["versionNumber"], 2);
    assert_eq!(versions[1]["versionId"], log.version_id(2));
    assert_eq!(versions[1]["updateKeys"], json!([author::multikey(&key(1))]));
    let methods = versions[1]["verificationMethods"].as_array().unwrap();
    assert_eq!(methods.len(), 2);
    assert_eq!(methods[1]["publicKey"], author::multikey(&key(2)));
    assert_eq!(methods[1]["relationships"], json!(["authentication", "assertionMethod"]));
    assert_eq!(versions[2]["deactivated"], false);
    for (did, kind) in [
        ("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "no-version-history"),
        ("did:web:example.com", "no-version-history"),
        ("did:example:123", "METHOD_NOT_SUPPORTED"),
    ] {
        let refused = node.get(&format!("/1.0/history/{did}"), &[]).await;
        assert_eq!(refused.header("content-type"), Some("application/problem+json"), "{did}");
        assert!(refused.json()["type"].as_str().unwrap().ends_with(kind), "{did}: {}", refused.json());
    }
}

#[tokio::test]
async fn discovery_says_which_did_webvh_versions_are_supported() {
    let node = TestNode::start(|_| {}).await;
    let methods = node.get("/1.0/methods", &[]).await.json();
    assert_eq!(methods, json!(["key", "jwk", "web", "webvh"]), "the Universal Resolver's plain list");
    let versions = node.get("/1.0/methods?versions=true", &[]).await.json();
    assert_eq!(versions["webvh"], json!(["1.0", "0.5"]));
    assert_eq!(versions["key"], json!([]));
    assert_eq!(node.get("/1.0/traits", &[]).await.json()["webvh"]["historyAvailable"], true);
    assert_eq!(node.get("/1.0/properties", &[]).await.json()["webvh"]["versions"], json!(["1.0", "0.5"]));
    assert_eq!(node.get("/1.0/testIdentifiers", &[]).await.json()["webvh"], json!([]));
}

/// Resolution by each `versionNumber` of random logs equals the core's own selection over the same bytes.
#[tokio::test]
async fn resolution_by_version_number_equals_the_cores_selection() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let node = TestNode::start(lab_config(&lab)).await;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut random = move |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    for case in 0..8u8 {
        let signer = key(100 + case);
        let path = format!("dids:case{case}");
        let place = format!("issuer.test%3A{}:{path}", origin.port());
        let parameters = json!({"updateKeys": [author::multikey(&signer)]});
        let keys: Vec<SigningKey> = (0..4).map(|index| key(200 + case * 4 + index)).collect();
        let mut log = LogBuilder::create(&place, parameters, |did| author::document(did, &[&signer]), ago(50), &signer);
        let updates = random(6);
        for update in 0..updates {
            let did = log.did();
            let chosen: Vec<&SigningKey> = keys.iter().filter(|_| random(2) == 0).collect();
            let document = (random(3) > 0).then(|| author::document(&did, &chosen));
            log.update(json!({}), document, ago(49 - update as i64), &signer);
        }
        let bytes = log.log();
        origin.set(
            &format!("/dids/case{case}/did.jsonl"),
            Reply::Document { body: String::from_utf8(bytes.clone()).unwrap(), headers: vec![] },
        );
        let limits = Limits { max_entries: 1000, max_bytes: 4 << 20 };
        let history = Log::parse(&bytes, &limits)
            .unwrap()
            .verify(&log.did(), None, OffsetDateTime::now_utc())
            .into_result()
            .unwrap();
        for number in 1..=updates + 1 {
            let version = history.select(&VersionQuery::Number(number)).unwrap();
            let (status, body) = resolve(&node, &log.did(), &format!("?versionNumber={number}")).await;
            assert_eq!(status, 200, "case {case} version {number}: {body}");
            assert_eq!(Some(&body["didDocument"]), version.document(), "case {case} version {number}");
            assert_eq!(body["didDocumentMetadata"], Value::Object(version.metadata()), "case {case} version {number}");
        }
    }
}

/// Log lines written by a test's subscriber.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn did_url_paths_lead_to_the_files_and_whois_services() {
    let lab = Lab::new();
    let (origin, log, node) = served_three_versions(&lab).await;
    let did = log.did();
    let base = format!("https://issuer.test:{}/dids/alice/", origin.port());
    let uri_list = [("accept", "text/uri-list")];

    let file = node.get(&format!("/1.0/identifiers/{did}/credentials/diploma.json"), &uri_list).await;
    assert_eq!(file.status, 303, "{}", String::from_utf8_lossy(&file.body));
    assert_eq!(file.header("location"), Some(format!("{base}credentials/diploma.json").as_str()));
    let whois = node.get(&format!("/1.0/identifiers/{did}/whois"), &uri_list).await;
    assert_eq!(whois.header("location"), Some(format!("{base}whois.vp").as_str()));
    // A path may not climb out of the DID's directory.
    let climbing = node.get(&format!("/1.0/identifiers/{did}/a/%2E%2E/%2E%2E/secret"), &uri_list).await;
    assert_eq!(climbing.status, 400, "{:?} {}", climbing.header("location"), String::from_utf8_lossy(&climbing.body));
    assert_eq!(origin.requests_to(LOG_PATH), 1, "paths are answered from the one verified log");
}
