//! The resolver: turns a DID or DID URL plus options into a [`Resolution`], dispatching to the enabled methods,
//! and renders it in the representation a client negotiated.
//!
//! This is the seam between the pure DID core (`crate::did`) and the edges: it owns method dispatch, options,
//! dereferencing and timing, but no HTTP types, so the HTTP handlers and the `resolve` command share it.

pub mod accept;
pub mod dereference;
pub mod memo;
pub mod options;
pub mod render;

use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::web::{WebOptions, WebResolver};
use dereference::Dereferenced;
use memo::Memo;
pub use options::ResolutionOptions;
pub use trustnode_did::document::Document;
use trustnode_did::error::{feature_not_supported, method_not_supported, ResolutionError};
use trustnode_did::syntax::DidUrl;
use trustnode_did::{jwk, key};

/// A DID method this node can resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `did:key`: computed from the identifier.
    Key,
    /// `did:jwk`: computed from the identifier.
    Jwk,
    /// `did:web`: fetched over HTTPS.
    Web,
}

impl Method {
    /// Every method the node knows, in declaration order (`method as usize` is the index).
    pub const ALL: [Method; 3] = [Method::Key, Method::Jwk, Method::Web];

    /// The method name as it appears in a DID.
    pub fn name(self) -> &'static str {
        match self {
            Method::Key => "key",
            Method::Jwk => "jwk",
            Method::Web => "web",
        }
    }

    /// The method with this name, if the node knows it.
    pub fn from_name(name: &str) -> Option<Method> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// How long a copy of a resolution's answer stays correct: what HTTP caches in front of the node may assume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Validity {
    /// Computed from the identifier alone (did:key, did:jwk): the same request always gets the same answer.
    Immutable,
    /// Valid for this many more seconds (a did:web answer's remaining cache lifetime).
    Seconds(u64),
    /// Nothing is known: caches must not keep the answer.
    #[default]
    Unknown,
}

/// What a resolution produced, before it is rendered.
#[derive(Debug, Clone)]
pub struct Resolution {
    /// The method that handled the identifier; `None` when it failed before a method was chosen.
    pub method: Option<Method>,
    /// How long the answer stays correct.
    pub validity: Validity,
    /// The document, the dereferenced object or URL, or the error.
    pub result: Result<Content, ResolutionError>,
    /// True when the input was a DID URL (fragment, path or query) rather than a bare DID.
    pub dereferencing: bool,
    /// `didDocumentMetadata`.
    pub document_metadata: Map<String, Value>,
    /// Method-specific additions to the resolution metadata (e.g. did:web's `cache`).
    pub extra_metadata: Map<String, Value>,
    /// When the resolution ran.
    pub retrieved: OffsetDateTime,
    /// How long it took.
    pub duration: Duration,
    /// True when the answer came from memory without contacting an origin (computed did:key/did:jwk documents, or
    /// a fresh did:web cache hit): an identical request in the same second gets an identical answer, so the HTTP
    /// layer may reuse its rendering for the rest of that second.
    pub repeatable: bool,
}

