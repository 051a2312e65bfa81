//! Status list tests: lists are built here (GZIP framing around `miniz_oxide` DEFLATE, CRC32 by `crc32fast`), plus
//! the Bitstring Status List specification's own example list.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use super::*;

const LIST_URL: &str = "https://issuer.example/status/1";

/// One GZIP member around `data`, with the given header flags and optional fields already encoded in `extra`.
fn gzip_with(data: &[u8], flags: u8, extra: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 255];
    out.extend_from_slice(extra);
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
    out.extend(crc32fast::hash(data).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    gzip_with(data, 0, &[])
}

fn encode_bitstring(gzipped: &[u8]) -> String {
    format!("u{}", URL_SAFE_NO_PAD.encode(gzipped))
}

/// A list of `bytes` zero bytes with the given bits set (bit 0 = most significant bit of byte 0).
fn bits(bytes: usize, set: &[usize]) -> Vec<u8> {
    let mut list = vec![0u8; bytes];
    for &bit in set {
        list[bit / 8] |= 0x80 >> (bit % 8);
    }
    list
}

fn entry(index: &str) -> StatusEntry {
    let entry = json!({
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index,
        "statusListCredential": LIST_URL,
    });
    parse_entries(&entry).expect("a valid entry").remove(0)
}

fn list(format: Format, purpose: Value, encoded_list: String) -> StatusList {
    let (credential_type, subject_type) = match format {
        Format::Bitstring => ("BitstringStatusListCredential", "BitstringStatusList"),
        Format::StatusList2021 => ("StatusList2021Credential", "StatusList2021"),
    };
    StatusList::from_credential(&json!({
        "id": LIST_URL,
        "type": ["VerifiableCredential", credential_type],
        "credentialSubject": {"type": subject_type, "statusPurpose": purpose, "encodedList": encoded_list},
    }))
    .expect("a valid list credential")
}

fn bitstring_list(raw: &[u8]) -> StatusList {
    list(Format::Bitstring, json!("revocation"), encode_bitstring(&gzip(raw)))
}

fn check_default(entry: &StatusEntry, list: &StatusList) -> Result<Status, StatusError> {
    check(entry, list, &Limits::default())
}

fn decode_err(encoded: &str) -> StatusError {
    Bitstring::decode(Format::Bitstring, encoded, DEFAULT_MAX_INFLATED_BYTES).expect_err("refused")
}

#[test]
fn spec_example_list_reads_unset_for_its_revocation_entry() {
    let vectors: Value =
        serde_json::from_str(include_str!("../../../../tests/vectors/credentials/bitstring-status-list-examples.json"))
            .unwrap();
    let list = StatusList::from_credential(&vectors["statusListCredential"]).unwrap();
    assert_eq!(list.purposes, ["revocation"]);
    let entries = parse_entries(&vectors["credentialStatus"]).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[0].index, entries[0].size), (94567, 1));
    let status = check_default(&entries[0], &list).unwrap();
    assert_eq!(status, Status { purpose: "revocation".into(), value: 0, message: None });
    assert!(status.is_valid());
    assert_eq!(Bitstring::decode(Format::Bitstring, &list.encoded_list, 1 << 20).unwrap().len_bits(), 131_072);
    // The second entry is a suspension entry: a revocation-only list cannot answer for it.
    let wrong_purpose = check_default(&entries[1], &list).unwrap_err();
    assert_eq!(wrong_purpose.kind(), ErrorKind::StatusVerification);
    assert!(wrong_purpose.detail().contains("suspension"), "{wrong_purpose}");
}

#[test]
fn bit_order_index_zero_is_the_top_bit_of_byte_zero_and_the_last_index_the_bottom_bit_of_the_last_byte() {
    let list = bitstring_list(&bits(16_384, &[0, 131_071]));
    let value = |index: &str| check_default(&entry(index), &list).unwrap().value;
    assert_eq!((value("0"), value("1"), value("7"), value("8")), (1, 0, 0, 0));
    assert_eq!((value("131070"), value("131071")), (0, 1));
    // Byte 0 is 0x80, not 0x01: the least significant bit of byte 0 is index 7.
    let low_bit = bitstring_list(&{
        let mut raw = vec![0u8; 16_384];
        raw[0] = 0x01;
        raw
    });
    assert_eq!(check_default(&entry("7"), &low_bit).unwrap().value, 1);
    assert_eq!(check_default(&entry("0"), &low_bit).unwrap().value, 0);
}

