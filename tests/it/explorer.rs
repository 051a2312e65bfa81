//! The explorer page and its assets as a browser receives them: media types, the security policy that forbids
//! inline code and foreign origins, revalidation by entity tag, and every API call the script makes being a route.

use crate::support::node::TestNode;

const ASSETS: [(&str, &str); 3] = [
    ("/", "text/html; charset=utf-8"),
    ("/explorer.js", "text/javascript; charset=utf-8"),
    ("/explorer.css", "text/css; charset=utf-8"),
];

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_their_types_and_a_strict_policy() {
    let node = TestNode::start(|_| {}).await;
    for (path, content_type) in ASSETS {
        let reply = node.get(path, &[]).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{path}");
        let policy = reply.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        let directives: Vec<&str> = policy.split(';').map(str::trim).collect();
        for required in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"] {
            assert!(directives.contains(&required), "{path}: {policy} lacks {required}");
        }
        assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "{policy}");
        assert!(!reply.body.is_empty(), "{path}");
    }
    let page = node.get("/", &[]).await;
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("<main") && html.contains("<nav"), "landmarks");
}

#[tokio::test]
async fn assets_are_revalidated_on_every_use_by_entity_tag() {
    let node = TestNode::start(|_| {}).await;
    for (path, _) in ASSETS {
        let first = node.get(path, &[]).await;
        let cache = first.header("cache-control").unwrap_or_default();
        assert!(cache.split(',').any(|directive| directive.trim() == "no-cache"), "{path}: {cache}");
        let etag = first.header("etag").unwrap_or_else(|| panic!("{path}: no ETag")).to_owned();
        let again = node.get(path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty(), "{path}");
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        let other = node.get(path, &[("if-none-match", "\"something-else\"")]).await;
        assert_eq!(other.status, 200, "{path}");
    }
}

/// Every API path the script requests (the literal start of each `call("…` URL) is the start of a route, so the
/// page cannot silently break when routes are renamed.
#[tokio::test]
async fn the_api_paths_the_script_calls_exist() {
    let node = TestNode::start(|_| {}).await;
    let script = String::from_utf8_lossy(&node.get("/explorer.js", &[]).await.body).into_owned();
    let called: Vec<&str> = script.split("call(\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    let expected =
        ["/readyz", "/1.0/methods", "/registries", "/authorization", "/1.0/identifiers/", "/credentials/verify"];
    for path in expected.into_iter().chain(["/presentations/verify", "/1.0/history/"]) {
        assert!(called.contains(&path), "the script does not call {path}: {called:?}");
    }
    let routes = trustnode::http::route_templates();
    for path in called {
        let prefix_of_a_route = routes.iter().any(|route| route.starts_with(path.trim_end_matches('/')));
        assert!(prefix_of_a_route, "the script calls {path}, which no route serves");
    }
}
