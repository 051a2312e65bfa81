//! The conformance kit run over real HTTP: it passes everything against trustnode itself, and against a
//! deliberately wrong resolver it reports the specific failures with useful expected/observed text, treats
//! unclaimed methods as not applicable and stays under the base URL.

use std::time::Duration;

use crate::support::node::TestNode;
use crate::support::recording::{self, Seen};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use trustnode_conformance::runner::{run_resolver, RunSettings};
use trustnode_conformance::{Outcome, Report};

fn settings(base_url: String) -> RunSettings {
    RunSettings {
        base_url,
        identifiers_path: "/1.0/identifiers".to_owned(),
        concurrency: 4,
        rate_per_second: 1000,
        timeout: Duration::from_secs(5),
        progress: false,
    }
}

fn outcome<'a>(report: &'a Report, id: &str) -> &'a Outcome {
    &report.results.iter().find(|result| result.id == id).unwrap_or_else(|| panic!("no check {id}")).outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trustnode_passes_every_check() {
    let node = TestNode::start(|_| {}).await;
    let report =
        run_resolver(settings(format!("http://{}", node.addr)), &["key", "jwk", "web"], "trustnode").await.unwrap();
    let failures: Vec<String> = report
        .results
        .iter()
        .filter(|result| matches!(result.outcome, Outcome::Fail { .. }))
        .map(|result| format!("{}: {:?}", result.id, result.outcome))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let totals = report.totals();
    assert!(totals.pass > 200, "{totals:?}");
    // Only did:web mappings (and origin-dependent refusals) need a network; everything else ran.
    let not_applicable = report.results.iter().filter(|r| matches!(r.outcome, Outcome::NotApplicable { .. }));
    assert!(
        not_applicable.clone().all(|result| result.id.starts_with("web.")),
        "{:?}",
        not_applicable.collect::<Vec<_>>()
    );
}

/// A resolver that claims only did:key and answers every identifier with the same 200 JSON body; it records the
/// paths it was asked for.
async fn wrong_resolver() -> (String, Seen) {
    let routes = Router::new().route("/1.0/methods", get(|| async { axum::Json(serde_json::json!(["key"])) }));
    let (addr, seen) = recording::serve(routes, |_, _| {
        (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"didDocument":{"id":"did:example:fixed"}}"#)
            .into_response()
    })
    .await;
    (format!("http://{addr}"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_resolver_fails_with_expected_and_observed_answers() {
    let (base, seen) = wrong_resolver().await;
    let report = run_resolver(settings(base), &["key", "jwk"], "wrong").await.unwrap();

    let Outcome::Fail { expected, observed } = outcome(&report, "http.not-a-did") else {
        panic!("not-a-did must fail: {:?}", outcome(&report, "http.not-a-did"));
    };
    assert!(expected.contains("400") && expected.contains("INVALID_DID"), "{expected}");
    assert!(observed.starts_with("HTTP 200") && observed.contains("did:example:fixed"), "{observed}");

    let Outcome::Fail { expected, observed } = outcome(&report, "key.fresh.secp256k1-pub") else {
        panic!("a fresh key must fail");
    };
    assert!(expected.starts_with("document id did:key:z"), "{expected}");
    assert_eq!(observed, "id \"did:example:fixed\"");

    let Outcome::Fail { expected, .. } = outcome(&report, "http.full-result.default") else {
        panic!("the default representation must fail");
    };
    assert!(expected.contains("application/did-resolution"), "{expected}");
    assert!(matches!(outcome(&report, "http.method-not-supported"), Outcome::Fail { .. }));

    // did:jwk is not in /1.0/methods: not applicable, and never asked for.
    let Outcome::NotApplicable { reason } = outcome(&report, "jwk.vector.00") else {
        panic!("unclaimed did:jwk must be n/a");
    };
    assert!(reason.contains("/1.0/methods"), "{reason}");
    let seen = seen.lock().unwrap();
    assert!(seen.iter().all(|path| path.starts_with("/1.0/identifiers")), "requests outside the base: {seen:?}");
    assert!(!seen.iter().any(|path| path.contains("did%3Ajwk")), "unclaimed methods are not requested");
    assert_eq!(report.totals().pass, 0, "a fixed answer satisfies no check");
}
