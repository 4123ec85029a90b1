//! `snapshots::paginate` over the three styles, against wiremock on loopback: the requests
//! each stream sends (cursor and the operation's own filters), where it stops, laziness,
//! errors in the middle, and a server that repeats a token, a page or an offset.

mod support;

use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use snapshots::paginate::Paginate;
use snapshots::Error;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DSW_LIST: &str = "/api/v2/instances/dsw-1/snapshots";
const STUDIO_LIST: &str = "/api/v1/langstudio/snapshots";
const OLAP_SNAPSHOTS: &str = "/api/snapshots";

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn dsw_page(ids: &[u32], total: Option<u32>) -> Value {
    let snapshots: Vec<Value> = ids
        .iter()
        .map(|id| json!({"SnapshotId": format!("snp-{id}")}))
        .collect();
    let mut body = json!({"Snapshots": snapshots, "RequestId": "r"});
    if let Some(total) = total {
        body["TotalCount"] = json!(total);
    }
    body
}

fn studio_page(ids: &[u32], token: Option<&str>, total: Option<u32>) -> Value {
    let snapshots: Vec<Value> = ids
        .iter()
        .map(|id| json!({"SnapshotId": format!("s-{id}")}))
        .collect();
    let mut body = json!({"Snapshots": snapshots, "RequestId": "r"});
    if let Some(token) = token {
        body["NextToken"] = json!(token);
    }
    if let Some(total) = total {
        body["TotalCount"] = json!(total);
    }
    body
}

fn olap_page(ids: &[i64], offset: i64, total: i64) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .map(|id| {
            // Enough for a snapshot and for an instance.
            json!({"id": id, "name": format!("s{id}"), "status": "running",
                   "owner_username": "alice", "snapshot_id": 1, "wrapper_type": "ryugraph"})
        })
        .collect();
    json!({"data": data, "meta": {"request_id": null, "offset": offset, "limit": 2, "total": total}})
}

async fn requests(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.query().unwrap_or("").to_owned())
        .collect()
}

