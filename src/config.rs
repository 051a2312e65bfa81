//! Node configuration: the embedded default file, an optional file of overrides, and `TRUSTNODE_*` environment
//! variables, merged into one typed [`Config`].
//!
//! Loading reads files and the environment but does nothing else; validation of values happens here so that the
//! rest of the node can take a `Config` as correct.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use trustnode_resolver::web::settings::{CacheConfig, WebConfig};

/// The default configuration, compiled in. The same text as `config/trustnode.toml`.
pub(crate) const DEFAULT_CONFIG: &str = include_str!("../config/trustnode.toml");

/// Prefix of the environment variables that override settings.
pub(crate) const ENV_PREFIX: &str = "TRUSTNODE_";

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file named with `--config`.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The text is not valid TOML, or a setting has the wrong type or an unknown name.
    #[error("invalid configuration in {origin}: {message}")]
    Parse {
        /// Where the text came from: a file path, "defaults" or "environment".
        origin: String,
        /// What the parser said.
        message: String,
    },
    /// A setting has a value the node cannot use.
    #[error("invalid setting {setting}: {message}")]
    Invalid {
        /// `section.key` of the setting.
        setting: &'static str,
        /// Why the value cannot be used.
        message: String,
    },
}

/// The whole node configuration. Field documentation lives in `config/trustnode.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP server settings.
    pub server: ServerConfig,
    /// Which methods are resolved.
    pub resolver: ResolverConfig,
    /// did:web fetching.
    pub web: WebConfig,
    /// did:web cache.
    pub cache: CacheConfig,
    /// Admin endpoints.
    pub admin: AdminConfig,
    /// Hosted registries.
    #[serde(default)]
    pub registries: Vec<RegistryConfig>,
    /// Publishing snapshots over HTTP.
    pub publishing: PublishingConfig,
    /// Polling the upstreams of mirrored registries.
    pub mirroring: MirroringConfig,
    /// TRQP query answers.
    pub trqp: TrqpConfig,
    /// Credential and presentation verification.
    pub credentials: CredentialsConfig,
    /// The node's own identity.
    pub node: NodeConfig,
    /// The registries' change feed.
    pub feed: FeedConfig,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Per-request timeout in milliseconds.
    pub request_timeout_ms: u64,
    /// Longest accepted identifier, in bytes.
    pub max_identifier_bytes: usize,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Ordinary requests processed concurrently before answering 503.
    pub max_concurrent_requests: usize,
    /// Resolutions that may wait on the network in progress before answering 503.
    pub max_concurrent_fetches: usize,
    /// Requests whose body is still arriving before answering 503.
    pub max_concurrent_uploads: usize,
    /// Slots of the upload and publish pools one client address may hold (429 beyond); 0: unlimited.
    pub max_requests_per_client: usize,
    /// Longest wait for a request body to arrive whole, in milliseconds (408 after).
    pub body_read_timeout_ms: u64,
    /// Grace period for in-flight requests at shutdown, in seconds.
    pub shutdown_grace_s: u64,
    /// Longest wait for a request head (and longest idle time of a keep-alive connection), in milliseconds.
    pub header_read_timeout_ms: u64,
    /// Longest time an HTTP/1.1 or HTTP/2 connection may stay open without a request in progress, in seconds.
    pub idle_timeout_s: u64,
    /// Largest accepted request header section (names, values and separators), in bytes; larger ones get 431.
    pub max_header_bytes: usize,
    /// Which requests get an access log line.
    pub access_log: AccessLog,
    /// PEM certificate chain for TLS; empty: plain HTTP.
    pub tls_cert_file: String,
    /// PEM private key for TLS; empty: plain HTTP.
    pub tls_key_file: String,
    /// The node's public base URL (`https://host[:port]`), used where it names itself in signed documents; empty:
    /// taken from each request's `Host`, and only on a loopback listener.
    pub public_url: String,
}

impl ServerConfig {
    /// True when only this host can reach the listener (127.0.0.0/8 or ::1): the development set-up, where the
    /// node may trust what a request says about its own address.
    pub(crate) fn listens_on_loopback(&self) -> bool {
        self.listen.ip().is_loopback()
    }
}

