//! did:web through the node's HTTP API, against the local HTTPS origin: documents and cache metadata, stale answers
//! while the origin is down, the SSRF guard with the default configuration, service redirects, relative-URL
//! expansion, the operator's cache invalidation, and a cache that survives a restart.

use std::net::IpAddr;

use crate::support::node::TestNode;
use crate::support::origin::{Origin, Reply, TestCa};
use serde_json::{json, Value};
use trustnode::config::Config;

pub(crate) const TOKEN: &str = "s3cret-admin-token";

/// A node that trusts the test CA and pins `issuer.test` to loopback, where the origin lives.
fn lab_config(ca_file: String) -> impl FnOnce(&mut Config) {
    move |config: &mut Config| {
        config.web.extra_ca_file = ca_file;
        config.web.allow_private_addresses = true;
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
        config.cache.min_ttl_s = 0;
        config.admin.token = TOKEN.into();
    }
}

/// The test CA and the directory its PEM is written to (also for `tests/it/webvh.rs`).
pub(crate) struct Lab {
    pub(crate) ca: TestCa,
    pub(crate) ca_dir: tempfile::TempDir,
}

impl Lab {
    pub(crate) fn new() -> Lab {
        Lab { ca: TestCa::new(), ca_dir: tempfile::tempdir().unwrap() }
    }

    pub(crate) fn config(&self) -> impl FnOnce(&mut Config) {
        lab_config(self.ca.write_pem(self.ca_dir.path()).display().to_string())
    }
}

fn alice(origin: &Origin) -> String {
    format!("did:web:issuer.test%3A{}:users:alice", origin.port())
}

fn document(did: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": [{"id": "#key-1", "type": "Multikey", "controller": did,
            "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}],
        "assertionMethod": ["#key-1"],
        "service": [{"id": "#files", "type": "LinkedDomains", "serviceEndpoint": "https://issuer.test/files/"}]
    })
}

#[tokio::test]
async fn resolves_and_reports_cache_state() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set(
        "/users/alice/did.json",
        Reply::json_with(
            &document(&did),
            &[("cache-control", "max-age=600"), ("last-modified", "Tue, 03 Nov 2026 10:00:00 GMT")],
        ),
    );
    let node = TestNode::start(lab.config()).await;
    let first = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
    assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
    let first = first.json();
    assert_eq!(first["didDocument"]["id"], did);
    assert_eq!(first["didResolutionMetadata"]["cache"]["hit"], false);
    assert_eq!(first["didDocumentMetadata"]["updated"], "2026-11-03T10:00:00Z");
    let second = node.get(&format!("/1.0/identifiers/{did}"), &[]).await.json();
    assert_eq!(second["didResolutionMetadata"]["cache"]["hit"], true);
    assert_eq!(second["didResolutionMetadata"]["cache"]["ttlSeconds"], 600);
    assert_eq!(origin.requests(), 1, "the second answer came from the cache");
    let encoded = percent_encoding::utf8_percent_encode(&did, percent_encoding::NON_ALPHANUMERIC).to_string();
    let via_encoded = node.get(&format!("/1.0/identifiers/{encoded}"), &[("accept", "application/did")]).await;
    assert_eq!(via_encoded.json()["id"], did);
}

#[tokio::test]
async fn stale_answer_while_the_origin_is_down_then_fresh_again() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set("/users/alice/did.json", Reply::json_with(&document(&did), &[("cache-control", "max-age=0")]));
    let node = TestNode::start(lab.config()).await;
    assert_eq!(node.get(&format!("/1.0/identifiers/{did}"), &[]).await.status, 200);
    origin.set_down(true);
    let stale = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
    assert_eq!(stale.status, 200, "a stale copy is served while the origin is down");
    let stale = stale.json();
    assert_eq!(stale["didDocument"]["id"], did);
    assert_eq!(stale["didResolutionMetadata"]["cache"]["stale"], true);
    assert!(stale["didResolutionMetadata"]["cache"]["staleReason"].is_string());
    origin.set_down(false);
    let fresh = node.get(&format!("/1.0/identifiers/{did}"), &[]).await.json();
    assert_eq!(fresh["didResolutionMetadata"]["cache"]["stale"], false);
}

