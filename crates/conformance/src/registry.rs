//! The registry checks: a TRQP v2 endpoint's request and response schemas, its RFC 7807 problem details, its
//! 400/404 behaviour, `context.time` handling, `GET /metadata`, the answers to questions named on the command line,
//! and, for a trustnode, its signed snapshots (canonical form, the authority's signature, sequence and digest in
//! metadata and answers) and as-of answers checked against the snapshot's own history.
//!
//! Pure: builds [`Check`]s from a [`RegistryPlan`] and what the runner learned about a trustnode ([`NodeFacts`]),
//! and judges [`CheckReply`]s; detecting the node, fetching the snapshot and resolving the authority are the runner's
//! job. Check ids are stable across runs for the same plan and registry data.

use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;

use super::resolver::{describe, encode};
use super::{Check, CheckReply, CheckRequest, Inapplicability, Mismatch, Verdict};
use trustnode_registry::evaluate::{Query, RegistryIndex};
use trustnode_registry::model::{StatementKind, Timestamp};
use trustnode_registry::proof::{check_answer, Answer as ProvenAnswer};
use trustnode_registry::snapshot::{CanonicalSnapshot, Digest, SnapshotContent};
use trustnode_registry::wire::SNAPSHOT_JWS_HEADER;

/// The suite's name in reports.
pub(crate) const SUITE: &str = "registry";

const CLAUSE_AUTHORIZATION_SCHEMA: &str = "TRQP v2 §Authorization response: entity_id, authority_id, action, \
     resource (strings), authorized (boolean), time_evaluated (string) are required";
const CLAUSE_RECOGNITION_SCHEMA: &str = "TRQP v2 §Recognition response: entity_id, authority_id, action, resource \
     (strings), recognized (boolean), time_evaluated (string) are required";
const CLAUSE_ECHO: &str = "TRQP v2 §Responses: the four request identifiers are echoed unchanged";
const CLAUSE_TIME_EVALUATED: &str = "TRQP v2 §Responses: time_evaluated is an RFC 3339 §5.6 date-time";
const CLAUSE_BAD_REQUEST: &str = "TRQP v2 §Errors: invalid JSON or missing fields → 400 problem details";
const CLAUSE_REQUEST_SCHEMA: &str = "TRQP v2 §CheckRequest: entity_id, authority_id, action, resource are required \
     non-empty strings; context is an object; otherwise 400";
const CLAUSE_NOT_FOUND: &str = "TRQP v2 §Errors: unknown entity, authority, action or resource → 404 problem details";
const CLAUSE_PROBLEM_MEMBERS: &str = "RFC 7807 §3.1 (as TRQP v2 §Errors uses it): type, title (strings), status \
     (number), detail (string)";
const CLAUSE_PROBLEM_STATUS: &str = "RFC 7807 §3.1: status is the HTTP status code of the response";
const CLAUSE_PROBLEM_MEDIA_TYPE: &str = "RFC 7807 §3: problem details are served as application/problem+json";
const CLAUSE_TIME_SYNTAX: &str =
    "TRQP v2 §Query context: context.time is an RFC 3339 §5.6 date-time with a Z offset; otherwise 400";
const CLAUSE_TIME_ECHO: &str = "TRQP v2 §Responses: time_requested echoes context.time of an as-of query";
const CLAUSE_TIME_AS_OF: &str = "TRQP v2 §Query context: context.time asks for the answer valid as of that instant";
const CLAUSE_CONTEXT_IGNORED: &str = "TRQP v2 §Query context: unknown context members MUST be ignored";
const CLAUSE_METADATA: &str = "TRQP v2 Ayra profile §GET /metadata?authority_id=: a JSON object about the authority";
const CLAUSE_METADATA_ERRORS: &str =
    "TRQP v2 Ayra profile §GET /metadata: a missing authority_id → 400, an unknown one → 404 (501 when not offered)";
const CLAUSE_NAMED: &str = "TRQP v2 §Authorization: authorized is true exactly when the authority authorizes it";
const CLAUSE_NODE_LISTING: &str =
    "trustnode §GET /registries: hosted authorities with their latest sequence and digest";
const CLAUSE_NODE_CANONICAL: &str =
    "trustnode §Snapshots: RFC 8785 canonical bytes, RFC 6962 Merkle root over the statements, content rules";
const CLAUSE_NODE_SIGNATURE: &str = "trustnode §Snapshots: RFC 7515 Appendix F detached JWS by a key listed in the \
     authority's DID document (assertionMethod)";
const CLAUSE_NODE_PINNED: &str =
    "trustnode §TRQP answers and metadata: registry_sequence and snapshot_digest name the snapshot answered from";
const CLAUSE_NODE_PROOF: &str =
    "trustnode README §Answers anyone can verify: each proof link verifies (signed header, RFC 9162 inclusion)";

/// Most as-of checks made from a trustnode's history, so a large registry does not turn into a load test.
const MAX_AS_OF_CHECKS: usize = 24;

