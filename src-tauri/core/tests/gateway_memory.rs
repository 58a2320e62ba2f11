//! Memory stays bounded under a hostile upstream: an endless body at full speed, with the
//! production limits, never grows the heap much past the 2 MiB body cap. Its own test
//! binary, so the counting allocator sees no other test's allocations.

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

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_at_full_speed_stays_within_the_cap() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000000000\r\n\r\n";
        socket.write_all(head).await.unwrap();
        let chunk = vec![b' '; 64 * 1024];
        while socket.write_all(&chunk).await.is_ok() {}
    });
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
    let error = Tavus::new(&gateway, &k)
        .list_replicas(1, 10)
        .await
        .unwrap_err();
    assert_eq!(error.code, ErrorCode::UpstreamUnexpected);
    let growth = peak_growth(baseline);
    assert!(
        growth < cap + 4 * 1024 * 1024,
        "the heap grew by {growth} bytes for a {cap}-byte cap"
    );
}
