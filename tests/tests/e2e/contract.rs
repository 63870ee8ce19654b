//! The OpenAPI document against the router (docs/api-contract.md): every route of the router's
//! table is an operation of the document, with the security of its kind of caller and the
//! statuses the extractors and the middlewares can answer; the document names no route the
//! router lacks; the server serves this very document. (Every answer of the suite is also
//! checked against it by the harness, `relais_tests::contract`.)

use relais_tests::relais_server::http::{Access, api_route_table};
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.push((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_in_the_document_and_every_operation_is_a_route() {
    let doc = contract::document();
    let ops = operations(&doc);
    let routes: Vec<(String, String)> =
        api_route_table().iter().map(|(m, p, _)| (m.to_string(), format!("/api/v1{p}"))).collect();
    let missing: Vec<_> = routes.iter().filter(|r| !ops.contains(r)).collect();
    assert!(missing.is_empty(), "routes of the router missing from the OpenAPI document: {missing:?}");
    let extra: Vec<_> = ops.iter().filter(|o| !routes.contains(o)).collect();
    assert!(extra.is_empty(), "operations of the OpenAPI document that no route serves: {extra:?}");
    assert!(ops.contains(&("GET".to_owned(), "/api/v1/patient/push-key".to_owned())));
}

#[test]
fn every_operation_has_its_security_and_the_statuses_of_its_kind() {
    let doc = contract::document();
    for (method, path, access) in api_route_table() {
        let op = &doc["paths"][format!("/api/v1{path}")][method.as_str().to_ascii_lowercase()];
        let name = format!("{method} {path}");
        let statuses: Vec<&str> = op["responses"].as_object().expect("responses").keys().map(String::as_str).collect();
        let security: Vec<String> = op["security"]
            .as_array()
            .map(|a| a.iter().flat_map(|r| r.as_object().unwrap().keys().cloned()).collect())
            .unwrap_or_default();
        let has = |s: &str| statuses.contains(&s);
        assert!(has("500") && has("408"), "{name}: {statuses:?}");
        match access {
            Access::Public => assert!(security.is_empty(), "{name}: {security:?}"),
            Access::Staff => {
                assert_eq!(security, ["staff_bearer", "staff_cookie"], "{name}");
                assert!(has("401"), "{name}: {statuses:?}");
                if method != Method::GET {
                    assert!(has("403"), "{name}: a write by cookie without its CSRF token is 403: {statuses:?}");
                }
            }
            Access::Patient => {
                assert_eq!(security, ["patient_device"], "{name}");
                assert!(has("401"), "{name}: {statuses:?}");
            }
        }
        if op.get("requestBody").is_some() {
            for s in ["400", "413", "415", "422"] {
                assert!(has(s), "{name}: a JSON body can be answered {s}: {statuses:?}");
            }
        }
        if path.contains('{') {
            assert!(has("404"), "{name}: {statuses:?}");
        }
        // Every error status carries the error body (408 aside: the timeout layer sends none).
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with(['4', '5']) && status != "408" {
                let r = response["$ref"]
                    .as_str()
                    .map_or(response, |r| doc.pointer(r.trim_start_matches('#')).expect("a response of the document"));
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"],
                    json!("#/components/schemas/ErrorBody"),
                    "{name} {status}: {r}"
                );
            }
        }
    }
    let schemes = doc["components"]["securitySchemes"].as_object().expect("security schemes");
    assert_eq!(schemes["staff_bearer"]["scheme"], json!("bearer"));
    assert_eq!(schemes["staff_cookie"]["in"], json!("cookie"));
    assert_eq!(schemes["patient_device"]["scheme"], json!("bearer"));
}

#[tokio::test]
async fn the_server_serves_the_document_and_requests_carry_the_server_constraints() {
    let app = spawn_app().await;
    let a = app.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, contract::document());
    let schemas = &a.body["components"]["schemas"];
    // Constraints the server enforces are in the document (the issue's examples).
    assert_eq!(schemas["DeviceKind"]["enum"], json!(["webpush", "fcm"]));
    assert_eq!(schemas["ResolveRequest"]["properties"]["confirmed_grade"]["maximum"], json!(4));
    assert!(schemas["ResolveRequest"]["required"].as_array().unwrap().contains(&json!("note")));
    assert_eq!(schemas["ReportRequest"]["properties"]["client_id"]["format"], json!("uuid"));
    assert_eq!(schemas["ReportResult"]["required"].as_array().map(Vec::len), Some(7));
    assert!(schemas["ReportResult"]["properties"]["reason_codes"]["items"].is_object());
    // The push key answers per its schema (checked by the harness) and is typed.
    let key = app.call(Method::GET, "/api/v1/patient/push-key", None, None).await;
    assert_eq!(key.status, StatusCode::OK);
    assert!(key.body["vapid_public_key"].as_str().is_some_and(|k| !k.is_empty()));
}

#[tokio::test]
async fn the_reference_page_shows_every_operation_and_schema_of_the_document() {
    let app = spawn_app().await;
    let a = app.call(Method::GET, "/api/v1/docs", None, None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = a.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "no script runs there: {csp}");
    let html = a.body.as_str().expect("HTML");
    let doc = contract::document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let op = format!("<code>{} {}</code>", method.to_ascii_uppercase(), path);
            assert!(html.contains(&op), "the reference lacks {op}");
        }
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(html.contains(&format!("id=\"schema-{name}\"")), "the reference lacks the schema {name}");
    }
    let enum_shown = ["&#34;webpush&#34; | &#34;fcm&#34;", "&quot;webpush&quot; | &quot;fcm&quot;"];
    assert!(enum_shown.iter().any(|e| html.contains(e)), "enums are shown");
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing is loaded from elsewhere");
}

#[test]
fn the_check_names_method_path_status_and_schema_error() {
    let undocumented = contract::check(&contract::Exchange {
        method: &Method::GET,
        path: "/api/v1/patient/push-key",
        request: None,
        status: StatusCode::CONFLICT,
        content_type: Some("application/json"),
        body: "{}",
    })
    .unwrap_err();
    assert!(undocumented.contains("GET /api/v1/patient/push-key") && undocumented.contains("409"), "{undocumented}");
    let wrong_body = contract::check(&contract::Exchange {
        method: &Method::GET,
        path: "/api/v1/patient/push-key",
        request: None,
        status: StatusCode::OK,
        content_type: Some("application/json"),
        body: r#"{"vapid_public_key": 3, "extra": true}"#,
    })
    .unwrap_err();
    assert!(wrong_body.contains("vapid_public_key") && wrong_body.contains("200"), "{wrong_body}");
    assert!(wrong_body.contains("extra"), "a field the document does not name fails: {wrong_body}");
    let accepted_but_refused = contract::check(&contract::Exchange {
        method: &Method::POST,
        path: "/api/v1/patient/devices",
        request: Some(&json!({"kind": "carrier-pigeon", "token": "t"})),
        status: StatusCode::CREATED,
        content_type: Some("application/json"),
        body: r#"{"id": "d1"}"#,
    })
    .unwrap_err();
    assert!(accepted_but_refused.contains("request schema refuses"), "{accepted_but_refused}");
}
