//! The Tauri shell: windows, plugins and thin IPC commands over `serene-core`.

mod app_lock;
mod command_names;
mod commands;
mod confirm_dialog;
mod downloads;
mod external;
mod no_webrtc;
mod permissions;
mod session_window;
mod updates;
mod webrtc_probe;
mod window;

use serene_core::endpoints::Endpoints;
use serene_core::gateway::Gateway;
use serene_core::privacy::local::LocalDirs;
use serene_core::service::Service;
use serene_core::vault::Keychain;
use tauri::{App, Builder, Context, Manager, Runtime};

pub use command_names::COMMANDS;
pub use window::MAIN_WINDOW;

/// Builds the app on any runtime (the real one, or Tauri's mock runtime in tests): the
/// command handlers, the core service, then the hardened main window.
pub fn run_app<R: Runtime>(builder: Builder<R>, context: Context<R>) -> tauri::Result<App<R>> {
    // The lock's gate runs before every command, so a command added later is refused
    // while locked unless the core lists it as allowed.
    let handler: Box<dyn Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync> =
        Box::new(tauri::generate_handler![
            commands::app::app_info,
            commands::app::open_help_link,
            commands::keys::key_status,
            commands::keys::set_api_key,
            commands::keys::remove_api_key,
            commands::keys::verify_api_key,
            commands::catalogue::list_replicas,
            commands::catalogue::list_personas,
            commands::catalogue::list_voices,
            commands::catalogue::list_models,
            commands::settings::get_settings,
            commands::settings::update_settings,
            commands::settings::spending_budgets,
            commands::privacy::get_consent,
            commands::privacy::give_consent,
            commands::privacy::withdraw_consent,
            commands::privacy::privacy_overview,
            commands::privacy::audit_log,
            commands::privacy::export_data,
            commands::privacy::delete_everything,
            commands::video::start_video_session,
            commands::video::end_video_session,
            commands::video::video_session_status,
            commands::video::stuck_sessions,
            commands::video::end_stuck_sessions,
            commands::video::check_video_setup,
            commands::video::room_presentation,
            commands::video::show_room,
            commands::updates::check_for_update,
            commands::updates::download_update,
            commands::updates::install_update,
            commands::voice::list_exercises,
            commands::voice::speak,
            commands::voice::stop_speech,
            commands::voice::speech_usage,
            commands::voice_session::start_voice_session,
            commands::voice_session::send_voice_audio,
            commands::voice_session::end_voice_session,
            commands::lock::lock_status,
            commands::lock::set_lock,
            commands::lock::unlock,
            commands::lock::lock_now,
            commands::lock::quick_exit,
        ]);
    let app = builder
        // Used from Rust only (the export's save dialog); no capability grants it to the page.
        .plugin(tauri_plugin_dialog::init())
        // Driven from Rust only (`updates.rs`); no capability grants the page its commands.
        .plugin(tauri_plugin_updater::Builder::new().build())
        .invoke_handler(move |invoke| {
            let app = invoke.message.webview_ref().app_handle().clone();
            if let Err(error) = app_lock::before_command(&app, invoke.message.command()) {
                invoke.resolver.reject(error);
                return true;
            }
            handler(invoke)
        })
        .build(context)?;
    // The core reads its keys and sealed files (tens of milliseconds over D-Bus on Linux)
    // while the main window and its webview are built. Nothing can call it meanwhile: the
    // page loads, and commands run, only once the event loop runs, after it is managed.
    let opening = open_core_service(app.handle())?;
    window::create_main_window(app.handle())?;
    let service = opening
        .join()
        .map_err(|_| tauri::Error::Io(std::io::Error::other("the core failed to start")))??;
    service.set_confirmer(std::sync::Arc::new(confirm_dialog::NativeConfirmer::new(
        app.handle().clone(),
    )));
    app.manage(service);
    app.manage(updates::UpdateState::default());
    app.manage(app_lock::Activity::default());
    app_lock::apply_title(app.handle());
    app_lock::watch_main_window(app.handle());
    app_lock::start_idle_timer(app.handle());
    end_sessions_left_open(app.handle());
    Ok(app)
}

/// A session journaled but never ended (a crash, `kill -9`, power loss) still bills on
/// Tavus: end it as soon as Serene starts again.
pub(crate) fn end_sessions_left_open<R: Runtime>(app: &tauri::AppHandle<R>) {
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let service = handle.state::<Service>();
        let swept = service.close_left_over_app_windows().await;
        if swept > 0 {
            tracing::info!(swept, "closed session windows left open by an earlier run");
        }
        let ended = service
            .end_journaled(serene_core::service::EndReason::StartupCleanup)
            .await;
        if ended > 0 {
            tracing::info!(ended, "ended sessions left open by an earlier run");
        }
    });
}

type Opening = std::thread::JoinHandle<tauri::Result<Service>>;

fn open_core_service<R: Runtime>(app: &tauri::AppHandle<R>) -> tauri::Result<Opening> {
    let path = app.path();
    let dirs = LocalDirs {
        config: path.app_config_dir()?,
        data: path.app_data_dir()?,
        local_data: path.app_local_data_dir()?,
        cache: path.app_cache_dir()?,
        logs: path.app_log_dir()?,
    };
    let opening = std::thread::Builder::new()
        .name("serene-core-open".into())
        .spawn(move || {
            let gateway = Gateway::new(Endpoints::from_env())
                .map_err(|error| tauri::Error::Io(std::io::Error::other(error.message)))?;
            Ok(Service::new(Keychain::new(), gateway, dirs))
        })?;
    Ok(opening)
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
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Quitting ends a running session; a failure leaves it journaled for next start.
            let service = handle.state::<Service>();
            let ending = async {
                service.end_voice("app_quit").await;
                let ended = service
                    .end_active(serene_core::service::EndReason::AppQuit)
                    .await;
                // Even if Tavus could not be told, the session's browser window goes.
                service.close_room_app_window().await;
                ended
            };
            let _ = tauri::async_runtime::block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(6), ending).await
            });
        }
    });
}
