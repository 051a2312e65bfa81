use crate::JsonLdProcessingMode;
use crate::context::{JsonLdContext, JsonNode};
use oxiri::Iri;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The [`JsonLdContext::shared_id`] of the empty context a parser starts from.
///
/// It is the same for every parser: the empty context only depends on the base IRI, which is part of every key.
pub const ROOT_CONTEXT_ID: u64 = 0;

/// The largest inline context (as canonical JSON) whose processing is cached.
///
/// Larger inline contexts are processed each time they are met: they would make large keys, and documents
/// rarely embed large contexts.
const MAX_INLINE_CONTEXT_KEY_BYTES: usize = 4096;

/// A cache of processed JSON-LD contexts and loaded remote context documents, shareable between parsers.
///
/// Processing a context, building its term definitions, is often most of the cost of parsing a small JSON-LD
/// document that names large remote contexts, or that applies many type-scoped contexts.
/// With a cache, a context met before (the same local context, processed on top of the same active context) is
/// a lookup: processing is a pure function of them, of the base IRI and of the parser's options, which together
/// are the key.
/// Only contexts processed without error are kept.
///
/// The cache is bounded: it holds at most `capacity` processed contexts (the least recently used is dropped to
/// make room) and at most `capacity` remote context documents (further ones are loaded each time).
/// Inline contexts (written in the document) are cached only up to a size, so a document cannot make large keys.
///
/// A cache must only be shared between parsers whose document loader (see `with_load_document_callback`) returns
/// the same document for the same URL: the cache holds what the loader returned and what was built from it.
///
/// A parser given no cache has a private one.
///
/// ```
/// use oxjsonld::{JsonLdContextCache, JsonLdParser};
///
/// let cache = JsonLdContextCache::new(64);
/// for _ in 0..2 {
///     let file = r#"{"@context": {"schema": "http://schema.org/"}, "@type": "schema:Person"}"#;
///     let parser = JsonLdParser::new().with_context_cache(cache.clone());
///     assert_eq!(parser.for_slice(file).count(), 1);
/// }
/// assert_eq!(cache.len(), 1);
/// # Result::<_, Box<dyn std::error::Error>>::Ok(())
/// ```
#[derive(Clone)]
pub struct JsonLdContextCache {
    state: Arc<Mutex<CacheState>>,
}

struct CacheState {
    capacity: usize,
    remote_contexts: HashMap<String, (Option<Iri<String>>, JsonNode)>,
    processed: HashMap<ProcessedContextKey, CachedContext>,
    /// A logical clock: the time of the last lookup or insertion, for the least-recently-used eviction.
    clock: u64,
    /// The next [`JsonLdContext::shared_id`] to give out.
    next_id: u64,
}

struct CachedContext {
    context: Arc<JsonLdContext>,
    last_use: u64,
}

/// What the processing of a context depends on.
#[derive(PartialEq, Eq, Hash, Clone)]
pub struct ProcessedContextKey {
    pub active_context: u64,
    pub local_context: LocalContextKey,
    pub base_url: Option<String>,
    pub processing_mode: JsonLdProcessingMode,
    pub lenient: bool,
    pub override_protected: bool,
    pub propagate: bool,
    pub validate_scoped_context: bool,
}

/// The local context being processed.
#[derive(PartialEq, Eq, Hash, Clone)]
pub enum LocalContextKey {
    /// A context written in the document, as canonical JSON.
    Json(String),
    /// The scoped context of this term of the active context (the active context's identity fixes it).
    TermScoped(String),
}

impl LocalContextKey {
    /// The key of a context written in the document, or `None` if it is too large to be cached.
    pub fn json(local_context: &JsonNode) -> Option<Self> {
        let mut key = String::new();
        write_canonical_json(local_context, &mut key)?;
        Some(Self::Json(key))
    }
}

