//! TRQP v2 over HTTP: request and response shapes checked against the specification's schemas (required members
//! and their types, written here as data), as-of-time answers (revocation, suspension and reinstatement, expiry),
//! problem details for bad requests and unknown names, the no-oracle switch, `/metadata`, and accreditation chains
//! across three registries (state board → accreditor → regional accreditor); the RFC 3339 spellings of a UTC
//! `context.time`, identifiers that must be URIs, and the three ways to ask for a proof.

use crate::support::node::{Reply, TestNode};
use crate::support::registry::{
    at, authorize_math_badge, delegate, node_for, put, Fixture, ACCREDITOR, BADGE, BOOTCAMP, COLLEGE, MATH_BADGE,
    UNIVERSITY,
};
use serde_json::{json, Value};
use trustnode::hosting::answer::{check_saved_answer, AnswerError, Expectations};
use trustnode_registry::model::Status;
use trustnode_registry::proof::ProofError;
use trustnode_resolver::{computed, Resolver};

/// JSON types of the schema members: "string", "boolean", "integer", "object".
type Members = &'static [(&'static str, &'static str)];

/// TRQP v2 authorization response: required members and types.
const AUTHORIZATION_REQUIRED: Members = &[
    ("entity_id", "string"),
    ("authority_id", "string"),
    ("action", "string"),
    ("resource", "string"),
    ("authorized", "boolean"),
    ("time_evaluated", "string"),
];
/// Recognition response: the same with `recognized`.
const RECOGNITION_REQUIRED: Members = &[
    ("entity_id", "string"),
    ("authority_id", "string"),
    ("action", "string"),
    ("resource", "string"),
    ("recognized", "boolean"),
    ("time_evaluated", "string"),
];
/// Optional members (the spec's and the ones this node adds), with their types.
const OPTIONAL: Members = &[
    ("time_requested", "string"),
    ("message", "string"),
    ("context", "object"),
    ("status", "string"),
    ("reason", "string"),
    ("statement_id", "string"),
    ("valid_from", "string"),
    ("valid_until", "string"),
    ("registry_sequence", "integer"),
    ("snapshot_digest", "string"),
    ("registry_stale", "boolean"),
    ("chain", "array"),
];
/// RFC 7807 problem members.
const PROBLEM_REQUIRED: Members =
    &[("type", "string"), ("title", "string"), ("status", "integer"), ("detail", "string")];

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        _ => "other",
    }
}

/// Checks `body` against required and optional members; no other member is allowed.
fn assert_shape(body: &Value, required: Members, optional: Members) {
    let object = body.as_object().unwrap_or_else(|| panic!("not an object: {body}"));
    for (name, expected) in required {
        let value = object.get(*name).unwrap_or_else(|| panic!("missing required `{name}`: {body}"));
        assert_eq!(type_of(value), *expected, "`{name}` in {body}");
    }
    for (name, value) in object {
        let declared = required.iter().chain(optional).find(|(member, _)| member == name);
        let (_, expected) = declared.unwrap_or_else(|| panic!("undeclared member `{name}`: {body}"));
        assert_eq!(type_of(value), *expected, "`{name}` in {body}");
    }
    // Times from registries are whole seconds in UTC; `time_evaluated` is too, unless it is the time asked, which
    // keeps its precision.
    for time in ["time_evaluated", "valid_from", "valid_until"] {
        if let Some(text) = object.get(time).and_then(Value::as_str) {
            let asked = time == "time_evaluated" && object.get("time_requested") == object.get(time);
            assert!(text.ends_with('Z') && (text.len() == 20 || asked), "`{time}` is RFC 3339 UTC: {text}");
        }
    }
}

async fn ask(node: &TestNode, endpoint: &str, body: &Value) -> Reply {
    node.request(hyper::Method::POST, endpoint, &[("content-type", "application/json")], body.to_string()).await
}

fn question(fixture: &Fixture, entity: &str, resource: &str, time: Option<&str>) -> Value {
    let mut body =
        json!({"entity_id": entity, "authority_id": fixture.authority, "action": "issue", "resource": resource});
    if let Some(time) = time {
        body["context"] = json!({"time": time, "locator": "ignored", "unknown_member": 1});
    }
    body
}

async fn authorized(node: &TestNode, fixture: &Fixture, entity: &str, resource: &str, time: &str) -> Value {
    let reply = ask(node, "/authorization", &question(fixture, entity, resource, Some(time))).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let body = reply.json();
    assert_shape(&body, AUTHORIZATION_REQUIRED, OPTIONAL);
    body
}

