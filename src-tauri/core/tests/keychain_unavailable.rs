//! With no Secret Service reachable, every vault operation fails with
//! `keychain_unavailable` and a message that says what to do; nothing falls back to a
//! file. Its own test binary, because it points this process at a dead session bus.

#![cfg(target_os = "linux")]

use serene_core::provider::Provider;
use serene_core::vault::{Keychain, Vault};
use serene_core::{ErrorCode, Sensitive};

#[test]
fn no_secret_service_is_a_clear_error_and_nothing_is_written() {
    let home = tempfile::tempdir().unwrap();
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/serene-test-bus",
    );
    std::env::set_var("HOME", home.path());
    std::env::set_var("XDG_DATA_HOME", home.path().join("data"));
    std::env::set_var("XDG_CONFIG_HOME", home.path().join("config"));

    let vault = Vault::new(Keychain::with_service(
        "app.serene.desktop.test.unavailable",
    ));
    let key = Sensitive::new("sk_fake0000test0000key0000not0000real0000value000".to_string());
    for error in [
        vault.set(Provider::Tavus, &key).unwrap_err(),
        vault.status(Provider::Tavus).unwrap_err(),
        vault.remove(Provider::Tavus).unwrap_err(),
    ] {
        assert_eq!(error.code, ErrorCode::KeychainUnavailable, "{error:?}");
        assert!(error.message.contains("keychain"));
    }
    // No plaintext fallback anywhere under the home directory.
    let written: Vec<_> = walk(home.path());
    assert!(written.is_empty(), "files written: {written:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}
