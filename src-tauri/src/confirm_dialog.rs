//! The core's confirmations as native dialogs: drawn by the OS toolkit, outside the
//! webview, so no script in the page can see, click or dismiss them.

use std::sync::Arc;

use serene_core::confirm::{Answer, Confirmer, Question};
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::Mutex;

use crate::window::MAIN_WINDOW;

pub struct NativeConfirmer<R: Runtime> {
    app: AppHandle<R>,
    /// One dialog at a time: a page asking again and again gets one dialog, not a stack.
    showing: Arc<Mutex<()>>,
}

impl<R: Runtime> NativeConfirmer<R> {
    pub fn new(app: AppHandle<R>) -> Self {
        Self {
            app,
            showing: Arc::new(Mutex::new(())),
        }
    }
}

impl<R: Runtime> Confirmer for NativeConfirmer<R> {
    fn confirm(&self, question: Question) -> Answer {
        #[cfg(feature = "e2e")]
        if let Some(answer) = test_answer(&question) {
            return Box::pin(async move { answer });
        }
        let app = self.app.clone();
        let showing = self.showing.clone();
        Box::pin(async move {
            let Ok(_one) = showing.try_lock() else {
                tracing::info!("a confirmation was asked while another was showing; refused");
                return false;
            };
            use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
            let (answer, answered) = tokio::sync::oneshot::channel();
            let mut dialog = app
                .dialog()
                .message(question.message)
                .title(question.title)
                .kind(MessageDialogKind::Warning)
                .buttons(MessageDialogButtons::OkCancelCustom(
                    question.accept,
                    "Cancel".into(),
                ));
            if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                dialog = dialog.parent(&window);
            }
            dialog.show(move |accepted| {
                let _ = answer.send(accepted);
            });
            answered.await.unwrap_or(false)
        })
    }
}

/// e2e builds: `SERENE_TEST_CONFIRM` (`accept` or `refuse`), or the content of the file
/// `SERENE_TEST_CONFIRM_FILE` names (so a test can change its answer while the app runs),
/// answers instead of a person, and `SERENE_TEST_CONFIRM_LOG` records each question, since
/// WebDriver cannot reach a native dialog. Unset, the real dialog shows.
#[cfg(feature = "e2e")]
fn test_answer(question: &Question) -> Option<bool> {
    let configured = match std::env::var_os("SERENE_TEST_CONFIRM_FILE") {
        Some(file) => std::fs::read_to_string(file).ok()?.trim().to_string(),
        None => std::env::var("SERENE_TEST_CONFIRM").ok()?,
    };
    let answer = match configured.as_str() {
        "accept" => true,
        "refuse" => false,
        _ => return None,
    };
    if let Some(log) = std::env::var_os("SERENE_TEST_CONFIRM_LOG") {
        use std::io::Write;
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(file, "{} | {}", question.title, question.message);
        }
    }
    Some(answer)
}
