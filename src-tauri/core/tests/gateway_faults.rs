//! The fault matrix: every upstream call against every failure a provider or the network
//! can produce. Each must end in its error code, without a panic, and a redirect must never
//! carry the key to the other host.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::json;
use serene_core::gateway::elevenlabs::{ElevenLabs as ElevenLabsClient, SpeechRequest};
use serene_core::gateway::tavus::{CreateConversation, Tavus as TavusClient};
use serene_core::gateway::Gateway;
use serene_core::provider::Provider;
use serene_core::{Error, ErrorCode};
use support::{gateway, key, ELEVEN_KEY, TAVUS_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::{Mock, MockServer, ResponseTemplate};

type Outcome<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

#[derive(Clone, Copy, PartialEq)]
enum Reads {
    /// Decodes a JSON body.
    Json,
    /// Ignores the success body (end, delete, verify).
    Nothing,
    /// Streams audio.
    Stream,
}

struct UpstreamCall {
    name: &'static str,
    provider: Provider,
    reads: Reads,
    run: fn(&Gateway) -> Outcome<'_>,
}

fn calls() -> Vec<UpstreamCall> {
    use Provider::{ElevenLabs, Tavus};
    use Reads::*;
    fn tavus(gw: &Gateway) -> TavusClient<'_> {
        // The key must outlive the returned future: leak one per use (tests only).
        TavusClient::new(gw, Box::leak(Box::new(key(TAVUS_KEY))))
    }
    fn eleven(gw: &Gateway) -> ElevenLabsClient<'_> {
        ElevenLabsClient::new(gw, Box::leak(Box::new(key(ELEVEN_KEY))))
    }
    vec![
        UpstreamCall {
            name: "tavus create",
            provider: Tavus,
            reads: Json,
            run: |gw| {
                Box::pin(async move {
                    tavus(gw)
                        .create_conversation(&CreateConversation::default())
                        .await
                        .map(|_| ())
                })
            },
        },
        UpstreamCall {
            name: "tavus get",
            provider: Tavus,
            reads: Json,
            run: |gw| Box::pin(async move { tavus(gw).get_conversation("c1").await.map(|_| ()) }),
        },
        UpstreamCall {
            name: "tavus list",
            provider: Tavus,
            reads: Json,
            run: |gw| {
                Box::pin(async move { tavus(gw).list_conversations(None, 1, 10).await.map(|_| ()) })
            },
        },
        UpstreamCall {
            name: "tavus end",
            provider: Tavus,
            reads: Nothing,
            run: |gw| Box::pin(async move { tavus(gw).end_conversation("c1").await.map(|_| ()) }),
        },
        UpstreamCall {
            name: "tavus delete",
            provider: Tavus,
            reads: Nothing,
            run: |gw| Box::pin(async move { tavus(gw).delete_conversation("c1").await }),
        },
        UpstreamCall {
            name: "tavus replicas",
            provider: Tavus,
            reads: Json,
            run: |gw| Box::pin(async move { tavus(gw).list_replicas(1, 10).await.map(|_| ()) }),
        },
        UpstreamCall {
            name: "tavus personas",
            provider: Tavus,
            reads: Json,
            run: |gw| Box::pin(async move { tavus(gw).list_personas(1, 10).await.map(|_| ()) }),
        },
        UpstreamCall {
            name: "tavus verify",
            provider: Tavus,
            reads: Nothing,
            run: |gw| Box::pin(async move { tavus(gw).verify_key().await }),
        },
        UpstreamCall {
            name: "elevenlabs voices",
            provider: ElevenLabs,
            reads: Json,
            run: |gw| Box::pin(async move { eleven(gw).voices(10).await.map(|_| ()) }),
        },
        UpstreamCall {
            name: "elevenlabs models",
            provider: ElevenLabs,
            reads: Json,
            run: |gw| Box::pin(async move { eleven(gw).models().await.map(|_| ()) }),
        },
        UpstreamCall {
            name: "elevenlabs subscription",
            provider: ElevenLabs,
            reads: Json,
            run: |gw| Box::pin(async move { eleven(gw).subscription().await.map(|_| ()) }),
        },
        UpstreamCall {
            name: "elevenlabs user",
            provider: ElevenLabs,
            reads: Json,
            run: |gw| Box::pin(async move { eleven(gw).user().await.map(|_| ()) }),
        },
        UpstreamCall {
            name: "elevenlabs signed url",
            provider: ElevenLabs,
            reads: Json,
            run: |gw| {
                Box::pin(async move { eleven(gw).agent_signed_url("agent1").await.map(|_| ()) })
            },
        },
        UpstreamCall {
            name: "elevenlabs verify",
            provider: ElevenLabs,
            reads: Nothing,
            run: |gw| Box::pin(async move { eleven(gw).verify_key().await }),
        },
        UpstreamCall {
            name: "elevenlabs speech",
            provider: ElevenLabs,
            reads: Stream,
            run: |gw| {
                Box::pin(async move {
                    let request = SpeechRequest {
                        text: "Hello".into(),
                        model_id: "eleven_multilingual_v2".into(),
                    };
                    let mut response = eleven(gw).speech_stream("v1", &request).await?;
                    // Read to the end, as the player would.
                    while response
                        .chunk()
                        .await
                        .map_err(|_| Error::new(ErrorCode::UpstreamUnavailable, "cut"))?
                        .is_some()
                    {}
                    Ok(())
                })
            },
        },
    ]
}

