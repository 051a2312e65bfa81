//! The DCC / OpenID Federation facade over HTTP, as a DCC client or an OpenID Federation verifier sees it: the
//! entity configuration linked from `GET /registries`, signed by the node's key and listing it in `jwks`;
//! subordinate statements with the DCC metadata names for entities active now and `not_found` for the others;
//! the listing and the legacy file; a new snapshot taking effect at once; no statement from a stale snapshot.

use crate::support::node::{Reply, TestNode};
use crate::support::registry::{
    node_for, now, put, register_from_now, Fixture, ACCREDITOR, BOOTCAMP, COLLEGE, UNIVERSITY,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use trustnode_registry::jws::{self, VerifyingKey};
use trustnode_registry::model::{EntityMetadata, Status};

const STATEMENT_TYPE: &str = "entity-statement+jwt";

/// The header and payload of a compact JWS, after checking that the node's published key signed it.
fn verified_statement(node: &TestNode, reply: &Reply) -> (Value, Value) {
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.header("content-type"), Some("application/entity-statement+jwt"));
    let jwt = std::str::from_utf8(&reply.body).unwrap();
    let identity = &node.state.identity;
    let (verified, payload) = jws::verify_compact(jwt, STATEMENT_TYPE, identity.did(), identity.document())
        .unwrap_or_else(|error| panic!("{error}: {jwt}"));
    assert_eq!(verified.kid, identity.kid());
    let header = URL_SAFE_NO_PAD.decode(jwt.split('.').next().unwrap()).unwrap();
    (serde_json::from_slice(&header).unwrap(), serde_json::from_slice(&payload).unwrap())
}

fn federation_error(reply: &Reply, status: u16, error: &str) {
    assert_eq!(reply.status, status, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|text| !text.is_empty()), "{body}");
}

/// The path part of an absolute URL on the test node.
fn path_of<'u>(node: &TestNode, url: &'u str) -> &'u str {
    url.strip_prefix(&format!("http://{}", node.addr)).unwrap_or_else(|| panic!("{url} is not on the node"))
}

