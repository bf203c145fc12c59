//! `template.yaml` as SAM's own transform expands it (`xtask/expand-template.py`, what
//! `sam validate` does, offline) for one set of parameter values, with what SAM leaves to
//! CloudFormation (parameters, conditions, `Fn::If`, `AWS::NoValue`) resolved here as
//! CloudFormation would: a [`Deployment`], for the template's checks to read.
//!
//! Also the way to run the virtualenv's tools ([`tool`], [`run`]) that those checks use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::paths::{root, venv_tool};

/// The virtualenv's tool `name`, run from the repository's root with the virtualenv first on
/// PATH and SAM's telemetry off.
pub fn tool(name: &str) -> Command {
    let venv_bin = venv_tool(name).parent().unwrap().to_path_buf();
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let path =
        std::env::join_paths(std::iter::once(venv_bin).chain(std::env::split_paths(&inherited)))
            .unwrap();
    let mut command = Command::new(venv_tool(name));
    command
        .current_dir(root())
        .env("PATH", path)
        .env("SAM_CLI_TELEMETRY", "0")
        // Nothing here talks to AWS; never wait for an instance-metadata endpoint either.
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// Runs `command` and returns its output; a failure fails the caller, with everything it printed.
pub fn run(mut command: Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The expanded template, resolved for one set of parameter values.
pub struct Deployment {
    /// The parameter values: the overrides, then the template's defaults.
    pub params: BTreeMap<String, String>,
    /// Each condition's value for these parameters.
    pub conditions: BTreeMap<String, bool>,
    /// The resources CloudFormation would create, with `Ref`s to parameters, `Fn::If` and
    /// `AWS::NoValue` resolved; `Ref`s to resources, `Fn::GetAtt` and `Fn::Sub` kept.
    pub resources: BTreeMap<String, Value>,
    /// The stack's outputs, resolved likewise.
    pub outputs: BTreeMap<String, Value>,
    /// Parameters a parent stack passes as something other than text (a `Ref` to one of its
    /// resources), as it passes them.
    given: BTreeMap<String, Value>,
    /// The parameters of type `CommaDelimitedList`, which a `Ref` reads as a list.
    lists: BTreeSet<String>,
    /// The resources of nested stacks: their logical id here, and that of the stack and their own.
    nested: BTreeMap<String, (String, String)>,
}

/// A scalar as text: a string as it is, anything else as its JSON.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `value` as text, with a `Fn::Join` of a list joined as CloudFormation joins it (`!Join ['',
/// !Ref Layers]` is empty when the list parameter is). A `Ref` to a resource stays whole: never
/// empty.
fn joined(value: &Value) -> String {
    match value
        .get("Fn::Join")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([Value::String(separator), Value::Array(items)]) => {
            items.iter().map(joined).collect::<Vec<_>>().join(separator)
        }
        _ => text(value),
    }
}

impl Deployment {
    /// Expands template.yaml with SAM's transform for these parameter overrides (`Name`,
    /// `value`), as `sam deploy --parameter-overrides` would pass them.
    pub fn expand(overrides: &[(&str, &str)]) -> Deployment {
        Deployment::expand_template(&root().join("template.yaml"), overrides)
    }

    /// Expands the SAM template at `template` with SAM's transform for these parameter overrides.
    ///
    /// The applications it nests from local templates (`AWS::Serverless::Application` with a
    /// `Location` path, as `sam build` and `sam package` read them) are expanded too, with the
    /// parameters it passes, and their resources join this deployment's under the application's
    /// logical id followed by their own (`Hs256Authorizer` + `Function`), as CloudFormation would
    /// create them in a stack of their own; a `Fn::GetAtt` of an application's output becomes that
    /// output's value.
    pub fn expand_template(template: &Path, overrides: &[(&str, &str)]) -> Deployment {
        Deployment::expand_given(template, overrides, BTreeMap::new())
    }

    fn expand_given(
        template: &Path,
        overrides: &[(&str, &str)],
        given: BTreeMap<String, Value>,
    ) -> Deployment {
        let mut command = tool("python");
        command
            .arg("xtask/expand-template.py")
            .arg("--template")
            .arg(template);
        command.args(overrides.iter().map(|(k, v)| format!("{k}={v}")));
        let output = run(command);
        let expanded: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");

        let mut params: BTreeMap<String, String> = expanded["Parameters"]
            .as_object()
            .expect("the expanded template has parameters")
            .iter()
            .filter_map(|(name, p)| Some((name.clone(), text(p.get("Default")?))))
            .collect();
        for (name, value) in overrides {
            params.insert(name.to_string(), value.to_string());
        }
        for (name, value) in &given {
            params.insert(name.clone(), text(value));
        }
        // CloudFormation refuses a stack (a nested one included) that leaves a parameter without
        // a default unset.
        for name in expanded["Parameters"].as_object().unwrap().keys() {
            assert!(
                params.contains_key(name),
                "{}: the parameter {name} has no default and no value",
                template.display()
            );
        }
        for (name, value) in &params {
            if let Some(allowed) = expanded["Parameters"][name]["AllowedValues"].as_array() {
                // CloudFormation compares as text: `30` is among `[7, 30]`.
                assert!(
                    allowed.iter().any(|a| text(a) == *value),
                    "{name}={value} is not among {allowed:?}"
                );
            }
        }
        let lists = expanded["Parameters"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, p)| p["Type"] == "CommaDelimitedList")
            .map(|(name, _)| name.clone())
            .collect();
        let mut deployment = Deployment {
            params,
            conditions: BTreeMap::new(),
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            given,
            lists,
            nested: BTreeMap::new(),
        };
        let conditions = expanded["Conditions"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (name, condition) in &conditions {
            let value = deployment.condition(condition, &conditions);
            deployment.conditions.insert(name.clone(), value);
        }
        for (name, resource) in expanded["Resources"].as_object().unwrap() {
            if let Some(condition) = resource.get("Condition").and_then(Value::as_str)
                && !deployment.conditions[condition]
            {
                continue;
            }
            let resolved = deployment.resolve(resource).unwrap();
            deployment.resources.insert(name.clone(), resolved);
        }
        for (name, output) in expanded["Outputs"].as_object().unwrap() {
            if let Some(condition) = output.get("Condition").and_then(Value::as_str)
                && !deployment.conditions[condition]
            {
                continue;
            }
            let resolved = deployment.resolve(&output["Value"]).unwrap();
            deployment.outputs.insert(name.clone(), resolved);
        }
        deployment.nest(template.parent().unwrap());
        deployment
    }

    /// Expands each stack this deployment nests from a local template (below `dir`) and takes in
    /// its resources and outputs.
    fn nest(&mut self, dir: &Path) {
        let stacks: Vec<(String, Value)> = self
            .of_type("AWS::CloudFormation::Stack")
            .into_iter()
            .map(|(id, stack)| (id.clone(), stack["Properties"].clone()))
            .filter(|(_, p)| {
                p["TemplateURL"]
                    .as_str()
                    .is_some_and(|url| !url.contains("://"))
            })
            .collect();
        let mut outputs = BTreeMap::new();
        for (id, stack) in stacks {
            let path = dir.join(stack["TemplateURL"].as_str().unwrap());
            let passed = stack["Parameters"].as_object().cloned().unwrap_or_default();
            let (texts, given): (Vec<_>, Vec<_>) =
                passed.into_iter().partition(|(_, value)| value.is_string());
            let texts: Vec<(String, String)> =
                texts.into_iter().map(|(k, v)| (k, text(&v))).collect();
            let texts: Vec<(&str, &str)> = texts
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let nested = Deployment::expand_given(&path, &texts, given.into_iter().collect());
            let ids: BTreeSet<String> = nested.resources.keys().cloned().collect();
            for (child, resource) in &nested.resources {
                let resource = prefixed(resource, &id, &ids);
                self.resources.insert(format!("{id}{child}"), resource);
                self.nested
                    .insert(format!("{id}{child}"), (id.clone(), child.clone()));
            }
            for (name, value) in &nested.outputs {
                outputs.insert(
                    (id.clone(), format!("Outputs.{name}")),
                    prefixed(value, &id, &ids),
                );
            }
        }
        let of_outputs = |value: &Value| with_outputs(value, &outputs);
        self.resources = self
            .resources
            .iter()
            .map(|(id, r)| (id.clone(), of_outputs(r)))
            .collect();
        self.outputs = self
            .outputs
            .iter()
            .map(|(name, v)| (name.clone(), of_outputs(v)))
            .collect();
    }

    /// The value of `condition` (`Fn::Equals`, of values that may be `Fn::Join`s, `Fn::Not`,
    /// `Fn::And`, `Fn::Or` or a named `Condition` among `all`).
    fn condition(&self, condition: &Value, all: &serde_json::Map<String, Value>) -> bool {
        let args = |f: &str| condition[f].as_array().unwrap().clone();
        if condition.get("Fn::Equals").is_some() {
            let [a, b] = <[Value; 2]>::try_from(args("Fn::Equals")).unwrap();
            let operand = |v: &Value| joined(&self.resolve(v).unwrap());
            operand(&a) == operand(&b)
        } else if condition.get("Fn::Not").is_some() {
            !self.condition(&args("Fn::Not")[0], all)
        } else if condition.get("Fn::And").is_some() {
            args("Fn::And").iter().all(|c| self.condition(c, all))
        } else if condition.get("Fn::Or").is_some() {
            args("Fn::Or").iter().any(|c| self.condition(c, all))
        } else if let Some(name) = condition.get("Condition").and_then(Value::as_str) {
            self.condition(&all[name], all)
        } else {
            panic!("unsupported condition {condition}")
        }
    }

    /// `value` with parameters, `Fn::If` and `AWS::NoValue` resolved; `None` stands for
    /// `AWS::NoValue`.
    pub fn resolve(&self, value: &Value) -> Option<Value> {
        match value {
            Value::Object(map) => {
                if let (1, Some(Value::String(name))) = (map.len(), map.get("Ref")) {
                    if name == "AWS::NoValue" {
                        return None;
                    }
                    let list = self.lists.contains(name);
                    if let Some(value) = self.given.get(name) {
                        // A list parameter given one value (a `Ref` to a layer) holds that value.
                        return Some(match value {
                            Value::Array(_) => value.clone(),
                            _ if list => Value::Array(vec![value.clone()]),
                            _ => value.clone(),
                        });
                    }
                    if let Some(param) = self.params.get(name) {
                        if list {
                            let items = param.split(',').map(|item| json!(item)).collect();
                            return Some(Value::Array(items));
                        }
                        return Some(Value::String(param.clone()));
                    }
                    return Some(value.clone());
                }
                if let (1, Some(Value::Array(args))) = (map.len(), map.get("Fn::If")) {
                    let condition = args[0].as_str().unwrap();
                    let chosen = if self.conditions[condition] {
                        &args[1]
                    } else {
                        &args[2]
                    };
                    return self.resolve(chosen);
                }
                Some(Value::Object(
                    map.iter()
                        .filter_map(|(k, v)| Some((k.clone(), self.resolve(v)?)))
                        .collect(),
                ))
            }
            Value::Array(items) => Some(Value::Array(
                items.iter().filter_map(|v| self.resolve(v)).collect(),
            )),
            other => Some(other.clone()),
        }
    }

    /// The resources of CloudFormation type `kind`, by logical id.
    pub fn of_type(&self, kind: &str) -> Vec<(&String, &Value)> {
        self.resources
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .collect()
    }

    /// The logical id of the function built from `binary`.
    pub fn function(&self, binary: &str) -> &str {
        let found: Vec<_> = self
            .of_type("AWS::Lambda::Function")
            .into_iter()
            .filter(|(_, f)| f["Metadata"]["BuildProperties"]["Binary"] == binary)
            .collect();
        assert_eq!(found.len(), 1, "exactly one function builds {binary}");
        found[0].0
    }

    /// Where `sam build` puts what it builds for the resource `logical_id`, below its build
    /// directory: `<logical id>`, or `<application>/<logical id>` in a nested application, beside
    /// the `template.yaml` that names it.
    pub fn build_path<'a>(&'a self, logical_id: &'a str) -> (PathBuf, &'a str) {
        match self.nested.get(logical_id) {
            Some((stack, child)) => (PathBuf::from(stack), child),
            None => (PathBuf::new(), logical_id),
        }
    }

    /// The properties of the resource `logical_id`.
    pub fn properties(&self, logical_id: &str) -> &Value {
        &self.resources[logical_id]["Properties"]
    }

    /// The environment variables of the function built from `binary`.
    pub fn environment(&self, binary: &str) -> BTreeMap<String, Value> {
        let env = &self.properties(self.function(binary))["Environment"]["Variables"];
        env.as_object()
            .map(|vars| vars.clone().into_iter().collect())
            .unwrap_or_default()
    }

    /// The properties of the IAM role the function built from `binary` runs as.
    pub fn role_of(&self, binary: &str) -> &Value {
        let role = &self.properties(self.function(binary))["Role"];
        let role_id = role["Fn::GetAtt"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{binary}'s role is not one of the template's: {role}"));
        assert_eq!(self.resources[role_id]["Type"], "AWS::IAM::Role");
        self.properties(role_id)
    }

    /// The REST API's OpenAPI definition.
    pub fn api_body(&self) -> &Value {
        let apis = self.of_type("AWS::ApiGateway::RestApi");
        assert_eq!(apis.len(), 1, "one REST API");
        &apis[0].1["Properties"]["Body"]
    }

    /// The REST API's logical id.
    pub fn api_id(&self) -> &str {
        self.of_type("AWS::ApiGateway::RestApi")[0].0
    }

    /// The API Gateway v2 APIs of `protocol` (`HTTP` or `WEBSOCKET`), by logical id. An HTTP API
    /// that SAM writes from an OpenAPI definition has no `ProtocolType`: its body says it.
    pub fn v2_apis(&self, protocol: &str) -> Vec<(&String, &Value)> {
        self.of_type("AWS::ApiGatewayV2::Api")
            .into_iter()
            .filter(|(_, api)| {
                api["Properties"]["ProtocolType"].as_str().unwrap_or("HTTP") == protocol
            })
            .collect()
    }

    /// The HTTP API's logical id and OpenAPI definition.
    pub fn http_api(&self) -> (&str, &Value) {
        let apis = self.v2_apis("HTTP");
        assert_eq!(apis.len(), 1, "one HTTP API");
        (apis[0].0, &apis[0].1["Properties"]["Body"])
    }

    /// The WebSocket API's logical id.
    pub fn websocket_api(&self) -> &str {
        let apis = self.v2_apis("WEBSOCKET");
        assert_eq!(apis.len(), 1, "one WebSocket API");
        apis[0].0
    }

    /// The resources of CloudFormation type `kind` that belong to the API Gateway v2 API `api`
    /// (their `ApiId` is a `Ref` to it), by logical id.
    pub fn of_api(&self, kind: &str, api: &str) -> Vec<(&String, &Value)> {
        self.of_type(kind)
            .into_iter()
            .filter(|(_, r)| r["Properties"]["ApiId"] == json!({"Ref": api}))
            .collect()
    }

    /// What names the HS256 secret: the `JwtSecretArn` parameter, or a `Ref` to the secret the
    /// template creates when it is empty.
    pub fn secret_arn(&self) -> Value {
        let name = &self.params["JwtSecretArn"];
        if name.is_empty() {
            json!({"Ref": "Hs256AuthorizerJwtSecret"})
        } else {
            json!(name)
        }
    }
}

/// `value` of a stack nested as `stack`, its references to its own resources (`ids`) renamed as
/// [`Deployment::expand_template`] names them.
fn prefixed(value: &Value, stack: &str, ids: &BTreeSet<String>) -> Value {
    let rename = |id: &str| {
        if ids.contains(id) {
            format!("{stack}{id}")
        } else {
            id.to_owned()
        }
    };
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let v = match (key.as_str(), v) {
                        ("Ref", Value::String(id)) => Value::String(rename(id)),
                        ("Fn::GetAtt", Value::Array(args)) if !args.is_empty() => {
                            let mut args = args.clone();
                            args[0] = Value::String(rename(args[0].as_str().unwrap_or_default()));
                            Value::Array(args)
                        }
                        ("Fn::Sub", Value::String(template)) => {
                            Value::String(sub_renamed(template, &rename))
                        }
                        ("Fn::Sub", Value::Array(args)) if !args.is_empty() => {
                            let mut args: Vec<Value> =
                                args.iter().map(|a| prefixed(a, stack, ids)).collect();
                            if let Some(template) = args[0].as_str() {
                                args[0] = Value::String(sub_renamed(template, &rename));
                            }
                            Value::Array(args)
                        }
                        _ => prefixed(v, stack, ids),
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| prefixed(v, stack, ids)).collect())
        }
        other => other.clone(),
    }
}

