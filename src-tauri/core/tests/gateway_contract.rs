//! Contract tests: every Tavus and ElevenLabs call against a local fake that follows
//! `shared/contracts/`, asserting method, path, query, auth header and JSON body exactly.

mod support;

use serde_json::json;
use serene_core::gateway::elevenlabs::{ElevenLabs, SpeechRequest};
use serene_core::gateway::tavus::{
    ConversationProperties, ConversationStatus, CreateConversation, Tavus,
};
use serene_core::ErrorCode;
use support::{gateway, key, ELEVEN_KEY, TAVUS_KEY};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn conversation_json() -> serde_json::Value {
    json!({
        "conversation_id": "c123abc",
        "conversation_name": "Serene session",
        "conversation_url": "https://tavus.daily.co/c123abc",
        "status": "active",
        "callback_url": "",
        "created_at": "2026-11-23T05:00:00Z"
    })
}

#[tokio::test]
async fn tavus_create_conversation_sends_exactly_the_documented_body() {
    let server = MockServer::start().await;
    let expected = json!({
        "replica_id": "r79e1c033f",
        "persona_id": "p5317866",
        "conversational_context": "I'd like to talk about sleep.",
        "custom_greeting": "Hello, I'm glad you're here.",
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
        .and(header("content-type", "application/json"))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(conversation_json()))
        .expect(1)
        .mount(&server)
        .await;
    let gw = gateway(&server.uri(), &server.uri());
    let k = key(TAVUS_KEY);
    let request = CreateConversation {
        replica_id: Some("r79e1c033f".into()),
        persona_id: Some("p5317866".into()),
        conversational_context: Some("I'd like to talk about sleep.".into()),
        custom_greeting: Some("Hello, I'm glad you're here.".into()),
        properties: Some(ConversationProperties {
            max_call_duration: Some(1800),
            participant_left_timeout: Some(30),
            participant_absent_timeout: Some(120),
            enable_recording: Some(false),
            enable_closed_captions: Some(true),
            language: Some("English".into()),
        }),
        ..Default::default()
    };
    let created = Tavus::new(&gw, &k)
        .create_conversation(&request)
        .await
        .unwrap();
    assert_eq!(created.conversation_id, "c123abc");
    assert_eq!(
        created.conversation_url.as_deref(),
        Some("https://tavus.daily.co/c123abc")
    );
}

#[tokio::test]
async fn tavus_get_list_end_delete_and_catalogues() {
    let server = MockServer::start().await;
    let auth = || header("x-api-key", TAVUS_KEY);
    Mock::given(method("GET"))
        .and(path("/v2/conversations/c123abc"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(conversation_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/conversations"))
        .and(query_param("status", "active"))
        .and(query_param("page", "1"))
        .and(query_param("limit", "20"))
        .and(auth())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [conversation_json()], "total_count": 1})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/conversations/c123abc/end"))
        .and(auth())
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // Ending twice is undocumented: a bare 400, which the client must check with a GET.
    Mock::given(method("POST"))
        .and(path("/v2/conversations/c999old/end"))
        .and(auth())
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/conversations/c999old"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "conversation_id": "c999old", "conversation_name": "Serene session",
            "conversation_url": "https://tavus.daily.co/c999old", "status": "ended",
            "callback_url": "", "created_at": "2026-11-23T05:00:00Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v2/conversations/c123abc"))
        .and(query_param("hard", "true"))
        .and(auth())
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/replicas"))
        .and(query_param("limit", "50"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"replica_id": "r79e1c033f", "replica_name": "Anna", "status": "completed"}],
            "total_count": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/personas"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"persona_id": "p5317866", "persona_name": "Supportive listener", "default_replica_id": "r79e1c033f"}],
            "total_count": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/replicas"))
        .and(query_param("limit", "1"))
        .and(auth())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "total_count": 0})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let gw = gateway(&server.uri(), &server.uri());
    let k = key(TAVUS_KEY);
    let tavus = Tavus::new(&gw, &k);
    assert_eq!(
        tavus
            .get_conversation("c123abc")
            .await
            .unwrap()
            .status
            .as_deref(),
        Some("active")
    );
    let active = tavus
        .list_conversations(Some(ConversationStatus::Active), 1, 20)
        .await
        .unwrap();
    assert_eq!(active.total_count, 1);
    tavus.end_conversation("c123abc").await.unwrap();
    tavus.end_conversation("c999old").await.unwrap();
    tavus.delete_conversation("c123abc").await.unwrap();
    let replicas = tavus.list_replicas(1, 50).await.unwrap();
    assert_eq!(replicas.data[0].replica_name.as_deref(), Some("Anna"));
    let personas = tavus.list_personas(1, 50).await.unwrap();
    assert_eq!(personas.data[0].persona_id, "p5317866");
    tavus.verify_key().await.unwrap();
}

