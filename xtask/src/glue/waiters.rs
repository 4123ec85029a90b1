//! Generates, from each operation's `x-waiters`, a public `waiters` module in the generated
//! crate: per waiter a constant with its status sets (`INSTANCE_SNAPSHOT`), a target type
//! (`InstanceSnapshot<'a>`) implementing `snapshots_runtime::waiter::WaitTarget`, and its
//! constructor (`instance_snapshot(&client, instance_id, snapshot_id)`); and, for a waiter
//! with a progress operation, `From<progress type> for snapshots_runtime::waiter::Progress`.

use super::paging::{field_path, pascal_case, ref_name};
use super::paging_model::{self, ProgressSpec, Waiter};
use crate::generate::snake_case;
use crate::hooks::ResponseTypes;
use crate::lint::paging::{parameters, placeholders, property_at, resolve, success_schema};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The polled operation of a waiter, as the generator needs it.
struct Polled<'a> {
    id: &'a str,
    path: &'a str,
    op: &'a Value,
}

/// The Rust source of the `waiters` module of `doc` (empty when it has no waiter).
pub fn render(doc: &Value, types: &BTreeMap<String, ResponseTypes>) -> Result<String> {
    let mut found = Vec::new();
    crate::lint::each_operation(doc, |path, _, op| {
        if let (Some(value), Some(id)) = (
            op.get("x-waiters"),
            op.get("operationId").and_then(Value::as_str),
        ) {
            found.push((Polled { id, path, op }, paging_model::waiters(value, id)));
        }
    });
    let mut code = Vec::new();
    let mut conversions = BTreeSet::new();
    for (polled, waiters) in found {
        let waiters = waiters.map_err(|problems| anyhow!(problems.join("; ")))?;
        for waiter in waiters {
            let rendered = target(doc, &polled, &waiter, types, &mut conversions)
                .with_context(|| format!("x-waiters {} of {}", waiter.name, polled.id))?;
            code.push(rendered);
        }
    }
    if code.is_empty() {
        return Ok(String::new());
    }
    Ok(format!(
        "/// Waiters, from the spec's `x-waiters`: per waiter, its status sets, a target type and its\n\
         /// constructor. Wait with `snapshots::wait::Waiter::new(target)` (or `snapshots::wait::until`).\n\
         /// A status in none of the sets keeps the waiter waiting and is reported as unknown.\n\
         pub mod waiters {{\n\
         use super::{{types, Client, Error}};\n\
         use snapshots_runtime::waiter::{{BoxFuture, Observation, StatusFields, StatusSets, WaitTarget}};\n\
         {}\n}}\n",
        code.concat()
    ))
}

/// The Rust type a waiter keeps a parameter in: the `$ref`ed type; a `String` for a string
/// (a pattern, length or enum is checked by the builder's setter, which takes any
/// `TryInto` of its type, when the poll is sent: a bad value is the poll's validation
/// error); an `i64` for an unconstrained integer. Other types are refused.
fn parameter_type(param: &Value, doc: &Value) -> Result<String> {
    let schema = param
        .get("schema")
        .context("a parameter without a schema")?;
    if let Some(name) = ref_name(schema) {
        return Ok(format!("types::{name}"));
    }
    let schema = resolve(doc, schema);
    let has = |key: &str| schema.get(key).is_some();
    let format = schema.get("format").and_then(Value::as_str);
    match schema.get("type").and_then(Value::as_str) {
        Some("string") if format.is_none() => Ok("::std::string::String".into()),
        Some("integer")
            if matches!(format, None | Some("int64"))
                && !["minimum", "maximum", "enum"].iter().any(|k| has(k)) =>
        {
            Ok("i64".into())
        }
        other => bail!(
            "parameter type {other:?} (format {format:?}, or a range) is not supported by waiters"
        ),
    }
}

fn list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("&[{}]", quoted.join(", "))
}

fn option(value: &Option<String>) -> String {
    value
        .as_ref()
        .map_or("None".into(), |v| format!("Some({v:?})"))
}

