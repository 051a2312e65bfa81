//! Hostile input: property tests show the parsers that face the network never panic and answer malformed input
//! with an error rather than a guess; HTTP tests throw very long identifiers, deep JSON, huge and many headers,
//! invalid UTF-8, percent-encoding tricks, slowloris and idle clients at a running node. Every answer is a 4xx
//! with a problem body (or, for slow and idle clients, a closed connection), never a 5xx, and the node keeps
//! answering.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::support::node::{Reply, TestNode};
use hyper::Method as HttpMethod;
use proptest::prelude::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trustnode::http::identifiers::split_request;
use trustnode::http::problem::Problem;
use trustnode_did::syntax::DidUrl;
use trustnode_registry::trqp::RequestBody;
use trustnode_resolver::accept::negotiate;
use trustnode_resolver::{computed, ResolutionOptions, Resolver};

/// Strings biased towards the characters that matter to DID and URL parsing.
fn did_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("did:".to_owned()),
            Just("key:".to_owned()),
            Just("web:".to_owned()),
            Just("jwk:".to_owned()),
            Just("z6Mk".to_owned()),
            Just("%".to_owned()),
            Just("%3A".to_owned()),
            Just("#".to_owned()),
            Just("?".to_owned()),
            Just("/".to_owned()),
            Just("&".to_owned()),
            Just("=".to_owned()),
            "[a-zA-Z0-9]{1,8}",
            any::<char>().prop_map(String::from),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn did_url_parser_never_panics(input in did_like()) {
        if let Ok(url) = DidUrl::parse(&input) {
            prop_assert!(url.did.starts_with("did:"));
            prop_assert!(input.starts_with(url.did));
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(input in any::<String>()) {
        let _ = DidUrl::parse(&input);
        let _ = negotiate(Some(&input));
        let _ = split_request(&input, Some(&input));
    }

    #[test]
    fn request_splitting_never_panics(path in did_like(), query in did_like()) {
        if let Ok(split) = split_request(&path, Some(&query)) {
            prop_assert!(!split.identifier.is_empty());
        }
    }

    #[test]
    fn accept_parsing_never_panics(parts in prop::collection::vec("[a-z/*+;=,. \"0-9q-]{0,20}", 0..10)) {
        let _ = negotiate(Some(&parts.join(",")));
    }

    #[test]
    fn option_parsing_never_panics(name in "[a-zA-Z]{0,40}", value in any::<String>()) {
        let _ = ResolutionOptions::from_pairs([(name.as_str(), value.as_str())]);
    }
}

#[test]
fn resolving_random_identifiers_always_answers() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let resolver = Resolver::new(computed::key_and_jwk(0));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(2000));
    runner
        .run(&did_like(), |input| {
            let resolution = runtime.block_on(resolver.resolve(&input, &ResolutionOptions::default()));
            if let Err(error) = &resolution.result {
                prop_assert!(!error.detail.is_empty());
            }
            Ok(())
        })
        .unwrap();
}

/// The example registry's authority, hosted by the default configuration.
const EXAMPLE_AUTHORITY: &str = "did%3Akey%3Az6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z";

/// The problem object of an error answer: the body itself (problem details) or, for resolution results, the
/// error in their metadata.
fn problem(body: &[u8]) -> Option<Value> {
    let body: Value = serde_json::from_slice(body).ok()?;
    if body.get("type").is_some() {
        return Some(body);
    }
    ["didResolutionMetadata", "dereferencingMetadata"]
        .iter()
        .find_map(|metadata| body.get(metadata).and_then(|m| m.get("error")).filter(|e| e.is_object()).cloned())
}

/// Asserts a 4xx answer whose body is a problem object.
fn assert_refused(what: &str, reply: &Reply) {
    assert!(reply.status.is_client_error(), "{what}: HTTP {} {:?}", reply.status, String::from_utf8_lossy(&reply.body));
    let problem = problem(&reply.body).unwrap_or_else(|| panic!("{what}: no problem body in {:?}", reply.body));
    assert!(problem["type"].as_str().is_some_and(|t| !t.is_empty()), "{what}: {problem}");
}

