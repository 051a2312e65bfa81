//! Every error answer of the HTTP layer that is not a resolution result: RFC 9457 problem details for limits (413,
//! 414, 503), unknown routes and the errors of non-resolver endpoints, and the OpenID Federation error format for
//! the federation endpoints. The node's error types become answers here, nowhere else. Resolution errors are full
//! resolution results instead, rendered by `trustnode_resolver::render` as the DID Resolution HTTP binding says.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::clock::ClockError;
use crate::hosting::verify::VerifyError;
use crate::hosting::PublishError;
use crate::verifier::RequestError;
use trustnode_registry::batch::TrqpBatchError;
use trustnode_registry::snapshot::SnapshotError;
use trustnode_registry::trqp::{TrqpError, Unknown, WriteError};
use trustnode_registry::wire::PROOF_HEADER;
use trustnode_resolver::batch::ResolutionBatchError;

/// Base of the `type` URIs of this node's own problems (a URN: they name a kind, they are not web pages).
/// The kinds are listed in the README.
const TYPE_BASE: &str = "urn:trustnode:problem:";

/// One problem: a status, a short machine-readable kind and a human explanation.
#[derive(Debug, Clone)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Short kind, the last part of the `type` URI (e.g. `identifier-too-long`).
    pub kind: &'static str,
    /// What went wrong, for people.
    pub detail: String,
    /// Seconds after which a retry may succeed (503).
    pub retry_after: Option<u32>,
    /// Ask for bearer credentials (`WWW-Authenticate: Bearer`, 401).
    pub bearer_challenge: bool,
}

impl Problem {
    /// A problem with the given status, kind and detail.
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem { status, kind, detail: detail.into(), retry_after: None, bearer_challenge: false }
    }

    /// Credentials are missing or wrong: 401 with a bearer challenge.
    pub(crate) fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem { bearer_challenge: true, ..Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", detail) }
    }

    /// The node is busy or a request ran out of time: 503 with `Retry-After`.
    pub fn unavailable(kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem { retry_after: Some(1), ..Problem::new(StatusCode::SERVICE_UNAVAILABLE, kind, detail) }
    }
}

/// The media type of problem details.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

