//! The change feed over real sockets (`GET /registries/{authority}/changes`): JSON pages and filters, long-poll
//! woken by a publish or timing out empty, SSE delivering backlog and live events and resuming with
//! `Last-Event-ID` without gap or duplicate, every event checked as a client would (signature, chain, inclusion
//! proofs, and applied to the previous statements), tampering caught, and the bounds (stream limit, a client that
//! does not read). `trustnode registry watch` follows the same feed as a separate process.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Empty};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use trustnode_did::key::{self, KeyOptions};
use trustnode_registry::feed::{ChangeEvent, ChangeKind, FeedCursor, FeedError};
use trustnode_registry::model::{EntityMetadata, RegistrySource, Statement, Status};

use crate::support::node::TestNode;
use crate::support::registry::{add_schools, node_for, now, publish, Fixture, COLLEGE};

/// The feed path of `fixture`'s registry with `query`.
fn feed(fixture: &Fixture, query: &str) -> String {
    format!("/registries/{}/changes{query}", fixture.encoded_authority())
}

/// The authority's DID document, as a client resolves it (did:key, offline).
fn authority_document(fixture: &Fixture) -> Value {
    key::resolve(&fixture.authority, &fixture.authority[8..], &KeyOptions::default()).unwrap()
}

fn events(page: &Value) -> Vec<ChangeEvent> {
    serde_json::from_value(page["events"].clone()).expect("events are change events")
}

/// Checks `events` in order from `cursor` as a client does, applying each to the statements held.
fn verify_and_apply(fixture: &Fixture, mut cursor: FeedCursor, mut held: Vec<Statement>, events: &[ChangeEvent]) {
    let document = authority_document(fixture);
    for event in events {
        cursor = event.verify(cursor, &document).unwrap_or_else(|e| panic!("event {}: {e}", event.sequence)).cursor;
        held = event.apply(&held).unwrap_or_else(|e| panic!("event {}: {e}", event.sequence));
        let index = usize::try_from(event.sequence - 1).unwrap();
        assert_eq!(held, fixture.signed[index].0.snapshot().statements, "after event {}", event.sequence);
    }
}

fn named(name: &str) -> EntityMetadata {
    EntityMetadata { name: name.into(), ..Default::default() }
}

fn suspend_college(source: &mut RegistrySource) {
    source.change_status("s2", Status::Suspended, now(), "audit").unwrap();
}

/// A registry with snapshots 1 (four statements), 2 (s2 suspended, two schools added) and 3 (one more school).
async fn three_snapshots() -> (TestNode, Fixture) {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    publish(&node, &mut fixture, |source| {
        suspend_college(source);
        add_schools(source, 2);
    })
    .await;
    publish(&node, &mut fixture, |source| {
        source.upsert_entity("did:web:late.example", named("Late")).unwrap();
        let mut late = source.statements[0].clone();
        late.id = "s7".into();
        late.entity_id = "did:web:late.example".into();
        late.history.truncate(1);
        source.statements.push(late);
    })
    .await;
    (node, fixture)
}