#[tokio::test]
async fn context_time_is_a_real_as_of_query() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;

    let before = authorized(&node, &fixture, UNIVERSITY, BADGE, "2025-02-28T23:59:59Z").await;
    assert_eq!((before["authorized"].as_bool(), before["status"].as_str()), (Some(true), Some("active")));
    assert_eq!(before["time_requested"], "2025-02-28T23:59:59Z");
    assert_eq!(before["time_evaluated"], "2025-02-28T23:59:59Z");
    assert_eq!(before["statement_id"], "s1");
    let after = authorized(&node, &fixture, UNIVERSITY, BADGE, "2025-03-01T00:00:00Z").await;
    assert_eq!(after["authorized"], false);
    assert_eq!((after["status"].as_str(), after["reason"].as_str()), (Some("revoked"), Some("programme closed")));

    let suspended = authorized(&node, &fixture, COLLEGE, "Certificate", "2025-03-15T00:00:00Z").await;
    assert_eq!((suspended["authorized"].as_bool(), suspended["status"].as_str()), (Some(false), Some("suspended")));
    assert_eq!(suspended["reason"], "audit");
    let reinstated = authorized(&node, &fixture, COLLEGE, "Certificate", "2025-04-01T00:00:00Z").await;
    assert_eq!((reinstated["authorized"].as_bool(), reinstated["reason"].as_str()), (Some(true), Some("audit passed")));

    let valid = authorized(&node, &fixture, BOOTCAMP, BADGE, "2024-12-31T23:59:59Z").await;
    assert_eq!(valid["authorized"], true);
    let expired = authorized(&node, &fixture, BOOTCAMP, BADGE, "2025-01-01T00:00:00Z").await;
    assert_eq!((expired["authorized"].as_bool(), expired["status"].as_str()), (Some(false), Some("expired")));
    assert_eq!(expired["valid_until"], "2025-01-01T00:00:00Z");
    let early = authorized(&node, &fixture, BOOTCAMP, BADGE, "2023-06-01T00:00:00.250Z").await;
    assert_eq!(early["status"], "not_yet_valid");
    assert_eq!(
        (early["time_requested"].as_str(), early["time_evaluated"].as_str()),
        (Some("2023-06-01T00:00:00.250Z"), Some("2023-06-01T00:00:00.250Z"))
    );

    let now = ask(&node, "/authorization", &question(&fixture, COLLEGE, "Certificate", None)).await.json();
    assert_shape(&now, AUTHORIZATION_REQUIRED, OPTIONAL);
    assert_eq!(now["authorized"], true);
    assert!(now.get("time_requested").is_none());
    assert_eq!(now["registry_sequence"], 1);
    assert_eq!(now["snapshot_digest"], fixture.signed[0].0.digest().to_string());
    assert_eq!(now["registry_stale"], false);
}

#[tokio::test]
async fn every_rfc_3339_spelling_of_a_utc_time_asks_the_same_question() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let canonical = authorized(&node, &fixture, UNIVERSITY, BADGE, "2025-02-28T23:59:59Z").await;
    for spelling in ["2025-02-28t23:59:59z", "2025-02-28T23:59:59+00:00", "2025-02-28T23:59:59-00:00"] {
        let answer = authorized(&node, &fixture, UNIVERSITY, BADGE, spelling).await;
        assert_eq!(answer, canonical, "{spelling} is written back with `T` and `Z`");
    }
    // A fraction is kept, and the answer is that of its second: the last before the revocation at 03-01T00:00:00Z.
    let fraction = authorized(&node, &fixture, UNIVERSITY, BADGE, "2025-02-28T23:59:59.999+00:00").await;
    assert_eq!((fraction["authorized"].as_bool(), fraction["statement_id"].as_str()), (Some(true), Some("s1")));
    assert_eq!(fraction["time_requested"], "2025-02-28T23:59:59.999Z");
    assert_eq!(fraction["time_evaluated"], "2025-02-28T23:59:59.999Z");

    for (time, detail) in [
        ("2025-03-01T01:00:00+01:00", "`context.time` must be in UTC (offset `Z` or `+00:00`), not at offset `+01:00`"),
        (
            "2025-03-01 00:00:00Z",
            "`context.time` `2025-03-01 00:00:00Z` is not an RFC 3339 date-time: expected `T` at byte 10 (the form is \
             YYYY-MM-DDTHH:MM:SSZ)",
        ),
    ] {
        let reply = ask(&node, "/authorization", &question(&fixture, UNIVERSITY, BADGE, Some(time))).await;
        assert_eq!(reply.status, 400, "{time}");
        let problem = reply.json();
        assert_eq!(
            (problem["type"].as_str(), problem["detail"].as_str()),
            (Some("urn:trustnode:problem:invalid-time"), Some(detail))
        );
    }
}

