//! The composition root: builds the node's shared state from a [`Config`] (data directory, resolver, and the
//! stores later capabilities add), starts its background tasks and closes it cleanly. Used by `serve` and by the tests that run a node
//! in-process.

use std::sync::Arc;

use crate::config::Config;
use crate::hosting::Registries;
use crate::http::health::Readiness;
use crate::http::metrics::Metrics;
use crate::http::microcache::MicroCache;
use crate::http::AppState;
use crate::identity::NodeIdentity;
use crate::mirror::Mirrors;
use crate::resolver::{Method, Resolver};
use crate::web::WebResolver;

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The data directory cannot be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The configured directory.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A hosted registry could not be opened.
    #[error(transparent)]
    Registries(#[from] crate::hosting::HostingError),
    /// The did:web resolver (TLS roots, DNS, cache) could not be set up.
    #[error(transparent)]
    Web(#[from] crate::web::WebSetupError),
    /// The node's own key or DID is unusable.
    #[error(transparent)]
    Identity(#[from] crate::identity::IdentityError),
}

/// Opens everything the node serves from.
pub async fn open(config: Config) -> Result<AppState, NodeError> {
    let resolver = open_resolver(&config)?;
    let identity = NodeIdentity::load(&config.node, &config.server.data_dir)?;
    identity.check_published(&resolver).await?;
    tracing::info!(did = identity.did(), "node identity");
    let registries = Registries::open(&config.registries, &config.server.data_dir, &resolver).await?;
    let metrics = Metrics::new();
    let readiness = Readiness::default();
    let mirrors = Mirrors::new(&config, &registries, &metrics, &readiness);
    let answers = MicroCache::new(config.resolver.answer_slots);
    let trqp_answers = MicroCache::new(config.trqp.answer_slots);
    Ok(AppState { resolver, registries, config, metrics, readiness, mirrors, identity, answers, trqp_answers })
}

/// Only the resolver, for commands that verify or resolve without being a node (no node key is created).
pub fn open_resolver(config: &Config) -> Result<Resolver, NodeError> {
    let data_dir = &config.server.data_dir;
    std::fs::create_dir_all(data_dir).map_err(|source| NodeError::DataDir { path: data_dir.clone(), source })?;
    let methods: Vec<Method> = config.resolver.methods.iter().filter_map(|name| Method::from_name(name)).collect();
    let web = if methods.contains(&Method::Web) {
        Some(WebResolver::open(&config.web, &config.cache, data_dir)?)
    } else {
        None
    };
    Ok(Resolver::new(methods, web, config.resolver.memo_entries))
}

/// Starts the node's background work (the mirrors' polling); it stops when the last reference to `state` is
/// dropped.
pub fn start_background(state: &Arc<AppState>) {
    state.mirrors.start(Arc::downgrade(state));
}

/// Flushes what must survive a restart. Called once after the server has stopped.
pub fn close(state: &AppState) {
    close_resolver(&state.resolver);
}

/// Flushes the resolver's did:web cache.
pub fn close_resolver(resolver: &Resolver) {
    if let Some(web) = resolver.web() {
        if let Err(error) = web.flush() {
            tracing::warn!(%error, "the did:web cache could not be flushed; recent entries may be refetched");
        }
    }
}
