//! The Universal Resolver HTTP binding, checked over real HTTP against an in-process node: the behaviours the
//! W3C DID Resolution test suite and the CCG did:key test suite check, content negotiation in both dialects,
//! the discovery endpoints, CORS and the request limits.

use crate::support::node::TestNode;
use hyper::Method;
use serde_json::Value;

const ED25519: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const ED25519_X25519: &str = "z6LSj72tK8brWgZja8NLRwPigth2T9QRiG1uH9oKZuKjdh9p";
/// The CCG did:key suite's fixed DID and its derived key-agreement key.
const CCG_DID: &str = "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b";
const CCG_X25519: &str = "z6LSfHfAMAopsuBxaBzvp51GXrPf38Az13j2fmwqadbwwrzJ";
const LEGACY: &str = r#"application/ld+json;profile="https://w3id.org/did-resolution""#;

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn node() -> TestNode {
    TestNode::start(|_| {}).await
}

fn error_type(body: &Value) -> &str {
    body["didResolutionMetadata"]["error"]["type"].as_str().unwrap_or_default()
}

// --- W3C DID Resolution test suite behaviours -------------------------------------------------------------------

#[tokio::test]
async fn default_answer_is_the_full_result_as_did_resolution() {
    let node = node().await;
    for accept in [None, Some("*/*")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let reply = node.get(&format!("/1.0/identifiers/{ED25519}"), &headers).await;
        assert_eq!(reply.status, 200, "{accept:?}");
        assert_eq!(reply.header("content-type"), Some("application/did-resolution"));
        let body = reply.json();
        assert_eq!(body["didDocument"]["id"], ED25519);
        assert_eq!(body["didResolutionMetadata"]["contentType"], "application/did");
        assert!(body["didResolutionMetadata"]["retrieved"].as_str().unwrap().ends_with('Z'));
        assert!(body["didResolutionMetadata"]["duration"].is_u64());
        assert!(body["didDocumentMetadata"].is_object());
        assert!(body.get("@context").is_none(), "the current dialect has no @context");
    }
}

#[tokio::test]
async fn empty_identifier_is_400() {
    let node = node().await;
    for path in ["/1.0/identifiers/", "/1.0/identifiers"] {
        let reply = node.get(path, &[]).await;
        assert_eq!(reply.status, 400, "{path}");
        assert_eq!(reply.json()["didDocument"], Value::Null);
    }
}

#[tokio::test]
async fn not_a_did_is_400_invalid_did_with_null_document() {
    let node = node().await;
    let reply = node.get("/1.0/identifiers/not-a-did", &[]).await;
    assert_eq!(reply.status, 400);
    let body = reply.json();
    assert_eq!(body["didDocument"], Value::Null);
    assert_eq!(error_type(&body), "https://www.w3.org/ns/did#INVALID_DID");
    assert_eq!(body["didDocumentMetadata"], serde_json::json!({}));
}

#[tokio::test]
async fn unsupported_method_is_501() {
    let node = node().await;
    let reply = node.get("/1.0/identifiers/did:example:123456", &[]).await;
    assert_eq!(reply.status, 501);
    assert_eq!(error_type(&reply.json()), "https://www.w3.org/ns/did#METHOD_NOT_SUPPORTED");
}

#[tokio::test]
async fn encoded_identifiers_resolve_like_raw_ones() {
    let node = node().await;
    let raw = node.get(&format!("/1.0/identifiers/{ED25519}"), &[("accept", "application/did")]).await;
    let encoded = node.get(&format!("/1.0/identifiers/{}", encode(ED25519)), &[("accept", "application/did")]).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json(), encoded.json());
}

#[tokio::test]
async fn document_media_types_give_the_bare_document() {
    let node = node().await;
    for media_type in ["application/did", "application/did+json", "application/did+ld+json", "application/json"] {
        let reply = node.get(&format!("/1.0/identifiers/{ED25519}"), &[("accept", media_type)]).await;
        assert_eq!(reply.status, 200, "{media_type}");
        assert_eq!(reply.header("content-type"), Some(media_type));
        let body = reply.json();
        assert_eq!(body["id"], ED25519, "{media_type}: the body is the document itself");
        assert!(body.get("didDocument").is_none());
    }
}

