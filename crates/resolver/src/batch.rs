//! Batch resolution requests: the JSON body of `POST /1.0/identifiers` read into [`BatchItem`]s, and the identical
//! items of a batch found so that each is resolved once ([`distinct`]).
//!
//! Pure: no I/O, no resolving, no HTTP types. A body whose *shape* is wrong (not JSON, items that are neither
//! strings nor `{"did": …}` objects, unknown members, more items than allowed) is refused whole with a
//! [`ResolutionBatchError`]; what is wrong *inside* an item (a malformed DID, an option value it cannot take) is that item's
//! resolution error, exactly as the single request would report it, so it is not checked here.

use std::fmt;

use serde_json::{Map, Value};

/// One identifier of a batch with the options it is resolved with.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    /// The DID or DID URL, as written in the body (not percent-encoded).
    pub identifier: String,
    /// The batch's shared options overlaid with the item's own, as a JSON object: the body the single
    /// `POST /1.0/identifiers/{did}` would take. Empty when neither gives any.
    pub options: Map<String, Value>,
}

impl BatchItem {
    /// The item's options as one string (their JSON; empty without options): with the identifier, what makes two
    /// items the same request.
    pub fn options_text(&self) -> String {
        if self.options.is_empty() {
            String::new()
        } else {
            Value::Object(self.options.clone()).to_string()
        }
    }
}

/// Why a batch body is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolutionBatchError {
    /// The body is not JSON.
    NotJson(String),
    /// The body is JSON but not a batch; says what is wrong and where.
    Shape(String),
    /// More items than the node resolves in one batch.
    TooMany {
        /// Items in the body.
        count: usize,
        /// Items allowed.
        max: usize,
    },
}

impl fmt::Display for ResolutionBatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolutionBatchError::NotJson(why) => write!(f, "the request body is not valid JSON: {why}"),
            ResolutionBatchError::Shape(why) => write!(f, "{why}; {FORMS}"),
            ResolutionBatchError::TooMany { count, max } => {
                write!(f, "the batch has {count} identifiers; this node resolves at most {max} in one request")
            }
        }
    }
}

impl std::error::Error for ResolutionBatchError {}

/// The accepted shapes, quoted in every shape error.
const FORMS: &str = "a batch is a JSON array of identifiers, or {\"identifiers\": [...], \"options\": {...}}; each \
                     identifier is a DID (URL) string or {\"did\": \"...\", \"options\": {...}}";

/// Reads a batch body: a JSON array of items, or `{"identifiers": [items], "options": {shared options}}`. An item
/// is a DID or DID URL string, or `{"did": "...", "options": {...}}` whose options overlay the shared ones. At most
/// `max` items; an empty batch is valid (and answered with no results).
pub fn parse_batch(body: &[u8], max: usize) -> Result<Vec<BatchItem>, ResolutionBatchError> {
    let json: Value = serde_json::from_slice(body).map_err(|e| ResolutionBatchError::NotJson(e.to_string()))?;
    let (items, shared) = match json {
        Value::Array(items) => (items, Map::new()),
        Value::Object(mut request) => {
            if let Some(unknown) = request.keys().find(|name| !matches!(name.as_str(), "identifiers" | "options")) {
                return Err(ResolutionBatchError::Shape(format!("unknown member {unknown:?} in the batch object")));
            }
            let shared = match request.remove("options") {
                None => Map::new(),
                Some(options) => options_object(options, "the batch's \"options\"")?,
            };
            match request.remove("identifiers") {
                Some(Value::Array(items)) => (items, shared),
                Some(other) => {
                    return Err(ResolutionBatchError::Shape(format!(
                        "\"identifiers\" is {}, not an array",
                        kind(&other)
                    )))
                }
                None => return Err(ResolutionBatchError::Shape("the batch object has no \"identifiers\"".into())),
            }
        }
        other => return Err(ResolutionBatchError::Shape(format!("the body is {}", kind(&other)))),
    };
    if items.len() > max {
        return Err(ResolutionBatchError::TooMany { count: items.len(), max });
    }
    items.into_iter().enumerate().map(|(index, item)| parse_item(index, item, &shared)).collect()
}

