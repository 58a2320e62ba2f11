//! WKWebView: camera and microphone requests reach the web view's `WKUIDelegate`, whose
//! media-capture method is the only permission WebKit asks an app about on macOS.
//!
//! wry 0.57.1 installs its own delegate, which grants every media request when no
//! permission handler is given. This module puts [`MediaGuard`] in its place: it answers
//! media requests with the core's rule and forwards everything else wry's delegate does
//! (in wry 0.57.1: the file-upload panel and new-window requests, which Tauri's
//! `on_new_window` answers) to it unchanged. A newer wry may add delegate methods: on
//! every wry upgrade, compare `wkwebview/class/wry_web_view_ui_delegate.rs` with this file.
//!
//! The web view holds the delegate only weakly, so the guard is tied to the web view's
//! life as an associated object; the guard holds wry's delegate strongly.

use std::ffi::c_void;
use std::ptr::null_mut;

use block2::DynBlock;
use objc2::rc::Retained;
use objc2::runtime::{AnyObject, NSObject, ProtocolObject};
use objc2::{define_class, msg_send, sel, DefinedClass, MainThreadMarker, MainThreadOnly};
use objc2_foundation::{NSArray, NSObjectProtocol, NSURL};
use objc2_web_kit::{
    WKFrameInfo, WKMediaCaptureType, WKNavigationAction, WKOpenPanelParameters,
    WKPermissionDecision, WKSecurityOrigin, WKUIDelegate, WKWebView, WKWebViewConfiguration,
    WKWindowFeatures,
};
use serene_core::media::{Request, Window};
use tauri::webview::PlatformWebview;

use super::MediaState;

pub(super) fn guard(webview: PlatformWebview, which: Window, running: MediaState) {
    let Some(mtm) = MainThreadMarker::new() else {
        tracing::warn!(window = ?which, "permission handler not installed: not on the main thread");
        return;
    };
    // SAFETY: Tauri hands us the window's live WKWebView (wry's subclass of it).
    let Some(view) = (unsafe { Retained::retain(webview.inner().cast::<WKWebView>()) }) else {
        tracing::warn!(window = ?which, "permission handler not installed: no web view");
        return;
    };
    let wry = unsafe { view.UIDelegate() };
    let guard = MediaGuard::new(
        mtm,
        Ivars {
            which,
            running,
            wry,
        },
    );
    unsafe {
        view.setUIDelegate(Some(ProtocolObject::from_ref(&*guard)));
        // The web view retains its guard (released with the web view).
        objc2::ffi::objc_setAssociatedObject(
            Retained::as_ptr(&view).cast_mut().cast::<AnyObject>(),
            (&GUARD_KEY as *const u8).cast::<c_void>(),
            Retained::as_ptr(&guard).cast_mut().cast::<AnyObject>(),
            objc2::ffi::OBJC_ASSOCIATION_RETAIN_NONATOMIC,
        );
    }
}

/// The associated-object key: its address is what matters.
static GUARD_KEY: u8 = 0;

struct Ivars {
    which: Window,
    running: MediaState,
    /// wry's delegate, for everything other than media.
    wry: Option<Retained<ProtocolObject<dyn WKUIDelegate>>>,
}

define_class!(
    #[unsafe(super(NSObject))]
    #[thread_kind = MainThreadOnly]
    #[name = "SereneMediaGuard"]
    #[ivars = Ivars]
    struct MediaGuard;

    unsafe impl NSObjectProtocol for MediaGuard {}

    unsafe impl WKUIDelegate for MediaGuard {
        #[unsafe(method(webView:requestMediaCapturePermissionForOrigin:initiatedByFrame:type:decisionHandler:))]
        fn request_media(
            &self,
            _view: &WKWebView,
            origin: &WKSecurityOrigin,
            _frame: &WKFrameInfo,
            kind: WKMediaCaptureType,
            decision_handler: &DynBlock<dyn Fn(WKPermissionDecision)>,
        ) {
            let ivars = self.ivars();
            let request = describe(kind);
            let requester = unsafe {
                super::origin_url(
                    &origin.protocol().to_string(),
                    &origin.host().to_string(),
                    origin.port() as i64,
                )
            };
            let decision =
                if super::decide(ivars.which, request, &requester, &ivars.running).allowed() {
                    WKPermissionDecision::Grant
                } else {
                    WKPermissionDecision::Deny
                };
            decision_handler.call((decision,));
        }

        #[unsafe(method(webView:runOpenPanelWithParameters:initiatedByFrame:completionHandler:))]
        fn run_open_panel(
            &self,
            view: &WKWebView,
            parameters: &WKOpenPanelParameters,
            frame: &WKFrameInfo,
            completion_handler: &DynBlock<dyn Fn(*mut NSArray<NSURL>)>,
        ) {
            match self.wry_for(
                sel!(webView:runOpenPanelWithParameters:initiatedByFrame:completionHandler:),
            ) {
                Some(wry) => unsafe {
                    wry.webView_runOpenPanelWithParameters_initiatedByFrame_completionHandler(
                        view,
                        parameters,
                        frame,
                        completion_handler,
                    )
                },
                // What WebKit does with no delegate method: as if the person cancelled.
                None => completion_handler.call((null_mut(),)),
            }
        }

        // `method_id`: the returned web view is handed back retained, as wry's is.
        #[unsafe(method_id(webView:createWebViewWithConfiguration:forNavigationAction:windowFeatures:))]
        fn create_web_view(
            &self,
            view: &WKWebView,
            configuration: &WKWebViewConfiguration,
            action: &WKNavigationAction,
            features: &WKWindowFeatures,
        ) -> Option<Retained<WKWebView>> {
            // No delegate method means no new window, which is what Tauri's handler says.
            self.wry_for(
                sel!(webView:createWebViewWithConfiguration:forNavigationAction:windowFeatures:),
            )
            .and_then(|wry| unsafe {
                wry.webView_createWebViewWithConfiguration_forNavigationAction_windowFeatures(
                    view,
                    configuration,
                    action,
                    features,
                )
            })
        }
    }
);

impl MediaGuard {
    fn new(mtm: MainThreadMarker, ivars: Ivars) -> Retained<Self> {
        let this = Self::alloc(mtm).set_ivars(ivars);
        unsafe { msg_send![super(this), init] }
    }

    /// wry's delegate, if it implements `selector`.
    fn wry_for(&self, selector: objc2::runtime::Sel) -> Option<&ProtocolObject<dyn WKUIDelegate>> {
        let wry = self.ivars().wry.as_deref()?;
        wry.respondsToSelector(selector).then_some(wry)
    }
}

fn describe(kind: WKMediaCaptureType) -> Request {
    match kind {
        WKMediaCaptureType::Camera => Request::Capture {
            camera: true,
            microphone: false,
        },
        WKMediaCaptureType::Microphone => Request::Capture {
            camera: false,
            microphone: true,
        },
        WKMediaCaptureType::CameraAndMicrophone => Request::Capture {
            camera: true,
            microphone: true,
        },
        _ => Request::Other,
    }
}
