//! RFC 8785 JSON Canonicalization Scheme (JCS): one byte string per JSON value, the bytes that get hashed and signed.
//!
//! Members are sorted by the UTF-16 code units of their names, strings are escaped as ECMAScript's
//! `JSON.stringify` does, and numbers are written as ECMAScript writes an IEEE-754 double (shortest round-trip
//! digits, exponent from 1e21 up and below 1e-6). Integers are refused beyond ±2^53: above that, a JSON integer
//! and the double that ECMAScript would read it as no longer agree, so signing it would sign something else than
//! what a verifier in another language sees; that includes doubles such as `1e17` whose canonical form is such an
//! integer. Other numbers are accepted and written the ECMAScript way.
//!
//! [`proof_hash_data`] is the one place the JCS Data Integrity suites turn proof options and a document into the
//! bytes they sign: the credential core and the did:webvh log verifier both use it.
//! No I/O here.

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::{Map, Number, Value};
use sha2::Digest;

/// The largest integer magnitude every JSON implementation reads exactly: 2^53.
const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    /// An integer beyond ±2^53.
    #[error("integer {0} is beyond ±2^53 and cannot be canonicalized exactly")]
    IntegerOutOfRange(String),
    /// A number that is neither an integer nor a finite double.
    #[error("number {0} cannot be represented as an IEEE-754 double")]
    UnrepresentableNumber(String),
    /// The value could not be turned into JSON at all.
    #[error("value is not serializable as JSON: {0}")]
    NotJson(String),
}

/// The canonical bytes of `value`.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, JcsError> {
    let mut out = Vec::new();
    write_value(value, &mut out)?;
    Ok(out)
}

/// The canonical bytes of any serializable value (through a [`Value`], so keep values small).
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, JcsError> {
    let value = serde_json::to_value(value).map_err(|e| JcsError::NotJson(e.to_string()))?;
    canonicalize(&value)
}

/// Data Integrity's hash data for the JCS cryptosuites (eddsa-jcs-2022, ecdsa-jcs-2019): `D(JCS(options)) ‖
/// D(JCS(document))`, where `options` is the proof without `proofValue` and `document` the secured data without
/// `proof`. The signature covers these bytes.
pub fn proof_hash_data<D: Digest>(options: &Value, document: &Value) -> Result<Vec<u8>, JcsError> {
    Ok([D::digest(canonicalize(options)?), D::digest(canonicalize(document)?)].concat())
}

/// Appends the canonical bytes of `value` to `out`.
fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), JcsError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_number(number, out)?,
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(members) => write_object(members, out)?,
    }
    Ok(())
}

fn write_object(members: &Map<String, Value>, out: &mut Vec<u8>) -> Result<(), JcsError> {
    let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| utf16_order(a, b));
    out.push(b'{');
    for (position, (name, member)) in sorted.into_iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        write_string(name, out);
        out.push(b':');
        write_value(member, out)?;
    }
    out.push(b'}');
    Ok(())
}

/// RFC 8785 §3.2.3: member names compare as arrays of UTF-16 code units (so U+1F600 sorts before U+FB33).
fn utf16_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// serde_json escapes exactly the characters `JSON.stringify` escapes (`"`, `\`, controls, with `\b \t \n \f \r`
/// short forms and lowercase `\u00xx`), and Rust strings cannot hold lone surrogates, so its writer is canonical.
fn write_string(text: &str, out: &mut Vec<u8>) {
    // Writing a &str into a Vec cannot fail: there is no I/O and no non-string key.
    let _ = serde_json::to_writer(&mut *out, text);
}