fn target(
    doc: &Value,
    polled: &Polled<'_>,
    waiter: &Waiter,
    types: &BTreeMap<String, ResponseTypes>,
    conversions: &mut BTreeSet<String>,
) -> Result<String> {
    let response = types
        .get(&snake_case(polled.id))
        .context("no `send` for the operation")?;
    let params = parameters(doc, polled.path, polled.op);
    let mut fields = Vec::new();
    for name in &waiter.parameters {
        let param = params
            .get(name)
            .with_context(|| format!("no parameter {name}"))?;
        fields.push((snake_case(name), parameter_type(param, doc)?));
    }
    let output = match &waiter.result {
        None => response.success.clone(),
        Some(result) => {
            let schema = success_schema(polled.op).context("no success schema")?;
            let inner = property_at(doc, schema, result, true).map_err(|e| anyhow!(e))?;
            format!(
                "types::{}",
                ref_name(inner).context("`result` is not a component schema")?
            )
        }
    };
    let upper = waiter.name.to_ascii_uppercase();
    let ty = pascal_case(&waiter.name);
    let setters: String = fields
        .iter()
        .map(|(f, _)| format!(".{f}(self.{f}.clone())"))
        .collect();
    let mut describe = waiter.describe.clone();
    for placeholder in placeholders(&waiter.describe) {
        describe = describe.replace(
            &format!("{{{placeholder}}}"),
            &format!("{{{}}}", snake_case(&placeholder)),
        );
    }
    let describe_args: String = placeholders(&waiter.describe)
        .iter()
        .map(|p| format!(", {0} = self.{0}", snake_case(p)))
        .collect();
    let (progress, progress_items) = match &waiter.progress {
        Some(progress) => progress_code(doc, waiter, progress, types, &fields, conversions)?,
        None => (String::new(), String::new()),
    };
    let result_access = waiter
        .result
        .as_ref()
        .map(|r| format!(".{}", field_path(r)))
        .unwrap_or_default();
    Ok(format!(
        "/// The status values of the `{name}` waiter (polls `{id}`), from the spec's `x-waiters`.\n\
         pub const {upper}: StatusSets = StatusSets {{ waiting: {waiting}, success: {success}, failure: {failure} }};\n\
         const {upper}_FIELDS: StatusFields = StatusFields {{ status: {status:?}, code: {code}, message: {message} }};\n\
         /// What the `{name}` waiter polls: `{id}` with its identifying parameters.\n\
         #[derive(Debug, Clone)]\npub struct {ty}<'a> {{ client: &'a Client, {struct_fields} }}\n\
         /// The `{name}` waiter's target ({describe_doc}); wait for it with `snapshots::wait::until`.\n\
         pub fn {name}<'a>(client: &'a Client, {args}) -> {ty}<'a> {{ {ty} {{ client, {inits} }} }}\n\
         impl<'a> WaitTarget<'a> for {ty}<'a> {{\n\
         type Output = {output};\ntype Error = Error<{error}>;\nconst SETS: StatusSets = {upper};\n\
         fn describe(&self) -> String {{ format!({describe:?}{describe_args}) }}\n\
         fn observe(&self) -> BoxFuture<'a, Result<Observation<Self::Output>, Self::Error>> {{\n\
         let request = self.client.{op}(){setters};\n\
         Box::pin(async move {{\n\
         let response = request.send().await?.into_inner();\n\
         let json = serde_json::to_value(&response).unwrap_or_default();\n\
         Ok(Observation::read(&json, &{upper}_FIELDS, &{upper}, response{result_access}))\n\
         }}) }}\n{progress}}}\n{progress_items}",
        name = waiter.name,
        id = polled.id,
        waiting = list(&waiter.waiting),
        success = list(&waiter.success),
        failure = list(&waiter.failure),
        status = waiter.status,
        code = option(&waiter.failure_code),
        message = option(&waiter.failure_message),
        struct_fields = fields.iter().map(|(f, t)| format!("{f}: {t},")).collect::<String>(),
        args = fields.iter().map(|(f, t)| format!("{f}: impl Into<{t}>,")).collect::<String>(),
        inits = fields.iter().map(|(f, _)| format!("{f}: {f}.into(),")).collect::<String>(),
        describe_doc = waiter.describe.replace(['{', '}'], "`"),
        error = response.error,
        op = snake_case(polled.id),
    ))
}

