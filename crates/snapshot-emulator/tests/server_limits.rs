//! The server's limits over loopback: connections that never finish their headers are
//! closed after the header-read timeout, at most `max_connections` are served at once, and
//! a new client is served as soon as the stalled connections' slots free.

use snapshot_emulator::{start, EmulatorConfig, ServerLimits};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_millis(500);
const CAP: usize = 4;

#[tokio::test]
async fn stalled_clients_are_cut_off_and_new_ones_served_when_slots_free() {
    let config = EmulatorConfig {
        server: ServerLimits {
            header_read_timeout: TIMEOUT,
            max_connections: CAP,
        },
        ..EmulatorConfig::default()
    };
    let emulator = start(config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the emulator starts");
    // Beyond the cap: half-sent requests that never end.
    let mut stalled = Vec::new();
    for _ in 0..CAP + 2 {
        let mut stream = TcpStream::connect(emulator.addr()).await.expect("connects");
        stream
            .write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("written");
        stalled.push(stream);
    }
    let started = Instant::now();
    let health = snapshots_runtime::http_client_builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
        .get(format!("{}/_emulator/health", emulator.base_url()))
        .send()
        .await
        .expect("served once the stalled connections time out");
    let waited = started.elapsed();
    assert_eq!(health.status(), 200);
    // Not before the first stalled connections were cut off: the cap held it back.
    assert!(waited >= TIMEOUT - Duration::from_millis(100), "{waited:?}");
    // Every stalled connection is closed (end of stream or reset), none answered.
    for mut stream in stalled {
        let mut buffer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut buffer))
            .await
            .expect("closed by the server within the timeout");
        assert!(buffer.is_empty(), "{:?}", String::from_utf8_lossy(&buffer));
        let _ = read;
    }
}
