//! Batch resolution, `POST /1.0/identifiers`, over real sockets: answers in order with per-item errors, each equal
//! to the single request's answer (also as a property over random mixes), dialects from the shared and per-item
//! `accept` options, duplicates resolved once, the per-origin fan-out bound at a did:web origin, the admission weight
//! of a batch, the bounds (413, 400, 406), NDJSON streaming as items finish, items cut at the batch's deadline, and a
//! client that disconnects stopping the work.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::node::{Reply, TestNode};
use crate::support::origin::{Origin, Reply as OriginReply, TestCa};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trustnode::config::Config;

const KEY: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const OTHER_KEY: &str = "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b";
const JWK: &str = "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9";

/// A node that trusts `ca` and pins `issuer.test` to the loopback (where the test origins listen), changed further by
/// `adjust`. The CA file is only read while the node starts.
async fn lab_node(ca: &TestCa, adjust: impl FnOnce(&mut Config)) -> TestNode {
    let pem_dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(pem_dir.path()).display().to_string();
    TestNode::start(move |config| {
        config.web.extra_ca_file = ca_file;
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
        adjust(config);
    })
    .await
}

/// The DID of user `name` at `origin`, served there (after `delay`) with a minimal document.
fn user(origin: &Origin, name: &str, delay: Duration) -> String {
    user_at(origin.port(), name, |path, document| origin.set_slow(path, OriginReply::json(&document), delay))
}

fn user_at(port: u16, name: &str, serve: impl FnOnce(&str, Value)) -> String {
    let did = format!("did:web:issuer.test%3A{port}:users:{name}");
    serve(&format!("/users/{name}/did.json"), json!({"@context": ["https://www.w3.org/ns/did/v1"], "id": did}));
    did
}

async fn batch(node: &TestNode, accept: Option<&str>, body: &Value) -> Reply {
    let mut headers = vec![("content-type", "application/json")];
    headers.extend(accept.map(|accept| ("accept", accept)));
    node.request(Method::POST, "/1.0/identifiers", &headers, body.to_string()).await
}

/// The single request equivalent to a batch item: `GET` of the percent-encoded identifier (a raw path for what does
/// not start like a DID, which the encoded form would not decode), with `accept` as the `Accept` header.
async fn single(node: &TestNode, identifier: &str, accept: Option<&str>) -> Reply {
    let path = if identifier.starts_with("did:") {
        utf8_percent_encode(identifier, NON_ALPHANUMERIC).to_string()
    } else {
        identifier.to_owned()
    };
    let headers: Vec<(&str, &str)> = accept.map(|accept| ("accept", accept)).into_iter().collect();
    node.get(&format!("/1.0/identifiers/{path}"), &headers).await
}

/// A body without what differs between two resolutions of the same identifier: when and how fast they ran, and how
/// the did:web cache took part.
fn comparable(mut body: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for volatile in ["retrieved", "duration", "cache"] {
                    map.remove(volatile);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut body);
    body
}

/// Asserts that `envelope` carries what `reply` (the single request) answered.
fn assert_same(envelope: &Value, reply: &Reply, what: &str) {
    assert_eq!(envelope["status"], reply.status.as_u16(), "{what}: status; {envelope}");
    assert_eq!(envelope["contentType"].as_str(), reply.header("content-type"), "{what}: content type");
    let body = match reply.body.is_empty() {
        true => Value::Null,
        false if reply.header("content-type").is_some_and(|t| t.starts_with("text/")) => {
            Value::from(String::from_utf8_lossy(&reply.body).into_owned())
        }
        false => reply.json(),
    };
    assert_eq!(comparable(envelope["body"].clone()), comparable(body), "{what}: body");
    assert_eq!(envelope["location"].as_str(), reply.header("location"), "{what}: location");
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok()).unwrap_or(0.0)
}

async fn metrics(node: &TestNode) -> String {
    String::from_utf8_lossy(&node.get("/metrics", &[]).await.body).into_owned()
}

