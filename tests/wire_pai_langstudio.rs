//! PAI LangStudio (2024-07-10) wire contract, both transport profiles.
//!
//! `roa` profile: the generated client sends what the official SDK
//! `alibabacloud-pailangstudio20240710` 1.2.2 sends (`client.py`, lines 532-576, 2052-2106,
//! 1372-1401, 2764-2797 and 964-993): `SnapshotId` only ever in the path (or as the list
//! filter), `WorkspaceId` in the query for GET/DELETE and in the body for POST/PUT.
//! `gateway` profile (the same operations, `Transport::ActionPath`): what seed 000's curl
//! examples send, relative to the gateway base URL; byte for byte what the removed
//! `Gateway*` operations sent.
//!
//! The expected names are written out here by hand from the SDK and the seed, not read from
//! the spec.

use contract_tests::{answering, example, names, the_request};
use pai_langstudio::types;
use serde_json::json;
use snapshots_runtime::{auth::Secret, Credentials, RateLimiter, RetryConfig, Runtime, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SNAPSHOT_FIELDS: &[&str] = &[
    "Accessibility",
    "CreationType",
    "Creator",
    "Description",
    "ErrorMessage",
    "GmtCreateTime",
    "GmtModifiedTime",
    "SnapshotId",
    "SnapshotName",
    "SnapshotResourceId",
    "SnapshotResourceType",
    "SnapshotStatus",
    "SnapshotStoragePath",
    "SnapshotUrl",
    "WorkDir",
    "WorkspaceId",
];

/// A snapshot with every field of the SDK's `Snapshot` model set.
fn full_snapshot() -> serde_json::Value {
    json!({
        "Accessibility": "PRIVATE", "CreationType": "ManualCreated", "Creator": "2040xxxx",
        "Description": "This is description", "ErrorMessage": "", "GmtCreateTime": "2024-07-10T08:00:00Z",
        "GmtModifiedTime": "2024-07-10T08:05:00Z", "SnapshotId": "snap-asfg******123",
        "SnapshotName": "snapshot01", "SnapshotResourceId": "flow-asfg******1234",
        "SnapshotResourceType": "Flow", "SnapshotStatus": "Succeeded",
        "SnapshotStoragePath": "oss://mybucket/path/to/snapshot", "SnapshotUrl": "https://example.invalid/snap.zip",
        "WorkDir": "oss://mybucket/workdir", "WorkspaceId": "478**"
    })
}

fn create_body() -> types::CreateSnapshotRequest {
    serde_json::from_value(example("pai-langstudio/CreateSnapshot.request.json"))
        .expect("seed 000's create body is a valid request")
}

const CREATE_BODY_FIELDS: &[&str] = &[
    "Accessibility",
    "CreationType",
    "Description",
    "SnapshotName",
    "SnapshotResourceId",
    "SnapshotResourceType",
    "SourceStoragePath",
    "WorkspaceId",
];

#[tokio::test]
async fn roa_create_snapshot() {
    let server = answering(
        200,
        Some(&example("pai-langstudio/CreateSnapshot.200.json")),
    )
    .await;
    let client = pai_langstudio::Client::new(&server.uri(), Runtime::passthrough());
    let response = client
        .create_snapshot()
        .body(create_body())
        .send()
        .await
        .expect("documented 200 decodes");
    assert_eq!(response.snapshot_id.as_deref(), Some("snap-asfg******123"));
    assert_eq!(
        response.request_id.as_deref(),
        Some("963BD7F9-0C02-5594-9550-BCC6DD43E3C0")
    );

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("POST", "/api/v1/langstudio/snapshots"));
    assert_eq!(sent.query, names(&[]));
    assert_eq!(sent.body, Some(names(CREATE_BODY_FIELDS)));
}

