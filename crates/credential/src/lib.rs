//! The pure credential core: what a W3C verifiable credential says and whether its embedded proofs hold.
//!
//! - [`model`] reads a credential: its data-model version from the first `@context`, its types and the most
//!   specific learning-and-employment-record type (Open Badge, CLR), its issuer, its validity dates and its proofs.
//! - [`presentation`] reads a presentation: its holder, the credentials it holds and its proofs.
//! - [`validity`] checks the validity window at a given instant, with a clock-skew tolerance, and explains the
//!   outcome.
//! - [`data_integrity`] verifies the proofs of a credential or a presentation against a public key the caller
//!   supplies: `DataIntegrityProof` with `eddsa-rdfc-2022`, `eddsa-jcs-2022`, `ecdsa-rdfc-2019` or `ecdsa-jcs-2019`
//!   (P-256, P-384), and the legacy `Ed25519Signature2020`; it decodes Multikey values.
//! - [`jose`] reads a JOSE-secured credential (a compact JWS: VC-JOSE-COSE `vc+jwt`, or the VC 1.1 JWT with its
//!   `vc` claim, bare or enveloped in a data URL), maps its claims onto the credential and verifies its EdDSA,
//!   ES256 or ES384 signature against a public key the caller supplies.
//! - [`contexts`] is the set of JSON-LD contexts a document may name: bundled, hash-pinned copies plus the
//!   operator's; any other context URL is refused, never fetched.
//! - [`rdf`] turns a JSON-LD document into RDFC-1.0 canonical N-Quads for the RDF suites, within size, quad and
//!   hash-call bounds.
//! - [`status`] reads `credentialStatus` entries (Bitstring Status List, StatusList2021), the status list
//!   credential's subject, and decodes a list within a size bound to read an entry's status.
//! - [`verification_method`] finds the key a proof names in its controller's resolved DID document, under the
//!   relationship the proof's purpose needs.
//! - [`error`] is the one error type of the model and the proofs, one variant per reason (status lists have their
//!   own, [`status::StatusError`], whose kinds are the spec's error types).
//!
//! Everything here is pure: functions take JSON values, keys and instants and return values or a precise error.
//! Nothing here performs I/O, reads the clock, resolves DIDs or verification methods, fetches contexts or status
//! lists, or knows about HTTP; the node does those and calls in here. Malformed input is an error, never a panic.

pub mod contexts;
pub mod data_integrity;
pub mod error;
pub mod jose;
pub mod model;
pub mod presentation;
pub mod rdf;
pub mod status;
pub mod validity;
pub mod verification_method;
