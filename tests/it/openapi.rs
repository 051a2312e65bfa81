//! `/openapi.json` describes exactly what the router serves: the same paths as the route table, and for every
//! path exactly the methods that are not answered 405; paths outside it reach the fallback.

use std::collections::BTreeSet;

use crate::support::node::TestNode;
use hyper::Method;
use trustnode::http::openapi::openapi_path;

const TOKEN: &str = "openapi-test-token";
const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];

/// A concrete path for a documented template: each `{parameter}` becomes a DID.
fn concrete(path: &str) -> String {
    path.replace("{id}", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
        .replace("{did}", "did:web:example.com")
        .replace("{authority_id}", "did:web:authority.example")
        .replace("{entity_id}", "did:web:university.example")
        .replace("{sequence}", "1")
}

fn is_fallback(reply: &crate::support::node::Reply) -> bool {
    reply.status == 404
        && serde_json::from_slice::<serde_json::Value>(&reply.body)
            .is_ok_and(|body| body["type"] == "urn:trustnode:problem:no-such-route")
}

#[tokio::test]
async fn the_document_and_the_router_cover_the_same_routes() {
    let node = TestNode::start(|config| config.admin.token = TOKEN.into()).await;
    let reply = node.get("/openapi.json", &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let document = reply.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();

    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    let routed: BTreeSet<String> = trustnode::http::route_templates().into_iter().map(openapi_path).collect();
    assert_eq!(documented, routed, "paths in the document vs. the route table");

    let authorization = format!("Bearer {TOKEN}");
    for (path, item) in paths {
        let url = concrete(path);
        assert!(!url.contains('{'), "an undocumented parameter in {path}");
        for method in METHODS {
            let operation = item.get(method.as_str().to_ascii_lowercase());
            let reply = node.request(method.clone(), &url, &[("authorization", &authorization)], Vec::new()).await;
            assert!(!is_fallback(&reply), "{method} {path} fell through to the fallback");
            match operation {
                Some(operation) => {
                    assert_ne!(reply.status, 405, "{method} {path} is documented but not served");
                    let statuses = operation["responses"].as_object().unwrap();
                    assert!(
                        statuses.contains_key(reply.status.as_str()),
                        "{method} {path} answered {} which is not documented",
                        reply.status
                    );
                }
                None => assert_eq!(reply.status, 405, "{method} {path} is served but not documented"),
            }
        }
    }
}

#[tokio::test]
async fn undocumented_paths_reach_the_fallback() {
    let node = TestNode::start(|_| {}).await;
    for path in
        ["/index.html", "/1.0", "/1.0/identifier/did:key:z6Mk", "/metrics/extra", "/openapi.yaml", "/readyz/now"]
    {
        let reply = node.get(path, &[]).await;
        assert!(is_fallback(&reply), "{path}: {}", reply.status);
    }
}
