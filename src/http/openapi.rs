//! `GET /openapi.json`: the OpenAPI 3.1 description of every route, kept as a JSON file next to this module and
//! compiled into the binary, so it is served without any build step.
//!
//! The document is data, not generated from code: the coverage test (`tests/it/openapi.rs`) keeps it and the route
//! table in `super::routes` in step. Nothing here does I/O.

use axum::http::header;
use axum::response::IntoResponse;

/// The document.
pub(crate) const DOCUMENT: &str = include_str!("openapi.json");

/// The OpenAPI form of a router path template: axum's catch-all `{*name}` is the path parameter `{name}`.
pub fn openapi_path(template: &str) -> String {
    template.replace("{*", "{")
}

/// `GET /openapi.json`.
pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustnode_did::key::PublicKeyFormat;
    use trustnode_resolver::options::OPTION_NAMES;

    fn document() -> serde_json::Value {
        serde_json::from_str(DOCUMENT).unwrap()
    }

    #[test]
    fn catch_all_parameters_become_path_parameters() {
        assert_eq!(openapi_path("/1.0/identifiers/{*id}"), "/1.0/identifiers/{id}");
        assert_eq!(openapi_path("/healthz"), "/healthz");
    }

    fn references(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(object) => {
                if let Some(reference) = object.get("$ref").and_then(|r| r.as_str()) {
                    found.push(reference.to_owned());
                }
                object.values().for_each(|v| references(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }

    #[test]
    fn is_openapi_3_1_and_every_reference_resolves() {
        let document = document();
        assert_eq!(document["openapi"], "3.1.0");
        let mut found = Vec::new();
        references(&document, &mut found);
        assert!(found.len() > 20, "{found:?}");
        for reference in found {
            let pointer = reference.strip_prefix('#').unwrap();
            assert!(document.pointer(pointer).is_some(), "dangling $ref {reference}");
        }
    }

    #[test]
    fn resolution_options_match_the_resolver() {
        let document = document();
        let parameters = document["components"]["parameters"].as_object().unwrap();
        let documented: Vec<&str> =
            parameters.values().filter(|p| p["in"] == "query").map(|p| p["name"].as_str().unwrap()).collect();
        let mut expected = OPTION_NAMES.to_vec();
        let mut documented_sorted = documented.clone();
        expected.sort_unstable();
        documented_sorted.sort_unstable();
        assert_eq!(documented_sorted, expected);
        let formats: Vec<&str> = parameters["publicKeyFormat"]["schema"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(formats, PublicKeyFormat::ALL.map(PublicKeyFormat::name));
    }
}