/// `server.access_log`: which requests are logged (target `trustnode::access`, level info).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLog {
    /// No access log.
    Off,
    /// Only requests answered with a 5xx status.
    Errors,
    /// Every request.
    All,
}

/// `[resolver]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolverConfig {
    /// Enabled DID methods.
    pub methods: Vec<String>,
    /// Computed did:key/did:jwk documents kept in memory; 0 disables the memo.
    pub memo_entries: u64,
    /// Slots of the cache of rendered answers reused within their second; 0 disables it.
    pub answer_slots: usize,
    /// Most identifiers in one batch request (`POST /1.0/identifiers`); more get 413.
    pub max_batch: usize,
    /// Most identifiers of one batch resolved at once.
    pub batch_concurrency: usize,
}

/// `[admin]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Bearer token; empty disables the admin endpoints.
    pub token: String,
}

/// One `[[registries]]` entry: a registry hosted from a governance body's directory, or mirrored from another node.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RegistryEntry")]
pub enum RegistryConfig {
    /// `source = DIR`: a directory made by `trustnode registry init`.
    Source(PathBuf),
    /// `authority = DID` and `upstream = URL`: snapshots are fetched from the node at `upstream` and verified.
    Mirror {
        /// The authority's DID.
        authority: String,
        /// Base URL of a node serving the registry (`https://host[:port]`, or `http://` with
        /// `mirroring.allow_http`; no trailing path).
        upstream: String,
    },
}

/// A `[[registries]]` table as written, before checking that it has exactly one of the two forms.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryEntry {
    source: Option<PathBuf>,
    authority: Option<String>,
    upstream: Option<String>,
}

impl TryFrom<RegistryEntry> for RegistryConfig {
    type Error = String;

    fn try_from(entry: RegistryEntry) -> Result<RegistryConfig, String> {
        match (entry.source, entry.authority, entry.upstream) {
            (Some(source), None, None) => Ok(RegistryConfig::Source(source)),
            (None, Some(authority), Some(upstream)) => {
                if !authority.starts_with("did:") {
                    return Err(format!("[[registries]] authority {authority:?} is not a DID"));
                }
                let origin = upstream.strip_prefix("https://").or_else(|| upstream.strip_prefix("http://"));
                let origin = origin.unwrap_or_default();
                if origin.is_empty() || origin.contains(['/', '?', '#', '@']) {
                    return Err(format!(
                        "[[registries]] upstream {upstream:?} must be a base URL https://host[:port] without a path \
                         (http:// only with mirroring.allow_http)"
                    ));
                }
                Ok(RegistryConfig::Mirror { authority, upstream })
            }
            _ => Err("each [[registries]] entry needs either `source`, or both `authority` and `upstream`".into()),
        }
    }
}

/// `[mirroring]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirroringConfig {
    /// Seconds between two polls of an upstream (sooner when the served snapshot's `next_update` passes).
    pub poll_interval_s: u64,
    /// Whole-request timeout of one upstream fetch (connect, headers, body), in milliseconds.
    pub request_timeout_ms: u64,
    /// Admits plain `http://` upstreams; without it only `https://` ones are accepted.
    pub allow_http: bool,
    /// Extra CA PEM file trusted for `https://` upstreams besides the Mozilla roots; empty for none.
    pub extra_ca_file: String,
    /// Lets the SSRF guard pass loopback and private upstream addresses.
    pub allow_private_addresses: bool,
    /// Host name → address pins for upstreams.
    pub host_overrides: BTreeMap<String, IpAddr>,
    /// Follow each upstream's change feed (rebuilding snapshots from its events) instead of fetching every
    /// snapshot whole; whole snapshots stay the fallback.
    pub follow_feed: bool,
    /// How long one feed request may be held by the upstream waiting for a publish (its `wait=`), in seconds; at
    /// most the upstream's `feed.max_wait_s`.
    pub feed_wait_s: u64,
}

