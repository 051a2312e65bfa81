//! The registry conformance kit over real HTTP: it passes everything against a trustnode hosting a signed registry
//! (signature, snapshot pinning and as-of answers from the registry's own history included, JSON and JUnit output
//! too), treats a documented "hide unknown names" node as n/a rather than failing, and against a deliberately broken
//! TRQP server it reports exactly the broken behaviours, without leaving the base URL.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::recording::{self, Seen};
use crate::support::registry::{node_for, Fixture, BADGE, COLLEGE, UNIVERSITY};
use axum::body::Bytes;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use trustnode_conformance::registry::{NamedQuestion, RegistryPlan};
use trustnode_conformance::report::{render, ReportFormat};
use trustnode_conformance::runner::{run_registry, RunSettings};
use trustnode_conformance::{Outcome, Report};
use trustnode_registry::model::Timestamp;
use trustnode_resolver::{computed, Resolver};

fn settings(base_url: String) -> RunSettings {
    RunSettings {
        base_url,
        identifiers_path: String::new(),
        concurrency: 4,
        rate_per_second: 1000,
        timeout: Duration::from_secs(5),
        progress: false,
    }
}

fn offline_resolver() -> Resolver {
    Resolver::new(computed::key_and_jwk(16))
}

fn question(entity: &str, action: &str, resource: &str, expect: Option<bool>) -> NamedQuestion {
    NamedQuestion { entity_id: entity.into(), action: action.into(), resource: resource.into(), expect }
}

fn ids_with(report: &Report, label: &str) -> BTreeSet<String> {
    report.results.iter().filter(|result| result.outcome.label() == label).map(|result| result.id.clone()).collect()
}

fn ids(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|id| (*id).to_owned()).collect()
}

fn outcome<'a>(report: &'a Report, id: &str) -> &'a Outcome {
    &report.results.iter().find(|result| result.id == id).unwrap_or_else(|| panic!("no check {id}")).outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trustnode_passes_every_registry_check() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let plan = RegistryPlan {
        authority_id: fixture.authority.clone(),
        // The university's authorization was revoked in 2025; the college's is in force again.
        questions: vec![
            question(UNIVERSITY, "issue", BADGE, Some(false)),
            question(COLLEGE, "issue", "Certificate", Some(true)),
        ],
        hides_unknown: false,
        trustnode: false,
    };
    let report =
        run_registry(settings(format!("http://{}", node.addr)), &plan, &offline_resolver(), "trustnode").await.unwrap();
    assert_eq!(report.suite, "registry");
    let failures: Vec<_> = report.results.iter().filter(|result| result.outcome.label() == "fail").collect();
    assert!(failures.is_empty(), "{failures:#?}");
    // Detected as a trustnode without --trustnode: the snapshot checks ran and passed.
    for id in [
        "node.registries.listed",
        "node.snapshot.canonical",
        "node.snapshot.signature",
        "node.metadata.snapshot",
        "node.proof.inclusion",
    ] {
        assert_eq!(outcome(&report, id), &Outcome::Pass, "{id}");
    }
    let as_of = report.results.iter().filter(|result| result.id.starts_with("node.as-of.")).count();
    assert!(as_of >= 10, "as-of checks from the revocation, suspension and expiry history: {as_of}");
    assert!(ids_with(&report, "n/a").is_empty(), "{:#?}", ids_with(&report, "n/a"));

    let json = render(&report, ReportFormat::Json);
    assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
    let junit = render(&report, ReportFormat::Junit);
    let header = format!("tests=\"{}\" failures=\"0\" skipped=\"0\"", report.results.len());
    assert!(junit.contains(&header), "{junit}");
    assert!(junit.contains("name=\"registry conformance: trustnode\""), "{junit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_hides_unknown_names_is_not_applicable_there_and_fails_without_the_flag() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.trqp.hide_unknown = true).await;
    let base = format!("http://{}", node.addr);
    let plan = RegistryPlan {
        authority_id: fixture.authority.clone(),
        questions: Vec::new(),
        hides_unknown: true,
        trustnode: false,
    };
    let hidden = run_registry(settings(base.clone()), &plan, &offline_resolver(), "hiding").await.unwrap();
    assert!(ids_with(&hidden, "fail").is_empty(), "{:#?}", ids_with(&hidden, "fail"));
    let expected_hidden = ids(&[
        "trqp.error.unknown-authority",
        "trqp.error.unknown-entity",
        "trqp.problem.404.members",
        "trqp.problem.404.status",
        "trqp.problem.404.media-type",
    ]);
    assert_eq!(ids_with(&hidden, "n/a"), expected_hidden);
    let Outcome::NotApplicable { reason } = outcome(&hidden, "trqp.error.unknown-authority") else { unreachable!() };
    assert!(reason.contains("--hides-unknown"), "{reason}");

    let undocumented = RegistryPlan { hides_unknown: false, ..plan };
    let report = run_registry(settings(base), &undocumented, &offline_resolver(), "hiding").await.unwrap();
    assert_eq!(ids_with(&report, "fail"), expected_hidden);
}

const BROKEN_AUTHORITY: &str = "did:example:broken-board";
const BROKEN_ENTITY: &str = "did:example:broken-school";

