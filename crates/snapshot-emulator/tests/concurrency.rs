//! A thousand concurrent creates over loopback, mixed across DSW, LangStudio ROA and the
//! LangStudio gateway, each signed or authenticated as usual: every one succeeds, every id
//! is distinct, and the lists show each snapshot exactly once.

mod emulator_support;

use emulator_support::*;
use snapshot_emulator::Timing;
use std::collections::HashSet;
use tokio::task::JoinSet;

const DSW_CREATES: usize = 400;
const ROA_CREATES: usize = 300;
const GATEWAY_CREATES: usize = 300;

#[derive(Debug)]
enum Created {
    Dsw(String),
    LangStudio(String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_creates_lose_and_duplicate_nothing() {
    let emulator = emulator(Timing::instant()).await;
    let dsw_client = dsw(&emulator);
    let roa = langstudio(&emulator);
    let gw = gateway(&emulator);
    let mut tasks = JoinSet::new();
    for i in 0..DSW_CREATES.max(ROA_CREATES).max(GATEWAY_CREATES) {
        if i < DSW_CREATES {
            let client = dsw_client.clone();
            tasks.spawn(async move {
                let created = client
                    .create_instance_snapshot()
                    .instance_id(INSTANCE)
                    .body(dsw_body(&format!("c-{i}")))
                    .send()
                    .await
                    .expect("DSW create succeeds");
                Created::Dsw(created.into_inner().snapshot_id.expect("id"))
            });
        }
        if i < ROA_CREATES {
            let client = roa.clone();
            tasks.spawn(async move {
                let created = client
                    .create_snapshot()
                    .body(langstudio_body(&format!("roa_{i}")))
                    .send()
                    .await
                    .expect("ROA create succeeds");
                Created::LangStudio(created.into_inner().snapshot_id.expect("id"))
            });
        }
        if i < GATEWAY_CREATES {
            let client = gw.clone();
            tasks.spawn(async move {
                let created = client
                    .create_snapshot()
                    .body(langstudio_body(&format!("gateway_{i}")))
                    .send()
                    .await
                    .expect("gateway create succeeds");
                Created::LangStudio(created.into_inner().snapshot_id.expect("id"))
            });
        }
    }
    let mut dsw_ids = HashSet::new();
    let mut langstudio_ids = HashSet::new();
    while let Some(done) = tasks.join_next().await {
        match done.expect("task finished") {
            Created::Dsw(id) => assert!(dsw_ids.insert(id), "duplicate DSW id"),
            Created::LangStudio(id) => {
                assert!(langstudio_ids.insert(id), "duplicate LangStudio id")
            }
        }
    }
    assert_eq!(dsw_ids.len(), DSW_CREATES);
    assert_eq!(langstudio_ids.len(), ROA_CREATES + GATEWAY_CREATES);

    let mut listed_dsw = HashSet::new();
    for page in 1..=4u64 {
        let listed = dsw_client
            .list_instance_snapshot()
            .instance_id(INSTANCE)
            .page_size(100)
            .page_number(std::num::NonZeroU64::new(page).expect("non-zero"))
            .send()
            .await
            .expect("listed")
            .into_inner();
        assert_eq!(listed.total_count, Some(DSW_CREATES as i64));
        for snapshot in listed.snapshots {
            assert!(
                listed_dsw.insert(snapshot.snapshot_id.expect("id")),
                "listed twice"
            );
        }
    }
    assert_eq!(listed_dsw, dsw_ids);

    let mut listed_langstudio = HashSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut call = roa.list_snapshots().max_results(100);
        if let Some(token) = &token {
            call = call.next_token(token.clone());
        }
        let page = call.send().await.expect("listed").into_inner();
        assert_eq!(
            page.total_count,
            Some((ROA_CREATES + GATEWAY_CREATES) as i64)
        );
        for snapshot in page.snapshots {
            assert!(
                listed_langstudio.insert(snapshot.snapshot_id.expect("id")),
                "listed twice"
            );
        }
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(listed_langstudio, langstudio_ids);
    emulator.shutdown().await;
}