#[tokio::test]
async fn roa_list_snapshots() {
    let documented = json!({
        "RequestId": "963BD7F9-0C02-5594-9550-BCC6DD43E3C0", "TotalCount": 1, "MaxResults": 20,
        "NextToken": "token-2", "Snapshots": [full_snapshot()]
    });
    let server = answering(200, Some(&documented)).await;
    let client = pai_langstudio::Client::new(&server.uri(), Runtime::passthrough());
    let response = client
        .list_snapshots()
        .workspace_id("478**")
        .accessibility(types::Accessibility::Private)
        .creation_type("ManualCreated,DeploymentAutoCreated")
        .creator("2040xxxx")
        .max_results(20)
        .next_token("token-1")
        .order(types::Order::Desc)
        .page_number(1)
        .page_size(10)
        .snapshot_id("snap-asfg******123")
        .snapshot_resource_id("flow-asfg******1234")
        .snapshot_resource_type(types::SnapshotResourceType::Flow)
        .snapshot_status("Succeeded")
        .sort_by(types::SortBy::GmtCreateTime)
        .send()
        .await
        .expect("documented 200 decodes");
    assert_eq!(response.total_count, Some(1));
    assert_eq!(response.next_token.as_deref(), Some("token-2"));
    let snapshot = serde_json::to_value(&response.snapshots[0]).expect("encodes");
    let keys: Vec<&str> = snapshot
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        SNAPSHOT_FIELDS.len(),
        "every Snapshot field survives decoding: {keys:?}"
    );

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("GET", "/api/v1/langstudio/snapshots"));
    assert_eq!(
        sent.query,
        names(&[
            "Accessibility",
            "CreationType",
            "Creator",
            "MaxResults",
            "NextToken",
            "Order",
            "PageNumber",
            "PageSize",
            "SnapshotId",
            "SnapshotResourceId",
            "SnapshotResourceType",
            "SnapshotStatus",
            "SortBy",
            "WorkspaceId",
        ])
    );
    assert_eq!(sent.body, None);
    for pair in [
        ("Accessibility", "PRIVATE"),
        ("Order", "DESC"),
        ("SortBy", "GmtCreateTime"),
        ("MaxResults", "20"),
    ] {
        assert!(
            sent.query_pairs
                .contains(&(pair.0.to_owned(), pair.1.to_owned())),
            "{pair:?} in {:?}",
            sent.query_pairs
        );
    }
}

#[tokio::test]
async fn roa_get_snapshot() {
    let mut documented = full_snapshot();
    documented["RequestId"] = json!("963BD7F9-0C02-5594-9550-BCC6DD43E3C0");
    let server = answering(200, Some(&documented)).await;
    let client = pai_langstudio::Client::new(&server.uri(), Runtime::passthrough());
    let response = client
        .get_snapshot()
        .snapshot_id("snap-asfg******123")
        .workspace_id("478**")
        .send()
        .await
        .expect("documented 200 decodes");
    assert_eq!(response.snapshot_status.as_deref(), Some("Succeeded"));
    assert_eq!(
        response.snapshot_url.as_deref(),
        Some("https://example.invalid/snap.zip")
    );

    let sent = the_request(&server).await;
    assert_eq!(sent.method, "GET");
    // The SDK escapes `*` as `%2A` (`darabonba/url.py:76-82`); progenitor leaves RFC 3986
    // sub-delimiters as they are. Both name the same resource; the decoded paths agree.
    assert_eq!(
        sent.path.replace("%2A", "*"),
        "/api/v1/langstudio/snapshots/snap-asfg******123"
    );
    assert_eq!(sent.query, names(&["WorkspaceId"]));
    assert_eq!(sent.body, None);
}

#[tokio::test]
async fn roa_update_snapshot() {
    let server = answering(
        200,
        Some(&json!({"RequestId": "963BD7F9-0C02-5594-9550-BCC6DD43E3C0"})),
    )
    .await;
    let client = pai_langstudio::Client::new(&server.uri(), Runtime::passthrough());
    let body: types::UpdateSnapshotRequest = serde_json::from_value(
        json!({"WorkspaceId": "478**", "SnapshotName": "snapshot02", "Description": "Updated"}),
    )
    .expect("a valid update body");
    let response = client
        .update_snapshot()
        .snapshot_id("snap-1")
        .body(body)
        .send()
        .await
        .expect("200 decodes");
    assert_eq!(
        response.request_id.as_deref(),
        Some("963BD7F9-0C02-5594-9550-BCC6DD43E3C0")
    );

    let sent = the_request(&server).await;
    assert_eq!(sent.route(), ("PUT", "/api/v1/langstudio/snapshots/snap-1"));
    assert_eq!(sent.query, names(&[]));
    assert_eq!(
        sent.body,
        Some(names(&["Description", "SnapshotName", "WorkspaceId"]))
    );
}