/// Runs every call against a fake answering with `response`, expecting `expect(call)`.
async fn matrix(
    fault: &str,
    response: impl Fn(Provider) -> ResponseTemplate,
    expect: impl Fn(&UpstreamCall) -> Result<(), ErrorCode>,
) {
    for call in calls() {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(response(call.provider))
            .mount(&server)
            .await;
        let gw = gateway(&server.uri(), &server.uri());
        let outcome = (call.run)(&gw).await;
        if let Err(error) = &outcome {
            assert!(!error.message.contains(TAVUS_KEY) && !error.message.contains(ELEVEN_KEY));
        }
        assert_eq!(
            outcome.map_err(|e| e.code),
            expect(&call),
            "{fault}: {}",
            call.name
        );
    }
}

fn by_provider(
    tavus: &'static str,
    eleven: &'static str,
) -> impl Fn(Provider) -> serde_json::Value {
    move |p| {
        serde_json::from_str(match p {
            Provider::Tavus => tavus,
            Provider::ElevenLabs => eleven,
        })
        .unwrap()
    }
}

#[tokio::test]
async fn unauthorised() {
    let body = by_provider(
        r#"{"message":"Invalid access token"}"#,
        r#"{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}"#,
    );
    matrix(
        "401",
        |p| ResponseTemplate::new(401).set_body_json(body(p)),
        |_| Err(ErrorCode::InvalidKey),
    )
    .await;
}

#[tokio::test]
async fn concurrency_message_in_a_400() {
    let body = json!({"message": "User has reached maximum concurrent conversations"});
    matrix(
        "400 concurrency",
        |_| ResponseTemplate::new(400).set_body_json(body.clone()),
        |call| match call.provider {
            Provider::Tavus => Err(ErrorCode::ConcurrencyLimit),
            Provider::ElevenLabs => Err(ErrorCode::UpstreamRejected),
        },
    )
    .await;
}

#[tokio::test]
async fn payment_required() {
    let body = json!({"message": "The user is out of conversational credits"});
    matrix(
        "402",
        |_| ResponseTemplate::new(402).set_body_json(body.clone()),
        |_| Err(ErrorCode::OutOfCredits),
    )
    .await;
}

#[tokio::test]
async fn not_found() {
    matrix(
        "404",
        |_| ResponseTemplate::new(404).set_body_json(json!({"error": "Not found"})),
        // Ending or deleting what Tavus does not know is done: nothing is left there.
        |call| match call.name {
            "tavus end" | "tavus delete" => Ok(()),
            _ => Err(ErrorCode::NotFound),
        },
    )
    .await;
}

