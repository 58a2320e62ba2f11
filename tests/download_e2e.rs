//! Downloads are refused (security issue 13, item 4), end to end in the real app under
//! Xvfb: the main page asks WebKitGTK to download in each way a page can, and nothing may
//! be saved anywhere under the app's home folder (WebKitGTK's default destination is the
//! XDG download folder, else the home folder itself). Run with
//! `cargo test --features e2e --test download_e2e -- --test-threads=1`.
#![cfg(feature = "e2e")]

mod support;

use std::time::{Duration, Instant};

use support::app::App;
use thirtyfour::prelude::*;

/// Each link a page can offer for download, by its `href` (an expression).
const VECTORS: &[(&str, &str)] = &[
    ("an app asset", "'/index.html'"),
    (
        "a blob: URL",
        "URL.createObjectURL(new Blob(['serene'], { type: 'text/plain' }))",
    ),
    ("a data: URL", "'data:text/plain,serene'"),
];

const PREFIX: &str = "serene-download-probe";

#[tokio::test(flavor = "multi_thread")]
async fn no_page_can_save_a_file() {
    let app = App::launch(&[]).await;
    let start_url = app.page_url().await;

    for (index, (vector, href)) in VECTORS.iter().enumerate() {
        // An `<a download>`, clicked through WebDriver as a person would.
        let name = format!("{PREFIX}-{index}.txt");
        app.script(&format!(
            "const a = document.createElement('a'); a.id = 'download-probe';\
             a.href = {href}; a.download = '{name}'; a.textContent = 'Download';\
             a.style = 'position:fixed;top:0;left:0;z-index:9999;background:#fff';\
             document.body.append(a); return null;"
        ))
        .await;
        app.driver
            .find(By::Id("download-probe"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap_or_else(|error| panic!("{vector}: the link could not be clicked: {error}"));
        // A local download takes milliseconds; give WebKit ample time to write one.
        let deadline = Instant::now() + Duration::from_secs(4);
        while Instant::now() < deadline {
            let saved = saved_files(&app);
            assert!(saved.is_empty(), "{vector}: the page saved {saved:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(
            app.page_url().await,
            start_url,
            "{vector}: the main window navigated away"
        );
        app.script("document.getElementById('download-probe')?.remove(); return null;")
            .await;
    }

    // Still the app.
    app.by_text("button", "Get help now").await;
    app.quit().await;
}

/// Files under the app's home whose name is one the test asked for (partial downloads
/// included: WebKit writes `NAME.wkdownload` first).
fn saved_files(app: &App) -> Vec<std::path::PathBuf> {
    support::files_under(&app.desktop.home)
        .into_iter()
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(PREFIX))
        })
        .collect()
}