#[tokio::test]
async fn roa_delete_snapshot() {
    let server = answering(
        200,
        Some(&json!({"RequestId": "963BD7F9-0C02-5594-9550-BCC6DD43E3C0"})),
    )
    .await;
    let client = pai_langstudio::Client::new(&server.uri(), Runtime::passthrough());
    client
        .delete_snapshot()
        .snapshot_id("snap-1")
        .workspace_id("478**")
        .send()
        .await
        .expect("200 decodes");

    let sent = the_request(&server).await;
    assert_eq!(
        sent.route(),
        ("DELETE", "/api/v1/langstudio/snapshots/snap-1")
    );
    assert_eq!(sent.query, names(&["WorkspaceId"]));
    assert_eq!(sent.body, None);
}

/// The gateway base URL has a path of its own; the action is appended to it.
const GATEWAY_BASE: &str = "/api/PAILangStudio/2024-07-10";

/// A client of the gateway profile on `server` (no credentials, no retries, no limit).
fn gateway_client(server: &str, credentials: Credentials) -> pai_langstudio::Client {
    let runtime = Runtime::builder()
        .credentials(credentials)
        .retry(RetryConfig::disabled().with_total_timeout(None))
        .rate_limit(RateLimiter::unlimited())
        .transport(Transport::ActionPath)
        .build();
    pai_langstudio::Client::new(&format!("{server}{GATEWAY_BASE}"), runtime)
}

#[tokio::test]
async fn gateway_create_snapshot() {
    let server = answering(
        200,
        Some(&example("pai-langstudio/CreateSnapshot.200.json")),
    )
    .await;
    let client = gateway_client(&server.uri(), Credentials::Anonymous);
    let response = client
        .create_snapshot()
        .body(create_body())
        .send()
        .await
        .expect("200 decodes");
    assert_eq!(response.snapshot_id.as_deref(), Some("snap-asfg******123"));

    let sent = the_request(&server).await;
    assert_eq!(
        sent.route(),
        ("POST", "/api/PAILangStudio/2024-07-10/CreateSnapshot")
    );
    assert_eq!(sent.query, names(&[]));
    assert_eq!(sent.body, Some(names(CREATE_BODY_FIELDS)));
    assert_eq!(
        sent.json,
        Some(example("pai-langstudio/CreateSnapshot.request.json")),
        "the seed's body, as sent"
    );
}

#[tokio::test]
async fn gateway_list_snapshots() {
    let documented = json!({"RequestId": "r", "TotalCount": 0, "Snapshots": []});
    let server = answering(200, Some(&documented)).await;
    let client = gateway_client(&server.uri(), Credentials::Anonymous);
    client
        .list_snapshots()
        .workspace_id("478**")
        .max_results(20)
        .sort_by(types::SortBy::GmtCreateTime)
        .order(types::Order::Desc)
        .send()
        .await
        .expect("200 decodes");

    let sent = the_request(&server).await;
    assert_eq!(
        sent.route(),
        ("GET", "/api/PAILangStudio/2024-07-10/ListSnapshots")
    );
    // Seed 000: `ListSnapshots?WorkspaceId=478**&MaxResults=20&SortBy=GmtCreateTime&Order=DESC`.
    assert_eq!(
        sent.query,
        names(&["MaxResults", "Order", "SortBy", "WorkspaceId"])
    );
    assert_eq!(sent.body, None);
}

#[tokio::test]
async fn gateway_get_snapshot() {
    let server = answering(200, Some(&full_snapshot())).await;
    let client = gateway_client(&server.uri(), Credentials::Anonymous);
    let response = client
        .get_snapshot()
        .workspace_id("478**")
        .snapshot_id("snap-asfg******123")
        .send()
        .await
        .expect("200 decodes");
    assert_eq!(response.snapshot_id.as_deref(), Some("snap-asfg******123"));

    let sent = the_request(&server).await;
    assert_eq!(
        sent.route(),
        ("GET", "/api/PAILangStudio/2024-07-10/GetSnapshot")
    );
    assert_eq!(sent.query, names(&["SnapshotId", "WorkspaceId"]));
    assert_eq!(sent.body, None);
}

