//! Batch TRQP over real sockets: `POST /authorization/batch` and `POST /recognition/batch` answer in order, each
//! item what the single call answers (refusals included), over hosted and mirrored registries in one envelope that
//! carries each snapshot's signed header once; proofs verify against those shared headers as a client checks them;
//! a signed batch is one JWS by the node; envelopes that are no batch are 400 and oversized ones 413; a publish in
//! the middle of a large batch does not split it; and for random mixes of good and bad queries a batch equals the
//! single calls.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::support::mirror::{mirror_from, serves};
use crate::support::node::{Reply, TestNode};
use crate::support::registry::{
    authorize_math_badge, delegate, node_for, put, Fixture, ACCREDITOR, BADGE, BOOTCAMP, COLLEGE, MATH_BADGE,
    UNIVERSITY,
};
use trustnode::hosting::answer::{check_saved_answer, Expectations};
use trustnode_registry::batch::{inflate, BatchItem};
use trustnode_registry::jws;
use trustnode_registry::model::EntityMetadata;
use trustnode_registry::wire::{ANSWER_JWS_TYPE, BATCH_JWS_TYPE};
use trustnode_resolver::{computed, Resolver};

/// `{"queries": [...]}` of these query texts, each kept byte for byte.
fn envelope(queries: &[String]) -> String {
    format!("{{\"queries\":[{}]}}", queries.join(","))
}

/// A question to `authority` about `entity` issuing `resource`, as of `time` when given.
fn question(authority: &str, entity: &str, resource: &str, time: Option<&str>) -> String {
    let mut body = json!({"entity_id": entity, "authority_id": authority, "action": "issue", "resource": resource});
    if let Some(time) = time {
        body["context"] = json!({ "time": time });
    }
    body.to_string()
}

/// The same with `context.proof` true.
fn proven(authority: &str, entity: &str, resource: &str, time: Option<&str>) -> String {
    let mut body: Value = serde_json::from_str(&question(authority, entity, resource, time)).unwrap();
    body["context"]["proof"] = json!(true);
    body.to_string()
}

async fn post(node: &TestNode, path: &str, body: impl Into<Bytes>, headers: &[(&str, &str)]) -> Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    node.request(hyper::Method::POST, path, &all, body).await
}

