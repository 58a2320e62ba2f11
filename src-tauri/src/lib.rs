//! The Tauri shell: windows, plugins and thin IPC commands over `serene-core`.

mod command_names;
mod commands;
mod external;
mod window;

use tauri::{App, Builder, Context, Manager, Runtime};

pub use command_names::COMMANDS;
pub use window::MAIN_WINDOW;

/// Builds the app on any runtime (the real one, or Tauri's mock runtime in tests): the
/// command handlers, then the hardened main window.
pub fn run_app<R: Runtime>(builder: Builder<R>, context: Context<R>) -> tauri::Result<App<R>> {
    let app = builder
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::open_help_link
        ])
        .build(context)?;
    window::create_main_window(app.handle())?;
    Ok(app)
}

pub fn run() {
    let builder = tauri::Builder::default()
        // First plugin, so a second launch is caught before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            window::focus_main_window(app);
        }))
        .setup(|app| {
            let log_dir = app.path().app_log_dir()?;
            if let Err(error) = serene_core::logging::init(&log_dir) {
                eprintln!("Serene could not open its log file: {error}");
            }
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "Serene started");
            Ok(())
        });
    let app = run_app(builder, tauri::generate_context!()).expect("Serene failed to start");
    app.run(|_, _| {});
}
