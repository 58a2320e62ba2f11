//! Voice end to end in the real app (e2e build) against a loopback ElevenLabs that streams
//! speech slowly: a voice preview, a guided exercise with progress, pause and stop, the
//! quota shown and its exhaustion handled, and every stream request closed afterwards.
#![cfg(feature = "e2e")]

mod support;

use std::time::{Duration, Instant};

use support::app::App;
use support::fakes::Fakes;
use support::flows::{launch_with, save_eleven_key};
use support::speech_fake::{Ended, SpeechFake};
use thirtyfour::prelude::*;

async fn received_bytes(app: &App) -> u64 {
    app.driver
        .find(By::Css("[data-received-bytes]"))
        .await
        .unwrap()
        .attr("data-received-bytes")
        .await
        .unwrap()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn progress_value(app: &App) -> f64 {
    app.driver
        .find(By::Css("progress[aria-label='Exercise progress']"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn wait_until_stream_ends(fake: &SpeechFake, index: usize) -> Ended {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ended = fake.streams().get(index).map_or(Ended::Open, |s| s.ended);
        if ended != Ended::Open {
            return ended;
        }
        assert!(Instant::now() < deadline, "stream {index} was left open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn preview_an_exercise_with_progress_and_stop_and_a_used_up_quota() {
    let fakes = Fakes::start().await;
    let speech = SpeechFake::start().await;
    let (app, _opened) = launch_with(
        &fakes,
        &[("SERENE_ELEVENLABS_BASE_URL", speech.url.clone())],
    )
    .await;
    app.agree_to_consent().await;

    // Key, then a voice, then its preview: the fixed sentence, streamed through the core.
    save_eleven_key(&app).await;
    app.choose("Voice (ElevenLabs)", "Rachel").await;
    app.wait_for_contains("Saved.").await;
    app.wait_for_contains("characters this period").await;
    app.screenshot("voice-settings-usage");
    let usage = app
        .driver
        .find(By::Css(".usage"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let digits: String = usage
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ' ')
        .collect();
    assert!(
        digits.contains("1200") && digits.contains("28800") && digits.contains("30000"),
        "usage shows {usage:?}"
    );
    app.click("Preview voice").await;
    app.wait_for_contains("Playing a short sample").await;
    assert_eq!(wait_until_stream_ends(&speech, 0).await, Ended::Finished);
    let preview = &speech.streams()[0];
    assert!(preview.text.starts_with("Hello. I'm here with you."));
    assert!(preview
        .path
        .contains("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream"));
    assert!(preview.path.contains("enable_logging=false"));

    // The exercise list shows what each costs before it plays.
    app.click("Continue to Serene").await;
    app.click("Open exercises").await;
    app.wait_for_text("h1", "Guided exercises").await;
    app.wait_for_contains("Uses about").await;
    app.screenshot("exercises-list");

    // Box breathing: audio reaches the page while the fake is still sending.
    app.click("Begin Box breathing").await;
    app.wait_for_contains("Step 1 of 5").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while received_bytes(&app).await == 0 {
        assert!(Instant::now() < deadline, "no audio reached the page");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        speech.streams()[1].ended,
        Ended::Open,
        "the first chunk should reach the page before the fake finishes sending"
    );

    // The breathing step, with its visual; pausing holds the progress.
    app.click("Next step").await;
    app.wait_for_contains("Step 2 of 5").await;
    app.wait_for_contains("Breathe in").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.screenshot("exercise-breathing");
    app.click("Pause").await;
    let held = progress_value(&app).await;
    assert!(held > 14.0, "progress {held} did not move on from step 1");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        progress_value(&app).await,
        held,
        "progress moved while paused"
    );
    app.click("Resume").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(progress_value(&app).await > held);

    // Stop ends the step's speech upstream at once.
    app.click("Stop").await;
    app.wait_for_text("h1", "Guided exercises").await;
    let streams = speech.streams();
    let breathing = streams.len() - 1;
    assert!(streams[breathing].text.starts_with("Breathe in gently"));
    assert_ne!(
        wait_until_stream_ends(&speech, breathing).await,
        Ended::Open
    );

    // The quota runs out: a clear message and a clean stop.
    speech.use_up_quota();
    app.click("Begin Short body scan").await;
    app.wait_for_contains("quota").await;
    let alert = app
        .driver
        .find(By::XPath(
            "//*[@role='alert'][contains(., 'quota') or contains(., 'credits')]",
        ))
        .await;
    assert!(alert.is_ok(), "the quota message is not an alert");
    app.screenshot("exercise-quota-used-up");
    app.click("Back to exercises").await;

    // Every speech request the app made has ended; none is still streaming.
    for (i, stream) in speech.streams().iter().enumerate() {
        assert_ne!(
            stream.ended,
            Ended::Open,
            "stream {i} ({}) left open",
            stream.path
        );
    }
    app.assert_no_csp_violations().await;
    app.quit().await;
}