fn dsw_ids(items: &[pai_dsw::types::InstanceSnapshot]) -> Vec<String> {
    items
        .iter()
        .map(|s| s.snapshot_id.clone().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn dsw_pages_by_number_until_the_total_keeping_the_filters() {
    let server = MockServer::start().await;
    for (number, ids) in [("1", &[1, 2][..]), ("2", &[3, 4]), ("3", &[5])] {
        Mock::given(method("GET"))
            .and(path(DSW_LIST))
            .and(query_param("PageNumber", number))
            .and(query_param("PageSize", "2"))
            .and(query_param("SortBy", "GmtCreateTime"))
            .respond_with(ok(dsw_page(ids, Some(5))))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = support::client(&server);
    let items: Vec<_> = client
        .dsw()
        .unwrap()
        .list_instance_snapshot()
        .instance_id("dsw-1")
        .page_size(2)
        .sort_by("GmtCreateTime")
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        dsw_ids(&items),
        ["snp-1", "snp-2", "snp-3", "snp-4", "snp-5"]
    );
    assert_eq!(requests(&server).await.len(), 3, "stops at TotalCount");
}

#[tokio::test]
async fn dsw_stops_on_an_empty_page_when_there_is_no_total() {
    let server = MockServer::start().await;
    Mock::given(path(DSW_LIST))
        .and(query_param("PageNumber", "1"))
        .respond_with(ok(dsw_page(&[1, 2], None)))
        .mount(&server)
        .await;
    Mock::given(path(DSW_LIST))
        .and(query_param("PageNumber", "2"))
        .respond_with(ok(dsw_page(&[], None)))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let pages: Vec<_> = client
        .dsw()
        .unwrap()
        .list_instance_snapshot()
        .instance_id("dsw-1")
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert!(pages[1].snapshots.is_empty());
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn dsw_fails_when_the_server_repeats_a_page() {
    let server = MockServer::start().await;
    // A server that ignores PageNumber: the same page forever, with a total that is never
    // reached.
    Mock::given(path(DSW_LIST))
        .respond_with(ok(dsw_page(&[1, 2], Some(100))))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let mut items = client
        .dsw()
        .unwrap()
        .list_instance_snapshot()
        .instance_id("dsw-1")
        .items();
    let mut seen = Vec::new();
    let error = loop {
        match items.next().await {
            Some(Ok(item)) => seen.push(item),
            Some(Err(error)) => break error,
            None => panic!("the stream ended without noticing the repeated page"),
        }
    };
    assert_eq!(dsw_ids(&seen), ["snp-1", "snp-2"], "the first page is kept");
    assert!(
        matches!(&error, Error::Pagination { operation: "list_instance_snapshot", message } if message.contains("same 2 items")),
        "{error:?}"
    );
    assert!(
        items.next().await.is_none(),
        "the stream ends after the error"
    );
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn streams_are_lazy() {
    let server = MockServer::start().await;
    Mock::given(path(DSW_LIST))
        .respond_with(ok(dsw_page(&[1, 2], Some(100))))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let stream = client
        .dsw()
        .unwrap()
        .list_instance_snapshot()
        .instance_id("dsw-1")
        .items();
    assert!(requests(&server).await.is_empty(), "nothing before polling");
    let first: Vec<_> = stream.take(1).try_collect().await.unwrap();
    assert_eq!(dsw_ids(&first), ["snp-1"]);
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn an_error_ends_the_stream_after_the_pages_before_it() {
    let server = MockServer::start().await;
    Mock::given(path(DSW_LIST))
        .and(query_param("PageNumber", "1"))
        .respond_with(ok(dsw_page(&[1, 2], Some(4))))
        .mount(&server)
        .await;
    Mock::given(path(DSW_LIST))
        .and(query_param("PageNumber", "2"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"Code": "Forbidden", "Message": "no", "RequestId": "req-2"})),
        )
        .mount(&server)
        .await;
    let client = support::client(&server);
    let results: Vec<_> = client
        .dsw()
        .unwrap()
        .list_instance_snapshot()
        .instance_id("dsw-1")
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    let error = results[2].as_ref().unwrap_err();
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.request_id(), Some("req-2"));
}

#[tokio::test]
async fn langstudio_follows_next_token_keeping_the_filters() {
    let server = MockServer::start().await;
    Mock::given(path(STUDIO_LIST))
        .and(query_param_is_missing("NextToken"))
        .and(query_param("WorkspaceId", "ws-1"))
        .and(query_param("MaxResults", "2"))
        .respond_with(ok(studio_page(&[1, 2], Some("t1"), Some(5))))
        .expect(1)
        .mount(&server)
        .await;
    for (token, ids, next) in [("t1", &[3, 4][..], Some("t2")), ("t2", &[5], None)] {
        Mock::given(path(STUDIO_LIST))
            .and(query_param("NextToken", token))
            .and(query_param("WorkspaceId", "ws-1"))
            .and(query_param("MaxResults", "2"))
            .respond_with(ok(studio_page(ids, next, Some(5))))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = support::client(&server);
    let items: Vec<_> = client
        .langstudio()
        .unwrap()
        .list_snapshots()
        .workspace_id("ws-1")
        .max_results(2)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = items.iter().filter_map(|s| s.snapshot_id.clone()).collect();
    assert_eq!(ids, ["s-1", "s-2", "s-3", "s-4", "s-5"]);
}

#[tokio::test]
async fn langstudio_fails_on_a_repeated_token() {
    let server = MockServer::start().await;
    Mock::given(path(STUDIO_LIST))
        .and(query_param_is_missing("NextToken"))
        .respond_with(ok(studio_page(&[1], Some("t1"), None)))
        .mount(&server)
        .await;
    Mock::given(path(STUDIO_LIST))
        .and(query_param("NextToken", "t1"))
        .respond_with(ok(studio_page(&[2], Some("t1"), None)))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let results: Vec<_> = client
        .langstudio()
        .unwrap()
        .list_snapshots()
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(
        matches!(&results[2], Err(Error::Pagination { message, .. }) if message.contains("\"t1\"")),
        "{:?}",
        results[2]
    );
    assert_eq!(requests(&server).await.len(), 2, "never asks for t1 twice");
}

#[tokio::test]
async fn langstudio_without_tokens_pages_by_number_until_the_total() {
    let server = MockServer::start().await;
    Mock::given(path(STUDIO_LIST))
        .and(query_param_is_missing("PageNumber"))
        .respond_with(ok(studio_page(&[1, 2], None, Some(3))))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(STUDIO_LIST))
        .and(query_param("PageNumber", "2"))
        .and(query_param("PageSize", "2"))
        .respond_with(ok(studio_page(&[3], None, Some(3))))
        .expect(1)
        .mount(&server)
        .await;
    let client = support::client(&server);
    let items: Vec<_> = client
        .langstudio()
        .unwrap()
        .list_snapshots()
        .page_size(2)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items.len(), 3);
}

#[tokio::test]
async fn langstudio_gateway_lists_the_same_way() {
    let server = MockServer::start().await;
    let list = format!("{}/ListSnapshots", support::GATEWAY_PATH);
    Mock::given(path(list.as_str()))
        .and(query_param_is_missing("NextToken"))
        .respond_with(ok(studio_page(&[1], Some("g1"), None)))
        .mount(&server)
        .await;
    Mock::given(path(list.as_str()))
        .and(query_param("NextToken", "g1"))
        .respond_with(ok(studio_page(&[2], Some(""), None)))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let pages: Vec<_> = client
        .langstudio_gateway()
        .unwrap()
        .list_snapshots()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2, "an empty NextToken ends the listing");
}

