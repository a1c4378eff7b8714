//! Keys of the keyed operators (pseudonyms, format-preserving encryption, date shifts).
//!
//! A key never lives in a policy: the policy names an environment variable or a file, and the key
//! is read from there at run time. Keys are hex text; shorter than 128 bits is refused, because a
//! short key lets anyone holding the release recompute the pseudonyms of guessed identifiers.

use std::path::{Path, PathBuf};

use crate::policy::KeySource;

/// The shortest key accepted, in bytes (128 bits).
pub const MIN_KEY_BYTES: usize = 16;
/// The length of keys `pubdata key new` writes, in bytes (256 bits).
pub const NEW_KEY_BYTES: usize = 32;

/// Errors loading or making a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The environment variable the policy names is not set.
    #[error("environment variable {0} (the policy's key_env) is not set")]
    EnvMissing(String),
    /// The key file cannot be read.
    #[error("{}: cannot read key file: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The key is not hex text.
    #[error("key from {0} is not hex text (pubdata key new writes one)")]
    NotHex(String),
    /// The key is hex digits, but an odd number of them: a digit is missing or extra.
    #[error(
        "key from {from} has an odd number of hex digits ({digits}); each byte is two digits (pubdata key new writes one)"
    )]
    OddLength { from: String, digits: usize },
    /// The key is too short.
    #[error("key from {from} has {bits} bits; at least {} are required", MIN_KEY_BYTES * 8)]
    TooShort { from: String, bits: usize },
    /// The system's random source failed.
    #[error("cannot draw random bytes for a key: {0}")]
    Random(String),
}

/// A secret key. Its Debug output never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({} bits)", self.0.len() * 8)
    }
}

impl Key {
    /// A fresh random key of [`NEW_KEY_BYTES`] from the operating system's random source.
    pub fn generate() -> Result<Key, KeyError> {
        let mut bytes = vec![0u8; NEW_KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Key(bytes))
    }

    /// Parses hex key text (surrounding white space ignored); `from` names the source in errors.
    pub fn from_hex(text: &str, from: &str) -> Result<Key, KeyError> {
        let text = text.trim();
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(text.as_bytes())
            .map_err(|_| {
                if text.len() % 2 == 1 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    KeyError::OddLength {
                        from: from.to_string(),
                        digits: text.len(),
                    }
                } else {
                    KeyError::NotHex(from.to_string())
                }
            })?;
        if bytes.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort {
                from: from.to_string(),
                bits: bytes.len() * 8,
            });
        }
        Ok(Key(bytes))
    }

    /// Loads the key a policy names; a relative key file is read relative to `base` (the policy's folder).
    pub fn load(source: &KeySource, base: &Path) -> Result<Key, KeyError> {
        match source {
            KeySource::Env(var) => {
                let text = std::env::var(var).map_err(|_| KeyError::EnvMissing(var.clone()))?;
                Key::from_hex(&text, &format!("${var}"))
            }
            KeySource::File(file) => {
                let path = base.join(file);
                let text = std::fs::read_to_string(&path).map_err(|source| KeyError::File {
                    path: path.clone(),
                    source,
                })?;
                Key::from_hex(&text, &path.display().to_string())
            }
        }
    }

    /// The key as hex text, for writing a key file.
    pub fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// A 256-bit subkey for one purpose: HMAC-SHA-256(key, purpose). Each keyed operator uses its
    /// own, so one policy key never serves two algorithms.
    pub fn derive(&self, purpose: &str) -> Key {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(purpose.as_bytes());
        Key(mac.finalize().into_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_shorter_than_128_bits_are_refused() {
        let err = Key::from_hex(&"ab".repeat(15), "k.key").expect_err("120 bits");
        assert!(err.to_string().contains("120 bits"), "{err}");
        assert!(Key::from_hex(&"ab".repeat(16), "k.key").is_ok());
        assert!(matches!(
            Key::from_hex("not hex at all!", "k.key"),
            Err(KeyError::NotHex(_))
        ));
        // A digit short is said as such, not as "not hex".
        let err = Key::from_hex(&"ab".repeat(16)[1..], "$PUBDATA_KEY").expect_err("odd");
        assert!(
            err.to_string().contains("odd number of hex digits (31)"),
            "{err}"
        );
    }

    #[test]
    fn generated_keys_are_256_bits_and_differ() {
        let (a, b) = (
            Key::generate().expect("random"),
            Key::generate().expect("random"),
        );
        assert_eq!(a.bytes().len(), 32);
        assert_ne!(a, b);
        assert_eq!(Key::from_hex(&a.to_hex(), "round trip").expect("hex"), a);
        assert!(
            !format!("{a:?}").contains(&a.to_hex()[..8]),
            "Debug must not print the key"
        );
    }

    #[test]
    fn a_missing_variable_or_file_is_named() {
        let err = Key::load(
            &KeySource::Env("PUBDATA_TEST_NO_SUCH_VAR".into()),
            Path::new("."),
        )
        .expect_err("unset");
        assert!(err.to_string().contains("PUBDATA_TEST_NO_SUCH_VAR"));
        let err = Key::load(
            &KeySource::File("no-such.key".into()),
            Path::new("/nonexistent"),
        )
        .expect_err("missing");
        assert!(err.to_string().contains("no-such.key"), "{err}");
    }
}