/// An entity that no registry lists, for 404 checks.
const UNKNOWN_ENTITY: &str = "did:example:trustnode-conformance-unknown-entity";
/// An authority that no registry answers for, for 404 checks.
const UNKNOWN_AUTHORITY: &str = "did:example:trustnode-conformance-unknown-authority";
/// The instant of the kit's as-of syntax checks.
const SAMPLE_TIME: &str = "2025-06-01T00:00:00Z";

/// A question with its four identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionIds {
    /// The entity asked about.
    pub entity_id: String,
    /// The authority asked.
    pub authority_id: String,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
}

impl QuestionIds {
    /// The request body, with `context` when given.
    fn body(&self, context: Option<Value>) -> Vec<u8> {
        let mut body = json!({
            "entity_id": self.entity_id,
            "authority_id": self.authority_id,
            "action": self.action,
            "resource": self.resource,
        });
        if let (Some(context), Some(members)) = (context, body.as_object_mut()) {
            members.insert("context".to_owned(), context);
        }
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// The question in words, for titles (the authority is the report's).
    fn words(&self) -> String {
        format!("{} {} {}", self.entity_id, self.action, self.resource)
    }
}

/// A question named on the command line, with the answer the user expects (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedQuestion {
    /// Entity, action and resource (the authority is the plan's).
    pub entity_id: String,
    /// The action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// `Some(true)`: expect authorized; `Some(false)`: expect a 200 "no"; `None`: only the schema is judged.
    pub expect: Option<bool>,
}

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryPlan {
    /// The authority whose registry is queried.
    pub authority_id: String,
    /// Questions about entities the user knows.
    pub questions: Vec<NamedQuestion>,
    /// The registry documents that it answers unknown names with a 200 "no" (no enumeration oracle): such an answer
    /// to a 404 check is not applicable rather than a failure.
    pub hides_unknown: bool,
    /// Treat the target as a trustnode even if `GET /registries` does not show it.
    pub trustnode: bool,
}

/// The latest snapshot of the authority on a trustnode, as the runner fetched it.
#[derive(Debug, Clone)]
pub struct NodeFacts {
    /// The parsed snapshot, or why it could not be fetched or parsed.
    pub snapshot: Result<SnapshotContent, String>,
    /// The authority's DID document resolved in-process, or why it could not be.
    pub authority_document: Result<Value, String>,
}

/// True when a `GET /registries` answer is a trustnode's registry listing.
pub(crate) fn is_trustnode_listing(answer: &CheckReply) -> bool {
    answer.status == 200
        && serde_json::from_slice::<Value>(&answer.body)
            .is_ok_and(|body| body.get("registries").is_some_and(Value::is_array))
}

/// The request for the authority's latest snapshot on a trustnode.
pub(crate) fn latest_snapshot_request(authority_id: &str) -> CheckRequest {
    CheckRequest::get(format!("registries/{}/snapshots/latest", encode(authority_id)))
}

/// The snapshot in a snapshot answer (status, canonical form), or why it is not one.
pub(crate) fn snapshot_of(answer: &CheckReply) -> Result<CanonicalSnapshot, Mismatch> {
    const EXPECTED: &str = "HTTP 200 with a canonical snapshot";
    if answer.status != 200 {
        return Err(Mismatch::new(EXPECTED, describe(answer)));
    }
    CanonicalSnapshot::parse(answer.body.clone()).map_err(|error| Mismatch::new(EXPECTED, error.to_string()))
}

/// Every registry check for `plan`; the trustnode checks too when `node` is given.
pub fn checks(plan: &RegistryPlan, node: Option<&NodeFacts>) -> Vec<Check> {
    let snapshot = node.and_then(|node| node.snapshot.as_ref().ok());
    let authorization_probe = probe(plan, snapshot, StatementKind::Authorization);
    let recognition_probe = probe(plan, snapshot, StatementKind::Recognition);
    let mut checks = Vec::new();
    checks.extend(answer_checks(StatementKind::Authorization, &authorization_probe));
    checks.extend(answer_checks(StatementKind::Recognition, &recognition_probe));
    checks.extend(request_error_checks(&authorization_probe.question));
    checks.extend(not_found_checks(plan, &authorization_probe.question));
    checks.extend(time_checks(&authorization_probe));
    checks.extend(metadata_checks(&plan.authority_id));
    checks.extend(named_checks(plan));
    match node {
        Some(node) => checks.extend(node_checks(&plan.authority_id, node, &authorization_probe.question)),
        None => checks.push(as_of_not_applicable()),
    }
    checks
}

/// The question the schema and time checks ask, and whether the registry is known to answer it.
struct Probe {
    question: QuestionIds,
    /// Made up by the kit: a 404 to it shows the registry does not know the entity, not a fault.
    invented: bool,
}