/// Writes `node` as JSON with sorted object keys, or returns `None` if it would pass the inline context bound.
fn write_canonical_json(node: &JsonNode, output: &mut String) -> Option<()> {
    match node {
        JsonNode::String(value) => write_json_string(value, output),
        JsonNode::Number(value) => output.push_str(value),
        JsonNode::Boolean(value) => output.push_str(if *value { "true" } else { "false" }),
        JsonNode::Null => output.push_str("null"),
        JsonNode::Array(values) => {
            output.push('[');
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    output.push(',');
                }
                write_canonical_json(value, output)?;
            }
            output.push(']');
        }
        JsonNode::Object(values) => {
            let mut entries = values.iter().collect::<Vec<_>>();
            entries.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
            output.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    output.push(',');
                }
                write_json_string(key, output);
                output.push(':');
                write_canonical_json(value, output)?;
            }
            output.push('}');
        }
    }
    (output.len() <= MAX_INLINE_CONTEXT_KEY_BYTES).then_some(())
}

/// A JSON string: only the quote and the backslash need escaping for the key to be unambiguous.
fn write_json_string(value: &str, output: &mut String) {
    output.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            output.push('\\');
        }
        output.push(c);
    }
    output.push('"');
}

impl JsonLdContextCache {
    /// A cache holding at most `capacity` processed contexts and `capacity` remote context documents.
    ///
    /// A capacity of 0 disables caching: every context is loaded and processed each time it is met.
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(CacheState {
                capacity,
                remote_contexts: HashMap::new(),
                processed: HashMap::new(),
                clock: 0,
                next_id: ROOT_CONTEXT_ID + 1,
            })),
        }
    }

    /// The number of processed contexts held.
    pub fn len(&self) -> usize {
        self.lock().processed.len()
    }

    /// Whether no processed context is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, CacheState> {
        // The state stays consistent whatever panics: each operation is a single map update.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn remote_context(&self, url: &str) -> Option<(Option<Iri<String>>, JsonNode)> {
        self.lock().remote_contexts.get(url).cloned()
    }

    pub(crate) fn insert_remote_context(
        &self,
        url: &str,
        loaded_context: (Option<Iri<String>>, JsonNode),
    ) {
        let mut state = self.lock();
        if state.remote_contexts.len() < state.capacity {
            state.remote_contexts.insert(url.into(), loaded_context);
        }
    }

    pub(crate) fn processed_context(
        &self,
        key: &ProcessedContextKey,
    ) -> Option<Arc<JsonLdContext>> {
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        let cached = state.processed.get_mut(key)?;
        cached.last_use = now;
        Some(Arc::clone(&cached.context))
    }

    /// Gives `context` its identity and keeps it under `key` if there is room.
    pub(crate) fn insert_processed_context(
        &self,
        key: ProcessedContextKey,
        mut context: JsonLdContext,
    ) -> Arc<JsonLdContext> {
        let mut state = self.lock();
        if state.capacity == 0 {
            return Arc::new(context);
        }
        if state.processed.len() >= state.capacity && !state.processed.contains_key(&key) {
            // A linear scan: it runs only when a context is processed, which costs far more.
            let oldest = state
                .processed
                .iter()
                .min_by_key(|(_, cached)| cached.last_use)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                state.processed.remove(&oldest);
            }
        }
        context.shared_id = Some(state.next_id);
        state.next_id += 1;
        state.clock += 1;
        let context = Arc::new(context);
        let cached = CachedContext {
            context: Arc::clone(&context),
            last_use: state.clock,
        };
        state.processed.insert(key, cached);
        context
    }
}

impl Default for JsonLdContextCache {
    /// A cache of 1024 entries.
    fn default() -> Self {
        Self::new(1024)
    }
}

impl fmt::Debug for JsonLdContextCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("JsonLdContextCache")
            .field("capacity", &state.capacity)
            .field("processed_contexts", &state.processed.len())
            .field("remote_contexts", &state.remote_contexts.len())
            .finish()
    }
}