impl Resolution {
    /// A resolution that failed before any method ran (a malformed request).
    pub fn failed(error: ResolutionError) -> Resolution {
        Resolution {
            method: None,
            validity: Validity::Unknown,
            result: Err(error),
            dereferencing: false,
            document_metadata: Map::new(),
            extra_metadata: Map::new(),
            retrieved: OffsetDateTime::now_utc(),
            duration: Duration::ZERO,
            repeatable: false,
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// The DID document of a bare DID.
    Document(Document),
    /// The verification method or service a fragment selected.
    Object(Value),
    /// The URL a service dereferenced to.
    ServiceUrl(String),
}

/// What a resolution learns besides its result, gathered while it runs.
#[derive(Debug, Default)]
struct Metadata {
    method: Option<Method>,
    validity: Validity,
    dereferencing: bool,
    document: Map<String, Value>,
    extra: Map<String, Value>,
    repeatable: bool,
}

/// Resolves DIDs of the configured methods.
#[derive(Debug)]
pub struct Resolver {
    methods: Vec<Method>,
    web: Option<WebResolver>,
    memo: Memo,
}

impl Resolver {
    /// A resolver for `methods`, in the order `/1.0/methods` lists them. did:web needs `web`; without it did:web
    /// is not supported even when listed. Up to `memo_entries` computed did:key/did:jwk documents are memoized.
    pub fn new(methods: Vec<Method>, web: Option<WebResolver>, memo_entries: u64) -> Resolver {
        let methods = methods.into_iter().filter(|m| *m != Method::Web || web.is_some()).collect();
        Resolver { methods, web, memo: Memo::new(memo_entries) }
    }

    /// The did:web resolver and its cache, when did:web is enabled.
    pub fn web(&self) -> Option<&WebResolver> {
        self.web.as_ref()
    }

    /// The enabled methods.
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// Resolves a DID, or resolves and dereferences a DID URL.
    pub async fn resolve(&self, input: &str, options: &ResolutionOptions) -> Resolution {
        let started = Instant::now();
        let retrieved = OffsetDateTime::now_utc();
        let mut metadata = Metadata::default();
        let result = self.run(input, options, &mut metadata).await;
        Resolution {
            method: metadata.method,
            validity: metadata.validity,
            result,
            dereferencing: metadata.dereferencing,
            document_metadata: metadata.document,
            extra_metadata: metadata.extra,
            retrieved,
            duration: started.elapsed(),
            repeatable: metadata.repeatable,
        }
    }

    async fn run(
        &self,
        input: &str,
        options: &ResolutionOptions,
        metadata: &mut Metadata,
    ) -> Result<Content, ResolutionError> {
        let url = DidUrl::parse(input)?;
        metadata.dereferencing = !url.is_bare_did();
        if options.version_id.is_some() || options.version_time.is_some() {
            return Err(feature_not_supported("did:key, did:jwk and did:web have no versions to select"));
        }
        for parameter in ["versionId", "versionTime"] {
            if url.parameter(parameter)?.is_some() {
                return Err(feature_not_supported(format!(
                    "DID parameter {parameter} is not supported by did:{}",
                    url.method
                )));
            }
        }
        let method = Method::from_name(url.method)
            .filter(|m| self.methods.contains(m))
            .ok_or_else(|| method_not_supported(format!("did:{} is not supported by this node", url.method)))?;
        metadata.method = Some(method);
        let document = match method {
            Method::Key => self
                .memo
                .get_or_compute(url.did, options.key, || key::resolve(url.did, url.method_specific_id, &options.key))?,
            // did:jwk has no options: one memo entry serves every request for the DID.
            Method::Jwk => self.memo.get_or_compute(url.did, key::KeyOptions::default(), || {
                jwk::resolve(url.did, url.method_specific_id)
            })?,
            Method::Web => {
                let web = self.web.as_ref().ok_or_else(|| method_not_supported("did:web is not enabled"))?;
                let web_options =
                    WebOptions { no_cache: options.no_cache, expand_relative_urls: options.expand_relative_urls };
                let outcome = web.resolve(url.did, url.method_specific_id, &web_options).await;
                if let Some(status) = outcome.cache.as_ref().filter(|status| !status.stale) {
                    let remaining = status.ttl_seconds.saturating_sub(status.age_seconds);
                    metadata.validity = Validity::Seconds(remaining);
                    // More than a second left: the entry stays fresh for the whole second the answer is reused in.
                    metadata.repeatable =
                        status.hit && !status.revalidated && !status.no_cache_limited && remaining > 1;
                }
                if let Some(cache) = outcome.cache.and_then(|status| serde_json::to_value(status).ok()) {
                    metadata.extra.insert("cache".into(), cache);
                }
                let fetched = outcome.result?;
                if let Some(updated) = fetched.updated {
                    metadata.document.insert("updated".into(), updated.into());
                }
                fetched.document
            }
        };
        if method != Method::Web {
            metadata.validity = Validity::Immutable;
            metadata.repeatable = true;
        }
        Ok(match dereference::dereference(&document, &url)? {
            Dereferenced::Document => Content::Document(document),
            Dereferenced::Object(object) => Content::Object(object),
            Dereferenced::ServiceUrl(url) => Content::ServiceUrl(url),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustnode_did::error::ErrorCode;

    fn resolve(input: &str, options: ResolutionOptions) -> Resolution {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(Resolver::new(vec![Method::Key, Method::Jwk], None, 16).resolve(input, &options))
    }

    #[test]
    fn unknown_and_disabled_methods_are_not_supported() {
        for input in ["did:example:123", "did:web:example.com"] {
            let resolution = resolve(input, ResolutionOptions::default());
            assert_eq!(resolution.result.unwrap_err().code, ErrorCode::MethodNotSupported, "{input}");
        }
    }

    #[test]
    fn versions_are_not_a_feature_of_these_methods() {
        let options = ResolutionOptions { version_time: Some("2020-01-01T00:00:00Z".into()), ..Default::default() };
        let resolution = resolve("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", options);
        assert_eq!(resolution.result.unwrap_err().code, ErrorCode::FeatureNotSupported);
        let resolution = resolve("did:jwk:abc?versionId=1", ResolutionOptions::default());
        assert_eq!(resolution.result.unwrap_err().code, ErrorCode::FeatureNotSupported);
        assert!(resolution.dereferencing);
    }

    #[test]
    fn syntax_errors_come_first() {
        let resolution = resolve("not-a-did", ResolutionOptions::default());
        assert_eq!(resolution.result.unwrap_err().code, ErrorCode::InvalidDid);
    }
}