#[tokio::test]
async fn default_configuration_refuses_private_targets() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let ca_file = lab.ca.write_pem(lab.ca_dir.path()).display().to_string();
    let node = TestNode::start(|config| {
        config.web.extra_ca_file = ca_file;
        config.web.host_overrides.insert("issuer.test".into(), "127.0.0.1".parse::<IpAddr>().unwrap());
    })
    .await;
    // Names that resolve to loopback answer like an origin that is down, naming no address: the caller must not
    // learn what the node's /etc/hosts or internal DNS say.
    let unreachable = node.get("/1.0/identifiers/did:web:no-such-host.invalid", &[]).await;
    assert_eq!(unreachable.status, 500);
    let generic = unreachable.json()["didResolutionMetadata"]["error"].clone();
    assert_eq!(generic["detail"], trustnode_resolver::web::fetch::UNREACHABLE);
    for did in [format!("did:web:localhost%3A{}", origin.port()), alice(&origin)] {
        let reply = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
        assert_eq!(reply.status, 500, "{did}: {}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.json()["didResolutionMetadata"]["error"], generic, "{did}");
        let text = String::from_utf8_lossy(&reply.body);
        assert!(!text.contains("127.0.0.1") && !text.contains("loopback"), "{did}: {text}");
    }
    // IP literals are refused by the mapping: the caller wrote the address, so naming it reveals nothing.
    for did in ["did:web:127.0.0.1", "did:web:%5B%3A%3A1%5D"] {
        let reply = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
        assert_eq!(reply.status, 400, "{did}: {}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.json()["didResolutionMetadata"]["error"]["title"], "INVALID_DID", "{did}");
    }
    assert_eq!(origin.requests(), 0, "no request reached the loopback origin");
    // The operator still sees why: the metrics count the failures by kind (and the log names DID and address).
    let metrics = String::from_utf8(node.get("/metrics", &[]).await.body.to_vec()).unwrap();
    assert!(metrics.contains("trustnode_did_web_upstream_errors_total{kind=\"refused\"} 2\n"), "{metrics}");
    assert!(metrics.contains("trustnode_did_web_upstream_errors_total{kind=\"no_such_host\"} 1\n"), "{metrics}");
}

#[tokio::test]
async fn services_redirect_and_relative_urls_expand() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set("/users/alice/did.json", Reply::json(&document(&did)));
    let node = TestNode::start(lab.config()).await;
    let reply = node
        .get(&format!("/1.0/identifiers/{did}?service=files&relativeRef=%2Fcv.pdf"), &[("accept", "text/uri-list")])
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), Some("https://issuer.test/cv.pdf"));
    let encoded = percent_encoding::utf8_percent_encode(&did, percent_encoding::NON_ALPHANUMERIC).to_string();
    let expanded = node.get(&format!("/1.0/identifiers/{encoded}?expandRelativeUrls=true"), &[]).await.json();
    assert_eq!(expanded["didDocument"]["verificationMethod"][0]["id"], format!("{did}#key-1"));
    let fragment = node.get(&format!("/1.0/identifiers/{encoded}%23key-1"), &[]).await.json();
    assert_eq!(fragment["contentStream"]["type"], "Multikey");
}

#[tokio::test]
async fn non_web_service_endpoints_are_never_redirects() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    let mut published = document(&did);
    published["service"] = json!([
        {"id": "#files", "type": "LinkedDomains", "serviceEndpoint": "https://issuer.test/files/"},
        {"id": "#js", "type": "X", "serviceEndpoint": "javascript:alert(document.domain)"},
        {"id": "#mail", "type": "X", "serviceEndpoint": "mailto:alice@issuer.test"}
    ]);
    origin.set("/users/alice/did.json", Reply::json(&published));
    let node = TestNode::start(lab.config()).await;
    for accept in ["text/uri-list", "application/did-url-dereferencing"] {
        let reply = node.get(&format!("/1.0/identifiers/{did}?service=files"), &[("accept", accept)]).await;
        assert_eq!((reply.status.as_u16(), reply.header("location")), (303, Some("https://issuer.test/files/")));
        for (service, url) in [("js", "javascript:alert(document.domain)"), ("mail", "mailto:alice@issuer.test")] {
            let reply = node.get(&format!("/1.0/identifiers/{did}?service={service}"), &[("accept", accept)]).await;
            assert_eq!(reply.status, 200, "{service} as {accept}");
            assert_eq!(reply.header("location"), None, "{service} as {accept}");
            let body = String::from_utf8_lossy(&reply.body).into_owned();
            match accept {
                "text/uri-list" => assert_eq!(body, format!("{url}\r\n")),
                _ => assert_eq!(reply.json()["content"], url),
            }
        }
    }
}

