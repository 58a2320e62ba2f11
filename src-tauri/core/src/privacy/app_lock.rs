//! The app lock's key handling and guess counting, without I/O: a passphrase stretched
//! with Argon2id wraps the data key (AES-256-GCM), and wrong guesses earn growing delays.
//!
//! With the lock on, the keychain holds only [`WrappedKey`]: the sealed files cannot be
//! opened with the keychain's items alone.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use serde::{Deserialize, Serialize};

use super::local_keys::{random_bytes, KEY_LEN};
use crate::error::{Error, ErrorCode, Result};
use crate::sensitive::Sensitive;

/// The wrapped data key, replacing the plain one while the lock is on.
pub const WRAPPED_KEY_ACCOUNT: &str = "local-data-key-wrapped";
/// Wrong guesses so far and when the last one was made (see [`Attempts`]).
pub const ATTEMPTS_ACCOUNT: &str = "app-lock-attempts";

/// Argon2id cost: 64 MiB, 3 passes, 1 lane (OWASP's first recommended setting is 19 MiB,
/// t=2; RFC 9106's second recommendation is 64 MiB, t=3, p=4). One lane because the
/// unlock runs on a person's laptop, often on battery; ARCHITECTURE.md has the timing.
pub const KDF_MEMORY_KIB: u32 = 64 * 1024;
pub const KDF_PASSES: u32 = 3;
pub const KDF_LANES: u32 = 1;

pub const MIN_PASSPHRASE_CHARS: usize = 8;
pub const MAX_PASSPHRASE_BYTES: usize = 1024;

const SALT_LEN: usize = 16;
const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedKey {
    pub format: u32,
    pub memory_kib: u32,
    pub passes: u32,
    pub lanes: u32,
    pub salt: String,
    pub nonce: String,
    pub sealed: String,
}

/// The passphrase did not open the wrapped key.
#[derive(Debug, PartialEq, Eq)]
pub struct WrongPassphrase;

/// Checks a new passphrase's length.
pub fn check_new_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::invalid_input(format!(
            "Please use at least {MIN_PASSPHRASE_CHARS} characters for your passphrase."
        )));
    }
    check_length(passphrase)
}

/// Checks a passphrase's length before anything else looks at it (unlocking included).
pub fn check_length(passphrase: &str) -> Result<()> {
    if passphrase.len() > MAX_PASSPHRASE_BYTES {
        return Err(Error::invalid_input("That passphrase is too long."));
    }
    Ok(())
}

fn stretch(passphrase: &str, salt: &[u8], m: u32, t: u32, p: u32) -> Result<Sensitive<Vec<u8>>> {
    // Parameters come from the keychain; bounds keep a damaged entry from asking for
    // gigabytes (and a tampered one gains nothing below our own cost: we never re-save it).
    if !(8 * 1024..=1024 * 1024).contains(&m) || !(1..=10).contains(&t) || !(1..=4).contains(&p) {
        return Err(damaged());
    }
    let params = Params::new(m, t, p, Some(KEY_LEN)).map_err(|_| damaged())?;
    let mut out = Sensitive::new(vec![0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.expose_mut())
        .map_err(|_| Error::internal())?;
    Ok(out)
}

/// The associated data binds the cost parameters to the wrapped key.
fn aad(m: u32, t: u32, p: u32) -> Vec<u8> {
    format!("serene-data-key/v{FORMAT}/argon2id/m={m}/t={t}/p={p}").into_bytes()
}

fn cipher(key: &Sensitive<Vec<u8>>) -> Result<LessSafeKey> {
    let unbound = UnboundKey::new(&AES_256_GCM, key.expose()).map_err(|_| Error::internal())?;
    Ok(LessSafeKey::new(unbound))
}

/// Wraps `data_key` under `passphrase` with a fresh salt and nonce.
pub fn wrap(data_key: &Sensitive<Vec<u8>>, passphrase: &str) -> Result<WrappedKey> {
    check_length(passphrase)?;
    let (m, t, p) = (KDF_MEMORY_KIB, KDF_PASSES, KDF_LANES);
    let salt: [u8; SALT_LEN] = random_bytes()?;
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let kek = stretch(passphrase, &salt, m, t, p)?;
    let mut sealed = data_key.expose().clone();
    cipher(&kek)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(m, t, p)),
            &mut sealed,
        )
        .map_err(|_| Error::internal())?;
    Ok(WrappedKey {
        format: FORMAT,
        memory_kib: m,
        passes: t,
        lanes: p,
        salt: STANDARD.encode(salt),
        nonce: STANDARD.encode(nonce),
        sealed: STANDARD.encode(sealed),
    })
}

/// Opens the wrapped key. `Err(Ok(WrongPassphrase))` is a wrong guess; `Err(Err(_))` a
/// damaged entry or an internal fault, which must not count as a guess.
pub fn unwrap(
    wrapped: &WrappedKey,
    passphrase: &str,
) -> std::result::Result<Sensitive<Vec<u8>>, std::result::Result<WrongPassphrase, Error>> {
    check_length(passphrase).map_err(|_| Ok(WrongPassphrase))?;
    if wrapped.format != FORMAT {
        return Err(Err(damaged()));
    }
    let decode = |s: &str| STANDARD.decode(s).map_err(|_| Err(damaged()));
    let salt = decode(&wrapped.salt)?;
    let nonce: [u8; NONCE_LEN] = decode(&wrapped.nonce)?
        .try_into()
        .map_err(|_| Err(damaged()))?;
    let mut sealed = Sensitive::new(decode(&wrapped.sealed)?);
    let (m, t, p) = (wrapped.memory_kib, wrapped.passes, wrapped.lanes);
    let kek = stretch(passphrase, &salt, m, t, p).map_err(Err)?;
    let key = cipher(&kek)
        .map_err(Err)?
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(m, t, p)),
            sealed.expose_mut(),
        )
        .map_err(|_| Ok(WrongPassphrase))?
        .to_vec();
    if key.len() != KEY_LEN {
        return Err(Err(damaged()));
    }
    Ok(Sensitive::new(key))
}

