//! Shared end-to-end harness: a private desktop (Xvfb, D-Bus, unlocked gnome-keyring,
//! tauri-driver) and helpers to drive the real Serene binary through WebDriver.
#![allow(dead_code)]

pub mod app;
pub mod desktop;
pub mod fakes;
pub mod flows;
pub mod process;
