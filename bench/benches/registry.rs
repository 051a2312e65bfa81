//! Registry core at scale: build + sign a generated registry, parse + verify + index it, answer one question, and
//! answer it over the node's router (in-process, no socket) with and without a proof (`context.proof`).
//!
//! `REGISTRY_BENCH_STATEMENTS` sets the size (default 100,000). Before the criterion runs, one timed pass of each
//! phase is printed with the heap it holds (counted by a wrapping allocator), which is how the 1,000,000-statement
//! figures are taken:
//! `REGISTRY_BENCH_STATEMENTS=1000000 cargo bench -p trustnode-bench --bench registry -- evaluate`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt as _;
use rand_core::OsRng;
use serde_json::{json, Value};
use tower::ServiceExt as _;
use trustnode::config::{Config, RegistryConfig};
use trustnode::store::RegistryDir;
use trustnode_registry::evaluate::{Query, RegistryIndex};
use trustnode_registry::jws::{SigningKey, SigningKeyType};
use trustnode_registry::model::{
    EntityMetadata, RegistrySource, Statement, StatementKind, Status, StatusChange, Timestamp,
};
use trustnode_registry::proof::{HeaderPlacement, ProofWriter};
use trustnode_registry::snapshot::CanonicalSnapshot;

const RESOURCES: [&str; 5] = ["OpenBadgeCredential", "AchievementCredential", "ClrCredential", "Degree", "Certificate"];

/// The system allocator, counting live bytes and their high-water mark.
struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn megabytes(bytes: usize) -> usize {
    bytes / 1_000_000
}

/// Starts a new high-water mark from the current live heap.
fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

fn statement_count() -> usize {
    std::env::var("REGISTRY_BENCH_STATEMENTS").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000)
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(seconds).expect("in range")
}

/// `count` statements over `count / 5` entities, one in ten with a suspension and reinstatement, one in fifty revoked.
fn generate(authority: &str, count: usize) -> RegistrySource {
    let mut source =
        RegistrySource::init(authority, "Benchmark board", Some("https://board.example/gf")).expect("valid");
    let start = 1_700_000_000;
    for n in 0..count {
        let entity_id = format!("did:web:school{}.example", n / RESOURCES.len());
        if n % RESOURCES.len() == 0 {
            let metadata = EntityMetadata {
                name: format!("School {}", n / RESOURCES.len()),
                homepage: Some(format!("https://school{}.example/", n / RESOURCES.len())),
                ..Default::default()
            };
            source.entities.insert(entity_id.clone(), metadata);
        }
        let mut history = vec![StatusChange { reason: None, since: at(start), status: Status::Active }];
        if n % 10 == 0 {
            history.push(StatusChange {
                reason: Some("audit".into()),
                since: at(start + 1000),
                status: Status::Suspended,
            });
            history.push(StatusChange {
                reason: Some("audit passed".into()),
                since: at(start + 2000),
                status: Status::Active,
            });
        }
        if n % 50 == 0 {
            history.push(StatusChange {
                reason: Some("closed".into()),
                since: at(start + 3000),
                status: Status::Revoked,
            });
        }
        source.statements.push(Statement {
            id: format!("s{}", n + 1),
            kind: StatementKind::Authorization,
            entity_id,
            action: "issue".into(),
            max_depth: None,
            resource: RESOURCES[n % RESOURCES.len()].into(),
            valid_from: at(start),
            valid_until: Some(at(start + 100_000_000)),
            history,
        });
    }
    source
}

fn document(key: &SigningKey) -> Value {
    json!({"id": key.did_key().expect("did:key"), "assertionMethod": [{"id": key.did_key_url().expect("kid"), "publicKeyMultibase": key.public_key().to_did_key().expect("key").to_multibase()}]})
}

fn one_timed_pass(count: usize) {
    let key = SigningKey::generate(SigningKeyType::Ed25519, &mut OsRng);
    let started = Instant::now();
    let source = generate(&key.did_key().expect("did:key"), count);
    let generated = started.elapsed();
    let started = Instant::now();
    let snapshot = CanonicalSnapshot::build(&source, None, at(1_800_000_000), at(1_800_086_400)).expect("builds");
    let built = started.elapsed();
    let jws = snapshot.sign(&key, &key.did_key_url().expect("kid")).expect("signs");
    let signed = started.elapsed();
    let bytes = snapshot.bytes().to_vec();
    drop((source, snapshot));
    println!(
        "{count} statements: generate {generated:.2?}; build {built:.2?}; build+sign {signed:.2?}; {} MB",
        bytes.len() / 1_000_000
    );
    let before = LIVE.load(Ordering::Relaxed);
    reset_peak();
    let started = Instant::now();
    let parsed = CanonicalSnapshot::parse(bytes).expect("parses");
    let parse = started.elapsed();
    parsed.verify_signature(&jws, &document(&key)).expect("verifies");
    let verified = started.elapsed();
    let canonical_bytes = parsed.bytes().len();
    let index = RegistryIndex::new(parsed);
    let indexed = started.elapsed();
    println!("parse {parse:.2?}; parse+verify {verified:.2?}; parse+verify+index {indexed:.2?}");
    let peak = megabytes(PEAK.load(Ordering::Relaxed) - before);
    let input = megabytes(before);
    let held = megabytes(LIVE.load(Ordering::Relaxed));
    println!(
        "heap: {input} MB before load (the file), {held} MB held by the loaded index, peak while loading +{peak} MB"
    );
    println!(
        "  the index drops the {} MB of canonical bytes (a server serves them from the file)",
        megabytes(canonical_bytes)
    );
    black_box(index);
}

