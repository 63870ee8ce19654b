//! `/api/v1/docs`: the API reference, rendered on the server from the very OpenAPI document
//! `/api/v1/openapi.json` serves (no script, no CDN; docs/api-contract.md).

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;
use super::openapi;

/// No script, styles from our own assets, nothing framed.
const CSP: &str = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

struct Field {
    name: String,
    ty: String,
    required: bool,
    description: String,
}

struct Schema {
    name: String,
    description: String,
    ty: String,
    fields: Vec<Field>,
}

struct Answer {
    status: String,
    description: String,
    body: String,
}

struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    security: String,
    parameters: Vec<Field>,
    request: String,
    answers: Vec<Answer>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct Reference {
    title: String,
    version: String,
    description: String,
    operations: Vec<Operation>,
    schemas: Vec<Schema>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// "media type: schema" of each entry of a `content` object, joined; empty without one.
fn media_types(content: &Value) -> String {
    content
        .as_object()
        .map(|c| {
            c.iter().map(|(media, m)| format!("{media}: {}", type_of(&m["schema"]))).collect::<Vec<_>>().join("; ")
        })
        .unwrap_or_default()
}

/// A schema in a few words: `AlertView`, `array of DoseView`, `string (date)`, `"a" | "b"`.
fn type_of(s: &Value) -> String {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = s.get(key).and_then(Value::as_array) {
            return list.iter().map(type_of).collect::<Vec<_>>().join(" | ");
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return e.iter().map(Value::to_string).collect::<Vec<_>>().join(" | ");
    }
    let ty = match s.get("type") {
        Some(Value::Array(types)) => types.iter().map(text).collect::<Vec<_>>().join(" | "),
        Some(t) => text(t),
        None => "any".to_owned(),
    };
    let ty = if ty.starts_with("array") {
        ty.replacen("array", &format!("array of {}", s.get("items").map_or("any".to_owned(), type_of)), 1)
    } else {
        ty
    };
    let mut notes = Vec::new();
    if let Some(f) = s.get("format").and_then(Value::as_str) {
        notes.push(f.to_owned());
    }
    for (key, word) in [("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"), ("maxLength", "length ≤")]
    {
        if let Some(n) = s.get(key) {
            notes.push(format!("{word} {n}"));
        }
    }
    if let Some(p) = s.get("pattern").and_then(Value::as_str) {
        notes.push(format!("pattern {p}"));
    }
    if notes.is_empty() { ty } else { format!("{ty} ({})", notes.join(", ")) }
}

fn fields(s: &Value) -> Vec<Field> {
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    s.get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| Field {
                    name: name.clone(),
                    ty: type_of(p),
                    required: required.contains(&name.as_str()),
                    description: text(&p["description"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn reference(doc: &Value) -> Reference {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let security = op["security"]
                .as_array()
                .map(|a| {
                    a.iter().flat_map(|r| r.as_object().into_iter().flat_map(|o| o.keys().cloned())).collect::<Vec<_>>()
                })
                .filter(|s| !s.is_empty())
                .map_or_else(|| "none (public)".to_owned(), |s| s.join(" or "));
            let parameters = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Field {
                    name: format!("{} ({})", text(&p["name"]), text(&p["in"])),
                    ty: type_of(&p["schema"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    description: text(&p["description"]),
                })
                .collect();
            let request = media_types(&op["requestBody"]["content"]);
            let answers = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| {
                    let r = r["$ref"].as_str().and_then(|p| doc.pointer(p.trim_start_matches('#'))).unwrap_or(r);
                    let body = media_types(&r["content"]);
                    Answer { status: status.clone(), description: text(&r["description"]), body }
                })
                .collect();
            let summary = [text(&op["summary"]), text(&op["description"])]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" — ");
            operations.push(Operation {
                anchor: format!("{method}-{path}").replace(['/', '{', '}'], "-"),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                summary,
                security,
                parameters,
                request,
                answers,
            });
        }
    }
    operations.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| Schema {
            name: name.clone(),
            description: text(&s["description"]),
            ty: if s.get("properties").is_some() { "object".to_owned() } else { type_of(s) },
            fields: fields(s),
        })
        .collect();
    Reference {
        title: text(&doc["info"]["title"]),
        version: text(&doc["info"]["version"]),
        description: text(&doc["info"]["description"]),
        operations,
        schemas,
    }
}

/// The API reference page.
#[utoipa::path(get, path = "/api/v1/docs",
    responses((status = 200, description = "the API reference, as HTML", content_type = "text/html", body = String)))]
pub async fn page() -> Result<Response, ApiError> {
    let doc = serde_json::to_value(openapi::spec()).map_err(|e| ApiError::Internal(e.into()))?;
    let html = reference(&doc).render().map_err(|e| ApiError::Internal(e.into()))?;
    let mut resp = Html(html).into_response();
    resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    Ok(resp)
}