#[tokio::test]
async fn the_entity_configuration_is_linked_signed_by_the_node_and_names_its_endpoints() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let listing = node.get("/registries", &[]).await.json();
    let links = &listing["registries"][0]["links"];
    let configuration_path = links["openid_federation"].as_str().unwrap();
    assert!(configuration_path.ends_with("/.well-known/openid-federation"), "{configuration_path}");
    let (header, configuration) = verified_statement(&node, &node.get(configuration_path, &[]).await);
    assert_eq!(header["typ"], STATEMENT_TYPE);
    assert_eq!(header["alg"], "EdDSA");

    let entity_id = format!("http://{}/registries/{}", node.addr, fixture.encoded_authority());
    assert_eq!(
        format!("{entity_id}/.well-known/openid-federation"),
        format!("http://{}{configuration_path}", node.addr)
    );
    assert_eq!((configuration["iss"].as_str(), configuration["sub"].as_str()), (Some(&*entity_id), Some(&*entity_id)));
    let next_update = fixture.signed[0].0.snapshot().next_update.unix_seconds();
    let (iat, exp) = (configuration["iat"].as_i64().unwrap(), configuration["exp"].as_i64().unwrap());
    assert!((now().unix_seconds() - iat).abs() <= 5 && iat < exp && exp <= next_update, "{iat} {exp} {next_update}");

    let keys = configuration["jwks"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kid"], node.state.identity.kid());
    let published =
        jws::assertion_key(node.state.identity.document(), node.state.identity.did(), node.state.identity.kid());
    assert_eq!(VerifyingKey::from_jwk(keys[0].as_object().unwrap()).ok(), published.ok(), "jwks holds the node's key");

    let entity = &configuration["metadata"]["federation_entity"];
    assert_eq!(entity["organization_name"], "State Board (test)");
    assert_eq!(entity["federation_fetch_endpoint"], format!("{entity_id}/federation/fetch"));
    assert_eq!(entity["federation_list_endpoint"], format!("{entity_id}/federation/list"));
    assert_eq!(configuration["trustnode_registry"]["sequence"], 1);
    assert_eq!(configuration["trustnode_registry"]["digest"], json!(fixture.signed[0].0.digest()));

    let legacy = links["dcc_legacy"].as_str().unwrap();
    assert_eq!(legacy, format!("/registries/{}/registry.json", fixture.encoded_authority()));
    federation_error(
        &node.get("/registries/did:web:nobody.example/.well-known/openid-federation", &[]).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn fetch_answers_for_active_entities_only_and_follows_new_snapshots() {
    let mut fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let base = format!("/registries/{}", fixture.encoded_authority());
    let fetch = |sub: &str| {
        let path = format!("{base}/federation/fetch?sub={sub}");
        let node = &node;
        async move { node.get(&path, &[]).await }
    };

    let (_, college) = verified_statement(&node, &fetch(COLLEGE).await);
    assert_eq!(
        (college["sub"].as_str(), college["iss"].as_str()),
        (Some(COLLEGE), Some(&*format!("http://{}{base}", node.addr)))
    );
    assert_eq!(
        college["metadata"],
        json!({"federation_entity": {"organization_name": "College", "homepage_uri": "https://College.example"}})
    );
    let encoded = trustnode_registry::wire::encode(ACCREDITOR);
    assert_eq!(verified_statement(&node, &fetch(&encoded).await).1["sub"], ACCREDITOR);
    for (sub, why) in [(UNIVERSITY, "revoked"), (BOOTCAMP, "expired"), ("did:web:stranger.example", "unknown")] {
        let reply = fetch(sub).await;
        assert_eq!(reply.status, 404, "{why}");
        federation_error(&reply, 404, "not_found");
    }
    federation_error(&node.get(&format!("{base}/federation/fetch"), &[]).await, 400, "invalid_request");
    let extra = node.get(&format!("{base}/federation/fetch?sub={COLLEGE}&iss=x"), &[]).await;
    federation_error(&extra, 400, "unsupported_parameter");

    let list = node.get(&format!("{base}/federation/list"), &[]).await;
    assert_eq!(list.header("content-type"), Some("application/json"));
    assert_eq!(list.json(), json!([ACCREDITOR, COLLEGE]));
    let legacy = node.get(&format!("{base}/registry.json"), &[]).await.json();
    assert_eq!(legacy["registry"][COLLEGE], json!({"name": "College", "url": "https://College.example"}));
    assert_eq!(legacy["registry"].as_object().unwrap().len(), 2);

    // The next snapshot suspends the college and registers a school whose did:web has a port (`%3A` in the DID).
    let school = "did:web:school.example%3A8443";
    let next = fixture.edit_and_build(|source| {
        let metadata = EntityMetadata {
            name: "School".into(),
            legal_name: Some("School Inc.".into()),
            logo: Some("https://school.example/logo.png".into()),
            ctid: Some("ce-5a1f0c2e-8f7b-4b3a-9e6d-1c2b3a4d5e6f".into()),
            ror_id: Some("https://ror.org/00school0".into()),
            ..Default::default()
        };
        register_from_now(source, school, metadata);
        source.change_status("s2", Status::Suspended, now(), "audit").unwrap();
    });
    let published = put(&node, &fixture.encoded_authority(), 2, next.0.bytes().to_vec(), &next.1).await;
    assert_eq!(published.status, 201, "{}", String::from_utf8_lossy(&published.body));
    fixture.accepted(next);

    federation_error(&fetch(COLLEGE).await, 404, "not_found");
    for sub in [school.to_owned(), trustnode_registry::wire::encode(school)] {
        let (_, statement) = verified_statement(&node, &fetch(&sub).await);
        assert_eq!(statement["sub"], school);
        assert_eq!(statement["trustnode_registry"]["sequence"], 2);
        assert_eq!(
            statement["metadata"],
            json!({
                "federation_entity": {"organization_name": "School", "logo_uri": "https://school.example/logo.png"},
                "institution_additional_information": {"legal_name": "School Inc."},
                "credential_registry_entity": {"ctid": "ce-5a1f0c2e-8f7b-4b3a-9e6d-1c2b3a4d5e6f"},
                "ror_entity": {"rorid": "https://ror.org/00school0"},
            })
        );
    }
    assert_eq!(node.get(&format!("{base}/federation/list"), &[]).await.json(), json!([ACCREDITOR, school]));
}

#[tokio::test]
async fn a_configured_public_url_names_the_registry_and_the_host_header_cannot() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.server.public_url = "https://trust.example.org".into()).await;
    let base = format!("/registries/{}", fixture.encoded_authority());
    let path = format!("{base}/.well-known/openid-federation");
    let (_, configuration) = verified_statement(&node, &node.get(&path, &[("host", "evil.example")]).await);
    let entity_id = format!("https://trust.example.org{base}");
    assert_eq!(configuration["iss"], entity_id);
    assert_eq!(
        configuration["metadata"]["federation_entity"]["federation_fetch_endpoint"],
        format!("{entity_id}/federation/fetch")
    );
}

