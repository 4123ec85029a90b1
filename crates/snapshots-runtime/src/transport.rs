//! [`Transport`]: how a profile of an API puts an operation on the wire (the spec's
//! `x-profiles[].transport`, see `specs/EXTENSIONS.md`).

/// How the requests of a profile reach the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// The paths as the spec describes them.
    Rest,
    /// Every operation is sent to `{base-url}/{action}`, its path parameters moved into the
    /// query string (GET, DELETE) or into the JSON body (POST, PUT).
    ActionPath,
}

impl Transport {
    /// The name the specs use (`rest`, `action-path`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Rest => "rest",
            Transport::ActionPath => "action-path",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_specs() {
        assert_eq!(Transport::Rest.as_str(), "rest");
        assert_eq!(Transport::ActionPath.as_str(), "action-path");
    }
}
