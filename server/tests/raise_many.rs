//! `alerting::raise_many` (the alerts of a batch of reports, in a fixed number of statements)
//! against `alerting::raise` called once per alert, on two databases seeded alike: the alerts,
//! their history, their recipients and the notifications queued must be the same, ids aside
//! (docs/design.md, "Report intake"). On SQLite, and on PostgreSQL when RELAIS_TEST_PG_URL is set.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use relais_server::alerting::{AlertInput, raise, raise_many};
use relais_server::domain::access::Role;
use relais_server::domain::reason::Reason;
use relais_server::domain::routing::Topic;
use relais_server::domain::triage::Colour;
use relais_server::domain::{Sequence, enrolment};
use relais_server::store::{self, directory};
use relais_server::{AppState, ManualClock, Rules, Settings};
use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};
use serde_json::{Value, json};

/// A site: one establishment, its staff (two oncologists, one on call), a community pharmacy
/// with two pharmacists, a GP; three patients of that pharmacy, the third with the GP too.
async fn seeded(url: &str, dir: &std::path::Path, now: DateTime<Utc>) -> (AppState, Vec<String>) {
    let env: Vec<(String, String)> = [
        ("RELAIS__DATABASE__URL", url.to_owned()),
        ("RELAIS__EMAIL__TRANSPORT", "files".into()),
        ("RELAIS__EMAIL__FILE_DIR", dir.join("mail").display().to_string()),
        ("RELAIS__PUSH__VAPID_KEY_FILE", dir.join("vapid.key").display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::load_from(None, &env).unwrap();
    let rules = Rules::load(&settings.rules.dir).unwrap();
    let state = AppState::connect(settings, rules, Arc::new(ManualClock::new(now))).await.unwrap();
    let db = &state.db;
    let est = common::establishment(db, now).await;
    let pharmacy = directory::create_pharmacy(db, "350000029", "Pharmacie", None, None, now).await.unwrap().id;
    let hash = relais_server::secrets::hash_password("a-long-enough-password").unwrap();
    let mut ids = HashMap::new();
    let people = [
        ("idec", Role::Idec, false, false),
        ("onco", Role::Oncologist, false, false),
        ("onco-on-call", Role::Oncologist, true, false),
        ("pharmacist-a", Role::CommunityPharmacist, false, true),
        ("pharmacist-b", Role::CommunityPharmacist, false, true),
        ("gp", Role::Gp, false, false),
    ];
    for (i, (name, role, on_call, in_pharmacy)) in people.into_iter().enumerate() {
        let (rpps, email) = (format!("1{i:010}"), format!("{name}@site.example"));
        let hospital = matches!(role, Role::Idec | Role::Oncologist);
        let p = directory::create_professional(
            db,
            directory::NewProfessional {
                email: &email,
                rpps: Some(&rpps),
                role,
                family_name: name,
                given_name: "Test",
                phone: None,
                establishment_id: hospital.then_some(est.as_str()),
                pharmacy_id: in_pharmacy.then_some(pharmacy.as_str()),
                on_call,
                password_hash: &hash,
                locale: "fr",
            },
            now,
        )
        .await
        .unwrap();
        ids.insert(name, p.id);
    }
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let mut patients = Vec::new();
    for i in 0..3 {
        let mut team = json!({"idec": ids["idec"], "oncologist": ids["onco"], "community_pharmacy": pharmacy});
        if i == 2 {
            team["gp"] = json!(ids["gp"]);
        }
        let req: enrolment::EnrolRequest = serde_json::from_value(json!({
            "family_name": format!("Patient{i}"), "given_name": "Test", "birth_date": "1960-01-01",
            "time_zone": "Europe/Paris", "locale": "fr",
            "episode": {"parcours": "A", "start_date": today.to_string(),
                "regimen": [{"drug": "capecitabine", "dose": "1000 mg", "times": ["08:00", "20:00"]}],
                "team": team}
        }))
        .unwrap();
        let checked = enrolment::check(&req, &state.rules.catalog, chrono_tz::Europe::Paris, today).unwrap();
        let e = store::episodes::enrol(db, &checked, &est, &ids["idec"], &state.rules.pathway, now).await.unwrap();
        patients.push(e.patient_id);
    }
    (state, patients)
}

/// One alert to raise: (patient index, sequence, colour, roles added, minutes after the start).
type Case = (usize, Sequence, Colour, Vec<Role>, i64);

fn cases() -> Vec<Case> {
    vec![
        // Patient 0: amber, then red (raised: open again, oncologists too), then amber again
        // (merged, not raised), in one batch.
        (0, Sequence::S1, Colour::Amber, vec![], 1),
        (1, Sequence::S1, Colour::Red, vec![], 2),
        (0, Sequence::S1, Colour::Red, vec![], 3),
        // Patient 2 in S3: the pharmacists, the GP informed; then the IDEC added by the triage
        // (an amber fever): only the IDEC is notified by the second.
        (2, Sequence::S3, Colour::Amber, vec![], 4),
        (0, Sequence::S1, Colour::Amber, vec![], 5),
        (2, Sequence::S3, Colour::Amber, vec![Role::Idec], 6),
        // Patient 1's red alert again: merged, nobody new to notify.
        (1, Sequence::S1, Colour::Red, vec![], 7),
    ]
}

async fn load(state: &AppState, patients: &[String], sql: &str) -> Vec<HashMap<String, Value>> {
    let db = &state.db;
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap();
    // Ids differ between the two databases: patients by their index, professionals by their
    // email, alerts by their patient and topic.
    let names: HashMap<String, String> = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id, email FROM professionals"))
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.try_get::<String>("", "id").unwrap(), r.try_get::<String>("", "email").unwrap()))
        .collect();
    let alerts: HashMap<String, String> = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id, patient_id, topic FROM alerts"))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let p = r.try_get::<String>("", "patient_id").unwrap();
            let index = patients.iter().position(|x| *x == p).unwrap();
            (
                r.try_get::<String>("", "id").unwrap(),
                format!("alert-{index}-{}", r.try_get::<String>("", "topic").unwrap()),
            )
        })
        .collect();
    let rename = |mut s: String| {
        for (id, name) in alerts.iter().chain(&names) {
            s = s.replace(id, name);
        }
        for (i, p) in patients.iter().enumerate() {
            s = s.replace(p, &format!("patient-{i}"));
        }
        s
    };
    rows.into_iter()
        .map(|r| {
            let mut out = HashMap::new();
            for c in r.column_names() {
                let v = r
                    .try_get::<Option<String>>("", &c)
                    .map(|v| v.map(&rename).map(Value::String).unwrap_or(Value::Null))
                    .or_else(|_| r.try_get::<Option<i64>>("", &c).map(|v| json!(v)))
                    .or_else(|_| r.try_get::<Option<i32>>("", &c).map(|v| json!(v)))
                    .or_else(|_| r.try_get::<Option<bool>>("", &c).map(|v| json!(v)))
                    .or_else(|_| r.try_get::<Option<DateTime<Utc>>>("", &c).map(|v| json!(v)))
                    .unwrap_or_else(|e| panic!("column {c}: {e}"));
                out.insert(c, v);
            }
            out
        })
        .collect()
}

