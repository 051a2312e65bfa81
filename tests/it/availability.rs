//! Availability under cheap attacks, over real sockets: slow request bodies (HTTP/1.1 and HTTP/2 streams that never
//! send DATA), a did:web origin that answers slowly for many DIDs, and publishes that would make the node read and
//! hash large bodies. Each attack gets a node with small pools so the test is quick; the attackers use other
//! loopback addresses (127.0.0.2…) than the legitimate client (127.0.0.1), as real attackers have addresses of their
//! own. What must hold: probes, did:key, TRQP and registry reads keep answering 200, and the attack gets precise,
//! immediate refusals (429 over a client's share, 503 when a pool is full, 408 for a body that never arrives).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::node::TestNode;
use crate::support::origin::{Origin, Reply, TestCa};
use crate::support::registry::{node_for, Fixture, COLLEGE};
use crate::support::silent::Silent;
use trustnode_registry::wire::SNAPSHOT_JWS_HEADER;

const DID_KEY: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

/// A connection to `to` from the loopback address `127.0.0.<last>`: another client as far as the node can tell.
async fn connect_from(last: u8, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from(([127, 0, 0, last], 0))).unwrap();
    socket.connect(to).await.unwrap()
}

/// The status code of the first answer the node sends on `stream` within `wait`, if any.
async fn status_within(stream: &mut TcpStream, wait: Duration) -> Option<u16> {
    let mut buffer = vec![0_u8; 4096];
    let read = tokio::time::timeout(wait, stream.read(&mut buffer)).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&buffer[..read]);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// The cheap work a verifier does, from 127.0.0.1: each must answer 200 while an attack goes on.
async fn cheap_work_answers(node: &TestNode, fixture: &Fixture) {
    for path in ["/healthz", "/readyz", "/metrics", &format!("/1.0/identifiers/{DID_KEY}"), "/registries"] {
        let reply = node.get(path, &[]).await;
        assert_eq!(reply.status, 200, "{path} during the attack: {}", String::from_utf8_lossy(&reply.body));
    }
    let question = serde_json::json!({
        "entity_id": COLLEGE, "authority_id": fixture.authority, "action": "issue", "resource": "Certificate",
    });
    let reply = node
        .request(hyper::Method::POST, "/authorization", &[("content-type", "application/json")], question.to_string())
        .await;
    assert_eq!(reply.status, 200, "TRQP during the attack: {}", String::from_utf8_lossy(&reply.body));
}

