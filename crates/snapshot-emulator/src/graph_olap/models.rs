//! Request models of the operations captures-2 added (instance update, CPU, memory and the
//! wrapper's internal reports), with upstream's pydantic bounds.

use super::validate::{optional, required, Model, Rule};

/// `UpdateInstanceRequest`: name and description as the spec bounds them.
pub(crate) static UPDATE_INSTANCE: Model = Model {
    name: "UpdateInstanceRequest",
    fields: &[
        optional("name", Rule::spec_str("update_instance", "name")),
        optional(
            "description",
            Rule::spec_str("update_instance", "description"),
        ),
    ],
    check: None,
};

/// `UpdateLifecycleRequest` of an instance.
pub(crate) static UPDATE_INSTANCE_LIFECYCLE: Model = Model {
    name: "UpdateLifecycleRequest",
    fields: &[
        optional("ttl", Rule::spec_str("update_instance_lifecycle", "ttl")),
        optional(
            "inactivity_timeout",
            Rule::spec_str("update_instance_lifecycle", "inactivity_timeout"),
        ),
    ],
    check: None,
};

/// `UpdateCpuRequest`: `cpu_cores` 1-8.
pub(crate) static UPDATE_CPU: Model = Model {
    name: "UpdateCpuRequest",
    fields: &[required(
        "cpu_cores",
        Rule::spec_int("update_instance_cpu", "cpu_cores"),
    )],
    check: None,
};

/// `UpdateMemoryRequest`: `memory_gb` at most 32 (the lower bound was not recorded).
pub(crate) static UPDATE_MEMORY: Model = Model {
    name: "UpdateMemoryRequest",
    fields: &[required(
        "memory_gb",
        Rule::spec_int("update_instance_memory", "memory_gb"),
    )],
    check: None,
};

/// The instance statuses a wrapper may report (the spec's `InstanceStatus`).
pub(crate) const REPORTED_INSTANCE_STATUSES: &[&str] = &[
    "waiting_for_snapshot",
    "starting",
    "running",
    "stopping",
    "failed",
];

/// The spec's `InstanceErrorCode`.
pub(crate) const INSTANCE_ERROR_CODES: &[&str] = &[
    "STARTUP_FAILED",
    "MAPPING_FETCH_ERROR",
    "SCHEMA_CREATE_ERROR",
    "DATA_LOAD_ERROR",
    "DATABASE_ERROR",
    "OOM_KILLED",
    "UNEXPECTED_TERMINATION",
];

/// The spec's `ProgressStepStatus`.
pub(crate) const STEP_STATUSES: &[&str] = &["pending", "in_progress", "completed", "failed"];

/// `UpdateInstanceStatusRequest`.
pub(crate) static REPORT_INSTANCE_STATUS: Model = Model {
    name: "UpdateInstanceStatusRequest",
    fields: &[
        required("status", Rule::Enum(REPORTED_INSTANCE_STATUSES)),
        optional("error_message", Rule::text()),
        optional("error_code", Rule::Enum(INSTANCE_ERROR_CODES)),
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
        required("status", Rule::Enum(STEP_STATUSES)),
        optional("type", Rule::Enum(&["node", "edge"])),
        optional(
            "row_count",
            Rule::spec_int("update_instance_progress", "steps[].row_count"),
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
            kinds(&UPDATE_INSTANCE_LIFECYCLE, json!({"ttl": "two days"})),
            ["body.ttl string_pattern_mismatch"]
        );
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
