//! Request validation with the upstream rules and error reports.
//!
//! The control plane validates with pydantic v2 in lax mode and reports every failure at
//! once as `{field, message, type}` (`field` is the location joined with `.`, such as
//! `body.name` or `query.limit`). This module does the same from declarative
//! [`Model`]s: it checks a JSON value, coerces what lax mode coerces (numeric strings,
//! integral floats and booleans to integers), drops unknown members (upstream ignores them)
//! and returns the normalised value, which the handlers then decode with the generated
//! request types of the spec.

use serde_json::{Map, Number, Value};
use snapshots_runtime::rules::matches_pattern;

/// One validation failure, as upstream reports it in `details.errors[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// Location joined with `.`, e.g. `body.node_definitions.0.label`.
    pub field: String,
    /// pydantic's message.
    pub message: String,
    /// pydantic's error type (`missing`, `greater_than`, ...).
    pub kind: String,
}

impl FieldError {
    pub(crate) fn new(field: &str, message: impl Into<String>, kind: &str) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
            kind: kind.to_owned(),
        }
    }
}

/// `^(analyst|admin|ops)$`: upstream's role pattern (the spec states the roles as an enum).
pub(crate) const ROLE: &str = "^(analyst|admin|ops)$";
/// `^(pending|creating|ready|failed)$`: the statuses a worker may report (upstream's pattern;
/// the spec's status enum also has `cancelled`).
pub(crate) const REPORTED_STATUS: &str = "^(pending|creating|ready|failed)$";

/// The spec's row of `graph_olap::RULES` for `operation`'s `field` (a parameter, a body
/// member, or a nested body member such as `node_definitions[].label`).
pub(crate) fn spec_rule(
    operation: &str,
    field: &str,
) -> Option<&'static snapshots_runtime::rules::Rule> {
    graph_olap::RULES
        .iter()
        .find(|rule| rule.operation == operation && rule.field == field)
}

/// What a field must hold.
#[derive(Debug)]
pub(crate) enum Rule {
    /// An integer (lax: numeric strings, integral floats, booleans), with bounds.
    Int {
        gt: Option<i64>,
        ge: Option<i64>,
        le: Option<i64>,
    },
    /// A string of `min..=max` characters matching `pattern` (ECMA 262).
    Str {
        min: usize,
        max: Option<usize>,
        pattern: Option<&'static str>,
    },
    /// An integer bounded as the spec's rule of `operation`'s `field` says; `strict` words
    /// the minimum as pydantic's `gt` (`minimum - 1`), as upstream's model declares it.
    SpecInt {
        operation: &'static str,
        field: &'static str,
        strict: bool,
    },
    /// A string constrained (lengths, pattern) as the spec's rule of `operation`'s `field`
    /// says.
    SpecStr {
        operation: &'static str,
        field: &'static str,
    },
    /// One of the listed strings.
    Enum(&'static [&'static str]),
    /// An object of integers (`dict[str, int]`).
    IntMap,
    /// Any object (`dict[str, Any]`).
    AnyMap,
    /// A nested model.
    Model(&'static Model),
    /// A list of items, with length bounds.
    List {
        item: &'static Rule,
        min: Option<usize>,
        max: Option<usize>,
    },
}

impl Rule {
    /// Any string.
    pub(crate) const fn text() -> Self {
        Self::Str {
            min: 0,
            max: None,
            pattern: None,
        }
    }

    /// A string constrained as the spec says for `operation`'s `field`.
    pub(crate) const fn spec_str(operation: &'static str, field: &'static str) -> Self {
        Self::SpecStr { operation, field }
    }

    /// An integer bounded as the spec says, its minimum worded as `greater than or equal`.
    pub(crate) const fn spec_int(operation: &'static str, field: &'static str) -> Self {
        Self::SpecInt {
            operation,
            field,
            strict: false,
        }
    }

    /// An integer bounded as the spec says, its minimum worded as `greater than`.
    pub(crate) const fn spec_int_gt(operation: &'static str, field: &'static str) -> Self {
        Self::SpecInt {
            operation,
            field,
            strict: true,
        }
    }

    /// An integer greater than `n` (a bound the spec does not state).
    pub(crate) const fn int_gt(n: i64) -> Self {
        Self::Int {
            gt: Some(n),
            ge: None,
            le: None,
        }
    }

    /// The `Int` or `Str` rule that a `SpecInt` or `SpecStr` stands for, from the
    /// generated table; `None` when the table has no such row. Other rules are themselves.
    fn resolve(&self) -> Option<Rule> {
        match *self {
            Rule::SpecInt {
                operation,
                field,
                strict,
            } => spec_rule(operation, field).map(|spec| Rule::Int {
                gt: spec.minimum.filter(|_| strict).map(|min| min - 1),
                ge: spec.minimum.filter(|_| !strict),
                le: spec.maximum,
            }),
            Rule::SpecStr { operation, field } => {
                spec_rule(operation, field).map(|spec| Rule::Str {
                    min: spec.min_length.map_or(0, |min| min as usize),
                    max: spec.max_length.map(|max| max as usize),
                    pattern: spec.pattern,
                })
            }
            _ => None,
        }
    }
}

