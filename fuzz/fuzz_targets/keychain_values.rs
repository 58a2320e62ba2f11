//! Values Serene reads back from the keychain, which another program of the same user can
//! change: the audit log head (`privacy::audit::Head::decode`), the base64 data and audit
//! keys (`privacy::local_keys::load_or_create`) and a saved API key (`vault::Vault`'s
//! status, which shows its last four characters). Never panic; a decoded head encodes and
//! decodes to itself; a loaded key is 32 bytes and makes a sealer; the last four are a
//! suffix of the key.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serene_core::privacy::audit::Head;
use serene_core::privacy::local_keys::{
    load_or_create, AUDIT_HEAD_ACCOUNT, AUDIT_KEY_ACCOUNT, DATA_KEY_ACCOUNT, KEY_LEN,
};
use serene_core::privacy::sealed::Sealer;
use serene_core::provider::Provider;
use serene_core::vault::{SecretStore, StoreFault, Vault};
use serene_core::{ErrorCode, Sensitive};

/// A keychain that holds `value` under every account and refuses every write (so a key
/// that cannot be read is never silently replaced by a new one here).
struct OneValue(String);

impl SecretStore for OneValue {
    fn read(&self, _account: &str) -> Result<Option<Sensitive<String>>, StoreFault> {
        Ok(Some(Sensitive::new(self.0.clone())))
    }
    fn write(&self, _account: &str, _secret: &Sensitive<String>) -> Result<(), StoreFault> {
        Err(StoreFault::Other)
    }
    fn delete(&self, _account: &str) -> Result<(), StoreFault> {
        Err(StoreFault::Other)
    }
}

fuzz_target!(|data: &[u8]| {
    // The keychain stores text; keyring reports anything else as `Corrupt` before the core
    // sees it.
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    let store = OneValue(value.to_string());

    let head = store
        .read(AUDIT_HEAD_ACCOUNT)
        .ok()
        .flatten()
        .and_then(|raw| Head::decode(raw.expose()));
    if let Some(head) = head {
        assert_eq!(
            Head::decode(&head.encode()),
            Some(head),
            "head does not round-trip"
        );
    }

    for account in [DATA_KEY_ACCOUNT, AUDIT_KEY_ACCOUNT] {
        match load_or_create(&store, account) {
            Ok(key) => {
                assert_eq!(key.expose().len(), KEY_LEN);
                assert!(Sealer::new(&key).is_ok(), "a loaded key makes no sealer");
            }
            Err(error) => assert_eq!(error.code, ErrorCode::KeychainFailure),
        }
    }

    let vault = Vault::new(store);
    for provider in Provider::ALL {
        let status = vault.status(provider).expect("the store reads");
        assert!(status.configured);
        let last_four = status.last_four.expect("a configured key shows its end");
        assert!(last_four.len() <= 4 && value.ends_with(&last_four));
        assert_eq!(vault.key(provider).expect("a key").expose(), value);
    }
});