/// What the alerts wrote, ids aside, in an order that does not depend on them.
async fn written(state: &AppState, patients: &[String]) -> Vec<Vec<HashMap<String, Value>>> {
    let queries = [
        "SELECT id, patient_id, topic, colour, status, provisional_grade, reasons, note, last_report_id, \
         opened_at, updated_at, deadline_at, escalate_every_minutes, escalate_to_backup, next_escalation_at, \
         escalation_level FROM alerts",
        "SELECT alert_id, kind, actor_kind, detail, at FROM alert_events",
        "SELECT alert_id, professional_id, role, informed_only, added_at FROM alert_recipients",
        "SELECT channel, recipient_kind, recipient_id, kind, payload, dedupe_key, status, next_attempt_at, \
         created_at FROM outbox WHERE kind LIKE 'alert%'",
    ];
    let mut out = Vec::new();
    for q in queries {
        let mut rows = load(state, patients, q).await;
        rows.sort_by_key(|r| {
            let mut cols: Vec<_> = r.iter().map(|(k, v)| format!("{k}={v}")).collect();
            cols.sort();
            cols.join(",")
        });
        out.push(rows);
    }
    out
}

fn input<'a>(
    state: &'a [(store::entities::patient::Model, store::entities::episode::Model)],
    case: &Case,
) -> AlertInput<'a> {
    let (p, ep) = &state[case.0];
    AlertInput {
        patient: p,
        episode: ep,
        sequence: case.1,
        topic: Topic::Toxicity,
        colour: case.2,
        provisional_grade: Some(if case.2 == Colour::Red { 3 } else { 2 }),
        reasons: vec![Reason::OtherSymptom],
        report_id: None,
        also: case.3.clone(),
        establishment: None,
    }
}

async fn models(
    state: &AppState,
    patients: &[String],
) -> Vec<(store::entities::patient::Model, store::entities::episode::Model)> {
    let mut out = Vec::new();
    for id in patients {
        let p = store::patients::get(&state.db, id).await.unwrap().unwrap();
        let ep = store::patients::current_episode(&state.db, id).await.unwrap().unwrap();
        out.push((p, ep));
    }
    out
}

