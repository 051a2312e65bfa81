//! The HTTP edge: the router, request limits, and the server loop with graceful shutdown.
//!
//! Handlers are thin (parse, call the core, map the result); limits are applied here once for every route:
//! a bounded body, a per-request timeout and a concurrency cap that answers 503 instead of queueing or dropping
//! connections.

pub mod admin;
pub mod discovery;
pub mod explorer;
pub mod federation;
pub mod health;
pub mod identifiers;
pub mod identity;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod problem;
pub mod registries;
pub mod tls;
pub mod trqp;

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, Method as HttpMethod, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post, MethodRouter};
use axum::{BoxError, Router};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;
use tower_http::cors::{Any, CorsLayer};

use crate::config::Config;
use crate::hosting::Registries;
use crate::resolver::Resolver;
use problem::Problem;

/// What every handler can reach.
#[derive(Debug)]
pub struct AppState {
    /// The node configuration.
    pub config: Config,
    /// The DID resolver.
    pub resolver: Resolver,
    /// The hosted trust registries.
    pub registries: Registries,
    /// Metrics; other parts of the node register their families here.
    pub metrics: metrics::Metrics,
    /// Readiness conditions; other parts of the node add theirs here.
    pub readiness: health::Readiness,
    /// The mirrored registries' pollers and status.
    pub mirrors: crate::mirror::Mirrors,
    /// The node's own DID and signing key.
    pub identity: crate::identity::NodeIdentity,
}

/// Every route the node serves: the path template and its handlers. The router, the metrics' route labels and the
/// OpenAPI coverage test all read this one table; add new routes here (and to `openapi.json`). Publishing accepts
/// snapshots up to `max_snapshot_bytes`, above the general body limit.
pub fn routes(max_snapshot_bytes: usize) -> Vec<(&'static str, MethodRouter<Arc<AppState>>)> {
    vec![
        ("/", get(explorer::page)),
        ("/explorer.js", get(explorer::script)),
        ("/explorer.css", get(explorer::style)),
        ("/1.0/identifiers", get(identifiers::empty).post(identifiers::empty)),
        ("/1.0/identifiers/", get(identifiers::empty).post(identifiers::empty)),
        ("/1.0/identifiers/{*id}", get(identifiers::get).post(identifiers::post)),
        ("/1.0/methods", get(discovery::methods)),
        ("/1.0/testIdentifiers", get(discovery::test_identifiers)),
        ("/1.0/traits", get(discovery::traits)),
        ("/1.0/properties", get(discovery::properties)),
        ("/1.0/cache", get(admin::cache_stats).delete(admin::purge_all)),
        ("/1.0/cache/{*did}", delete(admin::purge_one)),
        ("/healthz", get(discovery::healthz)),
        ("/readyz", get(health::readyz)),
        ("/metrics", get(metrics_handler)),
        ("/openapi.json", get(openapi::document)),
        ("/registries", get(registries::list)),
        (
            "/registries/{authority_id}/snapshots/{sequence}",
            get(registries::get_snapshot)
                .put(registries::put_snapshot)
                .layer(DefaultBodyLimit::max(max_snapshot_bytes)),
        ),
        ("/registries/{authority_id}/status", get(registries::status)),
        ("/registries/{authority_id}/entities", get(registries::list_entities)),
        ("/registries/{authority_id}/entities/{entity_id}", get(registries::get_entity)),
        ("/registries/{authority_id}/.well-known/openid-federation", get(federation::entity_configuration)),
        ("/registries/{authority_id}/federation/fetch", get(federation::fetch)),
        ("/registries/{authority_id}/federation/list", get(federation::list)),
        ("/registries/{authority_id}/registry.json", get(federation::legacy)),
        ("/authorization", post(trqp::authorization)),
        ("/recognition", post(trqp::recognition)),
        ("/metadata", get(trqp::metadata)),
        ("/.well-known/did.json", get(identity::did_document)),
        ("/node", get(identity::node)),
    ]
}

/// The path templates of [`routes`].
pub fn route_templates() -> Vec<&'static str> {
    routes(0).into_iter().map(|(template, _)| template).collect()
}

/// The node's router with every route and limit in place.
pub fn router(state: Arc<AppState>) -> Router {
    let server = &state.config.server;
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            HttpMethod::GET,
            HttpMethod::POST,
            HttpMethod::PUT,
            HttpMethod::DELETE,
            HttpMethod::HEAD,
            HttpMethod::OPTIONS,
        ])
        .allow_headers(Any)
        .expose_headers([
            header::LOCATION,
            header::RETRY_AFTER,
            header::ETAG,
            header::HeaderName::from_static(registries::JWS_HEADER),
            observe::REQUEST_ID.clone(),
        ]);
    // Every route gets the whole stack, outermost first, as one layer of its own: the observer then knows the
    // route's template without matching again, and one layer costs one boxed service per request, not one per
    // `Router::layer` call. The concurrency cap is one semaphore shared by every route: it bounds the node.
    let observer = observe::Observer::new(state.clone());
    let concurrency = GlobalConcurrencyLimitLayer::new(server.max_concurrent_requests);
    let stack = |template: &'static str| {
        ServiceBuilder::new()
            .layer(observer.layer(template))
            .layer(cors.clone())
            .layer(HandleErrorLayer::new(limit_error))
            .load_shed()
            .layer(concurrency.clone())
            .timeout(Duration::from_millis(server.request_timeout_ms))
            .layer(DefaultBodyLimit::max(server.max_body_bytes))
    };
    routes(state.config.publishing.max_snapshot_bytes)
        .into_iter()
        .fold(Router::new(), |router, (template, handlers)| router.route(template, handlers.layer(stack(template))))
        .fallback_service(any(not_found).layer(stack(metrics::UNMATCHED_ROUTE)))
        .with_state(state)
}

/// `GET /metrics`: Prometheus text exposition.
async fn metrics_handler(axum::extract::State(state): axum::extract::State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], state.metrics.render(&state)).into_response()
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "no-such-route", "no endpoint at this path; see the README for the API")
}

async fn limit_error(error: BoxError) -> Response {
    if error.is::<tower::timeout::error::Elapsed>() {
        Problem::unavailable("request-timeout", "the request took longer than the node's per-request timeout")
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        Problem::unavailable("overloaded", "the node is handling as many requests as it allows; retry shortly")
    } else {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("unhandled error: {error}"))
    }
    .into_response()
}

/// Serves `router` on `listener` (a `tokio::net::TcpListener`, or a [`tls::TlsListener`]) until `shutdown`
/// completes, then lets in-flight requests finish for up to `grace` before returning.
pub async fn serve<L>(
    listener: L,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping_tx.send(());
    });
    let server = server.into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result,
        _ = stopping_rx => {}
    }
    match tokio::time::timeout(grace, server).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(grace_s = grace.as_secs(), "in-flight requests did not finish within the grace period");
            Ok(())
        }
    }
}