/// `[publishing]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishingConfig {
    /// Whether this node accepts snapshots over HTTP at all; off by default.
    pub enabled: bool,
    /// The authorities whose registries accept snapshots when `enabled`; empty: every hosted registry.
    pub authorities: Vec<String>,
    /// Largest snapshot accepted by `PUT /registries/{authority}/snapshots/{sequence}`, in bytes.
    pub max_snapshot_bytes: usize,
    /// Publishes in progress at once (503 beyond, before the body is read).
    pub max_concurrent: usize,
}

impl PublishingConfig {
    /// Whether a snapshot of `authority_id` may be published here. Decided from the configuration alone, so a
    /// `PUT` can be refused before its body is read.
    pub(crate) fn accepts(&self, authority_id: &str) -> bool {
        self.enabled && (self.authorities.is_empty() || self.authorities.iter().any(|listed| listed == authority_id))
    }
}

/// `[trqp]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrqpConfig {
    /// Answer unknown authorities, entities, actions and resources with 200 and a negative answer instead of 404.
    pub hide_unknown: bool,
    /// Slots of the microcache of answers reused within their second; 0 disables it.
    pub answer_slots: usize,
    /// Queries one batch (`POST /authorization/batch`, `/recognition/batch`) may hold; more get 413.
    pub max_batch: usize,
}

/// `[feed]`: the bounds of the change feed (`GET /registries/{authority}/changes`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// Most events in one JSON answer (and the default `limit`).
    pub max_page: usize,
    /// Longest `wait=` a long-poll may ask, in seconds.
    pub max_wait_s: u64,
    /// Long-polls waiting at once; each holds an ordinary request slot while it waits.
    pub max_waiting: usize,
    /// SSE streams open at once, over all registries.
    pub max_subscribers: usize,
    /// Seconds between heartbeat comments on an SSE stream with nothing to send.
    pub heartbeat_s: u64,
    /// Most statement changes one event lists; a snapshot changing more is refused (422 `event-too-large`).
    pub max_event_changes: usize,
    /// Longest one webhook delivery attempt may take (connect, TLS, request, answer), in milliseconds.
    pub webhook_timeout_ms: u64,
    /// Delay before the first retry of a failed delivery, in milliseconds; each further retry doubles it.
    pub webhook_retry_min_ms: u64,
    /// Longest delay between two attempts, in milliseconds.
    pub webhook_retry_max_ms: u64,
    /// Subscribers each event is pushed to (`[[feed.webhooks]]`).
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
}

/// One `[[feed.webhooks]]` subscriber: where a registry's events are POSTed, which of them, and the shared secret
/// that authenticates them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The subscriber's name: its metrics label and the name of the file keeping its position.
    pub name: String,
    /// Where events are POSTed: `https://host[:port][/path]` (`http://` only with `web.allow_private_addresses`).
    pub url: String,
    /// The DID of the hosted registry whose events are sent.
    pub authority: String,
    /// Only changes about this entity DID.
    pub entity: Option<String>,
    /// Only changes with this action.
    pub action: Option<String>,
    /// Only changes with this resource.
    pub resource: Option<String>,
    /// The HMAC secret, inline.
    pub secret: Option<Secret>,
    /// A file holding the HMAC secret (trailing line breaks ignored), so it need not sit in the main file.
    pub secret_file: Option<PathBuf>,
}

/// A secret from the configuration; never printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// Fewest bytes a webhook secret may have: 128 bits of a random secret, as hex or base64 text.
pub const MIN_SECRET_BYTES: usize = 16;

impl WebhookConfig {
    /// Why this entry cannot be used, if it cannot; `allow_http` is `web.allow_private_addresses`.
    fn problem(&self, allow_http: bool) -> Option<String> {
        let name = &self.name;
        let named = name.len() <= 64
            && !name.is_empty()
            && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte))
            && !name.starts_with('.');
        if !named {
            return Some(format!("name {name:?} must be 1 to 64 of A-Z a-z 0-9 . _ - (not starting with .)"));
        }
        if !self.authority.starts_with("did:") {
            return Some(format!("{name}: authority {:?} is not a DID", self.authority));
        }
        if let Some(problem) = url_problem(&self.url, allow_http) {
            return Some(format!("{name}: url {:?} {problem}", self.url));
        }
        for (filter, value) in [("entity", &self.entity), ("action", &self.action), ("resource", &self.resource)] {
            if value.as_deref().is_some_and(str::is_empty) {
                return Some(format!("{name}: an empty {filter} filter matches nothing; leave it out"));
            }
        }
        match (&self.secret, &self.secret_file) {
            (Some(secret), None) if secret.bytes().len() < MIN_SECRET_BYTES => {
                Some(format!("{name}: the secret must have at least {MIN_SECRET_BYTES} bytes"))
            }
            (Some(_), None) | (None, Some(_)) => None,
            _ => Some(format!("{name}: give exactly one of secret and secret_file")),
        }
    }
}

