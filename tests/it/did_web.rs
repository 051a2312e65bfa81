//! did:web end to end against the local HTTPS origin: documents, errors, SSRF refusals, redirects, limits, the
//! cache (revalidation, stale-if-error, single flight, restart, corruption, bounds) and connection reuse.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::origin::{Origin, Reply, TestCa};
use serde_json::{json, Value};
use trustnode_did::error::ErrorCode;
use trustnode_resolver::web::fetch::UNREACHABLE;
use trustnode_resolver::web::settings::{CacheConfig, WebConfig};
use trustnode_resolver::web::{WebOptions, WebOutcome, WebResolver};

const PATH: &str = "/users/alice/did.json";

struct Lab {
    ca: TestCa,
    dir: tempfile::TempDir,
    web: WebConfig,
    cache: CacheConfig,
}

impl Lab {
    /// A lab whose resolver trusts the test CA, pins `issuer.test` and `other.test` to 127.0.0.1 and lets the guard
    /// pass loopback (the origin lives there).
    fn new() -> Lab {
        let ca = TestCa::new();
        let dir = tempfile::tempdir().unwrap();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let web = WebConfig {
            timeout_ms: 1000,
            connect_timeout_ms: 500,
            max_document_bytes: 64 * 1024,
            max_fetches_per_origin: 8,
            extra_ca_file: ca.write_pem(dir.path()).display().to_string(),
            allow_private_addresses: true,
            host_overrides: BTreeMap::from([("issuer.test".into(), loopback), ("other.test".into(), loopback)]),
            max_status_list_bytes: 4 << 20,
            max_status_lists: 256,
            max_webvh_log_bytes: 4 << 20,
            max_webvh_log_entries: 1000,
        };
        let cache = CacheConfig {
            default_ttl_s: 300,
            min_ttl_s: 0,
            max_ttl_s: 86400,
            max_stale_s: 86400,
            negative_ttl_s: 60,
            max_entries: 1000,
            no_cache_min_interval_s: 3600,
        };
        Lab { ca, dir, web, cache }
    }

    fn resolver(&self) -> WebResolver {
        WebResolver::open(&self.web, &self.cache, self.dir.path()).unwrap()
    }

    async fn origin(&self) -> Origin {
        Origin::start(&self.ca).await
    }

    /// An origin serving alice's document at [`PATH`] with `headers`, and alice's DID.
    async fn alice(&self, headers: &[(&str, &str)]) -> (Origin, String) {
        let origin = self.origin().await;
        let alice = did(origin.port(), PATH);
        origin.set(PATH, Reply::json_with(&document(&alice), headers));
        (origin, alice)
    }
}

/// `did:web:issuer.test%3A<port>:users:alice` and its method-specific id.
fn did(port: u16, path: &str) -> String {
    let segments = path.trim_end_matches("/did.json").replace('/', ":");
    format!("did:web:issuer.test%3A{port}{segments}")
}

/// Serves at `path` the document of the DID that maps to it; returns that DID.
fn publish(origin: &Origin, path: &str) -> String {
    let target = did(origin.port(), path);
    origin.set(path, Reply::json(&document(&target)));
    target
}

fn document(did: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/did/v1",
        "id": did,
        "verificationMethod": [{"id": "#key-1", "type": "JsonWebKey2020", "controller": did,
            "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}],
        "assertionMethod": ["#key-1"]
    })
}

async fn resolve(resolver: &WebResolver, did: &str, options: WebOptions) -> WebOutcome {
    let msid = did.strip_prefix("did:web:").unwrap();
    resolver.resolve(did, msid, &options).await
}

async fn resolve_plain(resolver: &WebResolver, did: &str) -> WebOutcome {
    resolve(resolver, did, WebOptions::default()).await
}

fn error_code(outcome: &WebOutcome) -> ErrorCode {
    outcome.result.as_ref().expect_err("expected an error").code
}

fn error_detail(outcome: &WebOutcome) -> String {
    outcome.result.as_ref().expect_err("expected an error").detail.clone()
}

/// Asserts `outcome` is the one answer for every origin that could not be reached or may not be: INTERNAL_ERROR
/// with the generic detail, naming no address, port or failure.
fn assert_unreachable(outcome: &WebOutcome, what: &str) {
    assert_eq!(error_code(outcome), ErrorCode::InternalError, "{what}: {:?}", outcome.result);
    assert_eq!(error_detail(outcome), UNREACHABLE, "{what}");
}

