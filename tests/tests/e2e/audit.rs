//! The audit trail of a patient record: who created, read and listed it.

use relais_tests::*;
use reqwest::StatusCode;
use serde_json::Value;

/// (actor_id, action, entity) of every entry.
fn entries(a: &Answer) -> Vec<(String, String, String)> {
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let s = |e: &Value, k: &str| e[k].as_str().unwrap_or("").to_owned();
    a.body.as_array().unwrap().iter().map(|e| (s(e, "actor_id"), s(e, "action"), s(e, "entity"))).collect()
}

fn has(log: &[(String, String, String)], actor: &str, action: &str, entity: &str) -> bool {
    log.iter().any(|(a, ac, en)| a == actor && ac == action && en == entity)
}

#[tokio::test]
async fn reads_lists_and_creation_are_recorded_by_actor() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, _, _) = app.enrol(&site, app.enrolment(&site)).await;
    let path = format!("/api/v1/patients/{pid}/audit");

    let log = entries(&app.get(&path, &site.idec.1).await);
    assert!(has(&log, &site.idec.0, "create", "patient"), "{log:?}");
    assert!(!log.iter().any(|(_, action, _)| action == "read" || action == "list"), "{log:?}");

    app.patient(&pid, &site.idec.1).await;
    assert_eq!(app.get("/api/v1/patients", &site.idec.1).await.status, StatusCode::OK);
    app.patient(&pid, &site.community_pharmacist.1).await;
    // Out of scope: refused, and no read is recorded for that actor.
    assert_eq!(app.get(&format!("/api/v1/patients/{pid}"), &site.other_idec.1).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, &site.other_idec.1).await.status, StatusCode::NOT_FOUND);

    let a = app.get(&path, &site.idec.1).await;
    let log = entries(&a);
    assert!(has(&log, &site.idec.0, "read", "patient"), "{log:?}");
    assert!(has(&log, &site.idec.0, "list", "patient"), "{log:?}");
    assert!(has(&log, &site.community_pharmacist.0, "read", "patient"), "{log:?}");
    // The first trail read is itself recorded.
    assert!(has(&log, &site.idec.0, "read", "audit_log"), "{log:?}");
    assert!(!log.iter().any(|(actor, _, _)| actor == &site.other_idec.0), "{log:?}");
    let first = a.body.as_array().unwrap().iter().find(|e| e["action"] == "create").unwrap();
    assert_eq!((first["actor_kind"].as_str(), first["entity_id"].as_str()), (Some("professional"), Some(pid.as_str())));
    assert_eq!(first["client_addr"], "127.0.0.1");

    // An admin of the establishment sees accesses; the pharmacist does not.
    let admin = entries(&app.get(&path, &site.admin.1).await);
    assert!(admin.len() > log.len());
    assert_eq!(app.get(&path, &site.community_pharmacist.1).await.status, StatusCode::FORBIDDEN);
}