/// A named question, else one from the snapshot's statements of `kind`, else an invented one.
fn probe(plan: &RegistryPlan, snapshot: Option<&SnapshotContent>, kind: StatementKind) -> Probe {
    let authority_id = plan.authority_id.clone();
    let from_snapshot = snapshot.and_then(|snapshot| {
        let statements = &snapshot.snapshot().statements;
        statements.iter().find(|statement| statement.kind == kind && !statement.is_delegation())
    });
    if let Some(statement) = from_snapshot {
        let question = QuestionIds {
            entity_id: statement.entity_id.clone(),
            authority_id,
            action: statement.action.clone(),
            resource: statement.resource.clone(),
        };
        return Probe { question, invented: false };
    }
    if let Some(named) = plan.questions.first() {
        let question = QuestionIds {
            entity_id: named.entity_id.clone(),
            authority_id,
            action: named.action.clone(),
            resource: named.resource.clone(),
        };
        // A named question is about authorization; the registry need not know it as a recognition.
        return Probe { question, invented: kind == StatementKind::Recognition };
    }
    let question = QuestionIds {
        entity_id: UNKNOWN_ENTITY.to_owned(),
        authority_id,
        action: "issue".to_owned(),
        resource: "OpenBadgeCredential".to_owned(),
    };
    Probe { question, invented: true }
}

fn check(
    id: impl Into<String>,
    title: impl Into<String>,
    clause: &'static str,
    request: CheckRequest,
    verdict: Verdict,
) -> Check {
    Check {
        id: id.into(),
        title: title.into(),
        clause,
        did_method: None,
        not_applicable: None,
        inapplicable_when: None,
        request,
        verdict,
    }
}

/// A check that is not applicable, with the request it would have sent.
fn not_applicable(id: &str, title: &str, clause: &'static str, request: CheckRequest, reason: String) -> Check {
    let mut check = check(id, title, clause, request, Box::new(|_| Ok(())));
    check.not_applicable = Some(reason);
    check
}

fn endpoint(kind: StatementKind) -> &'static str {
    match kind {
        StatementKind::Authorization => "authorization",
        StatementKind::Recognition => "recognition",
    }
}

fn verdict_member(kind: StatementKind) -> &'static str {
    match kind {
        StatementKind::Authorization => "authorized",
        StatementKind::Recognition => "recognized",
    }
}

/// A 404 to an invented question is not applicable: the registry simply does not know the kit's entity.
fn unknown_to_registry(probe: &Probe) -> Option<Inapplicability> {
    probe.invented.then(|| -> Inapplicability {
        Box::new(|answer: &CheckReply| {
            (answer.status == 404).then(|| {
                "the registry does not know the kit's sample question (404); name a known entity with --entity"
                    .to_owned()
            })
        })
    })
}

/// A TRQP answer: status 200, `application/json`, a JSON object.
fn answer_object(answer: &CheckReply, expected: &str) -> Result<Map<String, Value>, Mismatch> {
    let mismatch = || Mismatch::new(expected, describe(answer));
    if answer.status != 200 || media_type(answer) != "application/json" {
        return Err(mismatch());
    }
    match serde_json::from_slice(&answer.body) {
        Ok(Value::Object(members)) => Ok(members),
        _ => Err(mismatch()),
    }
}

fn media_type(answer: &CheckReply) -> String {
    let content_type = answer.content_type.as_deref().unwrap_or_default();
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Each `(member, type)` of `required` present with that JSON type; every wrong or missing one is listed.
fn members_typed(members: &Map<String, Value>, required: &[(&str, &str)], expected: &str) -> Result<(), Mismatch> {
    let wrong: Vec<String> = required
        .iter()
        .filter_map(|(name, wanted)| match members.get(*name) {
            None => Some(format!("`{name}` missing")),
            Some(value) if type_name(value) != *wanted => Some(format!("`{name}` is a {}", type_name(value))),
            Some(_) => None,
        })
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(Mismatch::new(expected, format!("{} in {}", wrong.join(", "), Value::Object(members.clone()))))
    }
}

fn rfc3339(text: &str) -> bool {
    time::OffsetDateTime::parse(text, &Rfc3339).is_ok()
}

