//! Hostile upstream answers: never-ending, slow, deeply nested, wrong content type, invalid
//! UTF-8, cookies. Each ends in a typed error within its timeout (cookies are simply never
//! stored or sent back), with no panic and no unbounded read.

mod support;

use std::time::{Duration, Instant};

use serene_core::gateway::tavus::Tavus;
use serene_core::ErrorCode;
use support::{gateway, key, TAVUS_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A raw HTTP fake: sends `head`, then `chunk` every `every` until the client hangs up.
async fn raw_server(head: &'static [u8], chunk: &'static [u8], every: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                if socket.write_all(head).await.is_err() {
                    return;
                }
                while socket.write_all(chunk).await.is_ok() {
                    tokio::time::sleep(every).await;
                }
            });
        }
    });
    format!("http://{address}")
}

/// One HTTP/1.1 chunk of `size` bytes of `byte`.
fn chunk_of(byte: u8, size: usize) -> &'static [u8] {
    let mut out = format!("{size:x}\r\n").into_bytes();
    out.extend(std::iter::repeat_n(byte, size));
    out.extend_from_slice(b"\r\n");
    Box::leak(out.into_boxed_slice())
}

const CHUNKED_JSON: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";

async fn list_replicas(uri: &str) -> (ErrorCode, Duration) {
    let gw = gateway(uri, uri);
    let k = key(TAVUS_KEY);
    let started = Instant::now();
    let error = Tavus::new(&gw, &k).list_replicas(1, 10).await.unwrap_err();
    (error.code, started.elapsed())
}

#[tokio::test]
async fn a_never_ending_body_is_cut_at_the_cap() {
    let uri = raw_server(CHUNKED_JSON, chunk_of(b' ', 16 * 1024), Duration::ZERO).await;
    let (code, took) = list_replicas(&uri).await;
    // The 64 KiB test cap is reached long before the 400 ms timeout.
    assert_eq!(code, ErrorCode::UpstreamUnexpected);
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

#[tokio::test]
async fn a_body_trickling_one_byte_a_second_times_out() {
    let uri = raw_server(CHUNKED_JSON, chunk_of(b' ', 1), Duration::from_secs(1)).await;
    let (code, took) = list_replicas(&uri).await;
    assert_eq!(code, ErrorCode::UpstreamTimeout);
    // Three attempts of at most 400 ms each, plus short backoffs.
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test]
async fn odd_bodies_are_typed_errors() {
    let deep = "[".repeat(50_000) + &"]".repeat(50_000);
    for (name, body, content_type) in [
        ("deeply nested JSON", deep.into_bytes(), "application/json"),
        (
            "invalid UTF-8",
            vec![0xff, 0xfe, 0xfd, b'{', 0x80],
            "application/json",
        ),
        (
            "HTML",
            b"<html><body>Gateway error</body></html>".to_vec(),
            "text/html",
        ),
        ("empty", Vec::new(), "application/json"),
    ] {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
            .mount(&server)
            .await;
        let (code, _) = list_replicas(&server.uri()).await;
        assert_eq!(code, ErrorCode::UpstreamUnexpected, "{name}");
    }
}

#[tokio::test]
async fn cookies_are_never_stored_or_sent_back() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "session=stolen; Path=/")
                .set_body_json(serde_json::json!({"data": [], "total_count": 0})),
        )
        .mount(&server)
        .await;
    let gw = gateway(&server.uri(), &server.uri());
    let k = key(TAVUS_KEY);
    let tavus = Tavus::new(&gw, &k);
    tavus.list_replicas(1, 10).await.unwrap();
    tavus.list_personas(1, 10).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| !r.headers.contains_key("cookie")));
}
