//! Request models of the operations captures-2 added (instance update, CPU, memory and the
//! wrapper's internal reports), with upstream's pydantic bounds.

use super::validate::{optional, required, Model, Rule};

const fn int(ge: i64, le: i64) -> Rule {
    Rule::Int {
        gt: None,
        ge: Some(ge),
        le: Some(le),
    }
}

const fn text(min: usize, max: usize) -> Rule {
    Rule::Str {
        min,
        max: Some(max),
        pattern: None,
    }
}

/// `UpdateInstanceRequest`: name 1-255, description up to 4000 characters.
pub(crate) static UPDATE_INSTANCE: Model = Model {
    name: "UpdateInstanceRequest",
    fields: &[
        optional("name", text(1, 255)),
        optional("description", text(0, 4000)),
    ],
    check: None,
};

/// `UpdateCpuRequest`: `cpu_cores` 1-8.
pub(crate) static UPDATE_CPU: Model = Model {
    name: "UpdateCpuRequest",
    fields: &[required("cpu_cores", int(1, 8))],
    check: None,
};

/// `UpdateMemoryRequest`: `memory_gb` 2-32.
pub(crate) static UPDATE_MEMORY: Model = Model {
    name: "UpdateMemoryRequest",
    fields: &[required("memory_gb", int(2, 32))],
    check: None,
};

/// The instance statuses a wrapper may report.
pub(crate) const REPORTED_INSTANCE_STATUSES: &[&str] = &[
    "waiting_for_snapshot",
    "starting",
    "running",
    "stopping",
    "failed",
];

/// `UpdateInstanceStatusRequest`.
pub(crate) static REPORT_INSTANCE_STATUS: Model = Model {
    name: "UpdateInstanceStatusRequest",
    fields: &[
        required("status", Rule::Enum(REPORTED_INSTANCE_STATUSES)),
        optional("error_message", Rule::text()),
        optional("error_code", Rule::text()),
        optional("stack_trace", Rule::text()),
        optional("pod_name", Rule::text()),
        optional("pod_ip", Rule::text()),
        optional("instance_url", Rule::text()),
        optional("progress", Rule::AnyMap),
    ],
    check: None,
};

static STEP: Model = Model {
    name: "InstanceProgressStep",
    fields: &[
        required("name", Rule::text()),
        required("status", Rule::text()),
        optional("type", Rule::text()),
        optional(
            "row_count",
            Rule::Int {
                gt: None,
                ge: None,
                le: None,
            },
        ),
    ],
    check: None,
};

static STEP_RULE: Rule = Rule::Model(&STEP);

/// `UpdateInstanceProgressRequest`: a phase and its steps.
pub(crate) static REPORT_INSTANCE_PROGRESS: Model = Model {
    name: "UpdateInstanceProgressRequest",
    fields: &[
        required("phase", Rule::text()),
        required(
            "steps",
            Rule::List {
                item: &STEP_RULE,
                min: None,
                max: None,
            },
        ),
    ],
    check: None,
};

#[cfg(test)]
mod tests {
    use super::super::validate::check_body;
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn kinds(model: &Model, body: serde_json::Value) -> Vec<String> {
        check_body(model, Some(&body))
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| format!("{} {}", e.field, e.kind))
            .collect()
    }

    #[test]
    fn recorded_bounds() {
        // Captures-2 #94, #99 and #102.
        assert_eq!(
            kinds(&UPDATE_INSTANCE, json!({"name": "n".repeat(256)})),
            ["body.name string_too_long"]
        );
        assert_eq!(
            kinds(&UPDATE_CPU, json!({"cpu_cores": 9})),
            ["body.cpu_cores less_than_equal"]
        );
        assert_eq!(
            kinds(&UPDATE_MEMORY, json!({"memory_gb": 64})),
            ["body.memory_gb less_than_equal"]
        );
        assert!(kinds(&UPDATE_MEMORY, json!({"memory_gb": 8})).is_empty());
        assert_eq!(
            kinds(&REPORT_INSTANCE_STATUS, json!({"status": "bogus"})),
            ["body.status enum"]
        );
    }

    proptest! {
        /// `cpu_cores` is accepted exactly within 1..=8.
        #[test]
        fn cpu_bounds(cores in -20i64..40) {
            let accepted = kinds(&UPDATE_CPU, json!({"cpu_cores": cores})).is_empty();
            prop_assert_eq!(accepted, (1..=8).contains(&cores));
        }
    }
}
