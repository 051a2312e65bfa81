//! The did:web settings an operator chooses (`[web]` and `[cache]` in the node's configuration): fetch bounds (of
//! DID documents and of status list credentials), the SSRF guard's exceptions, and the caches' lifetimes. Plain
//! data, read by the fetcher and the caches.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;

/// `[web]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Whole-fetch timeout in milliseconds.
    pub timeout_ms: u64,
    /// Connect + TLS timeout in milliseconds.
    pub connect_timeout_ms: u64,
    /// Largest document in bytes.
    pub max_document_bytes: usize,
    /// Fetches in progress at once to one origin.
    pub max_fetches_per_origin: usize,
    /// Extra CA PEM file; empty for none.
    pub extra_ca_file: String,
    /// Lets the SSRF guard pass loopback/private targets.
    pub allow_private_addresses: bool,
    /// Host name → address pins.
    pub host_overrides: BTreeMap<String, IpAddr>,
    /// Largest status list credential in bytes.
    pub max_status_list_bytes: usize,
    /// Most status list credentials kept in their cache.
    pub max_status_lists: usize,
    /// Largest did:webvh log (and witness file) in bytes.
    pub max_webvh_log_bytes: usize,
    /// Most entries a did:webvh log may have.
    pub max_webvh_log_entries: usize,
}

/// `[cache]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// TTL without Cache-Control, seconds.
    pub default_ttl_s: u64,
    /// Lower TTL bound, seconds.
    pub min_ttl_s: u64,
    /// Upper TTL bound, seconds.
    pub max_ttl_s: u64,
    /// Stale-if-error window past expiry, seconds.
    pub max_stale_s: u64,
    /// TTL of cached NOT_FOUND answers, seconds.
    pub negative_ttl_s: u64,
    /// Most entries kept.
    pub max_entries: usize,
    /// Shortest interval between two `noCache` fetches of the same DID, seconds.
    pub no_cache_min_interval_s: u64,
}