fn answer_checks(kind: StatementKind, probe: &Probe) -> Vec<Check> {
    let (name, member) = (endpoint(kind), verdict_member(kind));
    let request = || CheckRequest::post_json(name, probe.question.body(None));
    let clause = match kind {
        StatementKind::Authorization => CLAUSE_AUTHORIZATION_SCHEMA,
        StatementKind::Recognition => CLAUSE_RECOGNITION_SCHEMA,
    };
    let schema: Verdict = Box::new(move |answer| {
        let expected = format!("HTTP 200 application/json with the required members and `{member}` a boolean");
        let members = answer_object(answer, &expected)?;
        let required = [
            ("entity_id", "string"),
            ("authority_id", "string"),
            ("action", "string"),
            ("resource", "string"),
            (member, "boolean"),
            ("time_evaluated", "string"),
        ];
        members_typed(&members, &required, &expected)
    });
    let question = probe.question.clone();
    let echo: Verdict = Box::new(move |answer| {
        let expected = format!("the identifiers of {} echoed", question.words());
        let members = answer_object(answer, &expected)?;
        let sent = [
            ("entity_id", &question.entity_id),
            ("authority_id", &question.authority_id),
            ("action", &question.action),
            ("resource", &question.resource),
        ];
        let differing: Vec<String> = sent
            .iter()
            .filter(|(name, value)| members.get(*name).and_then(Value::as_str) != Some(value.as_str()))
            .map(|(name, _)| format!("`{name}` is {}", members.get(*name).unwrap_or(&Value::Null)))
            .collect();
        if differing.is_empty() {
            Ok(())
        } else {
            Err(Mismatch::new(expected, differing.join(", ")))
        }
    });
    let time_evaluated: Verdict = Box::new(|answer| {
        let expected = "time_evaluated an RFC 3339 date-time";
        let members = answer_object(answer, expected)?;
        match members.get("time_evaluated") {
            Some(Value::String(text)) if rfc3339(text) => Ok(()),
            other => Err(Mismatch::new(expected, format!("time_evaluated {}", other.unwrap_or(&Value::Null)))),
        }
    });
    let mut checks = vec![
        check(
            format!("trqp.{name}.schema"),
            format!("the answer of /{name} has the required members and types"),
            clause,
            request(),
            schema,
        ),
        check(
            format!("trqp.{name}.echo"),
            format!("the answer of /{name} echoes the four identifiers"),
            CLAUSE_ECHO,
            request(),
            echo,
        ),
        check(
            format!("trqp.{name}.time-evaluated"),
            format!("the answer of /{name} states time_evaluated in RFC 3339"),
            CLAUSE_TIME_EVALUATED,
            request(),
            time_evaluated,
        ),
    ];
    for check in &mut checks {
        check.inapplicable_when = unknown_to_registry(probe);
    }
    checks
}

fn status_is(status: u16, what: &'static str) -> Verdict {
    Box::new(move |answer| {
        if answer.status == status {
            Ok(())
        } else {
            Err(Mismatch::new(format!("HTTP {status} ({what})"), describe(answer)))
        }
    })
}

/// Requests whose schema is wrong, each answered 400.
fn request_error_checks(question: &QuestionIds) -> Vec<Check> {
    let valid = || -> Map<String, Value> {
        match serde_json::from_slice(&question.body(None)) {
            Ok(Value::Object(members)) => members,
            _ => Map::new(),
        }
    };
    let changed = |edit: &dyn Fn(&mut Map<String, Value>)| {
        let mut members = valid();
        edit(&mut members);
        serde_json::to_vec(&Value::Object(members)).unwrap_or_default()
    };
    let mut cases: Vec<(String, String, &'static str, Vec<u8>)> = vec![
        (
            "malformed-json".to_owned(),
            "a body that is not JSON is a 400 problem".to_owned(),
            CLAUSE_BAD_REQUEST,
            b"{\"entity_id\": ".to_vec(),
        ),
        (
            "not-an-object".to_owned(),
            "a JSON array instead of an object is a 400 problem".to_owned(),
            CLAUSE_REQUEST_SCHEMA,
            b"[\"entity_id\"]".to_vec(),
        ),
    ];
    for name in ["entity_id", "authority_id", "action", "resource"] {
        cases.push((
            format!("missing.{name}"),
            format!("a request without `{name}` is a 400 problem"),
            CLAUSE_BAD_REQUEST,
            changed(&|members| {
                members.remove(name);
            }),
        ));
    }
    cases.push((
        "empty.entity_id".to_owned(),
        "an empty `entity_id` is a 400 problem".to_owned(),
        CLAUSE_REQUEST_SCHEMA,
        changed(&|members| {
            members.insert("entity_id".to_owned(), json!(""));
        }),
    ));
    cases.push((
        "type.action".to_owned(),
        "a number as `action` is a 400 problem".to_owned(),
        CLAUSE_REQUEST_SCHEMA,
        changed(&|members| {
            members.insert("action".to_owned(), json!(42));
        }),
    ));
    cases.push((
        "type.context".to_owned(),
        "a string as `context` is a 400 problem".to_owned(),
        CLAUSE_REQUEST_SCHEMA,
        changed(&|members| {
            members.insert("context".to_owned(), json!("yesterday"));
        }),
    ));
    let mut checks: Vec<Check> = cases
        .into_iter()
        .map(|(id, title, clause, body)| {
            check(
                format!("trqp.error.{id}"),
                title,
                clause,
                CheckRequest::post_json("authorization", body),
                status_is(400, "problem details"),
            )
        })
        .collect();
    let mut without_entity = valid();
    without_entity.remove("entity_id");
    checks.push(check(
        "trqp.error.recognition.missing.entity_id",
        "a recognition request without `entity_id` is a 400 problem",
        CLAUSE_BAD_REQUEST,
        CheckRequest::post_json("recognition", serde_json::to_vec(&Value::Object(without_entity)).unwrap_or_default()),
        status_is(400, "problem details"),
    ));
    checks.extend(problem_checks("400", CheckRequest::post_json("authorization", b"{\"entity_id\": ".to_vec()), None));
    checks
}