#[tokio::test]
async fn json_pages_carry_events_that_verify_and_apply() {
    let (node, fixture) = three_snapshots().await;
    let reply = node.get(&feed(&fixture, "?since=0"), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let page = reply.json();
    assert_eq!(
        (page["since"].as_u64(), page["current_sequence"].as_u64(), page["next_since"].as_u64()),
        (Some(0), Some(3), Some(3))
    );
    assert_eq!(page["authority_id"], fixture.authority.as_str());
    let all = events(&page);
    assert_eq!(all.iter().map(|e| e.sequence).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(all[0].changes.len(), 4);
    let second: Vec<(ChangeKind, &str)> = all[1].changes.iter().map(|c| (c.change, c.statement.id.as_str())).collect();
    assert_eq!(second, [(ChangeKind::Modified, "s2"), (ChangeKind::Added, "s5"), (ChangeKind::Added, "s6")]);
    assert_eq!(all[1].digest, fixture.signed[1].0.digest());
    assert_eq!(all[1].jws, fixture.signed[1].1);
    verify_and_apply(&fixture, FeedCursor::START, Vec::new(), &all);

    // Paging: `limit` events at most, `next_since` says where to continue.
    let first_page = node.get(&feed(&fixture, "?since=0&limit=2"), &[]).await.json();
    assert_eq!(events(&first_page).iter().map(|e| e.sequence).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(first_page["next_since"], 2);
    let rest = node.get(&feed(&fixture, "?since=2&limit=2"), &[]).await.json();
    assert_eq!(events(&rest).iter().map(|e| e.sequence).collect::<Vec<_>>(), [3]);
    let held = FeedCursor { sequence: 2, digest: Some(fixture.signed[1].0.digest()) };
    verify_and_apply(&fixture, held, fixture.signed[1].0.snapshot().statements.clone(), &events(&rest));
    let nothing = node.get(&feed(&fixture, "?since=3"), &[]).await.json();
    assert_eq!((events(&nothing).len(), nothing["next_since"].as_u64()), (0, Some(3)));
}

#[tokio::test]
async fn filters_narrow_the_changes_but_every_sequence_is_delivered() {
    let (node, fixture) = three_snapshots().await;
    let college = node.get(&feed(&fixture, &format!("?since=0&entity={COLLEGE}")), &[]).await.json();
    let college = events(&college);
    assert_eq!(college.iter().map(|e| e.sequence).collect::<Vec<_>>(), [1, 2, 3], "no gap in sequences");
    let ids: Vec<Vec<&str>> =
        college.iter().map(|e| e.changes.iter().map(|c| c.statement.id.as_str()).collect()).collect();
    assert_eq!(ids, [vec!["s2"], vec!["s2"], vec![]]);
    // Narrowed events still verify: signature, chain and each remaining inclusion proof.
    let document = authority_document(&fixture);
    let mut cursor = FeedCursor::START;
    for event in &college {
        cursor = event.verify(cursor, &document).unwrap().cursor;
    }
    // …but cannot be applied: what was left out is missing from the rebuilt Merkle root.
    assert!(matches!(college[0].apply(&[]), Err(FeedError::DoesNotApply { sequence: 1, .. })));

    let badges = node.get(&feed(&fixture, "?since=1&action=issue&resource=OpenBadgeCredential"), &[]).await.json();
    let badges = events(&badges);
    let ids: Vec<Vec<&str>> =
        badges.iter().map(|e| e.changes.iter().map(|c| c.statement.id.as_str()).collect()).collect();
    assert_eq!(ids, [vec!["s5", "s6"], vec!["s7"]]);
    let none = node.get(&feed(&fixture, "?since=0&action=accredit&resource=Certificate"), &[]).await.json();
    assert!(events(&none).iter().all(|e| e.changes.is_empty()));
}

#[tokio::test]
async fn bad_requests_get_precise_problems() {
    let (node, fixture) = three_snapshots().await;
    // Path, request headers, then the status, problem kind and a part of the detail expected.
    type Case = (String, Vec<(&'static str, &'static str)>, u16, &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (feed(&fixture, "?since=-1"), vec![], 400, "invalid-since", "since `-1` is not 0 or a sequence"),
        (feed(&fixture, "?since=01"), vec![], 400, "invalid-since", "`01`"),
        (feed(&fixture, "?since=%2B1"), vec![], 400, "invalid-since", "`+1`"),
        (feed(&fixture, "?since=%201"), vec![], 400, "invalid-since", "` 1`"),
        (feed(&fixture, "?since=1.0"), vec![], 400, "invalid-since", "`1.0`"),
        (
            feed(&fixture, "?since=4"),
            vec![],
            400,
            "since-ahead",
            "since 4 is beyond the snapshot served here, sequence 3",
        ),
        (feed(&fixture, "?since=99999999999999999999"), vec![], 400, "invalid-since", "99999999999999999999"),
        (feed(&fixture, "?limit=0"), vec![], 400, "invalid-limit", "between 1 and 100"),
        (feed(&fixture, "?limit=101"), vec![], 400, "invalid-limit", "between 1 and 100"),
        (
            feed(&fixture, "?wait=31"),
            vec![],
            400,
            "invalid-wait",
            "wait `31` is not a whole number of seconds from 0 to 30",
        ),
        (feed(&fixture, "?wait=soon"), vec![], 400, "invalid-wait", "`soon`"),
        (feed(&fixture, "?entity="), vec![], 400, "invalid-filter", "`entity` is empty"),
        (feed(&fixture, "?colour=red"), vec![], 400, "invalid-query", "colour"),
        (feed(&fixture, ""), vec![("last-event-id", "two")], 400, "invalid-last-event-id", "`two`"),
        (feed(&fixture, "?since=0"), vec![("last-event-id", "7")], 400, "since-ahead", "since 7"),
        (
            "/registries/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK/changes".into(),
            vec![],
            404,
            "registry-not-hosted",
            "hosts no registry",
        ),
    ];
    for (path, headers, status, kind, detail) in cases {
        let reply = node.get(&path, &headers).await;
        assert_eq!(reply.status, status, "{path} {headers:?}: {}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{path}");
        let problem = reply.json();
        assert_eq!(problem["type"], format!("urn:trustnode:problem:{kind}"), "{path}");
        let text = problem["detail"].as_str().unwrap();
        assert!(text.contains(detail), "{path}: {text}");
    }
}

#[tokio::test]
async fn an_event_over_the_change_bound_is_refused_with_what_to_do_instead() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.feed.max_event_changes = 3).await;
    publish(&node, &mut fixture, suspend_college).await;
    // Snapshot 1 adds four statements: more than an event may list.
    for _ in 0..2 {
        let refused = node.get(&feed(&fixture, "?since=0"), &[]).await;
        assert_eq!(refused.status, 422, "{}", String::from_utf8_lossy(&refused.body));
        let problem = refused.json();
        assert_eq!(problem["type"], "urn:trustnode:problem:event-too-large");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("snapshot 1 changes 4 statements, more than the 3"), "{detail}");
        assert!(detail.contains("fetch that snapshot itself"), "{detail}");
    }
    let later = node.get(&feed(&fixture, "?since=1"), &[]).await;
    assert_eq!(later.status, 200);
    assert_eq!(events(&later.json()).iter().map(|e| e.sequence).collect::<Vec<_>>(), [2]);
    let mut stream = Stream::open(&node, &feed(&fixture, "?since=0"), None).await.unwrap();
    let error = stream.next_event(Duration::from_secs(5)).await.expect("an error event");
    assert_eq!(error.kind.as_deref(), Some("error"));
    let data: Value = serde_json::from_str(&error.data).unwrap();
    assert_eq!(data["status"], 422);
    assert!(stream.next_event(Duration::from_secs(1)).await.is_none(), "the stream ends");
}