#[tokio::test]
async fn unknown_accept_is_406_with_a_full_result() {
    let node = node().await;
    let reply = node.get(&format!("/1.0/identifiers/{ED25519}"), &[("accept", "image/png")]).await;
    assert_eq!(reply.status, 406);
    let body = reply.json();
    assert_eq!(body["didDocument"], Value::Null);
    assert_eq!(error_type(&body), "https://www.w3.org/ns/did#REPRESENTATION_NOT_SUPPORTED");
}

#[tokio::test]
async fn accept_option_in_the_query_overrides_the_header() {
    let node = node().await;
    let path = format!("/1.0/identifiers/{}?accept={}", encode(ED25519), encode("application/did+json"));
    let reply = node.get(&path, &[("accept", "text/html,*/*;q=0.8")]).await;
    assert_eq!(reply.header("content-type"), Some("application/did+json"));
    assert_eq!(reply.json()["id"], ED25519);
}

#[tokio::test]
async fn fragment_selects_the_verification_method() {
    let node = node().await;
    let fragment = ED25519.trim_start_matches("did:key:");
    let reply = node.get(&format!("/1.0/identifiers/{}", encode(&format!("{ED25519}#{fragment}"))), &[]).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["contentStream"]["id"], format!("{ED25519}#{fragment}"));
    assert_eq!(body["contentStream"]["controller"], ED25519);
    let missing = node.get(&format!("/1.0/identifiers/{}", encode(&format!("{ED25519}#nope"))), &[]).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn malformed_did_urls_report_in_the_dereferencing_metadata() {
    let node = node().await;
    for identifier in [format!("{ED25519}#a#b"), format!("{ED25519}/a^b"), format!("{ED25519}/a`b")] {
        let current = node.get(&format!("/1.0/identifiers/{}", encode(&identifier)), &[]).await;
        assert_eq!(current.status, 400, "{identifier}");
        let body = current.json();
        assert_eq!(body["dereferencingMetadata"]["error"]["title"], "INVALID_DID_URL", "{identifier}: {body}");
        let (status, body) = legacy(&node, &identifier, "").await;
        assert_eq!(status, 400, "{identifier}");
        assert_eq!(body["didDereferencingMetadata"]["error"], "invalidDidUrl", "{identifier}: {body}");
    }
}

#[tokio::test]
async fn dereferencing_results_for_application_did_url_dereferencing() {
    let node = node().await;
    let accept = [("accept", "application/did-url-dereferencing")];
    let fragment = ED25519.trim_start_matches("did:key:");
    let method = format!("{ED25519}#{fragment}");
    let reply = node.get(&format!("/1.0/identifiers/{}", encode(&method)), &accept).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.header("content-type"), Some("application/did-url-dereferencing"));
    let body = reply.json();
    assert_eq!(body["content"]["id"], method);
    assert_eq!(body["dereferencingMetadata"]["contentType"], "application/did");
    assert!(body["contentMetadata"].is_object());
    assert!(body.get("contentStream").is_none());
    let document = node.get(&format!("/1.0/identifiers/{ED25519}"), &accept).await.json();
    assert_eq!(document["content"]["id"], ED25519, "a bare DID dereferences to its document");
    let missing = node.get(&format!("/1.0/identifiers/{}", encode(&format!("{ED25519}#nope"))), &accept).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), Some("application/did-url-dereferencing"));
    let missing = missing.json();
    assert_eq!(missing["content"], Value::Null);
    assert_eq!(missing["dereferencingMetadata"]["error"]["title"], "NOT_FOUND");
}

