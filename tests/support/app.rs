//! Drives the real Serene binary through tauri-driver, as a person would: by visible text
//! and accessible names.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use thirtyfour::prelude::*;

use super::desktop::Desktop;

pub struct App {
    pub driver: WebDriver,
    // Declared last so the desktop (and with it every process) outlives the driver.
    pub desktop: Desktop,
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_serene")
}

impl App {
    pub async fn launch(app_env: &[(&str, String)]) -> App {
        let desktop = Desktop::start(app_env);
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": binary() }));
        let driver = WebDriver::new(desktop.driver_url.clone(), caps)
            .await
            .expect("tauri-driver did not start a session with the app");
        let app = App { driver, desktop };
        // The first screen is home, or setup on a first run; the help entry is on both.
        app.wait_for_text("button", "Get help now").await;
        app.wait_for_any_h1().await;
        app
    }

    /// Starts the app again on the same desktop (same home, keychain and driver), as
    /// after a crash.
    pub async fn relaunch(self) -> App {
        let App { driver, desktop } = self;
        drop(driver);
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": binary() }));
        let driver = WebDriver::new(desktop.driver_url.clone(), caps)
            .await
            .expect("tauri-driver did not start a second session");
        let app = App { driver, desktop };
        app.wait_for_text("button", "Get help now").await;
        app
    }

    pub async fn quit(self) {
        let App { driver, desktop } = self;
        let _ = driver.quit().await;
        drop(desktop);
    }

    pub async fn script(&self, body: &str) -> Value {
        self.driver
            .execute(body, Vec::<Value>::new())
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{body}"))
            .json()
            .clone()
    }

    /// Runs `body` as an async function in the page and returns what it resolves to.
    pub async fn script_async(&self, body: &str) -> Value {
        let wrapped = format!(
            "const done = arguments[arguments.length - 1];\
             (async () => {{ {body} }})().then(done, (e) => done({{ scriptError: String(e) }}));"
        );
        self.driver
            .execute_async(wrapped, Vec::<Value>::new())
            .await
            .unwrap_or_else(|error| panic!("async script failed: {error}\n{body}"))
            .json()
            .clone()
    }

    /// Finds an element of `tag` whose visible text is exactly `text`.
    pub async fn by_text(&self, tag: &str, text: &str) -> WebElement {
        self.driver
            .find(By::XPath(format!("//{tag}[normalize-space()=\"{text}\"]")))
            .await
            .unwrap_or_else(|_| panic!("no <{tag}> with text {text:?}"))
    }

    async fn wait_for_any_h1(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.driver.find(By::Css("main h1")).await.is_err() {
            assert!(Instant::now() < deadline, "no screen ever appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Agrees on the consent screen and waits for the next screen.
    pub async fn agree_to_consent(&self) {
        self.wait_for_text("h1", "Before you begin").await;
        self.click("I understand and agree").await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.heading().await == "Before you begin" {
            assert!(
                Instant::now() < deadline,
                "agreeing did not leave the consent screen"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Text of the first `main h1`.
    /// Clicks the first element matching `xpath`, retrying while the page re-renders (a
    /// found element can go stale before the click lands).
    pub async fn click_xpath(&self, xpath: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let clicked = match self.driver.find(By::XPath(xpath.to_string())).await {
                Ok(element) => element.click().await.is_ok(),
                Err(_) => false,
            };
            if clicked {
                return;
            }
            assert!(Instant::now() < deadline, "could not click {xpath}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks a button by its accessible name (aria-label, else visible text).
    pub async fn click(&self, name: &str) {
        self.click_xpath(&format!(
            "//button[@aria-label=\"{name}\" or (not(@aria-label) and normalize-space()=\"{name}\")]"
        ))
        .await;
    }

    /// Empty while the screen is changing (the heading may vanish between find and read).
    pub async fn heading(&self) -> String {
        match self.driver.find(By::Css("main h1")).await {
            Ok(h1) => h1.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Types into the input labelled by `<label for>` with exactly `label`.
    pub async fn type_into(&self, label: &str, text: &str) {
        let label = self.by_text("label", label).await;
        let id = label
            .attr("for")
            .await
            .unwrap()
            .expect("label without for=");
        let input = self.driver.find(By::Id(id)).await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    /// Waits until some element's text contains `text`.
    pub async fn wait_for_contains(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self
                .driver
                .find(By::XPath(format!(
                    "//*[contains(normalize-space(), \"{text}\")]"
                )))
                .await;
            if found.is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "{text:?} never appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Picks the option with visible text `option` in the select labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        let select = self
            .driver
            .find(By::XPath(format!(
                "//label[span[normalize-space()=\"{label}\"]]//select"
            )))
            .await
            .unwrap_or_else(|_| panic!("no picker labelled {label:?}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(choice) = select
                .find(By::XPath(format!(
                    ".//option[normalize-space()=\"{option}\"]"
                )))
                .await
            {
                if select.is_enabled().await.unwrap_or(false) && choice.click().await.is_ok() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{label}: option {option:?} never appeared"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_for_text(&self, tag: &str, text: &str) -> WebElement {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self
                .driver
                .find(By::XPath(format!("//{tag}[normalize-space()=\"{text}\"]")))
                .await;
            match found {
                Ok(element) if element.is_displayed().await.unwrap_or(false) => return element,
                _ if Instant::now() > deadline => panic!("<{tag}> {text:?} never appeared"),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Every CSP violation the page has reported since it loaded. Panics if the watcher is
    /// missing, so a broken watcher cannot pass for a clean page.
    pub async fn csp_violations(&self) -> Vec<Value> {
        let seen = self
            .script("return window.__sereneCspViolations ?? null;")
            .await;
        seen.as_array()
            .expect("the page's CSP violation watcher is not running")
            .clone()
    }

    pub async fn assert_no_csp_violations(&self) {
        let seen = self.csp_violations().await;
        assert!(
            seen.is_empty(),
            "the page reported CSP violations: {seen:?}"
        );
    }

    pub async fn page_url(&self) -> String {
        self.script("return window.location.href;")
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn screenshot(&self, name: &str) {
        self.desktop.screenshot(name);
    }
}