#[tokio::test]
async fn a_long_poll_is_woken_by_a_publish_or_answers_empty_when_its_wait_ends() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let path = feed(&fixture, "?since=1&wait=20");
    let started = Instant::now();
    let waiting = {
        let addr = node.addr;
        tokio::spawn(async move { crate::support::node::get_at(addr, &path).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "the long-poll answered before anything was published");
    publish(&node, &mut fixture, suspend_college).await;
    let reply = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("woken by the publish").unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let page = reply.json();
    assert_eq!(events(&page).iter().map(|e| e.sequence).collect::<Vec<_>>(), [2]);
    let held = FeedCursor { sequence: 1, digest: Some(fixture.signed[0].0.digest()) };
    verify_and_apply(&fixture, held, fixture.signed[0].0.snapshot().statements.clone(), &events(&page));

    let started = Instant::now();
    let empty = node.get(&feed(&fixture, "?since=2&wait=1"), &[]).await;
    let waited = started.elapsed();
    assert_eq!(empty.status, 200);
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(4), "{waited:?}");
    let page = empty.json();
    assert_eq!(
        (events(&page).len(), page["next_since"].as_u64(), page["current_sequence"].as_u64()),
        (0, Some(2), Some(2))
    );
    // Nothing to wait for when events are there already.
    let started = Instant::now();
    let ready = node.get(&feed(&fixture, "?since=1&wait=20"), &[]).await.json();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(events(&ready).len(), 1);
}

/// An SSE connection read frame by frame.
struct Stream {
    body: Incoming,
    pending: Vec<u8>,
}

/// One SSE event: its id and data (comments are skipped).
#[derive(Debug)]
struct SseEvent {
    id: Option<String>,
    kind: Option<String>,
    data: String,
}

impl Stream {
    async fn open(node: &TestNode, path: &str, last_event_id: Option<&str>) -> Result<Stream, (u16, Value)> {
        let mut request =
            hyper::Request::get(format!("http://{}{path}", node.addr)).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        let response = client.request(request.body(Empty::<Bytes>::new()).unwrap()).await.expect("connect");
        let status = response.status().as_u16();
        if status != 200 {
            let body = response.into_body().collect().await.unwrap().to_bytes();
            return Err((status, serde_json::from_slice(&body).unwrap()));
        }
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Ok(Stream { body: response.into_body(), pending: Vec::new() })
    }