/// How many fetches failed with `kind` (the label of `trustnode_did_web_upstream_errors_total`).
fn failures(resolver: &WebResolver, kind: &str) -> u64 {
    resolver.stats().upstream_errors.get(kind).copied().unwrap_or(0)
}

#[test]
fn resolver_is_shareable_across_handlers() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<WebResolver>();
    fn assert_send<T: Send>(_: &T) {}
    // Opening needs no runtime (the CLI's cache commands are synchronous).
    let lab = Lab::new();
    let resolver = lab.resolver();
    assert_send(&resolve_plain(&resolver, "did:web:issuer.test"));
}

#[tokio::test]
async fn documents_at_paths_and_ports_with_metadata() {
    let lab = Lab::new();
    let (first, second) = (lab.origin().await, lab.origin().await);
    let at_path = did(first.port(), PATH);
    let well_known = format!("did:web:issuer.test%3A{}", second.port());
    first.set(PATH, Reply::json_with(&document(&at_path), &[("last-modified", "Tue, 15 Nov 1994 12:45:26 GMT")]));
    second.set("/.well-known/did.json", Reply::json(&document(&well_known)));
    let resolver = lab.resolver();

    let outcome = resolve_plain(&resolver, &at_path).await;
    let resolved = outcome.result.as_ref().unwrap();
    assert_eq!(*resolved.document.value(), document(&at_path));
    assert_eq!(resolved.updated.as_deref(), Some("1994-11-15T12:45:26Z"));
    let status = outcome.cache.unwrap();
    assert!(!status.hit && !status.stale);
    assert_eq!(status.ttl_seconds, 300, "default TTL without Cache-Control");

    let outcome = resolve_plain(&resolver, &well_known).await;
    assert_eq!(outcome.result.unwrap().document.value()["id"], well_known.as_str());

    let expanded = resolve(&resolver, &at_path, WebOptions { expand_relative_urls: true, no_cache: false }).await;
    let cache = expanded.cache.clone().unwrap();
    let expanded = expanded.result.unwrap().document;
    assert!(cache.hit, "served from the cache");
    assert_eq!(expanded.value()["verificationMethod"][0]["id"], format!("{at_path}#key-1"));
    assert_eq!(expanded.value()["assertionMethod"][0], format!("{at_path}#key-1"));
    assert_eq!(first.requests_to(PATH), 1);
    let again = resolve_plain(&resolver, &at_path).await.result.unwrap();
    assert_eq!(again.document.value()["assertionMethod"][0], "#key-1", "expansion does not leak into the cache");
}

