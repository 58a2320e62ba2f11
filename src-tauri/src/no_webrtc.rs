//! The main window's WebRTC removal, run natively before any page script in every frame.

pub const SCRIPT: &str = include_str!("no_webrtc.js");