    /// The next event or comment block, within `timeout`.
    async fn next_block(&mut self, timeout: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(end) = self.pending.windows(2).position(|pair| pair == b"\n\n") {
                let block: Vec<u8> = self.pending.drain(..end + 2).collect();
                return Some(String::from_utf8(block[..end].to_vec()).unwrap());
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame()).await.ok()??.ok()?;
            if let Ok(data) = frame.into_data() {
                self.pending.extend_from_slice(&data);
            }
        }
    }

    /// The next event (heartbeat comments skipped), within `timeout`.
    async fn next_event(&mut self, timeout: Duration) -> Option<SseEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            let block = self.next_block(deadline.saturating_duration_since(Instant::now())).await?;
            let mut event = SseEvent { id: None, kind: None, data: String::new() };
            for line in block.lines() {
                match line.split_once(": ") {
                    Some(("id", id)) => event.id = Some(id.to_owned()),
                    Some(("event", kind)) => event.kind = Some(kind.to_owned()),
                    Some(("data", data)) => event.data.push_str(data),
                    _ => {}
                }
            }
            if event.id.is_some() || !event.data.is_empty() {
                return Some(event);
            }
        }
    }

    async fn change(&mut self) -> ChangeEvent {
        let event = self.next_event(Duration::from_secs(10)).await.expect("an event within 10 s");
        let change: ChangeEvent = serde_json::from_str(&event.data).expect("a change event");
        assert_eq!(event.id, Some(change.sequence.to_string()), "id: is the sequence");
        assert_eq!(event.kind, None, "change events are plain `message` events");
        change
    }
}

#[tokio::test]
async fn sse_streams_backlog_and_live_events_and_resumes_without_gap_or_repeat() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let mut stream = Stream::open(&node, &feed(&fixture, "?since=0"), None).await.unwrap();
    let mut received = vec![stream.change().await];
    publish(&node, &mut fixture, suspend_college).await;
    let started = Instant::now();
    received.push(stream.change().await);
    assert!(started.elapsed() < Duration::from_secs(2), "pushed live, not polled");

    // The connection drops; two snapshots are published meanwhile; the client reconnects as EventSource does,
    // with the URL it started with and the id of the last event it received.
    drop(stream);
    publish(&node, &mut fixture, |source| add_schools(source, 1)).await;
    publish(&node, &mut fixture, |source| source.change_status("s2", Status::Active, now(), "cleared").unwrap()).await;
    let last = received.last().unwrap().sequence.to_string();
    let mut resumed = Stream::open(&node, &feed(&fixture, "?since=0"), Some(&last)).await.unwrap();
    received.push(resumed.change().await);
    received.push(resumed.change().await);
    assert_eq!(received.iter().map(|e| e.sequence).collect::<Vec<_>>(), [1, 2, 3, 4], "no gap, no repeat");
    assert!(resumed.next_event(Duration::from_millis(300)).await.is_none(), "nothing more");
    verify_and_apply(&fixture, FeedCursor::START, Vec::new(), &received);

    let metrics = String::from_utf8(node.get("/metrics", &[]).await.body.to_vec()).unwrap();
    assert!(metrics.contains("trustnode_feed_subscribers{kind=\"stream\"} 1"), "{metrics}");
    assert!(metrics.contains("trustnode_feed_events_sent_total 4"), "{metrics}");
}

#[tokio::test]
async fn heartbeats_keep_a_quiet_stream_alive_past_the_idle_timeout() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |config| {
        config.feed.heartbeat_s = 1;
        config.server.idle_timeout_s = 1;
    })
    .await;
    let mut stream = Stream::open(&node, &feed(&fixture, "?since=1"), None).await.unwrap();
    for _ in 0..3 {
        let block = stream.next_block(Duration::from_secs(3)).await.expect("a heartbeat");
        assert_eq!(block, ": heartbeat");
    }
    // Three idle timeouts later the stream is still open and still live.
    publish(&node, &mut fixture, suspend_college).await;
    assert_eq!(stream.change().await.sequence, 2);
}

