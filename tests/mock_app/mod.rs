//! The app under Tauri's mock runtime, for the IPC tests. Before it is built, the process is
//! isolated: settings go to a temporary directory and the keychain is unreachable (a dead
//! session bus), so these tests can neither read nor change a developer's real keys, nor
//! reach a provider with them.
#![allow(dead_code)]

use serene_lib::{run_app, MAIN_WINDOW};
use tauri::test::{mock_builder, MockRuntime};
use tauri::{App, Manager, WebviewWindow};

/// Once per test binary; `name` keeps binaries running side by side apart.
pub fn isolate(name: &str) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = std::env::temp_dir().join(format!("serene-{name}-{}", std::process::id()));
        // HOME and every XDG base: delete_everything runs here too.
        std::env::set_var("HOME", dir.join("home"));
        std::env::set_var("XDG_CONFIG_HOME", dir.join("config"));
        std::env::set_var("XDG_DATA_HOME", dir.join("data"));
        std::env::set_var("XDG_CACHE_HOME", dir.join("cache"));
        std::env::set_var("XDG_STATE_HOME", dir.join("state"));
        std::env::set_var(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path=/nonexistent/serene-{name}"),
        );
    });
}

/// The isolated app, built with the real config and capability, and its main window. The
/// person says no to every native confirmation (the mock runtime has no dialogs to show).
pub fn app(name: &str) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    isolate(name);
    let app = run_app(mock_builder(), tauri::generate_context!()).expect("app builds");
    app.state::<serene_core::service::Service>()
        .set_confirmer(std::sync::Arc::new(serene_core::confirm::RefuseAll));
    let window = app.get_webview_window(MAIN_WINDOW).expect("main window");
    (app, window)
}
