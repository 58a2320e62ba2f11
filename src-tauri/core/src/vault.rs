//! API keys in the OS keychain: one entry per provider under the app identifier.
//!
//! There is no fallback: if the keychain fails, the person gets an error that says what to
//! do, never a plaintext file. Keys enter as [`Sensitive`] and leave only as `Sensitive`,
//! toward the request signer; nothing here returns or logs one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::api_key;
use crate::error::{Error, ErrorCode, Result};
use crate::provider::Provider;
use crate::sensitive::Sensitive;

/// The keychain service name: the app identifier from `tauri.conf.json`.
pub const SERVICE: &str = "app.serene.desktop";

/// Where secrets live. The real one is [`Keychain`]; tests may inject faults.
pub trait SecretStore: Send + Sync + 'static {
    fn read(&self, account: &str) -> Result<Option<Sensitive<String>>, StoreFault>;
    fn write(&self, account: &str, secret: &Sensitive<String>) -> Result<(), StoreFault>;
    fn delete(&self, account: &str) -> Result<(), StoreFault>;
}

impl<S: SecretStore + ?Sized> SecretStore for std::sync::Arc<S> {
    fn read(&self, account: &str) -> Result<Option<Sensitive<String>>, StoreFault> {
        (**self).read(account)
    }
    fn write(&self, account: &str, secret: &Sensitive<String>) -> Result<(), StoreFault> {
        (**self).write(account, secret)
    }
    fn delete(&self, account: &str) -> Result<(), StoreFault> {
        (**self).delete(account)
    }
}

/// What went wrong in the keychain, classified for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreFault {
    /// No keychain service is running (on Linux: no Secret Service on the session bus).
    Unavailable,
    /// The keychain is locked, or the person dismissed its unlock prompt.
    Locked,
    /// The keychain refused this app access.
    AccessDenied,
    /// The secret is larger than the keychain accepts.
    TooLarge,
    /// The stored value is not text (someone else wrote it).
    Corrupt,
    /// Anything else the platform reported.
    Other,
}

