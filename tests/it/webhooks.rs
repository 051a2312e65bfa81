//! Webhooks over real sockets (`[[feed.webhooks]]`): loopback HTTPS receivers that fail, hang and recover get every
//! event exactly once after deduplication by sequence, in order, each request checked as a receiver would (the
//! HMAC recomputed from the documented construction, the node's detached JWS, the event's own signature and chain);
//! a subscriber whose host resolves to a private address is refused and never connected to; a restart in the
//! middle of a backlog loses nothing and repeats nothing acknowledged; filters narrow what is sent.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use trustnode::config::{Config, WebhookConfig};
use trustnode_did::key::{self, KeyOptions};
use trustnode_registry::feed::{ChangeEvent, FeedCursor};
use trustnode_registry::jws;
use trustnode_registry::model::Status;

use crate::support::node::TestNode;
use crate::support::origin::TestCa;
use crate::support::receiver::{Answer, Received, Receiver};
use crate::support::registry::{add_schools, now, publish, Fixture, BADGE, COLLEGE};

const SECRET: &str = "a-webhook-secret-of-some-length";

/// A subscriber of `fixture`'s registry at `path` of the receiver on `port`, with an inline secret.
fn subscriber(name: &str, fixture: &Fixture, port: u16, path: &str) -> WebhookConfig {
    let entry = format!(
        "name = {name:?}\nurl = \"https://issuer.test:{port}{path}\"\nauthority = {:?}\nsecret = {SECRET:?}",
        fixture.authority
    );
    toml::from_str(&entry).expect("a webhook entry")
}

/// The node settings of these tests: the receivers' CA and host pin, short timeouts and retries.
fn lab(config: &mut Config, ca_file: &std::path::Path) {
    config.web.extra_ca_file = ca_file.display().to_string();
    config.web.allow_private_addresses = true;
    config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse().unwrap());
    config.feed.webhook_timeout_ms = 1000;
    config.feed.webhook_retry_min_ms = 20;
    config.feed.webhook_retry_max_ms = 200;
}

async fn start(fixture: &Fixture, data_dir: Arc<tempfile::TempDir>, adjust: impl FnOnce(&mut Config)) -> TestNode {
    let registry = fixture.config();
    TestNode::start_in(data_dir, move |config| {
        config.registries = vec![registry];
        config.publishing.enabled = true;
        adjust(config);
    })
    .await
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok()).unwrap_or(-1.0)
}

async fn metrics(node: &TestNode) -> String {
    String::from_utf8_lossy(&node.get("/metrics", &[]).await.body).into_owned()
}

