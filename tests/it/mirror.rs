//! Mirroring between nodes on loopback: A hosts a registry, B mirrors A, C mirrors B. New snapshots travel to C
//! byte-identical; C keeps answering when A stops (flagged stale once `next_update` passes); a tampered, forged or
//! forked snapshot from an altered upstream is refused, counted and reported while the last good one is served.
//! Over HTTPS, a mirror checks the upstream's certificate and passes the SSRF guard before it asks anything.
//! Mirrors follow the upstream's change feed (no whole snapshot fetched for a publish) and fall back to whole
//! snapshots when there is no feed or an event fails a check, with fork detection unchanged.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::mirror::{eventually, latest_path, mirror_from, mirror_of, serves};
use crate::support::node::TestNode;
use crate::support::origin::TestCa;
use crate::support::registry::{at, node_for, put, Fixture, COLLEGE};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand_core::OsRng;
use serde_json::{json, Value};
use trustnode_registry::feed::{ChangeEvent, ChangeKind};
use trustnode_registry::jws::{SigningKey, SigningKeyType};
use trustnode_registry::model::Status;
use trustnode_registry::snapshot::{CanonicalSnapshot, Digest};
use trustnode_registry::wire::SNAPSHOT_JWS_HEADER;

fn revoke_college(fixture: &mut Fixture, next_update_in: i64) -> (CanonicalSnapshot, String) {
    fixture.source.change_status("s2", Status::Revoked, at("2025-09-01T00:00:00Z"), "closed").unwrap();
    fixture.build_next(next_update_in)
}

