//! The relay token never goes through a proxy named in the environment when the relay is a
//! loopback http URL (the proxy would see it in clear). Its own test binary: it sets process-wide
//! environment variables before any thread starts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use codex_app_server_transport::remote_control::run_remote_control;
use codex_app_server_transport::remote_control::RelayUrl;
use codex_app_server_transport::remote_control::RemoteControlOptions;
use codex_app_server_transport::remote_control::ServerIdentity;
use codex_app_server_transport::CancellationToken;

/// Accepts connections on `listener`, counting them, answering each with a refusal.
fn counting(listener: TcpListener) -> Arc<AtomicUsize> {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ =
                stream.write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
        }
    });
    hits
}

#[test]
fn a_loopback_relay_is_reached_directly_whatever_the_proxy_environment_says() {
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    {
        std::env::set_var(name, &proxy_url);
    }
    for name in ["NO_PROXY", "no_proxy"] {
        std::env::remove_var(name);
    }
    let proxy_hits = counting(proxy);
    let relay = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = RelayUrl::parse(&format!("http://{}", relay.local_addr().unwrap())).unwrap();
    let relay_hits = counting(relay);

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let identity = ServerIdentity {
            name: "n".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            app_server_version: "0".into(),
            installation_id: "i".into(),
        };
        let options = RemoteControlOptions::new(url, identity);
        let (events, _events) = tokio::sync::mpsc::channel(16);
        let (updates, _updates) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        tokio::spawn(run_remote_control(options, events, updates, cancel.clone()));
        // The enrollment reaches the relay itself ...
        tokio::time::timeout(Duration::from_secs(20), async {
            while relay_hits.load(Ordering::SeqCst) == 0 && proxy_hits.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the link never tried to enroll");
        cancel.cancel();
    });
    // ... and never the proxy.
    assert_eq!(proxy_hits.load(Ordering::SeqCst), 0, "the relay token went through the proxy");
    assert!(relay_hits.load(Ordering::SeqCst) > 0);
}