/// The batch answer to `queries` at `path`: 200, JSON, read back into its items.
async fn batch(node: &TestNode, path: &str, queries: &[String]) -> (Value, Vec<BatchItem>) {
    let reply = post(node, path, envelope(queries), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    (reply.json(), inflate(&reply.body).expect("a batch answer"))
}

/// The single endpoint's status and body for each query.
async fn singles(node: &TestNode, path: &str, queries: &[String], headers: &[(&str, &str)]) -> Vec<BatchItem> {
    let mut answered = Vec::new();
    for query in queries {
        let reply = post(node, path, query.clone(), headers).await;
        answered.push(BatchItem { status: reply.status.as_u16(), body: reply.json() });
    }
    answered
}

/// `item` with `time_evaluated` taken out when it is the node's "now" (no `time_requested`): a batch reads the
/// clock once, the single calls each read it, possibly in a later second.
fn without_now(mut item: BatchItem) -> BatchItem {
    if let Some(answer) = item.body.as_object_mut().filter(|answer| !answer.contains_key("time_requested")) {
        if let Some(Value::String(time)) = answer.remove("time_evaluated") {
            assert!(time.ends_with('Z') && time.len() == 20, "{time}");
        }
    }
    item
}

/// Asserts that each batch item is what the single call answered.
fn assert_items_are_singles(items: Vec<BatchItem>, singles: Vec<BatchItem>) {
    assert_eq!(items.len(), singles.len());
    for (n, (item, single)) in items.into_iter().zip(singles).enumerate() {
        assert_eq!(without_now(item), without_now(single), "item {n}");
    }
}

fn problem_type(item: &BatchItem) -> &str {
    item.body["type"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn answers_come_in_order_and_refused_queries_are_items_with_the_single_answer() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let authority = fixture.authority.as_str();
    let queries = vec![
        question(authority, UNIVERSITY, BADGE, Some("2025-02-01T00:00:00Z")),
        question(authority, UNIVERSITY, BADGE, Some("2025-03-15T00:00:00Z")),
        question(authority, "did:web:nobody.example", BADGE, None),
        json!({"entity_id": UNIVERSITY}).to_string(),
        "[]".to_owned(),
        question("did:web:nobody.example", UNIVERSITY, BADGE, None),
        question(authority, COLLEGE, "Certificate", None),
        question(authority, BOOTCAMP, BADGE, Some("2025-03-01T01:00:00+01:00")),
        // Escapes in a query are read as the single endpoint reads them.
        r#"{"entity_id":"did:web:college\u002eexample","authority_id":"AUTH","action":"issue","resource":"Certificate","context":{"time":"2025-03-01T00:00:00Z"}}"#
            .replace("AUTH", authority),
    ];
    let (raw, items) = batch(&node, "/authorization/batch", &queries).await;
    let statuses: Vec<u16> = items.iter().map(|item| item.status).collect();
    assert_eq!(statuses, [200, 200, 404, 400, 400, 404, 200, 400, 200]);
    assert_eq!((items[0].body["authorized"].as_bool(), items[0].body["status"].as_str()), (Some(true), Some("active")));
    assert_eq!(
        (items[1].body["authorized"].as_bool(), items[1].body["status"].as_str()),
        (Some(false), Some("revoked"))
    );
    let kinds: Vec<&str> = [2, 3, 4, 5, 7].into_iter().map(|n| problem_type(&items[n])).collect();
    assert_eq!(
        kinds,
        [
            "urn:trustnode:problem:unknown-entity",
            "urn:trustnode:problem:missing-fields",
            "urn:trustnode:problem:invalid-request",
            "urn:trustnode:problem:unknown-authority",
            "urn:trustnode:problem:invalid-time",
        ]
    );
    assert_eq!(
        (items[8].body["authorized"].as_bool(), items[8].body["status"].as_str()),
        (Some(false), Some("suspended"))
    );
    for answered in [&items[0], &items[1], &items[6], &items[8]] {
        assert_eq!(answered.body["registry_sequence"], 1, "each answer names its snapshot");
        assert_eq!(answered.body["snapshot_digest"], fixture.signed[0].0.digest().to_string());
    }
    // The snapshot the batch answered from, once, with the authority's signature.
    let snapshots = raw["snapshots"].as_object().unwrap();
    assert_eq!(snapshots.keys().collect::<Vec<_>>(), [authority]);
    let shared = &snapshots[authority];
    assert_eq!(shared["registry_sequence"], 1);
    assert_eq!(shared["snapshot_digest"], fixture.signed[0].0.digest().to_string());
    assert_eq!(
        (shared["header"]["sequence"].as_u64(), shared["jws"].as_str()),
        (Some(1), Some(fixture.signed[0].1.as_str()))
    );

    assert_items_are_singles(items, singles(&node, "/authorization", &queries, &[]).await);

    let recognition = vec![
        json!({"entity_id": ACCREDITOR, "authority_id": authority, "action": "accredit", "resource": "Degree"})
            .to_string(),
        json!({"entity_id": UNIVERSITY, "authority_id": authority, "action": "teach", "resource": BADGE}).to_string(),
    ];
    let (_, recognized) = batch(&node, "/recognition/batch", &recognition).await;
    assert_eq!(recognized[0].body["recognized"], true);
    assert_eq!((recognized[1].status, problem_type(&recognized[1])), (404, "urn:trustnode:problem:unknown-action"));
    assert_items_are_singles(recognized, singles(&node, "/recognition", &recognition, &[]).await);

    let metrics = String::from_utf8(node.get("/metrics", &[]).await.body.to_vec()).unwrap();
    for line in [
        "trustnode_trqp_batches_total{endpoint=\"authorization\"} 1",
        "trustnode_trqp_batches_total{endpoint=\"recognition\"} 1",
        "trustnode_trqp_batch_queries_total{endpoint=\"authorization\",status=\"200\"} 4",
        "trustnode_trqp_batch_queries_total{endpoint=\"authorization\",status=\"400\"} 3",
        "trustnode_trqp_batch_queries_total{endpoint=\"authorization\",status=\"404\"} 2",
        "trustnode_trqp_batch_queries_total{endpoint=\"recognition\",status=\"404\"} 1",
    ] {
        assert!(metrics.lines().any(|written| written == line), "{line} in\n{metrics}");
    }
}

#[tokio::test]
async fn envelopes_that_are_no_batch_are_400_and_more_than_max_batch_is_413() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.trqp.max_batch = 3).await;
    let query = question(&fixture.authority, COLLEGE, "Certificate", None);
    for (body, kind, detail) in [
        ("{\"queries\": [".to_owned(), "invalid-json", "invalid JSON: EOF while parsing a list at line 1 column 13"),
        ("[]".to_owned(), "invalid-batch", "a batch must be a JSON object with a `queries` array: invalid type: sequence, expected an object with a `queries` array at line 1 column 0"),
        ("{}".to_owned(), "invalid-batch", "a batch must be a JSON object with a `queries` array: missing field `queries` at line 1 column 2"),
        ("{\"queries\": {}}".to_owned(), "invalid-batch", "a batch must be a JSON object with a `queries` array: invalid type: map, expected an array of TRQP queries at line 1 column 12"),
        (envelope(&[query.clone(), query.clone(), query.clone(), query.clone()]), "too-many-queries", "the batch holds 4 queries; at most 3 are answered in one batch"),
    ] {
        let reply = post(&node, "/authorization/batch", body.clone(), &[]).await;
        let expected = if kind == "too-many-queries" { 413 } else { 400 };
        assert_eq!(reply.status, expected, "{body}");
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        let problem = reply.json();
        assert_eq!(problem["type"], format!("urn:trustnode:problem:{kind}"), "{body}");
        assert_eq!(problem["detail"], detail, "{body}: {}", problem["detail"]);
    }
    let reply = post(&node, "/recognition/batch", &b"{\"queries\": [\"\xff\"]}"[..], &[]).await;
    assert_eq!(
        (reply.status.as_u16(), reply.json()["type"].as_str()),
        (400, Some("urn:trustnode:problem:invalid-json"))
    );
    let reply =
        post(&node, "/authorization/batch", envelope(std::slice::from_ref(&query)), &[("trqp-proof", "yes")]).await;
    assert_eq!(
        (reply.status.as_u16(), reply.json()["type"].as_str()),
        (400, Some("urn:trustnode:problem:invalid-proof-header"))
    );

    // An empty batch is answered, as zero single calls would be: with nothing.
    let (raw, items) = batch(&node, "/authorization/batch", &[]).await;
    assert_eq!((raw, items), (json!({"snapshots": {}, "answers": []}), Vec::new()));
    // Three queries are allowed, and other members of the envelope are ignored.
    let three = format!("{{\"note\": 1, \"queries\": [{query}, {query}, {query}]}}");
    let reply = post(&node, "/authorization/batch", three, &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["answers"].as_array().map(Vec::len), Some(3));
}