#[tokio::test]
async fn rate_limited_with_and_without_retry_after() {
    matrix(
        "429 + Retry-After",
        |_| ResponseTemplate::new(429).insert_header("Retry-After", "120"),
        |_| Err(ErrorCode::RateLimited),
    )
    .await;
    matrix(
        "429",
        |_| ResponseTemplate::new(429),
        |_| Err(ErrorCode::RateLimited),
    )
    .await;

    // The retry-after reaches the person, and a long one is not waited for.
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .expect(1)
        .mount(&server)
        .await;
    let gw = gateway(&server.uri(), &server.uri());
    let k = key(TAVUS_KEY);
    let error = TavusClient::new(&gw, &k)
        .list_replicas(1, 10)
        .await
        .unwrap_err();
    assert_eq!(error.retry_after_seconds, Some(120));
}

#[tokio::test]
async fn server_errors() {
    for status in [500, 503] {
        matrix(
            &status.to_string(),
            |_| ResponseTemplate::new(status),
            |_| Err(ErrorCode::UpstreamUnavailable),
        )
        .await;
    }
}

#[tokio::test]
async fn slow_answers_time_out() {
    matrix(
        "timeout",
        |_| {
            ResponseTemplate::new(200)
                .set_body_json(json!({}))
                .set_delay(Duration::from_secs(2))
        },
        |_| Err(ErrorCode::UpstreamTimeout),
    )
    .await;
}

#[tokio::test]
async fn malformed_json() {
    matrix(
        "malformed JSON",
        |_| ResponseTemplate::new(200).set_body_raw("{\"data\": [", "application/json"),
        |call| match call.reads {
            Reads::Json => Err(ErrorCode::UpstreamUnexpected),
            Reads::Nothing | Reads::Stream => Ok(()),
        },
    )
    .await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let huge = vec![b' '; 200 * 1024];
    matrix(
        "oversized",
        |_| ResponseTemplate::new(200).set_body_raw(huge.clone(), "application/json"),
        |call| match call.reads {
            // Audio is streamed, never held whole, so it has no body cap.
            Reads::Stream => Ok(()),
            _ => Err(ErrorCode::UpstreamUnexpected),
        },
    )
    .await;
}

#[tokio::test]
async fn redirects_are_refused_and_the_key_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "total_count": 0})),
        )
        .mount(&elsewhere)
        .await;
    let target = format!("{}/steal", elsewhere.uri());
    matrix(
        "302",
        |_| ResponseTemplate::new(302).insert_header("Location", target.as_str()),
        |_| Err(ErrorCode::UpstreamUnexpected),
    )
    .await;
    let reached = elsewhere.received_requests().await.unwrap();
    assert!(
        reached.is_empty(),
        "the redirect target received {} requests",
        reached.len()
    );
}

/// A fake that promises a body and hangs up half way.
async fn cut_off_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{\"data\": [")
                    .await;
                let _ = socket.flush().await;
                drop(socket);
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn connection_reset_mid_body() {
    for call in calls() {
        let uri = cut_off_server().await;
        let gw = gateway(&uri, &uri);
        let error = (call.run)(&gw).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::UpstreamUnavailable, "{}", call.name);
    }
}

#[tokio::test]
async fn nothing_listening_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for call in calls() {
        let gw = gateway(&uri, &uri);
        let error = (call.run)(&gw).await.unwrap_err();
        assert_eq!(error.code, ErrorCode::NetworkUnavailable, "{}", call.name);
    }
}

#[tokio::test]
async fn only_idempotent_gets_are_retried() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [], "total_count": 0})),
        )
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let gw = gateway(&server.uri(), &server.uri());
    let k = key(TAVUS_KEY);
    let tavus = TavusClient::new(&gw, &k);
    tavus
        .list_replicas(1, 10)
        .await
        .expect("two 503s then a 200");
    let error = tavus
        .create_conversation(&CreateConversation::default())
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamUnavailable);
    let requests = server.received_requests().await.unwrap();
    let posts = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    let gets = requests
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(
        (gets, posts),
        (3, 1),
        "a conversation create must never be retried"
    );
}
