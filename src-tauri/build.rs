// Every app command is declared here so Tauri generates `allow-*` permissions for it and
// checks even local-origin calls against the capability in `src-tauri/capabilities/`.
include!("src/command_names.rs");

fn main() {
    // The test-only hooks must never reach a shipped binary.
    if std::env::var_os("CARGO_FEATURE_E2E").is_some()
        && std::env::var("PROFILE").as_deref() == Ok("release")
    {
        panic!("the `e2e` feature is for tests only and cannot be built in release");
    }
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/src/command_names.rs");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