#[tokio::test]
async fn wrong_documents_and_missing_dids() {
    let lab = Lab::new();
    let origin = lab.origin().await;
    let resolver = lab.resolver();
    let port = origin.port();

    origin.set("/wrong/did.json", Reply::json(&document("did:web:issuer.test")));
    origin.set("/array/did.json", Reply::json(&json!([1, 2])));
    origin.set("/text/did.json", Reply::Document { body: "hello".into(), headers: Vec::new() });
    for path in ["/wrong/did.json", "/array/did.json", "/text/did.json"] {
        let outcome = resolve_plain(&resolver, &did(port, path)).await;
        assert_eq!(error_code(&outcome), ErrorCode::InvalidDidDocument, "{path}");
    }
    assert!(
        error_detail(&resolve_plain(&resolver, &did(port, "/wrong/did.json")).await).contains("did:web:issuer.test")
    );
    // Two `id` members: serde_json alone would keep the last, which is the right DID.
    let duplicated = did(port, "/dup/did.json");
    let body = format!(r#"{{"id":"did:web:attacker.example","id":"{duplicated}"}}"#);
    origin.set("/dup/did.json", Reply::Document { body, headers: Vec::new() });
    let outcome = resolve_plain(&resolver, &duplicated).await;
    assert_eq!(error_code(&outcome), ErrorCode::InvalidDidDocument);
    assert!(error_detail(&outcome).contains(r#"repeats the member name "id""#), "{}", error_detail(&outcome));

    origin.set("/gone/did.json", Reply::Status(410));
    for path in ["/missing/did.json", "/gone/did.json"] {
        let target = did(port, path);
        assert_eq!(error_code(&resolve_plain(&resolver, &target).await), ErrorCode::NotFound, "{path}");
        let cached = resolve_plain(&resolver, &target).await;
        assert_eq!(error_code(&cached), ErrorCode::NotFound);
        assert!(cached.cache.unwrap().hit, "NOT_FOUND is cached");
        assert_eq!(origin.requests_to(path), 1);
    }

    origin.set("/forbidden/did.json", Reply::Status(403));
    let outcome = resolve_plain(&resolver, &did(port, "/forbidden/did.json")).await;
    assert_eq!(error_code(&outcome), ErrorCode::InternalError);
    assert!(error_detail(&outcome).contains("403"));

    let outcome = resolve_plain(&resolver, "did:web:127.0.0.1%3A8443").await;
    assert_eq!(error_code(&outcome), ErrorCode::InvalidDid);
    // `.invalid` never exists (RFC 6761); hickory answers NXDOMAIN without asking any server. A name that does not
    // exist answers like one that is refused or down: otherwise callers could map internal names.
    let outcome = resolve_plain(&resolver, "did:web:issuer.invalid").await;
    assert_unreachable(&outcome, "NXDOMAIN");
    assert_eq!(failures(&resolver, "no_such_host"), 1, "the operator still sees the reason");
}

#[tokio::test]
async fn every_ssrf_case_is_refused_before_connecting() {
    let mut lab = Lab::new();
    lab.web.allow_private_addresses = false;
    let pins = [
        ("issuer.test", "127.0.0.1"),
        ("v6.test", "::1"),
        ("mapped.test", "::ffff:127.0.0.1"),
        ("private.test", "10.1.2.3"),
        ("metadata.test", "169.254.169.254"),
        ("cgnat.test", "100.64.0.1"),
        ("ula.test", "fd00::1"),
        ("nat64.test", "64:ff9b::7f00:1"),
        ("translated.test", "::ffff:0:7f00:1"),
        ("wireserver.test", "168.63.129.16"),
    ];
    for (name, ip) in pins {
        lab.web.host_overrides.insert(name.into(), ip.parse().unwrap());
    }
    let origin = lab.origin().await;
    let resolver = lab.resolver();
    let port = origin.port();
    // `localhost` is not pinned: hickory answers it (127.0.0.1/::1) without any network.
    let names = pins.iter().map(|(name, _)| *name).chain(["localhost"]);
    for name in names {
        let target = format!("did:web:{name}%3A{port}");
        let outcome = resolve_plain(&resolver, &target).await;
        // The answer names neither the address nor why it is refused (that would reveal /etc/hosts and the
        // internal network); the same words as an origin that is down.
        assert_unreachable(&outcome, &target);
    }
    assert_eq!(failures(&resolver, "refused"), pins.len() as u64 + 1, "every refusal is counted for the operator");
    // IP literals are refused by the mapping: the caller wrote the address, so naming it reveals nothing.
    for literal in ["127.0.0.1", "127%2E0%2E0%2E1", "2130706433"] {
        let outcome = resolve_plain(&resolver, &format!("did:web:{literal}%3A{port}")).await;
        assert_eq!(error_code(&outcome), ErrorCode::InvalidDid, "{literal}");
    }
    assert_eq!(origin.connections(), 0, "the origin was never contacted");
}

#[tokio::test]
async fn redirects_stay_on_origin_and_are_bounded() {
    let lab = Lab::new();
    let (origin, elsewhere) = (lab.origin().await, lab.origin().await);
    let resolver = lab.resolver();
    let port = origin.port();
    let three_hops = did(port, "/r3/did.json");
    origin.set("/hop/did.json", Reply::json(&document(&three_hops)));
    // /r4 → /r3 → /r2 (absolute URL) → /r1 (absolute path) → /hop.
    origin.set("/r1/did.json", Reply::Redirect { status: 302, location: "/hop/did.json".into() });
    origin.set(
        "/r2/did.json",
        Reply::Redirect { status: 301, location: format!("https://issuer.test:{port}/r1/did.json") },
    );
    origin.set("/r3/did.json", Reply::Redirect { status: 308, location: "/r2/did.json".into() });
    origin.set("/r4/did.json", Reply::Redirect { status: 307, location: "/r3/did.json".into() });
    let outcome = resolve_plain(&resolver, &three_hops).await;
    assert_eq!(outcome.result.unwrap().document.value()["id"], three_hops.as_str(), "three same-origin hops");
    let outcome = resolve_plain(&resolver, &did(port, "/r4/did.json")).await;
    assert_eq!(error_code(&outcome), ErrorCode::NotFound, "four hops");
    assert!(error_detail(&outcome).contains("more than 3 redirects"), "four hops: {:?}", outcome.result);
    // After redirects the document's id must still be the DID asked for.
    let outcome = resolve_plain(&resolver, &did(port, "/r1/did.json")).await;
    assert_eq!(error_code(&outcome), ErrorCode::InvalidDidDocument);

    let cross = did(port, "/cross/did.json");
    elsewhere.set("/cross/did.json", Reply::json(&document(&cross)));
    for location in [
        format!("https://issuer.test:{}/cross/did.json", elsewhere.port()),
        format!("https://other.test:{port}/cross/did.json"),
        format!("http://issuer.test:{port}/cross/did.json"),
        format!("//other.test:{port}/cross/did.json"),
    ] {
        origin.set("/cross/did.json", Reply::Redirect { status: 302, location: location.clone() });
        let outcome = resolve_plain(&resolver, &cross).await;
        // The document is not where the DID says: NOT_FOUND, not a failure of this node.
        assert_eq!(error_code(&outcome), ErrorCode::NotFound, "{location}");
        assert!(error_detail(&outcome).contains("leaves"), "{location}: {:?}", outcome.result);
    }
    assert_eq!(elsewhere.requests(), 0);
}

#[tokio::test]
async fn oversized_slow_and_dropped_answers() {
    let lab = Lab::new();
    let origin = lab.origin().await;
    let resolver = lab.resolver();
    let port = origin.port();

    origin.set("/declared/did.json", Reply::Oversized { bytes: 65 * 1024, declared: true });
    origin.set("/endless/did.json", Reply::Oversized { bytes: usize::MAX, declared: false });
    for path in ["/declared/did.json", "/endless/did.json"] {
        // The endless body can only end in this error if the read was cut off (not in the total timeout).
        let outcome = resolve_plain(&resolver, &did(port, path)).await;
        assert_eq!(error_code(&outcome), ErrorCode::InvalidDidDocument, "{path}");
        assert!(error_detail(&outcome).contains("exceeds 65536 bytes"), "{path}: {}", error_detail(&outcome));
    }

    let slow = did(port, "/slow/did.json");
    origin.set_slow("/slow/did.json", Reply::json(&document(&slow)), Duration::from_secs(3));
    let started = Instant::now();
    let outcome = resolve_plain(&resolver, &slow).await;
    assert_unreachable(&outcome, "slow");
    assert!(started.elapsed() < Duration::from_millis(2500), "gave up before the origin's 3 s delay");
    assert_eq!(failures(&resolver, "timeout"), 1);

    origin.set("/drop/did.json", Reply::Drop);
    assert_unreachable(&resolve_plain(&resolver, &did(port, "/drop/did.json")).await, "dropped");

    // Accepts TCP (the kernel completes the handshake) but never answers TLS: the connect timeout fires. An open
    // port that is silent and a closed one answer alike, so the node cannot be used to scan ports.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let outcome = resolve_plain(&resolver, &did(silent.local_addr().unwrap().port(), PATH)).await;
    assert_unreachable(&outcome, "silent port");
    assert_eq!(failures(&resolver, "timeout"), 2);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let connect_failures = failures(&resolver, "connect");
    assert_unreachable(&resolve_plain(&resolver, &did(closed_port, PATH)).await, "closed port");
    assert_eq!(failures(&resolver, "connect"), connect_failures + 1);
}

#[tokio::test]
async fn untrusted_certificates_are_refused() {
    let mut lab = Lab::new();
    lab.web.extra_ca_file = String::new();
    let (origin, target) = lab.alice(&[]).await;
    let resolver = lab.resolver();
    assert_unreachable(&resolve_plain(&resolver, &target).await, "untrusted certificate");
    assert_eq!(failures(&resolver, "tls"), 1);
    assert_eq!(origin.requests(), 0);
}

#[tokio::test]
async fn revalidation_with_etag_refreshes_without_a_body() {
    let lab = Lab::new();
    let (origin, target) = lab.alice(&[("etag", "\"v1\""), ("cache-control", "no-cache")]).await;
    let resolver = lab.resolver();

    assert!(!resolve_plain(&resolver, &target).await.cache.unwrap().hit);
    let outcome = resolve_plain(&resolver, &target).await;
    let status = outcome.cache.unwrap();
    assert!(status.hit && status.revalidated && !status.stale);
    assert_eq!(*outcome.result.unwrap().document.value(), document(&target));
    assert_eq!((origin.requests_to(PATH), origin.not_modified()), (2, 1));
    // no-cache (TTL 0 here) keeps the entry and revalidates on every use.
    assert!(resolve_plain(&resolver, &target).await.cache.unwrap().revalidated);
    assert_eq!((origin.requests_to(PATH), origin.not_modified()), (3, 2));
    assert_eq!(resolver.stats().revalidations, 2);
}

#[tokio::test]
async fn stale_served_while_the_origin_is_down_then_refreshed() {
    let lab = Lab::new();
    let (origin, target) = lab.alice(&[("cache-control", "max-age=0")]).await;
    let resolver = lab.resolver();
    assert!(resolve_plain(&resolver, &target).await.result.is_ok());

    for (failure, expected_reason) in [(Reply::Status(503), "503"), (Reply::Drop, UNREACHABLE)] {
        origin.set(PATH, failure);
        let outcome = resolve_plain(&resolver, &target).await;
        assert_eq!(*outcome.result.unwrap().document.value(), document(&target));
        let status = outcome.cache.unwrap();
        assert!(status.hit && status.stale);
        assert!(status.stale_reason.unwrap().contains(expected_reason));
    }
    origin.set_down(true);
    assert!(resolve_plain(&resolver, &target).await.cache.unwrap().stale);
    assert_eq!(resolver.stats().stale_served, 3);

    // Back up with a new version: served fresh, not stale.
    origin.set_down(false);
    let mut updated = document(&target);
    updated["service"] = json!([{"id": "#new", "type": "LinkedDomains", "serviceEndpoint": "https://issuer.test"}]);
    origin.set(PATH, Reply::json_with(&updated, &[("cache-control", "max-age=600")]));
    let outcome = resolve_plain(&resolver, &target).await;
    let status = outcome.cache.clone().unwrap();
    assert!(!status.stale && !status.hit);
    assert_eq!(status.ttl_seconds, 600);
    assert_eq!(*outcome.result.unwrap().document.value(), updated);

    // A 404 is an answer, not an outage: no stale copy stands in for a removed DID.
    let removed = did(origin.port(), "/removed/did.json");
    origin.set("/removed/did.json", Reply::json_with(&document(&removed), &[("cache-control", "max-age=0")]));
    assert!(resolve_plain(&resolver, &removed).await.result.is_ok());
    origin.set("/removed/did.json", Reply::Status(404));
    assert_eq!(error_code(&resolve_plain(&resolver, &removed).await), ErrorCode::NotFound);
}

#[tokio::test]
async fn stale_copies_expire_after_the_stale_window() {
    let mut lab = Lab::new();
    lab.cache.max_stale_s = 0;
    let (origin, target) = lab.alice(&[("cache-control", "max-age=0")]).await;
    let resolver = lab.resolver();
    assert!(resolve_plain(&resolver, &target).await.result.is_ok());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    origin.set(PATH, Reply::Status(500));
    assert_eq!(error_code(&resolve_plain(&resolver, &target).await), ErrorCode::InternalError);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_upstream_fetch_for_200_concurrent_cold_requests() {
    let lab = Lab::new();
    let origin = lab.origin().await;
    let resolver = Arc::new(lab.resolver());
    let target = did(origin.port(), PATH);
    origin.set_slow(PATH, Reply::json(&document(&target)), Duration::from_millis(200));
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (resolver, target) = (Arc::clone(&resolver), target.clone());
            tokio::spawn(async move { resolve_plain(&resolver, &target).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().result.unwrap().document.value()["id"], target.as_str());
    }
    assert_eq!(origin.requests_to(PATH), 1);
    assert_eq!(resolver.stats().upstream_fetches, 1);
}

#[tokio::test]
async fn no_cache_is_rate_limited_per_did() {
    let mut lab = Lab::new();
    let (origin, target) = lab.alice(&[]).await;
    let bypass = WebOptions { no_cache: true, expand_relative_urls: false };
    {
        let resolver = lab.resolver();
        resolve_plain(&resolver, &target).await.result.unwrap();
        let outcome = resolve(&resolver, &target, bypass).await;
        let status = outcome.cache.unwrap();
        assert!(status.hit && status.no_cache_limited);
        assert_eq!(origin.requests_to(PATH), 1);
    }
    lab.cache.no_cache_min_interval_s = 0;
    let resolver = lab.resolver();
    let outcome = resolve(&resolver, &target, bypass).await;
    assert!(!outcome.cache.unwrap().hit);
    assert_eq!(origin.requests_to(PATH), 2);
}

#[tokio::test]
async fn cache_survives_a_restart_and_can_be_purged() {
    let lab = Lab::new();
    let (origin, target) = lab.alice(&[("cache-control", "max-age=3600")]).await;
    {
        let resolver = lab.resolver();
        resolve_plain(&resolver, &target).await.result.unwrap();
        resolver.flush().unwrap();
    }
    origin.set_down(true);
    let resolver = lab.resolver();
    let outcome = resolve_plain(&resolver, &target).await;
    assert_eq!(*outcome.result.unwrap().document.value(), document(&target));
    let status = outcome.cache.unwrap();
    assert!(status.hit && !status.stale);
    assert_eq!(resolver.stats().entries, 1);

    assert_eq!(resolver.purge(Some(&target)).unwrap(), 1);
    assert_eq!(resolver.purge(Some(&target)).unwrap(), 0);
    assert_eq!(error_code(&resolve_plain(&resolver, &target).await), ErrorCode::InternalError, "origin down");
    origin.set_down(false);
    resolve_plain(&resolver, &target).await.result.unwrap();
    assert_eq!(resolver.purge(None).unwrap(), 1);
    assert_eq!(resolver.stats().entries, 0);
}

fn aside_copies(data_dir: &Path) -> usize {
    std::fs::read_dir(data_dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("cache.corrupt-"))
        .count()
}

#[tokio::test]
async fn corrupt_cache_directory_does_not_stop_start_up() {
    let lab = Lab::new();
    let cache_dir = lab.dir.path().join("cache");
    std::fs::create_dir_all(&cache_dir).unwrap();
    std::fs::write(cache_dir.join("conf"), b"\xff\x00 garbage").unwrap();
    std::fs::write(cache_dir.join("db"), vec![0xAB; 4096]).unwrap();
    let (_origin, target) = lab.alice(&[]).await;

    let resolver = lab.resolver();
    assert_eq!(resolver.stats().entries, 0);
    assert_eq!(aside_copies(lab.dir.path()), 1, "the broken cache was kept aside for inspection");
    resolve_plain(&resolver, &target).await.result.unwrap();
    assert_eq!(resolver.stats().entries, 1);
}

#[tokio::test]
async fn cache_size_is_bounded() {
    let mut lab = Lab::new();
    lab.cache.max_entries = 20;
    let origin = lab.origin().await;
    let resolver = lab.resolver();
    for i in 0..60 {
        let target = publish(&origin, &format!("/u{i}/did.json"));
        resolve_plain(&resolver, &target).await.result.unwrap();
        assert!(resolver.stats().entries <= 20);
    }
    let newest = did(origin.port(), "/u59/did.json");
    assert!(resolve_plain(&resolver, &newest).await.cache.unwrap().hit, "the newest entries are kept");
}

#[tokio::test]
async fn connections_are_reused_over_http2() {
    let lab = Lab::new();
    let origin = lab.origin().await;
    let resolver = lab.resolver();
    for i in 0..20 {
        let target = publish(&origin, &format!("/p{i}/did.json"));
        resolve_plain(&resolver, &target).await.result.unwrap();
    }
    assert_eq!(origin.connections(), 1);
    assert_eq!(origin.h2_requests(), 20);
}
