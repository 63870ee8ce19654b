//! The API contract, checked on every answer the end-to-end suite receives (docs/api-contract.md):
//! each request to `/api/v1` is matched to its operation in the OpenAPI document by method and
//! path template; the status must be one the operation lists, and the body must match the
//! schema of that status and content type. A request the server accepted (2xx) must also be
//! valid against the operation's request schema: the document may not refuse what the server
//! takes. The validation is strict: an object schema with `properties` admits no other
//! property, so a field the server sends and the document does not name fails too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PREFIX: &str = "/api/v1";

struct Contract {
    /// The document as served, with every object schema closed (`additionalProperties: false`).
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let mut doc = serde_json::to_value(relais_server::http::openapi::spec()).expect("document as JSON");
        close_objects(&mut doc);
        Contract { doc, validators: Mutex::new(HashMap::new()) }
    })
}

/// The document the server serves, as JSON (not closed).
pub fn document() -> Value {
    serde_json::to_value(relais_server::http::openapi::spec()).expect("document as JSON")
}

/// Adds `additionalProperties: false` to every object schema that names its properties and says
/// nothing of others.
fn close_objects(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let is_object_schema = m.get("properties").is_some_and(Value::is_object)
                && m.get("type")
                    .is_none_or(|t| t == "object" || t.as_array().is_some_and(|a| a.contains(&json!("object"))));
            if is_object_schema && !m.contains_key("additionalProperties") && !m.contains_key("unevaluatedProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            m.values_mut().for_each(close_objects);
        }
        Value::Array(a) => a.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// The template of `path` (under `/api/v1`, without its query) in the document's paths: the
/// one matching with the most literal segments (`/patient/questionnaires/pending` before
/// `/patient/questionnaires/{id}`).
fn template_of<'d>(paths: &'d serde_json::Map<String, Value>, path: &str) -> Option<&'d str> {
    let segments: Vec<&str> = path.split('/').collect();
    paths
        .keys()
        .filter_map(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            if ts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (t, s) in ts.iter().zip(&segments) {
                if t.starts_with('{') && t.ends_with('}') {
                    if s.is_empty() {
                        return None;
                    }
                } else if t == s {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, t.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// Follows a local `$ref` (`#/components/...`).
fn resolve<'d>(doc: &'d Value, v: &'d Value) -> &'d Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).map_or(v, |t| resolve(doc, t)),
        None => v,
    }
}

fn validator(c: &Contract, key: &str, schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
    let mut cache = c.validators.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(v) = cache.get(key) {
        return Ok(v.clone());
    }
    // The schema with the document's components beside it, so that `#/components/...` resolves.
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": c.doc["components"],
        "allOf": [schema],
    });
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("the document's schema for {key} does not compile: {e}"))?;
    let v = Arc::new(v);
    cache.insert(key.to_owned(), v.clone());
    Ok(v)
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance).map(|e| format!("at `{}`: {e}", e.instance_path())).take(5).collect()
}

/// What one exchange did: the request and the answer as received.
pub struct Exchange<'a> {
    pub method: &'a Method,
    /// Path and query, as sent (`/api/v1/alerts?status=open`).
    pub path: &'a str,
    pub request: Option<&'a Value>,
    pub status: StatusCode,
    pub content_type: Option<&'a str>,
    pub body: &'a str,
}

/// Checks one exchange against the document; `Err` says what disagrees, naming the method, the
/// path, its template, the status and the schema error.
pub fn check(x: &Exchange<'_>) -> Result<(), String> {
    let Some(rest) = x.path.strip_prefix(PREFIX) else { return Ok(()) };
    let path = rest.split('?').next().unwrap_or(rest);
    let c = contract();
    let paths = c.doc["paths"].as_object().ok_or("the document has no paths")?;
    let method = x.method.as_str().to_ascii_lowercase();
    let what = format!("{} {}", x.method, x.path);
    let Some(template) = template_of(paths, &format!("{PREFIX}{path}")) else {
        // No route: the router's fallback answers 404 (or 405), which is no operation's.
        if matches!(x.status, StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED) {
            return Ok(());
        }
        return Err(format!("{what}: no path of the OpenAPI document matches, yet it answered {}", x.status));
    };
    let Some(op) = paths[template].get(&method) else {
        if x.status == StatusCode::METHOD_NOT_ALLOWED {
            return Ok(());
        }
        return Err(format!(
            "{what}: the document has no {method} operation on {template}, yet it answered {}",
            x.status
        ));
    };
    let op_name = format!("{} {template}", x.method);
    let status = x.status.as_str();
    let Some(response) = op["responses"].get(status).or_else(|| op["responses"].get("default")) else {
        let listed: Vec<&String> = op["responses"].as_object().map(|m| m.keys().collect()).unwrap_or_default();
        return Err(format!(
            "{what} (operation {op_name}) answered {status}, which the document does not list (it lists {listed:?}); body: {}",
            x.body.chars().take(500).collect::<String>()
        ));
    };
    let response = resolve(&c.doc, response);
    let content = response.get("content").and_then(Value::as_object);
    match content {
        None => {
            if !x.body.is_empty() {
                return Err(format!(
                    "{what} (operation {op_name}) answered {status} with a body, and the document says it has none: {}",
                    x.body.chars().take(500).collect::<String>()
                ));
            }
        }
        Some(content) => {
            let essence = x.content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            let Some(media) = content.get(&essence) else {
                let listed: Vec<&String> = content.keys().collect();
                return Err(format!(
                    "{what} (operation {op_name}) answered {status} as `{essence}`, and the document lists {listed:?}"
                ));
            };
            if essence == "application/json" || essence.ends_with("+json") {
                let body: Value = serde_json::from_str(x.body)
                    .map_err(|e| format!("{what} (operation {op_name}) answered {status} with invalid JSON: {e}"))?;
                let schema = media.get("schema").cloned().unwrap_or(json!({}));
                let v = validator(c, &format!("{op_name} {status} {essence}"), &schema)?;
                let errs = errors(&v, &body);
                if !errs.is_empty() {
                    return Err(format!(
                        "{what} (operation {op_name}) answered {status} with a body that does not match the document's schema {}:\n  {}\nbody: {}",
                        schema,
                        errs.join("\n  "),
                        body.to_string().chars().take(1500).collect::<String>()
                    ));
                }
            }
        }
    }
    // What the server accepted, the document must accept.
    if x.status.is_success()
        && let Some(request) = x.request
        && let Some(schema) = op.pointer("/requestBody/content/application~1json/schema")
    {
        let v = validator(c, &format!("{op_name} request"), schema)?;
        let errs = errors(&v, request);
        if !errs.is_empty() {
            return Err(format!(
                "{what} (operation {op_name}): the server accepted ({status}) a body the document's request schema refuses:\n  {}\nrequest: {request}",
                errs.join("\n  ")
            ));
        }
    }
    Ok(())
}

/// Panics with `check`'s message when the exchange disagrees with the document.
pub fn assert_conforms(x: &Exchange<'_>) {
    if let Err(e) = check(x) {
        panic!("API contract (docs/api-contract.md): {e}");
    }
}