/// What is wrong with a webhook URL: it must be https (http only when private addresses are allowed, as in a lab),
/// name its host as DNS does (IP literals are never connected to, as for did:web) unless plain http, and carry no
/// credentials or fragment.
fn url_problem(text: &str, allow_http: bool) -> Option<&'static str> {
    let Ok(url) = url::Url::parse(text) else { return Some("is not a URL") };
    match url.scheme() {
        "https" if !matches!(url.host(), Some(url::Host::Domain(_))) => {
            Some("must name its host by a DNS name: IP-literal hosts are never connected to")
        }
        "https" => None,
        "http" if allow_http => None,
        "http" => Some("is plain http, admitted only with web.allow_private_addresses (labs and tests)"),
        _ => Some("must be https"),
    }
    .or_else(|| (!url.username().is_empty() || url.password().is_some()).then_some("must not carry credentials"))
    .or_else(|| url.fragment().is_some().then_some("must not have a fragment"))
}

/// `[credentials]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsConfig {
    /// Whether the issuer must be authorized in a registry of this node.
    pub trust: TrustPolicy,
    /// Registry resources by credential type, for types a registry names differently.
    pub resources: BTreeMap<String, String>,
    /// Clock-skew tolerance applied to both ends of a validity window, in seconds.
    pub clock_skew_s: u64,
    /// Credentials verified in one request at most (a presentation's and those nested in CLRs).
    pub max_credentials: usize,
    /// JSON-LD context files the operator adds to the bundled set, by the URL they answer for.
    pub contexts: BTreeMap<String, PathBuf>,
    /// Verified proofs remembered, so a credential verified again skips canonicalization; 0 turns this off.
    pub proof_memo_entries: usize,
}

/// `credentials.trust`: what an issuer no registry authorizes means for the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustPolicy {
    /// The credential fails verification.
    Required,
    /// The verdict carries a warning.
    Warning,
    /// Registries are not asked.
    Off,
}

/// `[node]`: the identity the node signs its answers with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's DID; empty: the did:key of its key.
    pub did: String,
    /// The private key file (a `trustnode key generate` JWK); empty: a key generated in the data directory.
    pub key_file: String,
}