/// One member of a model.
#[derive(Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub rule: Rule,
    /// Absent gives `missing`.
    pub required: bool,
    /// `null` is accepted (and means "not given").
    pub nullable: bool,
}

/// A required, non-nullable member.
pub(crate) const fn required(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        rule,
        required: true,
        nullable: false,
    }
}

/// An optional member that may be `null` (`X | None = None`).
pub(crate) const fn optional(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        rule,
        required: false,
        nullable: true,
    }
}

/// An optional member with a default, which may not be `null` (`x: X = default`).
pub(crate) const fn defaulted(name: &'static str, rule: Rule) -> Field {
    Field {
        name,
        rule,
        required: false,
        nullable: false,
    }
}

/// A check of a whole (member-valid) object at a location, pushing its failures.
pub(crate) type ModelCheck = fn(&Map<String, Value>, &str, &mut Vec<FieldError>);

/// A model: its members in declaration order (the order errors are reported in) and an
/// optional check of the whole object, run once every member is valid (pydantic's
/// `model_validator(mode="after")`).
#[derive(Debug)]
pub(crate) struct Model {
    pub name: &'static str,
    pub fields: &'static [Field],
    pub check: Option<ModelCheck>,
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Lax integer coercion; `Err((message, type))` when not an integer.
pub(crate) fn coerce_int(value: &Value) -> Result<i64, (String, &'static str)> {
    const NOT_INT: &str = "Input should be a valid integer";
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Err((
                    "Input should be a valid integer, unable to parse number as an integer (too large)"
                        .into(),
                    "int_parsing_size",
                ))
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
                    // Integral and in range: the cast is exact.
                    Ok(f as i64)
                } else if f.fract() != 0.0 {
                    Err((
                        "Input should be a valid integer, got a number with a fractional part"
                            .into(),
                        "int_from_float",
                    ))
                } else {
                    Err((
                        "Input should be a valid integer, unable to parse number as an integer (too large)"
                            .into(),
                        "int_parsing_size",
                    ))
                }
            }
        }
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| {
            (
                "Input should be a valid integer, unable to parse string as an integer".into(),
                "int_parsing",
            )
        }),
        Value::Bool(b) => Ok(i64::from(*b)),
        _ => Err((NOT_INT.into(), "int_type")),
    }
}

fn enum_message(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("Input should be {} or {last}", rest.join(", "))
        }
        Some((last, _)) => format!("Input should be {last}"),
        None => "Input should be a valid enumeration member".into(),
    }
}

/// Checks `value` against `rule` at location `loc`; returns the normalised value or pushes
/// the failures.
pub(crate) fn check_rule(
    rule: &Rule,
    value: &Value,
    loc: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    match rule {
        Rule::Int { gt, ge, le } => check_int((*gt, *ge, *le), value, loc, errors),
        Rule::Str { min, max, pattern } => check_str((*min, *max, *pattern), value, loc, errors),
        Rule::SpecInt { .. } | Rule::SpecStr { .. } => match rule.resolve() {
            Some(resolved) => check_rule(&resolved, value, loc, errors),
            None => {
                // Fail closed: a rule the generated table lacks rejects the value.
                errors.push(FieldError::new(loc, "No rule for this field", "internal"));
                None
            }
        },
        Rule::Enum(values) => match value {
            Value::String(s) if values.contains(&s.as_str()) => Some(value.clone()),
            _ => {
                errors.push(FieldError::new(loc, enum_message(values), "enum"));
                None
            }
        },
        Rule::IntMap => check_int_map(value, loc, errors),
        Rule::AnyMap => match value {
            Value::Object(_) => Some(value.clone()),
            _ => {
                errors.push(FieldError::new(loc, NOT_DICT, "dict_type"));
                None
            }
        },
        Rule::Model(model) => check_model(model, value, loc, errors),
        Rule::List { item, min, max } => check_list(item, (*min, *max), value, loc, errors),
    }
}

const NOT_DICT: &str = "Input should be a valid dictionary";

