//! `snapctl graph-olap instance|mapping|user`: the rest of the control plane a user needs,
//! with the conventions of the snapshot commands (one builder call, a `.items()` listing or
//! a waiter; tables or the server's own JSON; the same exit codes).
//!
//! JSON output is the `data` member of the envelope (instances, mappings) or the whole
//! answer (users, which the server sends without an envelope), as the server wrote it;
//! `instance delete` prints `{"deleted": true}` for the server's bodiless 204.

use std::io::Write;

use chrono::SecondsFormat;
use graph_olap::types::{
    CreateMappingRequest, Instance, InstanceName, MappingName, MappingSummary, ResourceId, User,
};
use serde::Serialize;
use snapshots::{validate, wait, Client, Error};

use super::graph_olap::{resource_id, DATA};
use super::{identifier, invalid, page_size, send_raw};
use crate::cli_olap::{
    InstanceCommand, InstanceCreate, MappingCommand, MappingCreate, UserCommand,
};
use crate::output::{render, Column, Printer};
use crate::progress::WaitProgress;
use crate::raw::{captured, Answer};
use crate::Failure;

/// A cell from any serialisable value: its one-line rendering, `-` when absent.
fn cell<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Null) | Err(_) => "-".to_owned(),
        Ok(value) => render(&value),
    }
}