/// The seed's UpdateSnapshot body: the example file's members plus the path parameter.
fn seed_update_body() -> serde_json::Value {
    json!({
        "SnapshotId": "snap-asfg******123",
        "WorkspaceId": "478**",
        "SnapshotName": "snapshot02",
        "Description": "Updated description"
    })
}

fn update_body() -> types::UpdateSnapshotRequest {
    serde_json::from_value(example("pai-langstudio/UpdateSnapshot.request.json"))
        .expect("seed 000's update body, without its SnapshotId, is a valid request")
}

#[tokio::test]
async fn gateway_update_snapshot() {
    let server = answering(200, Some(&json!({"RequestId": "r"}))).await;
    let client = gateway_client(&server.uri(), Credentials::Anonymous);
    client
        .update_snapshot()
        .snapshot_id("snap-asfg******123")
        .body(update_body())
        .send()
        .await
        .expect("200 decodes");

    let sent = the_request(&server).await;
    assert_eq!(
        sent.route(),
        ("PUT", "/api/PAILangStudio/2024-07-10/UpdateSnapshot")
    );
    assert_eq!(sent.query, names(&[]));
    assert_eq!(
        sent.json,
        Some(seed_update_body()),
        "the seed's body, as sent"
    );
}

#[tokio::test]
async fn gateway_delete_snapshot() {
    let server = answering(200, Some(&json!({"RequestId": "r"}))).await;
    let client = gateway_client(&server.uri(), Credentials::Anonymous);
    client
        .delete_snapshot()
        .workspace_id("478**")
        .snapshot_id("snap-asfg******123")
        .send()
        .await
        .expect("200 decodes");

    let sent = the_request(&server).await;
    assert_eq!(
        sent.route(),
        ("DELETE", "/api/PAILangStudio/2024-07-10/DeleteSnapshot")
    );
    assert_eq!(sent.query, names(&["SnapshotId", "WorkspaceId"]));
    assert_eq!(sent.body, None);
}

/// What the removed `Gateway*` operations sent for the calls of
/// [`the_gateway_profile_sends_what_the_gateway_operations_sent`], captured from the
/// generated client before they were removed (a DashScope key `sk-test`; the `host` header
/// left out): request line, headers in order, blank line, body.
const OLD_GATEWAY_REQUESTS: &[&str] = &[
    "POST /api/PAILangStudio/2024-07-10/CreateSnapshot HTTP/1.1\r\naccept: application/json\r\ncontent-type: application/json\r\napi-version: 2024-07-10\r\nauthorization: Bearer sk-test\r\ncontent-length: 269\r\n\r\n{\"Accessibility\":\"PRIVATE\",\"CreationType\":\"ManualCreated\",\"Description\":\"This is description\",\"SnapshotName\":\"snapshot01\",\"SnapshotResourceId\":\"flow-asfg******1234\",\"SnapshotResourceType\":\"Flow\",\"SourceStoragePath\":\"oss://mybucket/path/to/source\",\"WorkspaceId\":\"478**\"}",
    "GET /api/PAILangStudio/2024-07-10/ListSnapshots?MaxResults=20&NextToken=a+b%2Fc%2Bd&Order=DESC&SortBy=GmtCreateTime&WorkspaceId=478** HTTP/1.1\r\naccept: application/json\r\napi-version: 2024-07-10\r\nauthorization: Bearer sk-test\r\n\r\n",
    "GET /api/PAILangStudio/2024-07-10/GetSnapshot?SnapshotId=snap-asfg******123&WorkspaceId=478** HTTP/1.1\r\naccept: application/json\r\napi-version: 2024-07-10\r\nauthorization: Bearer sk-test\r\n\r\n",
    "GET /api/PAILangStudio/2024-07-10/GetSnapshot?SnapshotId=a+b%2Fc%3Fd%26e%3Df%25g%2B%C3%A9 HTTP/1.1\r\naccept: application/json\r\napi-version: 2024-07-10\r\nauthorization: Bearer sk-test\r\n\r\n",
    "PUT /api/PAILangStudio/2024-07-10/UpdateSnapshot HTTP/1.1\r\naccept: application/json\r\ncontent-type: application/json\r\napi-version: 2024-07-10\r\nauthorization: Bearer sk-test\r\ncontent-length: 121\r\n\r\n{\"Description\":\"Updated description\",\"SnapshotId\":\"snap-asfg******123\",\"SnapshotName\":\"snapshot02\",\"WorkspaceId\":\"478**\"}",
    "DELETE /api/PAILangStudio/2024-07-10/DeleteSnapshot?SnapshotId=snap-asfg******123&WorkspaceId=478** HTTP/1.1\r\naccept: application/json\r\napi-version: 2024-07-10\r\nauthorization: Bearer sk-test\r\n\r\n",
];