#[tokio::test]
async fn dereferenced_methods_labelled_json_ld_carry_the_document_context() {
    let node = node().await;
    let document = node.get(&format!("/1.0/identifiers/{ED25519}"), &[("accept", "application/did")]).await.json();
    let fragment = ED25519.trim_start_matches("did:key:");
    let path = format!("/1.0/identifiers/{}", encode(&format!("{ED25519}#{fragment}")));
    let json_ld = node.get(&path, &[("accept", "application/did+ld+json")]).await;
    assert_eq!(json_ld.header("content-type"), Some("application/did+ld+json"));
    let json_ld = json_ld.json();
    assert_eq!(json_ld["@context"], document["@context"]);
    assert_eq!(json_ld["id"], format!("{ED25519}#{fragment}"));
    let plain = node.get(&path, &[("accept", "application/did+json")]).await.json();
    assert!(plain.get("@context").is_none(), "plain JSON gets the object as the document has it");
}

#[tokio::test]
async fn invalid_punycode_hosts_are_invalid_dids() {
    let node = node().await;
    for did in ["did:web:xn--lcalhost-9wg", "did:web:xn--a.example", "did:web:www.xn--lcalhost-9wg.example%3A8443"] {
        let reply = node.get(&format!("/1.0/identifiers/{did}"), &[]).await;
        assert_eq!(reply.status, 400, "{did}: {}", String::from_utf8_lossy(&reply.body));
        let error = &reply.json()["didResolutionMetadata"]["error"];
        assert_eq!(error["title"], "INVALID_DID", "{did}");
        assert!(error["detail"].as_str().unwrap().contains("IDNA"), "{did}: {error}");
    }
}

// --- CCG did:key test suite behaviours (legacy dialect) ---------------------------------------------------------

async fn legacy(node: &TestNode, identifier: &str, query: &str) -> (u16, Value) {
    let reply = node.get(&format!("/1.0/identifiers/{}{query}", encode(identifier)), &[("accept", LEGACY)]).await;
    assert_eq!(reply.header("content-type"), Some(LEGACY), "{identifier}");
    let body = reply.json();
    assert_eq!(body["@context"], "https://w3id.org/did-resolution/v1", "{identifier}");
    assert!(body.get("didDocument").is_some() && body.get("didDocumentMetadata").is_some(), "{identifier}");
    (reply.status.as_u16(), body)
}