impl Problem {
    /// The problem document: what the body of its answer is, and what a batch item refused with it carries.
    pub(crate) fn document(&self) -> String {
        json!({
            "type": format!("{TYPE_BASE}{}", self.kind),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        })
        .to_string()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.document()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.bearer_challenge {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Change-feed events that cannot be served: 410 when the stored history they need is gone, 422 for an event over
/// `feed.max_event_changes`, 500 for a store that contradicts its own chain.
impl From<crate::feed::EventUnavailable> for Problem {
    fn from(error: crate::feed::EventUnavailable) -> Problem {
        use crate::feed::EventUnavailable;
        let (status, kind) = match &error {
            EventUnavailable::HistoryUnavailable(_) => (StatusCode::GONE, "history-unavailable"),
            EventUnavailable::TooLarge { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "event-too-large"),
            EventUnavailable::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Problem::new(status, kind, error.to_string())
    }
}

/// Publishing refusals: 400 for a malformed or non-canonical snapshot or a request that contradicts itself, 403
/// for a signature that does not prove the authority's consent, 404 for an authority not hosted here, 409 for a
/// snapshot that is not the next one of the chain (an unknown authority is 404 before this), 502 when the authority's DID cannot be resolved,
/// 507 when the data directory has no room for the snapshot (the operator must free space; the old one is served).
impl From<ClockError> for Problem {
    fn from(error: ClockError) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "clock-out-of-range", error.to_string())
    }
}

impl From<PublishError> for Problem {
    fn from(error: PublishError) -> Problem {
        let (status, kind) = match &error {
            PublishError::MissingSignature => (StatusCode::BAD_REQUEST, "missing-signature"),
            PublishError::PathMismatch { .. } => (StatusCode::BAD_REQUEST, "path-mismatch"),
            PublishError::NotNext { .. } => (StatusCode::CONFLICT, "sequence-not-next"),
            PublishError::Storage(io) if crate::store::is_out_of_space(io) => {
                (StatusCode::INSUFFICIENT_STORAGE, "data-directory-full")
            }
            PublishError::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage-failed"),
            PublishError::Refused(VerifyError::AuthorityUnresolvable { .. }) => {
                (StatusCode::BAD_GATEWAY, "authority-unresolvable")
            }
            PublishError::Refused(VerifyError::Snapshot(refusal)) => match refusal {
                SnapshotError::Signature(_) => (StatusCode::FORBIDDEN, "signature-refused"),
                SnapshotError::NonCanonical { .. } => (StatusCode::BAD_REQUEST, "non-canonical"),
                SnapshotError::SequenceNotNext { .. }
                | SnapshotError::BrokenChain { .. }
                | SnapshotError::AuthorityChanged { .. }
                | SnapshotError::IssuedBeforePrevious { .. }
                | SnapshotError::StatementDeleted(_)
                | SnapshotError::StatementRewritten(_) => (StatusCode::CONFLICT, "not-a-successor"),
                SnapshotError::InvalidSource(_)
                | SnapshotError::Malformed(_)
                | SnapshotError::Canonicalization(_)
                | SnapshotError::MerkleRootMismatch { .. }
                | SnapshotError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid-snapshot"),
            },
        };
        Problem::new(status, kind, error.to_string())
    }
}

/// Verification requests that cannot be read: 400; more credentials than the node verifies in one request: 413.
impl From<RequestError> for Problem {
    fn from(error: RequestError) -> Problem {
        let (status, kind) = match &error {
            RequestError::Malformed(_) => (StatusCode::BAD_REQUEST, "invalid-verification-request"),
            RequestError::TooManyCredentials(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too-many-credentials"),
        };
        Problem::new(status, kind, error.to_string())
    }
}

/// A resolution error outside a resolution result (`/1.0/history`): the status the DID Resolution HTTP binding gives
/// its code, and the code's name as the kind.
impl From<trustnode_did::error::ResolutionError> for Problem {
    fn from(error: trustnode_did::error::ResolutionError) -> Problem {
        let status = trustnode_resolver::render::status_of(error.code);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Problem::new(status, error.code.current(), error.detail)
    }
}

/// Batch resolution bodies that are not a batch: 400; more identifiers than `resolver.max_batch`: 413.
impl From<ResolutionBatchError> for Problem {
    fn from(error: ResolutionBatchError) -> Problem {
        let (status, kind) = match &error {
            ResolutionBatchError::NotJson(_) => (StatusCode::BAD_REQUEST, "invalid-json"),
            ResolutionBatchError::Shape(_) => (StatusCode::BAD_REQUEST, "invalid-batch"),
            ResolutionBatchError::TooMany { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "batch-too-large"),
        };
        Problem::new(status, kind, error.to_string())
    }
}

/// TRQP requests that ask no question: 400, with the kind of what is wrong.
impl From<TrqpError> for Problem {
    fn from(error: TrqpError) -> Problem {
        let kind = match &error {
            TrqpError::NotUtf8(_) | TrqpError::InvalidJson(_) => "invalid-json",
            TrqpError::NotAnObject(_) => "invalid-request",
            TrqpError::MissingFields(_) => "missing-fields",
            TrqpError::NotAUri { .. } => "invalid-identifier",
            TrqpError::ContextNotObject | TrqpError::ProofNotBoolean => "invalid-context",
            TrqpError::TimeNotString
            | TrqpError::TimeTooLong(_)
            | TrqpError::InvalidTime { .. }
            | TrqpError::TimeNotUtc { .. } => "invalid-time",
        };
        Problem::new(StatusCode::BAD_REQUEST, kind, error.to_string())
    }
}

/// TRQP batches that cannot be read: 400 for a body that is not JSON (`invalid-json`, as for one question) or not a
/// batch; 413 for more queries than `trqp.max_batch`, before any is answered.
impl From<TrqpBatchError> for Problem {
    fn from(error: TrqpBatchError) -> Problem {
        let (status, kind) = match &error {
            TrqpBatchError::NotJson(_) => (StatusCode::BAD_REQUEST, "invalid-json"),
            TrqpBatchError::NotABatch(_) => (StatusCode::BAD_REQUEST, "invalid-batch"),
            TrqpBatchError::TooManyQueries { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too-many-queries"),
        };
        Problem::new(status, kind, error.to_string())
    }
}

/// TRQP questions about names no registry here knows: 404 (unless `[trqp] hide_unknown` answered "no" instead).
impl From<Unknown<'_>> for Problem {
    fn from(unknown: Unknown<'_>) -> Problem {
        let kind = match unknown {
            Unknown::Authority(_) => "unknown-authority",
            Unknown::Entity(_) => "unknown-entity",
            Unknown::Action(_) => "unknown-action",
            Unknown::Resource(_) => "unknown-resource",
        };
        Problem::new(StatusCode::NOT_FOUND, kind, unknown.to_string())
    }
}

/// A TRQP answer this node could not write: 500, never the client's fault.
impl From<WriteError> for Problem {
    fn from(error: WriteError) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", error.to_string())
    }
}

/// A request body that could not be read: 413 when it exceeds the route's limit.
impl From<axum::extract::rejection::BytesRejection> for Problem {
    fn from(rejection: axum::extract::rejection::BytesRejection) -> Problem {
        let status = rejection.status();
        let kind = if status == StatusCode::PAYLOAD_TOO_LARGE { "too-large" } else { "unreadable-body" };
        Problem::new(status, kind, rejection.body_text())
    }
}

/// Extractor rejections that are the client's fault (path parameters that are not UTF-8 after percent-decoding,
/// query strings that do not fit the endpoint's parameters) as problems with the extractor's status and words.
macro_rules! rejection_problems {
    ($($rejection:ty => $kind:literal),* $(,)?) => {$(
        impl From<$rejection> for Problem {
            fn from(rejection: $rejection) -> Problem {
                Problem::new(rejection.status(), $kind, rejection.body_text())
            }
        }
    )*};
}

rejection_problems! {
    axum::extract::rejection::RawPathParamsRejection => "invalid-path",
    axum::extract::rejection::QueryRejection => "invalid-query",
}

/// The refusals the HTTP layer makes itself (limits, routing, parameters it reads); errors of the layers below come
/// in through the `From` implementations above. Each becomes its status, kind and detail in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No route matches the path.
    NoSuchRoute,
    /// The route does not take this method.
    MethodNotAllowed,
    /// Every slot of the request's admission pool (`super::admission::Pool::name`) is taken.
    Overloaded {
        /// The pool.
        pool: &'static str,
    },
    /// The client already holds its share of the pool's slots.
    ClientOverShare {
        /// The pool.
        pool: &'static str,
        /// Slots a client may hold.
        max: usize,
    },
    /// The request body is larger than the route accepts.
    BodyTooLarge {
        /// Bytes allowed.
        max: usize,
    },
    /// The request body did not arrive before its deadline.
    BodyTimeout,
    /// The request body broke off (the connection closed or the stream was reset).
    BodyUnreadable(String),
    /// The handler ran past the per-request timeout.
    RequestTimeout,
    /// A refused request's future was polled again (a bug, never expected).
    PolledAfterRefusal,
    /// The header fields are larger than `server.max_header_bytes`.
    HeadersTooLarge {
        /// Bytes received.
        size: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// The identifier is longer than `server.max_identifier_bytes` after percent-decoding.
    IdentifierTooLong {
        /// Bytes allowed.
        max: usize,
    },
    /// A readiness condition is not met.
    NotReady(String),
    /// The admin endpoints are off (no token configured).
    AdminDisabled,
    /// did:web is off, so there is no cache to administer.
    DidWebDisabled,
    /// A DID to purge is not a DID.
    InvalidDid(String),
    /// The DID's method keeps no version history (`/1.0/history`): the method's name.
    NoVersionHistory(String),
    /// The did:web cache failed.
    CacheError(String),
    /// No hosted registry has this authority.
    RegistryNotHosted(String),
    /// The registry has no snapshot yet.
    NoSnapshot(String),
    /// `?format=` is neither `json` nor `jws`.
    InvalidFormat(String),
    /// A snapshot path segment is not a sequence (`latest` allowed where `latest` is meant).
    InvalidSequence(String),
    /// `[publishing] enabled` is false.
    PublishingDisabled,
    /// Publishing is on, but not for this authority (`publishing.authorities`).
    PublishingNotAllowed(String),
    /// A publish path segment is not a sequence number.
    InvalidPublishSequence(String),
    /// The snapshot is not served here.
    NoSuchSnapshot(u64),
    /// A verified snapshot's stored file cannot be served.
    SnapshotUnavailable {
        /// Its sequence.
        sequence: u64,
        /// The digest it was verified with.
        digest: String,
    },
    /// `?time=` is not RFC 3339.
    InvalidTime(String),
    /// `?limit=` is outside 1..=`max`.
    InvalidLimit {
        /// The largest page.
        max: usize,
    },
    /// `?status=` names no standing.
    InvalidStatus(String),
    /// The registry lists no such entity.
    UnknownEntity(String),
    /// `GET /metadata` without `authority_id`.
    MissingAuthorityId,
    /// The node's key could not sign an answer.
    CannotSign(String),
    /// The TRQP proof request header is not one `true` or `false`.
    InvalidProofHeader,
    /// A batch resolution's `Accept` admits neither of the batch formats.
    BatchNotAcceptable,
    /// One resolution of a batch failed unexpectedly (its task panicked); the others were answered.
    ItemFailed,
    /// The change feed's `since` is not a sequence a client can hold.
    InvalidSince(String),
    /// `Last-Event-ID` is not a sequence a client can hold.
    InvalidLastEventId(String),
    /// The change feed's `since` is beyond the served snapshot.
    SinceAhead {
        /// What the client asked for.
        since: u64,
        /// The sequence served.
        current: u64,
    },
    /// `wait=` is not a number of seconds up to `feed.max_wait_s`.
    InvalidWait {
        /// As sent.
        text: String,
        /// The longest wait.
        max: u64,
    },
    /// A change-feed filter (`entity`, `action`, `resource`) is given empty.
    EmptyFilter(&'static str),
    /// Every place for change-feed streams or waiting long-polls is taken.
    FeedFull {
        /// The configured maximum.
        max: usize,
        /// What is full.
        what: &'static str,
    },
    /// Work a request handed to the blocking pool ended without an answer (a bug, never expected).
    TaskFailed(String),
}

impl From<Refusal> for Problem {
    fn from(refusal: Refusal) -> Problem {
        use Refusal::*;
        match refusal {
            NoSuchRoute => Problem::new(
                StatusCode::NOT_FOUND,
                "no-such-route",
                "no endpoint at this path; see the README for the API",
            ),
            MethodNotAllowed => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this endpoint does not take this method",
            ),
            Overloaded { pool } => Problem::unavailable(
                "overloaded",
                format!("the node is handling as many {pool} requests as it allows; retry shortly"),
            ),
            ClientOverShare { pool, max } => Problem {
                retry_after: Some(1),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-requests",
                    format!("this client already has {max} {pool} requests in progress; retry when one has finished"),
                )
            },
            BodyTooLarge { max } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                format!("request bodies larger than {max} bytes are not accepted here"),
            ),
            BodyTimeout => Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "body-timeout",
                "the request body did not arrive in time (server.body_read_timeout_ms)",
            ),
            BodyUnreadable(why) => {
                Problem::new(StatusCode::BAD_REQUEST, "unreadable-body", format!("the request body broke off: {why}"))
            }
            RequestTimeout => {
                Problem::unavailable("request-timeout", "the request took longer than the node's per-request timeout")
            }
            PolledAfterRefusal => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "a refused request was polled again")
            }
            HeadersTooLarge { size, max } => Problem::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers-too-large",
                format!("the request's header fields take {size} bytes; this node accepts at most {max}"),
            ),
            IdentifierTooLong { max } => Problem::new(
                StatusCode::URI_TOO_LONG,
                "identifier-too-long",
                format!("identifiers longer than {max} bytes (after percent-decoding) are not accepted"),
            ),
            NotReady(unmet) => Problem::unavailable("not-ready", format!("not ready: {unmet}")),
            AdminDisabled => {
                Problem::new(StatusCode::NOT_FOUND, "admin-disabled", "admin endpoints are off: no admin.token")
            }
            DidWebDisabled => Problem::new(
                StatusCode::NOT_FOUND,
                "did-web-disabled",
                "did:web is not enabled on this node, so nothing is cached",
            ),
            InvalidDid(detail) => Problem::new(StatusCode::BAD_REQUEST, "invalid-did", detail),
            NoVersionHistory(method) => Problem::new(
                StatusCode::BAD_REQUEST,
                "no-version-history",
                format!("did:{method} keeps no version history: its documents have one version, the current one"),
            ),
            CacheError(detail) => Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "cache-error", detail),
            RegistryNotHosted(named) => Problem::new(
                StatusCode::NOT_FOUND,
                "registry-not-hosted",
                format!("this node hosts no registry of `{named}`"),
            ),
            NoSnapshot(authority_id) => Problem::new(
                StatusCode::NOT_FOUND,
                "no-snapshot",
                format!("no snapshot of `{authority_id}` has been published yet"),
            ),
            InvalidFormat(other) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-format",
                format!("format `{other}` is not `json` or `jws`"),
            ),
            InvalidSequence(number) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-sequence",
                format!("`{number}` is not `latest` or a sequence {SEQUENCE_FORM}"),
            ),
            PublishingDisabled => Problem::new(
                StatusCode::FORBIDDEN,
                "publishing-disabled",
                "this node does not accept snapshots: publishing is off (an operator turns it on with `[publishing] \
                 enabled = true`)",
            ),
            PublishingNotAllowed(named) => Problem::new(
                StatusCode::FORBIDDEN,
                "publishing-not-allowed",
                format!(
                    "this node does not accept snapshots of `{named}`: it is not listed in `publishing.authorities`"
                ),
            ),
            InvalidPublishSequence(requested) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-sequence",
                format!("`{requested}` is not a sequence {SEQUENCE_FORM}"),
            ),
            NoSuchSnapshot(sequence) => Problem::new(
                StatusCode::NOT_FOUND,
                "no-such-snapshot",
                format!("snapshot {sequence} is not served here"),
            ),
            SnapshotUnavailable { sequence, digest } => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "snapshot-unavailable",
                format!("the stored file of snapshot {sequence} is unreadable or no longer matches {digest}"),
            ),
            InvalidTime(detail) => Problem::new(StatusCode::BAD_REQUEST, "invalid-time", detail),
            InvalidLimit { max } => {
                Problem::new(StatusCode::BAD_REQUEST, "invalid-limit", format!("limit must be between 1 and {max}"))
            }
            InvalidStatus(name) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-status",
                format!("status `{name}` is not one of active, suspended, revoked, expired, not_yet_valid"),
            ),
            UnknownEntity(named) => {
                Problem::new(StatusCode::NOT_FOUND, "unknown-entity", format!("the registry lists no entity `{named}`"))
            }
            MissingAuthorityId => {
                Problem::new(StatusCode::BAD_REQUEST, "missing-fields", "the query parameter authority_id is required")
            }
            CannotSign(error) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("cannot sign the answer: {error}"))
            }
            TaskFailed(why) => {
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("the request's work failed: {why}"))
            }
            InvalidProofHeader => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-proof-header",
                format!("the `{PROOF_HEADER}` header must be given once, as `true` or `false`"),
            ),
            ItemFailed => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "resolving this identifier failed unexpectedly (a bug in the node); the other identifiers were answered",
            ),
            BatchNotAcceptable => Problem::new(
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "a batch is answered as application/json or application/x-ndjson; choose the representation of each \
                 result with the `accept` option",
            ),
            InvalidSince(text) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-since",
                format!("since `{text}` is not 0 or a sequence {SEQUENCE_FORM}"),
            ),
            InvalidLastEventId(text) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-last-event-id",
                format!("Last-Event-ID `{text}` is not 0 or a sequence {SEQUENCE_FORM}"),
            ),
            SinceAhead { since, current } => Problem::new(
                StatusCode::BAD_REQUEST,
                "since-ahead",
                format!("since {since} is beyond the snapshot served here, sequence {current}"),
            ),
            InvalidWait { text, max } => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-wait",
                format!("wait `{text}` is not a whole number of seconds from 0 to {max}"),
            ),
            EmptyFilter(name) => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-filter",
                format!("the filter `{name}` is empty; leave it out to match every value"),
            ),
            FeedFull { max, what } => Problem::unavailable(
                "feed-full",
                format!("the change feed already has {max} {what}, as many as this node allows; retry later"),
            ),
        }
    }
}

/// How a snapshot sequence is written in a path, for the refusals of other spellings.
const SEQUENCE_FORM: &str = "(decimal digits from 1 on, without sign, spaces or leading zeros)";

/// An error answer of the OpenID Federation endpoints, in their own format (`error`, `error_description`) rather
/// than problem details: federation clients read that one.
#[derive(Debug)]
pub struct FederationProblem {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl FederationProblem {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> FederationProblem {
        FederationProblem { status, error, description: description.into() }
    }

    pub(crate) fn not_found(description: impl Into<String>) -> FederationProblem {
        FederationProblem::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    pub(crate) fn unsupported_parameter(name: &str) -> FederationProblem {
        let description = format!("parameter `{name}` is not supported; only `sub` is");
        FederationProblem::new(StatusCode::BAD_REQUEST, "unsupported_parameter", description)
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> FederationProblem {
        FederationProblem::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    pub(crate) fn unavailable(description: impl Into<String>) -> FederationProblem {
        FederationProblem::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", description)
    }

    pub(crate) fn server_error(description: impl Into<String>) -> FederationProblem {
        FederationProblem::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", description)
    }
}

impl IntoResponse for FederationProblem {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description}).to_string();
        let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")];
        (self.status, headers, body).into_response()
    }
}