fn sized_entry(size: u8, messages: Value) -> Result<Vec<StatusEntry>, StatusError> {
    parse_entries(&json!([{
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": "5",
        "statusSize": size,
        "statusListCredential": LIST_URL,
        "statusMessage": messages,
    }]))
}

fn four_messages() -> Value {
    json!([
        {"status": "0x0", "message": "pending_review"},
        {"status": "0x1", "message": "accepted"},
        {"status": "0x2", "message": "rejected"},
        {"status": "0x3", "message": "undefined"},
    ])
}

#[test]
fn size_two_entry_reads_two_bits_most_significant_first_and_returns_its_message() {
    let entry = sized_entry(2, four_messages()).unwrap().remove(0);
    // Entry 5 of size 2 is bits 10 and 11; value 0b10 = 2.
    let raw = bits(32_768, &[10]);
    let list = list(Format::Bitstring, json!(["revocation", "message"]), encode_bitstring(&gzip(&raw)));
    let status = check_default(&entry, &list).unwrap();
    assert_eq!(status, Status { purpose: "message".into(), value: 2, message: Some("rejected".into()) });
    assert!(!status.is_valid());
    // 16 KB holds only 65,536 two-bit entries.
    let short = list_for_purpose_message(&bits(16_384, &[]));
    let err = check_default(&entry, &short).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StatusListLength);
    assert_eq!(err.kind().type_url(), "https://www.w3.org/ns/credentials/status-list#STATUS_LIST_LENGTH_ERROR");
}

fn list_for_purpose_message(raw: &[u8]) -> StatusList {
    list(Format::Bitstring, json!("message"), encode_bitstring(&gzip(raw)))
}

#[test]
fn status_messages_must_cover_every_value_of_the_size_exactly_once() {
    let missing = parse_entries(&json!({
        "type": "BitstringStatusListEntry", "statusPurpose": "message", "statusListIndex": "5",
        "statusSize": 2, "statusListCredential": LIST_URL,
    }))
    .unwrap_err();
    assert_eq!(missing.detail(), "credentialStatus.statusMessage is required when statusSize is 2");
    let three = sized_entry(
        2,
        json!([{"status": "0x0", "message": "a"}, {"status": "0x1", "message": "b"},
        {"status": "0x2", "message": "c"}]),
    )
    .unwrap_err();
    assert_eq!(three.detail(), "credentialStatus[0].statusMessage has 3 item(s); statusSize 2 needs 4");
    let mut twice = four_messages();
    twice[3]["status"] = json!("0x1");
    assert!(sized_entry(2, twice).unwrap_err().detail().contains("listed twice"));
    let mut too_big = four_messages();
    too_big[3]["status"] = json!("0x4");
    assert!(sized_entry(2, too_big).unwrap_err().detail().contains("below 4"));
    let mut no_prefix = four_messages();
    no_prefix[3]["status"] = json!("3");
    assert_eq!(sized_entry(2, no_prefix).unwrap_err().kind(), ErrorKind::MalformedValue);
    assert!(sized_entry(0, four_messages()).unwrap_err().detail().contains("statusSize must be an integer from 1"));
    assert!(sized_entry(17, four_messages()).unwrap_err().detail().contains("statusSize"));
}

