//! IPC commands: parse, call the core, return its result. Nothing else lives here.

pub mod app;
pub mod catalogue;
pub mod keys;
pub mod privacy;
pub mod settings;
pub mod updates;
pub mod voice;
pub mod video;

/// The core service as managed state.
pub type Service = serene_core::service::Service;
