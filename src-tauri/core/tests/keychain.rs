//! The vault against the real OS keychain (on Linux, gnome-keyring over the Secret
//! Service). `scripts/test.sh` runs these in a private D-Bus session with an unlocked
//! keyring and sets SERENE_KEYCHAIN_TESTS=1; elsewhere they say so and do nothing, so a
//! developer's own keychain is never touched by accident.

use serene_core::provider::Provider;
use serene_core::vault::{Keychain, SecretStore, Vault};
use serene_core::{ErrorCode, Sensitive};

fn enabled() -> bool {
    let on = std::env::var("SERENE_KEYCHAIN_TESTS").as_deref() == Ok("1");
    if !on {
        eprintln!("keychain tests skipped: run scripts/test.sh (SERENE_KEYCHAIN_TESTS=1)");
    }
    on
}

fn test_keychain(name: &str) -> Keychain {
    Keychain::with_service(&format!(
        "app.serene.desktop.test.{name}.{}",
        std::process::id()
    ))
}

fn key(value: &str) -> Sensitive<String> {
    Sensitive::new(value.to_string())
}

const FIRST: &str = "sk_fake0000test0000key0000not0000real0000value000";
const SECOND: &str = "tvsk_replacement-key-9876";

#[test]
fn set_read_replace_and_remove_for_real() {
    if !enabled() {
        return;
    }
    let vault = Vault::new(test_keychain("roundtrip"));
    assert!(!vault.status(Provider::Tavus).unwrap().configured);

    let status = vault.set(Provider::Tavus, &key(FIRST)).unwrap();
    assert!(status.configured);
    assert_eq!(status.last_four.as_deref(), Some("e000"));
    assert_eq!(vault.key(Provider::Tavus).unwrap().expose(), FIRST);
    // One entry per provider: the other provider is untouched.
    assert!(!vault.status(Provider::ElevenLabs).unwrap().configured);

    vault.set(Provider::Tavus, &key(SECOND)).unwrap();
    assert_eq!(vault.key(Provider::Tavus).unwrap().expose(), SECOND);

    // A fresh handle (as after a restart) reads what the keychain kept.
    let reopened = Vault::new(test_keychain("roundtrip"));
    assert_eq!(reopened.key(Provider::Tavus).unwrap().expose(), SECOND);

    vault.remove(Provider::Tavus).unwrap();
    assert_eq!(
        vault.key(Provider::Tavus).unwrap_err().code,
        ErrorCode::KeyMissing
    );
    // Removing again is fine.
    vault.remove(Provider::Tavus).unwrap();
}

#[test]
fn a_refused_replace_keeps_the_stored_key() {
    if !enabled() {
        return;
    }
    let vault = Vault::new(test_keychain("replace"));
    vault.set(Provider::ElevenLabs, &key(FIRST)).unwrap();
    let error = vault
        .set(Provider::ElevenLabs, &key("sk_has a space inside it"))
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert_eq!(vault.key(Provider::ElevenLabs).unwrap().expose(), FIRST);
    vault.remove(Provider::ElevenLabs).unwrap();
}

#[test]
fn the_store_itself_reports_absence_as_none() {
    if !enabled() {
        return;
    }
    let store = test_keychain("absent");
    assert!(store.read("never-written").unwrap().is_none());
    store.delete("never-written").unwrap();
}