impl Config {
    /// Defaults, then the file at `path` (if any), then `env` (pairs of name and value, normally
    /// `std::env::vars()`): later sources override earlier ones key by key.
    pub fn load(path: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let mut merged = parse_toml(DEFAULT_CONFIG, "defaults")?;
        if let Some(path) = path {
            let text =
                std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
            let file = parse_toml(&text, &path.display().to_string())?;
            merge(&mut merged, file);
        }
        apply_env(&mut merged, env)?;
        let config: Config = toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| {
            ConfigError::Parse { origin: "merged configuration".into(), message: e.message().to_owned() }
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting, message: &str| Err(ConfigError::Invalid { setting, message: message.to_owned() });
        for method in &self.resolver.methods {
            if !matches!(method.as_str(), "key" | "jwk" | "web" | "webvh") {
                return invalid("resolver.methods", &format!("unknown method {method:?}; known: key, jwk, web, webvh"));
            }
        }
        if self.resolver.max_batch == 0 {
            return invalid("resolver.max_batch", "must be at least 1");
        }
        if self.resolver.batch_concurrency == 0 {
            return invalid("resolver.batch_concurrency", "must be at least 1");
        }
        if self.server.max_concurrent_requests == 0 {
            return invalid("server.max_concurrent_requests", "must be at least 1");
        }
        if self.server.request_timeout_ms == 0 {
            return invalid("server.request_timeout_ms", "must be at least 1");
        }
        if self.server.header_read_timeout_ms == 0 {
            return invalid("server.header_read_timeout_ms", "must be at least 1");
        }
        if self.server.idle_timeout_s == 0 {
            return invalid("server.idle_timeout_s", "must be at least 1");
        }
        if self.server.max_header_bytes == 0 {
            return invalid("server.max_header_bytes", "must be at least 1");
        }
        if self.cache.min_ttl_s > self.cache.max_ttl_s {
            return invalid("cache.min_ttl_s", "must not exceed cache.max_ttl_s");
        }
        if self.server.tls_cert_file.is_empty() != self.server.tls_key_file.is_empty() {
            return invalid("server.tls_cert_file", "TLS needs both tls_cert_file and tls_key_file, or neither");
        }
        if self.web.timeout_ms == 0 || self.web.connect_timeout_ms == 0 {
            return invalid("web.timeout_ms", "timeouts must be at least 1 ms");
        }
        if self.web.max_status_list_bytes == 0 {
            return invalid("web.max_status_list_bytes", "must be at least 1");
        }
        if self.web.max_status_lists == 0 {
            return invalid("web.max_status_lists", "must be at least 1");
        }
        if self.web.max_webvh_log_bytes == 0 {
            return invalid("web.max_webvh_log_bytes", "must be at least 1");
        }
        if self.web.max_webvh_log_entries == 0 {
            return invalid("web.max_webvh_log_entries", "must be at least 1");
        }
        let public_url = &self.server.public_url;
        let has_scheme = public_url.starts_with("https://") || public_url.starts_with("http://");
        if !public_url.is_empty() && (!has_scheme || public_url.ends_with('/') || public_url.contains(['?', '#', ' ']))
        {
            return invalid(
                "server.public_url",
                "must be empty or like https://host[:port][/path], without a trailing /",
            );
        }
        if self.trqp.max_batch == 0 {
            return invalid("trqp.max_batch", "must be at least 1");
        }
        if self.credentials.max_credentials == 0 {
            return invalid("credentials.max_credentials", "must be at least 1");
        }
        if self.feed.max_page == 0 {
            return invalid("feed.max_page", "must be at least 1");
        }
        if self.feed.max_event_changes == 0 {
            return invalid("feed.max_event_changes", "must be at least 1");
        }
        if self.feed.heartbeat_s == 0 {
            return invalid("feed.heartbeat_s", "must be at least 1");
        }
        if self.feed.webhook_timeout_ms == 0 || self.feed.webhook_retry_min_ms == 0 {
            return invalid("feed.webhook_timeout_ms", "webhook timeouts and delays must be at least 1 ms");
        }
        if self.feed.webhook_retry_min_ms > self.feed.webhook_retry_max_ms {
            return invalid("feed.webhook_retry_min_ms", "must not exceed feed.webhook_retry_max_ms");
        }
        for (index, webhook) in self.feed.webhooks.iter().enumerate() {
            if let Some(problem) = webhook.problem(self.web.allow_private_addresses) {
                return invalid("feed.webhooks", &problem);
            }
            if self.feed.webhooks[..index].iter().any(|earlier| earlier.name == webhook.name) {
                return invalid("feed.webhooks", &format!("two subscribers are named {:?}", webhook.name));
            }
        }
        if self.mirroring.poll_interval_s == 0 {
            return invalid("mirroring.poll_interval_s", "must be at least 1");
        }
        if self.mirroring.request_timeout_ms == 0 {
            return invalid("mirroring.request_timeout_ms", "must be at least 1");
        }
        if self.mirroring.feed_wait_s == 0 {
            return invalid("mirroring.feed_wait_s", "must be at least 1");
        }
        if let Some(listed) = self.publishing.authorities.iter().find(|listed| !listed.starts_with("did:")) {
            return invalid("publishing.authorities", &format!("{listed:?} is not a DID"));
        }
        for registry in &self.registries {
            if let RegistryConfig::Mirror { authority, upstream } = registry {
                if upstream.starts_with("http://") && !self.mirroring.allow_http {
                    let message = format!(
                        "the upstream {upstream:?} of {authority} is plain HTTP; mirror over https://, or set \
                         mirroring.allow_http = true (loopback and labs only)"
                    );
                    return invalid("mirroring.allow_http", &message);
                }
            }
        }
        if !(self.node.did.is_empty() || self.node.did.starts_with("did:key:") || self.node.did.starts_with("did:web:"))
        {
            return invalid("node.did", "must be empty, a did:key or a did:web");
        }
        Ok(())
    }
}

fn parse_toml(text: &str, origin: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Parse { origin: origin.to_owned(), message: e.message().to_owned() })
}