const SLOW_BODY_HEAD: &str = "POST /authorization HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n\
                              Content-Length: 1000\r\n\r\n{";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_wait_in_upload_slots_and_starve_nothing_else() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |config| {
        config.server.max_concurrent_requests = 8;
        config.server.max_concurrent_uploads = 6;
        config.server.max_requests_per_client = 4;
        config.server.body_read_timeout_ms = 2500;
    })
    .await;
    // Client .2 sends six bodies that stop after one byte: four wait (its share), two are refused 429. Client .3
    // sends four: two wait (the upload pool of six is then full), two are refused 503. Ten slow requests in all,
    // more than the eight ordinary slots they would have held before uploads had a pool of their own.
    let mut waiting = Vec::new();
    let mut refused = Vec::new();
    for (client, count) in [(2, 6), (3, 4)] {
        for _ in 0..count {
            let mut stream = connect_from(client, node.addr).await;
            stream.write_all(SLOW_BODY_HEAD.as_bytes()).await.unwrap();
            match status_within(&mut stream, Duration::from_millis(100)).await {
                None => waiting.push(stream),
                Some(status) => refused.push((client, status)),
            }
        }
    }
    assert_eq!(waiting.len(), 6, "refused: {refused:?}");
    assert_eq!(refused, [(2, 429), (2, 429), (3, 503), (3, 503)]);
    cheap_work_answers(&node, &fixture).await;
    // The waiting bodies never arrive: each is answered 408 once `body_read_timeout_ms` has passed.
    let started = Instant::now();
    for stream in &mut waiting {
        assert_eq!(status_within(stream, Duration::from_secs(5)).await, Some(408));
    }
    assert!(started.elapsed() < Duration::from_millis(2500), "the slow bodies were cut at the body read timeout");
    cheap_work_answers(&node, &fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_streams_that_never_send_data_get_a_share_and_a_deadline() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |config| {
        config.server.max_concurrent_requests = 8;
        config.server.max_requests_per_client = 4;
        config.server.body_read_timeout_ms = 1500;
    })
    .await;
    let stream = connect_from(4, node.addr).await;
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream)).await.unwrap();
    tokio::spawn(connection);
    // Twenty streams on one connection, each announcing a body and sending none of it.
    let streams: Vec<_> = (0..20)
        .map(|_| {
            let mut sender = sender.clone();
            tokio::spawn(async move {
                let request = hyper::Request::post("http://node/authorization")
                    .header("content-type", "application/json")
                    .header("content-length", "1000")
                    .body(Silent)
                    .unwrap();
                let started = Instant::now();
                let status = sender.send_request(request).await.map(|response| response.status().as_u16());
                (status.ok(), started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    cheap_work_answers(&node, &fixture).await;
    let mut statuses = Vec::new();
    for stream in streams {
        let (status, took) = stream.await.unwrap();
        statuses.push(status);
        match status {
            Some(429) => assert!(took < Duration::from_millis(1000), "a refusal over the share is immediate"),
            Some(408) => assert!(took >= Duration::from_millis(1400), "a waiting stream is cut at the deadline"),
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(statuses.iter().filter(|status| **status == Some(408)).count(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|status| **status == Some(429)).count(), 16, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tarpit_origin_gets_its_turns_and_holds_up_nothing_else() {
    let ca = TestCa::new();
    let ca_dir = tempfile::tempdir().unwrap();
    let origin = Origin::start(&ca).await;
    let dids: Vec<String> =
        (0..12).map(|index| format!("did:web:issuer.test%3A{}:users:u{index}", origin.port())).collect();
    for (index, did) in dids.iter().enumerate() {
        let document = serde_json::json!({"@context": ["https://www.w3.org/ns/did/v1"], "id": did});
        origin.set_slow(&format!("/users/u{index}/did.json"), Reply::json(&document), Duration::from_millis(1000));
    }
    let fixture = Fixture::new();
    let ca_file = ca.write_pem(ca_dir.path()).display().to_string();
    let node = std::sync::Arc::new(
        node_for(&fixture, move |config| {
            config.web.extra_ca_file = ca_file;
            config.web.allow_private_addresses = true;
            config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse().unwrap());
            config.web.max_fetches_per_origin = 2;
            config.web.timeout_ms = 2500;
            config.server.max_concurrent_requests = 8;
        })
        .await,
    );
    let resolutions: Vec<_> = dids
        .iter()
        .map(|did| {
            let (node, path) = (node.clone(), format!("/1.0/identifiers/{did}"));
            tokio::spawn(async move { node.get(&path, &[]).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    cheap_work_answers(&node, &fixture).await;
    let mut resolved = 0;
    for resolution in resolutions {
        let reply = resolution.await.unwrap();
        if reply.status == 200 {
            resolved += 1;
        } else {
            let metadata = &reply.json()["didResolutionMetadata"];
            let kind = metadata["error"]["type"].as_str().unwrap_or_default();
            assert!(kind.ends_with("#INTERNAL_ERROR"), "an origin that gave no answer in time: {metadata}");
        }
    }
    assert_eq!(origin.max_in_flight(), 2, "the origin never had more than two fetches at a time");
    // 2.5 s of fetch time, two turns at a time, one second a turn: four DIDs get theirs (a busy machine: fewer).
    assert!((1..=6).contains(&resolved), "{resolved} of 12 resolved");
    // Operators see why: the DIDs that never got a turn are counted as `origin_busy`.
    let metrics = node.get("/metrics", &[]).await;
    let busy = String::from_utf8_lossy(&metrics.body)
        .lines()
        .find_map(|line| line.strip_prefix(r#"trustnode_did_web_upstream_errors_total{kind="origin_busy"} "#))
        .and_then(|count| count.trim().parse::<f64>().ok());
    let busy = busy.unwrap_or_default() as usize;
    assert!(busy >= 4 && busy + origin.requests() <= 12, "{busy} busy, {} fetched", origin.requests());
}

/// A publish request head with `Expect: 100-continue`, announcing `length` bytes.
fn publish_head(authority: &str, sequence: u64, jws: Option<&str>, length: usize) -> String {
    let signature = jws.map(|jws| format!("{SNAPSHOT_JWS_HEADER}: {jws}\r\n")).unwrap_or_default();
    format!(
        "PUT /registries/{authority}/snapshots/{sequence} HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n\
         {signature}Expect: 100-continue\r\nContent-Length: {length}\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_are_refused_before_their_body_is_read() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.publishing.max_concurrent = 1).await;
    let authority = fixture.encoded_authority();
    let (snapshot, jws) = fixture.build_next(86_400);
    let stranger = Fixture::new();
    let (_, foreign_jws) = stranger.build_next(86_400);
    let unknown = trustnode_registry::wire::encode(&stranger.authority);
    let huge = 250_000_000;
    let cases: [(&str, String, u16); 6] = [
        ("an unknown registry", publish_head(&unknown, 2, Some(&jws), huge), 404),
        ("a sequence that is not next", publish_head(&authority, 5, Some(&jws), huge), 409),
        ("no signature", publish_head(&authority, 2, None, huge), 400),
        ("a malformed signature", publish_head(&authority, 2, Some("not.a-jws"), huge), 403),
        ("a key the authority does not list", publish_head(&authority, 2, Some(&foreign_jws), huge), 403),
        ("a body over publishing.max_snapshot_bytes", publish_head(&authority, 2, Some(&jws), 300 << 20), 413),
    ];
    for (what, head, expected) in cases {
        let mut stream = connect_from(5, node.addr).await;
        stream.write_all(head.as_bytes()).await.unwrap();
        // The refusal comes first: no `100 Continue`, and not a byte of the body was sent.
        assert_eq!(status_within(&mut stream, Duration::from_secs(2)).await, Some(expected), "{what}");
    }

    // A request that passes the screen is asked for its body, and holds the only publish slot meanwhile.
    let bytes = snapshot.bytes().to_vec();
    let mut first = connect_from(6, node.addr).await;
    first.write_all(publish_head(&authority, 2, Some(&jws), bytes.len()).as_bytes()).await.unwrap();
    assert_eq!(status_within(&mut first, Duration::from_secs(2)).await, Some(100));
    let mut second = connect_from(7, node.addr).await;
    second.write_all(publish_head(&authority, 2, Some(&jws), bytes.len()).as_bytes()).await.unwrap();
    assert_eq!(status_within(&mut second, Duration::from_secs(2)).await, Some(503), "one publish at a time");
    first.write_all(&bytes).await.unwrap();
    assert_eq!(status_within(&mut first, Duration::from_secs(5)).await, Some(201));
    fixture.accepted((snapshot, jws));
    let latest = node.get(&format!("/registries/{authority}/snapshots/latest"), &[]).await;
    assert_eq!(latest.status, 200);
}
