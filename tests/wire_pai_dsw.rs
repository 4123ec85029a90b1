//! PAI-DSW (2022-01-01) wire contract: for every operation, the generated client sends the
//! method, path, query parameter names and JSON body member names that the official SDK
//! `alibabacloud-pai-dsw20220101` 2.4.0 sends (its `client.py`, lines 488-527, 2780-2815,
//! 1872-1896 and 1114-1138), and decodes the documented response.
//!
//! The expected names are written out here by hand from the SDK, not read from the spec.

use contract_tests::{answering, example, names, the_request};
use pai_dsw::types;
use serde_json::json;
use snapshots_runtime::Runtime;

#[tokio::test]
async fn create_instance_snapshot() {
    let server = answering(
        200,
        Some(&example("pai-dsw/CreateInstanceSnapshot.200.json")),
    )
    .await;
    let client = pai_dsw::Client::new(&server.uri(), Runtime::passthrough());
    let body: types::CreateInstanceSnapshotRequest = serde_json::from_value(json!({
        "SnapshotName": "snapshot-v1",
        "SnapshotDescription": "before upgrade",
        "ImageUrl": "registry.cn-shanghai.aliyuncs.com/test/example:snapshot-v1",
        "Labels": [{"Key": "stsTokenOwner", "Value": "123xxxxxxxx"}],
        "ExcludePaths": ["/mnt/data"],
        "Overwrite": true
    }))
    .expect("a valid request body");
    let response = client
        .create_instance_snapshot()
        .instance_id("dsw-730xxxxxxxxxx")
        .body(body)
        .send()
        .await
        .expect("documented 200 decodes");
    assert_eq!(response.snapshot_id.as_deref(), Some("snp-05cexxxxxxxxx"));
    assert_eq!(response.instance_id.as_deref(), Some("dsw-730xxxxxxxxxx"));

    let sent = the_request(&server).await;
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/api/v2/instances/dsw-730xxxxxxxxxx/snapshots");
    assert_eq!(sent.query, names(&[]));
    assert_eq!(
        sent.body,
        Some(names(&[
            "ExcludePaths",
            "ImageUrl",
            "Labels",
            "Overwrite",
            "SnapshotDescription",
            "SnapshotName"
        ]))
    );
    let labels = &sent.json.as_ref().expect("a body")["Labels"];
    assert_eq!(
        labels,
        &json!([{"Key": "stsTokenOwner", "Value": "123xxxxxxxx"}]),
        "Labels travel as [{{Key, Value}}]"
    );
}

#[tokio::test]
async fn create_instance_snapshot_sends_only_what_is_set() {
    let server = answering(
        200,
        Some(&example("pai-dsw/CreateInstanceSnapshot.200.json")),
    )
    .await;
    let client = pai_dsw::Client::new(&server.uri(), Runtime::passthrough());
    client
        .create_instance_snapshot()
        .instance_id("dsw-1")
        .body(
            types::CreateInstanceSnapshotRequest::builder()
                .snapshot_name(
                    "snap-v1"
                        .parse::<types::SnapshotName>()
                        .expect("a valid name"),
                )
                .image_url("reg/x:y".to_owned()),
        )
        .send()
        .await
        .expect("documented 200 decodes");
    // The SDK's minimal body: `{"ImageUrl":"u","SnapshotName":"s"}`.
    assert_eq!(
        the_request(&server).await.body,
        Some(names(&["ImageUrl", "SnapshotName"]))
    );
}

#[tokio::test]
async fn list_instance_snapshot() {
    let documented = json!({
        "RequestId": "E7D55162-4489-1619-AAF5-3F97D5FCA948",
        "Success": true,
        "TotalCount": 1,
        "Snapshots": [{
            "InstanceId": "dsw-730xxxxxxxxxx", "SnapshotId": "snp-05cexxxxxxxxx",
            "SnapshotName": "snapshot-v1", "Status": "Pushing", "ImageId": "image-05cefd0be2exxxx",
            "ImageUrl": "registry.cn-shanghai.aliyuncs.com/test/example:snapshot-v1",
            "ReasonCode": "", "ReasonMessage": "", "GmtCreateTime": "2021-01-12T14:36:01Z",
            "GmtModifiedTime": "2021-01-12T14:36:01Z", "Labels": [{"Key": "k", "Value": "v"}],
            "ExcludePaths": ["/tmp"]
        }]
    });
    let server = answering(200, Some(&documented)).await;
    let client = pai_dsw::Client::new(&server.uri(), Runtime::passthrough());
    let response = client
        .list_instance_snapshot()
        .instance_id("dsw-730xxxxxxxxxx")
        .page_number(2)
        .page_size(20)
        .sort_by("GmtCreateTime")
        .order("DESC")
        .send()
        .await
        .expect("documented 200 decodes");
    assert_eq!(response.total_count, Some(1));
    assert_eq!(response.snapshots.len(), 1);
    assert_eq!(response.snapshots[0].status.as_deref(), Some("Pushing"));

    let sent = the_request(&server).await;
    assert_eq!(sent.method, "GET");
    assert_eq!(sent.path, "/api/v2/instances/dsw-730xxxxxxxxxx/snapshots");
    assert_eq!(
        sent.query,
        names(&["Order", "PageNumber", "PageSize", "SortBy"])
    );
    assert_eq!(sent.body, None);
    assert!(sent
        .query_pairs
        .contains(&("PageNumber".to_owned(), "2".to_owned())));
}

