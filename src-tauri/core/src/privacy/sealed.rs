//! Files sealed with AES-256-GCM (`ring`) under the data key: a fresh random nonce per
//! write, the file's purpose as associated data (so one sealed file cannot be swapped in
//! for another), written atomically.
//!
//! Layout: `SERENE\x01\n` (8 bytes) | nonce (12) | ciphertext and tag.

use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::atomic_file;
use crate::error::{Error, ErrorCode, Result};
use crate::privacy::local_keys::random_bytes;
use crate::sensitive::Sensitive;

const MAGIC: &[u8; 8] = b"SERENE\x01\n";

/// Why a sealed file could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFailure {
    /// Not a sealed file, or cut short.
    Malformed,
    /// The tag did not verify: the file was changed, or the data key is not the one
    /// that sealed it.
    Tampered,
}

pub struct Sealer {
    key: LessSafeKey,
}

impl Sealer {
    pub fn new(key: &Sensitive<Vec<u8>>) -> Result<Self> {
        let unbound = UnboundKey::new(&AES_256_GCM, key.expose()).map_err(|_| Error::internal())?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(purpose.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| Error::internal())?;
        let mut out = Vec::with_capacity(MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenFailure> {
        let body = sealed.strip_prefix(MAGIC).ok_or(OpenFailure::Malformed)?;
        if body.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(OpenFailure::Malformed);
        }
        let (nonce, ciphertext) = body.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenFailure::Malformed)?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buffer)
            .map_err(|_| OpenFailure::Tampered)?;
        Ok(plain.to_vec())
    }

    /// Seals `value` as JSON and writes it atomically (0600).
    pub fn write_json<T: Serialize>(&self, path: &Path, purpose: &str, value: &T) -> Result<()> {
        let json = serde_json::to_vec(value).map_err(|_| Error::internal())?;
        let sealed = self.seal(purpose, &json)?;
        atomic_file::write_private(path, &sealed).map_err(|error| {
            tracing::warn!(%error, purpose, "could not write a sealed file");
            Error::new(
                ErrorCode::SystemUnavailable,
                "Serene couldn't save to disk. Check that your disk has space, then try again.",
            )
        })
    }

    /// Reads a sealed JSON file: `Ok(None)` if there is none.
    pub fn read_json<T: DeserializeOwned>(
        &self,
        path: &Path,
        purpose: &str,
    ) -> Result<Option<T>, OpenFailure> {
        let sealed = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(_) => return Err(OpenFailure::Malformed),
        };
        let plain = self.open(purpose, &sealed)?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| OpenFailure::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&Sensitive::new(vec![byte; 32])).unwrap()
    }

    #[test]
    fn round_trips_and_hides_the_plaintext() {
        let s = sealer(1);
        let sealed = s.seal("settings", b"my replica is r1").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"replica"));
        assert_eq!(s.open("settings", &sealed).unwrap(), b"my replica is r1");
    }

    #[test]
    fn every_write_uses_a_fresh_nonce() {
        let s = sealer(1);
        let a = s.seal("settings", b"same").unwrap();
        let b = s.seal("settings", b"same").unwrap();
        assert_ne!(a[8..20], b[8..20]);
        assert_ne!(a, b);
    }

    #[test]
    fn any_changed_byte_is_refused() {
        let s = sealer(1);
        let sealed = s.seal("settings", b"content").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(s.open("settings", &bad).is_err(), "byte {i}");
        }
    }

    #[test]
    fn wrong_key_purpose_or_length_is_refused() {
        let sealed = sealer(1).seal("settings", b"content").unwrap();
        assert_eq!(
            sealer(2).open("settings", &sealed),
            Err(OpenFailure::Tampered)
        );
        assert_eq!(
            sealer(1).open("consent", &sealed),
            Err(OpenFailure::Tampered)
        );
        assert_eq!(
            sealer(1).open("settings", &sealed[..20]),
            Err(OpenFailure::Malformed)
        );
        assert_eq!(
            sealer(1).open("settings", b"{\"plain\": 1}"),
            Err(OpenFailure::Malformed)
        );
    }

    #[test]
    fn json_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sealed");
        let s = sealer(3);
        assert_eq!(s.read_json::<Vec<u32>>(&path, "x"), Ok(None));
        s.write_json(&path, "x", &vec![1u32, 2, 3]).unwrap();
        assert_eq!(s.read_json::<Vec<u32>>(&path, "x"), Ok(Some(vec![1, 2, 3])));
    }
}