fn progress_code(
    doc: &Value,
    waiter: &Waiter,
    progress: &ProgressSpec,
    types: &BTreeMap<String, ResponseTypes>,
    fields: &[(String, String)],
    conversions: &mut BTreeSet<String>,
) -> Result<(String, String)> {
    let mut schema = None;
    crate::lint::each_operation(doc, |_, _, op| {
        if op.get("operationId").and_then(Value::as_str) == Some(progress.operation.as_str()) {
            schema = success_schema(op);
        }
    });
    let schema = schema.context("the progress operation does not exist")?;
    types
        .get(&snake_case(&progress.operation))
        .context("no `send` for the progress operation")?;
    let (inner, access) = match &progress.result {
        Some(result) => (
            property_at(doc, schema, result, true).map_err(|e| anyhow!(e))?,
            format!(".{}", field_path(result)),
        ),
        None => (schema, String::new()),
    };
    let upper = format!("{}_PROGRESS", waiter.name.to_ascii_uppercase());
    let steps = progress.steps.as_ref().map_or("None".into(), |(a, b, c)| {
        format!("Some(({a:?}, {b:?}, {c:?}))")
    });
    let mut items = format!(
        "const {upper}: snapshots_runtime::waiter::ProgressFields = snapshots_runtime::waiter::ProgressFields {{\n\
         done: {done}, total: {total}, phase: {phase}, steps: {steps} }};\n",
        done = list(&progress.done),
        total = list(&progress.total),
        phase = option(&progress.phase),
    );
    if let Some(name) = ref_name(inner).filter(|n| conversions.insert(n.to_string())) {
        items.push_str(&format!(
            "/// Reads a `{name}` the way the `{waiter}` waiter does (the paths of its `x-waiters` progress).\n\
             impl From<types::{name}> for snapshots_runtime::waiter::Progress {{\n\
             fn from(raw: types::{name}) -> Self {{\n\
             snapshots_runtime::waiter::Progress::read(serde_json::to_value(&raw).unwrap_or_default(), &{upper}) }} }}\n",
            waiter = waiter.name,
        ));
    }
    let setters: String = fields
        .iter()
        .map(|(f, _)| format!(".{f}(self.{f}.clone())"))
        .collect();
    let method = format!(
        "fn progress(&self) -> BoxFuture<'a, Option<snapshots_runtime::waiter::Progress>> {{\n\
         let request = self.client.{op}(){setters};\n\
         Box::pin(async move {{ snapshots_runtime::waiter::progress_of(request.send().await.map(|r| r.into_inner(){access}), &{upper}) }}) }}\n",
        op = snake_case(&progress.operation),
    );
    Ok((method, items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A spec with one waiter whose result is `data`, and the types progenitor would choose.
    fn spec() -> (Value, BTreeMap<String, ResponseTypes>) {
        let doc = json!({
            "paths": {"/things/{Id}": {"get": {
                "operationId": "GetThing",
                "parameters": [{"name": "Id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "x-waiters": [{"name": "thing", "describe": "thing {Id}", "parameters": ["Id"],
                               "result": "data", "status": "data.Status",
                               "waiting": ["Busy"], "success": ["Done"], "failure": ["Broken"]}],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}}}}
            }}},
            "components": {"schemas": {
                "Envelope": {"type": "object", "required": ["data"], "properties": {"data": {"$ref": "#/components/schemas/Thing"}}},
                "Thing": {"type": "object", "properties": {"Status": {"type": "string"}}}
            }}
        });
        let types = BTreeMap::from([(
            "get_thing".to_owned(),
            ResponseTypes {
                success: "types::Envelope".into(),
                error: "types::Problem".into(),
            },
        )]);
        (doc, types)
    }

    #[test]
    fn a_waiter_becomes_sets_a_target_and_a_constructor() {
        let (doc, types) = spec();
        let code = render(&doc, &types).unwrap();
        syn::parse_str::<syn::File>(&code).expect("the waiters module parses");
        for needle in [
            "pub const THING: StatusSets = StatusSets { waiting: &[\"Busy\"], success: &[\"Done\"], failure: &[\"Broken\"] }",
            "pub fn thing<'a>(client: &'a Client, id: impl Into<::std::string::String>,)",
            "type Output = types::Thing;",
            "self.client.get_thing().id(self.id.clone())",
            "response.data))",
        ] {
            assert!(code.contains(needle), "{needle:?} not in:\n{code}");
        }
    }

    #[test]
    fn a_constrained_string_is_kept_as_text_and_a_formatted_one_refused() {
        let (mut doc, types) = spec();
        let schema = &mut doc["paths"]["/things/{Id}"]["get"]["parameters"][0]["schema"];
        schema["pattern"] = json!("^t-");
        schema["maxLength"] = json!(64);
        let code = render(&doc, &types).unwrap();
        assert!(
            code.contains("id: impl Into<::std::string::String>"),
            "{code}"
        );
        doc["paths"]["/things/{Id}"]["get"]["parameters"][0]["schema"]["format"] = json!("uuid");
        let error = render(&doc, &types).unwrap_err();
        assert!(
            format!("{error:#}").contains("not supported by waiters"),
            "{error:#}"
        );
    }

    #[test]
    fn no_waiter_renders_nothing() {
        let (mut doc, types) = spec();
        doc["paths"]["/things/{Id}"]["get"]
            .as_object_mut()
            .unwrap()
            .remove("x-waiters");
        assert_eq!(render(&doc, &types).unwrap(), "");
    }
}
