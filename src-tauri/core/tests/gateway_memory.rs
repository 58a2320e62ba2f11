//! Memory stays bounded under a hostile upstream: an endless body at full speed (chunked,
//! or declaring 10 GB), with the production limits, never grows the heap much past the
//! 2 MiB body cap. Its own test binary, so the counting allocator sees no other test's
//! allocations.

mod support;

use std::time::Duration;

use serene_core::endpoints::Endpoints;
use serene_core::gateway::tavus::Tavus;
use serene_core::gateway::{Gateway, Limits};
use serene_core::policy::rate_limit::RollingWindow;
use serene_core::ErrorCode;
use support::counting_alloc::{peak_growth, start_measuring, Counting};
use support::{key, TAVUS_KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Serves `head` and then the same 64 KiB of spaces, as fast as the client reads.
async fn endless(head: &'static [u8], chunked: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        socket.write_all(head).await.unwrap();
        let body = vec![b' '; 64 * 1024];
        let chunk = if chunked {
            [
                format!("{:x}\r\n", body.len()).into_bytes(),
                body,
                b"\r\n".to_vec(),
            ]
            .concat()
        } else {
            body
        };
        while socket.write_all(&chunk).await.is_ok() {}
    });
    uri
}

/// The heap growth while the gateway reads `uri`'s endless answer, which must be refused
/// as too large, quickly (a timeout must not pass for the cap working).
async fn growth_reading(uri: &str) -> (usize, usize) {
    let endpoints = Endpoints {
        tavus: uri.parse().unwrap(),
        elevenlabs: uri.parse().unwrap(),
    };
    let limits = Limits::default();
    let cap = limits.max_body_bytes;
    let gateway = Gateway::with_limits(
        endpoints,
        limits,
        RollingWindow::new(100, Duration::from_secs(60)),
    )
    .unwrap();
    let k = key(TAVUS_KEY);
    let baseline = start_measuring();
    let started = std::time::Instant::now();
    let error = Tavus::new(&gateway, &k)
        .list_replicas(1, 10)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamUnexpected, "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    (peak_growth(baseline), cap)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_chunked_body_at_full_speed_stays_within_the_cap() {
    // One test, both shapes in turn: the allocator counts the whole process.
    let chunked = endless(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
        true,
    )
    .await;
    let (growth, cap) = growth_reading(&chunked).await;
    assert!(
        growth < cap + 4 * 1024 * 1024,
        "chunked: the heap grew by {growth} bytes for a {cap}-byte cap"
    );
    let declared = endless(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000000000\r\n\r\n",
        false,
    )
    .await;
    let (growth, cap) = growth_reading(&declared).await;
    assert!(
        growth < cap + 4 * 1024 * 1024,
        "declared 10 GB: the heap grew by {growth} bytes for a {cap}-byte cap"
    );
}
