//! A 128-bit key for a sequence of strings: the first 16 bytes of SHA-256 over each string,
//! length-prefixed (so `["ab", "c"]` and `["a", "bc"]` differ). Duplicate-row keys, sign-in
//! throttle keys and refusal windows use it so that memory per key is fixed, however long the
//! strings anyone sends.

use sha2::{Digest, Sha256};

/// The key of `parts`.
pub(crate) fn key128<'a>(parts: impl IntoIterator<Item = &'a str>) -> [u8; 16] {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    let mut key = [0u8; 16];
    key.copy_from_slice(&h.finalize()[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_between_parts_count() {
        assert_ne!(key128(["ab", "c"]), key128(["a", "bc"]));
        assert_eq!(key128(["ab", "c"]), key128(["ab", "c"]));
    }
}