async fn assert_healthy(node: &TestNode) {
    assert_eq!(node.get("/healthz", &[]).await.status, 200, "the node still answers /healthz");
}

/// Sends raw bytes on a fresh connection while reading, until the node closes it: the status code (None when the
/// node closed without an answer that could be read) and the body.
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (Option<u16>, Vec<u8>) {
    let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
    let request = request.to_vec();
    // The node may answer and close before it has read everything: a failed write is part of the outcome.
    let writing = tokio::spawn(async move { writer.write_all(&request).await });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
    writing.abort();
    let text = String::from_utf8_lossy(&answer);
    let status = text.strip_prefix("HTTP/1.1 ").and_then(|rest| rest.get(..3)).and_then(|code| code.parse().ok());
    let body = match answer.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => answer.split_off(end + 4),
        None => Vec::new(),
    };
    (status, body)
}

/// Asserts that raw `request` is refused: a 4xx status, or the connection closed (a client that floods the node
/// while it answers may lose the answer to the reset). hyper refuses what it cannot parse before the router sees
/// it, with an empty body; what reaches the router gets a problem body.
async fn assert_raw_refused(node: &TestNode, what: &str, request: &[u8]) {
    let (status, body) = raw_exchange(node.addr, request).await;
    if let Some(status) = status {
        assert!((400..500).contains(&status), "{what}: HTTP {status}");
    }
    if !body.is_empty() {
        assert!(problem(&body).is_some(), "{what}: {:?}", String::from_utf8_lossy(&body));
    }
}

#[tokio::test]
async fn very_long_identifiers_and_fields_are_refused() {
    let node = TestNode::start(|_| {}).await;
    for length in [9_000, 60_000] {
        let reply = node.get(&format!("/1.0/identifiers/did:key:z{}", "6".repeat(length)), &[]).await;
        assert_eq!(reply.status, 414, "{length}");
        assert_refused("long identifier", &reply);
        let reply = node.get(&format!("/1.0/identifiers/did:web:{}.example", "a".repeat(length)), &[]).await;
        assert_refused("long did:web host", &reply);
    }
    let long_label = format!("/1.0/identifiers/did:web:{}.example", "a".repeat(64));
    assert_refused("63+ character DNS label", &node.get(&long_label, &[]).await);
    let request = format!("GET /1.0/identifiers/did:key:z{} HTTP/1.1\r\nHost: x\r\n\r\n", "6".repeat(600_000));
    assert_raw_refused(&node, "a 600 KB request line", request.as_bytes()).await;

    let field = "e".repeat(500_000);
    let body = serde_json::json!({"entity_id": field, "authority_id": field, "action": "a", "resource": "r"});
    assert_refused("long TRQP fields", &node.request(HttpMethod::POST, "/authorization", &[], body.to_string()).await);
    let reply = node.get(&format!("/registries/{}/entities", "x".repeat(60_000)), &[]).await;
    assert_refused("long authority", &reply);
    assert_healthy(&node).await;
}

#[tokio::test]
async fn deeply_nested_json_bodies_are_refused() {
    let node = TestNode::start(|_| {}).await;
    let arrays = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000));
    let in_context = format!(
        r#"{{"entity_id":"e","authority_id":"a","action":"x","resource":"r","context":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let json = [("content-type", "application/json")];
    for (what, body) in [("arrays", &arrays), ("objects", &objects), ("inside context", &in_context)] {
        for path in ["/authorization", "/recognition"] {
            let reply = node.request(HttpMethod::POST, path, &json, body.clone()).await;
            assert_eq!(reply.status, 400, "{path} {what}");
            assert_refused(what, &reply);
        }
        let options = node
            .request(
                HttpMethod::POST,
                "/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                &json,
                body.clone(),
            )
            .await;
        assert_refused(what, &options);
        let publish = format!("/registries/{EXAMPLE_AUTHORITY}/snapshots/3");
        let reply = node.request(HttpMethod::PUT, &publish, &json, body.clone()).await;
        assert_refused(what, &reply);
    }
    assert_healthy(&node).await;
}