async fn compare(one_url: &str, many_url: &str, dir: &std::path::Path) {
    let start = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    let (one, one_patients) = seeded(one_url, &dir.join("one"), start).await;
    let (many, many_patients) = seeded(many_url, &dir.join("many"), start).await;
    let one_models = models(&one, &one_patients).await;
    let many_models = models(&many, &many_patients).await;
    // Before the batch, patient 1 has an amber alert, acknowledged: the batch's red reopens it.
    for (state, ms) in [(&one, &one_models), (&many, &many_models)] {
        let first = (1, Sequence::S1, Colour::Amber, vec![], 0);
        let id = raise(&state.db, state, input(ms, &first), start).await.unwrap().unwrap();
        let idec = directory::professional_by_email(&state.db, "idec@site.example").await.unwrap().unwrap();
        assert!(store::alerts::acknowledge(&state.db, &id, &idec.id, start).await.unwrap());
    }
    let at = |c: &Case| start + Duration::minutes(c.4);
    let mut ids_one = Vec::new();
    for c in &cases() {
        let txn = one.db.begin().await.unwrap();
        ids_one.push(raise(&txn, &one, input(&one_models, c), at(c)).await.unwrap());
        txn.commit().await.unwrap();
    }
    let txn = many.db.begin().await.unwrap();
    let inputs = cases().iter().map(|c| (input(&many_models, c), at(c))).collect();
    let ids_many = raise_many(&txn, &many, inputs).await.unwrap();
    txn.commit().await.unwrap();

    // The same alert for the same inputs (by patient), every input routed.
    assert_eq!(ids_one.len(), ids_many.len());
    assert!(ids_many.iter().all(Option::is_some), "every case routes someone: {ids_many:?}");
    let same = |ids: &[Option<String>], i: usize, j: usize| ids[i] == ids[j];
    for (i, j) in [(0, 2), (0, 4), (3, 5), (1, 6)] {
        assert!(same(&ids_one, i, j) && same(&ids_many, i, j), "inputs {i} and {j} merge into one alert");
    }
    let (a, b) = (written(&one, &one_patients).await, written(&many, &many_patients).await);
    for (what, (a, b)) in ["alerts", "alert_events", "alert_recipients", "outbox"].iter().zip(a.iter().zip(&b)) {
        assert!(!a.is_empty(), "{what}: something written");
        assert_eq!(a.len(), b.len(), "{what}: one by one {a:#?}\nall at once {b:#?}");
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x, y, "{what} differ");
        }
    }
    // What the cases mean, on the batch's side: patient 0's alert is red and open, patient 1's
    // amber alert was reopened as red, patient 2's went to both pharmacists, the GP informed,
    // and the IDEC added by the second report was notified by it.
    let [alerts, _, recipients, outbox] = &b[..] else { unreachable!() };
    let colour = |k: &str| alerts.iter().find(|r| r["id"] == json!(k)).map(|r| r["colour"].clone());
    assert_eq!(colour("alert-0-toxicity"), Some(json!("red")));
    // Four reports, one reason: listed once.
    let reasons = alerts.iter().find(|r| r["id"] == json!("alert-0-toxicity")).map(|r| r["reasons"].clone());
    assert_eq!(reasons, Some(json!(r#"[{"code":"other_symptom"}]"#)));
    assert_eq!(colour("alert-1-toxicity"), Some(json!("red")));
    assert_eq!(alerts.iter().filter(|r| r["status"] == json!("open")).count(), 3);
    let of = |k: &str| -> Vec<String> {
        let mut v: Vec<String> = recipients
            .iter()
            .filter(|r| r["alert_id"] == json!(k))
            .map(|r| {
                format!(
                    "{}{}",
                    r["professional_id"].as_str().unwrap(),
                    if [json!(true), json!(1)].contains(&r["informed_only"]) { " (informed)" } else { "" }
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        of("alert-2-toxicity"),
        ["gp@site.example (informed)", "idec@site.example", "pharmacist-a@site.example", "pharmacist-b@site.example"]
    );
    assert_eq!(of("alert-0-toxicity"), ["idec@site.example", "onco-on-call@site.example"]);
    let emails_to =
        |who: &str| outbox.iter().filter(|r| r["recipient_id"] == json!(who) && r["channel"] == json!("email")).count();
    // The IDEC: patient 0 (amber, then red: two), patient 1 (amber before the batch, then red
    // reopening it: two), patient 2 (added by the second report: one).
    assert_eq!(emails_to("idec@site.example"), 5, "{outbox:#?}");
    assert_eq!(emails_to("gp@site.example"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_raised_all_at_once_are_those_raised_one_by_one_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("relais-raise-many-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = |name: &str| format!("sqlite://{}?mode=rwc", dir.join(name).display());
    compare(&url("one.db"), &url("many.db"), &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_raised_all_at_once_are_those_raised_one_by_one_on_postgres() {
    let Some(base) = std::env::var("RELAIS_TEST_PG_URL").ok().filter(|s| !s.is_empty()) else {
        eprintln!("SKIPPED: RELAIS_TEST_PG_URL is not set");
        return;
    };
    let admin = Database::connect(format!("{base}/postgres")).await.unwrap();
    let mut urls = Vec::new();
    for _ in 0..2 {
        let name = format!("relais_raise_{}", uuid::Uuid::new_v4().simple());
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        urls.push((name.clone(), format!("{base}/{name}")));
    }
    let dir = std::env::temp_dir().join(format!("relais-raise-many-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    compare(&urls[0].1, &urls[1].1, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    for (name, _) in urls {
        let _ = admin.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await;
    }
}