impl From<StoreFault> for Error {
    fn from(fault: StoreFault) -> Self {
        let (code, message) = match fault {
            StoreFault::Unavailable => (
                ErrorCode::KeychainUnavailable,
                "Serene can't reach your system keychain. On Linux, make sure a keyring service \
                 such as GNOME Keyring or KWallet is running, then try again.",
            ),
            StoreFault::Locked => (
                ErrorCode::KeychainLocked,
                "Your system keychain is locked, or its unlock prompt was closed. Unlock it and \
                 try again.",
            ),
            StoreFault::AccessDenied => (
                ErrorCode::KeychainAccessDenied,
                "Your system keychain refused Serene access. Allow Serene in your keychain \
                 settings and try again.",
            ),
            StoreFault::TooLarge => (
                ErrorCode::KeychainItemTooLarge,
                "Your keychain can't store a value this large. Check that you pasted only the key.",
            ),
            StoreFault::Corrupt => (
                ErrorCode::KeychainFailure,
                "The saved key could not be read. Remove it and add it again.",
            ),
            StoreFault::Other => (
                ErrorCode::KeychainFailure,
                "Your system keychain reported a problem. Please try again.",
            ),
        };
        Error::new(code, message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    pub provider: Provider,
    pub configured: bool,
    /// The last four characters, so a person can tell which key is saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_four: Option<String>,
}

/// How long a key read from the keychain is reused for requests. One read is a round trip
/// to the keychain service (about 12 ms over D-Bus on Linux, see BENCHMARKS.md), which
/// every request paid; a minute spans a session's burst of calls and its status polls,
/// while a key removed from the keychain by another program stops being used soon after.
pub const KEY_REUSE: Duration = Duration::from_secs(60);

struct Remembered {
    key: Sensitive<String>,
    read_at: Instant,
}

pub struct Vault<S: SecretStore> {
    store: S,
    /// Keys lately read, zeroised when replaced, expired, removed or forgotten. Shared with
    /// the timer that drops each one when its reuse period ends, used or not.
    remembered: Arc<Mutex<HashMap<Provider, Remembered>>>,
    reuse: Duration,
}

impl<S: SecretStore> Vault<S> {
    pub fn new(store: S) -> Self {
        Self::with_reuse(store, KEY_REUSE)
    }

    /// A vault that reuses a key read for `reuse` (zero: never; every use reads the keychain).
    pub fn with_reuse(store: S, reuse: Duration) -> Self {
        Self {
            store,
            remembered: Arc::new(Mutex::new(HashMap::new())),
            reuse,
        }
    }

    /// Saves (or replaces) a key after checking its shape. If the write fails, whatever was
    /// saved before is still there: the keychain replaces an item in one step.
    pub fn set(&self, provider: Provider, key: &Sensitive<String>) -> Result<KeyStatus> {
        api_key::check_format(provider, key.expose())?;
        // A failed write leaves the old key in the keychain, and in memory; the status read
        // after a write that worked remembers the new one.
        self.store.write(provider.key_account(), key)?;
        tracing::info!(provider = provider.display_name(), "API key saved");
        self.status(provider)
    }

    /// Always asks the keychain, so what Settings shows is what the keychain holds.
    pub fn status(&self, provider: Provider) -> Result<KeyStatus> {
        let key = self.read_through(provider)?;
        Ok(KeyStatus {
            provider,
            configured: key.is_some(),
            last_four: key.map(|key| last_four(key.expose())),
        })
    }

    /// The key, for the request signer only: from memory if read within [`KEY_REUSE`],
    /// else from the keychain. `KeyMissing` when none is saved.
    pub fn key(&self, provider: Provider) -> Result<Sensitive<String>> {
        if let Some(key) = self.recall(provider) {
            return Ok(key);
        }
        self.read_through(provider)?.ok_or_else(|| {
            Error::new(
                ErrorCode::KeyMissing,
                format!(
                    "Add your {} API key in Settings first.",
                    provider.display_name()
                ),
            )
        })
    }

    /// Drops every key held in memory (zeroising it); the next use reads the keychain.
    /// For whoever changes the keychain behind the vault's back (deleting everything).
    pub fn forget_all(&self) {
        self.remembered().clear();
    }

    fn forget(&self, provider: Provider) {
        self.remembered().remove(&provider);
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<Provider, Remembered>> {
        // A panic while holding this lock leaves nothing half-written: a map of keys.
        let mut remembered = self.remembered.lock().unwrap_or_else(|e| e.into_inner());
        remembered.retain(|_, entry| entry.read_at.elapsed() < self.reuse);
        remembered
    }

    fn recall(&self, provider: Provider) -> Option<Sensitive<String>> {
        let remembered = self.remembered();
        let entry = remembered.get(&provider)?;
        Some(Sensitive::new(entry.key.expose().clone()))
    }

    /// Reads the keychain and remembers what it said: a key, or (on none or a fault) nothing.
    fn read_through(&self, provider: Provider) -> Result<Option<Sensitive<String>>> {
        let read = self.store.read(provider.key_account());
        let mut remembered = self.remembered();
        match &read {
            Ok(Some(key)) if !self.reuse.is_zero() => {
                remembered.insert(
                    provider,
                    Remembered {
                        key: Sensitive::new(key.expose().clone()),
                        read_at: Instant::now(),
                    },
                );
                expire_later(Arc::downgrade(&self.remembered), self.reuse);
            }
            Ok(_) | Err(_) => {
                remembered.remove(&provider);
            }
        }
        Ok(read?)
    }

    /// Removes the key; removing a key that is not there is not an error.
    pub fn remove(&self, provider: Provider) -> Result<KeyStatus> {
        self.forget(provider);
        self.store.delete(provider.key_account())?;
        tracing::info!(provider = provider.display_name(), "API key removed");
        Ok(KeyStatus {
            provider,
            configured: false,
            last_four: None,
        })
    }
}

/// Drops (and so zeroises) the keys whose reuse period has ended, once it has, even if
/// Serene sits idle and never asks for a key again. The thread holds no key and ends with
/// the vault.
fn expire_later(remembered: Weak<Mutex<HashMap<Provider, Remembered>>>, reuse: Duration) {
    let spawned = std::thread::Builder::new()
        .name("serene-key-expiry".into())
        .spawn(move || {
            std::thread::sleep(reuse);
            if let Some(remembered) = remembered.upgrade() {
                remembered
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .retain(|_, entry| entry.read_at.elapsed() < reuse);
            }
        });
    if spawned.is_err() {
        tracing::warn!("could not start the key expiry timer");
    }
}

/// The last four characters of a key: all a person (or a dialog) is ever shown of it.
pub fn last_four(key: &str) -> String {
    let start = key.len().saturating_sub(4);
    key.get(start..).unwrap_or_default().to_string()
}

/// The OS keychain through `keyring`: Secret Service on Linux, Keychain on macOS,
/// Credential Manager on Windows.
pub struct Keychain {
    service: String,
}

impl Keychain {
    pub fn new() -> Self {
        Self::with_service(SERVICE)
    }

    /// A separate service name, so tests never touch a real install's keys.
    pub fn with_service(service: &str) -> Self {
        Self {
            service: service.to_string(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, StoreFault> {
        keyring::Entry::new(&self.service, account).map_err(classify)
    }
}

impl Default for Keychain {
    fn default() -> Self {
        Self::new()
    }
}

impl SecretStore for Keychain {
    fn read(&self, account: &str) -> Result<Option<Sensitive<String>>, StoreFault> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(Some(Sensitive::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    fn write(&self, account: &str, secret: &Sensitive<String>) -> Result<(), StoreFault> {
        #[cfg(windows)]
        return crate::vault_windows::write_local_machine(&self.service, account, secret.expose());
        #[cfg(not(windows))]
        self.entry(account)?
            .set_password(secret.expose())
            .map_err(classify)
    }

    fn delete(&self, account: &str) -> Result<(), StoreFault> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }
}

/// Maps a `keyring` error to a fault. Logs the platform's description, which names the
/// failing service but never a secret (`BadEncoding`'s bytes are deliberately not logged).
fn classify(error: keyring::Error) -> StoreFault {
    let fault = match &error {
        keyring::Error::NoStorageAccess(_) => StoreFault::Locked,
        keyring::Error::TooLong(..) => StoreFault::TooLarge,
        keyring::Error::BadEncoding(_) => StoreFault::Corrupt,
        keyring::Error::PlatformFailure(inner) => classify_platform(&inner.to_string()),
        _ => StoreFault::Other,
    };
    if !matches!(error, keyring::Error::BadEncoding(_)) {
        tracing::warn!(?fault, detail = %error, "keychain operation failed");
    } else {
        tracing::warn!(?fault, "keychain holds a value that is not text");
    }
    fault
}

fn classify_platform(detail: &str) -> StoreFault {
    let detail = detail.to_ascii_lowercase();
    let unavailable = [
        "org.freedesktop.secrets",
        "serviceunknown",
        "noreply",
        "no reply",
        "failed to connect",
        "no such file",
        "connection refused",
        "unable to autolaunch",
        "dbus_session_bus_address",
    ];
    if unavailable.iter().any(|needle| detail.contains(needle)) {
        StoreFault::Unavailable
    } else if detail.contains("islocked") || detail.contains("is locked") {
        StoreFault::Locked
    } else if detail.contains("denied") || detail.contains("not permitted") {
        StoreFault::AccessDenied
    } else {
        StoreFault::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "sk_fake0000test0000key0000not0000real0000value000";
    const OTHER: &str = "sk_fake1111test1111key1111not1111real1111other9999";

    /// An in-memory store whose reads are counted and whose reads and writes can be made
    /// to fail.
    #[derive(Default)]
    struct FlakyStore {
        items: Mutex<HashMap<String, String>>,
        fail_writes: Mutex<Option<StoreFault>>,
        fail_reads: Mutex<Option<StoreFault>>,
        reads: std::sync::atomic::AtomicUsize,
    }

    impl FlakyStore {
        fn reads(&self) -> usize {
            self.reads.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    impl SecretStore for FlakyStore {
        fn read(&self, account: &str) -> Result<Option<Sensitive<String>>, StoreFault> {
            self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Some(fault) = *self.fail_reads.lock().unwrap() {
                return Err(fault);
            }
            Ok(self
                .items
                .lock()
                .unwrap()
                .get(account)
                .cloned()
                .map(Sensitive::new))
        }
        fn write(&self, account: &str, secret: &Sensitive<String>) -> Result<(), StoreFault> {
            if let Some(fault) = *self.fail_writes.lock().unwrap() {
                return Err(fault);
            }
            let mut items = self.items.lock().unwrap();
            items.insert(account.into(), secret.expose().clone());
            Ok(())
        }
        fn delete(&self, account: &str) -> Result<(), StoreFault> {
            self.items.lock().unwrap().remove(account);
            Ok(())
        }
    }

    fn key(value: &str) -> Sensitive<String> {
        Sensitive::new(value.to_string())
    }

    #[test]
    fn a_real_keychain_is_compiled_in() {
        // Without a platform feature keyring falls back to its in-memory mock, whose
        // credentials vanish with the entry. A real store keeps them until deleted.
        let persistence = keyring::default::default_credential_builder().persistence();
        assert!(
            matches!(
                persistence,
                keyring::credential::CredentialPersistence::UntilDelete
            ),
            "keyring was built without a real platform store"
        );
    }

    #[test]
    fn set_then_status_shows_only_the_last_four() {
        let vault = Vault::new(FlakyStore::default());
        let status = vault.set(Provider::ElevenLabs, &key(GOOD)).unwrap();
        assert_eq!(status.last_four.as_deref(), Some("e000"));
        let json = serde_json::to_string(&status).unwrap();
        assert!(!json.contains(&GOOD[..20]), "{json}");
        assert!(!vault.status(Provider::Tavus).unwrap().configured);
    }

    #[test]
    fn a_bad_key_is_refused_before_the_store_and_keeps_the_old_one() {
        let vault = Vault::new(FlakyStore::default());
        vault.set(Provider::Tavus, &key(GOOD)).unwrap();
        let error = vault.set(Provider::Tavus, &key("not a key")).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert_eq!(vault.key(Provider::Tavus).unwrap().expose(), GOOD);
    }

    #[test]
    fn a_failed_replace_keeps_the_old_key() {
        let vault = Vault::new(FlakyStore::default());
        vault.set(Provider::Tavus, &key(GOOD)).unwrap();
        *vault.store.fail_writes.lock().unwrap() = Some(StoreFault::Locked);
        let error = vault.set(Provider::Tavus, &key(OTHER)).unwrap_err();
        assert_eq!(error.code, ErrorCode::KeychainLocked);
        assert_eq!(vault.key(Provider::Tavus).unwrap().expose(), GOOD);
    }

    #[test]
    fn a_key_is_read_from_the_keychain_once_per_reuse_period() {
        let vault = Vault::new(FlakyStore::default());
        vault.set(Provider::Tavus, &key(GOOD)).unwrap();
        let before = vault.store.reads();
        for _ in 0..5 {
            assert_eq!(vault.key(Provider::Tavus).unwrap().expose(), GOOD);
        }
        // `set` ends with a status read, which already holds the key.
        assert_eq!(vault.store.reads(), before);
        assert_eq!(
            vault.key(Provider::ElevenLabs).unwrap_err().code,
            ErrorCode::KeyMissing
        );
        assert_eq!(
            vault.key(Provider::ElevenLabs).unwrap_err().code,
            ErrorCode::KeyMissing
        );
        assert_eq!(
            vault.store.reads(),
            before + 2,
            "a missing key is not remembered"
        );
    }

    #[test]
    fn a_remembered_key_is_dropped_when_its_time_ends_even_if_never_asked_for_again() {
        let vault = Vault::with_reuse(FlakyStore::default(), Duration::from_millis(50));
        vault.set(Provider::Tavus, &key(GOOD)).unwrap();
        assert_eq!(vault.remembered.lock().unwrap().len(), 1);
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            vault.remembered.lock().unwrap().is_empty(),
            "the key outlived its reuse period in memory"
        );
    }

    #[test]
    fn an_expired_key_is_read_again() {
        let vault = Vault::with_reuse(FlakyStore::default(), Duration::ZERO);
        vault.set(Provider::Tavus, &key(GOOD)).unwrap();
        let before = vault.store.reads();
        vault.key(Provider::Tavus).unwrap();
        vault.key(Provider::Tavus).unwrap();
        assert_eq!(vault.store.reads(), before + 2);
        assert!(vault.remembered().is_empty(), "nothing outlives its period");
    }

    #[test]
    fn replacing_removing_or_forgetting_a_key_stops_its_reuse() {
        let vault = Vault::new(FlakyStore::default());
        vault.set(Provider::Tavus, &key(GOOD)).unwrap();
        vault.key(Provider::Tavus).unwrap();
        vault.set(Provider::Tavus, &key(OTHER)).unwrap();
        assert_eq!(vault.key(Provider::Tavus).unwrap().expose(), OTHER);

        vault.remove(Provider::Tavus).unwrap();
        assert_eq!(
            vault.key(Provider::Tavus).unwrap_err().code,
            ErrorCode::KeyMissing
        );

        vault.set(Provider::Tavus, &key(GOOD)).unwrap();
        vault.key(Provider::Tavus).unwrap();
        // Deleting everything goes to the store directly, then tells the vault.
        vault.store.delete(Provider::Tavus.key_account()).unwrap();
        vault.forget_all();
        assert_eq!(
            vault.key(Provider::Tavus).unwrap_err().code,
            ErrorCode::KeyMissing
        );
    }

    #[test]
    fn status_always_asks_the_keychain_and_a_fault_ends_reuse() {
        let vault = Vault::new(FlakyStore::default());
        vault.set(Provider::Tavus, &key(GOOD)).unwrap();
        vault.key(Provider::Tavus).unwrap();
        // Another program replaces the key: status sees it, and the key follows.
        vault
            .store
            .items
            .lock()
            .unwrap()
            .insert(Provider::Tavus.key_account().into(), OTHER.into());
        assert_eq!(
            vault.status(Provider::Tavus).unwrap().last_four.as_deref(),
            Some("9999")
        );
        assert_eq!(vault.key(Provider::Tavus).unwrap().expose(), OTHER);

        // The keychain locks: status says so, and no request goes out with the old key.
        *vault.store.fail_reads.lock().unwrap() = Some(StoreFault::Locked);
        assert_eq!(
            vault.status(Provider::Tavus).unwrap_err().code,
            ErrorCode::KeychainLocked
        );
        assert_eq!(
            vault.key(Provider::Tavus).unwrap_err().code,
            ErrorCode::KeychainLocked
        );
    }

    #[test]
    fn every_fault_has_its_own_code_and_a_useful_message() {
        let cases = [
            (StoreFault::Unavailable, ErrorCode::KeychainUnavailable),
            (StoreFault::Locked, ErrorCode::KeychainLocked),
            (StoreFault::AccessDenied, ErrorCode::KeychainAccessDenied),
            (StoreFault::TooLarge, ErrorCode::KeychainItemTooLarge),
            (StoreFault::Other, ErrorCode::KeychainFailure),
        ];
        for (fault, code) in cases {
            let error = Error::from(fault);
            assert_eq!(error.code, code);
            assert!(error.message.ends_with('.') && error.message.len() > 40);
        }
    }

    #[test]
    fn platform_failures_are_classified() {
        assert_eq!(
            classify_platform("D-Bus error: The name org.freedesktop.secrets was not provided"),
            StoreFault::Unavailable
        );
        assert_eq!(
            classify_platform("Failed to connect to socket /tmp/none: No such file or directory"),
            StoreFault::Unavailable
        );
        assert_eq!(classify_platform("Access denied"), StoreFault::AccessDenied);
        assert_eq!(
            classify_platform("D-Bus error: Cannot create an item in a locked collection (org.freedesktop.Secret.Error.IsLocked)"),
            StoreFault::Locked
        );
        assert_eq!(classify_platform("something odd"), StoreFault::Other);
    }

    #[test]
    fn missing_key_is_a_clear_error() {
        let vault = Vault::new(FlakyStore::default());
        let error = vault.key(Provider::ElevenLabs).unwrap_err();
        assert_eq!(error.code, ErrorCode::KeyMissing);
        assert!(error.message.contains("ElevenLabs"));
    }
}