/// A board delegating `https://example.org/badges/*` to an accreditor that authorizes the university to issue the
/// math badge; each registry at its sequence 2.
fn board_and_accreditor() -> (Fixture, Fixture) {
    let (mut board, mut accreditor) = (Fixture::new(), Fixture::new());
    accreditor.extend(|source| {
        authorize_math_badge(source, UNIVERSITY);
    });
    let accreditor_id = accreditor.authority.clone();
    board.extend(|source| {
        delegate(source, &accreditor_id, None);
    });
    (board, accreditor)
}

#[tokio::test]
async fn hosted_and_mirrored_registries_share_one_envelope_and_proofs_verify_against_it() {
    // The hosted board delegates badges to the accreditor, whose registry this node mirrors from another node.
    let (board, accreditor) = board_and_accreditor();
    let upstream = node_for(&accreditor, |_| {}).await;
    let hosted = board.config();
    let node = mirror_from(&accreditor, format!("http://{}", upstream.addr), |config| {
        config.mirroring.allow_http = true;
        config.registries.push(hosted);
    })
    .await;
    serves(&node, &accreditor, &accreditor.signed[1].0).await;

    let (board_id, accreditor_id) = (board.authority.as_str(), accreditor.authority.as_str());
    let queries = vec![
        proven(board_id, UNIVERSITY, MATH_BADGE, None),
        proven(accreditor_id, UNIVERSITY, MATH_BADGE, Some("2025-05-01T00:00:00Z")),
        proven(board_id, COLLEGE, "Certificate", Some("2025-05-01T00:00:00Z")),
        proven(board_id, COLLEGE, "Certificate", Some("2025-03-01T00:00:00Z")),
        question(accreditor_id, "did:web:nobody.example", MATH_BADGE, None),
    ];
    let (raw, items) = batch(&node, "/authorization/batch", &queries).await;
    let statuses: Vec<u16> = items.iter().map(|item| item.status).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 404]);

    // Each snapshot once: the hosted board's and the mirrored accreditor's, at the sequences the answers name.
    let snapshots = raw["snapshots"].as_object().unwrap();
    let mut authorities: Vec<&str> = snapshots.keys().map(String::as_str).collect();
    authorities.sort_unstable();
    let mut expected = vec![board_id, accreditor_id];
    expected.sort_unstable();
    assert_eq!(authorities, expected);
    assert_eq!(snapshots[board_id]["snapshot_digest"], board.signed[1].0.digest().to_string());
    assert_eq!(snapshots[accreditor_id]["snapshot_digest"], accreditor.signed[1].0.digest().to_string());
    let chain = &items[0].body;
    assert_eq!((chain["authorized"].as_bool(), chain["registry_sequence"].as_u64()), (Some(true), Some(2)));
    assert_eq!(chain["chain"][1]["authority_id"], accreditor_id);
    assert_eq!(chain["chain"][1]["registry_sequence"], snapshots[accreditor_id]["registry_sequence"]);
    // In the batch itself the links name their snapshot and carry no header of their own.
    let links = raw["answers"][0]["body"]["proof"]["links"].as_array().unwrap();
    let named: Vec<&str> = links.iter().map(|link| link["authority_id"].as_str().unwrap()).collect();
    assert_eq!(named, [board_id, accreditor_id]);
    assert!(links.iter().all(|link| link.get("header").is_none() && link.get("jws").is_none()), "{links:?}");

    // A client verifies each answer as a single one, with nothing but the authorities' DIDs.
    let verifier = Resolver::new(computed::key_and_jwk(0));
    for (n, deciding, links) in [(0, 1, 2), (1, 0, 1), (2, 0, 1)] {
        let text = items[n].body.to_string();
        let expect = Expectations { authority_id: items[n].body["authority_id"].as_str(), node_id: None };
        let checked = check_saved_answer(&verifier, &text, &expect).await.unwrap_or_else(|e| panic!("item {n}: {e}"));
        assert_eq!((checked.deciding_link, checked.links.len()), (Some(deciding), links), "item {n}");
    }
    assert_eq!((items[3].body["authorized"].as_bool(), items[3].body.get("proof")), (Some(false), None));
    assert_items_are_singles(items, singles(&node, "/authorization", &queries, &[]).await);
}