/// The three problem-details checks on the answer to `request`, named `trqp.problem.<label>.*`.
fn problem_checks(label: &str, request: CheckRequest, hidden: Option<fn() -> Inapplicability>) -> Vec<Check> {
    let problem = |answer: &CheckReply, expected: &str| -> Result<Map<String, Value>, Mismatch> {
        match serde_json::from_slice(&answer.body) {
            Ok(Value::Object(members)) if answer.status >= 400 => Ok(members),
            _ => Err(Mismatch::new(expected, describe(answer))),
        }
    };
    let members: Verdict = Box::new(move |answer| {
        let expected = "a problem object with type, title, status and detail";
        let members = problem(answer, expected)?;
        let required = [("type", "string"), ("title", "string"), ("status", "number"), ("detail", "string")];
        members_typed(&members, &required, expected)
    });
    let status: Verdict = Box::new(move |answer| {
        let expected = format!("`status` {} like the response", answer.status);
        let members = problem(answer, &expected)?;
        match members.get("status") {
            Some(value) if value.as_u64() == Some(u64::from(answer.status)) => Ok(()),
            other => Err(Mismatch::new(expected, format!("`status` {}", other.unwrap_or(&Value::Null)))),
        }
    });
    let media: Verdict = Box::new(|answer| {
        if answer.status >= 400 && media_type(answer) == "application/problem+json" {
            Ok(())
        } else {
            Err(Mismatch::new("an error with Content-Type application/problem+json", describe(answer)))
        }
    });
    let mut checks = vec![
        check(
            format!("trqp.problem.{label}.members"),
            format!("the {label} problem has type, title, status and detail"),
            CLAUSE_PROBLEM_MEMBERS,
            request.clone(),
            members,
        ),
        check(
            format!("trqp.problem.{label}.status"),
            format!("the {label} problem's status is the HTTP status"),
            CLAUSE_PROBLEM_STATUS,
            request.clone(),
            status,
        ),
        check(
            format!("trqp.problem.{label}.media-type"),
            format!("the {label} problem is application/problem+json"),
            CLAUSE_PROBLEM_MEDIA_TYPE,
            request,
            media,
        ),
    ];
    if let Some(hidden) = hidden {
        checks.iter_mut().for_each(|check| check.inapplicable_when = Some(hidden()));
    }
    checks
}

/// A 200 "no" to an unknown name, from a registry that documents hiding unknown names.
fn hidden_unknown() -> Inapplicability {
    Box::new(|answer| {
        let no = serde_json::from_slice::<Value>(&answer.body)
            .is_ok_and(|body| body.get("authorized") == Some(&Value::Bool(false)));
        (answer.status == 200 && no)
            .then(|| "the registry hides unknown names (--hides-unknown): a plain 200 \"no\" instead of 404".to_owned())
    })
}

fn not_found_checks(plan: &RegistryPlan, question: &QuestionIds) -> Vec<Check> {
    let hidden = plan.hides_unknown.then_some(hidden_unknown as fn() -> Inapplicability);
    let unknown_authority = QuestionIds { authority_id: UNKNOWN_AUTHORITY.to_owned(), ..question.clone() };
    let unknown_entity = QuestionIds { entity_id: UNKNOWN_ENTITY.to_owned(), ..question.clone() };
    let authority_request = CheckRequest::post_json("authorization", unknown_authority.body(None));
    let mut checks = vec![
        check(
            "trqp.error.unknown-authority",
            "a question to an unknown authority is a 404 problem",
            CLAUSE_NOT_FOUND,
            authority_request.clone(),
            status_is(404, "problem details"),
        ),
        check(
            "trqp.error.unknown-entity",
            "a question about an unknown entity is a 404 problem",
            CLAUSE_NOT_FOUND,
            CheckRequest::post_json("authorization", unknown_entity.body(None)),
            status_is(404, "problem details"),
        ),
    ];
    if let Some(hidden) = hidden {
        checks.iter_mut().for_each(|check| check.inapplicable_when = Some(hidden()));
    }
    checks.extend(problem_checks("404", authority_request, hidden));
    checks
}

fn time_checks(probe: &Probe) -> Vec<Check> {
    let question = &probe.question;
    let with_time =
        |time: Value| CheckRequest::post_json("authorization", question.body(Some(json!({ "time": time }))));
    let mut checks: Vec<Check> = [
        ("invalid", "a context.time that is not a date-time is a 400 problem", json!("last tuesday")),
        ("offset", "a context.time with a +02:00 offset is a 400 problem", json!("2025-06-01T02:00:00+02:00")),
        ("type", "a number as context.time is a 400 problem", json!(1_748_736_000)),
    ]
    .into_iter()
    .map(|(id, title, time)| {
        check(format!("trqp.time.{id}"), title, CLAUSE_TIME_SYNTAX, with_time(time), status_is(400, "problem details"))
    })
    .collect();
    let echo: Verdict = Box::new(|answer| {
        let expected = format!("HTTP 200 with time_requested \"{SAMPLE_TIME}\"");
        let members = answer_object(answer, &expected)?;
        match members.get("time_requested") {
            Some(Value::String(text)) if text == SAMPLE_TIME => Ok(()),
            other => Err(Mismatch::new(expected, format!("time_requested {}", other.unwrap_or(&Value::Null)))),
        }
    });
    let mut echo = check(
        "trqp.time.echo",
        "an as-of query echoes its time as time_requested",
        CLAUSE_TIME_ECHO,
        with_time(json!(SAMPLE_TIME)),
        echo,
    );
    echo.inapplicable_when = unknown_to_registry(probe);
    checks.push(echo);
    let ignored: Verdict = Box::new(|answer| {
        if matches!(answer.status, 200 | 404) {
            Ok(())
        } else {
            Err(Mismatch::new("the answer without the member (200, or 404 for an unknown name)", describe(answer)))
        }
    });
    checks.push(check(
        "trqp.context.unknown-member",
        "an unknown context member is ignored",
        CLAUSE_CONTEXT_IGNORED,
        CheckRequest::post_json("authorization", question.body(Some(json!({ "x-conformance-unknown": {"a": 1} })))),
        ignored,
    ));
    checks
}