fn time(value: Option<&chrono::DateTime<chrono::Utc>>) -> String {
    value.map_or_else(
        || "-".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// The columns of `snapctl graph-olap instance list`.
pub const INSTANCE_COLUMNS: &[Column<Instance>] = &[
    Column {
        header: "ID",
        width: 6,
        cell: |i| i.id.to_string(),
    },
    Column {
        header: "NAME",
        width: 24,
        cell: |i| i.name.clone(),
    },
    Column {
        header: "STATUS",
        width: 20,
        cell: |i| cell(&i.status),
    },
    Column {
        header: "SNAPSHOT",
        width: 8,
        cell: |i| i.snapshot_id.to_string(),
    },
    Column {
        header: "WRAPPER",
        width: 9,
        cell: |i| cell(&i.wrapper_type),
    },
    Column {
        header: "OWNER",
        width: 12,
        cell: |i| i.owner_username.clone(),
    },
    Column {
        header: "CREATED",
        width: 0,
        cell: |i| time(i.created_at.as_ref()),
    },
];

/// The columns of `snapctl graph-olap mapping list`.
pub const MAPPING_COLUMNS: &[Column<MappingSummary>] = &[
    Column {
        header: "ID",
        width: 6,
        cell: |m| m.id.to_string(),
    },
    Column {
        header: "NAME",
        width: 24,
        cell: |m| cell(&m.name),
    },
    Column {
        header: "VERSION",
        width: 7,
        cell: |m| cell(&m.current_version),
    },
    Column {
        header: "OWNER",
        width: 12,
        cell: |m| cell(&m.owner_username),
    },
    Column {
        header: "NODES",
        width: 5,
        cell: |m| cell(&m.node_count),
    },
    Column {
        header: "EDGES",
        width: 5,
        cell: |m| cell(&m.edge_type_count),
    },
    Column {
        header: "CREATED",
        width: 0,
        cell: |m| time(m.created_at.as_ref()),
    },
];

/// The columns of `snapctl graph-olap user list`.
pub const USER_COLUMNS: &[Column<User>] = &[
    Column {
        header: "USERNAME",
        width: 16,
        cell: |u| u.username.clone(),
    },
    Column {
        header: "ROLE",
        width: 8,
        cell: |u| cell(&u.role),
    },
    Column {
        header: "ACTIVE",
        width: 6,
        cell: |u| u.is_active.to_string(),
    },
    Column {
        header: "EMAIL",
        width: 24,
        cell: |u| u.email.clone(),
    },
    Column {
        header: "DISPLAY NAME",
        width: 0,
        cell: |u| u.display_name.clone(),
    },
];

/// Runs one `instance` command.
pub async fn instance<W: Write>(
    client: &Client,
    command: InstanceCommand,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let olap = client.graph_olap()?;
    match command {
        InstanceCommand::List(filters) => {
            let limit = page_size::<graph_olap::builder::ListInstances<'_>>(
                filters.page_size,
                graph_olap::RULES,
                "limit",
            )
            .map(validate::graph_olap_limit)
            .transpose()?;
            let offset = filters
                .offset
                .map(validate::graph_olap_offset)
                .transpose()?;
            let mut request = olap.list_instances();
            if let Some(v) = filters.owner {
                request = request.owner(v);
            }
            if let Some(v) = filters.status {
                request = request.status(graph_olap::types::InstanceStatus::from(v));
            }
            if let Some(v) = filters.search {
                request = request.search(v);
            }
            if let Some(v) = limit {
                request = request.limit(v);
            }
            if let Some(v) = offset {
                request = request.offset(v);
            }
            printer.listing(INSTANCE_COLUMNS, request).await?;
        }
        InstanceCommand::Get { instance_id } => {
            let id = resource_id("instance_id", &instance_id)?;
            let got = send_raw(olap.get_instance().instance_id(id).send()).await?;
            printer.answer(&got.body, DATA)?;
        }
        InstanceCommand::Create(new) => create_instance(client, new, printer).await?,
        InstanceCommand::Delete { instance_id } => {
            let id = resource_id("instance_id", &instance_id)?;
            let answer = send_raw(olap.delete_instance().instance_id(id.clone()).send()).await?;
            printer.outcome_of(
                &format!("Deleted Graph OLAP instance {id}"),
                &answer.body,
                DATA,
                &serde_json::json!({"deleted": true}),
            )?;
        }
        InstanceCommand::Wait {
            instance_id,
            wait_args,
        } => {
            let id = resource_id("instance_id", &instance_id)?;
            let done = wait_for_instance(client, id, &wait_args).await?;
            printer.answer(&done.body, DATA)?;
        }
    }
    Ok(())
}

/// `instance create`: every value checked before anything is sent, then optionally a wait.
async fn create_instance<W: Write>(
    client: &Client,
    new: InstanceCreate,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let name: InstanceName = validate::parse(graph_olap::RULES, "InstanceName", &new.name)?;
    let mapping_id = resource_id("mapping_id", &new.mapping_id)?;
    let version = new
        .mapping_version
        .map(|v| {
            std::num::NonZeroU64::new(v).ok_or_else(|| invalid("mapping_version", "at least 1"))
        })
        .transpose()?;
    let description = new
        .description
        .map(|d| validate::parse(graph_olap::RULES, "Description", &d))
        .transpose()?;
    let ttl = new
        .ttl
        .map(|t| validate::parse(graph_olap::RULES, "IsoDuration", &t))
        .transpose()?;
    let inactivity = new
        .inactivity_timeout
        .map(|t| validate::parse(graph_olap::RULES, "IsoDuration", &t))
        .transpose()?;
    let cpu_cores = new
        .cpu_cores
        .map(validate::graph_olap_cpu_cores)
        .transpose()?;
    let wrapper = graph_olap::types::WrapperType::from(new.wrapper_type);
    let created = send_raw(
        client
            .graph_olap()?
            .create_instance()
            .body_map(|body| {
                body.name(name)
                    .mapping_id(mapping_id)
                    .mapping_version(version)
                    .wrapper_type(wrapper)
                    .description(description)
                    .ttl(ttl)
                    .inactivity_timeout(inactivity)
                    .cpu_cores(cpu_cores)
            })
            .send(),
    )
    .await?;
    if new.wait {
        let id = created.value.data.id.clone();
        let done = wait_for_instance(client, id, &new.wait_args).await?;
        printer.answer(&done.body, DATA)?;
    } else {
        printer.answer(&created.body, DATA)?;
    }
    Ok(())
}

/// Waits until an instance runs (the spec's `instance` waiter), with a bar of its loading
/// steps on stderr; the instance, with the body of the last poll.
pub async fn wait_for_instance(
    client: &Client,
    id: ResourceId,
    args: &crate::cli::WaitArgs,
) -> Result<Answer<Instance>, Error> {
    let mut display = WaitProgress::new(format!("Graph OLAP instance {id}"));
    let waiter = wait::until(graph_olap::waiters::instance(client.graph_olap()?, id))
        .timeout(args.timeout)
        .poll_interval(args.interval);
    let result = captured(waiter.wait_with(|poll| display.show(poll))).await;
    display.finish();
    result
}

/// Runs one `mapping` command.
pub async fn mapping<W: Write>(
    client: &Client,
    command: MappingCommand,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let olap = client.graph_olap()?;
    match command {
        MappingCommand::List {
            owner,
            search,
            page_size: size,
            offset,
        } => {
            let limit = page_size::<graph_olap::builder::ListMappings<'_>>(
                size,
                graph_olap::RULES,
                "limit",
            )
            .map(validate::graph_olap_limit)
            .transpose()?;
            let offset = offset.map(validate::graph_olap_offset).transpose()?;
            let mut request = olap.list_mappings();
            if let Some(v) = owner {
                request = request.owner(v);
            }
            if let Some(v) = search {
                request = request.search(v);
            }
            if let Some(v) = limit {
                request = request.limit(v);
            }
            if let Some(v) = offset {
                request = request.offset(v);
            }
            printer.listing(MAPPING_COLUMNS, request).await?;
        }
        MappingCommand::Get { mapping_id } => {
            let id = resource_id("mapping_id", &mapping_id)?;
            let got = send_raw(olap.get_mapping().mapping_id(id).send()).await?;
            printer.answer(&got.body, DATA)?;
        }
        MappingCommand::Create(new) => {
            let body = mapping_body(new)?;
            let created = send_raw(olap.create_mapping().body(body).send()).await?;
            printer.answer(&created.body, DATA)?;
        }
    }
    Ok(())
}

