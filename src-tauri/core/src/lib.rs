//! Serene's core: everything that decides or protects, with no dependency on Tauri.
//!
//! The shell (`src-tauri/src`) parses IPC arguments, calls into this crate, and maps the
//! result to [`error::Error`]. A CI check proves this crate never links `tauri`.

pub mod agent;
pub mod api_key;
pub mod atomic_file;
pub mod confirm;
pub mod crisis;
pub mod endpoints;
pub mod error;
pub mod gateway;
pub mod hardening;
pub mod logging;
pub mod media;
pub mod navigation;
pub mod policy;
pub mod privacy;
pub mod provider;
pub mod sensitive;
pub mod service;
pub mod session;
pub mod settings;
pub mod updates;
pub mod vault;
#[cfg(windows)]
mod vault_windows;
pub mod views;
pub mod voice;

pub use error::{Error, ErrorCode};
pub use sensitive::Sensitive;