#[tokio::test]
async fn identifiers_that_are_not_uris_are_400_even_when_unknown_names_are_hidden() {
    let fixture = Fixture::new();
    let good = question(&fixture, UNIVERSITY, BADGE, None);
    for hide_unknown in [false, true] {
        let node = node_for(&fixture, |config| config.trqp.hide_unknown = hide_unknown).await;
        for (field, value) in [("entity_id", "not a uri"), ("authority_id", "board"), ("entity_id", "did:web:a\u{0}b")]
        {
            let mut body = good.clone();
            body[field] = json!(value);
            for endpoint in ["/authorization", "/recognition"] {
                let reply = ask(&node, endpoint, &body).await;
                assert_eq!(reply.status, 400, "{endpoint} {field} {value:?}: {}", String::from_utf8_lossy(&reply.body));
                let problem = reply.json();
                assert_eq!(problem["type"], "urn:trustnode:problem:invalid-identifier");
                let detail = problem["detail"].as_str().unwrap();
                assert!(detail.starts_with(&format!("`{field}` must be an RFC 3986 URI")), "{detail}");
            }
        }
        // Actions and resources are any non-empty string: TRQP does not make them URIs.
        let mut free = good.clone();
        free["action"] = json!("issue badges");
        assert_eq!(ask(&node, "/authorization", &free).await.status, if hide_unknown { 200 } else { 404 });
    }
}

#[tokio::test]
async fn a_proof_is_asked_by_boolean_by_string_or_by_header_alike() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let time = "2025-02-01T00:00:00Z";
    let asking = |proof: Value| {
        let mut body = question(&fixture, UNIVERSITY, BADGE, None);
        body["context"] = json!({"time": time, "proof": proof});
        body
    };
    let post = |body: Value, headers: &'static [(&'static str, &'static str)]| {
        let node = &node;
        async move {
            let mut all = vec![("content-type", "application/json")];
            all.extend_from_slice(headers);
            node.request(hyper::Method::POST, "/authorization", &all, body.to_string()).await
        }
    };
    let plain = question(&fixture, UNIVERSITY, BADGE, Some(time));
    // Each asked twice, so that a kept answer would show.
    let mut answers = Vec::new();
    for (body, headers) in [
        (asking(json!(true)), &[][..]),
        (asking(json!("true")), &[][..]),
        (plain.clone(), &[("trqp-proof", "true")][..]),
        (asking(json!("false")), &[("trqp-proof", "true")][..]),
    ] {
        for _ in 0..2 {
            let reply = post(body.clone(), headers).await;
            assert_eq!(reply.status, 200, "{body} {headers:?}: {}", String::from_utf8_lossy(&reply.body));
            let vary: Vec<&str> = reply.headers.get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect();
            assert!(vary.starts_with(&["Accept", "trqp-proof"]), "{vary:?}");
            answers.push(reply.json());
        }
    }
    assert!(answers[0]["proof"]["links"].as_array().is_some_and(|links| links.len() == 1), "{}", answers[0]);
    assert!(answers.iter().all(|answer| *answer == answers[0]), "the same proven answer each way");
    for (body, headers) in [(plain.clone(), &[][..]), (asking(json!(false)), &[("trqp-proof", "false")][..])] {
        for _ in 0..2 {
            let answer = post(body.clone(), headers).await.json();
            assert!(answer.get("proof").is_none(), "{body} {headers:?}: {answer}");
        }
    }
    for headers in [
        &[("trqp-proof", "yes")][..],
        &[("trqp-proof", "TRUE")][..],
        &[("trqp-proof", "true"), ("trqp-proof", "true")][..],
    ] {
        let reply = post(plain.clone(), headers).await;
        assert_eq!(reply.status, 400, "{headers:?}");
        assert_eq!(reply.json()["type"], "urn:trustnode:problem:invalid-proof-header");
    }
    let reply = post(asking(json!("yes")), &[]).await;
    assert_eq!(
        (reply.status.as_u16(), reply.json()["type"].as_str()),
        (400, Some("urn:trustnode:problem:invalid-context"))
    );
}