/// The body of `mapping create`: the definitions file, then the options, all checked.
fn mapping_body(new: MappingCreate) -> Result<CreateMappingRequest, Error> {
    let text = std::fs::read_to_string(&new.definitions)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", new.definitions.display())))?;
    let mut value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        invalid(
            "definitions",
            &format!("a JSON object of definitions ({e})"),
        )
    })?;
    let Some(object) = value.as_object_mut() else {
        return Err(invalid("definitions", "a JSON object of definitions"));
    };
    let name: MappingName = validate::parse(graph_olap::RULES, "MappingName", &new.name)?;
    let set =
        |object: &mut serde_json::Map<String, serde_json::Value>, key: &str, v: Option<String>| {
            if let Some(v) = v {
                object.insert(key.to_owned(), serde_json::Value::String(v));
            }
        };
    object.insert("name".into(), serde_json::Value::String(name.to_string()));
    set(object, "description", new.description);
    set(object, "ttl", new.ttl);
    set(object, "inactivity_timeout", new.inactivity_timeout);
    serde_json::from_value(value).map_err(|e| {
        invalid(
            "definitions",
            &format!("the API's node_definitions and edge_definitions ({e})"),
        )
    })
}

/// Runs one `user` command.
pub async fn user<W: Write>(
    client: &Client,
    command: UserCommand,
    printer: &mut Printer<W>,
) -> Result<(), Failure> {
    let olap = client.graph_olap()?;
    match command {
        UserCommand::List {
            active,
            page_size: size,
        } => {
            let limit =
                page_size::<graph_olap::builder::ListUsers<'_>>(size, graph_olap::RULES, "limit")
                    .map(validate::graph_olap_limit)
                    .transpose()?;
            let mut request = olap.list_users();
            if let Some(v) = active {
                request = request.is_active(v);
            }
            if let Some(v) = limit {
                request = request.limit(v);
            }
            printer.listing(USER_COLUMNS, request).await?;
        }
        UserCommand::Get { username } => {
            let username = identifier("username", &username)?;
            let got = send_raw(olap.get_user().username(username).send()).await?;
            printer.answer(&got.body, "")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn new_mapping(definitions: PathBuf) -> MappingCreate {
        MappingCreate {
            name: "customers".into(),
            definitions,
            description: Some("d".into()),
            ttl: None,
            inactivity_timeout: Some("7 days".into()),
        }
    }

    #[test]
    fn mapping_definitions_are_checked_before_sending() {
        let missing = mapping_body(new_mapping("/nonexistent/definitions.json".into()));
        assert!(matches!(missing, Err(Error::Config(_))), "{missing:?}");
        let dir = std::env::temp_dir().join(format!("snapctl-mapping-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let file = dir.join("definitions.json");
        std::fs::write(&file, "[1, 2]").expect("written");
        let error = mapping_body(new_mapping(file.clone())).expect_err("not an object");
        assert!(matches!(error, Error::Validation { .. }), "{error}");
        std::fs::write(&file, r#"{"node_definitions": []}"#).expect("written");
        let error = mapping_body(new_mapping(file.clone())).expect_err("a bad duration");
        assert!(matches!(error, Error::Validation { .. }), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
