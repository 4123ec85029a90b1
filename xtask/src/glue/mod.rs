//! Code the xtask generates from the specs' `x-` extensions, beside progenitor's output.

pub mod errors;
pub mod rules;
