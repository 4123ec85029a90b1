//! Tests of the `x-paging`/`x-waiters` lints: one clean spec, then one rejection each.

use super::check;
use serde_json::{json, Value};

fn spec() -> Value {
    json!({
        "openapi": "3.0.3",
        "paths": {
            "/things": {"get": {
                "operationId": "ListThings",
                "parameters": [
                    {"name": "PageNumber", "in": "query", "schema": {"type": "integer"}},
                    {"name": "PageSize", "in": "query", "schema": {"type": "integer"}}
                ],
                "x-paging": {"style": "page-number", "page": "PageNumber", "page-size": "PageSize",
                             "items": "Things", "total": "TotalCount"},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}}}
            }},
            "/things/{Id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {
                    "operationId": "GetThing",
                    "x-waiters": [{
                        "name": "thing", "describe": "thing {Id}", "parameters": ["Id"],
                        "result": "data", "status": "data.Status",
                        "waiting": ["Busy"], "success": ["Done"], "failure": ["Broken"],
                        "failure-message": "data.Message",
                        "progress": {"operation": "GetThingProgress", "done": ["done"], "total": ["total"]}
                    }],
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}}}
                }
            },
            "/things/{Id}/progress": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {
                    "operationId": "GetThingProgress",
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Progress"}}}}}
                }
            }
        },
        "components": {
            "parameters": {"Id": {"name": "Id", "in": "path", "required": true, "schema": {"type": "string"}}},
            "schemas": {
                "Page": {"type": "object", "properties": {
                    "Things": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
                    "TotalCount": {"type": "integer"}}},
                "Envelope": {"type": "object", "required": ["data"], "properties": {"data": {"$ref": "#/components/schemas/Thing"}}},
                "Thing": {"type": "object", "properties": {
                    "Status": {"$ref": "#/components/schemas/StatusValue"}, "Message": {"type": "string"}}},
                "StatusValue": {"oneOf": [{"$ref": "#/components/schemas/Status"}, {"type": "string"}]},
                "Status": {"type": "string", "enum": ["Busy", "Done", "Broken"]},
                "Progress": {"type": "object", "properties": {"done": {"type": "integer"}, "total": {"type": "integer"}}}
            }
        }
    })
}

fn problems(doc: &Value) -> String {
    let mut problems = Vec::new();
    check(doc, &mut problems);
    problems.join("\n")
}

fn rejects(edit: impl FnOnce(&mut Value), needle: &str) {
    let mut doc = spec();
    edit(&mut doc);
    let found = problems(&doc);
    assert!(found.contains(needle), "{needle:?} not in:\n{found}");
}

#[test]
fn a_clean_spec_passes() {
    assert_eq!(problems(&spec()), "");
}

#[test]
fn a_list_operation_without_x_paging_is_rejected() {
    rejects(
        |d| {
            d["paths"]["/things"]["get"]
                .as_object_mut()
                .unwrap()
                .remove("x-paging");
        },
        "ListThings: a list operation without x-paging",
    );
}

#[test]
fn an_array_page_with_paging_parameters_is_a_list() {
    rejects(
        |d| {
            let op = &mut d["paths"]["/things"]["get"];
            op["operationId"] = json!("SearchThings");
            op.as_object_mut().unwrap().remove("x-paging");
        },
        "SearchThings: a list operation without x-paging",
    );
}

#[test]
fn x_paging_naming_a_missing_parameter_is_rejected() {
    rejects(
        |d| d["paths"]["/things"]["get"]["x-paging"]["page"] = json!("Page"),
        "names \"Page\", not a parameter",
    );
}

#[test]
fn x_paging_naming_a_missing_property_is_rejected() {
    rejects(
        |d| d["paths"]["/things"]["get"]["x-paging"]["total"] = json!("Total"),
        "no property \"Total\"",
    );
    rejects(
        |d| d["paths"]["/things"]["get"]["x-paging"]["items"] = json!("TotalCount"),
        "not an array",
    );
}

#[test]
fn unknown_keys_are_rejected() {
    rejects(
        |d| d["paths"]["/things"]["get"]["x-paging"]["cursor"] = json!("x"),
        "unknown key `cursor`",
    );
    rejects(
        |d| d["paths"]["/things/{Id}"]["get"]["x-waiters"][0]["retry"] = json!(1),
        "unknown key `retry`",
    );
}

#[test]
fn a_status_value_the_schema_does_not_allow_is_rejected() {
    rejects(
        |d| d["paths"]["/things/{Id}"]["get"]["x-waiters"][0]["success"] = json!(["Ready"]),
        "\"Ready\" is not allowed",
    );
}

#[test]
fn a_value_in_two_sets_is_rejected() {
    rejects(
        |d| d["paths"]["/things/{Id}"]["get"]["x-waiters"][0]["failure"] = json!(["done"]),
        "listed twice",
    );
}

#[test]
fn a_missing_progress_operation_is_rejected() {
    rejects(
        |d| {
            d["paths"]["/things/{Id}"]["get"]["x-waiters"][0]["progress"]["operation"] =
                json!("Nope")
        },
        "progress operation \"Nope\" does not exist",
    );
}

#[test]
fn waiter_parameters_and_properties_must_exist() {
    rejects(
        |d| d["paths"]["/things/{Id}"]["get"]["x-waiters"][0]["parameters"] = json!(["Id", "X"]),
        "\"X\" is not a parameter",
    );
    rejects(
        |d| d["paths"]["/things/{Id}"]["get"]["x-waiters"][0]["status"] = json!("data.State"),
        "no property \"State\"",
    );
    rejects(
        |d| d["paths"]["/things/{Id}"]["get"]["x-waiters"][0]["describe"] = json!("thing {Name}"),
        "names {Name}",
    );
    rejects(
        |d| d["paths"]["/things/{Id}"]["get"]["x-waiters"][0]["parameters"] = json!([]),
        "required parameter \"Id\"",
    );
}