/// The companion endpoint is optional: 501 says it is not offered.
fn metadata_not_offered() -> Inapplicability {
    Box::new(|answer| {
        (answer.status == 501).then(|| "GET /metadata is not offered (501), which the profile allows".to_owned())
    })
}

fn metadata_checks(authority_id: &str) -> Vec<Check> {
    let authority = authority_id.to_owned();
    let shape: Verdict = Box::new(move |answer| {
        let expected = format!("HTTP 200 application/json, an object whose authority_id (if given) is {authority}");
        let members = answer_object(answer, &expected)?;
        match members.get("authority_id") {
            None => Ok(()),
            Some(Value::String(listed)) if *listed == authority => Ok(()),
            Some(other) => Err(Mismatch::new(expected, format!("authority_id {other}"))),
        }
    });
    let mut checks = vec![
        check(
            "trqp.metadata.shape",
            "GET /metadata describes the authority",
            CLAUSE_METADATA,
            CheckRequest::get(format!("metadata?authority_id={}", encode(authority_id))),
            shape,
        ),
        check(
            "trqp.metadata.missing-authority",
            "GET /metadata without authority_id is a 400",
            CLAUSE_METADATA_ERRORS,
            CheckRequest::get("metadata"),
            status_is(400, "problem details"),
        ),
        check(
            "trqp.metadata.unknown-authority",
            "GET /metadata of an unknown authority is a 404",
            CLAUSE_METADATA_ERRORS,
            CheckRequest::get(format!("metadata?authority_id={}", encode(UNKNOWN_AUTHORITY))),
            status_is(404, "problem details"),
        ),
    ];
    checks.iter_mut().for_each(|check| check.inapplicable_when = Some(metadata_not_offered()));
    checks
}

/// The answer's verdict member equals `expected`, or (without an expectation) is a boolean.
fn granted_is(kind: StatementKind, expected: Option<bool>) -> Verdict {
    let member = verdict_member(kind);
    Box::new(move |answer| {
        let wanted = match expected {
            Some(value) => format!("HTTP 200 with `{member}`: {value}"),
            None => format!("HTTP 200 with `{member}` a boolean"),
        };
        let members = answer_object(answer, &wanted)?;
        match (members.get(member), expected) {
            (Some(Value::Bool(value)), Some(expected)) if *value == expected => Ok(()),
            (Some(Value::Bool(_)), None) => Ok(()),
            (other, _) => Err(Mismatch::new(wanted, format!("`{member}` {}", other.unwrap_or(&Value::Null)))),
        }
    })
}

fn named_checks(plan: &RegistryPlan) -> Vec<Check> {
    plan.questions
        .iter()
        .enumerate()
        .map(|(index, named)| {
            let question = QuestionIds {
                entity_id: named.entity_id.clone(),
                authority_id: plan.authority_id.clone(),
                action: named.action.clone(),
                resource: named.resource.clone(),
            };
            let answer = match named.expect {
                Some(true) => "authorized",
                Some(false) => "not authorized",
                None => "answered",
            };
            check(
                format!("trqp.named.{}", index + 1),
                format!("{} is {answer}", question.words()),
                CLAUSE_NAMED,
                CheckRequest::post_json("authorization", question.body(None)),
                granted_is(StatementKind::Authorization, named.expect),
            )
        })
        .collect()
}

fn as_of_not_applicable() -> Check {
    not_applicable(
        "trqp.time.as-of",
        "as-of answers follow the registry's history",
        CLAUSE_TIME_AS_OF,
        CheckRequest::post_json("authorization", Vec::new()),
        "needs a registry whose history the kit knows: a trustnode target (its signed snapshot)".to_owned(),
    )
}