impl WrappedKey {
    pub fn encode(&self) -> Sensitive<String> {
        Sensitive::new(serde_json::to_string(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> Result<Self> {
        serde_json::from_str(raw).map_err(|_| damaged())
    }
}

fn damaged() -> Error {
    Error::new(
        ErrorCode::KeychainFailure,
        "Serene's lock entry in your keychain is damaged. Only “Delete everything” can start fresh.",
    )
}

/// Wrong guesses, kept in the keychain beside the wrapped key so they survive a restart.
///
/// It is not sealed or MACed: the data key is not available while locked, and any key we
/// could use then sits in the same keychain. Whoever can reset this entry can also copy
/// the wrapped key and guess offline, where only Argon2's cost slows them; the counter
/// slows guessing through Serene itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempts {
    pub failures: u32,
    pub last_failure_at: u64,
    /// Times of failures not yet in the audit log (which needs the data key), oldest first.
    #[serde(default)]
    pub unaudited: Vec<u64>,
}

/// At most this many failure times wait for the audit log; older ones are summarised by
/// the count.
pub const MAX_UNAUDITED: usize = 100;

/// Seconds to wait after `failures` wrong guesses: three free tries (typos), then 5 s,
/// 30 s, 2 min, 5 min, and 15 min from the eighth on.
pub fn delay_after(failures: u32) -> u64 {
    match failures {
        0..=2 => 0,
        3 => 5,
        4 => 30,
        5 => 120,
        6 => 300,
        _ => 900,
    }
}

impl Attempts {
    /// Seconds until the next guess is allowed, if it must wait.
    pub fn wait(&self, now: u64) -> Option<u64> {
        let until = self
            .last_failure_at
            .saturating_add(delay_after(self.failures));
        // A clock set back far (or a tampered entry) must not mean a wait of years.
        let until = until.min(now.saturating_add(delay_after(u32::MAX)));
        (until > now).then(|| until - now)
    }

    pub fn failed(&mut self, now: u64) {
        self.failures = self.failures.saturating_add(1);
        self.last_failure_at = now;
        self.unaudited.push(now);
        if self.unaudited.len() > MAX_UNAUDITED {
            self.unaudited.remove(0);
        }
    }

    pub fn encode(&self) -> Sensitive<String> {
        Sensitive::new(serde_json::to_string(self).unwrap_or_default())
    }

    /// A damaged entry counts as many failures, never as none.
    pub fn decode(raw: &str, now: u64) -> Self {
        serde_json::from_str(raw).unwrap_or(Self {
            failures: 7,
            last_failure_at: now,
            unaudited: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_passphrase_opens_and_a_wrong_one_does_not() {
        let key = Sensitive::new(vec![7u8; KEY_LEN]);
        let wrapped = wrap(&key, "correct horse battery").unwrap();
        assert!(!wrapped.sealed.contains(&STANDARD.encode(key.expose())));
        let opened = unwrap(&wrapped, "correct horse battery").unwrap();
        assert_eq!(opened.expose(), key.expose());
        assert!(matches!(
            unwrap(&wrapped, "correct horse batterz"),
            Err(Ok(WrongPassphrase))
        ));
    }

    #[test]
    fn lowered_cost_parameters_do_not_open_the_key() {
        let key = Sensitive::new(vec![1u8; KEY_LEN]);
        let mut wrapped = wrap(&key, "a long passphrase").unwrap();
        wrapped.passes = 1;
        assert!(matches!(
            unwrap(&wrapped, "a long passphrase"),
            Err(Ok(WrongPassphrase))
        ));
        wrapped.memory_kib = 4 * 1024 * 1024;
        assert!(matches!(unwrap(&wrapped, "a long passphrase"), Err(Err(_))));
    }

    #[test]
    fn delays_grow_and_never_shrink() {
        let mut previous = 0;
        for failures in 0..20 {
            let delay = delay_after(failures);
            assert!(delay >= previous);
            previous = delay;
        }
        assert_eq!(delay_after(2), 0);
        assert!(delay_after(3) > 0);
        let mut attempts = Attempts::default();
        for _ in 0..4 {
            attempts.failed(1000);
        }
        assert_eq!(attempts.wait(1000), Some(30));
        assert_eq!(attempts.wait(1029), Some(1));
        assert_eq!(attempts.wait(1030), None);
    }

    #[test]
    fn a_damaged_counter_is_not_a_fresh_start() {
        let attempts = Attempts::decode("{not json", 50);
        assert!(attempts.wait(50).is_some());
    }

    #[test]
    fn short_passphrases_are_refused() {
        assert!(check_new_passphrase("short").is_err());
        assert!(check_new_passphrase("long enough").is_ok());
    }
}