/// An integer (lax) within `(gt, ge, le)`.
fn check_int(
    (gt, ge, le): (Option<i64>, Option<i64>, Option<i64>),
    value: &Value,
    loc: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let failure = match coerce_int(value) {
        Err((message, kind)) => Some((message, kind)),
        Ok(n) => {
            if let Some(gt) = gt.filter(|gt| n <= *gt) {
                Some((format!("Input should be greater than {gt}"), "greater_than"))
            } else if let Some(ge) = ge.filter(|ge| n < *ge) {
                Some((
                    format!("Input should be greater than or equal to {ge}"),
                    "greater_than_equal",
                ))
            } else if let Some(le) = le.filter(|le| n > *le) {
                Some((
                    format!("Input should be less than or equal to {le}"),
                    "less_than_equal",
                ))
            } else {
                return Some(Value::Number(Number::from(n)));
            }
        }
    };
    if let Some((message, kind)) = failure {
        errors.push(FieldError::new(loc, message, kind));
    }
    None
}

/// A string of `min..=max` characters matching `pattern`.
fn check_str(
    (min, max, pattern): (usize, Option<usize>, Option<&str>),
    value: &Value,
    loc: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Value::String(s) = value else {
        errors.push(FieldError::new(
            loc,
            "Input should be a valid string",
            "string_type",
        ));
        return None;
    };
    let length = s.chars().count();
    let (message, kind) = if length < min {
        (
            format!("String should have at least {}", plural(min, "character")),
            "string_too_short",
        )
    } else if let Some(max) = max.filter(|max| length > *max) {
        (
            format!("String should have at most {}", plural(max, "character")),
            "string_too_long",
        )
    } else if let Some(pattern) = pattern.filter(|p| !matches_pattern(p, s)) {
        (
            format!("String should match pattern '{pattern}'"),
            "string_pattern_mismatch",
        )
    } else {
        return Some(value.clone());
    };
    errors.push(FieldError::new(loc, message, kind));
    None
}

/// An object of (lax) integers.
fn check_int_map(value: &Value, loc: &str, errors: &mut Vec<FieldError>) -> Option<Value> {
    let Value::Object(map) = value else {
        errors.push(FieldError::new(loc, NOT_DICT, "dict_type"));
        return None;
    };
    let before = errors.len();
    let mut out = Map::new();
    for (key, item) in map {
        match coerce_int(item) {
            Ok(n) => {
                out.insert(key.clone(), Value::Number(Number::from(n)));
            }
            Err((message, kind)) => {
                errors.push(FieldError::new(&format!("{loc}.{key}"), message, kind))
            }
        }
    }
    (errors.len() == before).then_some(Value::Object(out))
}

/// A list of `item`s, with `(min, max)` items.
fn check_list(
    item: &Rule,
    (min, max): (Option<usize>, Option<usize>),
    value: &Value,
    loc: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Value::Array(items) = value else {
        errors.push(FieldError::new(
            loc,
            "Input should be a valid list",
            "list_type",
        ));
        return None;
    };
    let before = errors.len();
    let out: Vec<Value> = items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| check_rule(item, v, &format!("{loc}.{i}"), errors))
        .collect();
    let count = items.len();
    if let Some(min) = min.filter(|min| count < *min) {
        errors.push(FieldError::new(
            loc,
            format!(
                "List should have at least {} after validation, not {count}",
                plural(min, "item")
            ),
            "too_short",
        ));
    } else if let Some(max) = max.filter(|max| count > *max) {
        errors.push(FieldError::new(
            loc,
            format!(
                "List should have at most {} after validation, not {count}",
                plural(max, "item")
            ),
            "too_long",
        ));
    }
    (errors.len() == before).then_some(Value::Array(out))
}

/// Checks an object against `model` at `loc`.
pub(crate) fn check_model(
    model: &Model,
    value: &Value,
    loc: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let Value::Object(map) = value else {
        let (message, kind) = if loc == "body" {
            (
                "Input should be a valid dictionary or object to extract fields from".to_owned(),
                "model_attributes_type",
            )
        } else {
            (
                format!(
                    "Input should be a valid dictionary or instance of {}",
                    model.name
                ),
                "model_type",
            )
        };
        errors.push(FieldError::new(loc, message, kind));
        return None;
    };
    let before = errors.len();
    let mut out = Map::new();
    for field in model.fields {
        let at = format!("{loc}.{}", field.name);
        match map.get(field.name) {
            None if field.required => {
                errors.push(FieldError::new(&at, "Field required", "missing"))
            }
            None => {}
            Some(Value::Null) if field.nullable => {}
            Some(v) => {
                if let Some(normalised) = check_rule(&field.rule, v, &at, errors) {
                    out.insert(field.name.to_owned(), normalised);
                }
            }
        }
    }
    if errors.len() == before {
        if let Some(check) = model.check {
            check(&out, loc, errors);
        }
    }
    (errors.len() == before).then_some(Value::Object(out))
}

/// Validates a whole request body (location `body`): `None` (no body) is `missing`.
pub(crate) fn check_body(model: &Model, body: Option<&Value>) -> Result<Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(body) = body else {
        return Err(vec![FieldError::new("body", "Field required", "missing")]);
    };
    match check_model(model, body, "body", &mut errors) {
        Some(value) if errors.is_empty() => Ok(value),
        _ => Err(errors),
    }
}

