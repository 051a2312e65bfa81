//! did:web against origins that misbehave on purpose, through the node's HTTP API: hangs after accept, trickled
//! heads and bodies, reset connections, endless bodies, redirect loops, off-origin redirects, wrong content types
//! and huge headers. Each gives its documented error within the configured fetch timeout (bounded generously:
//! timeout + 2 s is a correctness bound, not a benchmark), a cached copy keeps being served when its origin turns
//! faulty, and requests that need no origin keep their latency meanwhile.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::support::faulty::{Behaviour, FaultyOrigin};
use crate::support::node::{Reply, TestNode};
use crate::support::origin::{Origin, Reply as OriginReply, TestCa};
use serde_json::{json, Value};
use trustnode_resolver::web::fetch::UNREACHABLE;

/// `web.timeout_ms` of every node here.
const FETCH_TIMEOUT: Duration = Duration::from_millis(1000);
/// The longest any did:web answer may take: the fetch timeout plus slack for a loaded machine.
const ANSWER_BOUND: Duration = Duration::from_millis(1000 + 2000);
const PACE: Duration = Duration::from_millis(100);
const ED25519: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

struct Lab {
    ca: TestCa,
    dir: tempfile::TempDir,
}

impl Lab {
    fn new() -> Lab {
        Lab { ca: TestCa::new(), dir: tempfile::tempdir().unwrap() }
    }

    /// A node that trusts the test CA, pins `issuer.test` to loopback and fetches within [`FETCH_TIMEOUT`].
    async fn node(&self) -> TestNode {
        let ca_file = self.ca.write_pem(self.dir.path()).display().to_string();
        TestNode::start(move |config| {
            config.web.extra_ca_file = ca_file;
            config.web.allow_private_addresses = true;
            config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
            config.web.timeout_ms = FETCH_TIMEOUT.as_millis() as u64;
            config.web.connect_timeout_ms = 500;
            config.web.max_document_bytes = 64 * 1024;
            config.cache.min_ttl_s = 0;
        })
        .await
    }
}

/// `did:web:issuer.test%3A<port>:<name>`, whose document lives at `/<name>/did.json`.
fn did(port: u16, name: &str) -> String {
    format!("did:web:issuer.test%3A{port}:{name}")
}

fn document(did: &str) -> String {
    json!({"@context": ["https://www.w3.org/ns/did/v1"], "id": did}).to_string()
}

/// Resolves `did` and asserts the answer came within [`ANSWER_BOUND`].
async fn resolve_in_time(node: &TestNode, did: &str) -> Reply {
    let started = Instant::now();
    let reply = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
    assert!(started.elapsed() < ANSWER_BOUND, "{did} took {:?}", started.elapsed());
    reply
}