#[tokio::test]
async fn a_signed_batch_is_one_jws_by_the_node_over_the_whole_answer() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let queries = vec![
        proven(&fixture.authority, COLLEGE, "Certificate", Some("2025-05-01T00:00:00Z")),
        question(&fixture.authority, "did:web:nobody.example", BADGE, Some("2025-05-01T00:00:00Z")),
    ];
    let plain = post(&node, "/authorization/batch", envelope(&queries), &[]).await.json();
    let signed = post(&node, "/authorization/batch", envelope(&queries), &[("accept", "application/jose")]).await;
    assert_eq!((signed.status.as_u16(), signed.header("content-type")), (200, Some("application/jose")));
    let vary: Vec<&str> = signed.headers.get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(vary.starts_with(&["Accept", "trqp-proof"]), "{vary:?}");
    let document = node.get("/.well-known/did.json", &[]).await.json();
    let did = document["id"].as_str().unwrap().to_owned();
    let compact = std::str::from_utf8(&signed.body).unwrap();
    let (verified, payload) = jws::verify_compact(compact, BATCH_JWS_TYPE, &did, &document).unwrap();
    assert_eq!(verified.kid, node.get("/node", &[]).await.json()["verification_method"]);
    assert_eq!(serde_json::from_slice::<Value>(&payload).unwrap(), plain, "one signature over the whole batch");
    // A signed batch is never taken for a signed single answer.
    assert!(jws::verify_compact(compact, ANSWER_JWS_TYPE, &did, &document).is_err());
    let verifier = Resolver::new(computed::key_and_jwk(0));
    assert!(check_saved_answer(&verifier, compact, &Expectations::default()).await.is_err());
}

