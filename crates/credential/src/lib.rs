//! The pure verifiable-credential core of trustnode.
//!
//! Nothing in this crate performs I/O: fetching a status list credential or a context is the caller's job, so
//! every check here takes JSON values and strings and returns results or precise errors, never panics.

pub mod status;