/// `CreateSnapshotRequest` (S/api_resources.py).
pub(crate) static CREATE_SNAPSHOT: Model = Model {
    name: "CreateSnapshotRequest",
    fields: &[
        required("mapping_id", Rule::int_gt(0)),
        optional(
            "mapping_version",
            Rule::spec_int_gt("create_snapshot", "mapping_version"),
        ),
        required("name", Rule::spec_str("create_snapshot", "name")),
        optional(
            "description",
            Rule::spec_str("create_snapshot", "description"),
        ),
        optional("ttl", Rule::spec_str("create_snapshot", "ttl")),
        optional(
            "inactivity_timeout",
            Rule::spec_str("create_snapshot", "inactivity_timeout"),
        ),
    ],
    check: None,
};

/// `UpdateSnapshotRequest`.
pub(crate) static UPDATE_SNAPSHOT: Model = Model {
    name: "UpdateSnapshotRequest",
    fields: &[
        optional("name", Rule::spec_str("update_snapshot", "name")),
        optional(
            "description",
            Rule::spec_str("update_snapshot", "description"),
        ),
    ],
    check: None,
};

/// `UpdateLifecycleRequest`.
pub(crate) static UPDATE_LIFECYCLE: Model = Model {
    name: "UpdateLifecycleRequest",
    fields: &[
        optional("ttl", Rule::spec_str("update_snapshot_lifecycle", "ttl")),
        optional(
            "inactivity_timeout",
            Rule::spec_str("update_snapshot_lifecycle", "inactivity_timeout"),
        ),
    ],
    check: None,
};

static REPORTED_PROGRESS: Model = Model {
    name: "SnapshotProgress",
    fields: &[
        optional("current_step", Rule::text()),
        required(
            "completed_steps",
            Rule::spec_int("update_snapshot_status", "progress.completed_steps"),
        ),
        required(
            "total_steps",
            Rule::spec_int("update_snapshot_status", "progress.total_steps"),
        ),
    ],
    check: None,
};

/// `UpdateSnapshotStatusRequest` (S/api_internal.py).
pub(crate) static UPDATE_STATUS: Model = Model {
    name: "UpdateSnapshotStatusRequest",
    fields: &[
        required(
            "status",
            Rule::Str {
                min: 0,
                max: None,
                pattern: Some(REPORTED_STATUS),
            },
        ),
        optional("phase", Rule::text()),
        optional("progress", Rule::Model(&REPORTED_PROGRESS)),
        optional(
            "size_bytes",
            Rule::spec_int("update_snapshot_status", "size_bytes"),
        ),
        optional("node_counts", Rule::IntMap),
        optional("edge_counts", Rule::IntMap),
        optional("error_message", Rule::text()),
        optional("failed_step", Rule::text()),
        optional("partial_results", Rule::AnyMap),
    ],
    check: None,
};

/// The wrapper types.
pub(crate) const WRAPPER_TYPES: &[&str] = &["ryugraph", "falkordb"];

/// `CreateInstanceFromMappingRequest`.
pub(crate) static CREATE_INSTANCE: Model = Model {
    name: "CreateInstanceFromMappingRequest",
    fields: &[
        required("mapping_id", Rule::int_gt(0)),
        optional(
            "mapping_version",
            Rule::spec_int_gt("create_instance", "mapping_version"),
        ),
        required("wrapper_type", Rule::Enum(WRAPPER_TYPES)),
        required("name", Rule::spec_str("create_instance", "name")),
        optional(
            "description",
            Rule::spec_str("create_instance", "description"),
        ),
        optional("ttl", Rule::spec_str("create_instance", "ttl")),
        optional(
            "inactivity_timeout",
            Rule::spec_str("create_instance", "inactivity_timeout"),
        ),
        optional("cpu_cores", Rule::spec_int("create_instance", "cpu_cores")),
    ],
    check: None,
};

/// `CreateUserRequest` (CP/models/user_models.py).
pub(crate) static CREATE_USER: Model = Model {
    name: "CreateUserRequest",
    fields: &[
        required("username", Rule::spec_str("create_user", "username")),
        required("email", Rule::text()),
        required(
            "display_name",
            Rule::spec_str("create_user", "display_name"),
        ),
        defaulted(
            "role",
            Rule::Str {
                min: 0,
                max: None,
                pattern: Some(ROLE),
            },
        ),
    ],
    check: None,
};

const RYUGRAPH_TYPES: &[&str] = &[
    "STRING",
    "INT64",
    "INT32",
    "INT16",
    "INT8",
    "DOUBLE",
    "FLOAT",
    "DATE",
    "TIMESTAMP",
    "BOOL",
    "BLOB",
    "UUID",
    "LIST",
    "MAP",
    "STRUCT",
];

