//! Code the xtask generates from the specs' `x-` extensions, beside progenitor's output, one
//! module per extension family.
//!
//! - [`paging_model`], [`paging`], [`waiters`]: `x-paging` and `x-waiters`, read strictly; the
//!   `Listing` impls of the list builders and each crate's `waiters` module;
//! - [`profiles`]: `x-profiles`, read and checked; each generated crate's `PROFILES` table
//!   and `connect` function;
//! - [`errors`], [`rules`]: `x-error` (each crate's `ERROR_SHAPE` and `ErrorBody` impl) and
//!   the `RULES` table from the constraints of parameters and body members;
//! - [`conversions`]: `From<String>`/`From<&str>` for identifier unions (`ResourceId`);
//! - [`support`]: `x-server-support` and `x-conflicts`, the per-operation `*_QUERY` and
//!   `*_CONFLICTS` tables the runtime applies;
//! - [`stable`]: every named-field struct of `types` marked `#[non_exhaustive]`;
//! - [`allocations`]: progenitor's builders rewritten not to allocate per path parameter
//!   and per required parameter;
//! - [`facade`]: the facade's generated module (accessors, re-exports, the table of every
//!   API's profiles) and its dependencies on the generated crates.

pub mod allocations;
pub mod conversions;
pub mod errors;
pub mod facade;
pub mod paging;
pub mod paging_model;
pub mod profiles;
pub mod rules;
pub mod stable;
pub mod support;
pub mod waiters;
