//! Code the xtask generates from the specs' `x-` extensions, beside progenitor's output.
//!
//! - [`profiles`]: `x-profiles`, read and checked; each generated crate's `PROFILES` table
//!   and `connect` function;
//! - [`facade`]: the facade's generated module (accessors, re-exports, the table of every
//!   API's profiles) and its dependencies on the generated crates.

pub mod facade;
pub mod profiles;
