//! GZIP (RFC 1952) reading with a hard bound on the inflated size: the member framing (header flags, optional
//! fields, header CRC, CRC32 and ISIZE trailer) is parsed here and the DEFLATE body is inflated by `miniz_oxide`.
//!
//! A status list comes from whoever publishes it, so a small input must never cost much: a declared size over the
//! bound is refused before inflating, and a member that lies about its size is stopped as soon as the output
//! reaches the bound. This module knows nothing of status lists; it only turns bytes into bytes or a reason.

use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

const MAGIC: [u8; 2] = [0x1f, 0x8b];
const METHOD_DEFLATE: u8 = 8;
const FLAG_HCRC: u8 = 0x02;
const FLAG_EXTRA: u8 = 0x04;
const FLAG_NAME: u8 = 0x08;
const FLAG_COMMENT: u8 = 0x10;
const FLAG_RESERVED: u8 = 0xe0;
const FIXED_HEADER_LEN: usize = 10;
const TRAILER_LEN: usize = 8;
/// The first output buffer when the declared size is not believed; it grows by doubling up to the bound.
const INITIAL_OUTPUT: usize = 64 * 1024;

/// Why a GZIP member was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GzipError {
    /// The bytes are not a well-formed single GZIP member; the text says where it broke.
    Malformed(String),
    /// The member inflates, or declares in its ISIZE that it inflates, to more than the bound.
    TooLarge { limit: usize, declared: Option<u32> },
}

/// Inflates one GZIP member to at most `limit` bytes, checking its framing, CRC32 and ISIZE.
pub(crate) fn inflate(input: &[u8], limit: usize) -> Result<Vec<u8>, GzipError> {
    let malformed = |why: &str| GzipError::Malformed(why.to_owned());
    let body_start = header_len(input)?;
    if input.len() < body_start + TRAILER_LEN {
        return Err(malformed("truncated: no room for the CRC32 and ISIZE trailer"));
    }
    let trailer = &input[input.len() - TRAILER_LEN..];
    let declared_crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let declared_size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    // ISIZE is the size modulo 2^32, so it can only be trusted to refuse early, never to stop checking.
    if usize::try_from(declared_size).map_or(true, |size| size > limit) {
        return Err(GzipError::TooLarge { limit, declared: Some(declared_size) });
    }
    let body = &input[body_start..input.len() - TRAILER_LEN];
    let (output, consumed) = inflate_raw(body, limit, declared_size as usize)?;
    if consumed != body.len() {
        return Err(malformed("data after the end of the first GZIP member"));
    }
    if output.len() as u64 % (1 << 32) != u64::from(declared_size) {
        return Err(malformed("ISIZE does not match the inflated length"));
    }
    if crc32fast::hash(&output) != declared_crc {
        return Err(malformed("CRC32 does not match the inflated data"));
    }
    Ok(output)
}

/// The length of the member header, flags and optional fields included, after checking it.
fn header_len(input: &[u8]) -> Result<usize, GzipError> {
    let truncated = || GzipError::Malformed("truncated GZIP header".to_owned());
    if input.len() < FIXED_HEADER_LEN {
        return Err(truncated());
    }
    if input[..2] != MAGIC {
        return Err(GzipError::Malformed("not GZIP data (no 1f 8b magic bytes)".to_owned()));
    }
    if input[2] != METHOD_DEFLATE {
        return Err(GzipError::Malformed(format!("unknown GZIP compression method {}", input[2])));
    }
    let flags = input[3];
    if flags & FLAG_RESERVED != 0 {
        return Err(GzipError::Malformed("reserved GZIP header flags are set".to_owned()));
    }
    let mut at = FIXED_HEADER_LEN;
    if flags & FLAG_EXTRA != 0 {
        let len = input.get(at..at + 2).ok_or_else(truncated)?;
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for flag in [FLAG_NAME, FLAG_COMMENT] {
        if flags & flag != 0 {
            let rest = input.get(at..).ok_or_else(truncated)?;
            at += rest.iter().position(|&b| b == 0).ok_or_else(truncated)? + 1;
        }
    }
    if flags & FLAG_HCRC != 0 {
        let stored = input.get(at..at + 2).ok_or_else(truncated)?;
        // The header CRC is the low 16 bits of the CRC32 of every header byte before it.
        if u32::from(u16::from_le_bytes([stored[0], stored[1]])) != crc32fast::hash(&input[..at]) & 0xffff {
            return Err(GzipError::Malformed("GZIP header CRC does not match".to_owned()));
        }
        at += 2;
    }
    if at > input.len() {
        return Err(truncated());
    }
    Ok(at)
}

/// Inflates a raw DEFLATE stream to at most `limit` bytes; returns the output and the input bytes it used.
fn inflate_raw(body: &[u8], limit: usize, expected: usize) -> Result<(Vec<u8>, usize), GzipError> {
    let mut decompressor = DecompressorOxide::new();
    // An honest ISIZE sizes the buffer in one go; a lying one costs at most `limit`, which the caller accepted.
    let first = if expected == 0 { INITIAL_OUTPUT } else { expected };
    let mut output = vec![0; first.min(limit)];
    let (mut read, mut written) = (0, 0);
    loop {
        let (status, used, produced) = decompress(
            &mut decompressor,
            &body[read..],
            &mut output,
            written,
            inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
        );
        read += used;
        written += produced;
        match status {
            TINFLStatus::Done => {
                output.truncate(written);
                return Ok((output, read));
            }
            TINFLStatus::HasMoreOutput if output.len() < limit => {
                let grown = output.len().saturating_mul(2).min(limit);
                output.resize(grown, 0);
            }
            TINFLStatus::HasMoreOutput => return Err(GzipError::TooLarge { limit, declared: None }),
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                return Err(GzipError::Malformed("truncated DEFLATE data".to_owned()))
            }
            other => return Err(GzipError::Malformed(format!("corrupt DEFLATE data ({other:?})"))),
        }
    }
}