#[test]
fn status_list_2021_accepts_standard_and_url_safe_base64_without_prefix() {
    let raw = bits(16_384, &[42]);
    let gzipped = gzip(&raw);
    let entry = parse_entries(&json!({
        "type": "StatusList2021Entry", "statusPurpose": "suspension", "statusListIndex": "42",
        "statusListCredential": LIST_URL,
    }))
    .unwrap()
    .remove(0);
    assert_eq!(entry.format, Format::StatusList2021);
    for encoded in [STANDARD.encode(&gzipped), URL_SAFE_NO_PAD.encode(&gzipped)] {
        let list = list(Format::StatusList2021, json!("suspension"), encoded);
        assert_eq!(check_default(&entry, &list).unwrap().value, 1);
    }
    // A Bitstring list is not a StatusList2021 list, even with the same bits.
    let other = list(Format::Bitstring, json!("suspension"), encode_bitstring(&gzipped));
    assert_eq!(check_default(&entry, &other).unwrap_err().kind(), ErrorKind::StatusVerification);
    let refresh = parse_entries(&json!({
        "type": "StatusList2021Entry", "statusPurpose": "refresh", "statusListIndex": "1",
        "statusListCredential": LIST_URL,
    }))
    .unwrap_err();
    assert!(refresh.detail().contains("revocation or suspension"), "{refresh}");
}

#[test]
fn gzip_bomb_declaring_its_size_is_refused_before_inflating() {
    let bomb = encode_bitstring(&gzip(&vec![0u8; 32 << 20]));
    let started = Instant::now();
    let err = Bitstring::decode(Format::Bitstring, &bomb, DEFAULT_MAX_INFLATED_BYTES).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(50), "took {:?}", started.elapsed());
    assert_eq!(err.kind(), ErrorKind::StatusRetrieval);
    assert_eq!(err.detail(), "encodedList declares 33554432 inflated bytes, more than the limit of 16777216");
}

#[test]
fn gzip_bomb_lying_about_its_size_stops_at_the_limit() {
    let mut member = gzip(&vec![0u8; 32 << 20]);
    let at = member.len() - 4;
    member[at..].copy_from_slice(&16_384u32.to_le_bytes());
    let err = Bitstring::decode(Format::Bitstring, &encode_bitstring(&member), 1 << 20).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StatusRetrieval);
    assert_eq!(err.detail(), "encodedList inflates to more than the limit of 1048576 bytes");
    // The bound comes from the caller's limits, as `check` passes it.
    let limits = Limits { max_inflated_bytes: 8_192, ..Limits::default() };
    let small = bitstring_list(&bits(16_384, &[]));
    assert_eq!(check(&entry("0"), &small, &limits).unwrap_err().kind(), ErrorKind::StatusRetrieval);
}

#[test]
fn truncated_or_corrupt_gzip_is_malformed() {
    let member = gzip(&bits(16_384, &[3]));
    let body_cut = [&member[..member.len() / 2], &member[member.len() - 8..]].concat();
    let truncated = decode_err(&encode_bitstring(&body_cut));
    assert_eq!(truncated.kind(), ErrorKind::MalformedValue);
    assert_eq!(truncated.detail(), "encodedList is not valid GZIP: truncated DEFLATE data");
    // Cut at the end, the last bytes read as a trailer: refused either way, whatever size they happen to declare.
    assert!(Bitstring::decode(Format::Bitstring, &encode_bitstring(&member[..member.len() / 2]), 1 << 20).is_err());
    assert!(decode_err(&encode_bitstring(&member[..14])).detail().contains("no room for the CRC32"));
    assert!(decode_err(&encode_bitstring(&member[..5])).detail().contains("truncated GZIP header"));

    let mut bad_crc = member.clone();
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 1;
    assert!(decode_err(&encode_bitstring(&bad_crc)).detail().contains("CRC32 does not match"));

    let mut bad_size = member.clone();
    let at = bad_size.len() - 4;
    bad_size[at] ^= 1;
    assert!(decode_err(&encode_bitstring(&bad_size)).detail().contains("ISIZE does not match"));

    let mut bad_magic = member.clone();
    bad_magic[0] = 0x1e;
    assert!(decode_err(&encode_bitstring(&bad_magic)).detail().contains("no 1f 8b magic"));

    let mut corrupt = member.clone();
    corrupt[10] = 0xff; // block type 3 is reserved
    assert!(decode_err(&encode_bitstring(&corrupt)).detail().contains("corrupt DEFLATE"), "corrupt body");

    let mut trailing = member.clone();
    let trailer = trailing.split_off(trailing.len() - 8);
    trailing.extend([0, 0, 0]);
    trailing.extend(trailer);
    assert!(decode_err(&encode_bitstring(&trailing)).detail().contains("after the end"));

    let reserved = gzip_with(&bits(16_384, &[]), 0x20, &[]);
    assert!(decode_err(&encode_bitstring(&reserved)).detail().contains("reserved GZIP header flags"));
}