fn write_number(number: &Number, out: &mut Vec<u8>) -> Result<(), JcsError> {
    if let Some(unsigned) = number.as_u64() {
        if unsigned > MAX_SAFE_INTEGER {
            return Err(JcsError::IntegerOutOfRange(unsigned.to_string()));
        }
        out.extend_from_slice(unsigned.to_string().as_bytes());
    } else if let Some(signed) = number.as_i64() {
        if signed.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(JcsError::IntegerOutOfRange(signed.to_string()));
        }
        out.extend_from_slice(signed.to_string().as_bytes());
    } else {
        let double = number.as_f64().ok_or_else(|| JcsError::UnrepresentableNumber(number.to_string()))?;
        let text = ecmascript_number(double)?;
        // 1e17 is written `100000000000000000`: an integer literal beyond 2^53 that would be refused on its next
        // canonicalization, so it is refused now. From 1e21 on the form has an exponent and reads back as a double.
        if double.fract() == 0.0 && double.abs() > MAX_SAFE_INTEGER as f64 && !text.contains('e') {
            return Err(JcsError::IntegerOutOfRange(text));
        }
        out.extend_from_slice(text.as_bytes());
    }
    Ok(())
}

/// ECMAScript's Number::toString(10) for a finite double (ECMA-262 §6.1.6.1.20), which RFC 8785 adopts.
fn ecmascript_number(value: f64) -> Result<String, JcsError> {
    if !value.is_finite() {
        return Err(JcsError::UnrepresentableNumber(value.to_string()));
    }
    if value == 0.0 {
        // Both +0 and -0 are written "0".
        return Ok("0".to_owned());
    }
    let sign = if value < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the shortest digits that round-trip, the same digits ECMAScript requires.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) =
        scientific.split_once('e').ok_or_else(|| JcsError::UnrepresentableNumber(scientific.clone()))?;
    let exponent: i32 = exponent.parse().map_err(|_| JcsError::UnrepresentableNumber(scientific.clone()))?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = round_half_to_even(value.abs(), digits);
    let digit_count = i32::try_from(digits.len()).map_err(|_| JcsError::UnrepresentableNumber(scientific.clone()))?;
    // The value is 0.DIGITS × 10^point.
    let point = exponent + 1;
    let body = if digit_count <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - digit_count).unsigned_abs() as usize))
    } else if 0 < point && point <= 21 {
        let (whole, fraction) = digits.split_at(point.unsigned_abs() as usize);
        format!("{whole}.{fraction}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let exponent_sign = if point > 0 { "+" } else { "-" };
        let (first, rest) = digits.split_at(digits.len().min(1));
        let fraction = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        format!("{first}{fraction}e{exponent_sign}{}", (point - 1).unsigned_abs())
    };
    Ok(format!("{sign}{body}"))
}

