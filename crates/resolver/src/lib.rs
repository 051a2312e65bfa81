//! The DID resolver of trustnode: turns a DID or DID URL plus options into a [`Resolution`], dispatching to the
//! enabled [`DidMethod`]s, and renders it in the representation a client negotiated.
//!
//! This is the seam between the pure DID core (`trustnode_did`) and the edges: it owns method dispatch, options,
//! dereferencing and timing, but no HTTP server types, so the node's HTTP handlers and the `resolve` command share
//! it. did:key and did:jwk ([`computed`]) are computed in memory; did:web ([`web`], the default-on `web` feature)
//! fetches over hardened HTTPS with a sled cache, and did:webvh ([`web::webvh`]) fetches its verifiable log with the
//! same client into a cache of its own. A new method is one more [`DidMethod`] handed to
//! [`Resolver::new`]: nothing here matches on method names.
//!
//! ```
//! use trustnode_resolver::{computed, Content, ResolutionOptions, Resolver};
//!
//! let resolver = Resolver::new(computed::key_and_jwk(1024));
//! let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let resolution = runtime.block_on(resolver.resolve(did, &ResolutionOptions::default()));
//! assert_eq!(resolution.method, Some("key"));
//! let Ok(Content::Document(document)) = resolution.result else { panic!("a did:key resolves") };
//! assert_eq!(document.value()["id"], did);
//! ```

pub mod accept;
pub mod batch;
pub mod computed;
pub mod dereference;
mod memo;
pub mod options;
pub mod render;
#[cfg(feature = "web")]
pub mod web;

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use dereference::Dereferenced;
pub use options::ResolutionOptions;
pub use trustnode_did::document::Document;
use trustnode_did::error::{feature_not_supported, invalid_did, method_not_supported, ErrorCode, ResolutionError};
use trustnode_did::syntax::DidUrl;

/// One DID method the resolver dispatches to by name.
pub trait DidMethod: Any + Send + Sync + fmt::Debug {
    /// The method name as it appears in a DID (`key` in `did:key:…`).
    fn name(&self) -> &'static str;

    /// Resolves `did` (DID Core valid; `method_specific_id` is what follows `did:<name>:`) into its document.
    /// Methods that compute the document answer [`MethodCall::Ready`], without a future.
    fn resolve<'a>(
        &'a self,
        did: &'a str,
        method_specific_id: &'a str,
        options: &'a ResolutionOptions,
    ) -> MethodCall<'a>;

    /// Identifiers of this method that resolve, for clients that probe a resolver (`/1.0/testIdentifiers`).
    fn test_identifiers(&self) -> &'static [&'static str];

    /// What documents of this method can do (`/1.0/traits`).
    fn traits(&self) -> MethodTraits;

    /// The versions of the method's specification this resolver implements (did:webvh's `1.0`, `0.5`), for
    /// `/1.0/methods?versions=true`; empty for methods whose specification has no versions to choose from.
    fn specification_versions(&self) -> &'static [&'static str] {
        &[]
    }

    /// True when resolving may wait on the network (did:web), false when documents are computed (did:key). Servers
    /// admit the two kinds of work separately, so that slow origins cannot hold up computed answers.
    fn fetches(&self) -> bool {
        false
    }

    /// The service a DID URL path (non-empty, starting with `/`) dereferences through, and the `relativeRef` to
    /// apply under it, for methods whose specification gives paths a meaning (did:webvh: `/whois` is the `#whois`
    /// service, any other path a file under `#files`). `None`, the default: paths name nothing in this method.
    fn path_service<'p>(&self, path: &'p str) -> Option<(&'static str, Option<&'p str>)> {
        let _ = path;
        None
    }

    /// The origin resolving `method_specific_id` contacts (did:web: its host and port, as written), so that callers
    /// resolving many DIDs at once can pace them per origin; `None` for methods that contact nothing.
    fn origin<'a>(&self, method_specific_id: &'a str) -> Option<&'a str> {
        let _ = method_specific_id;
        None
    }
}

/// What documents of a method can do, in the Universal Resolver's trait names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodTraits {
    /// The controller can change the document.
    pub updatable: bool,
    /// The controller can deactivate the DID.
    pub deactivatable: bool,
    /// DIDs of the method can be listed.
    pub enumerable: bool,
    /// Earlier versions of a document can be retrieved.
    pub history_available: bool,
    /// The identifier is readable by people (a domain name).
    pub human_readable: bool,
}

/// A method's answer: at once, or after I/O.
pub enum MethodCall<'a> {
    /// Computed without waiting.
    Ready(MethodOutcome),
    /// Needs I/O first.
    Pending(Pin<Box<dyn Future<Output = MethodOutcome> + Send + 'a>>),
}

/// What a method produced for one DID: the document or the error, and what it learned on the way.
#[derive(Debug, Clone)]
pub struct MethodOutcome {
    /// The document, or why there is none.
    pub document: Result<Document, ResolutionError>,
    /// How long the answer stays correct.
    pub validity: Validity,
    /// True when an identical request in the same second would get an identical answer from memory (see
    /// [`Resolution::repeatable`]).
    pub repeatable: bool,
    /// `didDocumentMetadata` members.
    pub document_metadata: Map<String, Value>,
    /// Method-specific members of the resolution metadata (e.g. did:web's `cache`).
    pub extra_metadata: Map<String, Value>,
}

