//! The conformance kit: portable checks that any DID resolver endpoint or TRQP v2 trust registry can be run
//! against, their results, and the reports and implementation matrices built from them.
//!
//! Layout: [`resolver`] defines the resolver checks (pure: identifiers, expected answers, verdicts) from the
//! embedded public vectors and from [`fresh`] random cases; [`registry`] defines the TRQP v2 checks (schemas,
//! problem details, `context.time`, named questions, and a trustnode's signed snapshots); [`runner`] is the HTTP
//! edge that sends each check's request and judges the answer; [`report`] renders results and merges reports into
//! a matrix. A check is data plus a verdict function over a [`CheckReply`]. Nothing here but [`runner`] performs I/O.
//! The kit depends on the DID, registry and resolver cores and an HTTP client, never on the node: it judges any
//! implementation the same way.
//!
//! ```
//! use trustnode_conformance::{resolver, CheckReply};
//!
//! // The did:key checks come from the embedded public vectors; each names the clause it tests.
//! let checks = resolver::checks(&["key"]).expect("the embedded vectors parse");
//! let check = checks.iter().find(|check| check.request.target.starts_with("did%3Akey")).expect("a did:key check");
//! assert!(!check.clause.is_empty());
//!
//! // A verdict judges a reply without any network: an empty 500 passes no resolution check.
//! let reply = CheckReply { status: 500, content_type: None, headers: Vec::new(), body: Vec::new() };
//! assert!((check.verdict)(&reply).is_err());
//! ```

pub mod fresh;
pub mod registry;
pub mod report;
pub mod resolver;
pub mod runner;

use serde::{Deserialize, Serialize};

/// One HTTP request of a check, relative to the endpoint's base (for resolvers `URL` + `--path`, for registries
/// `URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    /// What follows `<base>/`: a percent-encoded DID or DID URL, possibly with `?options`, or a TRQP endpoint.
    pub target: String,
    /// The Accept header to send; none when absent.
    pub accept: Option<String>,
    /// A body sent as `POST` with `Content-Type: application/json` (not necessarily valid JSON: malformed bodies
    /// are checks too); none for a `GET`.
    pub json_body: Option<Vec<u8>>,
}

impl CheckRequest {
    /// A GET of `target` without an Accept header.
    pub fn get(target: impl Into<String>) -> CheckRequest {
        CheckRequest { target: target.into(), accept: None, json_body: None }
    }

    /// A POST of `body` to `target` as `application/json`.
    pub fn post_json(target: impl Into<String>, body: impl Into<Vec<u8>>) -> CheckRequest {
        CheckRequest { target: target.into(), accept: None, json_body: Some(body.into()) }
    }

    /// The same request with an Accept header.
    pub fn accepting(mut self, accept: &str) -> CheckRequest {
        self.accept = Some(accept.to_owned());
        self
    }

    /// How the request is shown in reports: `GET <target> (Accept: …)`, or `POST <target> <body>`.
    pub fn describe(&self) -> String {
        match (&self.json_body, &self.accept) {
            (Some(body), _) => format!("POST {{base}}/{} {}", self.target, String::from_utf8_lossy(body)),
            (None, Some(accept)) => format!("GET {{base}}/{} with Accept: {accept}", self.target),
            (None, None) => format!("GET {{base}}/{} without Accept", self.target),
        }
    }
}

/// An HTTP answer, fully read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReply {
    /// The status code.
    pub status: u16,
    /// The Content-Type header, if any.
    pub content_type: Option<String>,
    /// The headers with text values (lower-case name, value), e.g. a snapshot's detached JWS.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl CheckReply {
    /// The value of header `name` (lower-case), if it came as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(kept, _)| kept == name).map(|(_, value)| value.as_str())
    }
}

/// Why a check failed: what the spec clause asks for and what the endpoint did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The expected answer, in words.
    pub expected: String,
    /// The observed answer, in words.
    pub observed: String,
}

impl Mismatch {
    /// A mismatch from two descriptions.
    pub fn new(expected: impl Into<String>, observed: impl Into<String>) -> Mismatch {
        Mismatch { expected: expected.into(), observed: observed.into() }
    }
}

/// Judges an answer: `Ok` when it satisfies the check.
pub type Verdict = Box<dyn Fn(&CheckReply) -> Result<(), Mismatch> + Send + Sync>;

/// Consulted when the verdict fails: the reason the answer shows the check does not apply (e.g. an optional
/// endpoint the implementation does not offer), or `None` for a real failure.
pub type Inapplicability = Box<dyn Fn(&CheckReply) -> Option<String> + Send + Sync>;

/// One check: what it is, the clause it tests, the request to send and the verdict on the answer.
pub struct Check {
    /// Stable identifier, the same in every run (rows of the matrix), e.g. `key.vector.ed25519-pub.3`.
    pub id: String,
    /// What is checked, for people.
    pub title: String,
    /// The specification clause the check tests.
    pub clause: &'static str,
    /// The DID method the check exercises; the check is not applicable when the endpoint does not claim it.
    pub did_method: Option<&'static str>,
    /// Set when the endpoint cannot be expected to pass without something the kit cannot offer (e.g. network).
    pub not_applicable: Option<String>,
    /// Turns a failed verdict into "not applicable" when the answer shows why (see [`Inapplicability`]).
    pub inapplicable_when: Option<Inapplicability>,
    /// The request to send.
    pub request: CheckRequest,
    /// The verdict on the answer.
    pub verdict: Verdict,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check's id.
    pub id: String,
    /// The check's title.
    pub title: String,
    /// The clause it tests.
    pub clause: String,
    /// The request that was (or would have been) sent.
    pub request: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Pass, fail (with the expected and observed answers) or not applicable (with the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome")]
pub enum Outcome {
    /// The answer satisfied the check.
    #[serde(rename = "pass")]
    Pass,
    /// The answer did not satisfy the check, or no answer came.
    #[serde(rename = "fail")]
    Fail {
        /// What the clause asks for.
        expected: String,
        /// What the endpoint did.
        observed: String,
    },
    /// The check does not apply to this endpoint.
    #[serde(rename = "n/a")]
    NotApplicable {
        /// Why not.
        reason: String,
    },
}

impl Outcome {
    /// The short label used in reports and matrices: `pass`, `fail` or `n/a`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail { .. } => "fail",
            Outcome::NotApplicable { .. } => "n/a",
        }
    }
}

/// The results of one run of a suite against one implementation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Which suite ran: `resolver` or `registry`.
    pub suite: String,
    /// The implementation's name (matrix column).
    pub implementation: String,
    /// The endpoint the checks ran against.
    pub target: String,
    /// When the run started (RFC 3339, UTC).
    pub started: String,
    /// The tool and its version.
    pub tool: String,
    /// One result per check, in check order.
    pub results: Vec<CheckResult>,
}

/// Counts of each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Checks passed.
    pub pass: usize,
    /// Checks failed.
    pub fail: usize,
    /// Checks not applicable.
    pub not_applicable: usize,
}

impl Totals {
    /// Counts the outcomes of `results`.
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CheckResult>) -> Totals {
        results.into_iter().fold(Totals::default(), |mut totals, result| {
            match result.outcome {
                Outcome::Pass => totals.pass += 1,
                Outcome::Fail { .. } => totals.fail += 1,
                Outcome::NotApplicable { .. } => totals.not_applicable += 1,
            }
            totals
        })
    }
}

impl Report {
    /// The outcome counts of this report.
    pub fn totals(&self) -> Totals {
        Totals::of(&self.results)
    }
}
