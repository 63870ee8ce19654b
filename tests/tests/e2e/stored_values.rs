//! Stored values (docs/design.md): the database refuses a value outside an enumerated column's
//! set, on SQLite (triggers) and PostgreSQL (CHECK constraints) alike; a value that got past it
//! anyway (a constraint dropped by hand, or a time zone, which no constraint guards) is never
//! read as a default: the request answers 500 with its request id, the job run fails, the row is
//! named and the refusal counted.

use relais_tests::relais_server::jobs;
use relais_tests::relais_server::store;
use relais_tests::*;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DbErr, Statement};
use serde_json::json;

const FEVER_RED: fn() -> serde_json::Value = || json!({"temperature_c": 38.6, "chest_pain": false});

async fn exec(app: &TestApp, sql: &str) -> Result<(), DbErr> {
    app.state.db.execute_unprepared(sql).await.map(drop)
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(app.state.db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

fn is_postgres(app: &TestApp) -> bool {
    app.pg_database().is_some()
}

/// The constraint of one column as the catalog shows it: the CHECK on PostgreSQL, the two
/// triggers on SQLite.
async fn constraint_present(app: &TestApp, table: &str, column: &str) -> bool {
    let name = format!("ck_{table}_{column}");
    if is_postgres(app) {
        scalar(app, &format!("SELECT COUNT(*) AS n FROM pg_constraint WHERE conname = '{name}' AND contype = 'c'"))
            .await
            == 1
    } else {
        scalar(
            app,
            &format!(
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' \
                 AND name IN ('{name}_insert', '{name}_update') AND tbl_name = '{table}'"
            ),
        )
        .await
            == 2
    }
}

/// Takes one column's constraint away, as a hand edit of the schema would.
async fn drop_constraint(app: &TestApp, table: &str, column: &str) {
    let name = format!("ck_{table}_{column}");
    if is_postgres(app) {
        exec(app, &format!("ALTER TABLE {table} DROP CONSTRAINT {name}")).await.unwrap();
    } else {
        exec(app, &format!("DROP TRIGGER {name}_update")).await.unwrap();
    }
}

/// A capecitabine patient whose phone reported a fever: a red alert to the IDEC, its
/// recipients and events, a report, planned doses and questionnaires, messages in the outbox.
async fn site_with_a_red_alert() -> (TestApp, Site, String, String) {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, code) = app.enrol(&site, app.enrolment(&site)).await;
    let device = app.activate(&code).await;
    let r = app.report(&device, FEVER_RED()).await;
    assert_eq!((r.status, r.body["colour"].as_str()), (StatusCode::CREATED, Some("red")), "{:?}", r.body);
    app.dispatch().await;
    (app, site, pid, eid)
}

async fn stored_value_errors_metric(app: &TestApp, admin: &str) -> u64 {
    let m = app.get("/metrics", admin).await;
    assert_eq!(m.status, StatusCode::OK);
    let text = m.body.as_str().unwrap().to_owned();
    let line = text.lines().find(|l| l.starts_with("relais_stored_value_errors_total ")).expect("the metric");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_database_refuses_a_value_outside_its_set_on_both_engines() {
    let (app, _site, pid, eid) = site_with_a_red_alert().await;
    // The example of the issue: a parcours that does not exist.
    let refused = exec(&app, &format!("UPDATE episodes SET parcours = 'Z' WHERE id = '{eid}'")).await;
    let e = refused.expect_err("episodes.parcours = 'Z' is refused").to_string();
    assert!(e.contains("ck_episodes_parcours"), "{e}");
    let parcours = store::episodes::get(&app.state.db, &eid).await.unwrap().unwrap().parcours;
    assert_eq!(parcours, "A", "nothing was written");
    // An insert is refused as an update is; the same row with a known value goes in.
    let device = |kind: &str| {
        format!(
            "INSERT INTO push_devices (id, patient_id, kind, fcm_token, created_at) \
             VALUES ('{}', '{pid}', '{kind}', 'token', '2026-11-23 08:00:00+00:00')",
            uuid::Uuid::new_v4()
        )
    };
    let e = exec(&app, &device("carrier_pigeon")).await.expect_err("an unknown device kind").to_string();
    assert!(e.contains("ck_push_devices_kind"), "{e}");
    exec(&app, &device("fcm")).await.expect("a known device kind");

    // Every enumerated column has its constraint, and every one that holds a row here refuses
    // a stranger and keeps what it has.
    let mut tried = Vec::new();
    for (table, column, values) in store::stored_value::ENUMERATED_COLUMNS {
        assert!(constraint_present(&app, table, column).await, "{table}.{column} has no constraint");
        if count(&app.state, table).await == 0 {
            continue;
        }
        let one = format!("(SELECT id FROM {table} WHERE {column} IS NOT NULL ORDER BY id LIMIT 1)");
        if scalar(&app, &format!("SELECT COUNT(*) AS n FROM {table} WHERE id = {one}")).await == 0 {
            continue;
        }
        // One character: it fits even `parcours` (varchar(1) on PostgreSQL), and is in no set.
        let stranger = format!("UPDATE {table} SET {column} = 'Z' WHERE id = {one}");
        let e = exec(&app, &stranger).await.expect_err(&format!("{table}.{column} refuses a stranger")).to_string();
        assert!(e.contains(&format!("ck_{table}_{column}")), "{table}.{column}: {e}");
        // The stored value is one of the set, and writing it again is accepted.
        exec(&app, &format!("UPDATE {table} SET {column} = {column} WHERE id = {one}")).await.unwrap();
        let known = values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
        assert_eq!(
            scalar(&app, &format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} NOT IN ({known})")).await,
            0
        );
        tried.push(format!("{table}.{column}"));
    }
    // The scenario fills most of the tables (not billing, care events or interviews).
    assert!(tried.len() >= 15, "only {tried:?}");
}

#[tokio::test]
async fn a_corrupt_stored_value_answers_500_with_the_request_id_and_is_counted_never_defaulted() {
    let (app, site, _pid, _eid) = site_with_a_red_alert().await;
    let open = app.get("/api/v1/alerts?status=open", &site.idec.1).await;
    assert_eq!((open.status, open.body.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{:?}", open.body);
    let alert_id = open.body[0]["id"].as_str().unwrap().to_owned();
    // A hand edit past a dropped constraint: the colour is no colour.
    drop_constraint(&app, "alerts", "colour").await;
    exec(&app, &format!("UPDATE alerts SET colour = 'purple' WHERE id = '{alert_id}'")).await.unwrap();
    let before = stored_value_errors_metric(&app, &site.admin.1).await;
    // The worklist orders by colour: it does not guess one, it fails, and says which request.
    let a = app.call(Method::GET, "/api/v1/alerts?status=open", Some(&site.idec.1), None).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{:?}", a.body);
    assert_eq!(a.code(), "internal");
    let request_id = a.body["error"]["request_id"].as_str().unwrap_or_default();
    assert!(!request_id.is_empty(), "{:?}", a.body);
    // Nothing of the row leaks into the answer.
    assert!(!a.body.to_string().contains("purple") && !a.body.to_string().contains(&alert_id), "{:?}", a.body);
    let after = stored_value_errors_metric(&app, &site.admin.1).await;
    assert!(after > before, "counted: {before} then {after}");
    // Put right, the same request answers again.
    exec(&app, &format!("UPDATE alerts SET colour = 'red' WHERE id = '{alert_id}'")).await.unwrap();
    assert_eq!(app.get("/api/v1/alerts?status=open", &site.idec.1).await.status, StatusCode::OK);
}

/// Two patients enrolled; the first one's time zone then edited by hand into a name that is no
/// zone. No constraint guards a time zone (the IANA names are too many): only the accessor does.
/// (app, site, broken patient, its episode, the other patient's episode)
async fn two_patients_one_with_an_unreadable_zone() -> (TestApp, Site, String, String, String) {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (broken, broken_eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let mut body = app.enrolment(&site);
    body["family_name"] = json!("Durand");
    let (_, fine_eid, _) = app.enrol(&site, body).await;
    exec(&app, &format!("UPDATE patients SET time_zone = 'Mars/Olympus_Mons' WHERE id = '{broken}'")).await.unwrap();
    (app, site, broken, broken_eid, fine_eid)
}

#[tokio::test]
async fn a_job_never_moves_a_sequence_on_by_a_guessed_time_zone() {
    let (app, _, broken, broken_eid, fine_eid) = two_patients_one_with_an_unreadable_zone().await;
    // S1 ends a month after the start: both sequences are due.
    let now = morning("2026-12-23");
    app.set_now(now);
    let before = store::stored_value_errors();
    let run = jobs::pathway::run_transitions(&app.state, now).await;
    let e = format!("{:#}", run.expect_err("the run fails"));
    assert!(e.contains(&format!("patients row {broken}: time_zone")), "{e}");
    assert!(store::stored_value_errors() > before);
    let kind = |eid: String| {
        let db = app.state.db.clone();
        async move { store::episodes::active_sequence(&db, &eid).await.unwrap().map(|s| s.kind) }
    };
    // The other patient moved on; the one with the unreadable zone did not, by any zone.
    assert_eq!(kind(fine_eid).await.as_deref(), Some("S2"));
    assert_eq!(kind(broken_eid.clone()).await.as_deref(), Some("S1"));
    // Fixed by hand, the next run moves it on.
    exec(&app, &format!("UPDATE patients SET time_zone = 'Europe/Paris' WHERE id = '{broken}'")).await.unwrap();
    jobs::pathway::run_transitions(&app.state, now).await.expect("the run succeeds");
    assert_eq!(kind(broken_eid).await.as_deref(), Some("S2"));
}

#[tokio::test]
async fn the_migration_refuses_an_existing_row_outside_its_set_and_names_it() {
    // The previous release's data (tests/fixtures/README.md), with one row edited by hand.
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/previous-release-demo.db");
    let path = std::env::temp_dir().join(format!("relais-test-{}.db", uuid::Uuid::new_v4().simple()));
    std::fs::copy(&fixture, &path).unwrap();
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = store::connect(&url, 1).await.unwrap();
    db.execute_unprepared("UPDATE episodes SET parcours = 'C' WHERE id = (SELECT MIN(id) FROM episodes)")
        .await
        .unwrap();
    let e = store::migrate(&db, &url).await.expect_err("the migration refuses").to_string();
    assert!(e.contains("episodes.parcours: 1 row(s)"), "{e}");
    // Nothing of it was applied (one transaction): no trigger yet, and the run can be retried.
    let triggers = "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ck_%'";
    let n = |db: store::Db, sql: &'static str| async move {
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    assert_eq!(n(db.clone(), triggers).await, 0);
    db.execute_unprepared("UPDATE episodes SET parcours = 'A' WHERE parcours = 'C'").await.unwrap();
    store::migrate(&db, &url).await.expect("the migration applies once the row is fixed");
    // Those of migration 10, the hand-over sheets' reason (migration 14) and the professionals'
    // language (migration 18).
    assert_eq!(n(db.clone(), triggers).await, 2 * (store::stored_value::ENUMERATED_COLUMNS.len() as i64 + 2));
    db.close().await.ok();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// One unreadable row does not hold back the others of its batch: when a kind of due work
/// fails, each item is tried alone, so the planning of every other episode goes on; the bad
/// item is recorded as failed, counted in `/metrics` and listed on the administrator's page
/// with its error, and done once fixed.
#[tokio::test]
async fn one_unplannable_episode_does_not_hold_back_the_planning_of_the_others() {
    let (app, _, broken, broken_eid, fine_eid) = two_patients_one_with_an_unreadable_zone().await;
    let doses = |eid: &str| format!("SELECT COUNT(*) AS n FROM doses WHERE episode_id = '{eid}'");
    let (broken_before, fine_before) = (scalar(&app, &doses(&broken_eid)).await, scalar(&app, &doses(&fine_eid)).await);
    // Two days later both episodes' planning is due, in one batch.
    let now = app.clock.now() + chrono::Duration::days(2);
    app.set_now(now);
    let stats = jobs::due_work::dispatch_due(&app.state, now).await.expect("the pass itself succeeds");
    assert!(stats.planned_doses > 0, "{stats:?}");
    assert!(scalar(&app, &doses(&fine_eid)).await > fine_before, "the other episode was planned");
    assert_eq!(scalar(&app, &doses(&broken_eid)).await, broken_before, "nothing planned by a guessed zone");
    let failing = format!(
        "SELECT COUNT(*) AS n FROM due_work WHERE subject_id = '{broken_eid}' AND done_at IS NULL AND last_error IS NOT NULL"
    );
    assert!(scalar(&app, &failing).await >= 1, "the bad item is recorded as failed");
    let open_fine =
        format!("SELECT COUNT(*) AS n FROM due_work WHERE subject_id = '{fine_eid}' AND last_error IS NOT NULL");
    assert_eq!(scalar(&app, &open_fine).await, 0, "no good item was marked failed");
    // Counted and shown (signed in again: two days idle ended the first session).
    let admin = app.login("admin@a.test").await;
    let metrics = app.get("/metrics", &admin).await;
    let text = metrics.body.as_str().unwrap_or_else(|| panic!("{} {:?}", metrics.status, metrics.body));
    let value = |name: &str| {
        text.lines().find_map(|l| l.strip_prefix(name)).and_then(|n| n.trim().parse::<i64>().ok()).unwrap_or(-1)
    };
    assert!(value("relais_due_work_failed_total{kind=\"plan_day\"} ") >= 1, "{text}");
    assert!(value("relais_due_work_failing{kind=\"plan_day\"} ") >= 1, "{text}");
    let page = reqwest::Client::new()
        .get(format!("{}/staff/admin", app.addr))
        .header("cookie", format!("relais_session={admin}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let ops = &html[html.find("id=\"operations\"").expect("the service's state is on the admin page")..];
    assert!(ops.contains("plan_day") && ops.contains(&broken_eid), "{ops}");
    assert!(ops.contains(&format!("patients row {broken}: time_zone")), "the error names the row: {ops}");
    // Fixed by hand, the item is done at its next try, a minute later.
    exec(&app, &format!("UPDATE patients SET time_zone = 'Europe/Paris' WHERE id = '{broken}'")).await.unwrap();
    let later = now + chrono::Duration::minutes(2);
    app.set_now(later);
    jobs::due_work::dispatch_due(&app.state, later).await.unwrap();
    assert_eq!(scalar(&app, &failing).await, 0);
    assert!(scalar(&app, &doses(&broken_eid)).await > broken_before);
}

/// The alert page reads the triage result stored with the report; a result edited into another
/// shape (a grade that is no number) is never shown as "grade 0" or an alert without its red
/// flag: the page answers 500, the row is counted, and put right the page says why it is red.
#[tokio::test]
async fn an_alert_page_never_shows_a_stored_triage_result_it_cannot_read() {
    let (app, site, pid, _) = site_with_a_red_alert().await;
    let alert_id = app.get("/api/v1/alerts?status=open", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let (http, _) = staff_session(&app.addr, "idec@a.test", PASSWORD).await;
    let path = format!("/staff/alerts/{alert_id}");
    let (status, html) = page(&app, &http, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Pourquoi cette alerte est rouge") && html.contains("neutropénie fébrile"), "{html}");

    let report = format!("(SELECT id FROM reports WHERE patient_id = '{pid}')");
    let good: String = {
        let db = &app.state.db;
        let sql = format!("SELECT result FROM reports WHERE id = {report}");
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        row.try_get::<String>("", "result").unwrap()
    };
    let mut broken: serde_json::Value = serde_json::from_str(&good).unwrap();
    broken["red_flags"] = json!([{"flag": 7}]);
    let set = |v: &str| format!("UPDATE reports SET result = '{}' WHERE id = {report}", v.replace('\'', "''"));
    exec(&app, &set(&broken.to_string())).await.unwrap();
    let before = store::stored_value_errors();
    let (status, html) = page(&app, &http, &path).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{html}");
    assert!(!html.contains("Pourquoi cette alerte"), "no page without its red flag");
    assert!(store::stored_value_errors() > before, "counted");

    exec(&app, &set(&good)).await.unwrap();
    assert_eq!(page(&app, &http, &path).await.0, StatusCode::OK);
}