#[tokio::test]
async fn get_instance_snapshot() {
    let server = answering(200, Some(&example("pai-dsw/GetInstanceSnapshot.200.json"))).await;
    let client = pai_dsw::Client::new(&server.uri(), Runtime::passthrough());
    let response = client
        .get_instance_snapshot()
        .instance_id("dsw-730xxxxxxxxxx")
        .snapshot_id("snp-05cexxxxxxxxx")
        .send()
        .await
        .expect("documented 200 decodes");
    assert_eq!(response.status.as_deref(), Some("Pushing"));
    assert_eq!(response.reason_code.as_deref(), Some("Internal Error"));
    assert_eq!(response.labels[0].key.as_deref(), Some("stsTokenOwner"));

    let sent = the_request(&server).await;
    assert_eq!(sent.method, "GET");
    assert_eq!(
        sent.path,
        "/api/v2/instances/dsw-730xxxxxxxxxx/snapshots/snp-05cexxxxxxxxx"
    );
    assert_eq!(sent.query, names(&[]));
    assert_eq!(sent.body, None);
}

#[tokio::test]
async fn delete_instance_snapshot() {
    let documented = json!({
        "RequestId": "E7D55162-4489-1619-AAF5-3F97D5FCA948", "Success": true,
        "InstanceId": "dsw-730xxxxxxxxxx", "SnapshotId": "snp-05cexxxxxxxxx"
    });
    let server = answering(200, Some(&documented)).await;
    let client = pai_dsw::Client::new(&server.uri(), Runtime::passthrough());
    let response = client
        .delete_instance_snapshot()
        .instance_id("dsw-730xxxxxxxxxx")
        .snapshot_id("snp-05cexxxxxxxxx")
        .send()
        .await
        .expect("documented 200 decodes");
    assert_eq!(response.success, Some(true));

    let sent = the_request(&server).await;
    assert_eq!(sent.method, "DELETE");
    assert_eq!(
        sent.path,
        "/api/v2/instances/dsw-730xxxxxxxxxx/snapshots/snp-05cexxxxxxxxx"
    );
    assert_eq!(sent.query, names(&[]));
    assert_eq!(sent.body, None);
}

/// Path segments are percent-encoded as the SDK's `percent_encode` does: `/` and space escaped.
#[tokio::test]
async fn path_parameters_are_percent_encoded() {
    let server = answering(200, Some(&json!({"Snapshots": []}))).await;
    let client = pai_dsw::Client::new(&server.uri(), Runtime::passthrough());
    client
        .list_instance_snapshot()
        .instance_id("dsw-1/ a")
        .send()
        .await
        .expect("200 decodes");
    assert_eq!(
        the_request(&server).await.path,
        "/api/v2/instances/dsw-1%2F%20a/snapshots"
    );
}

/// An Alibaba error body decodes into the typed error for every documented error status.
#[tokio::test]
async fn errors_decode_into_the_alibaba_error_body() {
    for status in [400u16, 403, 404, 429, 500, 503] {
        let body = json!({
            "Code": "ValidationError", "Message": "SnapshotName is invalid",
            "RequestId": "E7D55162-4489-1619-AAF5-3F97D5FCA948", "HostId": "pai-dsw.cn-hangzhou.aliyuncs.com",
            "Recommend": "https://api.aliyun.com/troubleshoot?q=ValidationError"
        });
        let server = answering(status, Some(&body)).await;
        let client = pai_dsw::Client::new(&server.uri(), Runtime::passthrough());
        let error = client
            .get_instance_snapshot()
            .instance_id("dsw-1")
            .snapshot_id("snp-1")
            .send()
            .await
            .expect_err("an error status is an error");
        match error {
            pai_dsw::Error::ErrorResponse(response) => {
                assert_eq!(response.status().as_u16(), status);
                assert_eq!(response.code.as_deref(), Some("ValidationError"));
                assert_eq!(
                    response.host_id.as_deref(),
                    Some("pai-dsw.cn-hangzhou.aliyuncs.com")
                );
                assert!(response.recommend.is_some());
            }
            other => panic!("status {status}: expected a typed error response, got {other:?}"),
        }
    }
}
