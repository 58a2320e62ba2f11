//! A script in the main page, as an attacker with script there would run it (a hostile
//! dependency, an injection through a provider-supplied name): it tries to swap the
//! person's accounts, burn their quota, flood the audit log and read the room's join token,
//! all through the page's own IPC, and gets nothing it wants.
#![cfg(feature = "e2e")]

mod support;

use std::time::Duration;

use serde_json::Value;
use support::app::App;
use support::fakes::{self, Fakes};
use support::flows::{launch_with, save_eleven_key};
use support::speech_fake::SpeechFake;

/// Calls a command from the page as any script there could, answering the result or the
/// error the core sent.
async fn invoke(app: &App, command: &str, args: &str) -> Value {
    app.script_async(&format!(
        "try {{ return {{ ok: await window.__TAURI_INTERNALS__.invoke('{command}', {args}) }}; }} \
         catch (error) {{ return {{ error }}; }}"
    ))
    .await
}

fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("(none)")
}

/// A channel id for commands that stream (speak), made the way Tauri's own `Channel` does.
const CHANNEL: &str = "'__CHANNEL__:' + window.__TAURI_INTERNALS__.transformCallback(() => {})";

#[tokio::test(flavor = "multi_thread")]
async fn a_script_in_the_page_cannot_swap_accounts_burn_quota_or_hide_its_traces() {
    let fakes = Fakes::start().await;
    let speech = SpeechFake::start().await;
    let answers = tempfile::NamedTempFile::new().unwrap();
    let questions = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(answers.path(), "accept").unwrap();
    let (app, _opened) = launch_with(
        &fakes,
        &[
            ("SERENE_ELEVENLABS_BASE_URL", speech.url.clone()),
            (
                "SERENE_TEST_CONFIRM_FILE",
                answers.path().display().to_string(),
            ),
            (
                "SERENE_TEST_CONFIRM_LOG",
                questions.path().display().to_string(),
            ),
        ],
    )
    .await;

    // The person sets up: agrees, saves their key (checked, then confirmed by them), picks a
    // voice, and lowers the daily speech limit (lowering needs no confirmation).
    app.agree_to_consent().await;
    save_eleven_key(&app).await;
    app.choose("Voice (ElevenLabs)", "Rachel").await;
    app.wait_for_contains("Saved.").await;
    let asked = std::fs::read_to_string(questions.path()).unwrap();
    assert!(
        asked.contains("ElevenLabs")
            && asked.contains(&fakes::ELEVEN_KEY[fakes::ELEVEN_KEY.len() - 4..]),
        "the key was saved without the person confirming it: {asked:?}"
    );
    let lowered = invoke(
        &app,
        "update_settings",
        "{ patch: { dailySpeechCharacters: 300 } }",
    )
    .await;
    assert!(lowered.get("ok").is_some(), "{lowered}");

    // From here the person would say no to anything they did not ask for.
    std::fs::write(answers.path(), "refuse").unwrap();

    // 1. Swapping the person's account: remove their key, save the attacker's, point the
    //    voice agent at the attacker's agent. Each needs the person, outside the page.
    let removed = invoke(&app, "remove_api_key", "{ provider: 'elevenlabs' }").await;
    assert_eq!(code(&removed), "not_confirmed", "{removed}");
    let swapped = invoke(
        &app,
        "set_api_key",
        &format!("{{ provider: 'elevenlabs', key: '{}' }}", fakes::ELEVEN_KEY),
    )
    .await;
    assert_eq!(code(&swapped), "not_confirmed", "{swapped}");
    let agent = invoke(
        &app,
        "update_settings",
        "{ patch: { elevenlabsAgentId: 'agent_01attacker' } }",
    )
    .await;
    assert_eq!(code(&agent), "not_confirmed", "{agent}");
    let anonymous_off = invoke(
        &app,
        "update_settings",
        "{ patch: { anonymousSessions: true } }",
    )
    .await;
    assert!(
        anonymous_off.get("ok").is_some(),
        "turning privacy on is free: {anonymous_off}"
    );
    let anonymous_off = invoke(
        &app,
        "update_settings",
        "{ patch: { anonymousSessions: false } }",
    )
    .await;
    assert_eq!(code(&anonymous_off), "not_confirmed", "{anonymous_off}");
    let status = invoke(&app, "key_status", "{ provider: 'elevenlabs' }").await;
    assert_eq!(status["ok"]["configured"], true, "{status}");
    let settings = invoke(&app, "get_settings", "{}").await;
    assert!(settings["ok"]["elevenlabsAgentId"].is_null(), "{settings}");

    // 2. Burning the quota: raise the limit, speak a long typed text, speak until refused.
    let raised = invoke(
        &app,
        "update_settings",
        "{ patch: { dailySpeechCharacters: 1000000 } }",
    )
    .await;
    assert_eq!(code(&raised), "not_confirmed", "{raised}");
    let long = invoke(
        &app,
        "speak",
        &format!("{{ request: {{ kind: 'typed', text: 'x'.repeat(600) }}, onAudio: {CHANNEL} }}"),
    )
    .await;
    assert_eq!(code(&long), "spending_limit", "{long}");
    let mut refused = None;
    for step in 0..8 {
        let answer = invoke(
            &app,
            "speak",
            &format!(
                "{{ request: {{ kind: 'exercise_step', exercise: 'box-breathing', step: {} }}, onAudio: {CHANNEL} }}",
                step % 2
            ),
        )
        .await;
        if answer.get("error").is_some() {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("speech went on past the daily limit");
    assert_eq!(code(&refused), "spending_limit", "{refused}");
    let spoken: usize = speech
        .streams()
        .iter()
        .map(|s| s.text.chars().count())
        .sum();
    assert!(
        spoken <= 300,
        "ElevenLabs was asked for {spoken} characters, past the 300 allowed"
    );

    // 3. Hiding it: flood the audit log with cheap audited commands. They are limited, and
    //    the key events stay listed whatever comes after them.
    let flood = app
        .script_async(
            "const { requiredVersion } = await window.__TAURI_INTERNALS__.invoke('get_consent'); \
             let refused = 0; \
             for (let i = 0; i < 300; i++) { \
               try { await window.__TAURI_INTERNALS__.invoke('give_consent', { version: requiredVersion }); } \
               catch (e) { if (e.code === 'rate_limited') refused++; } \
               try { await window.__TAURI_INTERNALS__.invoke('withdraw_consent'); } \
               catch (e) { if (e.code === 'rate_limited') refused++; } \
             } \
             return refused;",
        )
        .await;
    assert!(
        flood.as_i64().unwrap_or(0) > 550,
        "only {flood} of 600 refused"
    );
    let audit = invoke(&app, "audit_log", "{}").await;
    let pinned = audit["ok"]["pinned"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        pinned.iter().any(|r| r["event"]["kind"] == "key_saved"),
        "the key event fell out of sight: {audit}"
    );
    assert!(
        audit["ok"]["records"].as_array().map_or(0, Vec::len) < 60,
        "the flood wrote {} records",
        audit["ok"]["records"].as_array().map_or(0, Vec::len)
    );
    assert_eq!(audit["ok"]["check"]["intact"], true);

    tokio::time::sleep(Duration::from_millis(100)).await;
    app.quit().await;
}
