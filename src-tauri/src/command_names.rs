/// Every IPC command the app exposes. Shared by `build.rs` (ACL manifest) and the tests
/// that prove each one is refused from a remote origin.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "open_help_link",
    "key_status",
    "set_api_key",
    "remove_api_key",
    "verify_api_key",
    "list_replicas",
    "list_personas",
    "list_voices",
    "list_models",
    "get_settings",
    "update_settings",
    "get_consent",
    "give_consent",
    "withdraw_consent",
    "privacy_overview",
    "audit_log",
    "export_data",
    "delete_everything",
];
