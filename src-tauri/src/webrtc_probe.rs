//! Whether this system's webview could carry the video room (has WebRTC). Never asked of
//! the main page, which has WebRTC removed (`no_webrtc.js`): on Linux a throwaway
//! WebKitGTK view, which is no Tauri webview (no IPC bridge, no capability, an empty
//! document in an ephemeral context), with WebRTC switched on, is asked and dropped.
//! WebView2 and WKWebView always have WebRTC.

use tauri::{AppHandle, Runtime};

#[cfg(target_os = "linux")]
static PROBED: tokio::sync::OnceCell<Option<bool>> = tokio::sync::OnceCell::const_new();

/// `None`: the probe could not run (no GTK main loop: the mock runtime in tests).
pub async fn webview_has_webrtc<R: Runtime>(app: &AppHandle<R>) -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        let real = (app as &dyn std::any::Any).is::<AppHandle<tauri::Wry>>();
        if !real {
            return None;
        }
        *PROBED.get_or_init(|| linux::probe(app)).await
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = app;
        Some(true)
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::cell::RefCell;
    use std::time::Duration;

    use javascriptcore::ValueExt;
    use tauri::{AppHandle, Runtime};
    use tokio::sync::oneshot;
    use webkit2gtk::{LoadEvent, SettingsExt, WebContext, WebView, WebViewExt};

    thread_local! {
        // Kept alive on the GTK thread until it has answered.
        static PROBE: RefCell<Option<WebView>> = const { RefCell::new(None) };
    }

    pub async fn probe<R: Runtime>(app: &AppHandle<R>) -> Option<bool> {
        let (answer, answered) = oneshot::channel();
        if app.run_on_main_thread(move || start(answer)).is_err() {
            return None;
        }
        let result = tokio::time::timeout(Duration::from_secs(10), answered).await;
        let has = result.ok().and_then(Result::ok);
        tracing::info!(webrtc = ?has, "probed the webview for WebRTC");
        has
    }

    fn start(answer: oneshot::Sender<bool>) {
        let context = WebContext::new_ephemeral();
        let view = WebView::with_context(&context);
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_webrtc(true);
            settings.set_enable_media_stream(true);
        }
        let answer = RefCell::new(Some(answer));
        view.connect_load_changed(move |view, event| {
            if event != LoadEvent::Finished {
                return;
            }
            let Some(answer) = answer.borrow_mut().take() else {
                return;
            };
            view.evaluate_javascript(
                "typeof RTCPeerConnection === 'function'",
                None,
                None,
                None::<&webkit2gtk::gio::Cancellable>,
                move |result| {
                    let _ = answer.send(result.is_ok_and(|value| value.to_boolean()));
                    PROBE.with(|probe| probe.borrow_mut().take());
                },
            );
        });
        view.load_html("<!doctype html><title>probe</title>", None);
        PROBE.with(|probe| *probe.borrow_mut() = Some(view));
    }
}
