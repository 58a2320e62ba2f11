//! Face-to-face sessions against a fake Tavus that follows the contract: the exact create
//! body, the journal before the room, ending on every path, hostile room URLs refused.

mod support;

use serde_json::{json, Value};
use serene_core::privacy::consent::CONSENT_VERSION;
use serene_core::provider::Provider;
use serene_core::service::{EndReason, Service, StartRequest};
use serene_core::ErrorCode;
use support::{dirs, gateway, key, FileStore, TAVUS_KEY};
use wiremock::matchers::{body_json, header, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn created(url: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "conversation_id": "c123abc",
        "conversation_name": "Serene session",
        "conversation_url": url,
        "status": "active",
        "callback_url": "",
        "created_at": "2026-11-23T05:00:00Z"
    }))
}

async fn ready(server: &MockServer, root: &std::path::Path) -> Service<FileStore> {
    support::mount_key_checks(server).await;
    let s = Service::new(
        FileStore(root.join("keychain.json")),
        gateway(&server.uri(), &server.uri()),
        dirs(root),
    )
    .confirming_with(serene_core::confirm::AcceptAll);
    s.give_consent(CONSENT_VERSION).unwrap();
    s.set_key(Provider::Tavus, &key(TAVUS_KEY)).await.unwrap();
    s.update_settings(
        serde_json::from_value(
            // A day's worth of minutes: these tests start many short sessions.
            json!({"tavusReplicaId": "r79e1c033f", "tavusPersonaId": "p5317866", "dailyVideoMinutes": 1440}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    s
}

fn request(topic: &str, minutes: u32) -> StartRequest {
    StartRequest::from_json(json!({"topic": topic, "minutes": minutes, "captions": true})).unwrap()
}

async fn mount_end(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path_regex(r"^/v2/conversations/[A-Za-z0-9_-]+/end$"))
        .respond_with(ResponseTemplate::new(200))
        .mount(server)
        .await;
}

fn ends(requests: &[wiremock::Request]) -> usize {
    requests
        .iter()
        .filter(|r| r.url.path().ends_with("/end"))
        .count()
}

#[tokio::test]
async fn start_sends_the_documented_request_and_end_ends_it() {
    let server = MockServer::start().await;
    let expected: Value = json!({
        "replica_id": "r79e1c033f",
        "persona_id": "p5317866",
        "conversation_name": "Serene session",
        "conversational_context": "Work has been hard.\nI can't sleep.",
        "custom_greeting": "Hello, I'm glad you're here. Take your time, and tell me whatever feels right to start with.",
        "properties": {
            "max_call_duration": 1800,
            "participant_left_timeout": 30,
            "participant_absent_timeout": 120,
            "enable_recording": false,
            "enable_closed_captions": true,
            "language": "English"
        }
    });
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .and(header("x-api-key", TAVUS_KEY))
        .and(body_json(&expected))
        .respond_with(created("https://tavus.daily.co/c123abc"))
        .expect(1)
        .mount(&server)
        .await;
    mount_end(&server).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;

    let started = s
        .start_video(request(
            "  Work has been hard.\r\nI can't sleep.\u{0007}  ",
            30,
        ))
        .await
        .unwrap();
    assert_eq!(
        s.active_session().unwrap().room_url.as_str(),
        "https://tavus.daily.co/c123abc"
    );
    // The page gets an id and times: the URL (and any meeting token) stays in the core.
    let answer = serde_json::to_value(&started).unwrap();
    assert_eq!(
        answer.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["conversationId", "endsAt", "startedAt"]
    );
    assert!(!answer.to_string().contains("daily.co"));
    assert_eq!(started.ends_at - started.started_at, 1800);
    assert_eq!(
        s.open_sessions().len(),
        1,
        "journaled before the room is shown"
    );
    assert!(s.active_session().is_some());

    s.end_video("c123abc", EndReason::EndedByPerson)
        .await
        .unwrap();
    assert!(s.open_sessions().is_empty() && s.active_session().is_none());
    assert_eq!(ends(&server.received_requests().await.unwrap()), 1);
    let kinds: Vec<String> = s
        .audit()
        .unwrap()
        .records
        .iter()
        .map(|r| {
            serde_json::to_value(&r.event).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(kinds[..2], ["session_ended", "session_started"]);
}

#[tokio::test]
async fn anonymous_sessions_send_no_context() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .respond_with(created("https://tavus.daily.co/c123abc"))
        .mount(&server)
        .await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;
    s.update_settings(serde_json::from_value(json!({"anonymousSessions": true})).unwrap())
        .await
        .unwrap();
    s.start_video(request("something private", 15))
        .await
        .unwrap();
    let sent: Value = serde_json::from_slice(
        &server
            .received_requests()
            .await
            .unwrap()
            .last()
            .unwrap()
            .body,
    )
    .unwrap();
    assert!(sent.get("conversational_context").is_none(), "{sent}");
    assert_eq!(sent["properties"]["max_call_duration"], 900);
}

#[tokio::test]
async fn hostile_room_urls_are_refused_and_the_conversation_ended() {
    for hostile in [
        "https://evil.test/c123abc",
        "http://tavus.daily.co/c123abc",
        "https://user@tavus.daily.co/c123abc",
        "https://tavus.daily.co:8443/c123abc",
        "javascript:alert(1)",
        "https://tavus.daily.co.evil.test/x",
        "https://evil.test/tavus.daily.co",
        "https://tavus.daily.co/../c123abc",
        "",
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v2/conversations"))
            .respond_with(created(hostile))
            .mount(&server)
            .await;
        mount_end(&server).await;
        let root = tempfile::tempdir().unwrap();
        let s = ready(&server, root.path()).await;
        let error = s.start_video(request("", 15)).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::RoomRefused, "{hostile}");
        assert!(!error.message.contains(hostile) || hostile.is_empty());
        assert_eq!(
            ends(&server.received_requests().await.unwrap()),
            1,
            "{hostile} not ended"
        );
        assert!(
            s.open_sessions().is_empty() && s.active_session().is_none(),
            "{hostile}"
        );
    }
}

#[tokio::test]
async fn inputs_and_consent_are_checked_before_anything_is_created() {
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;
    assert_eq!(
        s.start_video(request("", 20)).await.unwrap_err().code,
        ErrorCode::InvalidInput
    );
    let long = "a".repeat(2001);
    let error = s.start_video(request(&long, 15)).await.unwrap_err();
    assert!(error.message.contains("talk about"), "{}", error.message);
    assert!(StartRequest::from_json(json!({"minutes": 15, "extra": 1})).is_err());
    s.withdraw_consent().unwrap();
    assert_eq!(
        s.start_video(request("", 15)).await.unwrap_err().code,
        ErrorCode::NotAllowed
    );
    // Nothing but the key's live check when it was saved.
    assert!(server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .all(|r| r.url.path() == "/v2/replicas"));
}

#[tokio::test]
async fn a_sixth_start_in_five_minutes_is_refused_and_audited() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .respond_with(created("https://tavus.daily.co/c123abc"))
        .mount(&server)
        .await;
    mount_end(&server).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;
    for _ in 0..5 {
        s.start_video(request("", 15)).await.unwrap();
        s.end_active(EndReason::EndedByPerson).await.unwrap();
    }
    let error = s.start_video(request("", 15)).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert!(error.retry_after_seconds.unwrap() > 0);
    let newest = &s.audit().unwrap().records[0];
    assert_eq!(
        serde_json::to_value(&newest.event).unwrap()["kind"],
        "limit_refused"
    );
}

#[tokio::test]
async fn a_relaunch_ends_what_a_crash_left_open() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .respond_with(created("https://tavus.daily.co/c123abc"))
        .mount(&server)
        .await;
    mount_end(&server).await;
    let root = tempfile::tempdir().unwrap();
    {
        let s = ready(&server, root.path()).await;
        s.start_video(request("", 15)).await.unwrap();
        // The process dies here: nothing ends the session.
    }
    let relaunched = Service::new(
        FileStore(root.path().join("keychain.json")),
        gateway(&server.uri(), &server.uri()),
        dirs(root.path()),
    )
    .confirming_with(serene_core::confirm::AcceptAll);
    assert_eq!(relaunched.open_sessions().len(), 1);
    assert_eq!(relaunched.end_journaled(EndReason::StartupCleanup).await, 1);
    assert!(relaunched.open_sessions().is_empty());
    assert_eq!(ends(&server.received_requests().await.unwrap()), 1);
}

