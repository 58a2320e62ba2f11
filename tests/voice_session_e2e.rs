//! A voice-only conversation end to end: the real app (e2e build, WebKitGTK's synthetic
//! microphone) against a fake ElevenLabs agent websocket. Relay both ways, ping/pong, a
//! wrong agent id, the socket dropping, and a clean
//! close on End and on closing the window; the fake's log proves every socket closed.
//! (WebKit grants its synthetic microphone without asking, so the microphone gate itself
//! is unit-tested in `permissions.rs`, not here.)
#![cfg(feature = "e2e")]

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use support::agent_fake::{AgentFake, SocketEnd, AGENT_ID, GREETING};
use support::app::App;
use support::fakes::Fakes;
use support::flows::{launch_with, save_eleven_key};
use support::speech_fake::SpeechFake;
use thirtyfour::prelude::*;

async fn wait_for(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn set_agent(app: &App, id: &str) {
    app.click("Settings").await;
    let field = app.driver.find(By::Id("agent-id")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(id).await.unwrap();
    app.click("Save agent").await;
    app.wait_for_contains("Saved.").await;
    app.click("Home").await;
    app.wait_for_text("h1", "Welcome to Serene").await;
}

async fn start_conversation(app: &App) {
    app.click("Start talking").await;
    app.wait_for_text("h1", "Voice conversation").await;
    app.click("Start the conversation").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_voice_conversation_relays_both_ways_and_always_closes() {
    let fakes = Fakes::start().await;
    let speech = SpeechFake::start().await;
    let agent = AgentFake::start().await;
    speech.serve_agent(agent.signed_url());
    let (app, _opened) = launch_with(
        &fakes,
        &[
            ("SERENE_ELEVENLABS_BASE_URL", speech.url.clone()),
            ("SERENE_TEST_MOCK_MICROPHONE", "1".into()),
        ],
    )
    .await;
    app.agree_to_consent().await;
    save_eleven_key(&app).await;
    app.click("Continue to Serene").await;

    // A wrong agent id: a clear message, and no socket was opened.
    set_agent(&app, "agent_does_not_exist").await;
    start_conversation(&app).await;
    app.wait_for_contains("does not know that agent id").await;
    assert!(agent.sockets().is_empty());

    // The real conversation: greeting and audio in, microphone frames out, ping answered.
    set_agent(&app, AGENT_ID).await;
    start_conversation(&app).await;
    app.wait_for_contains(GREETING).await;
    let log = agent.log.clone();
    wait_for("no microphone audio reached the agent", 20, || {
        log.audio_chunks.load(Ordering::SeqCst) >= 5
    })
    .await;
    app.wait_for_contains("I had a long week.").await;
    // The greeting was corrected to what the agent actually said before the interruption.
    let text = app.script("return document.body.innerText").await;
    assert!(
        !text.as_str().unwrap_or_default().contains("more to say"),
        "{text}"
    );
    app.wait_for_contains("That sounds tiring. Tell me more.")
        .await;
    assert_eq!(*agent.log.pongs.lock().unwrap(), vec![42]);
    // The agent's client tool call was answered, as an error: Serene runs no tools.
    let results = agent.log.tool_results.lock().unwrap().clone();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["tool_call_id"], "tool_call_1");
    assert_eq!(results[0]["is_error"], true);
    assert_eq!(
        agent.log.first_message.lock().unwrap().as_ref().unwrap()["type"],
        "conversation_initiation_client_data"
    );
    // 100 ms frames of 16 kHz 16-bit mono.
    let (chunks, bytes) = (
        agent.log.audio_chunks.load(Ordering::SeqCst),
        agent.log.audio_bytes.load(Ordering::SeqCst),
    );
    assert_eq!(bytes, chunks * 3_200, "frames are not 100 ms of 16 kHz PCM");
    app.wait_for_contains("Time left: 14:").await;
    app.screenshot("voice-session-live");

    // End: a clean close (1000), the transcript gone, and the microphone refused again.
    app.click("End conversation").await;
    app.wait_for_contains("You ended the conversation.").await;
    wait_for("the socket was not closed on End", 10, || {
        agent.sockets()[0] != SocketEnd::Open
    })
    .await;
    assert_eq!(agent.sockets()[0], SocketEnd::ClosedByApp(1000));
    assert!(!app
        .driver
        .source()
        .await
        .unwrap()
        .contains("I had a long week."));

    // The agent drops the socket mid-session: a clear message and a clean stop.
    agent.drop_next_socket();
    start_conversation(&app).await;
    app.wait_for_contains(GREETING).await;
    app.wait_for_contains("connection").await;
    let alert = app.driver.find(By::Css("[role='alert']")).await.unwrap();
    let message = alert.text().await.unwrap();
    assert!(
        !message.contains("ws://") && !message.contains("signature"),
        "{message}"
    );
    app.screenshot("voice-session-dropped");
    assert_eq!(agent.sockets()[1], SocketEnd::DroppedByFake);
    app.wait_for_text("button", "Start the conversation").await;

    // Closing the window mid-session closes the socket cleanly too.
    app.click("Start the conversation").await;
    app.wait_for_contains(GREETING).await;
    app.desktop.close_window("Serene");
    wait_for("closing the window left the socket open", 15, || {
        agent
            .sockets()
            .get(2)
            .is_some_and(|s| *s != SocketEnd::Open)
    })
    .await;
    assert_eq!(agent.sockets()[2], SocketEnd::ClosedByApp(1000));
    assert_eq!(agent.sockets().len(), 3);
    app.quit().await;
}
