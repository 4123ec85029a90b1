//! What the runtime knows about an operation: its ids, method and path, written for each
//! generated crate by `cargo xtask generate` (the `OPERATIONS` table in its `lib.rs`).

/// One operation of a generated client.
///
/// ```
/// use snapshots_runtime::Operation;
/// const OPS: &[Operation] = &[Operation::new("get_thing", "GetThing", "GET", "/things/{id}")];
/// assert_eq!(Operation::lookup(OPS, "get_thing").name, "GetThing");
/// assert_eq!(Operation::lookup(OPS, "nope").name, "nope");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl Operation {
    /// An operation description (used by the generated tables).
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
        }
    }

    /// The operation with progenitor id `id` in `table`; an operation named after the id
    /// (method and path unknown) when the table has none, so that a stale table degrades to
    /// using the id as the action name instead of failing.
    pub fn lookup(table: &'static [Operation], id: &'static str) -> Operation {
        table
            .iter()
            .copied()
            .find(|op| op.id == id)
            .unwrap_or(Operation {
                id,
                name: id,
                method: "",
                path: "",
            })
    }
}
