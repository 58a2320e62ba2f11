//! Files sealed with AES-256-GCM (`ring`) under the data key: a fresh random nonce per
//! write, the file's purpose as associated data (so one sealed file cannot be swapped in
//! for another), written atomically.
//!
//! Records (audit lines): `SERENE\x01\n` (8 bytes) | nonce (12) | ciphertext and tag.
//!
//! Files (`write_json`): `SERENE\x02\n` | version (8, big-endian) | nonce | ciphertext and
//! tag, with the purpose and the version as associated data. Each write takes the next
//! version, and a [`VersionBook`] outside the files (the keychain) remembers the latest,
//! so an older sealed copy put back in place is recognised and not used.

use std::path::Path;
use std::sync::Arc;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::atomic_file;
use crate::error::{Error, ErrorCode, Result};
use crate::privacy::local_keys::random_bytes;
use crate::sensitive::Sensitive;

const MAGIC: &[u8; 8] = b"SERENE\x01\n";
const MAGIC_VERSIONED: &[u8; 8] = b"SERENE\x02\n";

/// Where the latest version of each sealed file is remembered, out of reach of whoever
/// can replace the files.
pub trait VersionBook: Send + Sync {
    /// The latest version written for `purpose` (0: never written under versioning).
    fn latest(&self, purpose: &str) -> u64;
    fn record(&self, purpose: &str, version: u64) -> Result<()>;
}

/// Why a sealed file could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFailure {
    /// Not a sealed file, or cut short.
    Malformed,
    /// The tag did not verify: the file was changed, or the data key is not the one
    /// that sealed it.
    Tampered,
    /// A genuine but older copy: a newer one was written since.
    RolledBack,
}

pub struct Sealer {
    key: LessSafeKey,
    versions: Option<Arc<dyn VersionBook>>,
}

impl Sealer {
    pub fn new(key: &Sensitive<Vec<u8>>) -> Result<Self> {
        let unbound = UnboundKey::new(&AES_256_GCM, key.expose()).map_err(|_| Error::internal())?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            versions: None,
        })
    }

    /// Checks and advances file versions in `book`.
    pub fn with_versions(mut self, book: Arc<dyn VersionBook>) -> Self {
        self.versions = Some(book);
        self
    }

    /// Whether a file for `purpose` has been written before (so its absence means it was
    /// removed, not that it never existed).
    pub fn was_written(&self, purpose: &str) -> bool {
        self.versions
            .as_ref()
            .is_some_and(|book| book.latest(purpose) > 0)
    }

    fn seal_versioned(&self, purpose: &str, version: u64, plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(versioned_aad(purpose, version)),
                &mut sealed,
            )
            .map_err(|_| Error::internal())?;
        let mut out = Vec::with_capacity(16 + NONCE_LEN + sealed.len());
        out.extend_from_slice(MAGIC_VERSIONED);
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a file of either layout: `(version, plaintext)`; the unversioned layout
    /// (files from before versioning) is version 0.
    fn open_file(&self, purpose: &str, sealed: &[u8]) -> Result<(u64, Vec<u8>), OpenFailure> {
        let Some(body) = sealed.strip_prefix(MAGIC_VERSIONED) else {
            return self.open(purpose, sealed).map(|plain| (0, plain));
        };
        if body.len() < 8 + NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(OpenFailure::Malformed);
        }
        let (version, rest) = body.split_at(8);
        let version = u64::from_be_bytes(version.try_into().map_err(|_| OpenFailure::Malformed)?);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| OpenFailure::Malformed)?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(
                nonce,
                Aad::from(versioned_aad(purpose, version)),
                &mut buffer,
            )
            .map_err(|_| OpenFailure::Tampered)?;
        Ok((version, plain.to_vec()))
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

    /// Seals `value` as JSON under the next version and writes it atomically (0600).
    pub fn write_json<T: Serialize>(&self, path: &Path, purpose: &str, value: &T) -> Result<()> {
        let json = serde_json::to_vec(value).map_err(|_| Error::internal())?;
        let version = self
            .versions
            .as_ref()
            .map_or(0, |book| book.latest(purpose).saturating_add(1));
        let sealed = self.seal_versioned(purpose, version, &json)?;
        atomic_file::write_private(path, &sealed).map_err(|error| {
            tracing::warn!(%error, purpose, "could not write a sealed file");
            Error::new(
                ErrorCode::SystemUnavailable,
                "Serene couldn't save to disk. Check that your disk has space, then try again.",
            )
        })?;
        // After the file: a crash in between leaves a file one ahead of the book, which
        // reads as current (and catches the book up), never as rolled back.
        match &self.versions {
            Some(book) => book.record(purpose, version),
            None => Ok(()),
        }
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
        let (version, plain) = self.open_file(purpose, &sealed)?;
        if let Some(book) = &self.versions {
            let latest = book.latest(purpose);
            if version < latest {
                tracing::warn!(purpose, version, latest, "an older sealed copy was refused");
                return Err(OpenFailure::RolledBack);
            }
            if version > latest {
                let _ = book.record(purpose, version);
            }
        }
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| OpenFailure::Malformed)
    }
}

