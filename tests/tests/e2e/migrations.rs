//! Migrations applied over a database holding the previous release's data: the demo site made
//! by the release before this one (tests/fixtures/README.md). Nothing is lost, the new tables and
//! columns are there, and the site goes on working: sign-in, records, worklist, planning.

use chrono::{DateTime, Utc};
use relais_tests::relais_server::jobs;
use relais_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn this_releases_migrations_apply_over_the_previous_releases_demo_database() {
    // SQLite, as the previous release's demo wrote it (the same under RELAIS_TEST_PG_URL).
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/previous-release-demo.db");
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-12-05T15:45:00Z").unwrap().into();
    let app = spawn_app_on_sqlite_copy(&fixture, now).await;
    // Every row of the previous release is still there.
    for (table, rows) in
        [("patients", 13), ("episodes", 13), ("doses", 491), ("alerts", 28), ("outbox", 730), ("audit_log", 92)]
    {
        assert_eq!(count(&app.state, table).await, rows, "{table}");
    }
    assert_eq!(count(&app.state, "due_work").await, 2032);
    // This release's migrations ran: the site facts table, the sessions' last use, and the
    // enumerated columns' constraints (on SQLite, two triggers per column), which the previous
    // release's data satisfies; the care teams' IDEL and author columns (migration 11), empty.
    // Migration 15: the alert topic `regimen` joins the constraint of `alerts.topic`.
    // Migrations 16 and 18: the pharmaceutical interviews and medication reconciliations, empty;
    // the professionals' language.
    assert_eq!(count(&app.state, "seaql_migrations").await, 17);
    assert_eq!(count(&app.state, "pharmacy_interviews").await, 0);
    assert_eq!(count(&app.state, "medication_reconciliations").await, 0);
    // Migration 14: the hand-over sheets, none yet for the previous release's episodes.
    assert_eq!(count(&app.state, "handover_sheets").await, 0);
    assert_eq!(count(&app.state, "care_teams WHERE community_nurse_id IS NOT NULL OR changed_by IS NOT NULL").await, 0);
    // Migration 12: every cycle of the previous release is one block from day 1.
    let cycled = count(&app.state, "regimen_lines WHERE cycle_on_days IS NOT NULL").await;
    assert!(cycled > 0);
    assert_eq!(
        count(
            &app.state,
            "regimen_lines WHERE cycle_length_days = cycle_on_days + cycle_off_days \
             AND cycle_on = '[[1,' || CAST(cycle_on_days AS TEXT) || ']]'"
        )
        .await,
        cycled
    );
    assert_eq!(
        count(&app.state, "sqlite_master WHERE type = 'trigger' AND name LIKE 'ck_%'").await,
        // ... the reason of the hand-over sheets (migration 14) and the professionals' language
        // (migration 18).
        2 * (relais_tests::relais_server::store::stored_value::ENUMERATED_COLUMNS.len() as i64 + 2)
    );
    assert_eq!(
        count(&app.state, "staff_sessions WHERE last_seen_at IS NULL").await,
        count(&app.state, "staff_sessions").await
    );
    // The demo's staff sign in with their password of the previous release.
    let login = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "idec@demo.relais.test", "password": "relais-demo"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
    let idec = login.body["token"].as_str().unwrap().to_owned();
    let patients = app.get("/api/v1/patients", &idec).await;
    assert_eq!(patients.status, StatusCode::OK);
    assert!(patients.body.as_array().is_some_and(|p| p.len() >= 10), "{:?}", patients.body);
    let first = patients.body[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get(&format!("/api/v1/patients/{first}"), &idec).await.status, StatusCode::OK);
    let worklist = app.get("/api/v1/alerts?status=open", &idec).await;
    assert_eq!(worklist.status, StatusCode::OK);
    assert!(!worklist.body.as_array().unwrap().is_empty(), "the demo's open alerts");
    // The previous release's planning carries over: no active episode lacks it, and the jobs run.
    assert_eq!(jobs::self_check::run(&app.state, now).await.unwrap(), 0);
    app.dispatch().await;
    assert!(jobs::tick(&app.state).await.iter().all(|o| o.failure.is_none()));
}
