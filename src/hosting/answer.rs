//! Verifying a saved TRQP answer end to end, without trusting the node that gave it: a node-signed answer (compact
//! JWS) is checked against the node's DID document, a proof against the DID documents of the authorities it names,
//! both resolved through our own resolver (did:key offline, did:web over HTTPS). Used by `trustnode registry
//! check-answer`.
//!
//! The checks themselves are pure (`trustnode_registry::proof`, `trustnode_registry::jws`); this module only resolves
//! DIDs and reports. No files and no HTTP server here.

use std::collections::HashMap;

use trustnode_did::document::Document;
use trustnode_registry::jws::{self, JwsError, VerifiedSignature};
use trustnode_registry::proof::{check_answer, Answer, ProofError};
use trustnode_registry::snapshot::SignedHeader;
use trustnode_registry::wire::ANSWER_JWS_TYPE;
use trustnode_resolver::Resolver;

use super::verify::{authority_document, VerifyError};

/// What the verifier insists on, beyond what the answer says about itself.
#[derive(Debug, Clone, Default)]
pub struct Expectations<'e> {
    /// The authority the verifier trusts; the answer must be about it.
    pub authority_id: Option<&'e str>,
    /// The node the verifier expects to have signed.
    pub node_id: Option<&'e str>,
}

/// Why a saved answer did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// Neither JSON nor a compact JWS, or JSON that is not a TRQP answer.
    #[error("not a TRQP answer: {0}")]
    Malformed(String),
    /// The node's signature was refused.
    #[error("node signature refused: {0}")]
    NodeSignature(JwsError),
    /// Another node signed than the one expected.
    #[error("the answer is signed by {found}, not by the expected node {expected}")]
    UnexpectedNode {
        /// The signer.
        found: String,
        /// The node expected.
        expected: String,
    },
    /// The answer is about another authority than the one the verifier trusts.
    #[error("the answer is about authority {found}, not {expected}")]
    UnexpectedAuthority {
        /// The answer's authority.
        found: String,
        /// The authority expected.
        expected: String,
    },
    /// A DID document could not be obtained.
    #[error(transparent)]
    Unresolvable(VerifyError),
    /// The proof does not show the answer.
    #[error(transparent)]
    Proof(ProofError),
    /// Neither a node signature nor a proof: nothing vouches for the answer.
    #[error("nothing to verify: the answer is neither signed by a node nor carries a proof (ask with context.proof)")]
    Unsupported,
}

/// What a verified answer established.
#[derive(Debug, Clone)]
pub struct CheckedAnswer {
    /// The answer.
    pub answer: Answer,
    /// The node's signature, when the answer was node-signed.
    pub node: Option<VerifiedSignature>,
    /// Each proof link's header and the authority key that signed it, in order.
    pub links: Vec<(SignedHeader, VerifiedSignature)>,
    /// The link holding the deciding statement, when the answer carries a proof.
    pub deciding_link: Option<usize>,
}

/// Verifies `text`: a JSON answer with a proof, a compact JWS of a node-signed answer, or a node-signed answer
/// with a proof inside.
pub async fn check_saved_answer(
    resolver: &Resolver,
    text: &str,
    expect: &Expectations<'_>,
) -> Result<CheckedAnswer, AnswerError> {
    let text = text.trim();
    let (payload, node) = if text.starts_with('{') {
        (text.as_bytes().to_vec(), None)
    } else {
        let signer = jws::compact_signer(text).map_err(AnswerError::NodeSignature)?;
        if let Some(expected) = expect.node_id.filter(|expected| *expected != signer) {
            return Err(AnswerError::UnexpectedNode { found: signer, expected: expected.to_owned() });
        }
        let document = authority_document(resolver, &signer).await.map_err(AnswerError::Unresolvable)?;
        let (signature, payload) = jws::verify_compact(text, ANSWER_JWS_TYPE, &signer, document.value())
            .map_err(AnswerError::NodeSignature)?;
        (payload, Some(signature))
    };
    let answer: Answer = serde_json::from_slice(&payload).map_err(|error| AnswerError::Malformed(error.to_string()))?;
    if let Some(expected) = expect.authority_id.filter(|expected| *expected != answer.authority_id) {
        return Err(AnswerError::UnexpectedAuthority { found: answer.authority_id, expected: expected.to_owned() });
    }
    let Some(proof) = &answer.proof else {
        return match node {
            Some(_) => Ok(CheckedAnswer { answer, node, links: Vec::new(), deciding_link: None }),
            None if answer.positive_kind().is_some() => Err(AnswerError::Proof(ProofError::MissingProof)),
            None => Err(AnswerError::Unsupported),
        };
    };
    let mut documents = HashMap::new();
    let mut links = Vec::with_capacity(proof.links.len());
    for (index, link) in proof.links.iter().enumerate() {
        let authority = link.authority_id();
        let document = match documents.get(authority) {
            Some(document) => Document::clone(document),
            None => {
                let document = authority_document(resolver, authority).await.map_err(AnswerError::Unresolvable)?;
                documents.insert(authority.to_owned(), document.clone());
                document
            }
        };
        let signature =
            link.verify(document.value()).map_err(|error| AnswerError::Proof(ProofError::Link { index, error }))?;
        links.push((link.header.clone(), signature));
    }
    let deciding = check_answer(&answer).map_err(AnswerError::Proof)?;
    Ok(CheckedAnswer { answer, node, links, deciding_link: Some(deciding) })
}