static PROPERTY: Model = Model {
    name: "PropertyDefinition",
    fields: &[
        required(
            "name",
            Rule::spec_str("create_mapping", "node_definitions[].properties[].name"),
        ),
        required("type", Rule::Enum(RYUGRAPH_TYPES)),
    ],
    check: None,
};

static PROPERTY_RULE: Rule = Rule::Model(&PROPERTY);

/// Cypher keywords a node label may not be (case-insensitive).
const CYPHER_RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASC",
    "ASCENDING",
    "BY",
    "CALL",
    "CASE",
    "CONTAINS",
    "CREATE",
    "DELETE",
    "DESC",
    "DESCENDING",
    "DETACH",
    "DISTINCT",
    "ELSE",
    "END",
    "ENDS",
    "EXISTS",
    "FALSE",
    "IN",
    "IS",
    "LIMIT",
    "MATCH",
    "MERGE",
    "NOT",
    "NULL",
    "ON",
    "OPTIONAL",
    "OR",
    "ORDER",
    "REMOVE",
    "RETURN",
    "SET",
    "SKIP",
    "STARTS",
    "THEN",
    "TRUE",
    "UNION",
    "UNWIND",
    "WHEN",
    "WHERE",
    "WITH",
    "XOR",
    "YIELD",
];

fn str_member<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn property_names(map: &Map<String, Value>) -> Vec<&str> {
    map.get("properties")
        .and_then(Value::as_array)
        .map(|props| {
            props
                .iter()
                .filter_map(|p| p.as_object())
                .map(|p| str_member(p, "name"))
                .collect()
        })
        .unwrap_or_default()
}

fn first_duplicate<'a>(names: &[&'a str]) -> Option<&'a str> {
    let mut seen = std::collections::BTreeSet::new();
    names.iter().copied().find(|n| !seen.insert(*n))
}

fn check_node(map: &Map<String, Value>, loc: &str, errors: &mut Vec<FieldError>) {
    let label = str_member(map, "label");
    if CYPHER_RESERVED.contains(&label.to_ascii_uppercase().as_str()) {
        errors.push(FieldError::new(
            &format!("{loc}.label"),
            format!("Value error, '{label}' is a reserved Cypher keyword"),
            "value_error",
        ));
        return;
    }
    let mut names = vec![map
        .get("primary_key")
        .and_then(Value::as_object)
        .map(|pk| str_member(pk, "name"))
        .unwrap_or_default()];
    names.extend(property_names(map));
    if let Some(duplicate) = first_duplicate(&names) {
        errors.push(FieldError::new(
            loc,
            format!("Value error, duplicate property name '{duplicate}' in node '{label}'"),
            "value_error",
        ));
    }
}

fn check_edge(map: &Map<String, Value>, loc: &str, errors: &mut Vec<FieldError>) {
    let edge_type = str_member(map, "type");
    if str_member(map, "from_key") == str_member(map, "to_key") {
        errors.push(FieldError::new(
            loc,
            format!("Value error, from_key and to_key of edge '{edge_type}' must differ"),
            "value_error",
        ));
        return;
    }
    if let Some(duplicate) = first_duplicate(&property_names(map)) {
        errors.push(FieldError::new(
            loc,
            format!("Value error, duplicate property name '{duplicate}' in edge '{edge_type}'"),
            "value_error",
        ));
    }
}

static NODE: Model = Model {
    name: "NodeDefinition",
    fields: &[
        required(
            "label",
            Rule::spec_str("create_mapping", "node_definitions[].label"),
        ),
        required(
            "sql",
            Rule::spec_str("create_mapping", "node_definitions[].sql"),
        ),
        required("primary_key", Rule::Model(&PROPERTY)),
        defaulted(
            "properties",
            Rule::List {
                item: &PROPERTY_RULE,
                min: None,
                max: Some(100),
            },
        ),
    ],
    check: Some(check_node),
};

static EDGE: Model = Model {
    name: "EdgeDefinition",
    fields: &[
        required(
            "type",
            Rule::spec_str("create_mapping", "edge_definitions[].type"),
        ),
        required(
            "from_node",
            Rule::spec_str("create_mapping", "edge_definitions[].from_node"),
        ),
        required(
            "to_node",
            Rule::spec_str("create_mapping", "edge_definitions[].to_node"),
        ),
        required(
            "sql",
            Rule::spec_str("create_mapping", "edge_definitions[].sql"),
        ),
        required(
            "from_key",
            Rule::spec_str("create_mapping", "edge_definitions[].from_key"),
        ),
        required(
            "to_key",
            Rule::spec_str("create_mapping", "edge_definitions[].to_key"),
        ),
        defaulted(
            "properties",
            Rule::List {
                item: &PROPERTY_RULE,
                min: None,
                max: Some(100),
            },
        ),
    ],
    check: Some(check_edge),
};