/// Waits (at most 20 s) until every subscriber in `names` has acknowledged everything served.
async fn caught_up(node: &TestNode, names: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = metrics(node).await;
        if names.iter().all(|name| metric(&text, &format!("trustnode_webhook_lag{{subscriber=\"{name}\"}}")) == 0.0) {
            return;
        }
        assert!(Instant::now() < deadline, "subscribers {names:?} never caught up:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Checks one request as a receiver does, with nothing but the docs: the HMAC of `timestamp.sequence.body` under
/// the shared secret, a recent timestamp, and the node's detached JWS over the body. Returns the event.
fn check_request(request: &Received, node: &TestNode) -> ChangeEvent {
    let (sequence, timestamp) =
        (request.header("trustnode-webhook-sequence"), request.header("trustnode-webhook-timestamp"));
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{sequence}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(request.header("trustnode-webhook-signature"), expected, "HMAC of sequence {sequence}");
    let age = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs().abs_diff(timestamp.parse().unwrap());
    assert!(age < 300, "timestamp {timestamp} is {age} s away");

    let (header, signature) = request.header("trustnode-webhook-jws").split_once("..").expect("a detached JWS");
    let attached = format!("{header}.{}.{signature}", base64url(&request.body));
    let signer = jws::compact_signer(&attached).unwrap();
    assert_eq!(signer, node.state.identity.did());
    let document = key::resolve(&signer, &signer[8..], &KeyOptions::default()).unwrap();
    jws::verify_compact(&attached, "trustnode-webhook+jws", &signer, &document).expect("the node's signature");

    assert_eq!(request.headers.get("content-type").unwrap(), "application/json");
    let event: ChangeEvent = serde_json::from_slice(&request.body).expect("a change event");
    assert_eq!(event.sequence.to_string(), sequence);
    event
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The sequences in arrival order, which must never go back (delivery is in order), and once deduplicated.
fn in_order_then_deduplicated(requests: &[Received], node: &TestNode) -> Vec<ChangeEvent> {
    let events: Vec<ChangeEvent> = requests.iter().map(|request| check_request(request, node)).collect();
    let sequences: Vec<u64> = events.iter().map(|event| event.sequence).collect();
    assert!(sequences.windows(2).all(|pair| pair[0] <= pair[1]), "out of order: {sequences:?}");
    let mut seen = BTreeSet::new();
    events.into_iter().filter(|event| seen.insert(event.sequence)).collect()
}

/// The authority's DID document, as a receiver resolves it (did:key, offline).
fn authority_document(fixture: &Fixture) -> Value {
    key::resolve(&fixture.authority, &fixture.authority[8..], &KeyOptions::default()).unwrap()
}

/// Verifies and applies `events` from snapshot 1 on, as a receiver does with the feed's own checks.
fn verify_and_apply(fixture: &Fixture, events: &[ChangeEvent]) {
    let first = &fixture.signed[0].0;
    let mut cursor = FeedCursor { sequence: 1, digest: Some(first.digest()) };
    let mut held = first.snapshot().statements.clone();
    for event in events {
        cursor = event.verify(cursor, &authority_document(fixture)).expect("the event verifies").cursor;
        held = event.apply(&held).expect("the event applies");
        let index = usize::try_from(event.sequence - 1).unwrap();
        assert_eq!(held, fixture.signed[index].0.snapshot().statements);
    }
}

async fn four_publishes(node: &TestNode, fixture: &mut Fixture) {
    publish(node, fixture, |source| source.change_status("s2", Status::Suspended, now(), "audit").unwrap()).await;
    publish(node, fixture, |source| add_schools(source, 2)).await;
    publish(node, fixture, |source| source.change_status("s2", Status::Active, now(), "passed").unwrap()).await;
    publish(node, fixture, |source| add_schools(source, 1)).await;
}

#[tokio::test]
async fn failing_hanging_and_recovering_receivers_get_every_event_once_in_order() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(dir.path());
    let failing =
        Receiver::start(&ca, &[Answer::Status(500), Answer::Status(500), Answer::Status(503)], Answer::Status(200))
            .await;
    let hanging = Receiver::start(&ca, &[Answer::Hang, Answer::Hang], Answer::Status(204)).await;
    let script = [Answer::Status(200), Answer::Status(500), Answer::Hang, Answer::Status(200), Answer::Status(429)];
    let flaky = Receiver::start(&ca, &script, Answer::Status(200)).await;
    let mut fixture = Fixture::new();
    let subscribers = vec![
        subscriber("failing", &fixture, failing.port(), "/hook"),
        subscriber("hanging", &fixture, hanging.port(), "/hook"),
        subscriber("flaky", &fixture, flaky.port(), "/events?from=trustnode"),
    ];
    let node = start(&fixture, Arc::new(tempfile::tempdir().unwrap()), |config| {
        lab(config, &ca_file);
        config.feed.webhooks = subscribers;
    })
    .await;
    four_publishes(&node, &mut fixture).await;
    caught_up(&node, &["failing", "hanging", "flaky"]).await;

    for (name, receiver) in [("failing", &failing), ("hanging", &hanging), ("flaky", &flaky)] {
        let requests = receiver.received();
        let events = in_order_then_deduplicated(&requests, &node);
        let sequences: Vec<u64> = events.iter().map(|event| event.sequence).collect();
        assert_eq!(sequences, [2, 3, 4, 5], "{name}");
        verify_and_apply(&fixture, &events);
        // Every failed answer was retried, and still each event came once after deduplication, in order.
        let failures = requests.iter().filter(|request| !matches!(request.answer, Answer::Status(200..=299))).count();
        let (count, sent) = (requests.len(), 4 + failures);
        assert!(count >= sent && failures >= 2, "{name}: {count} requests, {failures} failed");
        // The same bytes the feed serves.
        let page = node.get(&format!("/registries/{}/changes?since=1", fixture.encoded_authority()), &[]).await.json();
        let served: Vec<ChangeEvent> = serde_json::from_value(page["events"].clone()).unwrap();
        assert_eq!(served, events, "{name}");
    }
    assert!(flaky.received().iter().all(|request| request.path == "/events"));
    let text = metrics(&node).await;
    assert_eq!(metric(&text, "trustnode_webhook_deliveries_total{subscriber=\"failing\",outcome=\"delivered\"}"), 4.0);
    assert_eq!(metric(&text, "trustnode_webhook_deliveries_total{subscriber=\"failing\",outcome=\"rejected\"}"), 3.0);
    // At least: a slow moment may add an attempt, never remove one.
    assert!(metric(&text, "trustnode_webhook_deliveries_total{subscriber=\"hanging\",outcome=\"timeout\"}") >= 2.0);
    assert!(metric(&text, "trustnode_webhook_retries_total{subscriber=\"flaky\"}") >= 3.0);
}

#[tokio::test]
async fn a_subscriber_on_a_private_address_is_refused_and_never_connected_to() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut fixture = Fixture::new();
    let hook = subscriber("internal", &fixture, port, "/hook");
    let node = start(&fixture, Arc::new(tempfile::tempdir().unwrap()), |config| {
        // issuer.test is pinned to the loopback, which the guard refuses without allow_private_addresses.
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse().unwrap());
        config.feed.webhook_retry_min_ms = 10;
        config.feed.webhook_retry_max_ms = 50;
        config.feed.webhooks = vec![hook];
    })
    .await;
    publish(&node, &mut fixture, |source| add_schools(source, 1)).await;
    let series = "trustnode_webhook_deliveries_total{subscriber=\"internal\",outcome=\"refused\"}";
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&metrics(&node).await, series) < 3.0 {
        assert!(Instant::now() < deadline, "{}", metrics(&node).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the guard connected to a loopback address");
    let text = metrics(&node).await;
    assert_eq!(metric(&text, "trustnode_webhook_lag{subscriber=\"internal\"}"), 1.0, "{text}");
    assert_eq!(
        metric(&text, "trustnode_webhook_deliveries_total{subscriber=\"internal\",outcome=\"delivered\"}"),
        -1.0
    );
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_backlog_loses_nothing_and_repeats_nothing_acknowledged() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(dir.path());
    let receiver = Receiver::start(&ca, &[Answer::Status(200), Answer::Status(200)], Answer::Status(500)).await;
    let mut fixture = Fixture::new();
    let hook = subscriber("backlog", &fixture, receiver.port(), "/hook");
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let settings = |config: &mut Config| {
        lab(config, &ca_file);
        config.feed.webhooks = vec![hook.clone()];
    };
    let node = start(&fixture, data_dir.clone(), settings).await;
    four_publishes(&node, &mut fixture).await;
    // Events 2 and 3 are acknowledged; 4 is being refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !receiver.received().iter().any(|request| request.header("trustnode-webhook-sequence") == "4") {
        assert!(Instant::now() < deadline, "event 4 never attempted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let data_dir = node.stop().await;
    let before = receiver.received().len();
    receiver.then(Answer::Status(200));

    let node = start(&fixture, data_dir, settings).await;
    caught_up(&node, &["backlog"]).await;
    let requests = receiver.received();
    assert_eq!(requests[before].header("trustnode-webhook-sequence"), "4", "resumes at the first unacknowledged");
    let events = in_order_then_deduplicated(&requests, &node);
    assert_eq!(events.iter().map(|event| event.sequence).collect::<Vec<_>>(), [2, 3, 4, 5]);
    verify_and_apply(&fixture, &events);
    for acknowledged in ["2", "3"] {
        let sent = requests.iter().filter(|request| request.header("trustnode-webhook-sequence") == acknowledged);
        assert_eq!(sent.count(), 1, "event {acknowledged} was acknowledged before the restart");
    }
}

#[tokio::test]
async fn filters_send_only_events_with_matching_changes_narrowed_to_them() {
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(dir.path());
    let receiver = Receiver::start(&ca, &[], Answer::Status(200)).await;
    let mut fixture = Fixture::new();
    let mut college = subscriber("college", &fixture, receiver.port(), "/college");
    college.entity = Some(COLLEGE.into());
    let mut badges = subscriber("badges", &fixture, receiver.port(), "/badges");
    (badges.action, badges.resource) = (Some("issue".into()), Some(BADGE.into()));
    let everything = subscriber("everything", &fixture, receiver.port(), "/everything");
    let node = start(&fixture, Arc::new(tempfile::tempdir().unwrap()), |config| {
        lab(config, &ca_file);
        config.feed.webhooks = vec![college, badges, everything];
    })
    .await;
    four_publishes(&node, &mut fixture).await;
    caught_up(&node, &["college", "badges", "everything"]).await;

    let requests = receiver.received();
    let at =
        |path: &str| -> Vec<Received> { requests.iter().filter(|request| request.path == path).cloned().collect() };
    let college = in_order_then_deduplicated(&at("/college"), &node);
    assert_eq!(college.iter().map(|event| event.sequence).collect::<Vec<_>>(), [2, 4], "s2's suspension and return");
    assert!(college.iter().flat_map(|event| &event.changes).all(|change| change.statement.entity_id == COLLEGE));
    let badges = in_order_then_deduplicated(&at("/badges"), &node);
    assert_eq!(badges.iter().map(|event| event.sequence).collect::<Vec<_>>(), [3, 5], "the schools added");
    assert!(badges.iter().flat_map(|event| &event.changes).all(|change| change.statement.resource == BADGE));
    assert_eq!(badges.iter().map(|event| event.changes.len()).collect::<Vec<_>>(), [2, 1]);
    for event in college.iter().chain(&badges) {
        // A narrowed event still proves each change it carries, against the previous sequence's link.
        let held = FeedCursor { sequence: event.sequence - 1, digest: None };
        event.verify(held, &authority_document(&fixture)).expect("a narrowed event verifies");
    }
    let everything = in_order_then_deduplicated(&at("/everything"), &node);
    assert_eq!(everything.len(), 4);
    verify_and_apply(&fixture, &everything);
    let text = metrics(&node).await;
    assert_eq!(metric(&text, "trustnode_webhook_deliveries_total{subscriber=\"college\",outcome=\"filtered\"}"), 2.0);
}