#[tokio::test]
async fn graph_olap_advances_the_offset_until_meta_total() {
    let server = MockServer::start().await;
    for (offset, ids) in [("0", &[1, 2][..]), ("2", &[3, 4]), ("4", &[5])] {
        let mock = Mock::given(path(OLAP_SNAPSHOTS))
            .and(query_param("limit", "2"))
            .and(query_param("status", "ready"));
        let mock = if offset == "0" {
            mock.and(query_param_is_missing("offset"))
        } else {
            mock.and(query_param("offset", offset))
        };
        mock.respond_with(ok(olap_page(ids, offset.parse().unwrap(), 5)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = support::client(&server);
    let items: Vec<_> = client
        .graph_olap()
        .unwrap()
        .list_snapshots()
        .limit(snapshots::validate::graph_olap_limit(2).unwrap())
        .status(graph_olap::types::SnapshotStatus::Ready)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = items.iter().map(|s| s.id.to_string()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
}

#[tokio::test]
async fn graph_olap_fails_when_the_server_ignores_the_offset() {
    let server = MockServer::start().await;
    Mock::given(path("/api/instances"))
        .and(query_param_is_missing("offset"))
        .respond_with(ok(olap_page(&[1, 2], 0, 10)))
        .mount(&server)
        .await;
    // Answers offset 2 with a page that claims offset 0 (and other items).
    Mock::given(path("/api/instances"))
        .and(query_param("offset", "2"))
        .respond_with(ok(olap_page(&[3, 4], 0, 10)))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let results: Vec<_> = client
        .graph_olap()
        .unwrap()
        .list_instances()
        .pages()
        .collect()
        .await;
    assert_eq!(
        results.len(),
        2,
        "the misplaced page is not yielded: {results:?}"
    );
    assert!(
        matches!(&results[1], Err(Error::Pagination { operation: "list_instances", message }) if message.contains("offset 2")),
        "{:?}",
        results[1]
    );
}
