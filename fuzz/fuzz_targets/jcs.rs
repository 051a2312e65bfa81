//! RFC 8785 canonicalization: any JSON text through `trustnode_jcs::canonicalize`. The canonical bytes re-parse to the same
//! value (numbers compared as the doubles every reader sees), and canonicalizing them again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Equality as JCS defines it: object member order does not matter and numbers are IEEE-754 doubles.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(name, value)| y.get(name).is_some_and(|other| same_json(value, other)))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let Ok(canonical) = trustnode_jcs::canonicalize(&value) else { return };
    let reparsed: Value = serde_json::from_slice(&canonical).expect("canonical bytes are JSON");
    assert!(same_json(&value, &reparsed), "canonical form changed the value: {}", String::from_utf8_lossy(&canonical));
    assert_eq!(trustnode_jcs::canonicalize(&reparsed).as_deref(), Ok(canonical.as_slice()), "canonicalization is idempotent");
});
