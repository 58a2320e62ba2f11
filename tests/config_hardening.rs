//! The shipped configuration keeps the webview locked down. These read the files that
//! are compiled into the app, so loosening any of them fails here before it ships.

use serde_json::Value;
use serene_lib::COMMANDS;

fn read_json(path: &str) -> Value {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap()
}

const REQUIRED_CSP: &[(&str, &str)] = &[
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "ipc: http://ipc.localhost"),
    ("media-src", "'self' blob:"),
    ("object-src", "'none'"),
    // No frame loads at all: a framed document would be a fresh global with WebRTC
    // (about:blank frames still load; `no_webrtc.js` runs in every frame for them).
    ("frame-src", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'none'"),
    ("frame-ancestors", "'none'"),
];

#[test]
fn csp_is_exactly_the_strict_policy() {
    let config = read_json("tauri.conf.json");
    let csp = config["app"]["security"]["csp"]
        .as_object()
        .expect("the CSP must be set");
    assert_eq!(
        csp.len(),
        REQUIRED_CSP.len(),
        "unexpected directives: {csp:?}"
    );
    for (directive, value) in REQUIRED_CSP {
        assert_eq!(csp[*directive], *value, "{directive}");
    }
    let text = config.to_string();
    for forbidden in ["unsafe-inline", "unsafe-eval", "devCsp", "dangerous"] {
        assert!(
            !text.contains(forbidden),
            "tauri.conf.json contains {forbidden}"
        );
    }
}

#[test]
fn webview_hardening_flags_are_set() {
    let config = read_json("tauri.conf.json");
    assert_eq!(config["app"]["security"]["freezePrototype"], true);
    assert_eq!(config["app"]["withGlobalTauri"], false);
    assert_eq!(
        config["app"]["security"]["capabilities"],
        serde_json::json!(["main-window"])
    );
    let windows = config["app"]["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["title"], "Serene");
    // Created in code, so the navigation guard is attached before the first load.
    assert_eq!(windows[0]["create"], false);
    assert!(config["build"].get("devUrl").is_none());
}

#[test]
fn the_only_capability_grants_our_commands_to_the_main_window_locally() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/capabilities");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "unexpected capability files: {files:?}");
    let capability = read_json("src-tauri/capabilities/main-window.json");
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    assert!(capability.get("webviews").is_none());
    assert!(
        capability.get("remote").is_none(),
        "no remote origin may reach the core"
    );
    assert_ne!(capability["local"], false);
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("plain permission ids only").to_string())
        .collect();
    let mut expected: Vec<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    granted.sort();
    expected.sort();
    assert_eq!(
        granted, expected,
        "exactly our own commands, no plugin permissions"
    );
}

#[test]
fn updates_are_signed_bound_to_their_version_and_never_go_back() {
    let config = read_json("tauri.conf.json");
    let updater = &config["plugins"]["updater"];
    let pubkey = updater["pubkey"].as_str().expect("an updater public key");
    // The base64 of a minisign public key file (never a private key).
    let decoded = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, pubkey).unwrap(),
    )
    .unwrap();
    assert!(decoded.starts_with("untrusted comment: minisign public key"));
    assert_eq!(updater["requireSignedVersion"], true);
    assert!(updater.get("allowDowngrades").is_none());
    let text = updater.to_string();
    assert!(!text.contains("dangerous"), "{text}");
    // The configured endpoint is the core's stable one: HTTPS, with the templated path.
    let stable = serene_core::updates::endpoint(serene_core::updates::Channel::Stable);
    let configured = updater["endpoints"].as_array().unwrap();
    assert_eq!(configured.len(), 1);
    let configured = configured[0].as_str().unwrap();
    assert!(configured.starts_with("https://"));
    assert_eq!(
        configured,
        stable.as_str().replace("%7B", "{").replace("%7D", "}")
    );
    for variable in ["{{target}}", "{{arch}}", "{{current_version}}"] {
        assert!(
            configured.contains(variable),
            "{configured} lacks {variable}"
        );
    }
    assert_eq!(config["bundle"]["createUpdaterArtifacts"], true);
}
