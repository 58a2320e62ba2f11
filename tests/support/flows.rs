//! Steps several end-to-end tests share, done through the UI as a person would.

use thirtyfour::prelude::*;

use super::app::App;
use super::fakes::{self, Fakes};

/// Launches the app against `fakes`, recording what it hands the system browser in the
/// returned file; `extra` adds environment variables (later ones win). The room goes to
/// the (recorded) default browser unless `extra` says otherwise: no app window.
pub async fn launch_with(
    fakes: &Fakes,
    extra: &[(&'static str, String)],
) -> (App, tempfile::NamedTempFile) {
    let opened_log = tempfile::NamedTempFile::new().unwrap();
    let mut env = fakes.env();
    env.push((
        "SERENE_TEST_OPENED_LOG",
        opened_log.path().display().to_string(),
    ));
    env.push(("SERENE_TEST_APP_BROWSER", "none".into()));
    env.extend(extra.iter().cloned());
    (App::launch(&env).await, opened_log)
}

/// Consent, a Tavus key and a chosen replica: ready for a session.
pub async fn ready(app: &App) {
    app.agree_to_consent().await;
    app.type_into("Tavus API key", fakes::TAVUS_KEY).await;
    app.click_xpath("//section[h2='Tavus']//button[normalize-space()='Save key']")
        .await;
    app.wait_for_contains("Checked and working").await;
    app.choose("Therapist's face (Tavus replica)", "Anna").await;
    app.wait_for_contains("Saved.").await;
    app.click("Home").await;
    app.wait_for_text("h1", "Welcome to Serene").await;
}

pub async fn start_session(app: &App, topic: &str) {
    app.click("Start a session").await;
    app.wait_for_text("h1", "Start a face-to-face session")
        .await;
    if !topic.is_empty() {
        app.driver
            .find(By::Id("topic"))
            .await
            .unwrap()
            .send_keys(topic)
            .await
            .unwrap();
    }
    app.click_xpath("//label[normalize-space()='15 minutes']/input")
        .await;
    app.click_xpath("//label[contains(normalize-space(), 'ready to use my camera')]/input")
        .await;
    // "Start and open in your browser", or "Start session" where the room gets a window.
    // Once enabled: the settings (the chosen therapist) arrive after the screen does.
    app.click_xpath(
        "//form[contains(@class, 'session-form')]//button[@type='submit' and not(@disabled)]",
    )
    .await;
}

/// Saves the fake ElevenLabs key on the setup screen and waits for its live check.
pub async fn save_eleven_key(app: &App) {
    app.type_into("ElevenLabs API key", fakes::ELEVEN_KEY).await;
    app.click_xpath("//section[h2='ElevenLabs']//button[normalize-space()='Save key']")
        .await;
    app.wait_for_contains("Checked and working").await;
}