#[tokio::test]
async fn dereferenced_did_web_methods_labelled_json_ld_carry_the_document_context() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set("/users/alice/did.json", Reply::json(&document(&did)));
    let node = TestNode::start(lab.config()).await;
    let encoded = percent_encoding::utf8_percent_encode(&did, percent_encoding::NON_ALPHANUMERIC).to_string();
    let path = format!("/1.0/identifiers/{encoded}%23key-1");
    let json_ld = node.get(&path, &[("accept", "application/did+ld+json")]).await.json();
    assert_eq!(json_ld["@context"], json!(["https://www.w3.org/ns/did/v1"]));
    assert_eq!(json_ld["type"], "Multikey");
    let legacy = r#"application/ld+json;profile="https://w3id.org/did-resolution""#;
    let result = node.get(&path, &[("accept", legacy)]).await.json();
    assert_eq!(result["didDocument"]["@context"], json!(["https://www.w3.org/ns/did/v1"]));
}

#[tokio::test]
async fn wrong_ids_and_missing_documents_map_to_their_codes() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set("/users/alice/did.json", Reply::json(&document("did:web:someone.else")));
    origin.set("/users/bob/did.json", Reply::Status(404));
    let node = TestNode::start(lab.config()).await;
    let wrong = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
    assert_eq!(wrong.status, 500);
    assert_eq!(wrong.json()["didResolutionMetadata"]["error"]["title"], "INVALID_DID_DOCUMENT");
    let bob = did.replace("alice", "bob");
    let missing = node.get(&format!("/1.0/identifiers/{bob}"), &[]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["didResolutionMetadata"]["error"]["title"], "NOT_FOUND");
}

#[tokio::test]
async fn operators_purge_with_the_admin_token() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set("/users/alice/did.json", Reply::json_with(&document(&did), &[("cache-control", "max-age=600")]));
    let node = TestNode::start(lab.config()).await;
    // The second answer is a fresh cache hit: its rendering is kept for reuse, and a purge must drop that too.
    for _ in 0..2 {
        node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
    }
    let path = format!("/1.0/cache/{did}");
    let no_token = node.request(hyper::Method::DELETE, &path, &[], "").await;
    assert_eq!(no_token.status, 401);
    assert_eq!(no_token.header("www-authenticate"), Some("Bearer"));
    let wrong = node.request(hyper::Method::DELETE, &path, &[("authorization", "Bearer nope")], "").await;
    assert_eq!(wrong.status, 401);
    let bearer = format!("Bearer {TOKEN}");
    let stats = node.get("/1.0/cache", &[("authorization", &bearer)]).await.json();
    assert_eq!(stats["entries"], 1);
    let purged = node.request(hyper::Method::DELETE, &path, &[("authorization", &bearer)], "").await;
    assert_eq!(purged.json()["purged"], 1);
    node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
    assert_eq!(origin.requests(), 2, "after the purge the origin is asked again");

    let closed = TestNode::start(|_| {}).await;
    assert_eq!(closed.request(hyper::Method::DELETE, &path, &[("authorization", &bearer)], "").await.status, 404);
}

#[tokio::test]
async fn cache_survives_a_restart() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set("/users/alice/did.json", Reply::json_with(&document(&did), &[("cache-control", "max-age=600")]));
    let node = TestNode::start(lab.config()).await;
    assert_eq!(node.get(&format!("/1.0/identifiers/{did}"), &[]).await.status, 200);
    let data_dir = node.stop().await;
    origin.set_down(true);
    let restarted = TestNode::start_in(data_dir, lab.config()).await;
    let reply = restarted.get(&format!("/1.0/identifiers/{did}"), &[]).await.json();
    assert_eq!(reply["didDocument"]["id"], did);
    assert_eq!(reply["didResolutionMetadata"]["cache"]["hit"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set_slow("/users/alice/did.json", Reply::json(&document(&did)), std::time::Duration::from_millis(700));
    let node = TestNode::start(lab.config()).await;
    let addr = node.addr;
    let in_flight =
        tokio::spawn(async move { crate::support::node::get_at(addr, &format!("/1.0/identifiers/{did}")).await });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    node.stop().await;
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, 200, "the request in flight at shutdown completed");
}

#[tokio::test]
async fn slow_origins_are_cut_off_by_the_request_timeout() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let did = alice(&origin);
    origin.set_slow("/users/alice/did.json", Reply::json(&document(&did)), std::time::Duration::from_secs(5));
    let config = lab.config();
    let node = TestNode::start(|c| {
        config(c);
        c.server.request_timeout_ms = 300;
    })
    .await;
    let reply = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
    assert_eq!(reply.status, 503, "the origin would have answered 200 after 5 s");
    assert_eq!(reply.json()["type"], "urn:trustnode:problem:request-timeout");
    assert_eq!(reply.header("retry-after"), Some("1"));
}
