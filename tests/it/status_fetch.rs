//! Status list credentials fetched through the did:web client against the local HTTPS origin: caching (hits,
//! `max_age` revalidation, `no-store`), stale-if-error, refused URLs (scheme, credentials, IP hosts, the SSRF
//! guard), the size bound, off-origin redirects, single flight, a corrupt cache directory, and the node's metrics.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::support::node::TestNode;
use crate::support::origin::{Origin, Reply, TestCa};
use serde_json::json;
use trustnode::config::Config;
use trustnode_resolver::web::status_list::{StatusListErrorKind, StatusListOutcome, UNREACHABLE};
use trustnode_resolver::web::WebResolver;

const LIST: &str = "/status/3";
/// `web.max_status_list_bytes` here.
const LIMIT: usize = 64 * 1024;

struct Lab {
    ca: TestCa,
    dir: tempfile::TempDir,
    config: Config,
}

impl Lab {
    /// The default configuration, trusting the test CA, pinning `issuer.test` and `other.test` to 127.0.0.1, letting
    /// the guard pass loopback (the origin lives there) and honouring `max-age=0`.
    fn new() -> Lab {
        let ca = TestCa::new();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::load(None, Vec::<(String, String)>::new()).expect("default config");
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        config.web.extra_ca_file = ca.write_pem(dir.path()).display().to_string();
        config.web.allow_private_addresses = true;
        config.web.host_overrides.extend([("issuer.test".into(), loopback), ("other.test".into(), loopback)]);
        config.web.timeout_ms = 2000;
        config.web.max_status_list_bytes = LIMIT;
        config.cache.min_ttl_s = 0;
        Lab { ca, dir, config }
    }

    fn resolver(&self) -> WebResolver {
        WebResolver::open(&self.config.web, &self.config.cache, self.dir.path()).unwrap()
    }

    /// An origin serving a list credential at [`LIST`] with `headers`, and the list's URL.
    async fn list(&self, headers: &[(&str, &str)]) -> (Origin, String) {
        let origin = Origin::start(&self.ca).await;
        origin.set(LIST, Reply::json_with(&credential(), headers));
        let url = format!("https://issuer.test:{}{LIST}", origin.port());
        (origin, url)
    }
}

fn credential() -> serde_json::Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": "revocation", "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"}
    })
}

/// The body of a successful outcome, checked to be the credential served.
fn body(outcome: &StatusListOutcome) -> serde_json::Value {
    let bytes = outcome.result.as_ref().expect("a status list credential");
    serde_json::from_slice(bytes).expect("the served JSON")
}

fn error_kind(outcome: &StatusListOutcome) -> StatusListErrorKind {
    outcome.result.as_ref().expect_err("expected an error").kind
}

fn error_detail(outcome: &StatusListOutcome) -> String {
    outcome.result.as_ref().expect_err("expected an error").detail.clone()
}

#[tokio::test]
async fn fetched_once_then_served_from_the_cache_across_a_restart() {
    let lab = Lab::new();
    let (origin, url) = lab.list(&[("cache-control", "max-age=600")]).await;
    let resolver = lab.resolver();
    let first = resolver.fetch_status_list(&url, None).await;
    assert_eq!(body(&first), credential());
    let cache = first.cache.expect("cache metadata");
    assert!(!cache.hit && !cache.stale && cache.ttl_seconds == 600, "{cache:?}");
    let second = resolver.fetch_status_list(&format!("{url}#list"), None).await;
    assert_eq!(body(&second), credential());
    assert!(second.cache.expect("cache metadata").hit, "the fragment names no other resource");
    assert_eq!(origin.requests_to(LIST), 1, "the second call reached no origin");
    let stats = resolver.status_list_stats();
    assert_eq!((stats.entries, stats.hits, stats.misses, stats.upstream_fetches), (1, 1, 1, 1), "{stats:?}");
    assert_eq!(resolver.stats().entries, 0, "the did:web cache is another cache");

    resolver.flush().unwrap();
    drop(resolver);
    let restarted = lab.resolver();
    assert!(restarted.fetch_status_list(&url, None).await.cache.unwrap().hit, "the cache survives a restart");
    assert_eq!(origin.requests_to(LIST), 1);
}

#[tokio::test]
async fn a_max_age_shorter_than_the_copy_forces_a_revalidation() {
    let lab = Lab::new();
    let (origin, url) = lab.list(&[("cache-control", "max-age=3600"), ("etag", "\"v1\"")]).await;
    let resolver = lab.resolver();
    resolver.fetch_status_list(&url, Some(Duration::from_secs(300))).await.result.unwrap();
    let within = resolver.fetch_status_list(&url, Some(Duration::from_secs(300))).await;
    let cache = within.cache.expect("cache metadata");
    assert!(cache.hit && !cache.revalidated && cache.ttl_seconds == 300, "{cache:?}");
    assert_eq!(origin.requests_to(LIST), 1);

    // A list credential with a `ttl` shorter than a second: every use revalidates.
    let revalidated = resolver.fetch_status_list(&url, Some(Duration::from_millis(500))).await;
    assert_eq!(body(&revalidated), credential());
    let cache = revalidated.cache.expect("cache metadata");
    assert!(cache.hit && cache.revalidated && !cache.stale, "{cache:?}");
    assert_eq!((origin.requests_to(LIST), origin.not_modified()), (2, 1), "one conditional request, answered 304");
    assert_eq!(resolver.status_list_stats().revalidations, 1);
}