#[tokio::test]
async fn recognition_answers_with_recognized() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let body =
        json!({"entity_id": ACCREDITOR, "authority_id": fixture.authority, "action": "accredit", "resource": "Degree"});
    let reply = ask(&node, "/recognition", &body).await.json();
    assert_shape(&reply, RECOGNITION_REQUIRED, OPTIONAL);
    assert_eq!(reply["recognized"], true);
    // The same statement is no authorization.
    let reply = ask(&node, "/authorization", &body).await.json();
    assert_eq!((reply["authorized"].as_bool(), reply["status"].as_str()), (Some(false), Some("unknown")));
}

#[tokio::test]
async fn bad_requests_are_400_problems() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let good = question(&fixture, UNIVERSITY, BADGE, None);
    let mut cases: Vec<(String, &str)> = vec![
        ("{not json".into(), "invalid-json"),
        ("[]".into(), "invalid-request"),
        (json!({"entity_id": UNIVERSITY}).to_string(), "missing-fields"),
    ];
    for field in ["entity_id", "authority_id", "action", "resource"] {
        let mut empty = good.clone();
        empty[field] = json!("");
        cases.push((empty.to_string(), "missing-fields"));
        let mut wrong_type = good.clone();
        wrong_type[field] = json!(7);
        cases.push((wrong_type.to_string(), "missing-fields"));
    }
    for time in [json!("2025-01-01T00:00:00+01:00"), json!("2025-01-01"), json!("yesterday"), json!(1700000000)] {
        let mut bad_time = good.clone();
        bad_time["context"] = json!({ "time": time });
        cases.push((bad_time.to_string(), "invalid-time"));
    }
    let mut bad_context = good.clone();
    bad_context["context"] = json!("now");
    cases.push((bad_context.to_string(), "invalid-context"));
    for (body, kind) in cases {
        let reply = node.request(hyper::Method::POST, "/authorization", &[], body.clone()).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        let problem = reply.json();
        assert_shape(&problem, PROBLEM_REQUIRED, &[]);
        assert_eq!(problem["type"], format!("urn:trustnode:problem:{kind}"), "{body}");
    }
}

#[tokio::test]
async fn unknown_names_are_404_or_a_plain_no_when_hidden() {
    let fixture = Fixture::new();
    let good = question(&fixture, UNIVERSITY, BADGE, None);
    let unknowns = [
        ("authority_id", "unknown-authority"),
        ("entity_id", "unknown-entity"),
        ("action", "unknown-action"),
        ("resource", "unknown-resource"),
    ];
    let open = node_for(&fixture, |_| {}).await;
    for (field, kind) in unknowns {
        let mut body = good.clone();
        body[field] = json!("did:web:nobody.example");
        let reply = ask(&open, "/authorization", &body).await;
        assert_eq!(reply.status, 404, "{field}");
        let problem = reply.json();
        assert_shape(&problem, PROBLEM_REQUIRED, &[]);
        assert_eq!(problem["type"], format!("urn:trustnode:problem:{kind}"));
    }
    let hidden = node_for(&fixture, |config| config.trqp.hide_unknown = true).await;
    for (field, _) in unknowns {
        let mut body = good.clone();
        body[field] = json!("did:web:nobody.example");
        let reply = ask(&hidden, "/authorization", &body).await;
        assert_eq!(reply.status, 200, "{field}");
        let answer = reply.json();
        assert_shape(&answer, AUTHORIZATION_REQUIRED, OPTIONAL);
        assert_eq!((answer["authorized"].as_bool(), answer["status"].as_str()), (Some(false), Some("unknown")));
    }
}

#[tokio::test]
async fn a_repeated_question_sees_a_new_snapshot_at_once() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let question = question(&fixture, COLLEGE, "Certificate", None);
    let first = ask(&node, "/authorization", &question).await.json();
    let again = ask(&node, "/authorization", &question).await.json();
    assert_eq!((first["authorized"].as_bool(), again["authorized"].as_bool()), (Some(true), Some(true)));
    // The answer to this very body may now be kept for the rest of the second: a publish must still show at once.
    let next = fixture.edit_and_build(|source| {
        source.change_status("s2", Status::Revoked, crate::support::registry::now(), "closed").unwrap();
    });
    let reply = put(&node, &fixture.encoded_authority(), 2, next.0.bytes().to_vec(), &next.1).await;
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    let after = ask(&node, "/authorization", &question).await.json();
    assert_eq!((after["authorized"].as_bool(), after["status"].as_str()), (Some(false), Some("revoked")), "{after}");
    assert_eq!(after["registry_sequence"], 2);
}

