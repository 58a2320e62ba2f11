//! A locked keychain whose unlock prompt cannot be answered (no display, as when a person
//! dismisses it) is reported as `keychain_locked`, with advice. This test brings its own
//! session bus and gnome-keyring, so locking them affects nothing else.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serene_core::provider::Provider;
use serene_core::vault::{Keychain, Vault};
use serene_core::{ErrorCode, Sensitive};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn secret_service(bus: &str, method: &str, args: &[&str]) -> String {
    let output = Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            &format!("org.freedesktop.Secret.Service.{method}"),
        ])
        .args(args)
        .output()
        .expect("dbus-send");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A private session bus with a gnome-keyring whose login collection is unlocked, or
/// `None` if it did not unlock within a few seconds.
fn start_unlocked_keyring(home: &std::path::Path) -> Option<(Killed, Killed, String)> {
    let runtime = home.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let bus = Killed(bus);
    let address = address.trim().to_string();
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon");
    keyring.stdin.take().unwrap().write_all(b"serene").unwrap();
    let keyring = Killed(keyring);
    let deadline = Instant::now() + Duration::from_secs(4);
    while Instant::now() < deadline {
        if login_unlocked(&address) {
            return Some((bus, keyring, address));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Asks the bus itself first: a message to `org.freedesktop.secrets` before our daemon
/// owns that name would make D-Bus activate a second, password-less daemon.
fn login_unlocked(bus: &str) -> bool {
    let owned = Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ])
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).contains("boolean true"));
    if !owned {
        return false;
    }
    let output = Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets/collection/login",
            "org.freedesktop.DBus.Properties.Get",
            "string:org.freedesktop.Secret.Collection",
            "string:Locked",
        ])
        .output()
        .expect("dbus-send");
    String::from_utf8_lossy(&output.stdout).contains("boolean false")
}

#[test]
fn a_locked_keychain_is_reported_as_locked() {
    if std::env::var("SERENE_KEYCHAIN_TESTS").as_deref() != Ok("1") {
        eprintln!("keychain tests skipped: run scripts/test.sh (SERENE_KEYCHAIN_TESTS=1)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    // Belt and braces: if the collection never unlocks, start a fresh daemon.
    let (_bus, _keyring, address) = (1..=5)
        .find_map(|attempt| start_unlocked_keyring(&home.path().join(attempt.to_string())))
        .expect("the test keyring never unlocked");
    // This test binary is its own process: pointing it at the private bus is safe.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
    std::env::remove_var("DISPLAY");
    std::env::remove_var("WAYLAND_DISPLAY");

    let vault = Vault::new(Keychain::with_service("app.serene.desktop.test.locked"));
    let key = Sensitive::new("tvsk_locked_collection_test".to_string());
    vault.set(Provider::Tavus, &key).unwrap();
    secret_service(
        &address,
        "Lock",
        &["array:objpath:/org/freedesktop/secrets/collection/login"],
    );

    let error = vault.status(Provider::Tavus).unwrap_err();
    assert_eq!(error.code, ErrorCode::KeychainLocked, "{error:?}");
    assert!(error.message.contains("Unlock"));
}