/// ECMAScript picks the even candidate when two shortest digit strings are equally close to the exact value;
/// Rust's shortest formatting rounds such ties up. A tie means the exact value has exactly one more significant
/// digit than the shortest form, and that digit is 5.
fn round_half_to_even(value: f64, shortest: String) -> String {
    // 767 significant digits is the longest exact decimal expansion of a double.
    let exact = format!("{:.800e}", value);
    let exact_digits: String =
        exact.split('e').next().unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
    let exact_digits = exact_digits.trim_end_matches('0');
    let is_tie = exact_digits.len() == shortest.len() + 1 && exact_digits.ends_with('5');
    let last = shortest.bytes().last().map_or(0, |b| b - b'0');
    if !is_tie || last.is_multiple_of(2) {
        return shortest;
    }
    let rounded_up = !exact_digits.starts_with(&shortest);
    let neighbour = if rounded_up { last - 1 } else { last + 1 };
    if neighbour > 9 {
        // The even neighbour of a rounded-down 9 ends in 0 after a carry, so it would have been shorter still.
        return shortest;
    }
    let mut even = shortest;
    even.pop();
    even.push(char::from(b'0' + neighbour));
    even
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical_text(json: &str) -> Result<String, JcsError> {
        let value: Value = serde_json::from_str(json).map_err(|e| JcsError::NotJson(e.to_string()))?;
        canonicalize(&value).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let expected = r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#;
        assert_eq!(canonical_text(input).unwrap(), expected);
    }

    #[test]
    fn rfc8785_section_3_2_3_sorting_by_utf16() {
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh",
            "1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let value: Value = serde_json::from_str(input).unwrap();
        let sorted: Value = serde_json::from_slice(&canonicalize(&value).unwrap()).unwrap();
        let order: Vec<&str> = sorted.as_object().unwrap().values().filter_map(Value::as_str).collect();
        assert_eq!(
            order,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh"
            ]
        );
    }

    #[test]
    fn rfc8785_appendix_b_numbers() {
        let samples = [
            (0x0000000000000000_u64, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in samples {
            assert_eq!(ecmascript_number(f64::from_bits(bits)).unwrap(), expected, "bits {bits:016x}");
        }
        for bits in [0x7fffffffffffffff_u64, 0x7ff0000000000000] {
            assert!(ecmascript_number(f64::from_bits(bits)).is_err(), "bits {bits:016x}");
        }
    }

    fn json_values() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let safe = MAX_SAFE_INTEGER as i64;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-safe..=safe).prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite, and not an integer beyond 2^53 written without exponent", |x| {
                    x.is_finite() && !(x.fract() == 0.0 && x.abs() > MAX_SAFE_INTEGER as f64 && x.abs() < 1e21)
                })
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::vec((any::<String>(), inner), 0..8)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    fn numbers_as_doubles(value: &Value) -> Value {
        match value {
            Value::Number(number) => number.as_f64().map_or(Value::Null, Value::from),
            Value::Array(items) => Value::Array(items.iter().map(numbers_as_doubles).collect()),
            Value::Object(members) => {
                Value::Object(members.iter().map(|(name, member)| (name.clone(), numbers_as_doubles(member))).collect())
            }
            other => other.clone(),
        }
    }

    proptest::proptest! {
        #[test]
        fn canonical_form_is_a_fixed_point_that_keeps_the_value(value in json_values()) {
            let canonical = canonicalize(&value).unwrap();
            let read: Value = serde_json::from_slice(&canonical).unwrap();
            // JSON has one number type: 1.0 and 1, or -0 and 0, are the same value.
            proptest::prop_assert_eq!(numbers_as_doubles(&read), numbers_as_doubles(&value));
            proptest::prop_assert_eq!(canonicalize(&read).unwrap(), canonical);
        }

        #[test]
        fn every_finite_double_round_trips(bits in proptest::prelude::any::<u64>()) {
            let value = f64::from_bits(bits);
            proptest::prop_assume!(value.is_finite());
            let text = ecmascript_number(value).unwrap();
            let read: f64 = text.parse().unwrap();
            proptest::prop_assert!(read == value, "{} -> {}", value, text);
        }
    }

    #[test]
    fn integers_beyond_two_to_the_53_are_refused() {
        assert_eq!(
            canonical_text("[9007199254740992,-9007199254740992]").unwrap(),
            "[9007199254740992,-9007199254740992]"
        );
        assert_eq!(
            canonical_text(r#"{"sequence":9007199254740993}"#),
            Err(JcsError::IntegerOutOfRange("9007199254740993".into()))
        );
        assert_eq!(canonical_text("-9007199254740993"), Err(JcsError::IntegerOutOfRange("-9007199254740993".into())));
        assert_eq!(canonical_text("1e17"), Err(JcsError::IntegerOutOfRange("100000000000000000".into())));
        assert_eq!(canonical_text("[9007199254740992.0,1e21]").unwrap(), "[9007199254740992,1e+21]");
    }

    #[test]
    fn nested_values_are_canonicalized_throughout() {
        assert_eq!(
            canonical_text(r#"{"b":[{"z":1,"a":2}],"a":{"y":true,"x":1.0}}"#).unwrap(),
            r#"{"a":{"x":1,"y":true},"b":[{"a":2,"z":1}]}"#
        );
    }

    #[test]
    fn proof_hash_data_matches_the_w3c_eddsa_jcs_2022_vector() {
        let vectors = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/credentials/eddsa-jcs-2022/");
        let read = |name: &str| std::fs::read_to_string(format!("{vectors}{name}")).unwrap();
        let options: Value = serde_json::from_str(&read("proofConfigJCS.json")).unwrap();
        let mut document: Value = serde_json::from_str(&read("signedJCS.json")).unwrap();
        document.as_object_mut().unwrap().remove("proof");
        let combined = proof_hash_data::<sha2::Sha256>(&options, &document).unwrap();
        let hex: String = combined.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, read("combinedHashJCS.txt").trim());
    }
}