#[tokio::test]
async fn answers_past_next_update_are_marked_stale() {
    let fixture = Fixture::with_next_update(1);
    let node = node_for(&fixture, |_| {}).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let answer = ask(&node, "/authorization", &question(&fixture, COLLEGE, "Certificate", None)).await.json();
    assert_eq!((answer["authorized"].as_bool(), answer["registry_stale"].as_bool()), (Some(true), Some(true)));
    let latest = node.get(&format!("/registries/{}/snapshots/latest", fixture.encoded_authority()), &[]).await;
    assert_eq!(latest.header("cache-control"), Some("public, max-age=0"));
}

#[tokio::test]
async fn metadata_describes_the_registry() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let reply = node.get(&format!("/metadata?authority_id={}", fixture.encoded_authority()), &[]).await;
    assert_eq!(reply.status, 200);
    let metadata = reply.json();
    assert_eq!(metadata["authority_id"], fixture.authority);
    assert_eq!(metadata["governance_framework"], "https://board.example/gf");
    assert_eq!((metadata["entities"].as_u64(), metadata["statements"].as_u64()), (Some(4), Some(4)));
    assert_eq!(node.get("/metadata", &[]).await.status, 400);
    assert_eq!(node.get("/metadata?authority_id=did:web:nobody.example", &[]).await.status, 404);
}

async fn ask_of(node: &TestNode, authority: &str, entity: &str, resource: &str, time: Option<&str>) -> Value {
    let mut body = json!({"entity_id": entity, "authority_id": authority, "action": "issue", "resource": resource});
    if let Some(time) = time {
        body["context"] = json!({ "time": time });
    }
    let reply = ask(node, "/authorization", &body).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let answer = reply.json();
    assert_shape(&answer, AUTHORIZATION_REQUIRED, OPTIONAL);
    answer
}

/// `(authority_id, statement_id)` of each chain entry.
fn chain_of(answer: &Value) -> Vec<(String, String)> {
    let entries = answer["chain"].as_array().map(Vec::as_slice).unwrap_or_default();
    entries
        .iter()
        .map(|e| (e["authority_id"].as_str().unwrap().into(), e["statement_id"].as_str().unwrap().into()))
        .collect()
}