#[tokio::test]
async fn tavus_ending_the_call_is_noticed_by_polling() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .respond_with(created("https://tavus.daily.co/c123abc"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/conversations/c123abc"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"conversation_id": "c123abc", "status": "ended"})),
        )
        .mount(&server)
        .await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;
    s.start_video(request("", 15)).await.unwrap();
    assert!(s.video_status("c123abc").await.unwrap().ended);
    assert!(s.open_sessions().is_empty() && s.active_session().is_none());
}

#[tokio::test]
async fn concurrency_limit_offers_to_end_this_installs_stuck_sessions() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"message": "User has reached maximum concurrent conversations"}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"conversation_id": "cmine", "status": "active"}, {"conversation_id": "cother", "status": "active"}],
            "total_count": 2
        })))
        .mount(&server)
        .await;
    mount_end(&server).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;
    s.journal_add(serene_core::service::JournalEntry {
        conversation_id: "cmine".into(),
        started_at: 1,
        ended_at: None,
    })
    .unwrap();
    let error = s.start_video(request("", 15)).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::ConcurrencyLimit);
    assert_eq!(
        s.stuck_sessions().await.unwrap(),
        ["cmine"],
        "only this install's own"
    );
    assert_eq!(s.end_stuck_sessions().await.unwrap(), 1);
    let ended: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with("/end"))
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(ended, ["/v2/conversations/cmine/end"]);
}