static NODE_RULE: Rule = Rule::Model(&NODE);
static EDGE_RULE: Rule = Rule::Model(&EDGE);

fn check_mapping(map: &Map<String, Value>, loc: &str, errors: &mut Vec<FieldError>) {
    let members = |key: &str, name: &str| -> Vec<String> {
        map.get(key)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|item| str_member(item, name).to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let labels = members("node_definitions", "label");
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    if let Some(duplicate) = first_duplicate(&label_refs) {
        errors.push(FieldError::new(
            loc,
            format!("Value error, duplicate node label '{duplicate}'"),
            "value_error",
        ));
        return;
    }
    let types = members("edge_definitions", "type");
    let type_refs: Vec<&str> = types.iter().map(String::as_str).collect();
    if let Some(duplicate) = first_duplicate(&type_refs) {
        errors.push(FieldError::new(
            loc,
            format!("Value error, duplicate edge type '{duplicate}'"),
            "value_error",
        ));
        return;
    }
    let edges = map
        .get("edge_definitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for edge in edges.iter().filter_map(Value::as_object) {
        for end in ["from_node", "to_node"] {
            let node = str_member(edge, end);
            if !label_refs.contains(&node) {
                errors.push(FieldError::new(
                    loc,
                    format!(
                        "Value error, Edge '{}' references unknown {end} '{node}'",
                        str_member(edge, "type")
                    ),
                    "value_error",
                ));
                return;
            }
        }
    }
}

/// `CreateMappingRequest`.
pub(crate) static CREATE_MAPPING: Model = Model {
    name: "CreateMappingRequest",
    fields: &[
        required("name", Rule::spec_str("create_mapping", "name")),
        optional(
            "description",
            Rule::spec_str("create_mapping", "description"),
        ),
        required(
            "node_definitions",
            Rule::List {
                item: &NODE_RULE,
                min: Some(1),
                max: None,
            },
        ),
        defaulted(
            "edge_definitions",
            Rule::List {
                item: &EDGE_RULE,
                min: None,
                max: None,
            },
        ),
        optional("ttl", Rule::spec_str("create_mapping", "ttl")),
        optional(
            "inactivity_timeout",
            Rule::spec_str("create_mapping", "inactivity_timeout"),
        ),
    ],
    check: Some(check_mapping),
};

/// Validates one query parameter value (a string) against `rule` at `query.<name>`.
pub(crate) fn check_query_value(
    name: &str,
    rule: &Rule,
    raw: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    check_rule(
        rule,
        &Value::String(raw.to_owned()),
        &format!("query.{name}"),
        errors,
    )
}

/// The snapshot statuses of the list filter (closed enum, includes `cancelled`).
pub(crate) const SNAPSHOT_STATUSES: &[&str] =
    &["pending", "creating", "ready", "failed", "cancelled"];
/// The instance statuses of the list filter.
pub(crate) const INSTANCE_STATUSES: &[&str] = &[
    "waiting_for_snapshot",
    "starting",
    "running",
    "stopping",
    "failed",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn errors_of(model: &Model, body: Value) -> Vec<(String, String, String)> {
        match check_body(model, Some(&body)) {
            Ok(_) => vec![],
            Err(errors) => errors
                .into_iter()
                .map(|e| (e.field, e.message, e.kind))
                .collect(),
        }
    }

    fn one(field: &str, message: &str, kind: &str) -> Vec<(String, String, String)> {
        vec![(field.into(), message.into(), kind.into())]
    }

    #[test]
    fn recorded_validation_errors_are_reproduced() {
        // #9, #10, #26, #28, #42 of the recordings.
        assert_eq!(
            errors_of(&CREATE_SNAPSHOT, json!({"mapping_id": 1})),
            one("body.name", "Field required", "missing")
        );
        assert_eq!(
            errors_of(&CREATE_SNAPSHOT, json!({"mapping_id": 0, "name": "x"})),
            one(
                "body.mapping_id",
                "Input should be greater than 0",
                "greater_than"
            )
        );
        assert_eq!(
            errors_of(&UPDATE_SNAPSHOT, json!({"name": ""})),
            one(
                "body.name",
                "String should have at least 1 character",
                "string_too_short"
            )
        );
        assert_eq!(
            errors_of(&UPDATE_LIFECYCLE, json!({"ttl": "7 days"})),
            one(
                "body.ttl",
                r"String should match pattern '^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$'",
                "string_pattern_mismatch"
            )
        );
        assert_eq!(
            errors_of(
                &CREATE_INSTANCE,
                json!({"mapping_id": 1, "name": "no wrapper"})
            ),
            one("body.wrapper_type", "Field required", "missing")
        );
    }

    #[test]
    fn every_failure_is_reported_in_declaration_order() {
        let errors = errors_of(
            &CREATE_INSTANCE,
            json!({"name": "x".repeat(256), "wrapper_type": "neo4j", "cpu_cores": 9, "ttl": 5}),
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            fields,
            [
                "body.mapping_id",
                "body.wrapper_type",
                "body.name",
                "body.ttl",
                "body.cpu_cores"
            ]
        );
        assert_eq!(errors[1].1, "Input should be 'ryugraph' or 'falkordb'");
        assert_eq!(errors[2].1, "String should have at most 255 characters");
        assert_eq!(errors[3].2, "string_type");
        assert_eq!(errors[4].2, "less_than_equal");
    }

    #[test]
    fn lax_mode_coerces_integers_and_drops_unknown_members() {
        let body = check_body(
            &CREATE_SNAPSHOT,
            Some(&json!({"mapping_id": "7", "mapping_version": 2.0, "name": "n", "version": 3})),
        )
        .expect("valid in lax mode");
        assert_eq!(
            body,
            json!({"mapping_id": 7, "mapping_version": 2, "name": "n"})
        );
        assert_eq!(
            errors_of(&CREATE_SNAPSHOT, json!({"mapping_id": 1.5, "name": "n"}))[0].2,
            "int_from_float"
        );
        assert_eq!(
            errors_of(&CREATE_SNAPSHOT, json!({"mapping_id": "one", "name": "n"}))[0].2,
            "int_parsing"
        );
        assert_eq!(
            errors_of(&CREATE_SNAPSHOT, json!({"mapping_id": null, "name": "n"}))[0].2,
            "int_type"
        );
    }

    #[test]
    fn nullable_members_accept_null_and_defaulted_ones_do_not() {
        assert!(check_body(&UPDATE_SNAPSHOT, Some(&json!({"name": null}))).is_ok());
        let errors = errors_of(
            &CREATE_USER,
            json!({"username": "u", "email": "e", "display_name": "U", "role": null}),
        );
        assert_eq!(
            errors,
            one("body.role", "Input should be a valid string", "string_type")
        );
        let errors = errors_of(
            &CREATE_USER,
            json!({"username": "u", "email": "e", "display_name": "U", "role": "root"}),
        );
        assert_eq!(errors[0].2, "string_pattern_mismatch");
    }

    #[test]
    fn bodies_that_are_not_objects_or_missing() {
        assert_eq!(
            errors_of(&UPDATE_SNAPSHOT, json!([1])),
            one(
                "body",
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type"
            )
        );
        let missing = check_body(&UPDATE_SNAPSHOT, None).expect_err("no body");
        assert_eq!(missing[0].field, "body");
        assert_eq!(missing[0].kind, "missing");
    }

    #[test]
    fn internal_status_rejects_cancelled_and_checks_nested_members() {
        assert_eq!(
            errors_of(&UPDATE_STATUS, json!({"status": "cancelled"})),
            one(
                "body.status",
                "String should match pattern '^(pending|creating|ready|failed)$'",
                "string_pattern_mismatch"
            )
        );
        let errors = errors_of(
            &UPDATE_STATUS,
            json!({"status": "ready", "node_counts": {"A": "x"}, "progress": {"total_steps": -1}}),
        );
        let fields: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            fields,
            [
                "body.progress.completed_steps",
                "body.progress.total_steps",
                "body.node_counts.A"
            ]
        );
    }

    fn mapping(nodes: Value, edges: Value) -> Value {
        json!({"name": "m", "node_definitions": nodes, "edge_definitions": edges})
    }

    fn node(label: &str) -> Value {
        json!({"label": label, "sql": "SELECT 1", "primary_key": {"name": "id", "type": "STRING"}})
    }

    #[test]
    fn mapping_rules() {
        let edge = |t: &str, from: &str, to: &str| json!({"type": t, "from_node": from, "to_node": to, "sql": "S", "from_key": "a", "to_key": "b"});
        assert!(check_body(
            &CREATE_MAPPING,
            Some(&mapping(
                json!([node("A"), node("B")]),
                json!([edge("E", "A", "B")])
            ))
        )
        .is_ok());
        let too_short = errors_of(&CREATE_MAPPING, mapping(json!([]), json!([])));
        assert_eq!(
            too_short,
            one(
                "body.node_definitions",
                "List should have at least 1 item after validation, not 0",
                "too_short"
            )
        );
        let duplicate = errors_of(
            &CREATE_MAPPING,
            mapping(json!([node("A"), node("A")]), json!([])),
        );
        assert_eq!(
            (duplicate[0].0.as_str(), duplicate[0].2.as_str()),
            ("body", "value_error")
        );
        let dangling = errors_of(
            &CREATE_MAPPING,
            mapping(json!([node("A")]), json!([edge("E", "A", "Z")])),
        );
        assert!(dangling[0].1.contains("'Z'"), "{dangling:?}");
        let bad_label = errors_of(&CREATE_MAPPING, mapping(json!([node("9x")]), json!([])));
        assert_eq!(bad_label[0].0, "body.node_definitions.0.label");
        let reserved = errors_of(&CREATE_MAPPING, mapping(json!([node("Match")]), json!([])));
        assert_eq!(reserved[0].2, "value_error");
        let lower_edge = errors_of(
            &CREATE_MAPPING,
            mapping(json!([node("A")]), json!([edge("e", "A", "A")])),
        );
        assert_eq!(lower_edge[0].0, "body.edge_definitions.0.type");
        let same_keys = errors_of(
            &CREATE_MAPPING,
            mapping(
                json!([node("A")]),
                json!([{"type": "E", "from_node": "A", "to_node": "A", "sql": "S", "from_key": "a", "to_key": "a"}]),
            ),
        );
        assert_eq!(same_keys[0].0, "body.edge_definitions.0");
    }

    fn allowed(rule: &Rule, text: &str) -> bool {
        check_rule(rule, &json!(text), "body.x", &mut Vec::new()).is_some()
    }

    #[test]
    fn durations_of_the_recordings() {
        // The spec's pattern also accepts an empty date or time part (`P`, `PT`, `P1DT`).
        let ttl = Rule::spec_str("create_snapshot", "ttl");
        for ok in [
            "P7D", "P3D", "P14D", "PT12H", "PT4H", "PT24H", "P1DT12H", "PT1H30M", "P", "PT",
            "PT0S", "P1DT",
        ] {
            assert!(allowed(&ttl, ok), "{ok}");
        }
        for bad in [
            "7 days", "", "p7d", "P1H", "PT1D", "PT1M1H", "P1D1D", "PD", "P-1D", "7D", "PT1HT",
        ] {
            assert!(!allowed(&ttl, bad), "{bad}");
        }
    }

    /// Every spec rule of `rule` (and of its nested models) has a row in the table.
    fn assert_resolves(rule: &Rule) {
        match rule {
            Rule::SpecInt { field, .. } | Rule::SpecStr { field, .. } => {
                assert!(rule.resolve().is_some(), "no generated rule for {field}")
            }
            Rule::Model(model) => model.fields.iter().for_each(|f| assert_resolves(&f.rule)),
            Rule::List { item, .. } => assert_resolves(item),
            _ => {}
        }
    }

    #[test]
    fn every_spec_rule_is_in_the_generated_table() {
        for model in [
            &CREATE_SNAPSHOT,
            &UPDATE_SNAPSHOT,
            &UPDATE_LIFECYCLE,
            &UPDATE_STATUS,
            &CREATE_INSTANCE,
            &CREATE_USER,
            &CREATE_MAPPING,
        ] {
            assert_resolves(&Rule::Model(model));
        }
        let missing = Rule::spec_str("create_mapping", "no_such_member");
        let mut errors = Vec::new();
        assert!(check_rule(&missing, &json!("x"), "body.x", &mut errors).is_none());
        assert_eq!(errors[0].kind, "internal");
    }

    proptest! {
        /// The emulator's checks agree with the generated newtypes, which validate the
        /// spec's lengths and patterns on parse: both come from the spec.
        #[test]
        fn spec_rules_agree_with_the_generated_types(text in "P?[A-Za-z0-9_ DTHMS-]{0,8}") {
            use graph_olap::types::{EdgeTypeName, GraphLabel, IsoDuration, PropertyName};
            let rule = |field| Rule::spec_str("create_mapping", field);
            prop_assert_eq!(
                allowed(&rule("node_definitions[].label"), &text),
                text.parse::<GraphLabel>().is_ok()
            );
            prop_assert_eq!(
                allowed(&rule("edge_definitions[].type"), &text),
                text.parse::<EdgeTypeName>().is_ok()
            );
            prop_assert_eq!(
                allowed(&rule("node_definitions[].properties[].name"), &text),
                text.parse::<PropertyName>().is_ok()
            );
            prop_assert_eq!(allowed(&rule("ttl"), &text), text.parse::<IsoDuration>().is_ok());
        }

        #[test]
        fn upstream_patterns_match_their_words(text in "[a-z]{0,9}") {
            let role = matches!(text.as_str(), "analyst" | "admin" | "ops");
            prop_assert_eq!(matches_pattern(ROLE, &text), role);
            let status = matches!(text.as_str(), "pending" | "creating" | "ready" | "failed");
            prop_assert_eq!(matches_pattern(REPORTED_STATUS, &text), status);
        }
    }
}