/// Sends `body` to `path` and returns when the answer's head arrived (the node has decided every query by then)
/// with the body.
async fn timed_batch(addr: std::net::SocketAddr, path: &str, body: String) -> (Instant, Reply) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = hyper::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = client.request(request).await.expect("request");
    let answered = Instant::now();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    (answered, Reply { status: parts.status, headers: parts.headers, body })
}

/// The sequences a batch answer's answers name, and the sequence of its shared snapshot.
fn sequences(reply: &Reply, authority: &str) -> (Vec<u64>, u64) {
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body[..reply.body.len().min(500)]));
    let answer = reply.json();
    let mut named: Vec<u64> = answer["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["body"]["registry_sequence"].as_u64().unwrap())
        .collect();
    named.dedup();
    (named, answer["snapshots"][authority]["registry_sequence"].as_u64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_in_the_middle_of_a_large_batch_does_not_split_it() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |config| {
        config.trqp.max_batch = 200_000;
        config.server.max_body_bytes = 64 << 20;
        config.server.request_timeout_ms = 120_000;
    })
    .await;
    let authority = fixture.authority.clone();
    let query = proven(&authority, COLLEGE, "Certificate", None);
    let large = |count: usize| envelope(&vec![query.clone(); count]);

    // How long the node takes per query here, to size a batch that takes about a second to decide.
    let started = Instant::now();
    let (answered, reply) = timed_batch(node.addr, "/authorization/batch", large(2_000)).await;
    assert_eq!(sequences(&reply, &authority), (vec![1], 1));
    let per_query = answered.duration_since(started) / 2_000;
    let count = (Duration::from_secs(1).as_nanos() / per_query.as_nanos().max(1)).clamp(2_000, 200_000) as usize;
    let body = large(count);
    let started = Instant::now();
    let (answered, reply) = timed_batch(node.addr, "/authorization/batch", body.clone()).await;
    assert_eq!(sequences(&reply, &authority), (vec![1], 1));
    let takes = answered.duration_since(started);

    let mut landed_inside = 0;
    for (attempt, share) in [0.5, 0.4, 0.6, 0.3, 0.7, 0.45].into_iter().enumerate() {
        let sequence = fixture.signed.last().unwrap().0.snapshot().sequence;
        let next = fixture.edit_and_build(|source| {
            let entity = format!("did:web:new{attempt}.example");
            source.upsert_entity(&entity, EntityMetadata { name: entity.clone(), ..Default::default() }).unwrap();
        });
        let sent = Instant::now();
        let batch = tokio::spawn(timed_batch(node.addr, "/authorization/batch", body.clone()));
        // Publish while the batch is being decided: about halfway through, a little earlier or later each time.
        tokio::time::sleep(takes.mul_f64(share)).await;
        let published = put(&node, &fixture.encoded_authority(), sequence + 1, next.0.bytes().to_vec(), &next.1).await;
        let installed = Instant::now();
        assert_eq!(published.status, 201, "{}", String::from_utf8_lossy(&published.body));
        fixture.accepted(next);
        let (answered, reply) = batch.await.unwrap();
        let (named, shared) = sequences(&reply, &authority);
        assert_eq!(named.len(), 1, "attempt {attempt}: one batch names one sequence, not {named:?}");
        assert_eq!(named[0], shared, "attempt {attempt}: the answers name the batch's snapshot");
        // The batch had taken its snapshot before the publish and decided its last query after it.
        if named[0] == sequence && installed < answered {
            landed_inside += 1;
        }
        eprintln!(
            "attempt {attempt}: {count} queries, answered after {:?}, publish installed after {:?}, batch answered \
             from sequence {} of {}",
            answered.duration_since(sent),
            installed.duration_since(sent),
            named[0],
            sequence + 1
        );
    }
    assert!(landed_inside > 0, "no publish landed while a batch was being decided: the test proved nothing");
}