#[tokio::test]
async fn a_tampered_event_fails_verification() {
    let (node, fixture) = three_snapshots().await;
    let page = node.get(&feed(&fixture, "?since=1&limit=1"), &[]).await.json();
    let event = events(&page).remove(0);
    let document = authority_document(&fixture);
    let held = FeedCursor { sequence: 1, digest: Some(fixture.signed[0].0.digest()) };
    assert!(event.verify(held, &document).is_ok());

    let mut reinstated = event.clone();
    reinstated.changes[0].statement.history.pop();
    let refused = reinstated.verify(held, &document).unwrap_err();
    assert!(refused.to_string().contains("statement `s2` is not in the signed snapshot"), "{refused}");
    let mut renamed = event.clone();
    renamed.header.name = "Another board".into();
    assert!(matches!(renamed.verify(held, &document), Err(FeedError::Signature { sequence: 2, .. })));
    let forked = FeedCursor { sequence: 1, digest: Some(fixture.signed[1].0.digest()) };
    assert!(matches!(event.verify(forked, &document), Err(FeedError::BrokenChain { sequence: 2, .. })));
    let mut hidden = event.clone();
    hidden.changes.retain(|change| change.statement.id != "s5");
    assert!(hidden.verify(held, &document).is_ok(), "each remaining change still proves");
    let before = &fixture.signed[0].0.snapshot().statements;
    assert!(matches!(hidden.apply(before), Err(FeedError::DoesNotApply { .. })), "but the omission is caught");
}

#[tokio::test]
async fn streams_beyond_the_limit_get_503_and_a_freed_place_is_reused() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.feed.max_subscribers = 2).await;
    let path = feed(&fixture, "?since=1");
    let first = Stream::open(&node, &path, None).await.unwrap();
    let _second = Stream::open(&node, &path, None).await.unwrap();
    let Err((status, problem)) = Stream::open(&node, &path, None).await else { panic!("a third stream was opened") };
    assert_eq!(status, 503);
    assert_eq!(problem["type"], "urn:trustnode:problem:feed-full");
    assert!(problem["detail"].as_str().unwrap().contains("2 streams"), "{problem}");
    // JSON readers are not subscribers.
    assert_eq!(node.get(&path, &[]).await.status, 200);
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match Stream::open(&node, &path, None).await {
            Ok(_) => break,
            Err((503, _)) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            Err((status, problem)) => panic!("{status} {problem}"),
        }
    }
}

#[tokio::test]
async fn waiting_long_polls_beyond_the_limit_get_503() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.feed.max_waiting = 1).await;
    let path = feed(&fixture, "?since=1&wait=5");
    let waiting = {
        let (addr, path) = (node.addr, path.clone());
        tokio::spawn(async move { crate::support::node::get_at(addr, &path).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = node.get(&path, &[]).await;
    assert_eq!(refused.status, 503);
    assert_eq!(refused.json()["type"], "urn:trustnode:problem:feed-full");
    assert!(refused.header("retry-after").is_some());
    waiting.abort();
}

#[tokio::test]
async fn a_client_that_stops_reading_catches_up_from_storage_without_gap() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let mut stream = Stream::open(&node, &feed(&fixture, "?since=0"), None).await.unwrap();
    assert_eq!(stream.change().await.sequence, 1);
    // More snapshots than the feed keeps in memory are published while the client reads nothing.
    let published = trustnode::feed::CACHED_EVENTS + 6;
    for n in 0..published {
        publish(&node, &mut fixture, |source| {
            let entity = format!("did:web:school-{n}.example");
            crate::support::registry::register_from_now(source, &entity, named("School"));
        })
        .await;
    }
    let mut received = Vec::new();
    for _ in 0..published {
        received.push(stream.change().await);
    }
    let sequences: Vec<u64> = received.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (2..=published as u64 + 1).collect::<Vec<_>>());
    let document = authority_document(&fixture);
    let mut cursor = FeedCursor { sequence: 1, digest: Some(fixture.signed[0].0.digest()) };
    for event in &received {
        cursor = event.verify(cursor, &document).unwrap().cursor;
        assert_eq!(event.changes.len(), 1);
    }
}