/// Asks whether the college may issue certificates after its revocation in sequence 2.
async fn college_answer(node: &TestNode, fixture: &Fixture) -> Value {
    let question = json!({
        "entity_id": COLLEGE, "authority_id": fixture.authority, "action": "issue", "resource": "Certificate",
        "context": {"time": "2025-10-01T00:00:00Z"},
    });
    let reply = node
        .request(hyper::Method::POST, "/authorization", &[("content-type", "application/json")], question.to_string())
        .await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

#[tokio::test]
async fn a_mirror_of_a_mirror_serves_the_authoritys_bytes_and_outlives_the_origin() {
    let mut fixture = Fixture::new();
    let a = node_for(&fixture, |_| {}).await;
    let b = mirror_of(&fixture, a.addr).await;
    let c = mirror_of(&fixture, b.addr).await;
    let one = fixture.signed[0].0.clone();
    serves(&c, &fixture, &one).await;

    // Sequence 2 is due for update in a few seconds, so the mirrors' answers turn stale while A is gone.
    let (two, jws) = revoke_college(&mut fixture, 4);
    assert_eq!(put(&a, &fixture.encoded_authority(), 2, two.bytes().to_vec(), &jws).await.status, 201);
    serves(&c, &fixture, &two).await;
    for sequence in ["1", "2", "latest"] {
        let path = format!("/registries/{}/snapshots/{sequence}", fixture.encoded_authority());
        let (from_a, from_c) = (a.get(&path, &[]).await, c.get(&path, &[]).await);
        assert_eq!((from_c.status.as_u16(), &from_c.body), (200, &from_a.body), "snapshot {sequence}");
        assert_eq!(from_c.header(SNAPSHOT_JWS_HEADER), from_a.header(SNAPSHOT_JWS_HEADER), "signature of {sequence}");
    }
    let status = c.get(&format!("/registries/{}/status", fixture.encoded_authority()), &[]).await.json();
    assert_eq!(status["served"]["sequence"], 2);
    assert_eq!(status["mirror"]["upstream"], format!("http://{}", b.addr));
    assert!(status["mirror"]["last_success"].is_string(), "{status}");
    assert_eq!(
        a.get(&format!("/registries/{}/status", fixture.encoded_authority()), &[]).await.json()["mirror"],
        Value::Null
    );

    a.stop().await;
    for node in [&b, &c] {
        let answer = college_answer(node, &fixture).await;
        assert_eq!((answer["authorized"].as_bool(), answer["registry_sequence"].as_u64()), (Some(false), Some(2)));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while college_answer(&c, &fixture).await["registry_stale"] != true {
        assert!(Instant::now() < deadline, "C never flagged its answers stale");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(b.get("/readyz", &[]).await.status, 200, "a mirror with a verified snapshot stays ready");
    eventually(&b, &format!("/registries/{}/status", fixture.encoded_authority()), "B reports A unreachable", |r| {
        r.json()["mirror"]["last_error"]["kind"] == "unreachable"
    })
    .await;
    let status = b.get(&format!("/registries/{}/status", fixture.encoded_authority()), &[]).await.json();
    assert_eq!(status["served"]["sequence"], 2);
}

#[tokio::test]
async fn a_mirror_with_nothing_verified_is_not_ready_and_says_why() {
    let fixture = Fixture::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mirror = mirror_of(&fixture, closed).await;
    let status_path = format!("/registries/{}/status", fixture.encoded_authority());
    eventually(&mirror, &status_path, "a failed first poll", |reply| reply.json()["mirror"]["last_poll"].is_string())
        .await;
    let ready = mirror.get("/readyz", &[]).await;
    assert_eq!(ready.status, 503);
    assert!(ready.json()["detail"].as_str().unwrap().contains(&fixture.authority), "{}", ready.json());
    let status = mirror.get(&status_path, &[]).await.json();
    assert_eq!(
        (status["served"].clone(), status["mirror"]["last_error"]["kind"].clone()),
        (Value::Null, json!("unreachable"))
    );
    assert_eq!(mirror.get(&latest_path(&fixture), &[]).await.status, 404);
}

/// Snapshot bytes and their detached JWS, by sequence.
type Offers = BTreeMap<u64, (Vec<u8>, String)>;

/// An altered upstream: serves whatever snapshots the test puts in it, with ETag and JWS like a node, and once
/// [`Replayer::announce`] is called, a change feed of the events the test puts in it (without: 404, like an older
/// node). Its feed answers at once, and every request is counted by kind.
#[derive(Clone, Default)]
struct Replayer {
    snapshots: Arc<Mutex<Offers>>,
    events: Arc<Mutex<Option<BTreeMap<u64, ChangeEvent>>>>,
    requests: Arc<Mutex<BTreeMap<&'static str, usize>>>,
}

impl Replayer {
    fn offer(&self, sequence: u64, bytes: Vec<u8>, jws: &str) {
        self.snapshots.lock().unwrap().insert(sequence, (bytes, jws.to_owned()));
    }

    /// Puts `event` in the feed (opening the feed if it was not).
    fn announce(&self, event: ChangeEvent) {
        self.events.lock().unwrap().get_or_insert_with(BTreeMap::new).insert(event.sequence, event);
    }

    fn requests(&self, kind: &str) -> usize {
        self.requests.lock().unwrap().get(kind).copied().unwrap_or(0)
    }

    async fn start(&self) -> std::net::SocketAddr {
        async fn snapshot(
            State(replayer): State<Replayer>,
            Path((_, sequence)): Path<(String, String)>,
            headers: HeaderMap,
        ) -> Response {
            *replayer.requests.lock().unwrap().entry("snapshot").or_default() += 1;
            let snapshots = replayer.snapshots.lock().unwrap();
            let found = match sequence.as_str() {
                "latest" => snapshots.last_key_value().map(|(_, pair)| pair.clone()),
                number => number.parse().ok().and_then(|n: u64| snapshots.get(&n).cloned()),
            };
            let Some((bytes, jws)) = found else { return StatusCode::NOT_FOUND.into_response() };
            let etag = format!("\"{}\"", Digest::of(&bytes));
            if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
                return StatusCode::NOT_MODIFIED.into_response();
            }
            ([("etag", etag), (SNAPSHOT_JWS_HEADER, jws)], bytes).into_response()
        }
        async fn changes(State(replayer): State<Replayer>, Query(query): Query<BTreeMap<String, String>>) -> Response {
            *replayer.requests.lock().unwrap().entry("changes").or_default() += 1;
            let since: u64 = query["since"].parse().unwrap();
            let Some(events) = replayer.events.lock().unwrap().clone() else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let current = replayer.snapshots.lock().unwrap().last_key_value().map_or(0, |(sequence, _)| *sequence);
            let events: Vec<_> = events.range(since + 1..).map(|(_, event)| event.clone()).collect();
            let next_since = events.last().map_or(since, |event| event.sequence);
            let page = json!({"since": since, "current_sequence": current, "next_since": next_since, "events": events});
            axum::Json(page).into_response()
        }
        let router = axum::Router::new()
            .route("/registries/{authority}/snapshots/{sequence}", axum::routing::get(snapshot))
            .route("/registries/{authority}/changes", axum::routing::get(changes))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    }
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok()).unwrap_or(0.0)
}

#[tokio::test]
async fn tampered_forged_and_forked_snapshots_are_refused_counted_and_reported() {
    let mut fixture = Fixture::new();
    let altered_b = Replayer::default();
    let (one, one_jws) = fixture.signed[0].clone();
    altered_b.offer(1, one.bytes().to_vec(), &one_jws);
    let (two, two_jws) = revoke_college(&mut fixture, 86_400);
    fixture.accepted((two.clone(), two_jws.clone()));
    altered_b.offer(2, two.bytes().to_vec(), &two_jws);
    let c = mirror_of(&fixture, altered_b.start().await).await;
    serves(&c, &fixture, &two).await;
    let status_path = format!("/registries/{}/status", fixture.encoded_authority());
    let failures =
        |kind: &str| format!("trustnode_mirror_failures_total{{authority=\"{}\",kind=\"{kind}\"}}", fixture.authority);
    let waits_for_failure = |kind: &'static str| {
        let series = failures(kind);
        move |reply: &crate::support::node::Reply| metric(std::str::from_utf8(&reply.body).unwrap(), &series) > 0.0
    };

    // Snapshot 3 with one byte flipped after signing.
    fixture.source.change_status("s4", Status::Suspended, at("2025-10-01T00:00:00Z"), "review").unwrap();
    let (three, three_jws) = fixture.build_next(86_400);
    let mut flipped = three.bytes().to_vec();
    let position = flipped.windows(5).position(|w| w == b"Board").unwrap();
    flipped[position] = b'H';
    altered_b.offer(3, flipped, &three_jws);
    eventually(&c, "/metrics", "a signature refusal", waits_for_failure("signature")).await;
    assert_eq!(c.get(&latest_path(&fixture), &[]).await.header("etag"), Some(format!("\"{}\"", two.digest()).as_str()));

    // Snapshot 3 intact but signed by a stranger.
    let stranger = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let forged = three.sign(&stranger, &fixture.kid).unwrap();
    altered_b.offer(3, three.bytes().to_vec(), &forged);
    let before = metric(std::str::from_utf8(&c.get("/metrics", &[]).await.body).unwrap(), &failures("signature"));
    eventually(&c, "/metrics", "a second signature refusal", |reply| {
        metric(std::str::from_utf8(&reply.body).unwrap(), &failures("signature")) > before
    })
    .await;
    let status = c.get(&status_path, &[]).await.json();
    assert_eq!(
        (status["served"]["sequence"].as_u64(), status["mirror"]["last_error"]["kind"].as_str()),
        (Some(2), Some("signature"))
    );

    // The genuine snapshot 3 is taken. Then two forks, each validly signed by the authority: a snapshot 4 built on
    // another snapshot 3, and later yet another snapshot 3 offered directly.
    altered_b.offer(3, three.bytes().to_vec(), &three_jws);
    serves(&c, &fixture, &three).await;
    let fork_of = |status: Status, reason: &str| {
        let mut other = Fixture::signed_by(fixture.key.clone(), &fixture.authority, &fixture.kid, 86_400);
        other.signed = fixture.signed.clone();
        other.source = fixture.source.clone();
        other.source.change_status("s3", status, at("2025-11-01T00:00:00Z"), reason).unwrap();
        let forked_three = other.build_next(86_400);
        assert_eq!(forked_three.0.snapshot().sequence, 3);
        assert_ne!(forked_three.0.digest(), three.digest());
        other.accepted(forked_three.clone());
        (other, forked_three)
    };
    let (mut branch, (branch_three, _)) = fork_of(Status::Suspended, "branch");
    let (four, four_jws) = branch.edit_and_build(|_| {});
    altered_b.offer(4, four.bytes().to_vec(), &four_jws);
    let forks = |reply: &crate::support::node::Reply| reply.json()["mirror"]["forks"].as_array().map_or(0, Vec::len);
    eventually(&c, &status_path, "fork evidence from a successor", |reply| forks(reply) == 1).await;
    altered_b.snapshots.lock().unwrap().remove(&4);
    let (_, (direct_three, direct_jws)) = fork_of(Status::Revoked, "direct");
    altered_b.offer(3, direct_three.bytes().to_vec(), &direct_jws);
    eventually(&c, &status_path, "fork evidence offered directly", |reply| forks(reply) == 2).await;

    let status = c.get(&status_path, &[]).await.json();
    let evidence: Vec<_> = status["mirror"]["forks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["sequence"].clone(), e["served_digest"].clone(), e["upstream_digest"].clone(), e["shown_by"].clone())
        })
        .collect();
    let served = json!(three.digest().to_string());
    assert_eq!(
        evidence,
        [
            (json!(3), served.clone(), json!(branch_three.digest().to_string()), json!(4)),
            (json!(3), served.clone(), json!(direct_three.digest().to_string()), json!(3)),
        ]
    );
    assert_eq!(status["served"]["digest"], served, "the first snapshot 3 stays served");
    assert_eq!(status["mirror"]["last_error"]["kind"], "fork");
    let metrics = String::from_utf8(c.get("/metrics", &[]).await.body.to_vec()).unwrap();
    assert_eq!(metric(&metrics, &format!("trustnode_mirror_forks_total{{authority=\"{}\"}}", fixture.authority)), 2.0);
    assert!(metric(&metrics, &failures("fork")) >= 2.0, "{metrics}");
    assert_eq!(c.get(&latest_path(&fixture), &[]).await.body, three.bytes());
}

