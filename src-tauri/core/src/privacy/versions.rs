//! The latest version of each sealed file, in one keychain entry: someone who can replace
//! Serene's files but not read its keychain cannot make an older copy count as current.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::privacy::sealed::VersionBook;
use crate::sensitive::Sensitive;
use crate::vault::SecretStore;

pub const VERSIONS_ACCOUNT: &str = "sealed-file-versions";

pub struct KeychainVersions<S: SecretStore> {
    store: Arc<S>,
    /// Read once; this process is the only writer afterwards.
    known: Mutex<Option<BTreeMap<String, u64>>>,
}

impl<S: SecretStore> KeychainVersions<S> {
    pub fn new(store: Arc<S>) -> Self {
        Self {
            store,
            known: Mutex::new(None),
        }
    }

    fn with_known<T>(&self, f: impl FnOnce(&mut BTreeMap<String, u64>) -> T) -> T {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let map = known.get_or_insert_with(|| {
            self.store
                .read(VERSIONS_ACCOUNT)
                .ok()
                .flatten()
                .and_then(|raw| serde_json::from_str(raw.expose()).ok())
                .unwrap_or_default()
        });
        f(map)
    }
}

impl<S: SecretStore> VersionBook for KeychainVersions<S> {
    fn latest(&self, purpose: &str) -> u64 {
        self.with_known(|map| map.get(purpose).copied().unwrap_or(0))
    }

    fn record(&self, purpose: &str, version: u64) -> Result<()> {
        let encoded = self.with_known(|map| {
            let slot = map.entry(purpose.to_string()).or_insert(0);
            *slot = (*slot).max(version);
            serde_json::to_string(map)
        });
        let encoded = encoded.map_err(|_| Error::internal())?;
        self.store
            .write(VERSIONS_ACCOUNT, &Sensitive::new(encoded))
            .map_err(Error::from)
    }
}
