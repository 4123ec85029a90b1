//! Glue the xtask generates into the generated crates from the specs' `x-` extensions, one
//! module per extension family.

pub mod paging;
pub mod paging_model;
pub mod waiters;