impl MethodOutcome {
    /// The outcome of a computed method: a document that never changes (immutable, repeatable), or an error
    /// (which says nothing about later answers).
    pub fn computed(document: Result<Document, ResolutionError>) -> MethodOutcome {
        let computed = document.is_ok();
        MethodOutcome {
            document,
            validity: if computed { Validity::Immutable } else { Validity::Unknown },
            repeatable: computed,
            document_metadata: Map::new(),
            extra_metadata: Map::new(),
        }
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
    /// The name of the method that handled the identifier; `None` when it failed before a method was chosen.
    pub method: Option<&'static str>,
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
    Object {
        /// The selected object, as the document has it.
        object: Value,
        /// The document's `@context`, for representations that label the object as JSON-LD.
        context: Option<Value>,
    },
    /// The URL a service dereferenced to.
    ServiceUrl(String),
}

/// What a resolution learns besides its result, gathered while it runs.
#[derive(Debug, Default)]
struct Metadata {
    method: Option<&'static str>,
    validity: Validity,
    dereferencing: bool,
    document: Map<String, Value>,
    extra: Map<String, Value>,
    repeatable: bool,
}

/// Resolves DIDs of the configured methods.
#[derive(Debug)]
pub struct Resolver {
    methods: Vec<Arc<dyn DidMethod>>,
}

impl Resolver {
    /// A resolver for `methods`, in the order `/1.0/methods` lists them. A later method with the name of an earlier
    /// one is ignored.
    pub fn new(methods: Vec<Arc<dyn DidMethod>>) -> Resolver {
        let mut unique: Vec<Arc<dyn DidMethod>> = Vec::with_capacity(methods.len());
        for method in methods {
            if !unique.iter().any(|known| known.name() == method.name()) {
                unique.push(method);
            }
        }
        Resolver { methods: unique }
    }

    /// The enabled methods, in configuration order.
    pub fn methods(&self) -> impl Iterator<Item = &dyn DidMethod> {
        self.methods.iter().map(|method| &**method)
    }

    /// True when `method` (a method name, `web` in `did:web:…`) is enabled and may wait on the network to resolve.
    pub fn fetches(&self, method: &str) -> bool {
        self.methods.iter().any(|known| known.name() == method && known.fetches())
    }

    /// The origin resolving `input` (a DID or DID URL) would contact, as `method:origin` in lower case; `None` when
    /// it is malformed, of no enabled method, or of a method that contacts nothing (see [`DidMethod::origin`]).
    pub fn origin(&self, input: &str) -> Option<String> {
        let url = DidUrl::parse(input).ok()?;
        let method = self.methods.iter().find(|method| method.name() == url.method)?;
        method.origin(url.method_specific_id).map(|origin| format!("{}:{}", url.method, origin.to_ascii_lowercase()))
    }

    /// The enabled method of type `M`, for what only that method offers (the did:web resolver's cache).
    pub fn method<M: DidMethod>(&self) -> Option<&M> {
        self.methods.iter().find_map(|method| (&**method as &dyn Any).downcast_ref::<M>())
    }

    /// The DID document of the bare DID `did`, for callers that need its keys rather than a rendering (snapshot
    /// and answer verification). A DID URL is refused as `invalidDid`.
    pub async fn document(&self, did: &str) -> Result<Document, ResolutionError> {
        match self.resolve(did, &ResolutionOptions::default()).await.result? {
            Content::Document(document) => Ok(document),
            Content::Object { .. } | Content::ServiceUrl(_) => {
                Err(invalid_did(format!("{did} is a DID URL, not a DID")))
            }
        }
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
        // A malformed path, query or fragment still makes this a dereferencing request: its error belongs in the
        // dereferencing metadata too.
        let url = DidUrl::parse(input)
            .inspect_err(|error| metadata.dereferencing = error.code == ErrorCode::InvalidDidUrl)?;
        metadata.dereferencing = !url.is_bare_did();
        let method = self
            .methods
            .iter()
            .find(|method| method.name() == url.method)
            .ok_or_else(|| method_not_supported(format!("did:{} is not supported by this node", url.method)))?;
        let options = options.with_version_parameters(&url)?;
        if options.selects_version() && !method.traits().history_available {
            return Err(feature_not_supported(format!(
                "did:{} keeps no version history: versionId, versionTime and versionNumber cannot be honoured",
                url.method
            )));
        }
        metadata.method = Some(method.name());
        let outcome = match method.resolve(url.did, url.method_specific_id, &options) {
            MethodCall::Ready(outcome) => outcome,
            MethodCall::Pending(future) => future.await,
        };
        metadata.validity = outcome.validity;
        metadata.repeatable = outcome.repeatable;
        metadata.document = outcome.document_metadata;
        metadata.extra = outcome.extra_metadata;
        let document = outcome.document?;
        Ok(match dereference::dereference(&document, &url, method.path_service(url.path))? {
            Dereferenced::Document => Content::Document(document),
            Dereferenced::Object(object) => {
                Content::Object { object, context: document.value().get("@context").cloned() }
            }
            Dereferenced::ServiceUrl(url) => Content::ServiceUrl(url),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(input: &str, options: ResolutionOptions) -> Resolution {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(Resolver::new(computed::key_and_jwk(16)).resolve(input, &options))
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
    fn malformed_did_urls_are_dereferencing_requests() {
        let did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        for input in [format!("{did}#a#b"), format!("{did}/a^b"), format!("{did}/a`b")] {
            let resolution = resolve(&input, ResolutionOptions::default());
            assert_eq!(resolution.result.unwrap_err().code, ErrorCode::InvalidDidUrl, "{input}");
            assert!(resolution.dereferencing, "{input}");
        }
    }

    #[test]
    fn syntax_errors_come_first() {
        let resolution = resolve("not-a-did", ResolutionOptions::default());
        assert_eq!(resolution.result.unwrap_err().code, ErrorCode::InvalidDid);
    }
}