#[tokio::test]
async fn a_mirror_feeds_the_snapshots_it_mirrors() {
    let mut fixture = Fixture::new();
    let upstream = node_for(&fixture, |_| {}).await;
    let mirror = crate::support::mirror::mirror_of(&fixture, upstream.addr).await;
    crate::support::mirror::serves(&mirror, &fixture, &fixture.signed[0].0).await;
    // A long-poll on the mirror is woken when the mirror's poller installs the snapshot published upstream.
    let path = feed(&fixture, "?since=1&wait=20");
    let waiting = {
        let addr = mirror.addr;
        tokio::spawn(async move { crate::support::node::get_at(addr, &path).await })
    };
    publish(&upstream, &mut fixture, suspend_college).await;
    let reply = tokio::time::timeout(Duration::from_secs(20), waiting).await.expect("woken").unwrap();
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let page = reply.json();
    assert_eq!(events(&page).iter().map(|e| e.sequence).collect::<Vec<_>>(), [2]);
    let held = FeedCursor { sequence: 1, digest: Some(fixture.signed[0].0.digest()) };
    verify_and_apply(&fixture, held, fixture.signed[0].0.snapshot().statements.clone(), &events(&page));
}

/// `trustnode registry watch URL ARGS…` with did:key resolution only and output captured.
fn watch(url: &str, data: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trustnode"));
    command
        .args(["registry", "watch", url])
        .args(args)
        .env("TRUSTNODE_SERVER__DATA_DIR", data)
        .env("TRUSTNODE_RESOLVER__METHODS", "[\"key\"]")
        .env("TRUSTNODE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test]
async fn trustnode_registry_watch_verifies_and_prints_each_change() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let data = tempfile::tempdir().unwrap();
    let url = format!("http://{}{}", node.addr, feed(&fixture, ""));
    let watch = |args: &[&str]| watch(&url, data.path(), args).spawn().expect("run trustnode");
    let text = watch(&["--until", "2"]);
    let json = watch(&[
        "--since",
        "1",
        "--since-digest",
        &fixture.signed[0].0.digest().to_string(),
        "--until",
        "2",
        "--format",
        "json",
        "--entity",
        COLLEGE,
    ]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    publish(&node, &mut fixture, |source| {
        suspend_college(source);
        add_schools(source, 1);
    })
    .await;
    let finish = |child: std::process::Child| {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        String::from_utf8(output.stdout).unwrap()
    };
    let (text, json) = tokio::task::spawn_blocking(move || (finish(text), finish(json))).await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("snapshot 1 sha256:") && lines[0].contains("verified (signed by did:key:"), "{text}");
    assert_eq!(lines.iter().filter(|line| line.starts_with("  1 added ")).count(), 4, "{text}");
    let second: Vec<&&str> = lines.iter().skip_while(|line| !line.starts_with("snapshot 2 ")).collect();
    assert!(second[0].ends_with("2 change(s)"), "{text}");
    assert!(
        second[1].starts_with(&format!("  2 modified s2 authorization {COLLEGE} issue Certificate (suspended since")),
        "{text}"
    );
    assert!(
        second[2]
            .starts_with("  2 added s5 authorization did:web:school0.example issue OpenBadgeCredential (active since"),
        "{text}"
    );

    let events: Vec<ChangeEvent> = json.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(events.len(), 1, "{json}");
    assert_eq!(events[0].changes.iter().map(|c| c.statement.id.as_str()).collect::<Vec<_>>(), ["s2"]);
}

#[tokio::test]
async fn trustnode_registry_watch_refuses_an_event_that_does_not_chain() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    publish(&node, &mut fixture, suspend_college).await;
    let data = tempfile::tempdir().unwrap();
    let url = format!("http://{}{}", node.addr, feed(&fixture, ""));
    let wrong = trustnode_registry::snapshot::Digest::of(b"another snapshot 1").to_string();
    let output = tokio::task::spawn_blocking(move || {
        watch(&url, data.path(), &["--since", "1", "--since-digest", &wrong]).output().unwrap()
    })
    .await
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("REFUSED: snapshot 2 does not follow the one held (sequence 1 with digest"), "{stderr}");
}

/// A TCP relay in front of the node that can cut every connection it carries: to a client, the server dropped it.
struct Relay {
    addr: std::net::SocketAddr,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    async fn start(target: std::net::SocketAddr) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = tokio::sync::watch::Sender::new(0);
        let cuts = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Relay { addr, cut }
    }

    /// Drops every connection open now.
    fn cut(&self) {
        self.cut.send_modify(|cuts| *cuts += 1);
    }
}