fn legacy_error(body: &Value) -> &str {
    body.get("didDereferencingMetadata").unwrap_or(&body["didResolutionMetadata"])["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn ccg_suite_negative_cases() {
    let node = node().await;
    let msid = CCG_DID.trim_start_matches("did:key:");
    let cases = [
        (format!("notDid:key:{msid}"), "invalidDid"),
        (format!("did:experimental:{msid}"), "methodNotSupported"),
        (format!("did:key:-4:{msid}"), "invalidDid"),
        (format!("did:key:{}", msid.trim_start_matches('z')), "invalidDid"),
        ("did:key:@".to_owned(), "invalidDid"),
        ("did:key:zTjsVPtY".to_owned(), "invalidPublicKeyLength"),
        (format!("{CCG_DID}/^bar^/?query=`#{msid}"), "invalidDidUrl"),
    ];
    for (identifier, expected) in cases {
        let (status, body) = legacy(&node, &identifier, "").await;
        assert!(status >= 400, "{identifier}: {status}");
        assert_eq!(legacy_error(&body), expected, "{identifier}: {body}");
        assert_eq!(body["didDocument"], Value::Null, "{identifier}");
    }
}

#[tokio::test]
async fn ccg_suite_public_key_format_errors() {
    let node = node().await;
    let (status, body) = legacy(&node, CCG_DID, "?publicKeyFormat=unknown").await;
    assert_eq!((status, legacy_error(&body)), (400, "unsupportedPublicKeyType"));
    let msid = CCG_DID.trim_start_matches("did:key:");
    for fragment in [msid, CCG_X25519] {
        let (status, body) = legacy(
            &node,
            &format!("{CCG_DID}#{fragment}"),
            "?publicKeyFormat=Ed25519VerificationKey2018&enableExperimentalPublicKeyTypes=false",
        )
        .await;
        assert_eq!((status, legacy_error(&body)), (400, "invalidPublicKeyType"), "#{fragment}");
    }
}

#[tokio::test]
async fn ccg_suite_fragment_returns_the_method_in_did_document() {
    let node = node().await;
    let msid = CCG_DID.trim_start_matches("did:key:");
    let (status, body) = legacy(&node, &format!("{CCG_DID}#{msid}"), "").await;
    assert_eq!(status, 200);
    assert_eq!(body["didDocument"]["id"], format!("{CCG_DID}#{msid}"));
    assert_eq!(body["didDocument"]["controller"], CCG_DID);
    assert!(body["didDereferencingMetadata"].is_object());
    let (status, body) = legacy(&node, &format!("{CCG_DID}#{CCG_X25519}"), "").await;
    assert_eq!(status, 200, "the derived key-agreement key exists by default");
    assert_eq!(body["didDocument"]["id"], format!("{CCG_DID}#{CCG_X25519}"));
}

#[tokio::test]
async fn legacy_full_result_of_a_did() {
    let node = node().await;
    let (status, body) = legacy(&node, ED25519, "").await;
    assert_eq!(status, 200);
    assert_eq!(body["didDocument"]["id"], ED25519);
    let key_agreement = body["didDocument"]["keyAgreement"].to_string();
    assert!(key_agreement.contains(ED25519_X25519), "{key_agreement}");
}

// --- Other contract points ---------------------------------------------------------------------------------------

#[tokio::test]
async fn post_takes_options_from_a_json_body() {
    let node = node().await;
    let path = format!("/1.0/identifiers/{ED25519}");
    let body = r#"{"publicKeyFormat":"JsonWebKey2020","enableEncryptionKeyDerivation":false}"#;
    let reply = node.request(Method::POST, &path, &[("content-type", "application/json")], body).await;
    assert_eq!(reply.status, 200);
    let document = &reply.json()["didDocument"];
    assert_eq!(document["verificationMethod"].as_array().unwrap().len(), 1, "derivation was switched off");
    assert_eq!(document["verificationMethod"][0]["publicKeyJwk"]["crv"], "Ed25519");
    let bad = node.request(Method::POST, &path, &[], "{not json").await;
    assert_eq!(bad.status, 400);
    assert_eq!(error_type(&bad.json()), "https://www.w3.org/ns/did#INVALID_OPTIONS");
}

#[tokio::test]
async fn versions_are_feature_not_supported() {
    let node = node().await;
    let reply = node.get(&format!("/1.0/identifiers/{}?versionTime=2020-01-01T00:00:00Z", encode(ED25519)), &[]).await;
    assert_eq!(reply.status, 501);
    assert_eq!(error_type(&reply.json()), "https://www.w3.org/ns/did#FEATURE_NOT_SUPPORTED");
}

#[tokio::test]
async fn discovery_endpoints_describe_the_node() {
    let node = node().await;
    assert_eq!(node.get("/1.0/methods", &[]).await.json(), serde_json::json!(["key", "jwk", "web", "webvh"]));
    let traits = node.get("/1.0/traits", &[]).await.json();
    assert_eq!(traits["web"]["updatable"], true);
    assert_eq!(traits["key"]["updatable"], false);
    let properties = node.get("/1.0/properties", &[]).await.json();
    assert!(properties["limits"]["maxIdentifierBytes"].is_u64());
    let test_identifiers = node.get("/1.0/testIdentifiers", &[]).await.json();
    for did in test_identifiers["key"].as_array().unwrap().iter().chain(test_identifiers["jwk"].as_array().unwrap()) {
        let reply = node.get(&format!("/1.0/identifiers/{}", did.as_str().unwrap()), &[]).await;
        assert_eq!(reply.status, 200, "advertised test identifier {did} must resolve");
    }
    let health = node.get("/healthz", &[]).await;
    assert_eq!((health.status.as_u16(), &health.body[..]), (200, &b"ok"[..]));
}

#[tokio::test]
async fn cors_allows_any_origin() {
    let node = TestNode::start(|c| c.server.max_header_bytes = 1024).await;
    let reply = node.get(&format!("/1.0/identifiers/{ED25519}"), &[("origin", "https://wallet.example")]).await;
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    // Clients that send no Origin get no CORS headers, but the same Vary, so shared caches keep the two apart.
    let vary = |reply: &crate::support::node::Reply| {
        let values = reply.headers.get_all("vary").iter().map(|v| v.to_str().unwrap().to_ascii_lowercase());
        values.collect::<Vec<_>>().join(", ")
    };
    let plain = node.get(&format!("/1.0/identifiers/{ED25519}"), &[]).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("access-control-allow-origin"), None);
    assert_eq!(vary(&plain), vary(&reply));
    assert!(vary(&plain).contains("origin") && vary(&plain).contains("accept"), "{}", vary(&plain));
    // A browser can read the node's refusals too.
    let big = "x".repeat(2000);
    let refused = node.get("/healthz", &[("origin", "https://wallet.example"), ("x-filler", &big)]).await;
    assert_eq!(refused.status, 431);
    assert_eq!(refused.header("access-control-allow-origin"), Some("*"));
    let preflight = node
        .request(
            Method::OPTIONS,
            "/1.0/identifiers/x",
            &[("origin", "https://wallet.example"), ("access-control-request-method", "GET")],
            "",
        )
        .await;
    assert!(preflight.status.is_success());
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn limits_answer_with_problem_details() {
    let node = TestNode::start(|c| {
        c.server.max_identifier_bytes = 200;
        c.server.max_body_bytes = 64;
    })
    .await;
    let long = format!("/1.0/identifiers/did:key:z{}", "6".repeat(300));
    let reply = node.get(&long, &[]).await;
    assert_eq!(reply.status, 414);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    assert_eq!(reply.json()["status"], 414);
    let big = format!(r#"{{"noCache":"false","pad":"{}"}}"#, "x".repeat(200));
    let reply = node.request(Method::POST, &format!("/1.0/identifiers/{ED25519}"), &[], big).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "the 413 is a problem document");
    assert_eq!(reply.json()["type"], "urn:trustnode:problem:too-large");
    let unknown = node.get("/no/such/route", &[]).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.header("content-type"), Some("application/problem+json"));
}