fn node_checks(authority_id: &str, node: &NodeFacts, probe: &QuestionIds) -> Vec<Check> {
    let snapshot = match &node.snapshot {
        Ok(snapshot) => snapshot,
        Err(why) => {
            let failed: Verdict = {
                let why = why.clone();
                Box::new(move |_| Err(Mismatch::new("the latest snapshot, canonical and signed", why.clone())))
            };
            return vec![check(
                "node.snapshot.canonical",
                "the latest snapshot is in canonical form",
                CLAUSE_NODE_CANONICAL,
                latest_snapshot_request(authority_id),
                failed,
            )];
        }
    };
    let (sequence, digest) = (snapshot.snapshot().sequence, snapshot.digest());
    let numbered = || CheckRequest::get(format!("registries/{}/snapshots/{sequence}", encode(authority_id)));
    let authority = authority_id.to_owned();
    let canonical: Verdict = Box::new(move |answer| {
        let parsed = snapshot_of(answer)?;
        let expected = format!("snapshot {sequence} of {authority} with digest {digest}");
        let content = parsed.snapshot();
        if parsed.digest() == digest && content.authority_id == authority && content.sequence == sequence {
            Ok(())
        } else {
            let observed =
                format!("snapshot {} of {} with digest {}", content.sequence, content.authority_id, parsed.digest());
            Err(Mismatch::new(expected, observed))
        }
    });
    let mut checks = vec![
        check(
            "node.registries.listed",
            "GET /registries lists the authority's latest snapshot",
            CLAUSE_NODE_LISTING,
            CheckRequest::get("registries"),
            listed(authority_id, sequence, digest),
        ),
        check(
            "node.snapshot.canonical",
            "the latest snapshot is in canonical form",
            CLAUSE_NODE_CANONICAL,
            numbered(),
            canonical,
        ),
    ];
    let signature_title = "the snapshot's detached JWS verifies against the authority's DID document";
    checks.push(match &node.authority_document {
        Ok(document) => check(
            "node.snapshot.signature",
            signature_title,
            CLAUSE_NODE_SIGNATURE,
            numbered(),
            signed_by(document.clone()),
        ),
        Err(why) => not_applicable(
            "node.snapshot.signature",
            signature_title,
            CLAUSE_NODE_SIGNATURE,
            numbered(),
            format!("the kit could not resolve the authority's DID: {why}"),
        ),
    });
    checks.push(check(
        "node.metadata.snapshot",
        "GET /metadata names the latest snapshot's sequence and digest",
        CLAUSE_NODE_PINNED,
        CheckRequest::get(format!("metadata?authority_id={}", encode(authority_id))),
        pinned(sequence, digest),
    ));
    checks.push(check(
        "node.answer.snapshot",
        "a TRQP answer names the snapshot it was answered from",
        CLAUSE_NODE_PINNED,
        CheckRequest::post_json("authorization", probe.body(None)),
        pinned(sequence, digest),
    ));
    let index = RegistryIndex::new(snapshot.clone());
    checks.extend(as_of_checks(authority_id, &index));
    checks.push(proof_check(authority_id, &index, &node.authority_document, probe));
    checks
}

fn listed(authority_id: &str, sequence: u64, digest: Digest) -> Verdict {
    let authority = authority_id.to_owned();
    Box::new(move |answer| {
        let expected = format!("{authority} listed with sequence {sequence} and digest {digest}");
        let listing: Value =
            serde_json::from_slice(&answer.body).map_err(|_| Mismatch::new(&expected, describe(answer)))?;
        let entry = listing.get("registries").and_then(Value::as_array).and_then(|entries| {
            entries.iter().find(|entry| entry.get("authority_id").and_then(Value::as_str) == Some(&authority))
        });
        let matches = entry.is_some_and(|entry| {
            entry.get("sequence").and_then(Value::as_u64) == Some(sequence)
                && entry.get("digest").and_then(Value::as_str) == Some(digest.to_string().as_str())
        });
        if matches {
            Ok(())
        } else {
            Err(Mismatch::new(expected, entry.map_or_else(|| describe(answer), Value::to_string)))
        }
    })
}

fn signed_by(document: Value) -> Verdict {
    Box::new(move |answer| {
        let snapshot = snapshot_of(answer)?;
        let jws = answer
            .header(SNAPSHOT_JWS_HEADER)
            .ok_or_else(|| Mismatch::new(format!("a {SNAPSHOT_JWS_HEADER} header"), describe(answer)))?;
        snapshot
            .verify_signature(jws, &document)
            .map(|_| ())
            .map_err(|error| Mismatch::new("a signature by a key of the authority", error.to_string()))
    })
}

/// The answer names snapshot `sequence` with `digest`.
fn pinned(sequence: u64, digest: Digest) -> Verdict {
    Box::new(move |answer| {
        let expected = format!("HTTP 200 with registry_sequence {sequence} and snapshot_digest {digest}");
        let members = answer_object(answer, &expected)?;
        let named = (members.get("registry_sequence"), members.get("snapshot_digest"));
        match named {
            (Some(Value::Number(number)), Some(Value::String(text)))
                if number.as_u64() == Some(sequence) && *text == digest.to_string() =>
            {
                Ok(())
            }
            (number, text) => Err(Mismatch::new(
                expected,
                format!(
                    "registry_sequence {}, snapshot_digest {}",
                    number.unwrap_or(&Value::Null),
                    text.unwrap_or(&Value::Null)
                ),
            )),
        }
    })
}