fn parse_item(index: usize, item: Value, shared: &Map<String, Value>) -> Result<BatchItem, ResolutionBatchError> {
    match item {
        Value::String(identifier) => Ok(BatchItem { identifier, options: shared.clone() }),
        Value::Object(mut item) => {
            if let Some(unknown) = item.keys().find(|name| !matches!(name.as_str(), "did" | "options")) {
                return Err(ResolutionBatchError::Shape(format!("item {index} has an unknown member {unknown:?}")));
            }
            let identifier = match item.remove("did") {
                Some(Value::String(identifier)) => identifier,
                Some(other) => {
                    return Err(ResolutionBatchError::Shape(format!("item {index}'s \"did\" is {}", kind(&other))))
                }
                None => return Err(ResolutionBatchError::Shape(format!("item {index} has no \"did\""))),
            };
            let mut options = shared.clone();
            if let Some(own) = item.remove("options") {
                options.extend(options_object(own, &format!("item {index}'s \"options\""))?);
            }
            Ok(BatchItem { identifier, options })
        }
        other => Err(ResolutionBatchError::Shape(format!("item {index} is {}", kind(&other)))),
    }
}

fn options_object(options: Value, what: &str) -> Result<Map<String, Value>, ResolutionBatchError> {
    match options {
        Value::Object(options) => Ok(options),
        other => Err(ResolutionBatchError::Shape(format!("{what} is {}, not an object", kind(&other)))),
    }
}

/// How a JSON value is named in errors.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One distinct item of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Distinct {
    /// The item.
    pub item: BatchItem,
    /// Its [`BatchItem::options_text`].
    pub options_text: String,
    /// The positions in the batch that name it.
    pub positions: Vec<usize>,
}

/// The distinct items of `items` (same identifier, same options), in order of first appearance.
pub fn distinct(items: Vec<BatchItem>) -> Vec<Distinct> {
    let mut seen: std::collections::HashMap<(String, String), usize> = std::collections::HashMap::new();
    let mut unique: Vec<Distinct> = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let options_text = item.options_text();
        match seen.entry((item.identifier.clone(), options_text.clone())) {
            std::collections::hash_map::Entry::Occupied(at) => unique[*at.get()].positions.push(index),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(unique.len());
                unique.push(Distinct { item, options_text, positions: vec![index] });
            }
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<Vec<BatchItem>, ResolutionBatchError> {
        parse_batch(body.to_string().as_bytes(), 4)
    }

    fn shape(body: Value) -> String {
        match parse(body) {
            Err(ResolutionBatchError::Shape(why)) => why,
            other => panic!("expected a shape error, got {other:?}"),
        }
    }

    #[test]
    fn arrays_and_objects_with_shared_and_own_options() {
        let items = parse(json!(["did:key:a", "did:key:b"])).unwrap();
        assert_eq!(items[1], BatchItem { identifier: "did:key:b".into(), options: Map::new() });
        let items = parse(json!({
            "identifiers": ["did:key:a", {"did": "did:key:b", "options": {"accept": "application/did"}}],
            "options": {"accept": "application/did-resolution", "noCache": true}
        }))
        .unwrap();
        assert_eq!(items[0].options["accept"], "application/did-resolution");
        assert_eq!(items[1].options["accept"], "application/did", "an item's own options win");
        assert_eq!(items[1].options["noCache"], true, "shared options the item does not repeat still apply");
        assert_eq!(parse(json!([])).unwrap(), Vec::new());
    }

    #[test]
    fn wrong_shapes_say_what_and_where() {
        assert!(matches!(parse_batch(b"[\"did:key:a\"", 4), Err(ResolutionBatchError::NotJson(_))));
        assert_eq!(shape(json!("did:key:a")), "the body is a string");
        assert_eq!(shape(json!(["did:key:a", 7])), "item 1 is a number");
        assert_eq!(shape(json!([{"id": "did:key:a"}])), "item 0 has an unknown member \"id\"");
        assert_eq!(shape(json!([{"options": {}}])), "item 0 has no \"did\"");
        assert_eq!(
            shape(json!([{"did": "did:key:a", "options": []}])),
            "item 0's \"options\" is an array, not an object"
        );
        assert_eq!(shape(json!({"identifier": []})), "unknown member \"identifier\" in the batch object");
        assert_eq!(shape(json!({"identifiers": "did:key:a"})), "\"identifiers\" is a string, not an array");
        assert_eq!(shape(json!({"options": {}})), "the batch object has no \"identifiers\"");
        assert_eq!(
            shape(json!({"identifiers": [], "options": 1})),
            "the batch's \"options\" is a number, not an object"
        );
        assert_eq!(parse(json!(["a", "b", "c", "d", "e"])), Err(ResolutionBatchError::TooMany { count: 5, max: 4 }));
    }

    #[test]
    fn identical_items_are_resolved_once() {
        let items =
            parse(json!(["did:key:a", "did:key:b", "did:key:a", {"did": "did:key:a", "options": {"noCache": true}}]))
                .unwrap();
        let unique = distinct(items);
        let positions: Vec<&[usize]> = unique.iter().map(|distinct| distinct.positions.as_slice()).collect();
        assert_eq!(positions, [&[0, 2][..], &[1], &[3]]);
    }
}