#[tokio::test]
async fn elevenlabs_catalogues_user_and_signed_url() {
    let server = MockServer::start().await;
    let auth = || header("xi-api-key", ELEVEN_KEY);
    Mock::given(method("GET"))
        .and(path("/v2/voices"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "voices": [{"voice_id": "21m00Tcm4TlvDq8ikWAM", "name": "Rachel", "category": "premade",
                        "labels": {}, "available_for_tiers": [], "high_quality_base_model_ids": []}],
            "has_more": false, "total_count": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "model_id": "eleven_multilingual_v2", "name": "Eleven Multilingual v2",
            "can_do_text_to_speech": true,
            "max_characters_request_free_user": 2500, "max_characters_request_subscribed_user": 10000
        }])))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/user/subscription"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "tier": "starter", "character_count": 1200, "character_limit": 30000,
            "next_character_count_reset_unix": 1798000000, "status": "active"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/user"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "user_id": "u1", "xi_api_key": ELEVEN_KEY,
            "subscription": {"tier": "starter", "character_count": 1, "character_limit": 2, "status": "active"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/convai/conversation/get-signed-url"))
        .and(query_param("agent_id", "agent_01abc"))
        .and(auth())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"signed_url": "wss://api.elevenlabs.io/v1/convai/conversation?token=t0k"}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let gw = gateway(&server.uri(), &server.uri());
    let k = key(ELEVEN_KEY);
    let el = ElevenLabs::new(&gw, &k);
    assert_eq!(el.voices(100).await.unwrap().voices[0].name, "Rachel");
    let models = el.models().await.unwrap();
    assert_eq!(
        models[0].max_characters_request_subscribed_user,
        Some(10000)
    );
    assert_eq!(el.subscription().await.unwrap().character_limit, 30000);
    let user = el.user().await.unwrap();
    assert!(
        !format!("{user:?}").contains(ELEVEN_KEY),
        "the key from /v1/user was kept"
    );
    let signed = el.agent_signed_url("agent_01abc").await.unwrap();
    assert!(signed.expose().starts_with("wss://"));
    assert_eq!(format!("{signed:?}"), "<redacted>");
    el.verify_key().await.unwrap();
}

#[tokio::test]
async fn elevenlabs_speech_streams_with_logging_off() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream"))
        .and(query_param("output_format", "mp3_44100_128"))
        .and(query_param("enable_logging", "false"))
        .and(header("xi-api-key", ELEVEN_KEY))
        .and(body_json(
            json!({"text": "Breathe in.", "model_id": "eleven_multilingual_v2"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(vec![0xffu8; 4096], "audio/mpeg"))
        .expect(1)
        .mount(&server)
        .await;
    let gw = gateway(&server.uri(), &server.uri());
    let k = key(ELEVEN_KEY);
    let request = SpeechRequest {
        text: "Breathe in.".into(),
        model_id: "eleven_multilingual_v2".into(),
    };
    let mut response = ElevenLabs::new(&gw, &k)
        .speech_stream("21m00Tcm4TlvDq8ikWAM", &request)
        .await
        .unwrap();
    let mut total = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        total += chunk.len();
    }
    assert_eq!(total, 4096);
}

#[tokio::test]
async fn ids_are_checked_before_any_request() {
    let server = MockServer::start().await;
    let gw = gateway(&server.uri(), &server.uri());
    let k = key(TAVUS_KEY);
    let error = Tavus::new(&gw, &k)
        .get_conversation("../replicas")
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    let error = ElevenLabs::new(&gw, &k)
        .agent_signed_url("a&b=c")
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(server.received_requests().await.unwrap().is_empty());
}