#[tokio::test]
async fn huge_and_numerous_headers_are_refused() {
    let node = TestNode::start(|_| {}).await;
    let huge = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "b".repeat(1 << 20));
    assert_raw_refused(&node, "a 1 MiB header", huge.as_bytes()).await;
    let many: String = (0..2000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    assert_raw_refused(&node, "2000 headers", request.as_bytes()).await;

    // Over `server.max_header_bytes` (16 KiB) but within hyper's buffer: 431 with a problem body, on any route.
    let did_key = "/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
    let ranges = vec!["text/html;q=0.9"; 4000].join(", ");
    for (path, headers) in
        [(did_key, vec![("accept", ranges.as_str())]), ("/nowhere", vec![("x-big", &ranges[..20_000])])]
    {
        let reply = node.get(path, &headers).await;
        assert_eq!(reply.status, 431, "{path}");
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        assert_eq!(problem(&reply.body).unwrap()["type"], "urn:trustnode:problem:headers-too-large");
    }
    // Within the limit, an 8 KB Accept header of unknown media ranges reaches negotiation: 406.
    let ranges = vec!["text/html;q=0.9"; 500].join(", ");
    let reply = node.get(did_key, &[("accept", &ranges)]).await;
    assert_eq!(reply.status, 406);
    assert_refused("long Accept", &reply);
    assert_healthy(&node).await;
}

