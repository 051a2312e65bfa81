//! Crash safety of the did:web cache: the node is killed with SIGKILL, repeatedly, while it writes many cache
//! entries; every restart must come up ready and answer, from the cache or the origin. (Registry snapshots under
//! `kill -9` are covered in `tests/it/registry_node.rs`.)

use std::time::Duration;

use crate::support::origin::{Origin, Reply, TestCa};
use crate::support::process::{exchange, spawn_node_with};

/// DIDs per round: each round writes entries the cache does not hold yet.
const PER_ROUND: usize = 200;
const ROUNDS: usize = 5;

fn did(origin: &Origin, n: usize) -> String {
    format!("did:web:issuer.test%3A{}:u:{n}", origin.port())
}

fn get(address: &str, path: &str) -> (u16, Vec<u8>) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    exchange(address, request.as_bytes()).unwrap_or((0, Vec::new()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_while_writing_its_cache_restarts_ready_every_time() {
    let ca = TestCa::new();
    let origin = Origin::start(&ca).await;
    for n in 0..PER_ROUND * ROUNDS {
        let did = did(&origin, n);
        let document = serde_json::json!({"@context": ["https://www.w3.org/ns/did/v1"], "id": did});
        origin.set(&format!("/u/{n}/did.json"), Reply::json_with(&document, &[("cache-control", "max-age=3600")]));
    }
    let data = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(data.path());
    let config = format!(
        "[web]\nextra_ca_file = {ca_file:?}\nallow_private_addresses = true\n\
         host_overrides = {{ \"issuer.test\" = \"127.0.0.1\" }}\n"
    );
    let node_dir = data.path().join("node");
    let paths: Vec<String> = (0..PER_ROUND * ROUNDS).map(|n| format!("/1.0/identifiers/{}", did(&origin, n))).collect();
    let mut writes = Vec::new();
    for (round, kill_after_ms) in [60u64, 90, 120, 150, 30].into_iter().enumerate() {
        let (mut child, address) = spawn_node_with(&config, &node_dir);
        // Four clients resolve distinct DIDs (each a cache write) until the node dies under them.
        let fresh = paths.get(round * PER_ROUND..(round + 1) * PER_ROUND).unwrap_or_default().to_vec();
        let writers: Vec<_> = (0..4)
            .map(|client| {
                let (address, paths) = (address.clone(), fresh.clone());
                std::thread::spawn(move || {
                    paths.iter().skip(client).step_by(4).take_while(|path| get(&address, path).0 == 200).count()
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let written: usize = writers.into_iter().map(|writer| writer.join().unwrap()).sum();

        let (mut restarted, address) = spawn_node_with(&config, &node_dir);
        let ready = get(&address, "/readyz").0;
        // A DID resolved in an earlier round (from the cache, or again from the origin).
        let resolved = get(&address, &paths[round * PER_ROUND / 2]).0;
        let computed = get(&address, "/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK").0;
        restarted.kill().unwrap();
        restarted.wait().unwrap();
        assert_eq!(
            (ready, resolved, computed),
            (200, 200, 200),
            "round {round}: killed {kill_after_ms} ms in, after {written} resolutions"
        );
        writes.push(written);
    }
    assert!(writes.iter().any(|written| *written > 0), "the node was killed before it wrote anything: {writes:?}");
    eprintln!("resolutions (cache writes) answered before each kill: {writes:?}");
}
