//! Downloads are refused in every window (security issue 13, item 4), end to end in the
//! real app under Xvfb: each window's page asks WebKitGTK to download in the ways a page
//! can, and nothing may be saved under the app's home folder or in its working directory
//! (with no XDG download folder configured, WebKitGTK saves there: this test's own
//! directory). Run with `cargo test --features e2e --test download_e2e -- --test-threads=1`.
//!
//! Seen without the `on_download` handlers: the room window saved a same-origin attachment
//! (with and without `download`), an `<a download>` of its own page and of a blob: URL. The
//! main window saved nothing even then: blob: and data: links are refused by its navigation
//! guard, and WebKitGTK does not download an app asset over Tauri's scheme. On Linux wry
//! registers a download handler on the web context both windows share, so either window's
//! handler refuses the other's downloads too; on Windows and macOS each window has its own.
#![cfg(feature = "e2e")]

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::app::App;
use support::fakes::Fakes;
use support::flows::{launch_with, ready};
use thirtyfour::prelude::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PREFIX: &str = "serene-download-probe";

/// Links a page can offer: the text shown, the `href` (a JS expression), and whether the
/// link carries the `download` attribute.
type Link = (&'static str, &'static str, bool);

#[tokio::test(flavor = "multi_thread")]
async fn the_main_window_saves_nothing() {
    let app = App::launch(&[]).await;
    // blob: and data: links are also refused by the navigation guard, before any download.
    let links: &[Link] = &[
        ("an app asset", "'/index.html'", true),
        (
            "a blob: URL",
            "URL.createObjectURL(new Blob(['serene'], { type: 'text/plain' }))",
            true,
        ),
        ("a data: URL", "'data:text/plain,serene'", true),
    ];
    click_each(&app, links).await;
    app.by_text("button", "Get help now").await;
    app.quit().await;
}

/// The room page the test puts in the room's place, and a same-origin file it offers.
const ROOM_PAGE: &str =
    "<!doctype html><html><head><title>room</title></head><body><h1>room</h1></body></html>";

#[tokio::test(flavor = "multi_thread")]
async fn the_room_window_saves_nothing() {
    let room_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/room123"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ROOM_PAGE, "text/html"))
        .mount(&room_server)
        .await;
    Mock::given(method("GET"))
        .and(path("/notes.txt"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw("serene", "text/plain")
                .insert_header(
                    "Content-Disposition",
                    format!("attachment; filename=\"{PREFIX}-attachment.txt\""),
                ),
        )
        .mount(&room_server)
        .await;
    let room_url = format!("{}/room123", room_server.uri());
    let fakes = Fakes::start_with_room(&room_url).await;
    let (app, _opened) = launch_with(
        &fakes,
        &[
            ("SERENE_TEST_ROOM_ORIGIN", room_server.uri()),
            ("SERENE_TEST_ROOM_PRESENTATION", "window".into()),
        ],
    )
    .await;
    ready(&app).await;
    let main_window = app.driver.window().await.unwrap();
    // The start button's label depends on whether the main page sees WebRTC; either way
    // the session starts, and the room is then put in its window below.
    app.click("Start a session").await;
    app.wait_for_text("h1", "Start a face-to-face session")
        .await;
    app.click_xpath("//label[normalize-space()='15 minutes']/input")
        .await;
    app.click_xpath("//label[contains(normalize-space(), 'ready to use my camera')]/input")
        .await;
    app.click_xpath("//section[@aria-labelledby='start-title']//button[@type='submit']")
        .await;
    app.wait_for_text("h1", "Your session").await;
    // The page in the room's place: the Live screen asks `show_room`, and the core, told by
    // the e2e-only SERENE_TEST_ROOM_PRESENTATION, opens the room window on the stand-in.
    let room = find_window(&app, &room_url, &main_window).await;
    app.driver.switch_to_window(room).await.unwrap();

    let links: &[Link] = &[
        ("a same-origin attachment", "'/notes.txt'", false),
        (
            "a same-origin attachment, <a download>",
            "'/notes.txt'",
            true,
        ),
        ("the room page itself, <a download>", "'/room123'", true),
        (
            "a blob: URL",
            "URL.createObjectURL(new Blob(['serene'], { type: 'text/plain' }))",
            true,
        ),
    ];
    click_each(&app, links).await;
    app.quit().await;
}

/// Clicks each link through WebDriver, as a person would, and checks for a while that no
/// file was saved and that the window is still on its page.
async fn click_each(app: &App, links: &[Link]) {
    let start_url = app.page_url().await;
    // A download an earlier, failed run left behind (one may finish after its test ends).
    let _ = saved_files(app);
    for (index, &(link, href, download)) in links.iter().enumerate() {
        let name = format!("{PREFIX}-{index}.txt");
        let attribute = if download {
            format!("a.download = '{name}';")
        } else {
            String::new()
        };
        app.script(&format!(
            "const a = document.createElement('a'); a.id = 'download-probe';\
             a.href = {href}; {attribute} a.textContent = 'Download';\
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
            .unwrap_or_else(|error| panic!("{link}: the link could not be clicked: {error}"));
        // A local download takes milliseconds; give WebKit ample time to write one.
        let deadline = Instant::now() + Duration::from_secs(4);
        while Instant::now() < deadline {
            let saved = saved_files(app);
            assert!(saved.is_empty(), "{link}: the page saved {saved:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(
            app.page_url().await,
            start_url,
            "{link}: the window left its page"
        );
        app.script("document.getElementById('download-probe')?.remove(); return null;")
            .await;
    }
}

/// Files the test asked for (partial downloads included: WebKit writes `NAME.wkdownload`
/// first), anywhere under the app's home or directly in its working directory (the one it
/// inherits from this test through tauri-driver). Each is removed once seen.
fn saved_files(app: &App) -> Vec<std::path::PathBuf> {
    let here = std::env::current_dir().unwrap();
    let in_cwd = std::fs::read_dir(&here)
        .unwrap()
        .flatten()
        .map(|entry| entry.path());
    let found: Vec<_> = support::files_under(&app.desktop.home)
        .into_iter()
        .chain(in_cwd)
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(PREFIX))
        })
        .collect();
    for path in &found {
        let _ = std::fs::remove_file(path);
    }
    found
}

/// The WebDriver handle of the window showing `url`, leaving the driver on `home`.
async fn find_window(app: &App, url: &str, home: &WindowHandle) -> WindowHandle {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for handle in app.driver.windows().await.unwrap() {
            if &handle == home || app.driver.switch_to_window(handle.clone()).await.is_err() {
                continue;
            }
            let here = app
                .driver
                .execute("return window.location.href;", Vec::<Value>::new())
                .await
                .ok()
                .and_then(|r| r.json().as_str().map(str::to_owned))
                .unwrap_or_default();
            app.driver.switch_to_window(home.clone()).await.unwrap();
            if here == url {
                return handle;
            }
        }
        assert!(Instant::now() < deadline, "the room window never appeared");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