/// As-of questions at the edges of each statement's history (just before and at each change, validity start and
/// end), with the answer the snapshot itself gives. Where the registry delegates, only answers its own statements
/// grant are judged: a "no" here might be a "yes" through a delegation the kit does not follow.
/// Asks for a proof of an answer the snapshot grants (at a moment one of its statements is in force) and checks
/// every link against the authority's DID document, and that the answer follows from them.
fn proof_check(
    authority_id: &str,
    index: &RegistryIndex,
    authority_document: &Result<Value, String>,
    probe: &QuestionIds,
) -> Check {
    let (id, title) = ("node.proof.inclusion", "a positive answer's proof verifies with only the authority's DID");
    let granted =
        index.snapshot().snapshot().statements.iter().filter(|statement| !statement.is_delegation()).find_map(
            |statement| {
                let moments = std::iter::once(statement.valid_from).chain(statement.history.iter().map(|c| c.since));
                let query = |at| Query {
                    kind: statement.kind,
                    entity_id: &statement.entity_id,
                    action: &statement.action,
                    resource: &statement.resource,
                    at,
                };
                moments.into_iter().find(|at| index.evaluate(&query(*at)).granted()).map(|at| (statement, at))
            },
        );
    let (document, (statement, at)) = match (authority_document, granted) {
        (Ok(document), Some(granted)) => (document.clone(), granted),
        (Err(why), _) => {
            let request = CheckRequest::post_json("authorization", probe.body(None));
            let reason = format!("the kit could not resolve the authority's DID: {why}");
            return not_applicable(id, title, CLAUSE_NODE_PROOF, request, reason);
        }
        (_, None) => {
            let request = CheckRequest::post_json("authorization", probe.body(None));
            let reason = "the snapshot grants nothing at any moment, so there is no answer to prove".to_owned();
            return not_applicable(id, title, CLAUSE_NODE_PROOF, request, reason);
        }
    };
    let question = QuestionIds {
        entity_id: statement.entity_id.clone(),
        authority_id: authority_id.to_owned(),
        action: statement.action.clone(),
        resource: statement.resource.clone(),
    };
    let body = question.body(Some(json!({ "time": at.to_string(), "proof": true })));
    check(id, title, CLAUSE_NODE_PROOF, CheckRequest::post_json(endpoint(statement.kind), body), proven_by(document))
}

fn proven_by(document: Value) -> Verdict {
    Box::new(move |answer| {
        let expected = "a positive answer whose every proof link verifies and supports it";
        let parsed: ProvenAnswer = serde_json::from_slice(&answer.body)
            .map_err(|error| Mismatch::new(expected, format!("an unreadable answer: {error}")))?;
        let proof = parsed.proof.as_ref().ok_or_else(|| Mismatch::new(expected, "an answer without `proof`"))?;
        for (index, link) in proof.links.iter().enumerate() {
            link.verify(&document).map_err(|error| Mismatch::new(expected, format!("link {index}: {error}")))?;
        }
        check_answer(&parsed).map(|_| ()).map_err(|error| Mismatch::new(expected, error.to_string()))
    })
}

fn as_of_checks(authority_id: &str, index: &RegistryIndex) -> Vec<Check> {
    let mut checks = Vec::new();
    for statement in index.snapshot().snapshot().statements.iter().filter(|statement| !statement.is_delegation()) {
        let changes = statement.history.iter().map(|change| change.since);
        let edges = std::iter::once(statement.valid_from).chain(changes).chain(statement.valid_until);
        let mut moments: Vec<Timestamp> =
            edges.flat_map(|edge| [edge.checked_add_seconds(-1), Some(edge)]).flatten().collect();
        moments.sort();
        moments.dedup();
        for at in moments {
            if checks.len() == MAX_AS_OF_CHECKS {
                return checks;
            }
            let query = Query {
                kind: statement.kind,
                entity_id: &statement.entity_id,
                action: &statement.action,
                resource: &statement.resource,
                at,
            };
            let granted = index.evaluate(&query).granted();
            if !granted && index.has_delegations() {
                continue;
            }
            let question = QuestionIds {
                entity_id: statement.entity_id.clone(),
                authority_id: authority_id.to_owned(),
                action: statement.action.clone(),
                resource: statement.resource.clone(),
            };
            let time = at.to_string();
            let body = question.body(Some(json!({ "time": time })));
            let answer = if granted { "granted" } else { "not granted" };
            checks.push(check(
                format!("node.as-of.{}.{time}", statement.id),
                format!("as of {time}, statement {} ({}) is {answer}", statement.id, question.words()),
                CLAUSE_TIME_AS_OF,
                CheckRequest::post_json(endpoint(statement.kind), body),
                as_of(statement.kind, granted, time),
            ));
        }
    }
    checks
}

fn as_of(kind: StatementKind, granted: bool, time: String) -> Verdict {
    let granted_verdict = granted_is(kind, Some(granted));
    Box::new(move |answer| {
        granted_verdict(answer)?;
        let members = answer_object(answer, "HTTP 200")?;
        match members.get("time_requested") {
            Some(Value::String(text)) if *text == time => Ok(()),
            other => Err(Mismatch::new(
                format!("time_requested \"{time}\""),
                format!("time_requested {}", other.unwrap_or(&Value::Null)),
            )),
        }
    })
}