#[tokio::test]
async fn invalid_utf8_in_paths_and_bodies_is_refused() {
    let node = TestNode::start(|_| {}).await;
    let mut raw_path = b"GET /1.0/identifiers/did:key:z6Mk".to_vec();
    raw_path.extend_from_slice(&[0xff, 0xfe, 0xc0, 0xae]);
    raw_path.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_raw_refused(&node, "raw invalid UTF-8 in the path", &raw_path).await;

    for path in [
        "/1.0/identifiers/did:key:z6Mk%FF%FE",
        "/1.0/identifiers/did:web:%C0%AE%C0%AE.example",
        "/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK%23%FF",
        "/registries/%FF%FE/entities",
        "/1.0/cache/did:web:%FF",
    ] {
        assert_refused(path, &node.get(path, &[]).await);
    }
    let invalid = vec![b'{', 0xff, 0xfe, b'}'];
    let json = [("content-type", "application/json")];
    for path in
        ["/authorization", "/recognition", "/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"]
    {
        let reply = node.request(HttpMethod::POST, path, &json, invalid.clone()).await;
        assert_eq!(reply.status, 400, "{path}");
        assert_refused(path, &reply);
    }
    let string_with_invalid_utf8 =
        [br#"{"entity_id":""#.as_slice(), &[0xed, 0xa0, 0x80], br#"","authority_id":"a","action":"x","resource":"r"}"#]
            .concat();
    assert_refused(
        "a lone surrogate in UTF-8",
        &node.request(HttpMethod::POST, "/authorization", &json, string_with_invalid_utf8).await,
    );
    assert_healthy(&node).await;
}

#[tokio::test]
async fn percent_encoding_tricks_are_refused() {
    let node = TestNode::start(|_| {}).await;
    for path in [
        "/1.0/identifiers/did:key:z6Mk%00",
        "/1.0/identifiers/did%3Akey%3Az6Mk%00hidden",
        "/1.0/identifiers/did:web:example.com%00.evil.example",
        "/1.0/identifiers/did:web:example.com%2F..%2F..%2Fetc",
        "/1.0/identifiers/did:web:example.com:%2E%2E:did.json",
        "/1.0/identifiers/did:web:127.0.0.1",
        "/1.0/identifiers/did:web:%31%32%37.0.0.1",
        "/1.0/identifiers/did:web:2130706433",
        "/1.0/identifiers/did:web:example.com%3A0",
        "/1.0/identifiers/did:web:example.com%3A443%3A80",
        "/1.0/identifiers/did%253Akey%253Az6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK%3Fservice=a%26service=b",
        "/1.0/identifiers/%",
        "/1.0/identifiers/%%32%46",
        "/registries/..%2F..%2Fetc/snapshots/1",
        "/registries/%2E%2E/snapshots/latest",
        "/registries/did%3Akey%3Az6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z/snapshots/%2E%2E%2F1",
        "/registries/did%3Akey%3Az6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z/snapshots/1%00",
        "/registries/did%3Akey%3Az6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z/entities/%00",
        "/metadata?authority_id=%00",
        "/registries/did%3Akey%3Az6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z/entities?limit=%2D1%00",
        "/registries/did%3Akey%3Az6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z/entities?offset=99999999999999999999999",
        "/1.0/cache/did:web:example.com%2F..",
    ] {
        let reply = node.get(path, &[]).await;
        assert_refused(path, &reply);
    }
    // Decoded once, `%252F` is the literal text `%2F` inside a path segment: a valid DID, not a traversal, so it is
    // fetched. Its origin answers 404 (NOT_FOUND) or, offline, cannot be reached (the generic INTERNAL_ERROR).
    let reply = node.get("/1.0/identifiers/did:web:example.com:a%252F..%252F", &[]).await;
    let title = problem(&reply.body).map(|problem| problem["title"].clone()).unwrap_or_default();
    assert!(title == "NOT_FOUND" || title == "INTERNAL_ERROR", "HTTP {}: {title}", reply.status);
    assert_healthy(&node).await;
}

/// Opens a connection, sends `opening`, then (with a `pace`) one more header line every `pace`, until the node
/// closes it; returns how long that took.
async fn held_open(addr: SocketAddr, opening: &[u8], pace: Option<Duration>) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(opening).await.unwrap();
    let mut buffer = [0u8; 512];
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(10) {
        let next_line = tokio::time::sleep(pace.unwrap_or(Duration::from_secs(10)));
        tokio::select! {
            read = stream.read(&mut buffer) => {
                if matches!(read, Ok(0) | Err(_)) {
                    return started.elapsed();
                }
            }
            _ = next_line => {
                sent += 1;
                if stream.write_all(format!("X-Slow-{sent}: x\r\n").as_bytes()).await.is_err() {
                    return started.elapsed();
                }
            }
        }
    }
    panic!("the node kept a slow connection open for 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_clients_are_disconnected_after_the_header_read_timeout() {
    let node = TestNode::start(|c| c.server.header_read_timeout_ms = 500).await;
    let pace = Duration::from_millis(100);
    let cases: [(&str, &[u8], Option<Duration>); 4] = [
        ("trickled headers", b"GET /healthz HTTP/1.1\r\nHost: x\r\n", Some(pace)),
        ("a request line cut short", b"GE", None),
        ("silent after connecting", b"", None),
        ("an HTTP/2 preface cut short", b"PRI * HTTP/2.0\r\n", None),
    ];
    for (what, opening, pace) in cases {
        let held = held_open(node.addr, opening, pace).await;
        assert!(held >= Duration::from_millis(400) && held < Duration::from_millis(2500), "{what}: held {held:?}");
    }
    assert_healthy(&node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_idle_connections_neither_block_the_node_nor_stay_open() {
    let node = TestNode::start(|c| c.server.header_read_timeout_ms = 1000).await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(node.addr).await.unwrap());
    }
    let started = Instant::now();
    assert_healthy(&node).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "healthz took {:?} beside 300 idle connections",
        started.elapsed()
    );

    tokio::time::sleep(Duration::from_millis(1500)).await;
    for (index, stream) in idle.iter_mut().enumerate() {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut byte)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "idle connection {index} is still open: {read:?}");
    }
    assert_healthy(&node).await;
}