/// A problem document without `status`.
fn problem_without_status(status: StatusCode, detail: &str) -> Response {
    let body = json!({"type": "about:blank", "title": status.canonical_reason(), "detail": detail});
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// A TRQP server with three faults: `authorized` is a string, unknown names get a 200 "no" instead of 404, and its
/// problem documents lack `status`. Everything else follows the specification. It answers under `/trqp` only and
/// records every path it was asked for.
fn broken_trqp(uri: &Uri, body: &Bytes) -> Response {
    let path = uri.path().trim_start_matches("/trqp");
    match path {
        "/authorization" | "/recognition" => {}
        "/metadata" => {
            let query = uri.query().unwrap_or_default();
            return match query.strip_prefix("authority_id=") {
                None => problem_without_status(StatusCode::BAD_REQUEST, "authority_id is required"),
                Some("did%3Aexample%3Abroken-board") => {
                    axum::Json(json!({"authority_id": BROKEN_AUTHORITY, "name": "Broken board"})).into_response()
                }
                Some(_) => problem_without_status(StatusCode::NOT_FOUND, "unknown authority"),
            };
        }
        _ => return problem_without_status(StatusCode::NOT_FOUND, "no such endpoint"),
    }
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return problem_without_status(StatusCode::BAD_REQUEST, "not a JSON object");
    };
    let text = |name: &str| request.get(name).and_then(Value::as_str).filter(|value| !value.is_empty());
    let (Some(entity), Some(authority), Some(action), Some(resource)) =
        (text("entity_id"), text("authority_id"), text("action"), text("resource"))
    else {
        return problem_without_status(StatusCode::BAD_REQUEST, "missing fields");
    };
    let time = match request.get("context") {
        None => None,
        Some(Value::Object(context)) => match context.get("time") {
            None => None,
            Some(Value::String(time)) if Timestamp::parse(time).is_ok() => Some(time.clone()),
            Some(_) => return problem_without_status(StatusCode::BAD_REQUEST, "bad time"),
        },
        Some(_) => return problem_without_status(StatusCode::BAD_REQUEST, "context must be an object"),
    };
    if path == "/recognition" {
        return problem_without_status(StatusCode::NOT_FOUND, "no recognitions here");
    }
    let known = authority == BROKEN_AUTHORITY && entity == BROKEN_ENTITY;
    let mut answer = json!({
        "entity_id": entity,
        "authority_id": authority,
        "action": action,
        "resource": resource,
        "authorized": if known { json!("true") } else { json!(false) },
        "time_evaluated": "2026-01-01T00:00:00Z",
    });
    if let (Some(time), Some(members)) = (time, answer.as_object_mut()) {
        members.insert("time_requested".into(), json!(time));
    }
    axum::Json(answer).into_response()
}

async fn broken_server() -> (String, Seen) {
    let (addr, seen) = recording::serve(Router::new(), broken_trqp).await;
    (format!("http://{addr}/trqp"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_registry_fails_exactly_the_broken_checks() {
    let (base, seen) = broken_server().await;
    let plan = RegistryPlan {
        authority_id: BROKEN_AUTHORITY.to_owned(),
        questions: vec![question(BROKEN_ENTITY, "issue", BADGE, Some(true))],
        hides_unknown: false,
        trustnode: false,
    };
    let report = run_registry(settings(base), &plan, &offline_resolver(), "broken").await.unwrap();
    let expected_failures = ids(&[
        // `authorized` is a string.
        "trqp.authorization.schema",
        "trqp.named.1",
        // Problems lack `status`.
        "trqp.problem.400.members",
        "trqp.problem.400.status",
        // 200 "no" instead of 404, so no problem document either.
        "trqp.error.unknown-authority",
        "trqp.error.unknown-entity",
        "trqp.problem.404.members",
        "trqp.problem.404.status",
        "trqp.problem.404.media-type",
    ]);
    assert_eq!(ids_with(&report, "fail"), expected_failures);
    let Outcome::Fail { expected, observed } = outcome(&report, "trqp.authorization.schema") else { unreachable!() };
    assert!(expected.contains("`authorized` a boolean"), "{expected}");
    assert!(observed.contains("`authorized` is a string"), "{observed}");
    let Outcome::Fail { observed, .. } = outcome(&report, "trqp.problem.400.members") else { unreachable!() };
    assert!(observed.contains("`status` missing"), "{observed}");
    let Outcome::Fail { expected, observed } = outcome(&report, "trqp.error.unknown-authority") else { unreachable!() };
    assert!(expected.starts_with("HTTP 404") && observed.starts_with("HTTP 200"), "{expected} / {observed}");

    // Recognition is not offered for the named entity (404): n/a, like the history checks of a foreign registry.
    let not_applicable = ids_with(&report, "n/a");
    let expected_not_applicable = ids(&[
        "trqp.recognition.schema",
        "trqp.recognition.echo",
        "trqp.recognition.time-evaluated",
        "trqp.time.as-of",
    ]);
    assert_eq!(not_applicable, expected_not_applicable);
    assert!(!report.results.iter().any(|result| result.id.starts_with("node.")), "not detected as a trustnode");
    let seen = seen.lock().unwrap();
    assert!(seen.iter().all(|path| path.starts_with("/trqp/")), "requests outside the base: {seen:?}");
}
