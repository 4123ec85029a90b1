//! The commands of each API, and what they share: sending a request so that an error keeps
//! the service's code, and the checks of identifiers and labels made before sending.

pub mod auth;
pub mod dsw;
pub mod graph_olap;
pub mod langstudio;
pub mod olap_resources;

use std::future::Future;

use snapshots::error::ErrorBody;
use snapshots::paginate::Paginate;
use snapshots::Error;
use snapshots_runtime::rules::{Location, Rule};

use crate::raw::Answer;

/// Awaits a generated operation and returns its decoded response; an error is converted
/// with [`Error::from_response`], which reads the body of an undocumented status so that
/// the service's code and message are not lost.
pub async fn send<T, E: ErrorBody>(
    call: impl Future<Output = Result<pai_dsw::ResponseValue<T>, pai_dsw::Error<E>>>,
) -> Result<T, Error> {
    match call.await {
        Ok(response) => Ok(response.into_inner()),
        Err(error) => Err(Error::from_response(error).await),
    }
}

/// [`send`], with the body of the answer as the server sent it ([`crate::raw`]), for
/// output that must be exactly that.
pub async fn send_raw<T, E: ErrorBody>(
    call: impl Future<Output = Result<pai_dsw::ResponseValue<T>, pai_dsw::Error<E>>>,
) -> Result<Answer<T>, Error> {
    crate::raw::captured(send(call)).await
}

/// The page size a listing asks for: `requested` (`--page-size`), else the largest the
/// spec allows for the list operation of `L` (the `maximum` of its page-size parameter
/// `param` in the generated `rules`), else none (the server's default).
///
/// ```
/// let rules = graph_olap::RULES;
/// let size = snapctl::commands::page_size::<graph_olap::builder::ListSnapshots>(None, rules, "limit");
/// assert_eq!(size, Some(100));
/// let size = snapctl::commands::page_size::<graph_olap::builder::ListSnapshots>(Some(7), rules, "limit");
/// assert_eq!(size, Some(7));
/// ```
pub fn page_size<'a, L>(requested: Option<u64>, rules: &[Rule], param: &str) -> Option<u64>
where
    L: Paginate<'a>,
    Error: From<L::Error>,
{
    requested.or_else(|| {
        Rule::of(rules, L::OPERATION, Location::Query, param)
            .and_then(|rule| rule.maximum)
            .and_then(|maximum| u64::try_from(maximum).ok())
    })
}

/// An [`Error::Validation`] for `field`.
pub fn invalid(field: &str, rule: &str) -> Error {
    Error::Validation {
        field: field.to_owned(),
        rule: rule.to_owned(),
    }
}

/// Checks an identifier given on the command line (an instance, snapshot or workspace id):
/// not empty, no control characters, no surrounding spaces.
///
/// ```
/// assert!(snapctl::commands::identifier("SnapshotId", "snp-1").is_ok());
/// assert!(snapctl::commands::identifier("SnapshotId", "").is_err());
/// assert!(snapctl::commands::identifier("SnapshotId", " snp-1").is_err());
/// ```
pub fn identifier(field: &str, value: &str) -> Result<String, Error> {
    let ok = !value.is_empty() && value.trim() == value && !value.chars().any(char::is_control);
    if ok {
        Ok(value.to_owned())
    } else {
        Err(invalid(
            field,
            "a non-empty identifier without surrounding spaces or control characters",
        ))
    }
}

/// Parses `--label KEY=VALUE` arguments into DSW labels: a non-empty key, then `=`, then the
/// value (which may be empty and may contain `=`).
///
/// ```
/// let labels = snapctl::commands::labels(&["team=ml".to_owned(), "note=a=b".to_owned()]).unwrap();
/// assert_eq!(labels[1].key.as_deref(), Some("note"));
/// assert_eq!(labels[1].value.as_deref(), Some("a=b"));
/// assert!(snapctl::commands::labels(&["team".to_owned()]).is_err());
/// ```
pub fn labels(arguments: &[String]) -> Result<Vec<pai_dsw::types::Label>, Error> {
    arguments
        .iter()
        .map(|argument| match argument.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => pai_dsw::types::Label::try_from(
                pai_dsw::types::Label::builder()
                    .key(Some(key.to_owned()))
                    .value(Some(value.to_owned())),
            )
            .map_err(|e| Error::Config(format!("label {argument:?}: {e}"))),
            _ => Err(invalid(
                "Labels",
                "KEY=VALUE with a non-empty key (repeat --label for several labels)",
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_refuse_blank_and_control_characters() {
        for bad in ["", " ", "a\n", "\tb", "x "] {
            let error = identifier("InstanceId", bad).expect_err(bad);
            assert!(
                matches!(&error, Error::Validation { field, .. } if field == "InstanceId"),
                "{error}"
            );
        }
        assert_eq!(
            identifier("InstanceId", "dsw-1").ok().as_deref(),
            Some("dsw-1")
        );
    }

    #[test]
    fn labels_need_a_key_and_an_equals_sign() {
        for bad in ["", "=x", "novalue", " =x"] {
            let error = labels(&[bad.to_owned()]).expect_err(bad);
            assert!(error.to_string().contains("KEY=VALUE"), "{error}");
        }
        let parsed = labels(&["a=".to_owned()]).expect("empty value is fine");
        assert_eq!(parsed[0].value.as_deref(), Some(""));
    }
}