/// `server.max_identifier_bytes` counts the identifier after percent-decoding (docs/security.md's limits table): a
/// fully encoded identifier three times over the limit is accepted when its decoded form fits exactly, and one more
/// decoded byte is refused.
#[tokio::test]
async fn identifier_limit_counts_decoded_bytes() {
    let node = TestNode::start(|c| c.server.max_identifier_bytes = ED25519.len()).await;
    let encode_all = |text: &str| text.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    let encoded = format!("did{}", encode_all(&ED25519[3..]));
    assert!(encoded.len() > 2 * ED25519.len());
    let reply = node.get(&format!("/1.0/identifiers/{encoded}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.json()["didDocument"]["id"], ED25519);
    let over = node.get(&format!("/1.0/identifiers/{encoded}%23"), &[]).await;
    assert_eq!(over.status, 414);
    assert!(over.json()["detail"].as_str().unwrap().contains("after percent-decoding"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_answered_503_not_dropped() {
    let node = TestNode::start(|c| c.server.max_concurrent_requests = 1).await;
    let node = std::sync::Arc::new(node);
    let requests = (0..64).map(|_| {
        let node = node.clone();
        tokio::spawn(async move { node.get(&format!("/1.0/identifiers/{ED25519}"), &[]).await })
    });
    let mut statuses = Vec::new();
    for request in requests {
        let reply = request.await.unwrap();
        if reply.status == 503 {
            assert_eq!(reply.header("retry-after"), Some("1"));
            assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        }
        statuses.push(reply.status.as_u16());
    }
    assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
    assert!(statuses.contains(&200));
}
