//! In-process cost of answering one request per route, through the node's whole router and middleware (but not
//! hyper's connection handling or the kernel): `/healthz` as the floor, did:key and did:jwk with and without the
//! answer cache, and TRQP `/authorization` on the example registry. `bench/scripts/load` measures the same over HTTP.
//!
//! Run: `cargo bench -p trustnode-bench --bench http`.

use std::hint::black_box;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use tower::ServiceExt;
use trustnode::config::{Config, RegistryConfig};

const ED25519: &str = "/1.0/identifiers/did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const JWK: &str = "/1.0/identifiers/did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9";
/// The example registry the embedded configuration hosts, named from this package: benches run in their package's
/// directory, and the configuration's relative `registry/example` is taken from the working directory.
const EXAMPLE_REGISTRY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../registry/example");
const QUESTION: &str = r#"{"entity_id":"did:web:registrar.northlake.example.edu","authority_id":"did:key:z6MkvhPkGtv3JEtWXMVDW9vMCJYQR9QbadQUMGpYLexsj29Z","action":"issue","resource":"ClrCredential"}"#;

fn node(runtime: &tokio::runtime::Runtime, data_dir: &std::path::Path, answer_slots: usize) -> Router {
    let mut config = Config::load(None, Vec::new()).expect("embedded configuration");
    config.server.data_dir = data_dir.to_owned();
    config.resolver.answer_slots = answer_slots;
    config.registries = vec![RegistryConfig::Source(EXAMPLE_REGISTRY.into())];
    let state = runtime.block_on(trustnode::node::open(config)).expect("node opens");
    trustnode::http::router(Arc::new(state))
}

fn send(runtime: &tokio::runtime::Runtime, router: &Router, request: Request<Body>) -> usize {
    runtime.block_on(async {
        let response = router.clone().oneshot(request).await.expect("infallible router");
        assert!(response.status().is_success(), "{}", response.status());
        response.into_body().collect().await.expect("body").to_bytes().len()
    })
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

fn routes(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let data = tempfile::tempdir().expect("temporary directory");
    let cached = node(&runtime, &data.path().join("cached"), 1024);
    let uncached = node(&runtime, &data.path().join("uncached"), 0);
    c.bench_function("http /healthz", |b| b.iter(|| black_box(send(&runtime, &cached, get("/healthz")))));
    for (name, router) in [("answer cache", &cached), ("no answer cache", &uncached)] {
        c.bench_function(&format!("http did:key Ed25519 ({name})"), |b| {
            b.iter(|| black_box(send(&runtime, router, get(ED25519))))
        });
        c.bench_function(&format!("http did:jwk P-256 ({name})"), |b| {
            b.iter(|| black_box(send(&runtime, router, get(JWK))))
        });
    }
    c.bench_function("http TRQP /authorization", |b| {
        b.iter(|| {
            let request = Request::post("/authorization")
                .header("content-type", "application/json")
                .body(Body::from(QUESTION))
                .expect("request");
            black_box(send(&runtime, &cached, request))
        })
    });
}

criterion_group!(benches, routes);
criterion_main!(benches);
