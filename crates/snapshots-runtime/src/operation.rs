//! What the runtime knows about an operation: its ids, method and path, and how to check
//! that a response body decodes as the spec documents, written for each generated crate by
//! `cargo xtask generate` (the `OPERATIONS` table in its `generated.rs`).

/// Checks that a response body with a given status decodes as the type the spec documents
/// for it (generated per operation); `Ok(())` where nothing is documented.
pub type BodyCheck = fn(status: u16, body: &[u8]) -> Result<(), serde_json::Error>;

/// One operation of a generated client.
///
/// ```
/// use snapshots_runtime::Operation;
/// const OPS: &[Operation] = &[Operation::new("get_thing", "GetThing", "GET", "/things/{id}")];
/// assert_eq!(Operation::lookup(OPS, "get_thing").unwrap().name, "GetThing");
/// // An id the table does not list is not guessed at: the runtime refuses the call.
/// assert!(Operation::lookup(OPS, "nope").is_none());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// Progenitor's id of the operation (snake case), as in `OperationInfo::operation_id`.
    pub id: &'static str,
    /// The spec's `operationId`; for the Alibaba ROA APIs this is the action name that goes
    /// into `x-acs-action` (for example `CreateInstanceSnapshot`).
    pub name: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template from the spec.
    pub path: &'static str,
    /// The action name (the spec's `x-acs-action`), when the spec gives one: the last path
    /// segment of the request under [`crate::Transport::ActionPath`].
    pub action: Option<&'static str>,
    /// The check of response bodies against the spec's types.
    pub body_check: BodyCheck,
    /// The answers the spec declares conflicts (`x-conflicts`): never retried.
    pub conflicts: &'static [crate::conflict::Conflict],
    /// The query parameters the server does not fully honour (`x-server-support`).
    pub query: &'static [crate::query::QueryRule],
}

/// The check of an operation whose response types are not known: every body passes.
fn unchecked(_status: u16, _body: &[u8]) -> Result<(), serde_json::Error> {
    Ok(())
}

/// A [`BodyCheck`] for an operation whose 2xx bodies are an `S` and whose 4xx/5xx bodies
/// are an `E` (the generated tables name it as `check_body::<types::S, types::E>`).
///
/// ```
/// use snapshots_runtime::operation::check_body;
/// assert!(check_body::<Vec<u32>, String>(200, b"[1]").is_ok());
/// assert!(check_body::<Vec<u32>, String>(502, b"<html>").is_err());
/// assert!(check_body::<Vec<u32>, String>(304, b"").is_ok());
/// ```
pub fn check_body<S, E>(status: u16, body: &[u8]) -> Result<(), serde_json::Error>
where
    S: serde::de::DeserializeOwned,
    E: serde::de::DeserializeOwned,
{
    match status {
        200..=299 => check_success_body::<S>(status, body),
        _ => check_error_body::<E>(status, body),
    }
}

/// A [`BodyCheck`] for an operation whose 2xx answers have no body to decode (`()` in the
/// generated code) and whose 4xx/5xx bodies are an `E`.
pub fn check_error_body<E>(status: u16, body: &[u8]) -> Result<(), serde_json::Error>
where
    E: serde::de::DeserializeOwned,
{
    match status {
        400..=599 => serde_json::from_slice::<E>(body).map(drop),
        _ => Ok(()),
    }
}

/// A [`BodyCheck`] for an operation that documents no error body: 2xx bodies are an `S`.
pub fn check_success_body<S>(status: u16, body: &[u8]) -> Result<(), serde_json::Error>
where
    S: serde::de::DeserializeOwned,
{
    match status {
        200..=299 => serde_json::from_slice::<S>(body).map(drop),
        _ => Ok(()),
    }
}

impl Operation {
    /// An operation description (used by the generated tables), with no body check.
    pub const fn new(
        id: &'static str,
        name: &'static str,
        method: &'static str,
        path: &'static str,
    ) -> Self {
        Self {
            id,
            name,
            method,
            path,
            action: None,
            body_check: unchecked,
            conflicts: &[],
            query: &[],
        }
    }

    /// The same operation, with the answers its spec declares conflicts (`x-conflicts`).
    pub const fn with_conflicts(mut self, conflicts: &'static [crate::conflict::Conflict]) -> Self {
        self.conflicts = conflicts;
        self
    }

    /// The same operation, with the rules of the query parameters its server does not fully
    /// honour (`x-server-support`), which the runtime applies before sending
    /// ([`crate::query::apply`]).
    pub const fn with_query(mut self, rules: &'static [crate::query::QueryRule]) -> Self {
        self.query = rules;
        self
    }

    /// The same operation, with response bodies checked by `check` (generated from the
    /// spec's response schemas): a body that fails it ends the call with
    /// [`crate::Failure::Undecodable`], which keeps the status.
    ///
    /// ```
    /// use snapshots_runtime::Operation;
    /// fn check(status: u16, body: &[u8]) -> Result<(), serde_json::Error> {
    ///     match status {
    ///         200 => serde_json::from_slice::<Vec<u32>>(body).map(drop),
    ///         _ => Ok(()),
    ///     }
    /// }
    /// let op = Operation::new("list", "List", "GET", "/things").with_body_check(check);
    /// assert!((op.body_check)(200, b"[1, 2]").is_ok());
    /// assert!((op.body_check)(200, b"<html>").is_err());
    /// ```
    pub const fn with_body_check(mut self, check: BodyCheck) -> Self {
        self.body_check = check;
        self
    }

    /// The same operation, with its action name (the spec's `x-acs-action`, written into
    /// the generated tables by `cargo xtask generate`).
    ///
    /// ```
    /// use snapshots_runtime::Operation;
    /// let op = Operation::new("get_thing", "GetThing", "GET", "/things/{id}").with_action("GetThing");
    /// assert_eq!(op.action, Some("GetThing"));
    /// ```
    pub const fn with_action(mut self, action: &'static str) -> Self {
        self.action = Some(action);
        self
    }

    /// The operation with progenitor id `id` in `table`, if the table lists it. A generated
    /// client whose table lacks one of its own operations is refused by the runtime
    /// ([`crate::Failure::UnknownOperation`]), never guessed at.
    pub fn lookup(table: &'static [Operation], id: &str) -> Option<Operation> {
        table.iter().copied().find(|op| op.id == id)
    }
}