/// Overlays `over` onto `base`: tables merge key by key, everything else (arrays included) is replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(over_table)) => merge(base_table, over_table),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Applies `TRUSTNODE_SECTION__KEY=value` variables. Variables with the prefix but without a section separator
/// (such as `TRUSTNODE_LOG`) are not settings and are left alone.
fn apply_env(table: &mut toml::Table, env: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
    for (name, raw) in env {
        let Some(path) = name.strip_prefix(ENV_PREFIX) else { continue };
        let Some((section, key)) = path.split_once("__") else { continue };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        let value = parse_env_value(&raw);
        match table.entry(section.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new())) {
            toml::Value::Table(section_table) => {
                section_table.insert(key, value);
            }
            _ => {
                return Err(ConfigError::Parse {
                    origin: "environment".into(),
                    message: format!("{name}: [{section}] is not a table of settings"),
                })
            }
        }
    }
    Ok(())
}

/// Reads an environment value as a TOML value when it is one (`60`, `true`, `["key"]`, `{ a = "b" }`), else as
/// a plain string (`0.0.0.0:8080`, `./data`).
fn parse_env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn embedded_defaults_load() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config.server.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.server.data_dir, PathBuf::from("./data"));
        assert_eq!(config.resolver.methods, ["key", "jwk", "web", "webvh"]);
        assert_eq!(config.registries.len(), 1);
        assert!(!config.web.allow_private_addresses);
        assert_eq!(config.server.access_log, AccessLog::Errors);
        assert!(config.server.tls_cert_file.is_empty());
        assert!(!config.publishing.enabled, "publishing is off unless configured");
        assert!(config.server.listens_on_loopback());
    }

    #[test]
    fn publishing_accepts_every_hosted_authority_or_only_the_listed_ones() {
        let config = Config::load(None, env(&[])).unwrap();
        assert!(!config.publishing.accepts("did:key:z6Mk"));
        let config = Config::load(None, env(&[("TRUSTNODE_PUBLISHING__ENABLED", "true")])).unwrap();
        assert!(config.publishing.accepts("did:key:z6Mk"));
        let listed =
            [("TRUSTNODE_PUBLISHING__ENABLED", "true"), ("TRUSTNODE_PUBLISHING__AUTHORITIES", r#"["did:web:a"]"#)];
        let config = Config::load(None, env(&listed)).unwrap();
        assert!(config.publishing.accepts("did:web:a") && !config.publishing.accepts("did:key:z6Mk"));
        let error = Config::load(None, env(&[("TRUSTNODE_PUBLISHING__AUTHORITIES", r#"["a"]"#)])).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { setting: "publishing.authorities", .. }), "{error}");
    }

    #[test]
    fn environment_overrides_typed_and_string_values() {
        let config = Config::load(
            None,
            env(&[
                ("TRUSTNODE_SERVER__LISTEN", "0.0.0.0:9000"),
                ("TRUSTNODE_CACHE__DEFAULT_TTL_S", "60"),
                ("TRUSTNODE_WEB__ALLOW_PRIVATE_ADDRESSES", "true"),
                ("TRUSTNODE_WEB__HOST_OVERRIDES", r#"{ "issuer.test" = "127.0.0.1" }"#),
                ("TRUSTNODE_LOG", "debug"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(config.server.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.cache.default_ttl_s, 60);
        assert!(config.web.allow_private_addresses);
        assert_eq!(config.web.host_overrides["issuer.test"], "127.0.0.1".parse::<std::net::IpAddr>().unwrap());
    }

    #[test]
    fn file_overrides_merge_with_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "[server]\nlisten = \"127.0.0.1:9999\"\n").unwrap();
        let config = Config::load(Some(&path), env(&[])).unwrap();
        assert_eq!(config.server.listen.port(), 9999);
        assert_eq!(config.server.request_timeout_ms, 10000);
    }

    #[test]
    fn unknown_settings_and_bad_values_are_refused() {
        let err = Config::load(None, env(&[("TRUSTNODE_SERVER__LISTN", "x")])).unwrap_err();
        assert!(err.to_string().contains("listn"), "{err}");
        let err = Config::load(None, env(&[("TRUSTNODE_RESOLVER__METHODS", r#"["key","ion"]"#)])).unwrap_err();
        assert!(err.to_string().contains("ion"), "{err}");
        let err = Config::load(None, env(&[("TRUSTNODE_SERVER__LISTEN", "nowhere")])).unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
        let err = Config::load(None, env(&[("TRUSTNODE_SERVER__ACCESS_LOG", "sometimes")])).unwrap_err();
        assert!(err.to_string().contains("sometimes"), "{err}");
        let err = Config::load(None, env(&[("TRUSTNODE_SERVER__TLS_CERT_FILE", "/etc/cert.pem")])).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { setting: "server.tls_cert_file", .. }), "{err}");
    }

    #[test]
    fn hardened_example_loads_with_tls_and_the_token_from_the_environment() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config/trustnode.hardened.toml"));
        let config = Config::load(Some(path), env(&[("TRUSTNODE_ADMIN__TOKEN", "from-env")])).unwrap();
        assert_eq!(config.server.data_dir, PathBuf::from("/var/lib/trustnode"));
        assert!(!config.server.tls_cert_file.is_empty() && !config.server.tls_key_file.is_empty());
        assert!(!config.web.allow_private_addresses);
        assert_eq!(config.admin.token, "from-env");
        assert!(config.registries.is_empty());
    }

    #[test]
    fn a_registry_entry_is_either_a_source_or_a_mirror() {
        let load = |entry: &str| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("node.toml");
            std::fs::write(&path, format!("[[registries]]\n{entry}\n")).unwrap();
            Config::load(Some(&path), env(&[])).map(|config| config.registries)
        };
        let mirror = load("authority = \"did:key:z6Mk\"\nupstream = \"https://upstream.example:8443\"").unwrap();
        let expected = RegistryConfig::Mirror {
            authority: "did:key:z6Mk".into(),
            upstream: "https://upstream.example:8443".into(),
        };
        assert_eq!(mirror, [expected]);
        assert_eq!(load("source = \"dir\"").unwrap(), [RegistryConfig::Source("dir".into())]);
        for refused in [
            "source = \"dir\"\nauthority = \"did:key:z6Mk\"\nupstream = \"http://a\"",
            "authority = \"did:key:z6Mk\"",
            "upstream = \"http://a\"",
            "authority = \"z6Mk\"\nupstream = \"http://a\"",
            "authority = \"did:key:z6Mk\"\nupstream = \"ftp://a\"",
            "authority = \"did:key:z6Mk\"\nupstream = \"https://a/registries\"",
            "authority = \"did:key:z6Mk\"\nupstream = \"https://\"",
        ] {
            let error = load(refused).unwrap_err();
            assert!(error.to_string().contains("[[registries]]"), "{refused}: {error}");
        }
        let error = Config::load(None, env(&[("TRUSTNODE_MIRRORING__POLL_INTERVAL_S", "0")])).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { setting: "mirroring.poll_interval_s", .. }), "{error}");
    }

    #[test]
    fn plain_http_upstreams_need_mirroring_allow_http() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "[[registries]]\nauthority = \"did:key:z6Mk\"\nupstream = \"http://127.0.0.1:8081\"\n")
            .unwrap();
        let error = Config::load(Some(&path), env(&[])).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { setting: "mirroring.allow_http", .. }), "{error}");
        assert_eq!(
            error.to_string(),
            "invalid setting mirroring.allow_http: the upstream \"http://127.0.0.1:8081\" of did:key:z6Mk is plain \
             HTTP; mirror over https://, or set mirroring.allow_http = true (loopback and labs only)"
        );
        let config = Config::load(Some(&path), env(&[("TRUSTNODE_MIRRORING__ALLOW_HTTP", "true")])).unwrap();
        assert!(
            matches!(&config.registries[..], [RegistryConfig::Mirror { upstream, .. }] if upstream.starts_with("http:"))
        );
    }

    #[test]
    fn webhook_entries_are_checked() {
        let load = |entry: &str, extra: &[(&str, &str)]| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("node.toml");
            let base = "name = \"hook\"\nauthority = \"did:key:z6Mk\"\n";
            std::fs::write(&path, format!("[[feed.webhooks]]\n{base}{entry}\n")).unwrap();
            Config::load(Some(&path), env(extra))
        };
        let secret = "secret = \"0123456789abcdef\"";
        let config = load(&format!("url = \"https://hooks.example/in?x=1\"\n{secret}"), &[]).unwrap();
        assert_eq!(config.feed.webhooks[0].url, "https://hooks.example/in?x=1");
        assert_eq!(format!("{:?}", config.feed.webhooks[0].secret), "Some(Secret(redacted))");
        let file = load("url = \"https://hooks.example/\"\nsecret_file = \"/etc/hook.secret\"", &[]).unwrap();
        assert!(file.feed.webhooks[0].secret.is_none());
        for (entry, expected) in [
            (format!("url = \"https://127.0.0.1:8443/\"\n{secret}"), "IP-literal"),
            (format!("url = \"https://[::1]/\"\n{secret}"), "IP-literal"),
            (format!("url = \"http://hooks.example/\"\n{secret}"), "web.allow_private_addresses"),
            (format!("url = \"ftp://hooks.example/\"\n{secret}"), "must be https"),
            (format!("url = \"https://user:pw@hooks.example/\"\n{secret}"), "credentials"),
            (format!("url = \"https://hooks.example/#x\"\n{secret}"), "fragment"),
            (format!("url = \"hooks.example\"\n{secret}"), "not a URL"),
            ("url = \"https://hooks.example/\"\nsecret = \"short\"".to_owned(), "at least 16 bytes"),
            ("url = \"https://hooks.example/\"".to_owned(), "exactly one of secret and secret_file"),
            (format!("url = \"https://hooks.example/\"\n{secret}\nsecret_file = \"f\""), "exactly one"),
            (format!("url = \"https://hooks.example/\"\n{secret}\nentity = \"\""), "empty entity filter"),
        ] {
            let error = load(&entry, &[]).unwrap_err();
            assert!(matches!(error, ConfigError::Invalid { setting: "feed.webhooks", .. }), "{entry}: {error}");
            assert!(error.to_string().contains(expected), "{entry}: {error}");
        }
        let lab = [("TRUSTNODE_WEB__ALLOW_PRIVATE_ADDRESSES", "true")];
        assert!(load(&format!("url = \"http://127.0.0.1:9000/hook\"\n{secret}"), &lab).is_ok());
        let twice = format!("url = \"https://a.example/\"\n{secret}\n[[feed.webhooks]]\nname = \"hook\"\nauthority = \"did:key:z6Mk\"\nurl = \"https://b.example/\"\n{secret}");
        assert!(load(&twice, &[]).unwrap_err().to_string().contains("two subscribers are named \"hook\""));
        let bad_name = "url = \"https://a.example/\"\nsecret = \"0123456789abcdef\"";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            format!("[[feed.webhooks]]\nname = \"../x\"\nauthority = \"did:key:z6Mk\"\n{bad_name}\n"),
        )
        .unwrap();
        assert!(Config::load(Some(&path), env(&[])).unwrap_err().to_string().contains("name \"../x\""));
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = Config::load(Some(Path::new("/nonexistent/trustnode.toml")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/trustnode.toml"));
    }
}
