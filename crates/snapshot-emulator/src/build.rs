//! Building the generated types, which are `#[non_exhaustive]` outside their crates (so that
//! a new optional member in a spec is not a breaking change): [`build!`] names every member,
//! as a struct literal would, and goes through progenitor's `types::builder::*`.
//!
//! The builder's conversion fails when a required member is not given (a member a newer spec
//! added). That is never a panic: [`build!`] returns a [`BuildError`], which the handlers turn
//! into the API's own 500 answer (`From<BuildError>` for each API's error type).

use std::fmt::{self, Display};

/// `build!(types::Meta { request_id: None })`: `Result<types::Meta, BuildError>`, the
/// generated type from its progenitor builder, every member named.
macro_rules! build {
    ($ty:path { $($field:ident : $value:expr),* $(,)? }) => {
        $crate::build::finish::<$ty, _>(<$ty>::builder()$(.$field($value))*)
    };
}

/// A generated type the emulator could not build: a required member was not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuildError {
    /// The type's name.
    type_name: &'static str,
    /// The builder's reason.
    reason: String,
}

impl Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the emulator cannot build {}: {}",
            self.type_name, self.reason
        )
    }
}

impl std::error::Error for BuildError {}

/// The value a builder converts to, or the [`BuildError`] naming the missing member.
pub(crate) fn finish<T, B>(builder: B) -> Result<T, BuildError>
where
    T: TryFrom<B>,
    T::Error: Display,
{
    T::try_from(builder).map_err(|e| BuildError {
        type_name: std::any::type_name::<T>(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_generated_type() {
        let meta = build!(graph_olap::types::Meta {
            request_id: Some("r".to_owned())
        })
        .expect("every member given");
        assert_eq!(meta.request_id.as_deref(), Some("r"));
    }

    #[test]
    fn a_missing_required_member_is_an_error_not_a_panic() {
        let built: Result<graph_olap::types::ErrorObject, BuildError> =
            build!(graph_olap::types::ErrorObject {
                message: "m".to_owned()
            });
        let err = built.expect_err("code is required");
        assert!(err.to_string().contains("ErrorObject"), "{err}");
    }
}