/// A `Fn::Sub` template with the logical id of each `${Id}` and `${Id.Attribute}` renamed.
fn sub_renamed(template: &str, rename: &impl Fn(&str) -> String) -> String {
    let mut parts = template.split("${");
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let (var, rest) = part.split_once('}').unwrap_or((part, ""));
        let (id, attribute) = var
            .split_once('.')
            .map_or((var, None), |(i, a)| (i, Some(a)));
        out.push_str("${");
        out.push_str(&rename(id));
        if let Some(attribute) = attribute {
            out.push('.');
            out.push_str(attribute);
        }
        out.push('}');
        out.push_str(rest);
    }
    out
}

/// `value` with each `Fn::GetAtt` of a nested stack's output replaced by that output's value.
fn with_outputs(value: &Value, outputs: &BTreeMap<(String, String), Value>) -> Value {
    match value {
        Value::Object(map) => {
            if let Some([Value::String(stack), Value::String(output)]) = map
                .get("Fn::GetAtt")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                && let Some(resolved) = outputs.get(&(stack.clone(), output.clone()))
            {
                return resolved.clone();
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), with_outputs(v, outputs)))
                    .collect(),
            )
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| with_outputs(v, outputs)).collect())
        }
        other => other.clone(),
    }
}

/// Every logical id `value` refers to through `Ref`, `Fn::GetAtt` or a `${Id...}` in `Fn::Sub`.
pub fn references(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(id)) = map.get("Ref") {
                    found.insert(id.clone());
                }
                if let Some(Value::String(id)) = map.get("Fn::GetAtt").and_then(|a| a.get(0)) {
                    found.insert(id.clone());
                }
                let sub = map.get("Fn::Sub").map(|s| s.get(0).unwrap_or(s));
                if let Some(Value::String(template)) = sub {
                    for part in template.split("${").skip(1) {
                        let var = part.split('}').next().unwrap_or_default();
                        found.insert(var.split('.').next().unwrap_or_default().to_owned());
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

/// A list as it is, anything else as a list of one: IAM accepts both forms.
pub fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}