/// A loopback server that answers every request with a small JSON 200 and hands on the raw
/// bytes of each request, without its `host` header.
async fn recording_server() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut raw = Vec::new();
            let mut chunk = [0u8; 4096];
            while !complete(&raw) {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => raw.extend_from_slice(&chunk[..n]),
                }
            }
            let text = String::from_utf8_lossy(&raw)
                .split("\r\n")
                .filter(|line| !line.starts_with("host: "))
                .collect::<Vec<_>>()
                .join("\r\n");
            let _ = tx.send(text);
            let body = br#"{"RequestId":"r","Snapshots":[]}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body).await;
        }
    });
    (format!("http://{addr}"), rx)
}

/// Whether `raw` holds a whole request (head and `content-length` bytes of body).
fn complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    raw.len() >= end + 4 + length
}

#[tokio::test]
async fn the_gateway_profile_sends_what_the_gateway_operations_sent() {
    let (server, mut requests) = recording_server().await;
    let client = gateway_client(&server, Credentials::Bearer(Secret::new("sk-test")));
    let _ = client.create_snapshot().body(create_body()).send().await;
    let _ = client
        .list_snapshots()
        .workspace_id("478**")
        .max_results(20)
        .next_token("a b/c+d")
        .sort_by(types::SortBy::GmtCreateTime)
        .order(types::Order::Desc)
        .send()
        .await;
    let _ = client
        .get_snapshot()
        .snapshot_id("snap-asfg******123")
        .workspace_id("478**")
        .send()
        .await;
    let _ = client
        .get_snapshot()
        .snapshot_id("a b/c?d&e=f%g+é")
        .send()
        .await;
    let update = client.update_snapshot().snapshot_id("snap-asfg******123");
    let _ = update.body(update_body()).send().await;
    let _ = client
        .delete_snapshot()
        .snapshot_id("snap-asfg******123")
        .workspace_id("478**")
        .send()
        .await;
    for expected in OLD_GATEWAY_REQUESTS {
        let sent = requests.recv().await.expect("a request");
        assert_eq!(&sent, expected);
    }
}

/// Invalid names are refused before anything is sent.
#[tokio::test]
async fn invalid_names_cannot_be_sent() {
    let mut body = example("pai-langstudio/CreateSnapshot.request.json");
    body["SnapshotName"] = json!("1-not-valid");
    assert!(serde_json::from_value::<types::CreateSnapshotRequest>(body).is_err());
    assert!("snap shot".parse::<types::SnapshotName>().is_err());
}

#[tokio::test]
async fn errors_decode_into_the_alibaba_error_body() {
    for status in [400u16, 403, 404, 429, 500] {
        let body = json!({"Code": "Throttling.User", "Message": "Request was denied due to user flow control.",
                          "RequestId": "963BD7F9", "HostId": "pailangstudio.cn-hangzhou.aliyuncs.com",
                          "Recommend": "https://api.aliyun.com/troubleshoot"});
        let server = answering(status, Some(&body)).await;
        let client = pai_langstudio::Client::new(&server.uri(), Runtime::passthrough());
        match client.get_snapshot().snapshot_id("snap-1").send().await {
            Err(pai_langstudio::Error::ErrorResponse(response)) => {
                assert_eq!(response.status().as_u16(), status);
                assert_eq!(response.code.as_deref(), Some("Throttling.User"));
                assert_eq!(response.request_id.as_deref(), Some("963BD7F9"));
            }
            other => panic!("status {status}: expected a typed error response, got {other:?}"),
        }
    }
}
