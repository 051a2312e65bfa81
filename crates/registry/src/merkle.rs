//! RFC 6962 / RFC 9162 Merkle tree hashing over statements: leaf hash = SHA-256(0x00 ‖ leaf), node hash =
//! SHA-256(0x01 ‖ left ‖ right), the tree split at the largest power of two below its size.
//!
//! The tree is built bottom-up in O(n) (a level's odd last node moves up unchanged, which yields exactly the
//! RFC 6962 split) and keeps every level, so an inclusion proof costs O(log n). Verification follows RFC 9162
//! §2.1.3.2. Pure hashing, no I/O.

use sha2::{Digest as _, Sha256};

/// A SHA-256 output.
pub type Hash = [u8; 32];

/// Why an inclusion proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is outside a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for its index and tree size.
    #[error("the proof has the wrong length for leaf {index} of {size}")]
    WrongProofLength {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The proof leads to another root.
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

/// The hash of one leaf's bytes.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(leaf);
    hasher.finalize().into()
}

/// The hash of an interior node.
pub(crate) fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub(crate) fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A complete tree: every level from the leaf hashes up to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[0]` are the leaf hashes, the last level holds only the root.
    levels: Vec<Vec<Hash>>,
}

/// The sibling hashes from a leaf up to the root, leaf side first (RFC 9162 "inclusion path").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The leaf's position, from 0.
    pub index: u64,
    /// The number of leaves in the tree.
    pub tree_size: u64,
    /// Sibling hashes, bottom up.
    pub path: Vec<Hash>,
}

impl MerkleTree {
    /// Builds the tree over already-hashed leaves (see [`leaf_hash`]).
    pub(crate) fn from_leaf_hashes(leaves: Vec<Hash>) -> MerkleTree {
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|level| level.len() > 1) {
            let above = below
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => node_hash(left, right),
                    [single] => *single,
                    _ => empty_root(),
                })
                .collect();
            levels.push(above);
        }
        MerkleTree { levels }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// The tree head hash.
    pub fn root(&self) -> Hash {
        self.levels.last().and_then(|top| top.first()).copied().unwrap_or_else(empty_root)
    }

    /// The inclusion proof of leaf `index`.
    pub fn inclusion_proof(&self, index: u64) -> Result<InclusionProof, MerkleError> {
        let size = self.size();
        if index >= size {
            return Err(MerkleError::IndexOutOfRange { index, size });
        }
        let mut path = Vec::new();
        let mut position = index;
        for level in &self.levels {
            // A node without a right sibling was moved up unchanged: nothing to record at this level.
            if let Some(sibling) = usize::try_from(position ^ 1).ok().and_then(|sibling| level.get(sibling)) {
                path.push(*sibling);
            }
            position >>= 1;
        }
        Ok(InclusionProof { index, tree_size: size, path })
    }
}

/// Checks that `leaf` (a [`leaf_hash`]) is at `proof.index` of the tree whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, proof: &InclusionProof, root: &Hash) -> Result<(), MerkleError> {
    let (index, size) = (proof.index, proof.tree_size);
    if index >= size {
        return Err(MerkleError::IndexOutOfRange { index, size });
    }
    let mut position = index;
    let mut last = size - 1;
    let mut hash = *leaf;
    for sibling in &proof.path {
        if last == 0 {
            return Err(MerkleError::WrongProofLength { index, size });
        }
        if position & 1 == 1 || position == last {
            hash = node_hash(sibling, &hash);
            while position & 1 == 0 && position != 0 {
                position >>= 1;
                last >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        position >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(MerkleError::WrongProofLength { index, size });
    }
    if hash == *root {
        Ok(())
    } else {
        Err(MerkleError::RootMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6962 §2.1 MTH, written recursively as the RFC defines it.
    fn reference_root(leaves: &[Vec<u8>]) -> Hash {
        match leaves {
            [] => empty_root(),
            [single] => leaf_hash(single),
            _ => {
                let split = leaves.len().next_power_of_two() / 2;
                node_hash(&reference_root(&leaves[..split]), &reference_root(&leaves[split..]))
            }
        }
    }

    fn tree_of(leaves: &[Vec<u8>]) -> MerkleTree {
        MerkleTree::from_leaf_hashes(leaves.iter().map(|leaf| leaf_hash(leaf)).collect())
    }

    #[test]
    fn known_roots() {
        assert_eq!(hex::encode(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        // RFC 6962 leaf of the empty string: SHA-256(0x00).
        assert_eq!(
            hex::encode(tree_of(&[Vec::new()]).root()),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn out_of_range_index_is_refused() {
        let tree = tree_of(&[b"a".to_vec()]);
        assert_eq!(tree.inclusion_proof(1), Err(MerkleError::IndexOutOfRange { index: 1, size: 1 }));
    }

    proptest! {
        #[test]
        fn root_matches_the_rfc_definition(leaves in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 0..70)) {
            prop_assert_eq!(tree_of(&leaves).root(), reference_root(&leaves));
        }

        #[test]
        fn every_proof_verifies_and_a_flipped_bit_fails(
            leaves in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..8), 1..70),
            pick in any::<prop::sample::Index>(),
            bit in 0usize..256,
        ) {
            // Distinct leaves, so that a proof for one position cannot honestly fit another.
            let leaves: Vec<Vec<u8>> = leaves.into_iter().enumerate().map(|(position, mut leaf)| {
                leaf.extend(position.to_le_bytes());
                leaf
            }).collect();
            let tree = tree_of(&leaves);
            let root = tree.root();
            let index = pick.index(leaves.len());
            let leaf = leaf_hash(&leaves[index]);
            let proof = tree.inclusion_proof(index as u64).unwrap();
            prop_assert_eq!(verify_inclusion(&leaf, &proof, &root), Ok(()));

            let mut flipped_leaf = leaf;
            flipped_leaf[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(verify_inclusion(&flipped_leaf, &proof, &root).is_err());
            if !proof.path.is_empty() {
                let mut tampered = proof.clone();
                let step = bit % tampered.path.len();
                tampered.path[step][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_inclusion(&leaf, &tampered, &root).is_err());
            }
            let mut shortened = proof.clone();
            shortened.path.pop();
            prop_assert!(proof.path.is_empty() || verify_inclusion(&leaf, &shortened, &root).is_err());
            if leaves.len() > 1 {
                let other = InclusionProof { index: ((index + 1) % leaves.len()) as u64, ..proof };
                prop_assert!(verify_inclusion(&leaf, &other, &root).is_err());
            }
        }
    }
}
