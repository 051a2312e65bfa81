//! did:web load figures against the local HTTPS test origin (same process, loopback only):
//! cold resolutions per second of distinct DIDs with connection reuse, cached lookups per second in-process, and
//! RSS and disk size once the cache holds `ENTRIES` documents.
//!
//! Run: `cargo run --release -p trustnode-bench --bin web_load -- [ENTRIES] [CONCURRENCY]` (defaults 100000 and 64).

#[path = "../../../tests/it/support/origin.rs"]
mod origin;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use origin::{Origin, Reply, TestCa};
use trustnode_resolver::web::settings::{CacheConfig, WebConfig};
use trustnode_resolver::web::{WebOptions, WebResolver};

fn did(port: u16, i: usize) -> String {
    format!("did:web:issuer.test%3A{port}:u:{i}")
}

/// Resolves DIDs `0..count` with `concurrency` workers; returns resolutions per second.
async fn run(resolver: &Arc<WebResolver>, port: u16, range: std::ops::Range<usize>, concurrency: usize) -> f64 {
    let started = Instant::now();
    let count = range.len();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let resolver = Arc::clone(resolver);
            let range = range.clone();
            tokio::spawn(async move {
                for i in range.skip(worker).step_by(concurrency) {
                    let did = did(port, i);
                    let msid = did.trim_start_matches("did:web:").to_owned();
                    if let Err(error) = resolver.resolve(&did, &msid, &WebOptions::default()).await.result {
                        eprintln!("{did}: {error}");
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    count as f64 / started.elapsed().as_secs_f64()
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).unwrap_or(0)
}

fn dir_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| match entry.metadata() {
                    Ok(meta) if meta.is_dir() => dir_bytes(&entry.path()),
                    Ok(meta) => meta.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("numeric argument"));
    let entries = args.next().unwrap_or(100_000);
    let concurrency = args.next().unwrap_or(64);

    let ca = TestCa::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let web = WebConfig {
        timeout_ms: 5000,
        connect_timeout_ms: 2000,
        max_document_bytes: 1 << 20,
        max_fetches_per_origin: concurrency,
        extra_ca_file: ca.write_pem(dir.path()).display().to_string(),
        allow_private_addresses: true,
        host_overrides: BTreeMap::from([("issuer.test".into(), "127.0.0.1".parse().expect("ip"))]),
        max_status_list_bytes: 4 << 20,
        max_status_lists: 256,
        max_webvh_log_bytes: 4 << 20,
        max_webvh_log_entries: 1000,
    };
    let cache = CacheConfig {
        default_ttl_s: 300,
        min_ttl_s: 30,
        max_ttl_s: 86400,
        max_stale_s: 86400,
        negative_ttl_s: 60,
        max_entries: entries,
        no_cache_min_interval_s: 10,
    };
    let origin = Origin::start(&ca).await;
    let port = origin.port();
    for i in 0..entries {
        let did = did(port, i);
        let document = serde_json::json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
            "id": did,
            "verificationMethod": [{"id": format!("{did}#key-1"), "type": "JsonWebKey2020", "controller": did,
                "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}],
            "assertionMethod": [format!("{did}#key-1")]
        });
        origin.set(&format!("/u/{i}/did.json"), Reply::json(&document));
    }
    let resolver = Arc::new(WebResolver::open(&web, &cache, dir.path()).expect("resolver"));
    let rss_before = status_kib("VmRSS:");

    let sample = entries.min(20_000);
    let cold = run(&resolver, port, 0..sample, concurrency).await;
    println!("cold:   {cold:>9.0} resolutions/s ({sample} distinct DIDs, concurrency {concurrency})");
    println!("        {} TLS connections, {} HTTP/2 requests", origin.connections(), origin.h2_requests());
    let cached = run(&resolver, port, 0..sample, concurrency).await;
    println!("cached: {cached:>9.0} lookups/s (same DIDs, in-process)");

    run(&resolver, port, sample..entries, concurrency).await;
    resolver.flush().expect("flush");
    let stats = resolver.stats();
    println!(
        "filled: {} entries; RSS {} MiB (was {} MiB before resolving, peak {} MiB); disk {} MiB (sled reports {} MiB)",
        stats.entries,
        status_kib("VmRSS:") / 1024,
        rss_before / 1024,
        status_kib("VmHWM:") / 1024,
        dir_bytes(&dir.path().join("cache")) / (1 << 20),
        stats.disk_bytes / (1 << 20),
    );
    println!("stats:  {}", serde_json::to_string(&stats).expect("stats"));
}