#[test]
fn gzip_header_optional_fields_and_header_crc_are_honoured() {
    let raw = bits(16_384, &[9]);
    // FEXTRA (2 bytes), FNAME, FCOMMENT, then FHCRC over all of it.
    let mut header = vec![0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 255];
    let fields = [&[2u8, 0, b'a', b'b'][..], b"list.bin\0", b"a comment\0"].concat();
    header.extend_from_slice(&fields);
    let header_crc = (crc32fast::hash(&header) & 0xffff) as u16;
    let good = gzip_with(&raw, 0x1e, &[fields.clone(), header_crc.to_le_bytes().to_vec()].concat());
    let bits = Bitstring::decode(Format::Bitstring, &encode_bitstring(&good), DEFAULT_MAX_INFLATED_BYTES).unwrap();
    assert_eq!((bits.entry(9, 1), bits.entry(8, 1)), (Ok(1), Ok(0)));
    let bad = gzip_with(&raw, 0x1e, &[fields, (header_crc ^ 1).to_le_bytes().to_vec()].concat());
    assert!(decode_err(&encode_bitstring(&bad)).detail().contains("header CRC"));
}

#[test]
fn bitstring_list_needs_the_u_prefix_and_unpadded_base64url() {
    let gzipped = gzip(&bits(16_384, &[]));
    let no_prefix = decode_err(&URL_SAFE_NO_PAD.encode(&gzipped));
    assert_eq!(no_prefix.kind(), ErrorKind::MalformedValue);
    assert_eq!(no_prefix.detail(), "encodedList must start with the multibase prefix 'u' (base64url)");
    assert!(decode_err(&format!("z{}", URL_SAFE_NO_PAD.encode(&gzipped))).detail().contains("prefix 'u'"));
    let standard = format!("u{}", STANDARD.encode(&gzipped));
    assert!(decode_err(&standard).detail().contains("not base64url without padding"), "padded standard base64");
    assert_eq!(decode_err("u").detail(), "encodedList is not valid GZIP: truncated GZIP header");
}

#[test]
fn status_list_index_must_be_a_base_10_string() {
    let parse = |index: Value| {
        parse_entries(&json!({
            "type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": index,
            "statusListCredential": LIST_URL,
        }))
    };
    let number = parse(json!(94567)).unwrap_err();
    assert_eq!(number.kind(), ErrorKind::MalformedValue);
    assert_eq!(number.kind().type_url(), "https://www.w3.org/TR/vc-data-model#MALFORMED_VALUE_ERROR");
    assert_eq!(
        number.detail(),
        "credentialStatus.statusListIndex must be a base-10 integer as a string, not a JSON number"
    );
    for bad in ["", "-1", "+1", "0x10", "1.0", " 1", "١"] {
        assert!(parse(json!(bad)).unwrap_err().detail().contains("is not a base-10 integer"), "{bad:?}");
    }
    assert_eq!(parse(json!("007")).unwrap()[0].index, 7);
    assert_eq!(parse(json!("99999999999999999999999")).unwrap_err().kind(), ErrorKind::Range);
}

#[test]
fn index_past_the_end_is_a_range_error() {
    let list = bitstring_list(&bits(16_384, &[]));
    let err = check_default(&entry("131072"), &list).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Range);
    assert_eq!(err.kind().type_url(), "https://www.w3.org/TR/vc-data-model#RANGE_ERROR");
    assert_eq!(err.detail(), "statusListIndex 131072 of size 1 lies outside the list of 131072 bits");
    assert_eq!(check_default(&entry(&u64::MAX.to_string()), &list).unwrap_err().kind(), ErrorKind::Range);
}