/// One generated query: a good question, a question with one bad part, or a body that is no question.
fn any_query(authorities: Vec<String>) -> impl Strategy<Value = String> {
    let entity = prop::sample::select(vec![
        UNIVERSITY,
        COLLEGE,
        BOOTCAMP,
        ACCREDITOR,
        "did:web:nobody.example",
        "not a uri",
        "",
    ]);
    let authority = prop::sample::select(
        authorities.into_iter().chain(["did:web:unknown.example".to_owned(), "board".to_owned()]).collect::<Vec<_>>(),
    );
    let action = prop::sample::select(vec![json!("issue"), json!("accredit"), json!(""), json!(7)]);
    let resource = prop::sample::select(vec![BADGE, "Certificate", "Degree", MATH_BADGE, "Unknown"]);
    let time = prop::sample::select(vec![
        None,
        Some(json!("2025-02-15T00:00:00Z")),
        Some(json!("2025-05-01T00:00:00.5Z")),
        Some(json!("2024-06-01t00:00:00+00:00")),
        Some(json!("2025-05-01T00:00:00+01:00")),
        Some(json!(1_700_000_000)),
    ]);
    let proof = prop::sample::select(vec![
        None,
        Some(json!(true)),
        Some(json!("true")),
        Some(json!(false)),
        Some(json!("yes")),
    ]);
    let question = (entity, authority, action, resource, time, proof, any::<bool>()).prop_map(
        |(entity, authority, action, resource, time, proof, context_not_object)| {
            let mut body =
                json!({"entity_id": entity, "authority_id": authority, "action": action, "resource": resource});
            if context_not_object {
                body["context"] = json!("now");
            } else if time.is_some() || proof.is_some() {
                body["context"] = json!({});
                if let Some(time) = time {
                    body["context"]["time"] = time;
                }
                if let Some(proof) = proof {
                    body["context"]["proof"] = proof;
                }
            }
            body.to_string()
        },
    );
    prop_oneof![
        8 => question,
        1 => prop::sample::select(vec!["[]", "\"x\"", "1", "null", "{}", "{\"entity_id\": \"did:web:a.example\"}"]).prop_map(str::to_owned),
    ]
}

#[test]
fn a_batch_equals_the_single_calls_for_random_mixes_of_good_and_bad_queries() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (board, accreditor) = board_and_accreditor();
    let configs = [board.config(), accreditor.config()];
    let node = runtime.block_on(TestNode::start(move |config| config.registries = configs.to_vec()));
    let authorities = vec![board.authority.clone(), accreditor.authority.clone()];
    let cases = (prop::collection::vec(any_query(authorities), 0..12), any::<bool>(), any::<bool>());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(48));
    runner
        .run(&cases, |(queries, recognition, proof_header)| {
            let (batch_path, single_path) = if recognition {
                ("/recognition/batch", "/recognition")
            } else {
                ("/authorization/batch", "/authorization")
            };
            let headers: &[(&str, &str)] = if proof_header { &[("trqp-proof", "true")] } else { &[] };
            runtime.block_on(async {
                let reply = post(&node, batch_path, envelope(&queries), headers).await;
                assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
                let items = inflate(&reply.body).expect("a batch answer");
                assert_items_are_singles(items, singles(&node, single_path, &queries, headers).await);
            });
            Ok(())
        })
        .unwrap();
}