/// The status and the error's title and detail of a failed resolution.
fn failure(reply: &Reply) -> (u16, String, String) {
    let body: Value = reply.json();
    let error = &body["didResolutionMetadata"]["error"];
    let text = |name: &str| error[name].as_str().unwrap_or_default().to_owned();
    (reply.status.as_u16(), text("title"), text("detail"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_gives_its_documented_error_in_time() {
    let lab = Lab::new();
    let node = lab.node().await;
    // Every way of not answering gives the same words: the reason is for the operator's log, not for callers.
    let cases = [
        (Behaviour::Hang, "INTERNAL_ERROR", UNREACHABLE),
        (Behaviour::TrickleHead(PACE), "INTERNAL_ERROR", UNREACHABLE),
        (Behaviour::TrickleBody(PACE), "INTERNAL_ERROR", UNREACHABLE),
        (Behaviour::ResetInHandshake, "INTERNAL_ERROR", UNREACHABLE),
        (Behaviour::ResetAfterRequest, "INTERNAL_ERROR", UNREACHABLE),
        (Behaviour::HugeHeaders(1 << 20), "INTERNAL_ERROR", UNREACHABLE),
        (
            Behaviour::Serve { body: "<html>hello</html>".into(), content_type: "text/html" },
            "INVALID_DID_DOCUMENT",
            "not JSON",
        ),
    ];
    for (behaviour, title, detail) in cases {
        let origin = FaultyOrigin::start(&lab.ca, behaviour.clone()).await;
        let reply = resolve_in_time(&node, &did(origin.port(), "alice")).await;
        let (status, found_title, found_detail) = failure(&reply);
        assert_eq!((status, found_title.as_str()), (500, title), "{behaviour:?}: {found_detail}");
        assert!(found_detail.contains(detail), "{behaviour:?}: {found_detail}");
    }

    // The Content-Type is not what decides: a DID document served as text/html is still the document.
    let origin = FaultyOrigin::start(&lab.ca, Behaviour::Hang).await;
    let alice = did(origin.port(), "alice");
    origin.set(Behaviour::Serve { body: document(&alice), content_type: "text/html" });
    assert_eq!(resolve_in_time(&node, &alice).await.status, 200);
    assert_eq!(node.get("/healthz", &[]).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_bodies_and_redirect_loops_end_in_time() {
    let lab = Lab::new();
    let node = lab.node().await;
    let origin = Origin::start(&lab.ca).await;
    let port = origin.port();
    origin.set("/endless/did.json", OriginReply::Oversized { bytes: usize::MAX, declared: false });
    origin.set("/loop/did.json", OriginReply::Redirect { status: 302, location: "/pong/did.json".into() });
    origin.set("/pong/did.json", OriginReply::Redirect { status: 307, location: "/loop/did.json".into() });
    origin.set("/self/did.json", OriginReply::Redirect { status: 301, location: "/self/did.json".into() });
    for (target, location) in [
        ("away", format!("https://127.0.0.1:{port}/away/did.json")),
        ("plain", format!("http://issuer.test:{port}/plain/did.json")),
    ] {
        origin.set(&format!("/{target}/did.json"), OriginReply::Redirect { status: 302, location });
    }
    // A redirect the node does not follow means the document is not where the DID says: NOT_FOUND.
    for (name, expected, title, detail) in [
        ("endless", 500, "INVALID_DID_DOCUMENT", "exceeds 65536 bytes"),
        ("loop", 404, "NOT_FOUND", "more than 3 redirects"),
        ("self", 404, "NOT_FOUND", "more than 3 redirects"),
        ("away", 404, "NOT_FOUND", "leaves"),
        ("plain", 404, "NOT_FOUND", "leaves"),
    ] {
        let (status, found_title, found_detail) = failure(&resolve_in_time(&node, &did(port, name)).await);
        assert_eq!((status, found_title.as_str()), (expected, title), "{name}: {found_detail}");
        assert!(found_detail.contains(detail), "{name}: {found_detail}");
    }
    assert_eq!(origin.requests_to("/loop/did.json") + origin.requests_to("/pong/did.json"), 4, "1 + 3 redirects");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_copy_is_served_while_the_origin_is_faulty() {
    let lab = Lab::new();
    let node = lab.node().await;
    let origin = FaultyOrigin::start(&lab.ca, Behaviour::Hang).await;
    let alice = did(origin.port(), "alice");
    origin.set(Behaviour::Serve { body: document(&alice), content_type: "application/did+json" });
    let fresh = resolve_in_time(&node, &alice).await.json();
    assert_eq!(fresh["didResolutionMetadata"]["cache"]["stale"], false);

    for fault in [
        Behaviour::Hang,
        Behaviour::TrickleHead(PACE),
        Behaviour::TrickleBody(PACE),
        Behaviour::ResetInHandshake,
        Behaviour::ResetAfterRequest,
        Behaviour::HugeHeaders(1 << 20),
    ] {
        origin.set(fault.clone());
        let reply = resolve_in_time(&node, &alice).await;
        assert_eq!(reply.status, 200, "{fault:?}: {:?}", String::from_utf8_lossy(&reply.body));
        let body = reply.json();
        assert_eq!(body["didDocument"]["id"], alice.as_str(), "{fault:?}");
        assert_eq!(body["didResolutionMetadata"]["cache"]["stale"], true, "{fault:?}");
        assert!(body["didResolutionMetadata"]["cache"]["staleReason"].is_string(), "{fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_origins_do_not_starve_other_requests() {
    let lab = Lab::new();
    let node = std::sync::Arc::new(lab.node().await);
    let origin = FaultyOrigin::start(&lab.ca, Behaviour::Hang).await;
    // Distinct DIDs, so that each is a fetch of its own rather than one shared flight.
    let stuck: Vec<_> = (0..64)
        .map(|n| {
            let (node, target) = (node.clone(), did(origin.port(), &format!("user{n}")));
            tokio::spawn(async move { node.get(&format!("/1.0/identifiers/{target}"), &[]).await.status })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(origin.connections() > 0, "the fetches are under way");
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        assert_eq!(node.get(&format!("/1.0/identifiers/{ED25519}"), &[]).await.status, 200);
        assert_eq!(node.get("/healthz", &[]).await.status, 200);
        slowest = slowest.max(started.elapsed());
    }
    assert!(slowest < Duration::from_millis(500), "did:key + healthz took up to {slowest:?} beside 64 hung fetches");
    for request in stuck {
        assert_eq!(request.await.unwrap(), 500, "each hung fetch ends in its timeout");
    }
}