#[tokio::test]
async fn answers_come_in_order_each_as_the_single_request_with_errors_per_item() {
    let node = TestNode::start(|_| {}).await;
    let long = format!("did:key:z{}", "a".repeat(node.config.server.max_identifier_bytes));
    let fragment = format!("{KEY}#{}", &KEY[8..]);
    let identifiers = [KEY, JWK, "not-a-did", "did:example:123", &fragment, "did:key:z1", "", &long];
    let reply = batch(&node, None, &json!(identifiers)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let answers = reply.json();
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), identifiers.len());
    for (index, identifier) in identifiers.iter().enumerate() {
        assert_eq!(answers[index]["index"], index);
        let single = single(&node, identifier, None).await;
        assert_same(&answers[index], &single, identifier);
    }
    assert_eq!(answers[2]["status"], 400, "an invalid DID at position 2 is an error result there");
    assert_eq!(answers[7]["status"], 414, "an over-long identifier is refused like the single request");
    assert_eq!(answers[7]["body"]["type"], "urn:trustnode:problem:identifier-too-long");
    // An empty batch is answered with no results.
    let empty = batch(&node, None, &json!([])).await;
    assert_eq!((empty.status.as_u16(), empty.json()), (200, json!([])));
}

#[tokio::test]
async fn shared_and_per_item_options_choose_each_answers_representation() {
    let node = TestNode::start(|_| {}).await;
    let legacy = r#"application/ld+json;profile="https://w3id.org/did-resolution""#;
    let fragment = format!("{KEY}#{}", &KEY[8..]);
    let body = json!({
        "identifiers": [
            KEY,
            {"did": JWK, "options": {"accept": legacy}},
            {"did": fragment, "options": {"accept": "application/did-url-dereferencing"}},
            {"did": OTHER_KEY, "options": {"publicKeyFormat": "JsonWebKey2020"}},
            {"did": KEY, "options": {"noCache": "maybe"}}
        ],
        "options": {"accept": "application/did+json"}
    });
    let answers = batch(&node, None, &body).await.json();
    let expected = [
        (KEY, "application/did+json", None),
        (JWK, legacy, None),
        (fragment.as_str(), "application/did-url-dereferencing", None),
        (
            OTHER_KEY,
            "application/did+json",
            Some(json!({"accept": "application/did+json", "publicKeyFormat": "JsonWebKey2020"})),
        ),
        (KEY, "application/did+json", Some(json!({"accept": "application/did+json", "noCache": "maybe"}))),
    ];
    for (index, (identifier, accept, options)) in expected.into_iter().enumerate() {
        let single = match options {
            None => single(&node, identifier, Some(accept)).await,
            Some(options) => {
                let path = format!("/1.0/identifiers/{}", utf8_percent_encode(identifier, NON_ALPHANUMERIC));
                node.request(Method::POST, &path, &[("content-type", "application/json")], options.to_string()).await
            }
        };
        assert_same(&answers[index], &single, &format!("item {index}"));
    }
    assert_eq!(answers[0]["body"]["id"], KEY, "a bare document, as the shared accept option asks");
    assert!(!answers[1]["body"]["@context"].is_null(), "the legacy dialect, as the item's own option asks");
    assert!(answers[3]["body"].to_string().contains("publicKeyJwk"), "keys as JWKs: {}", answers[3]["body"]);
    assert_eq!(answers[4]["status"], 400, "an option value the item cannot take is that item's INVALID_OPTIONS");
}