fn benches(c: &mut Criterion) {
    let count = statement_count();
    one_timed_pass(count);
    let key = SigningKey::generate(SigningKeyType::P256, &mut OsRng);
    let source = generate(&key.did_key().expect("did:key"), count);
    let mut group = c.benchmark_group(format!("registry_{count}"));
    group.sample_size(10);
    group.bench_function("build_and_sign_p256", |b| {
        b.iter(|| {
            let snapshot =
                CanonicalSnapshot::build(&source, None, at(1_800_000_000), at(1_800_086_400)).expect("builds");
            snapshot.sign(&key, &key.did_key_url().expect("kid")).expect("signs")
        })
    });
    let snapshot = CanonicalSnapshot::build(&source, None, at(1_800_000_000), at(1_800_086_400)).expect("builds");
    let jws = snapshot.sign(&key, &key.did_key_url().expect("kid")).expect("signs");
    let doc = document(&key);
    group.bench_function("parse_verify_index", |b| {
        b.iter(|| {
            let parsed = CanonicalSnapshot::parse(snapshot.bytes().to_vec()).expect("parses");
            parsed.verify_signature(&jws, &doc).expect("verifies");
            RegistryIndex::new(parsed)
        })
    });
    group.finish();

    let index = RegistryIndex::new(snapshot);
    let entity = format!("did:web:school{}.example", count / RESOURCES.len() / 2);
    let query = Query {
        kind: StatementKind::Authorization,
        entity_id: &entity,
        action: "issue",
        resource: "Degree",
        at: at(1_750_000_000),
    };
    c.bench_function("evaluate", |b| b.iter(|| black_box(index.evaluate(black_box(&query))).granted()));
    let position = index.evaluate(&query).statement_index.expect("granted");
    let proofs = ProofWriter::new(index.snapshot(), &jws);
    c.bench_function("write_proof_link", |b| {
        b.iter(|| {
            let mut body = Vec::with_capacity(4096);
            proofs
                .write_link(index.snapshot(), black_box(position), HeaderPlacement::Inline, &mut body)
                .expect("proves");
            body
        })
    });
    drop(index);
    bench_answers(c, &source, &key);
}

/// `POST /authorization` through the node's router for a granted question, without and with a proof.
fn bench_answers(c: &mut Criterion, source: &RegistrySource, key: &SigningKey) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let registry_dir = tempfile::tempdir().expect("temp dir");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let snapshot = CanonicalSnapshot::build(source, None, at(1_800_000_000), at(1_800_086_400)).expect("builds");
    let jws = snapshot.sign(key, &key.did_key_url().expect("kid")).expect("signs");
    let directory = RegistryDir::new(registry_dir.path());
    directory.write_source(&source.to_json().expect("source")).expect("writes");
    directory.snapshots().write(1, snapshot.bytes(), &jws).expect("writes");
    drop(snapshot);
    let mut config = Config::load(None, Vec::<(String, String)>::new()).expect("default config");
    config.server.data_dir = data_dir.path().to_owned();
    config.registries = vec![RegistryConfig::Source(registry_dir.path().to_owned())];
    let state = Arc::new(runtime.block_on(trustnode::node::open(config)).expect("node opens"));
    let router = trustnode::http::router(state);
    let entity = format!("did:web:school{}.example", statement_count() / RESOURCES.len() / 2);
    let question = |proof: bool| {
        json!({
            "entity_id": entity, "authority_id": source.authority_id, "action": "issue", "resource": "Degree",
            "context": {"time": "2025-06-01T00:00:00Z", "proof": proof},
        })
        .to_string()
    };
    let answer = |body: &str| {
        let request = Request::post("/authorization")
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .expect("request");
        runtime.block_on(async {
            let response = router.clone().oneshot(request).await.expect("answer");
            assert_eq!(response.status(), 200);
            response.into_body().collect().await.expect("body").to_bytes()
        })
    };
    for proof in [false, true] {
        let body = answer(&question(proof));
        let parsed: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(parsed["authorized"], true, "{parsed}");
        println!("answer with proof={proof}: {} bytes", body.len());
    }
    let mut group = c.benchmark_group("authorization_answer");
    for proof in [false, true] {
        let body = question(proof);
        group.bench_function(if proof { "with_proof" } else { "without_proof" }, |b| b.iter(|| answer(&body)));
    }
    group.finish();
}

criterion_group!(registry, benches);
criterion_main!(registry);