/// Serves `node`'s router over TLS on another loopback port, with a certificate from `ca` for `issuer.test`
/// (among others); returns the port.
async fn tls_front(node: &TestNode, ca: &TestCa) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let listener = trustnode::http::tls::TlsListener::new(listener, ca.server_config()).unwrap();
    let router = trustnode::http::router(node.state.clone());
    let limits = trustnode::http::ConnectionLimits::from_config(&node.config.server);
    tokio::spawn(trustnode::http::serve(listener, router, std::future::pending(), limits));
    port
}

/// A mirror of `fixture` from `https://issuer.test:<port>`, pinned to loopback, trusting `ca_file` (empty: the
/// Mozilla roots only) and letting the SSRF guard pass loopback only when `allow_private` is set.
async fn https_mirror(fixture: &Fixture, port: u16, ca_file: String, allow_private: bool) -> TestNode {
    mirror_from(fixture, format!("https://issuer.test:{port}"), move |config| {
        config.mirroring.extra_ca_file = ca_file;
        config.mirroring.allow_private_addresses = allow_private;
        config.mirroring.host_overrides = [("issuer.test".to_owned(), "127.0.0.1".parse().unwrap())].into();
    })
    .await
}

#[tokio::test]
async fn a_mirror_over_https_trusts_only_verified_certificates_and_public_addresses() {
    let fixture = Fixture::new();
    let ca = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(dir.path()).display().to_string();
    let a = node_for(&fixture, |_| {}).await;
    let port = tls_front(&a, &ca).await;
    let status_path = format!("/registries/{}/status", fixture.encoded_authority());

    let trusting = https_mirror(&fixture, port, ca_file.clone(), true).await;
    serves(&trusting, &fixture, &fixture.signed[0].0).await;
    let status = trusting.get(&status_path, &[]).await.json();
    assert_eq!(status["mirror"]["upstream"], format!("https://issuer.test:{port}"));
    assert_eq!(status["mirror"]["last_error"], Value::Null, "{status}");

    // The same upstream with the Mozilla roots only: its certificate is not trusted, nothing is served.
    let untrusting = https_mirror(&fixture, port, String::new(), true).await;
    eventually(&untrusting, &status_path, "a TLS refusal", |reply| {
        reply.json()["mirror"]["last_error"]["kind"] == "tls"
    })
    .await;
    let status = untrusting.get(&status_path, &[]).await.json();
    let detail = status["mirror"]["last_error"]["detail"].as_str().unwrap();
    assert!(detail.contains("TLS handshake with issuer.test failed") && detail.contains("certificate"), "{detail}");
    assert_eq!(status["served"], Value::Null);
    assert_eq!(untrusting.get(&latest_path(&fixture), &[]).await.status, 404);
    assert_eq!(untrusting.get("/readyz", &[]).await.status, 503);
    let metrics = String::from_utf8(untrusting.get("/metrics", &[]).await.body.to_vec()).unwrap();
    let series = format!("trustnode_mirror_failures_total{{authority=\"{}\",kind=\"tls\"}}", fixture.authority);
    assert!(metric(&metrics, &series) >= 1.0, "{metrics}");

    // A trusted certificate on a loopback address, without the opt-out: the SSRF guard refuses the upstream.
    let guarded = https_mirror(&fixture, port, ca_file, false).await;
    eventually(&guarded, &status_path, "an SSRF refusal", |reply| {
        reply.json()["mirror"]["last_error"]["kind"] == "refused"
    })
    .await;
    let status = guarded.get(&status_path, &[]).await.json();
    let detail = status["mirror"]["last_error"]["detail"].as_str().unwrap();
    assert!(detail.contains("issuer.test is refused: 127.0.0.1 is"), "{detail}");
    assert_eq!(guarded.get(&latest_path(&fixture), &[]).await.status, 404);
}