#[tokio::test]
async fn no_store_answers_are_not_cached() {
    let lab = Lab::new();
    let (origin, url) = lab.list(&[("cache-control", "no-store")]).await;
    let resolver = lab.resolver();
    for _ in 0..2 {
        let outcome = resolver.fetch_status_list(&url, None).await;
        assert_eq!(body(&outcome), credential());
        let cache = outcome.cache.expect("cache metadata");
        assert!(!cache.hit && cache.ttl_seconds == 0, "{cache:?}");
    }
    assert_eq!(origin.requests_to(LIST), 2);
    assert_eq!(resolver.status_list_stats().entries, 0);
}

#[tokio::test]
async fn an_unavailable_origin_is_covered_by_a_stale_copy_flagged_with_a_generic_reason() {
    let lab = Lab::new();
    let (origin, url) = lab.list(&[("cache-control", "max-age=0")]).await;
    let resolver = lab.resolver();
    resolver.fetch_status_list(&url, None).await.result.unwrap();

    origin.set_down(true);
    let dropped = resolver.fetch_status_list(&url, None).await;
    assert_eq!(body(&dropped), credential());
    let cache = dropped.cache.expect("cache metadata");
    assert!(cache.hit && cache.stale, "{cache:?}");
    assert_eq!(cache.stale_reason.as_deref(), Some(UNREACHABLE), "no address or failure named");

    origin.set_down(false);
    origin.set(LIST, Reply::Status(503));
    let failing = resolver.fetch_status_list(&url, None).await;
    assert_eq!(body(&failing), credential());
    let reason = failing.cache.expect("cache metadata").stale_reason.expect("a reason");
    assert!(reason.contains("503"), "{reason}");
    assert_eq!(resolver.status_list_stats().stale_served, 2);

    // An answer that is not an outage is never papered over.
    origin.set(LIST, Reply::Status(404));
    let gone = resolver.fetch_status_list(&url, None).await;
    assert_eq!(error_kind(&gone), StatusListErrorKind::HttpStatus(404), "{:?}", gone.result);
    assert!(gone.cache.is_none());
}

#[tokio::test]
async fn refused_urls_are_refused_before_any_connection() {
    let lab = Lab::new();
    let (origin, url) = lab.list(&[]).await;
    let port = origin.port();
    let resolver = lab.resolver();
    for (refused, says) in [
        (format!("http://issuer.test:{port}{LIST}"), "https://"),
        (format!("https://user:secret@issuer.test:{port}{LIST}"), "credentials"),
        (format!("https://127.0.0.1:{port}{LIST}"), "IP address hosts"),
        (format!("https://[::1]:{port}{LIST}"), "IP address hosts"),
        ("issuer.test/status/3".to_owned(), "not a URL"),
    ] {
        let outcome = resolver.fetch_status_list(&refused, None).await;
        assert_eq!(error_kind(&outcome), StatusListErrorKind::RefusedUrl, "{refused}: {:?}", outcome.result);
        assert!(error_detail(&outcome).contains(says), "{refused}: {}", error_detail(&outcome));
    }
    assert_eq!(origin.requests(), 0);
    assert_eq!(origin.connections(), 0);

    // A name that resolves to loopback, without the labs-only exception: the SSRF guard refuses it, and says no
    // more than for any unreachable origin.
    let mut guarded = Lab::new();
    guarded.config.web.allow_private_addresses = false;
    let resolver = WebResolver::open(&guarded.config.web, &guarded.config.cache, guarded.dir.path()).unwrap();
    let outcome = resolver.fetch_status_list(&url, None).await;
    assert_eq!(error_kind(&outcome), StatusListErrorKind::Unreachable, "{:?}", outcome.result);
    assert_eq!(error_detail(&outcome), UNREACHABLE);
    assert_eq!(resolver.status_list_stats().upstream_errors["refused"], 1);
    assert_eq!(origin.connections(), 0, "no connection was made");
}