#[tokio::test]
async fn duplicates_are_resolved_once() {
    let ca = TestCa::new();
    let origin = Origin::start(&ca).await;
    let alice = user(&origin, "alice", Duration::from_millis(200));
    let bob = user(&origin, "bob", Duration::ZERO);
    let node = lab_node(&ca, |_| {}).await;
    let reply = batch(&node, None, &json!([alice, alice, bob, alice, KEY, KEY])).await;
    let answers = reply.json();
    for position in [0, 1, 3] {
        assert_eq!(answers[position]["status"], 200);
        assert_eq!(answers[position]["body"]["didDocument"]["id"], alice.as_str());
    }
    assert_eq!(answers[5]["body"]["didDocument"]["id"], KEY);
    assert_eq!(origin.requests_to("/users/alice/did.json"), 1, "the origin was asked for alice once");
    let text = metrics(&node).await;
    assert_eq!(metric(&text, r#"trustnode_resolutions_total{method="web",outcome="ok"}"#), 2.0, "alice and bob");
    assert_eq!(metric(&text, r#"trustnode_resolutions_total{method="key",outcome="ok"}"#), 1.0);
    assert_eq!(metric(&text, r#"trustnode_batch_requests_total{format="json"}"#), 1.0);
    assert_eq!(metric(&text, "trustnode_batch_items_total"), 6.0);
    assert_eq!(metric(&text, "trustnode_batch_distinct_items_total"), 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_with_many_dids_in_a_batch_gets_its_bounded_share_of_connections() {
    let ca = TestCa::new();
    let origin = Origin::start(&ca).await;
    let dids: Vec<String> = (0..12).map(|n| user(&origin, &format!("u{n}"), Duration::from_millis(250))).collect();
    let node = lab_node(&ca, |config| config.web.max_fetches_per_origin = 2).await;
    let started = Instant::now();
    let answers = batch(&node, None, &json!(dids)).await.json();
    // Without the batch's own pacing, 16 resolutions at once would overflow the origin's queue of 2 x 4 turns.
    for (index, did) in dids.iter().enumerate() {
        assert_eq!(answers[index]["status"], 200, "{}", answers[index]);
        assert_eq!(answers[index]["body"]["didDocument"]["id"], did.as_str());
    }
    assert_eq!(origin.max_in_flight(), 2, "never more than web.max_fetches_per_origin requests at the origin");
    assert!(started.elapsed() >= Duration::from_millis(6 * 250), "twelve fetches, two at a time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_weighs_as_many_slots_as_it_resolves_at_once() {
    let ca = TestCa::new();
    let origin = Origin::start(&ca).await;
    let dids: Vec<String> = (0..4).map(|n| user(&origin, &format!("u{n}"), Duration::from_millis(800))).collect();
    let late = user(&origin, "late", Duration::ZERO);
    let node = Arc::new(lab_node(&ca, |config| config.server.max_concurrent_fetches = 4).await);
    let running = {
        let (node, dids) = (node.clone(), dids.clone());
        tokio::spawn(async move { batch(&node, None, &json!(dids)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = single(&node, &late, None).await;
    assert_eq!(refused.status, 503, "the batch holds all four fetch slots");
    assert_eq!(refused.json()["type"], "urn:trustnode:problem:overloaded");
    let second = batch(&node, None, &json!([late])).await;
    assert_eq!((second.status.as_u16(), &second.json()["type"]), (503, &json!("urn:trustnode:problem:overloaded")));
    assert_eq!(single(&node, KEY, None).await.status, 200, "computed DIDs take the ordinary pool");
    let answers = running.await.unwrap().json();
    assert!(answers.as_array().unwrap().iter().all(|answer| answer["status"] == 200), "{answers}");
    assert_eq!(single(&node, &late, None).await.status, 200, "the slots are given back when the batch ends");
}

#[tokio::test]
async fn bounds_and_malformed_bodies_are_refused_whole_with_problems() {
    let node = TestNode::start(|config| {
        config.resolver.max_batch = 3;
        config.server.max_body_bytes = 2048;
    })
    .await;
    let problem = |reply: &Reply| {
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        let body = reply.json();
        (reply.status.as_u16(), body["type"].as_str().unwrap().to_owned(), body["detail"].as_str().unwrap().to_owned())
    };
    let (status, kind, detail) = problem(&batch(&node, None, &json!([KEY, KEY, KEY, KEY])).await);
    assert_eq!((status, kind.as_str()), (413, "urn:trustnode:problem:batch-too-large"));
    assert!(detail.contains("4 identifiers") && detail.contains("at most 3"), "{detail}");
    let huge = json!(["did:key:z".repeat(300)]);
    assert_eq!(problem(&batch(&node, None, &huge).await).1, "urn:trustnode:problem:too-large");
    let cases = [
        (json!({"identifiers": KEY}), "\"identifiers\" is a string, not an array"),
        (json!([KEY, 7]), "item 1 is a number"),
        (json!([{"did": KEY, "options": "noCache"}]), "item 0's \"options\" is a string, not an object"),
        (json!({"dids": [KEY]}), "unknown member \"dids\""),
        (json!(null), "the body is null"),
    ];
    for (body, expected) in cases {
        let (status, kind, detail) = problem(&batch(&node, None, &body).await);
        assert_eq!((status, kind.as_str()), (400, "urn:trustnode:problem:invalid-batch"), "{body}");
        assert!(detail.contains(expected), "{body}: {detail}");
    }
    let not_json = node.request(Method::POST, "/1.0/identifiers", &[], "[\"did:key:".to_owned()).await;
    assert_eq!(problem(&not_json).1, "urn:trustnode:problem:invalid-json");
    let (status, kind, _) = problem(&batch(&node, Some("application/did+json"), &json!([KEY])).await);
    assert_eq!((status, kind.as_str()), (406, "urn:trustnode:problem:not-acceptable"));
    // The single-DID forms are unchanged.
    assert_eq!(node.get("/1.0/identifiers", &[]).await.status, 400);
    assert_eq!(single(&node, KEY, None).await.status, 200);
}

/// Lines of an NDJSON answer with the time each arrived, read frame by frame.
async fn stream_lines(node: &TestNode, body: &Value) -> (u16, Option<String>, Vec<(Duration, Value)>) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = Request::post(format!("http://{}/1.0/identifiers", node.addr))
        .header("accept", "application/x-ndjson")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let started = Instant::now();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let mut body = response.into_body();
    let (mut lines, mut pending) = (Vec::new(), Vec::new());
    while let Some(frame) = body.frame().await {
        pending.extend_from_slice(&frame.unwrap().into_data().unwrap_or_default());
        while let Some(end) = pending.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            lines.push((started.elapsed(), serde_json::from_slice(&line[..end]).unwrap()));
        }
    }
    assert!(pending.is_empty(), "every line ends with a newline");
    (status, content_type, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_streams_each_answer_as_it_finishes() {
    let ca = TestCa::new();
    let origin = Origin::start(&ca).await;
    let slow = user(&origin, "slow", Duration::from_millis(1500));
    let node = lab_node(&ca, |_| {}).await;
    let body = json!([slow, KEY, "not-a-did", JWK, KEY]);
    let (status, content_type, lines) = stream_lines(&node, &body).await;
    assert_eq!((status, content_type.as_deref()), (200, Some("application/x-ndjson")));
    let mut indexes: Vec<u64> = lines.iter().map(|(_, line)| line["index"].as_u64().unwrap()).collect();
    let last = lines.last().unwrap();
    assert_eq!(last.1["index"], 0, "the tarpit DID comes last: {lines:?}");
    assert!(last.0 >= Duration::from_millis(1500));
    for (arrived, line) in &lines[..lines.len() - 1] {
        assert!(*arrived < Duration::from_millis(1000), "{line} waited for the slow DID ({arrived:?})");
    }
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2, 3, 4], "every position once, duplicates included");
    let json = batch(&node, None, &body).await.json();
    for (_, line) in &lines {
        let index = line["index"].as_u64().unwrap() as usize;
        assert_eq!(comparable(line.clone()), comparable(json[index].clone()), "both formats carry the same answers");
    }
    assert_eq!(metric(&metrics(&node).await, r#"trustnode_batch_requests_total{format="ndjson"}"#), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_unfinished_at_the_deadline_are_answered_as_timeouts() {
    let ca = TestCa::new();
    let origin = Origin::start(&ca).await;
    let slow = user(&origin, "slow", Duration::from_millis(4000));
    let node = lab_node(&ca, |config| config.server.request_timeout_ms = 1500).await;
    let started = Instant::now();
    let reply = batch(&node, None, &json!([KEY, slow])).await;
    assert_eq!(reply.status, 200, "the batch is answered, not timed out as a whole");
    assert!(started.elapsed() < Duration::from_millis(1500));
    let answers = reply.json();
    assert_eq!(answers[0]["status"], 200);
    assert_eq!(
        (&answers[1]["status"], &answers[1]["body"]["type"]),
        (&json!(503), &json!("urn:trustnode:problem:request-timeout"))
    );
}

/// An HTTPS origin that reads each request and never answers, and notes when the client closes the connection.
struct Tarpit {
    port: u16,
    requests: Arc<AtomicUsize>,
    closed: Arc<Mutex<Vec<Instant>>>,
}

impl Tarpit {
    async fn start(ca: &TestCa) -> Tarpit {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // HTTP/1.1 only, as over HTTP/2 the fetches could share one connection.
        let mut config = ca.server_config();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let (requests, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(Mutex::new(Vec::new())));
        let (counter, closings) = (requests.clone(), closed.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, counter, closings) = (acceptor.clone(), counter.clone(), closings.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    let mut buffer = [0u8; 4096];
                    let mut seen = Vec::new();
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(read) => seen.extend_from_slice(&buffer[..read]),
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    while matches!(tls.read(&mut buffer).await, Ok(read) if read > 0) {}
                    closings.lock().unwrap().push(Instant::now());
                });
            }
        });
        Tarpit { port, requests, closed }
    }
}

/// Sends a batch of one did:key and three DIDs of a tarpit origin over a raw connection (streamed or not), waits
/// until the three fetches hang at the tarpit (and, streamed, for the did:key's line), then disconnects: every
/// fetch must be abandoned at once, not at its timeout.
async fn disconnect_during(accept: &str) {
    let ca = TestCa::new();
    let tarpit = Tarpit::start(&ca).await;
    let node = lab_node(&ca, |config| config.web.timeout_ms = 8000).await;
    let hung: Vec<String> = (0..3).map(|n| user_at(tarpit.port, &format!("u{n}"), |_, _| {})).collect();
    let body = json!([KEY, hung[0], hung[1], hung[2]]).to_string();
    let mut stream = tokio::net::TcpStream::connect(node.addr).await.unwrap();
    let head = format!(
        "POST /1.0/identifiers HTTP/1.1\r\nHost: node\r\nAccept: {accept}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    while accept.ends_with("ndjson") && !String::from_utf8_lossy(&received).contains("\"index\":0") {
        let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer)).await.unwrap().unwrap();
        assert!(read > 0, "the node closed the stream early");
        received.extend_from_slice(&buffer[..read]);
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while tarpit.requests.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(tarpit.requests.load(Ordering::SeqCst), 3);
    assert!(tarpit.closed.lock().unwrap().is_empty(), "the fetches are still waiting");
    let left = Instant::now();
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(3);
    while tarpit.closed.lock().unwrap().len() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let closed = tarpit.closed.lock().unwrap().clone();
    assert_eq!(closed.len(), 3, "every fetch was abandoned when the client left");
    for at in closed {
        assert!(at.duration_since(left) < Duration::from_secs(2), "long before the 8 s fetch timeout");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_stops_the_batch() {
    disconnect_during("application/x-ndjson").await;
    disconnect_during("application/json").await;
}

/// What one random batch item is made of.
#[derive(Debug, Clone)]
enum Pick {
    Key(usize),
    Jwk,
    KeyFragment,
    Malformed(usize),
    Unsupported,
    Web(usize),
}

const MALFORMED: [&str; 6] = ["not-a-did", "did:key:z1", "did:", "did:key:", "did:KEY:abc", "did:jwk:e30"];
const ACCEPTS: [Option<&str>; 4] = [
    None,
    Some("application/did+json"),
    Some(r#"application/ld+json;profile="https://w3id.org/did-resolution""#),
    Some("application/did-url-dereferencing"),
];

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        (0..2usize).prop_map(Pick::Key),
        Just(Pick::Jwk),
        Just(Pick::KeyFragment),
        (0..MALFORMED.len()).prop_map(Pick::Malformed),
        Just(Pick::Unsupported),
        (0..3usize).prop_map(Pick::Web),
    ]
}

#[test]
fn a_batch_equals_the_single_requests_item_by_item() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let ca = TestCa::new();
    let (origin, node) = runtime.block_on(async {
        let origin = Origin::start(&ca).await;
        (origin, lab_node(&ca, |_| {}).await)
    });
    // Two users the origin serves and one it does not know (404: NOT_FOUND).
    let web = [
        user(&origin, "alice", Duration::ZERO),
        user(&origin, "bob", Duration::ZERO),
        user_at(origin.port(), "nobody", |_, _| {}),
    ];
    let identifier = |pick: &Pick| match pick {
        Pick::Key(0) => KEY.to_owned(),
        Pick::Key(_) => OTHER_KEY.to_owned(),
        Pick::Jwk => JWK.to_owned(),
        Pick::KeyFragment => format!("{KEY}#{}", &KEY[8..]),
        Pick::Malformed(n) => MALFORMED[*n].to_owned(),
        Pick::Unsupported => "did:example:123456".to_owned(),
        Pick::Web(n) => web[*n].clone(),
    };
    let config = ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(picks in prop::collection::vec(pick(), 0..12), accept in 0..ACCEPTS.len())| {
        let identifiers: Vec<String> = picks.iter().map(identifier).collect();
        let accept = ACCEPTS[accept];
        let body = match accept {
            None => json!(identifiers),
            Some(accept) => json!({"identifiers": identifiers, "options": {"accept": accept}}),
        };
        runtime.block_on(async {
            let reply = batch(&node, None, &body).await;
            prop_assert_eq!(reply.status.as_u16(), 200);
            let answers = reply.json();
            prop_assert_eq!(answers.as_array().map(Vec::len), Some(identifiers.len()));
            for (index, identifier) in identifiers.iter().enumerate() {
                let single = single(&node, identifier, accept).await;
                prop_assert_eq!(&answers[index]["index"], &json!(index));
                assert_same(&answers[index], &single, identifier);
            }
            Ok(())
        })?;
    });
}