#[tokio::test]
async fn the_endpoints_a_client_is_given_work_as_given() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let path = format!("/registries/{}/.well-known/openid-federation", fixture.encoded_authority());
    let (_, configuration) = verified_statement(&node, &node.get(&path, &[]).await);
    let entity = &configuration["metadata"]["federation_entity"];
    let fetch = path_of(&node, entity["federation_fetch_endpoint"].as_str().unwrap());
    assert_eq!(verified_statement(&node, &node.get(&format!("{fetch}?sub={COLLEGE}"), &[]).await).1["sub"], COLLEGE);
    let list = path_of(&node, entity["federation_list_endpoint"].as_str().unwrap());
    assert_eq!(node.get(list, &[]).await.json(), json!([ACCREDITOR, COLLEGE]));
}

#[tokio::test]
async fn nothing_is_signed_from_a_stale_snapshot() {
    let fixture = Fixture::with_next_update(1);
    let node = node_for(&fixture, |_| {}).await;
    // Snapshots carry whole seconds: two seconds on, the one due after one second is certainly past due.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let base = format!("/registries/{}", fixture.encoded_authority());
    for path in [
        "/.well-known/openid-federation",
        &format!("/federation/fetch?sub={COLLEGE}"),
        "/federation/list",
        "/registry.json",
    ] {
        federation_error(&node.get(&format!("{base}{path}"), &[]).await, 503, "temporarily_unavailable");
    }
}

#[tokio::test]
async fn a_loopback_node_without_public_url_signs_only_for_a_loopback_host() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |_| {}).await;
    let base = format!("/registries/{}", fixture.encoded_authority());
    let configuration = format!("{base}/.well-known/openid-federation");
    let fetch = format!("{base}/federation/fetch?sub={COLLEGE}");
    for host in ["evil.example", "evil.example:80", "localhost.evil.example", "10.0.0.1", "user@localhost"] {
        for path in [&configuration, &fetch] {
            let reply = node.get(path, &[("host", host)]).await;
            federation_error(&reply, 400, "invalid_request");
            assert!(reply.json()["error_description"].as_str().unwrap().contains("server.public_url"), "{host}");
        }
    }
    let port = node.addr.port();
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        let (_, statement) = verified_statement(&node, &node.get(&configuration, &[("host", &host)]).await);
        assert_eq!(statement["iss"], format!("http://{host}{base}"));
        let (_, statement) = verified_statement(&node, &node.get(&fetch, &[("host", &host)]).await);
        assert_eq!(statement["iss"], format!("http://{host}{base}"));
    }
}

#[tokio::test]
async fn a_node_other_hosts_can_reach_signs_no_statement_without_public_url() {
    let fixture = Fixture::new();
    let node = node_for(&fixture, |config| config.server.listen = "0.0.0.0:0".parse().unwrap()).await;
    let base = format!("/registries/{}", fixture.encoded_authority());
    for path in [format!("{base}/.well-known/openid-federation"), format!("{base}/federation/fetch?sub={COLLEGE}")] {
        for host in ["evil.example", "localhost"] {
            let reply = node.get(&path, &[("host", host)]).await;
            federation_error(&reply, 500, "server_error");
            assert!(reply.json()["error_description"].as_str().unwrap().contains("server.public_url"), "{path}");
        }
    }
    // The unsigned views name nothing absolute and stay available.
    assert_eq!(node.get(&format!("{base}/federation/list"), &[("host", "evil.example")]).await.status, 200);

    let configured = node_for(&fixture, |config| {
        config.server.listen = "0.0.0.0:0".parse().unwrap();
        config.server.public_url = "https://trust.example.org".into();
    })
    .await;
    let path = format!("{base}/.well-known/openid-federation");
    let (_, statement) = verified_statement(&configured, &configured.get(&path, &[("host", "evil.example")]).await);
    assert_eq!(statement["iss"], format!("https://trust.example.org{base}"));
}