#[tokio::test]
async fn bodies_over_the_bound_are_refused_at_the_bound() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    let resolver = lab.resolver();
    let just_fits = format!("\"{}\"", "a".repeat(LIMIT - 2));
    origin.set("/fits", Reply::Document { body: just_fits, headers: Vec::new() });
    let fits = resolver.fetch_status_list(&format!("https://issuer.test:{}/fits", origin.port()), None).await;
    assert_eq!(fits.result.expect("a body at the bound").len(), LIMIT);
    for (path, bytes, declared) in
        [("/declared", LIMIT + 1, true), ("/chunked", LIMIT + 1, false), ("/endless", usize::MAX, false)]
    {
        origin.set(path, Reply::Oversized { bytes, declared });
        let url = format!("https://issuer.test:{}{path}", origin.port());
        let outcome = tokio::time::timeout(Duration::from_secs(10), resolver.fetch_status_list(&url, None))
            .await
            .expect("an oversized body ends the fetch");
        assert_eq!(error_kind(&outcome), StatusListErrorKind::TooLarge, "{path}");
        assert!(
            error_detail(&outcome).contains(&format!("exceeds {LIMIT} bytes")),
            "{path}: {}",
            error_detail(&outcome)
        );
    }
    assert_eq!(resolver.status_list_stats().upstream_errors["too_large"], 3);
}

#[tokio::test]
async fn redirects_stay_on_the_origin() {
    let lab = Lab::new();
    let (origin, _) = lab.list(&[]).await;
    let other = Origin::start(&lab.ca).await;
    other.set(LIST, Reply::json(&credential()));
    let resolver = lab.resolver();
    let base = format!("https://issuer.test:{}", origin.port());
    origin.set("/moved", Reply::Redirect { status: 301, location: LIST.into() });
    assert_eq!(body(&resolver.fetch_status_list(&format!("{base}/moved"), None).await), credential());

    let elsewhere = format!("https://other.test:{}{LIST}", other.port());
    origin.set("/away", Reply::Redirect { status: 302, location: elsewhere.clone() });
    let outcome = resolver.fetch_status_list(&format!("{base}/away"), None).await;
    assert_eq!(error_kind(&outcome), StatusListErrorKind::Redirect, "{:?}", outcome.result);
    assert!(error_detail(&outcome).contains("leaves"), "{}", error_detail(&outcome));
    assert_eq!(other.requests(), 0, "the other origin was never asked");
    assert!(resolver.fetch_status_list(&elsewhere, None).await.result.is_ok(), "asked for directly, it is fetched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_origin_request() {
    let lab = Lab::new();
    let origin = Origin::start(&lab.ca).await;
    origin.set_slow(LIST, Reply::json(&credential()), Duration::from_millis(300));
    let url = format!("https://issuer.test:{}{LIST}", origin.port());
    let resolver = Arc::new(lab.resolver());
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let (resolver, url) = (Arc::clone(&resolver), url.clone());
            tokio::spawn(async move { resolver.fetch_status_list(&url, None).await })
        })
        .collect();
    for caller in callers {
        assert_eq!(body(&caller.await.unwrap()), credential());
    }
    assert_eq!(origin.requests_to(LIST), 1);
    assert_eq!(resolver.status_list_stats().upstream_fetches, 1);
}

/// The names in `dir` that start with `prefix`.
fn names_with(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(prefix))
        .collect()
}

#[tokio::test]
async fn a_corrupt_cache_directory_is_moved_aside() {
    let lab = Lab::new();
    std::fs::write(lab.dir.path().join("status-lists"), b"not a sled directory").unwrap();
    let (origin, url) = lab.list(&[("cache-control", "max-age=600")]).await;
    let resolver = lab.resolver();
    assert_eq!(names_with(lab.dir.path(), "status-lists.corrupt-").len(), 1, "moved aside, not deleted");
    resolver.fetch_status_list(&url, None).await.result.unwrap();
    assert!(resolver.fetch_status_list(&url, None).await.cache.unwrap().hit, "the fresh cache stores");
    assert_eq!(origin.requests_to(LIST), 1);
    assert!(names_with(lab.dir.path(), "cache.corrupt-").is_empty(), "the did:web cache was not touched");
}

#[tokio::test]
async fn the_node_exports_the_status_list_cache_in_its_metrics() {
    let lab = Lab::new();
    let (origin, url) = lab.list(&[("cache-control", "max-age=600")]).await;
    let (web, cache) = (lab.config.web.clone(), lab.config.cache.clone());
    let node = TestNode::start(move |config| {
        config.web = web;
        config.cache = cache;
    })
    .await;
    let resolver = node.state.resolver.method::<WebResolver>().expect("did:web is enabled by default");
    for _ in 0..2 {
        resolver.fetch_status_list(&url, None).await.result.unwrap();
    }
    let scraped = node.get("/metrics", &[]).await;
    let text = String::from_utf8(scraped.body.to_vec()).unwrap();
    for (series, value) in [
        ("trustnode_status_list_cache_events_total{event=\"hit\"}", 1.0),
        ("trustnode_status_list_cache_events_total{event=\"fetch\"}", 1.0),
        ("trustnode_status_list_cache_entries", 1.0),
        ("trustnode_status_list_upstream_errors_total{kind=\"refused\"}", 0.0),
        ("trustnode_did_web_cache_entries", 0.0),
    ] {
        let sample = text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse::<f64>().ok());
        assert_eq!(sample, Some(value), "{series} in:\n{text}");
    }
    assert_eq!(origin.requests_to(LIST), 1);
}