/// Found by the `trqp_request` fuzz target: invalid UTF-8 inside a member the node ignores was accepted, although
/// such a body is not JSON.
#[tokio::test]
async fn trqp_bodies_must_be_utf8_also_in_ignored_members() {
    let body = [
        br#"{"entity_id": "e", "authority_id": "a", "action": "x", "resource": "r", "contcxt": {"time": "2025-01-02T00"#
            .as_slice(),
        &[0xff; 9],
        br#":00:00Z"}}"#,
    ]
    .concat();
    let problem = Problem::from(RequestBody::parse(&body).expect_err("not JSON"));
    assert_eq!((problem.status.as_u16(), problem.kind), (400, "invalid-json"), "{}", problem.detail);
    let node = TestNode::start(|_| {}).await;
    let reply = node.request(HttpMethod::POST, "/authorization", &[("content-type", "application/json")], body).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["type"], "urn:trustnode:problem:invalid-json");
}

/// A client connection over HTTP/1.1 or HTTP/2 (prior knowledge).
enum Connection {
    Http1(hyper::client::conn::http1::SendRequest<http_body_util::Empty<hyper::body::Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<http_body_util::Empty<hyper::body::Bytes>>),
}

impl Connection {
    /// Connects to `addr`; the task ends, with the time it ended, when the connection closes.
    async fn open(addr: SocketAddr, http2: bool) -> (Connection, tokio::task::JoinHandle<Instant>) {
        let io = hyper_util::rt::TokioIo::new(TcpStream::connect(addr).await.unwrap());
        if http2 {
            let (sender, connection) =
                hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io).await.unwrap();
            (
                Connection::Http2(sender),
                tokio::spawn(async move { connection.await.map_or_else(|_| Instant::now(), |()| Instant::now()) }),
            )
        } else {
            let (sender, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
            (
                Connection::Http1(sender),
                tokio::spawn(async move { connection.await.map_or_else(|_| Instant::now(), |()| Instant::now()) }),
            )
        }
    }

    /// `GET /healthz` on this connection: the status, or `None` when the connection cannot carry it.
    async fn healthz(&mut self) -> Option<u16> {
        let request = hyper::Request::get("/healthz").header("host", "x").body(http_body_util::Empty::new()).unwrap();
        let response = match self {
            Connection::Http1(sender) => sender.send_request(request).await.ok()?,
            Connection::Http2(sender) => sender.send_request(request).await.ok()?,
        };
        let status = response.status().as_u16();
        http_body_util::BodyExt::collect(response.into_body()).await.ok()?;
        Some(status)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_idle_timeout_and_busy_ones_are_not() {
    let limit = Duration::from_secs(1);
    // The node counts idleness from when it produced the answer, which the client reads a moment later.
    let early_limit = limit - Duration::from_millis(50);
    let node = TestNode::start(|c| {
        c.server.idle_timeout_s = 1;
        // Longer than the test, so only the idle timeout can close an idle HTTP/1.1 connection.
        c.server.header_read_timeout_ms = 30_000;
    })
    .await;
    for (protocol, http2) in [("HTTP/1.1", false), ("HTTP/2", true)] {
        let (mut idle, idle_closed) = Connection::open(node.addr, http2).await;
        let (mut busy, busy_closed) = Connection::open(node.addr, http2).await;
        assert_eq!(idle.healthz().await, Some(200), "{protocol}");
        let idle_since = Instant::now();
        let mut last_request = idle_since;
        while idle_since.elapsed() < limit * 3 {
            assert_eq!(busy.healthz().await, Some(200), "{protocol}: busy for {:?}", idle_since.elapsed());
            last_request = Instant::now();
            tokio::time::sleep(limit / 4).await;
        }
        assert!(!busy_closed.is_finished(), "{protocol}: a busy connection was closed");
        let closed_at = tokio::time::timeout(Duration::from_secs(1), idle_closed).await;
        let idle_for = closed_at.expect("the idle connection was closed").unwrap() - idle_since;
        assert!(idle_for >= early_limit && idle_for < limit * 2, "{protocol}: closed after {idle_for:?} idle");
        let closed_at = tokio::time::timeout(limit * 3, busy_closed).await;
        let idle_for = closed_at.expect("the formerly busy connection was closed once idle").unwrap() - last_request;
        assert!(idle_for >= early_limit && idle_for < limit * 2, "{protocol}: closed after {idle_for:?} idle");
    }
    assert_healthy(&node).await;
}
