//! The two local secrets, each one keychain entry: the data key that seals files
//! (AES-256-GCM) and the audit key that chains the audit log (HMAC-SHA256). Both are
//! 256 random bits, created on first use.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, ErrorCode, Result};
use crate::sensitive::Sensitive;
use crate::vault::SecretStore;

pub const DATA_KEY_ACCOUNT: &str = "local-data-key";
pub const AUDIT_KEY_ACCOUNT: &str = "audit-log-key";
/// The audit log's latest sequence number and MAC, kept outside the log so truncating the
/// log (or rolling it back to an older copy) is detected.
pub const AUDIT_HEAD_ACCOUNT: &str = "audit-log-head";

pub const KEY_LEN: usize = 32;

/// Reads a 256-bit key from the store, creating it if there is none yet.
pub fn load_or_create(store: &dyn SecretStore, account: &str) -> Result<Sensitive<Vec<u8>>> {
    if let Some(encoded) = store.read(account)? {
        let bytes = STANDARD.decode(encoded.expose()).map_err(|_| corrupt())?;
        if bytes.len() != KEY_LEN {
            return Err(corrupt());
        }
        return Ok(Sensitive::new(bytes));
    }
    let mut bytes = vec![0u8; KEY_LEN];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::internal())?;
    let encoded = Sensitive::new(STANDARD.encode(&bytes));
    store.write(account, &encoded)?;
    tracing::info!(account, "created a local key");
    Ok(Sensitive::new(bytes))
}

fn corrupt() -> Error {
    Error::new(
        ErrorCode::KeychainFailure,
        "A key Serene keeps in your keychain is damaged. Use “Delete everything” in Privacy to start fresh.",
    )
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::internal())?;
    Ok(bytes)
}