/// The lines `child` writes to its standard output, as they come.
fn stdout_lines(child: &mut std::process::Child) -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (lines_in, lines) = tokio::sync::mpsc::unbounded_channel();
    let stdout = child.stdout.take().expect("stdout is piped");
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_in.send(line);
        }
    });
    lines
}

/// The next line of the client's output that starts with `prefix`, skipping others, within `within` of each.
async fn next_line(
    lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    prefix: &str,
    within: Duration,
) -> Option<String> {
    loop {
        match tokio::time::timeout(within, lines.recv()).await {
            Ok(Some(line)) if line.starts_with(prefix) => return Some(line),
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| std::path::Path::new(&dir).join(name).is_file()))
}

#[tokio::test]
async fn the_npm_eventsource_client_resumes_after_a_dropped_connection_without_gap_or_repeat() {
    if !on_path("node") || !on_path("npm") {
        eprintln!(
            "SKIPPED: Node.js and npm are needed for the eventsource client; scripts/install-test-deps installs them"
        );
        return;
    }
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let relay = Relay::start(node.addr).await;
    let url = format!("http://{}{}", relay.addr, feed(&fixture, "?since=0"));
    let mut child = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ler-interop"))
        .args(["sse-client", &url, "4"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scripts/ler-interop runs");
    let mut lines = stdout_lines(&mut child);
    // The first run installs the pinned client: give it time.
    let Some(first) = next_line(&mut lines, "EVENT 1 ", Duration::from_secs(300)).await else {
        let output = child.wait_with_output().unwrap();
        if output.status.code() == Some(3) {
            eprintln!("SKIPPED: npm could not install eventsource: {}", String::from_utf8_lossy(&output.stderr));
            return;
        }
        panic!("no first event: {}", String::from_utf8_lossy(&output.stderr));
    };
    let mut data = vec![first];
    publish(&node, &mut fixture, suspend_college).await;
    data.push(next_line(&mut lines, "EVENT 2 ", Duration::from_secs(10)).await.expect("event 2 live"));
    relay.cut();
    publish(&node, &mut fixture, |source| add_schools(source, 1)).await;
    publish(&node, &mut fixture, |source| source.change_status("s2", Status::Active, now(), "cleared").unwrap()).await;
    for prefix in ["EVENT 3 ", "EVENT 4 "] {
        data.push(
            next_line(&mut lines, prefix, Duration::from_secs(30))
                .await
                .unwrap_or_else(|| panic!("no {prefix}after the drop")),
        );
    }
    let result = next_line(&mut lines, "RESULT ", Duration::from_secs(10)).await.expect("a result");
    let result: Value = serde_json::from_str(result.trim_start_matches("RESULT ")).unwrap();
    assert_eq!(result["ids"], serde_json::json!(["1", "2", "3", "4"]), "no gap, no repeat");
    assert_eq!(result["opens"], 2, "reconnected once, by itself");
    let _ = child.wait();
    let events: Vec<ChangeEvent> =
        data.iter().map(|line| serde_json::from_str(line.splitn(3, ' ').nth(2).unwrap()).unwrap()).collect();
    verify_and_apply(&fixture, FeedCursor::START, Vec::new(), &events);
}

#[tokio::test]
async fn trustnode_registry_watch_resumes_after_a_dropped_connection_without_gap_or_repeat() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let relay = Relay::start(node.addr).await;
    let data = tempfile::tempdir().unwrap();
    let url = format!("http://{}{}", relay.addr, feed(&fixture, ""));
    let mut child = watch(&url, data.path(), &["--until", "3"]).spawn().expect("run trustnode");
    let mut lines = stdout_lines(&mut child);
    let mut shown = vec![next_line(&mut lines, "snapshot 1 ", Duration::from_secs(20)).await.expect("snapshot 1")];
    relay.cut();
    publish(&node, &mut fixture, suspend_college).await;
    publish(&node, &mut fixture, |source| add_schools(source, 1)).await;
    while let Some(line) = next_line(&mut lines, "snapshot ", Duration::from_secs(20)).await {
        shown.push(line);
    }
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("connection lost"), "{stderr}");
    let sequences: Vec<&str> = shown.iter().map(|line| line.split(' ').nth(1).unwrap()).collect();
    assert_eq!(sequences, ["1", "2", "3"], "no gap, no repeat: {shown:?}");
    assert!(shown.iter().all(|line| line.contains(": verified (signed by did:key:")), "{shown:?}");
}
