//! Shared end-to-end harness: a private desktop (Xvfb, D-Bus, unlocked gnome-keyring,
//! tauri-driver) and helpers to drive the real Serene binary through WebDriver.
#![allow(dead_code)]

pub mod agent_fake;
pub mod app;
pub mod desktop;
pub mod fakes;
pub mod flows;
pub mod process;
pub mod speech_fake;
pub mod update_server;

/// Every file below `dir`.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else if path.is_file() {
            found.push(path);
        }
    }
    found
}
