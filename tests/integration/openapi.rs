//! The OpenAPI document against the real server: every documented GET route is called with
//! its documented example parameters, and each JSON answer is checked against the documented
//! schema. The checker is strict on objects: a missing required property, a property of the
//! wrong type and a property the schema does not list are all failures, so a handler whose
//! output drifts from its schema fails here.

use serde_json::Value;

use crate::helpers::spawn_app;

/// Follow `$ref`s to `#/components/schemas/…`.
fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unsupported $ref {r}"));
        schema = &doc["components"]["schemas"][name];
        assert!(!schema.is_null(), "dangling $ref {r}");
    }
    schema
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        other => panic!("unsupported schema type {other}"),
    }
}

/// Every property an object schema allows, following `allOf` (which `#[serde(flatten)]`
/// produces), with whether it is required.
fn properties<'a>(doc: &'a Value, schema: &'a Value, out: &mut Vec<(String, &'a Value, bool)>) {
    let schema = resolve(doc, schema);
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema["properties"].as_object() {
        for (name, s) in props {
            out.push((name.clone(), s, required.contains(&name.as_str())));
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        for p in parts {
            properties(doc, p, out);
        }
    }
}

/// Check `value` against `schema`; problems are pushed with their JSON path.
pub fn check(doc: &Value, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            let fits = options.iter().any(|o| {
                let mut e = Vec::new();
                check(doc, o, value, path, &mut e);
                e.is_empty()
            });
            if !fits {
                errors.push(format!("{path}: {value} fits none of {key}"));
            }
            return;
        }
    }
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => type_matches(t, value),
            Value::Array(ts) => ts
                .iter()
                .any(|t| type_matches(t.as_str().unwrap_or(""), value)),
            _ => true,
        };
        if !ok {
            errors.push(format!("{path}: {value} is not {t}"));
            return;
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{path}: {value} not in {allowed:?}"));
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, v) in values.iter().enumerate() {
            check(doc, items, v, &format!("{path}[{i}]"), errors);
        }
    }
    if let Some(object) = value.as_object() {
        let mut props = Vec::new();
        properties(doc, schema, &mut props);
        if props.is_empty() {
            return; // a free-form object (`Object` in the code)
        }
        for (name, s, required) in &props {
            match object.get(name) {
                Some(v) => check(doc, s, v, &format!("{path}.{name}"), errors),
                None if *required => errors.push(format!("{path}: required {name} missing")),
                None => {}
            }
        }
        let open = schema
            .get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false));
        for key in object.keys() {
            if !open && !props.iter().any(|(n, _, _)| n == key) {
                errors.push(format!("{path}: {key} is not in the schema"));
            }
        }
    }
}

/// Substitute path parameters and add query parameters from their documented examples.
fn example_url(template: &str, params: &[Value]) -> String {
    let mut path = template.to_string();
    let mut query = Vec::new();
    for p in params {
        let Some(example) = p.get("example").or_else(|| p["schema"].get("example")) else {
            assert_ne!(
                p["in"], "path",
                "{template}: path parameter without example"
            );
            continue;
        };
        let text = match example {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let name = p["name"].as_str().unwrap();
        if p["in"] == "path" {
            path = path.replace(&format!("{{{name}}}"), &text);
        } else {
            query.push(format!("{name}={text}"));
        }
    }
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

#[tokio::test]
async fn every_documented_get_route_answers_as_documented() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (template, item) in paths {
        let Some(get) = item.get("get") else {
            continue;
        };
        let params = get["parameters"].as_array().cloned().unwrap_or_default();
        let url = example_url(template, &params);
        let resp = app.get(&url).await;
        let status = resp.status().as_u16();
        let ok = &get["responses"]["200"];
        assert!(!ok.is_null(), "{template}: no documented 200");
        if status != 200 {
            failures.push(format!(
                "{url}: status {status}: {}",
                resp.text().await.unwrap()
            ));
            continue;
        }
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
        let documented: Vec<&String> = ok["content"]
            .as_object()
            .map(|c| c.keys().collect())
            .unwrap_or_default();
        assert!(
            documented
                .iter()
                .any(|d| content_type.starts_with(d.as_str())),
            "{url}: {content_type} not among {documented:?}"
        );
        if content_type.starts_with("application/json") {
            let body: Value = resp.json().await.unwrap();
            let schema = &ok["content"]["application/json"]["schema"];
            let mut errors = Vec::new();
            check(&doc, schema, &body, "$", &mut errors);
            failures.extend(errors.into_iter().map(|e| format!("{url}: {e}")));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 15, "only {checked} GET routes documented");
}

#[tokio::test]
async fn documented_error_bodies_match_the_real_ones() {
    let app = spawn_app().await;
    let (_, doc) = app.get_json("/api/openapi.json").await;
    let schema = &doc["paths"]["/api/v1/scores"]["get"]["responses"]["404"]["content"]["application/json"]
        ["schema"];
    assert!(!schema.is_null());
    for url in ["/api/v1/scores?region=35.09.99", "/api/v1/unknown"] {
        let (status, body) = app.get_json(url).await;
        assert_eq!(status, 404);
        let mut errors = Vec::new();
        check(&doc, schema, &body, "$", &mut errors);
        assert!(errors.is_empty(), "{url}: {errors:?}");
    }
}

#[test]
fn the_checker_fails_on_a_missing_field_a_wrong_type_and_an_undocumented_field() {
    let doc = serde_json::json!({
        "components": {"schemas": {"Thing": {
            "type": "object",
            "required": ["id", "score"],
            "properties": {
                "id": {"type": "string"},
                "score": {"type": ["number", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}}
            }
        }}}
    });
    let schema = serde_json::json!({"$ref": "#/components/schemas/Thing"});
    let run = |v: Value| {
        let mut e = Vec::new();
        check(&doc, &schema, &v, "$", &mut e);
        e
    };
    assert!(run(serde_json::json!({"id": "a", "score": null, "tags": ["x"]})).is_empty());
    assert!(!run(serde_json::json!({"score": 1.0})).is_empty());
    assert!(!run(serde_json::json!({"id": 1, "score": 1.0})).is_empty());
    assert!(!run(serde_json::json!({"id": "a", "score": 1.0, "extra": true})).is_empty());
    assert!(!run(serde_json::json!({"id": "a", "score": 1.0, "tags": [1]})).is_empty());
}

#[test]
fn every_operation_has_its_own_operation_id() {
    let doc: Value = serde_json::from_str(kotacerdas::server::openapi_json()).unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                panic!("operationId {id:?} is used by {other} and {method} {path}");
            }
        }
    }
}

/// The document passes a standard validator (`openapi-spec-validator` from PyPI, which `.ci/run`
/// installs): what a generated client would read. Without the tool the test is skipped with a
/// notice, unless `CI` is set.
#[test]
fn the_document_passes_a_standard_openapi_validator() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, kotacerdas::server::openapi_json()).unwrap();
    // As a module of the Python that installed it: a fresh install's script may not be on PATH.
    let out = match std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
    {
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("No module named") => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but openapi-spec-validator is not installed (pip install \
                 openapi-spec-validator)"
            );
            eprintln!("openapi-spec-validator is not installed; validation skipped");
            return;
        }
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but openapi-spec-validator is not installed (pip install \
                 openapi-spec-validator): {e}"
            );
            eprintln!("openapi-spec-validator is not installed; validation skipped");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