#[test]
fn list_shorter_than_131072_entries_is_a_length_error() {
    let err = check_default(&entry("0"), &bitstring_list(&bits(16_383, &[]))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StatusListLength);
    assert_eq!(err.detail(), "the list holds 131064 entries of 1 bit(s), fewer than 131072");
}

#[test]
fn entries_are_refused_with_the_property_that_is_wrong() {
    let detail = |status: Value| parse_entries(&status).unwrap_err().detail().to_owned();
    assert_eq!(detail(json!([])), "credentialStatus must be an object or a non-empty array of objects");
    assert_eq!(detail(json!(["x"])), "credentialStatus[0] must be an object");
    assert_eq!(
        detail(json!({"type": "1EdTechRevocationList"})),
        "credentialStatus.type \"1EdTechRevocationList\" is not a supported status entry type"
    );
    let valid = json!({
        "id": "https://issuer.example/status/1#7", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": "7", "statusListCredential": LIST_URL,
    });
    let without = |name: &str| {
        let mut entry = valid.clone();
        entry.as_object_mut().unwrap().remove(name);
        detail(entry)
    };
    assert_eq!(without("statusPurpose"), "credentialStatus.statusPurpose is required");
    assert_eq!(without("statusListCredential"), "credentialStatus.statusListCredential is required");
    let mut relative = valid.clone();
    relative["statusListCredential"] = json!("/status/1");
    assert_eq!(detail(relative), "credentialStatus.statusListCredential must be an absolute URL");
    let mut same_id = valid.clone();
    same_id["id"] = json!(LIST_URL);
    assert_eq!(detail(same_id), "credentialStatus.id must not be the statusListCredential URL");
    assert_eq!(parse_entries(&json!([valid.clone(), valid])).unwrap().len(), 2);
}

#[test]
fn list_credential_subject_is_read_with_purposes_and_ttl() {
    let subject = |subject: Value| {
        StatusList::from_credential(&json!({
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "credentialSubject": subject,
        }))
    };
    let list = subject(json!({
        "type": "BitstringStatusList", "statusPurpose": ["revocation", "suspension"], "encodedList": "u", "ttl": 300000,
    }))
    .unwrap();
    assert_eq!(
        (list.purposes.as_slice(), list.ttl_ms),
        (&["revocation".to_owned(), "suspension".to_owned()][..], Some(300_000))
    );
    let wrong_type = subject(json!({"type": "StatusList2021", "statusPurpose": "revocation", "encodedList": "u"}));
    assert_eq!(wrong_type.unwrap_err().kind(), ErrorKind::StatusVerification);
    let bad_ttl =
        subject(json!({"type": "BitstringStatusList", "statusPurpose": "revocation", "encodedList": "u", "ttl": "1"}));
    assert!(bad_ttl.unwrap_err().detail().contains("ttl"));
    let no_list = subject(json!({"type": "BitstringStatusList", "statusPurpose": "revocation"}));
    assert_eq!(no_list.unwrap_err().detail(), "credentialSubject.encodedList must be a string");
    let not_list = StatusList::from_credential(&json!({"type": "VerifiableCredential", "credentialSubject": {}}));
    assert_eq!(not_list.unwrap_err().kind().type_url(), ErrorKind::StatusVerification.type_url());
}

proptest::proptest! {
    /// Any bytes, and any single-byte corruption of a valid member, give a list within the limit or an error.
    #[test]
    fn arbitrary_or_corrupted_gzip_never_panics(
        noise in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        flip_at in 0usize..1_000,
        flip in 1u8..,
    ) {
        let limit = 32_768;
        for format in [Format::Bitstring, Format::StatusList2021] {
            let _ = Bitstring::decode(format, &String::from_utf8_lossy(&noise), limit);
        }
        let mut member = gzip(&bits(16_384, &[flip_at]));
        let at = flip_at % member.len();
        member[at] ^= flip;
        if let Ok(list) = Bitstring::decode(Format::Bitstring, &encode_bitstring(&member), limit) {
            proptest::prop_assert!(list.len_bits() <= limit as u64 * 8);
        }
        let _ = Bitstring::decode(Format::Bitstring, &encode_bitstring(&noise), limit);
    }
}
