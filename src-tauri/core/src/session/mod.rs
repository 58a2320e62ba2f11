//! Live sessions. A Tavus conversation bills from the moment it exists, so every one that
//! is created is journaled first and ended on every path out.

#[cfg(unix)]
pub mod app_browser;
#[cfg(target_os = "linux")]
pub mod browser_process;
pub mod presentation;
pub mod room_url;
