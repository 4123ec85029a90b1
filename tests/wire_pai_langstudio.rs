//! PAI LangStudio (2024-07-10) wire contract, both forms.
//!
//! ROA form: the generated client sends what the official SDK
//! `alibabacloud-pailangstudio20240710` 1.2.2 sends (`client.py`, lines 532-576, 2052-2106,
//! 1372-1401, 2764-2797 and 964-993): `SnapshotId` only ever in the path (or as the list
//! filter), `WorkspaceId` in the query for GET/DELETE and in the body for POST/PUT.
//! Gateway form: what seed 000's curl examples send, relative to the gateway base URL.
//!
//! The expected names are written out here by hand from the SDK and the seed, not read from
//! the spec.

use contract_tests::{answering, example, names, the_request};
use pai_langstudio::types;
use serde_json::json;
use snapshots_runtime::Runtime;

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
    serde_json::from_value(example("pai-langstudio/GatewayCreateSnapshot.request.json"))
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
        Some(&example("pai-langstudio/GatewayCreateSnapshot.200.json")),
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

#[tokio::test]
async fn gateway_create_snapshot() {
    let server = answering(
        200,
        Some(&example("pai-langstudio/GatewayCreateSnapshot.200.json")),
    )
    .await;
    let client = pai_langstudio::Client::new(
        &format!("{}{GATEWAY_BASE}", server.uri()),
        Runtime::passthrough(),
    );
    let response = client
        .gateway_create_snapshot()
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
        Some(example("pai-langstudio/GatewayCreateSnapshot.request.json")),
        "the seed's body, as sent"
    );
}

#[tokio::test]
async fn gateway_list_snapshots() {
    let documented = json!({"RequestId": "r", "TotalCount": 0, "Snapshots": []});
    let server = answering(200, Some(&documented)).await;
    let client = pai_langstudio::Client::new(
        &format!("{}{GATEWAY_BASE}", server.uri()),
        Runtime::passthrough(),
    );
    client
        .gateway_list_snapshots()
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
    let client = pai_langstudio::Client::new(
        &format!("{}{GATEWAY_BASE}", server.uri()),
        Runtime::passthrough(),
    );
    let response = client
        .gateway_get_snapshot()
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

#[tokio::test]
async fn gateway_update_snapshot() {
    let server = answering(200, Some(&json!({"RequestId": "r"}))).await;
    let client = pai_langstudio::Client::new(
        &format!("{}{GATEWAY_BASE}", server.uri()),
        Runtime::passthrough(),
    );
    let body: types::GatewayUpdateSnapshotRequest =
        serde_json::from_value(example("pai-langstudio/GatewayUpdateSnapshot.request.json"))
            .expect("seed 000's update body is a valid request");
    client
        .gateway_update_snapshot()
        .body(body)
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
        sent.body,
        Some(names(&[
            "Description",
            "SnapshotId",
            "SnapshotName",
            "WorkspaceId"
        ]))
    );
}

#[tokio::test]
async fn gateway_delete_snapshot() {
    let server = answering(200, Some(&json!({"RequestId": "r"}))).await;
    let client = pai_langstudio::Client::new(
        &format!("{}{GATEWAY_BASE}", server.uri()),
        Runtime::passthrough(),
    );
    client
        .gateway_delete_snapshot()
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

/// Invalid names are refused before anything is sent.
#[tokio::test]
async fn invalid_names_cannot_be_sent() {
    let mut body = example("pai-langstudio/GatewayCreateSnapshot.request.json");
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
