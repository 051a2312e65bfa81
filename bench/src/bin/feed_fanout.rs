//! Change-feed fan-out: how long one publish takes to reach every SSE subscriber of a registry's feed.
//!
//! Starts a node in this process on a loopback port (a registry of `STATEMENTS` statements, publishing on), opens
//! `SUBSCRIBERS` Server-Sent Events streams to its feed over their own TCP connections, then `ROUNDS` times
//! publishes the next snapshot over HTTP (`PUT`, one statement suspended) and measures, from just before the `PUT`
//! is sent, when each subscriber has the new event whole. Prints the slowest, median and 99th-percentile delivery
//! per round and the publish's own answer time. Subscribers and node share the process and its runtime, so the
//! figures include the clients' own work.
//!
//! Run: `cargo run --release -p trustnode-bench --bin feed_fanout -- [SUBSCRIBERS] [ROUNDS] [STATEMENTS]`
//! (defaults 1000, 5 and 1000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Empty, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand_core::OsRng;
use trustnode::config::{Config, RegistryConfig};
use trustnode::store::RegistryDir;
use trustnode_registry::jws::{SigningKey, SigningKeyType};
use trustnode_registry::model::{EntityMetadata, NewStatement, RegistrySource, StatementKind, Status, Timestamp};
use trustnode_registry::snapshot::CanonicalSnapshot;
use trustnode_registry::wire::{encode, SNAPSHOT_JWS_HEADER};

fn arg(position: usize, default: usize) -> usize {
    std::env::args().nth(position).and_then(|text| text.parse().ok()).unwrap_or(default)
}

fn now() -> Timestamp {
    trustnode::clock::now().expect("clock")
}

/// Builds and signs the snapshot after `previous` of `source`.
fn sign_next(
    source: &RegistrySource,
    previous: Option<&CanonicalSnapshot>,
    key: &SigningKey,
) -> (CanonicalSnapshot, String) {
    let issued = now();
    let next_update = issued.checked_add_seconds(86_400).expect("a day later");
    let snapshot = CanonicalSnapshot::build(source, previous, issued, next_update).expect("snapshot");
    let jws = snapshot.sign(key, &key.did_key_url().expect("kid")).expect("signature");
    (snapshot, jws)
}

#[tokio::main]
async fn main() {
    let (subscribers, rounds, statements) = (arg(1, 1000), arg(2, 5), arg(3, 1000));
    let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let authority = key.did_key().expect("did:key");
    let mut source = RegistrySource::init(&authority, "Fan-out board", None).expect("source");
    for n in 0..statements {
        let entity = format!("did:web:school{n}.example");
        source
            .upsert_entity(&entity, EntityMetadata { name: format!("School {n}"), ..Default::default() })
            .expect("entity");
        let terms = NewStatement {
            kind: StatementKind::Authorization,
            entity_id: entity,
            action: "issue".into(),
            resource: "OpenBadgeCredential".into(),
            valid_from: now(),
            valid_until: None,
        };
        source.add_statement(terms).expect("statement");
    }
    let registry = tempfile::tempdir().expect("temp dir");
    let directory = RegistryDir::new(registry.path());
    directory.write_source(&source.to_json().expect("json")).expect("source file");
    let (first, jws) = sign_next(&source, None, &key);
    directory.snapshots().write(1, first.bytes(), &jws).expect("snapshot 1");

    let data = tempfile::tempdir().expect("temp dir");
    let mut config = Config::load(None, Vec::<(String, String)>::new()).expect("default config");
    config.server.data_dir = data.path().to_owned();
    config.server.listen = "127.0.0.1:0".parse().expect("address");
    config.registries = vec![RegistryConfig::Source(registry.path().to_owned())];
    config.publishing.enabled = true;
    config.feed.max_subscribers = subscribers.max(1);
    let state = Arc::new(trustnode::node::open(config.clone()).await.expect("node opens"));
    trustnode::node::start_background(&state);
    let listener = tokio::net::TcpListener::bind(config.server.listen).await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let router = trustnode::http::router(state.clone());
    let limits = trustnode::http::ConnectionLimits::from_config(&config.server);
    tokio::spawn(trustnode::http::serve(listener, router, std::future::pending(), limits));

    let feed = format!("http://{addr}/registries/{}/changes?since=1", encode(&authority));
    let opened = Instant::now();
    let mut streams = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        // A client of its own per stream: one TCP connection each, as separate subscribers would have.
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let request = Request::get(&feed).header("accept", "text/event-stream").body(Empty::new()).expect("request");
        streams.push(tokio::spawn(async move { client.request(request).await }));
    }
    let mut bodies = Vec::with_capacity(subscribers);
    for stream in streams {
        let response = stream.await.expect("task").expect("stream opens");
        assert_eq!(response.status(), 200, "a stream was refused");
        bodies.push(response.into_body());
    }
    println!("{subscribers} SSE subscribers connected in {:.0} ms", opened.elapsed().as_secs_f64() * 1000.0);

    // Each subscriber reads its stream and reports when each event id arrives whole.
    let (arrivals_in, mut arrivals) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    for mut body in bodies {
        let arrivals_in = arrivals_in.clone();
        tokio::spawn(async move {
            let mut pending = Vec::new();
            while let Some(Ok(frame)) = body.frame().await {
                let Ok(data) = frame.into_data() else { continue };
                pending.extend_from_slice(&data);
                while let Some(end) = pending.windows(2).position(|pair| pair == b"\n\n") {
                    let block: Vec<u8> = pending.drain(..end + 2).collect();
                    let text = String::from_utf8_lossy(&block);
                    if let Some(id) = text.lines().find_map(|line| line.strip_prefix("id: ")) {
                        let _ = arrivals_in.send((id.parse().unwrap_or(0), Instant::now()));
                    }
                }
            }
        });
    }
    drop(arrivals_in);

    let publisher = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut previous = first;
    for round in 0..rounds {
        let statement = format!("s{}", round + 1);
        source.change_status(&statement, Status::Suspended, now(), "fan-out measurement").expect("suspend");
        let (next, jws) = sign_next(&source, Some(&previous), &key);
        let sequence = next.snapshot().sequence;
        let url = format!("http://{addr}/registries/{}/snapshots/{sequence}", encode(&authority));
        let request = Request::put(&url)
            .header("content-type", "application/json")
            .header(SNAPSHOT_JWS_HEADER, &jws)
            .body(Full::new(Bytes::copy_from_slice(next.bytes())))
            .expect("request");
        let started = Instant::now();
        let reply = publisher.request(request).await.expect("publish");
        let answered = started.elapsed();
        assert_eq!(reply.status(), 201, "publish refused");
        let mut delays = Vec::with_capacity(subscribers);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while delays.len() < subscribers {
            match tokio::time::timeout_at(deadline, arrivals.recv()).await {
                Ok(Some((id, at))) if id == sequence => delays.push(at.saturating_duration_since(started)),
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        delays.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let percentile = |p: usize| delays.get((delays.len() * p / 100).min(delays.len().saturating_sub(1))).copied();
        println!(
            "round {}: snapshot {sequence} delivered to {}/{subscribers} in {:.1} ms (median {:.1} ms, p99 {:.1} ms; \
             the PUT answered in {:.1} ms)",
            round + 1,
            delays.len(),
            ms(delays.last().copied().unwrap_or_default()),
            ms(percentile(50).unwrap_or_default()),
            ms(percentile(99).unwrap_or_default()),
            ms(answered),
        );
        previous = next;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