fn versioned_aad(purpose: &str, version: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(purpose.len() + 9);
    aad.extend_from_slice(purpose.as_bytes());
    aad.push(0);
    aad.extend_from_slice(&version.to_be_bytes());
    aad
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

    #[derive(Default)]
    struct Book(std::sync::Mutex<std::collections::HashMap<String, u64>>);

    impl VersionBook for Book {
        fn latest(&self, purpose: &str) -> u64 {
            self.0.lock().unwrap().get(purpose).copied().unwrap_or(0)
        }
        fn record(&self, purpose: &str, version: u64) -> Result<()> {
            self.0.lock().unwrap().insert(purpose.into(), version);
            Ok(())
        }
    }

    #[test]
    fn an_older_copy_put_back_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.sealed");
        let book = Arc::new(Book::default());
        let s = sealer(4).with_versions(book.clone());
        assert!(!s.was_written("settings"));
        s.write_json(&path, "settings", &"old").unwrap();
        let old = std::fs::read(&path).unwrap();
        s.write_json(&path, "settings", &"new").unwrap();
        assert!(s.was_written("settings"));
        assert_eq!(
            s.read_json::<String>(&path, "settings"),
            Ok(Some("new".into()))
        );
        std::fs::write(&path, &old).unwrap();
        assert_eq!(
            s.read_json::<String>(&path, "settings"),
            Err(OpenFailure::RolledBack)
        );
    }

    #[test]
    fn the_version_is_bound_to_the_content() {
        let s = sealer(5);
        let mut sealed = s.seal_versioned("settings", 7, b"x").unwrap();
        sealed[15] = 9;
        assert_eq!(s.open_file("settings", &sealed), Err(OpenFailure::Tampered));
    }

    #[test]
    fn a_file_ahead_of_the_book_is_current_and_catches_it_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sealed");
        let book = Arc::new(Book::default());
        let s = sealer(6).with_versions(book.clone());
        s.write_json(&path, "journal", &1).unwrap();
        s.write_json(&path, "journal", &2).unwrap();
        // As if the process died between writing the file and recording its version.
        book.record("journal", 1).unwrap();
        assert_eq!(s.read_json::<u32>(&path, "journal"), Ok(Some(2)));
        assert_eq!(book.latest("journal"), 2);
    }

    #[test]
    fn files_from_before_versioning_still_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("consent.sealed");
        let s = sealer(7);
        std::fs::write(&path, s.seal("consent", b"[1]").unwrap()).unwrap();
        let versioned = sealer(7).with_versions(Arc::new(Book::default()));
        assert_eq!(
            versioned.read_json::<Vec<u32>>(&path, "consent"),
            Ok(Some(vec![1]))
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