/// The requests `node` answered with a whole snapshot (200) or its ETag (304), from its metrics: a `PUT` is 201.
async fn snapshot_requests(node: &TestNode) -> f64 {
    let metrics = String::from_utf8(node.get("/metrics", &[]).await.body.to_vec()).unwrap();
    metrics
        .lines()
        .filter(|line| line.starts_with("trustnode_http_requests_total{") && line.contains("/snapshots/"))
        .filter(|line| line.contains("status=\"200\"") || line.contains("status=\"304\""))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn mirror_metric(metrics: &str, name: &str, fixture: &Fixture, kind: Option<&str>) -> f64 {
    let labels = match kind {
        Some(kind) => format!("authority=\"{}\",kind=\"{kind}\"", fixture.authority),
        None => format!("authority=\"{}\"", fixture.authority),
    };
    metric(metrics, &format!("{name}{{{labels}}}"))
}

#[tokio::test]
async fn a_mirror_follows_a_publish_through_the_feed_without_fetching_the_snapshot() {
    let mut fixture = Fixture::new();
    let a = node_for(&fixture, |_| {}).await;
    // Polls an hour apart: only the feed can bring a publish within the test's deadline.
    let b = mirror_from(&fixture, format!("http://{}", a.addr), |config| {
        config.mirroring.allow_http = true;
        config.mirroring.poll_interval_s = 3_600;
    })
    .await;
    serves(&b, &fixture, &fixture.signed[0].0).await;
    // Let B settle into its feed request before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fetched = snapshot_requests(&a).await;

    let (two, jws) = revoke_college(&mut fixture, 86_400);
    let published = Instant::now();
    assert_eq!(put(&a, &fixture.encoded_authority(), 2, two.bytes().to_vec(), &jws).await.status, 201);
    serves(&b, &fixture, &two).await;
    assert!(published.elapsed() < Duration::from_secs(5), "took {:?}", published.elapsed());
    assert_eq!(snapshot_requests(&a).await, fetched, "B fetched a whole snapshot from A");
    let path = format!("/registries/{}/snapshots/2", fixture.encoded_authority());
    let (from_a, from_b) = (a.get(&path, &[]).await, b.get(&path, &[]).await);
    assert_eq!(from_b.body, from_a.body, "B rebuilt A's bytes");
    assert_eq!(from_b.header(SNAPSHOT_JWS_HEADER), from_a.header(SNAPSHOT_JWS_HEADER));
    let answer = college_answer(&b, &fixture).await;
    assert_eq!((answer["authorized"].as_bool(), answer["registry_sequence"].as_u64()), (Some(false), Some(2)));
    let metrics = String::from_utf8(b.get("/metrics", &[]).await.body.to_vec()).unwrap();
    assert_eq!(mirror_metric(&metrics, "trustnode_mirror_feed_events_total", &fixture, None), 1.0, "{metrics}");
    let series = format!("trustnode_mirror_received_bytes_total{{authority=\"{}\",via=\"feed\"}}", fixture.authority);
    assert!(metric(&metrics, &series) > 0.0, "{metrics}");
}

#[tokio::test]
async fn an_empty_mirror_catches_up_through_the_feed_fetching_only_the_first_snapshot_whole() {
    let mut fixture = Fixture::new();
    // A starts at sequence 4: a revocation, then two snapshots that only move next_update.
    fixture.extend(|source| {
        source.change_status("s2", Status::Revoked, at("2025-09-01T00:00:00Z"), "closed").unwrap();
    });
    fixture.extend(|_| {});
    fixture.extend(|_| {});
    let a = node_for(&fixture, |_| {}).await;
    let last = fixture.signed.last().unwrap().0.clone();
    let fetched = snapshot_requests(&a).await;
    // Polls an hour apart: only the feed can bring sequences 2 to 4 within the test's deadline.
    let b = mirror_from(&fixture, format!("http://{}", a.addr), |config| {
        config.mirroring.allow_http = true;
        config.mirroring.poll_interval_s = 3_600;
    })
    .await;
    serves(&b, &fixture, &last).await;
    assert_eq!(snapshot_requests(&a).await - fetched, 1.0, "B fetched only its first snapshot whole");
    for sequence in 1..=4 {
        let path = format!("/registries/{}/snapshots/{sequence}", fixture.encoded_authority());
        let (from_a, from_b) = (a.get(&path, &[]).await, b.get(&path, &[]).await);
        assert_eq!(from_b.status, 200, "B serves sequence {sequence}");
        assert_eq!(from_b.body, from_a.body, "B holds A's bytes for sequence {sequence}");
    }
    let answer = college_answer(&b, &fixture).await;
    assert_eq!((answer["authorized"].as_bool(), answer["registry_sequence"].as_u64()), (Some(false), Some(4)));
    let metrics = String::from_utf8(b.get("/metrics", &[]).await.body.to_vec()).unwrap();
    assert_eq!(mirror_metric(&metrics, "trustnode_mirror_feed_events_total", &fixture, None), 3.0, "{metrics}");
}

#[tokio::test]
async fn a_mirror_polls_whole_snapshots_when_the_upstream_has_no_feed() {
    let mut fixture = Fixture::new();
    let older = Replayer::default();
    let (one, one_jws) = fixture.signed[0].clone();
    older.offer(1, one.bytes().to_vec(), &one_jws);
    let b = mirror_of(&fixture, older.start().await).await;
    serves(&b, &fixture, &one).await;
    let (two, two_jws) = revoke_college(&mut fixture, 86_400);
    older.offer(2, two.bytes().to_vec(), &two_jws);
    serves(&b, &fixture, &two).await;
    assert!(older.requests("changes") >= 1, "B asked for the feed first");
    let metrics = String::from_utf8(b.get("/metrics", &[]).await.body.to_vec()).unwrap();
    let fallbacks = mirror_metric(&metrics, "trustnode_mirror_feed_fallbacks_total", &fixture, Some("no-feed"));
    assert!(fallbacks >= 1.0, "{metrics}");
    assert_eq!(mirror_metric(&metrics, "trustnode_mirror_feed_events_total", &fixture, None), 0.0);
    let status = b.get(&format!("/registries/{}/status", fixture.encoded_authority()), &[]).await.json();
    assert_eq!(status["mirror"]["last_error"], Value::Null, "a missing feed is no failure: {status}");
}

#[tokio::test]
async fn a_tampered_event_falls_back_to_the_whole_snapshot_and_forks_are_still_refused() {
    let mut fixture = Fixture::new();
    let upstream = Replayer::default();
    let (one, one_jws) = fixture.signed[0].clone();
    upstream.offer(1, one.bytes().to_vec(), &one_jws);
    let b = mirror_of(&fixture, upstream.start().await).await;
    serves(&b, &fixture, &one).await;
    let status_path = format!("/registries/{}/status", fixture.encoded_authority());
    let metrics = || async { String::from_utf8(b.get("/metrics", &[]).await.body.to_vec()).unwrap() };

    // Snapshot 2's event with the revocation taken back out of the changed statement: its inclusion path fails.
    let (two, two_jws) = revoke_college(&mut fixture, 86_400);
    let event = ChangeEvent::between(Some(&one), &two, &two_jws, usize::MAX).unwrap();
    let mut tampered = event.clone();
    assert_eq!(tampered.changes[0].change, ChangeKind::Modified);
    tampered.changes[0].statement.history.pop();
    upstream.announce(tampered);
    upstream.offer(2, two.bytes().to_vec(), &two_jws);
    fixture.accepted((two.clone(), two_jws.clone()));
    serves(&b, &fixture, &two).await;
    let text = metrics().await;
    let fallbacks = mirror_metric(&text, "trustnode_mirror_feed_fallbacks_total", &fixture, Some("invalid-event"));
    assert!(fallbacks >= 1.0, "{text}");
    assert_eq!(mirror_metric(&text, "trustnode_mirror_feed_events_total", &fixture, None), 0.0);
    assert_eq!(b.get(&latest_path(&fixture), &[]).await.body, two.bytes(), "the whole snapshot, fetched");

    // Snapshot 3 through an intact event.
    fixture.source.change_status("s4", Status::Suspended, at("2025-10-01T00:00:00Z"), "review").unwrap();
    let (three, three_jws) = fixture.build_next(86_400);
    upstream.announce(ChangeEvent::between(Some(&two), &three, &three_jws, usize::MAX).unwrap());
    let whole = upstream.requests("snapshot");
    upstream.offer(3, three.bytes().to_vec(), &three_jws);
    serves(&b, &fixture, &three).await;
    assert_eq!(mirror_metric(&metrics().await, "trustnode_mirror_feed_events_total", &fixture, None), 1.0);
    assert_eq!(upstream.requests("snapshot"), whole, "snapshot 3 came through the feed alone");
    fixture.accepted((three.clone(), three_jws.clone()));

    // A fork, validly signed by the authority: snapshot 4 built on another snapshot 3, offered as an event and
    // whole. The event does not chain; the whole snapshot shows the fork, as it always did.
    let mut branch = Fixture::signed_by(fixture.key.clone(), &fixture.authority, &fixture.kid, 86_400);
    branch.signed = fixture.signed[..2].to_vec();
    branch.source = fixture.source.clone();
    branch.source.change_status("s3", Status::Suspended, at("2025-11-01T00:00:00Z"), "branch").unwrap();
    let (branch_three, branch_three_jws) = branch.build_next(86_400);
    assert_ne!(branch_three.digest(), three.digest());
    branch.accepted((branch_three.clone(), branch_three_jws));
    let (four, four_jws) = branch.edit_and_build(|_| {});
    upstream.announce(ChangeEvent::between(Some(&branch_three), &four, &four_jws, usize::MAX).unwrap());
    upstream.offer(4, four.bytes().to_vec(), &four_jws);
    let forks = |reply: &crate::support::node::Reply| reply.json()["mirror"]["forks"].as_array().map_or(0, Vec::len);
    eventually(&b, &status_path, "fork evidence", |reply| forks(reply) == 1).await;
    let status = b.get(&status_path, &[]).await.json();
    let evidence = &status["mirror"]["forks"][0];
    assert_eq!(
        (&evidence["sequence"], &evidence["served_digest"], &evidence["upstream_digest"], &evidence["shown_by"]),
        (&json!(3), &json!(three.digest().to_string()), &json!(branch_three.digest().to_string()), &json!(4))
    );
    assert_eq!(status["mirror"]["last_error"]["kind"], "fork");
    let text = metrics().await;
    let broken = mirror_metric(&text, "trustnode_mirror_feed_fallbacks_total", &fixture, Some("broken-chain"));
    assert!(broken >= 1.0, "{text}");
    assert_eq!(b.get(&latest_path(&fixture), &[]).await.body, three.bytes(), "the first snapshot 3 stays served");
}
