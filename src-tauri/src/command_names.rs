/// Every IPC command the app exposes. Shared by `build.rs` (ACL manifest) and the tests
/// that prove each one is refused from a remote origin.
pub const COMMANDS: &[&str] = &["app_info", "open_help_link"];