#[tokio::test]
async fn accreditation_chains_across_three_registries() {
    // The board delegates badges to the accreditor, which may only authorize directly (max_depth 1); the
    // accreditor authorizes the university and delegates to a regional accreditor, which authorizes the college
    // and delegates back to the board.
    let (mut board, mut accreditor, mut regional) = (Fixture::new(), Fixture::new(), Fixture::new());
    let (accreditor_id, regional_id, board_id) =
        (accreditor.authority.clone(), regional.authority.clone(), board.authority.clone());
    let mut board_delegation = String::new();
    board.extend(|source| board_delegation = delegate(source, &accreditor_id, Some(1)));
    let (mut university_grant, mut regional_delegation) = (String::new(), String::new());
    accreditor.extend(|source| {
        university_grant = authorize_math_badge(source, UNIVERSITY);
        regional_delegation = delegate(source, &regional_id, None);
    });
    let mut cycle_delegation = String::new();
    regional.extend(|source| {
        authorize_math_badge(source, COLLEGE);
        cycle_delegation = delegate(source, &board_id, None);
    });
    let configs = [board.config(), accreditor.config(), regional.config()];
    let node = crate::support::node::TestNode::start(move |config| {
        config.registries = configs.to_vec();
        config.publishing.enabled = true;
    })
    .await;

    let granted = ask_of(&node, &board.authority, UNIVERSITY, MATH_BADGE, None).await;
    assert_eq!((granted["authorized"].as_bool(), granted["status"].as_str()), (Some(true), Some("active")));
    assert_eq!(granted["statement_id"], university_grant.as_str(), "the deciding statement is the accreditor's grant");
    assert_eq!(
        chain_of(&granted),
        [(board.authority.clone(), board_delegation.clone()), (accreditor.authority.clone(), university_grant.clone())]
    );
    let (board_snapshot, accreditor_snapshot) = (&board.signed[1].0, &accreditor.signed[1].0);
    assert_eq!(granted["chain"][0]["snapshot_digest"], board_snapshot.digest().to_string());
    assert_eq!(granted["chain"][1]["snapshot_digest"], accreditor_snapshot.digest().to_string());
    assert_eq!(granted["chain"][1]["registry_sequence"], 2);
    assert_eq!(granted["snapshot_digest"], board_snapshot.digest().to_string(), "top level: the asked registry");

    // The proof covers every link: it verifies with only the authorities' DIDs, and fails when a link is dropped or
    // the answer claims a resource outside the delegated scope.
    let body = json!({"entity_id": UNIVERSITY, "authority_id": board.authority, "action": "issue",
        "resource": MATH_BADGE, "context": {"proof": true}});
    let proven = String::from_utf8(ask(&node, "/authorization", &body).await.body.to_vec()).unwrap();
    let verifier = Resolver::new(computed::key_and_jwk(0));
    let expect = Expectations { authority_id: Some(&board.authority), node_id: None };
    let checked = check_saved_answer(&verifier, &proven, &expect).await.expect("the chain proof verifies");
    assert_eq!((checked.links.len(), checked.deciding_link), (2, Some(1)));
    let mut dropped: Value = serde_json::from_str(&proven).unwrap();
    dropped["proof"]["links"].as_array_mut().unwrap().remove(0);
    let refused = check_saved_answer(&verifier, &dropped.to_string(), &expect).await.unwrap_err();
    assert!(matches!(refused, AnswerError::Proof(ProofError::Unrelated { field: "authority_id", .. })), "{refused}");
    let mut widened: Value = serde_json::from_str(&proven).unwrap();
    widened["resource"] = json!("https://example.org/degrees/math");
    let refused = check_saved_answer(&verifier, &widened.to_string(), &expect).await.unwrap_err();
    assert!(matches!(refused, AnswerError::Proof(ProofError::BrokenChain { index: 0, .. })), "{refused}");

    let outside = ask_of(&node, &board.authority, UNIVERSITY, "https://example.org/degrees/math", None).await;
    assert_eq!((outside["authorized"].as_bool(), outside["status"].as_str()), (Some(false), Some("outside_scope")));
    assert!(outside["reason"].as_str().unwrap().contains("covers resource"), "{outside}");

    let too_deep = ask_of(&node, &board.authority, COLLEGE, MATH_BADGE, None).await;
    assert_eq!((too_deep["authorized"].as_bool(), too_deep["status"].as_str()), (Some(false), Some("depth_exceeded")));
    assert_eq!(too_deep["statement_id"], regional_delegation.as_str());
    let via_regional = ask_of(&node, &accreditor.authority, COLLEGE, MATH_BADGE, None).await;
    assert_eq!(via_regional["authorized"], true, "the depth limit is the board's, not the accreditor's");

    let art = "https://example.org/badges/art";
    let cycle = ask_of(&node, &accreditor.authority, COLLEGE, art, None).await;
    assert_eq!((cycle["authorized"].as_bool(), cycle["status"].as_str()), (Some(false), Some("cycle")));
    assert_eq!(
        chain_of(&cycle),
        [
            (accreditor.authority.clone(), regional_delegation.clone()),
            (regional.authority.clone(), cycle_delegation.clone()),
            (board.authority.clone(), board_delegation.clone()),
        ]
    );

    // The board revokes the accreditor's delegation and publishes the next snapshot.
    let (revoked, jws) = board.edit_and_build(|source| {
        source
            .change_status(&board_delegation, Status::Revoked, at("2025-09-01T00:00:00Z"), "accreditation lapsed")
            .unwrap();
    });
    assert_eq!(put(&node, &board.encoded_authority(), 3, revoked.bytes().to_vec(), &jws).await.status, 201);
    let now = ask_of(&node, &board.authority, UNIVERSITY, MATH_BADGE, None).await;
    assert_eq!((now["authorized"].as_bool(), now["status"].as_str()), (Some(false), Some("revoked")));
    assert_eq!(
        (now["statement_id"].as_str(), now["reason"].as_str()),
        (Some(board_delegation.as_str()), Some("accreditation lapsed"))
    );
    assert_eq!(now["registry_sequence"], 3);
    let before = ask_of(&node, &board.authority, UNIVERSITY, MATH_BADGE, Some("2025-08-31T23:59:59Z")).await;
    assert_eq!(before["authorized"], true, "as of before the revocation, the chain held");
    assert_eq!(before["registry_sequence"], 3);
}