#[tokio::test]
async fn check_my_setup_uses_test_mode() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .and(body_json(json!({
            "replica_id": "r79e1c033f",
            "persona_id": "p5317866",
            "conversation_name": "Serene setup check",
            "test_mode": true
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"conversation_id": "ctest", "status": "ended"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;
    assert!(s.check_video_setup().await.unwrap().contains("works"));
    assert!(
        s.journal().is_empty(),
        "a test-mode conversation costs nothing and is not journaled"
    );
}

#[tokio::test]
async fn only_journaled_conversations_can_be_ended() {
    let server = MockServer::start().await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;
    let error = s
        .end_video("someone-elses", EndReason::EndedByPerson)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::NotAllowed);
    assert!(server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .all(|r| !r.url.path().ends_with("/end")));
}

#[tokio::test]
async fn speech_and_voice_are_refused_while_a_video_session_runs() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations"))
        .respond_with(created("https://tavus.daily.co/c123abc?t=tok3n"))
        .mount(&server)
        .await;
    mount_end(&server).await;
    let root = tempfile::tempdir().unwrap();
    let s = ready(&server, root.path()).await;
    s.set_key(Provider::ElevenLabs, &key(support::ELEVEN_KEY))
        .await
        .ok();
    s.start_video(request("", 15)).await.unwrap();
    let preview =
        serene_core::voice::speech::SpeechText::from_json(json!({"kind": "preview"})).unwrap();
    let mut chunks = 0;
    let spoken = s.speak(preview, |_| {
        chunks += 1;
        true
    });
    assert_eq!(spoken.await.unwrap_err().code, ErrorCode::SessionInProgress);
    assert_eq!(chunks, 0);
    let voice = serene_core::service::VoiceStartRequest::from_json(json!({"minutes": 15})).unwrap();
    assert_eq!(
        s.start_voice(voice, |_| {}).await.unwrap_err().code,
        ErrorCode::SessionInProgress
    );
    assert_eq!(
        s.send_voice_audio(&[0; 3200]).unwrap_err().code,
        ErrorCode::SessionInProgress
    );
    let before = server.received_requests().await.unwrap().len();
    s.end_video("c123abc", EndReason::EndedByPerson)
        .await
        .unwrap();
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        before + 1,
        "only the end reached upstream"
    );
    // Once it has ended, speech is no longer refused for the session's sake.
    let preview =
        serene_core::voice::speech::SpeechText::from_json(json!({"kind": "preview"})).unwrap();
    let after = s.speak(preview, |_| true).await;
    assert_ne!(
        after.err().map(|e| e.code),
        Some(ErrorCode::SessionInProgress)
    );
}
