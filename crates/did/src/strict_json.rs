//! Strict JSON reading: the same `serde_json::Value` serde_json builds, except that an object repeating a member
//! name is an error naming that name (serde_json alone silently keeps the last one, so two readers of the same
//! bytes could disagree about a document's `id`).
//!
//! Nesting depth stays bounded by serde_json's recursion limit (128 levels), which its deserializer enforces for
//! any visitor; the visitor here recurses once per level, like serde_json's own. Pure: bytes in, value out.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses `bytes` as one JSON value, refusing objects with duplicate member names at any depth. A duplicate is a
/// data error (`Error::is_data`) whose message names the member; malformed JSON is a syntax error as usual.
pub fn from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Builds a [`Value`], checking each object's member names as they arrive.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::new();
        while let Some(item) = items.next_element_seed(StrictValue)? {
            array.push(item);
        }
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = members.next_key::<String>()? {
            if object.contains_key(&name) {
                return Err(A::Error::custom(format_args!("repeats the member name {name:?}")));
            }
            let value = members.next_value_seed(StrictValue)?;
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads() {
        let text = r#"{"a":[1,-2,3.5,1e300,18446744073709551615,"x\u00e9",true,false,null],"b":{"c":{}},"d":[]}"#;
        assert_eq!(from_slice(text.as_bytes()).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        let keys: Vec<_> = from_slice(br#"{"z":1,"a":2}"#).unwrap().as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["z", "a"], "member order is kept");
    }

    #[test]
    fn duplicate_names_are_refused_at_any_depth() {
        for text in [r#"{"id":1,"id":2}"#, r#"{"a":[{"b":{"id":1,"x":0,"id":1}}]}"#, r#"[{"id":"a","\u0069d":"b"}]"#] {
            let error = from_slice(text.as_bytes()).unwrap_err();
            assert!(error.is_data(), "{text}: {error}");
            assert!(error.to_string().contains(r#"repeats the member name "id""#), "{text}: {error}");
        }
        assert!(from_slice(br#"{"id":1,"Id":2,"a":{"id":3}}"#).is_ok(), "names differ, or are in different objects");
    }

    #[test]
    fn malformed_and_too_deep_json_are_syntax_errors() {
        assert!(from_slice(b"{\"a\":1} x").unwrap_err().is_syntax());
        assert!(from_slice(b"{\"a\":").unwrap_err().is_eof());
        let deep = "[".repeat(100_000);
        assert!(from_slice(deep.as_bytes()).is_err(), "the recursion limit stops this before the stack does");
    }
}
