//! Two real `relais serve` processes on one PostgreSQL database, both running the jobs, as a
//! site with failover runs them: every reminder, questionnaire notice, escalation and delivery
//! is done exactly once. Before, "two instances" tests shared one pool in one process.
//! PostgreSQL only (RELAIS_TEST_PG_URL, set by .ci/run); SQLite allows one process.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use relais_server::alerting::{AlertInput, raise};
use relais_server::domain::access::Role;
use relais_server::domain::routing::Topic;
use relais_server::domain::triage::Colour;
use relais_server::domain::{Sequence, enrolment};
use relais_server::store::{self, directory, due_work, entities::dose, push_devices};
use relais_server::{AppState, ManualClock, Rules, Settings};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

const PATIENTS: usize = 12;
const DOSES_EACH: usize = 20;
const P256DH: &str = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM";
const AUTH: &str = "tBHItJI5svbpez7KI4CCXg";

/// A push service on loopback that answers 201 and counts what each device received.
async fn fake_push_service() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/push/{device}",
        axum::routing::post(move |axum::extract::Path(device): axum::extract::Path<String>| {
            let s = s.clone();
            async move {
                *s.lock().unwrap().entry(device).or_default() += 1;
                axum::http::StatusCode::CREATED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

fn start(env: &[(String, String)], mail_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_relais"))
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RELAIS__EMAIL__FILE_DIR", mail_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(i) = line.find("listening on http://") {
                let _ = tx.send(line[i + 13..].split_whitespace().next().unwrap_or("").to_owned());
            }
            if line.contains("ERROR") {
                eprintln!("{line}");
            }
        }
    });
    let addr = rx.recv_timeout(StdDuration::from_secs(120)).expect("relais serve started");
    (child, addr)
}

async fn scalar(db: &store::Db, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap();
    row.unwrap().try_get::<i64>("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_real_instances_on_one_database_do_each_piece_of_work_exactly_once() {
    let Some(base) = std::env::var("RELAIS_TEST_PG_URL").ok().filter(|s| !s.is_empty()) else {
        eprintln!("SKIPPED: two instances need PostgreSQL (RELAIS_TEST_PG_URL)");
        return;
    };
    let name = format!("relais_two_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(format!("{base}/postgres")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let url = format!("{base}/{name}");
    let dir = std::env::temp_dir().join(format!("relais-two-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (push_base, seen) = fake_push_service().await;
    let env: Vec<(String, String)> = [
        ("RELAIS__DATABASE__URL", url.clone()),
        ("RELAIS__SERVER__PORT", "0".into()),
        ("RELAIS__EMAIL__TRANSPORT", "files".into()),
        ("RELAIS__PUSH__VAPID_SUBJECT", "mailto:dsi@hopital.example".into()),
        ("RELAIS__PUSH__VAPID_KEY_FILE", dir.join("vapid.key").display().to_string()),
        ("RELAIS__PUSH__ALLOWED_ORIGINS", push_base.clone()),
        ("RELAIS__SCHEDULER__TICK_SECONDS", "1".into()),
        ("RELAIS__DATABASE__MAX_CONNECTIONS", "6".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    // The site, seeded through the library (the same code the server runs).
    let settings = Settings::load_from(
        None,
        &[env.clone(), vec![("RELAIS__EMAIL__FILE_DIR".into(), dir.join("seed-mail").display().to_string())]].concat(),
    )
    .unwrap();
    let rules = Rules::load(&settings.rules.dir).unwrap();
    let now = Utc::now();
    let state = AppState::connect(settings, rules, Arc::new(ManualClock::new(now))).await.unwrap();
    let db = &state.db;
    let est = common::establishment(db, now).await;
    let hash = relais_server::secrets::hash_password("a-long-enough-password").unwrap();
    let mut staff = Vec::new();
    for (i, (email, role)) in
        [("idec@ch.example", Role::Idec), ("onco@ch.example", Role::Oncologist)].into_iter().enumerate()
    {
        let rpps = format!("1{:010}", i);
        let p = directory::create_professional(
            db,
            directory::NewProfessional {
                email,
                rpps: Some(&rpps),
                role,
                family_name: "Test",
                given_name: role.as_str(),
                phone: Some("+33600000000"),
                establishment_id: Some(&est),
                pharmacy_id: None,
                on_call: role == Role::Oncologist,
                password_hash: &hash,
                locale: "fr",
            },
            now,
        )
        .await
        .unwrap();
        staff.push(p.id);
    }
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let mut alerts = Vec::new();
    for i in 0..PATIENTS {
        let req: enrolment::EnrolRequest = serde_json::from_value(json!({
            "family_name": format!("Patient{i}"), "given_name": "Test", "birth_date": "1960-01-01",
            "time_zone": "Europe/Paris", "locale": "fr",
            "episode": {"parcours": "B", "start_date": today.to_string(),
                "regimen": [{"drug": "imatinib", "dose": "400 mg", "times": ["00:01"]}],
                "team": {"idec": staff[0], "oncologist": staff[1]}}
        }))
        .unwrap();
        let checked = enrolment::check(&req, &state.rules.catalog, chrono_tz::Europe::Paris, today).unwrap();
        let e = store::episodes::enrol(db, &checked, &est, &staff[0], &state.rules.pathway, now).await.unwrap();
        let endpoint = format!("{push_base}/push/{}", e.patient_id);
        let device = push_devices::NewDevice::WebPush { endpoint, p256dh: P256DH.into(), auth: AUTH.into() };
        push_devices::add_for_patient(db, &e.patient_id, device, now).await.unwrap();
        // Doses due in the last minute, each with its reminder.
        let line = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT id FROM regimen_lines WHERE episode_id = '{}'", e.episode_id),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<String>("", "id")
            .unwrap();
        let doses: Vec<dose::Model> = (0..DOSES_EACH)
            .map(|k| dose::Model {
                id: store::new_id(),
                patient_id: e.patient_id.clone(),
                episode_id: e.episode_id.clone(),
                line_id: line.clone(),
                drug: "imatinib".into(),
                local_date: today,
                local_time: "00:01".into(),
                due_at: now - Duration::seconds(k as i64 + 1),
                status: "pending".into(),
                reported_at: None,
                taken_at: None,
                late: false,
                reminders_sent: 0,
                created_at: now,
            })
            .collect();
        let items =
            doses.iter().map(|d| (due_work::DueWork::DoseReminder { dose_id: d.id.clone() }, d.due_at)).collect();
        store::doses::insert_many(db, doses).await.unwrap();
        due_work::schedule(db, items, now).await.unwrap();
        // A questionnaire due a minute ago.
        let q = store::reports::plan_questionnaire(
            db,
            &e.patient_id,
            &e.episode_id,
            today,
            now - Duration::minutes(1),
            now,
        )
        .await
        .unwrap()
        .unwrap();
        let due = due_work::DueWork::QuestionnaireDue { questionnaire_id: q };
        due_work::schedule(db, vec![(due, now - Duration::minutes(1))], now).await.unwrap();
        // A red alert opened 31 minutes ago: its first escalation (every 30 min) is due.
        let p = store::patients::get(db, &e.patient_id).await.unwrap().unwrap();
        let ep = store::episodes::get(db, &e.episode_id).await.unwrap().unwrap();
        let input = AlertInput {
            patient: &p,
            episode: &ep,
            sequence: Sequence::S1,
            topic: Topic::Toxicity,
            colour: Colour::Red,
            provisional_grade: Some(3),
            reasons: vec![relais_server::domain::reason::Reason::OtherSymptom],
            report_id: None,
            also: vec![],
            establishment: None,
        };
        alerts.push(raise(db, &state, input, now - Duration::minutes(31)).await.unwrap().expect("a red alert"));
    }
    // The alerts' own first emails are already out: only what the instances do is counted.
    db.execute_unprepared("UPDATE outbox SET status = 'sent'").await.unwrap();

    let (mail_a, mail_b) = (dir.join("mail-a"), dir.join("mail-b"));
    let (mut a, _) = start(&env, &mail_a);
    let (mut b, _) = start(&env, &mail_b);
    let reminders = (PATIENTS * DOSES_EACH) as i64;
    let started = Instant::now();
    let done = loop {
        let pending = scalar(db, "SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'sending')").await;
        let reminded = scalar(db, "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'dose_reminder'").await;
        let escalated = scalar(db, "SELECT COUNT(*) AS n FROM alerts WHERE escalation_level >= 1").await;
        let noticed = scalar(db, "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'questionnaire_due'").await;
        if pending == 0 && reminded == reminders && escalated == PATIENTS as i64 && noticed == PATIENTS as i64 {
            break true;
        }
        if started.elapsed() > StdDuration::from_secs(90) {
            eprintln!("pending {pending} reminded {reminded} escalated {escalated} noticed {noticed}");
            break false;
        }
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    };
    // A few more ticks of both, to give a double a chance to show.
    tokio::time::sleep(StdDuration::from_secs(3)).await;
    let _ = a.kill();
    let _ = b.kill();
    let _ = (a.wait(), b.wait());
    assert!(done, "both instances together did the work");

    // Each phone got exactly its 20 reminders and its questionnaire notice, once each.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), PATIENTS, "{seen:?}");
    assert!(seen.values().all(|n| *n == DOSES_EACH + 1), "one push per message: {seen:?}");
    // Each red alert escalated once (level 1, one event), its two emails written once.
    assert_eq!(scalar(db, "SELECT COUNT(*) AS n FROM alerts WHERE escalation_level = 1").await, PATIENTS as i64);
    assert_eq!(scalar(db, "SELECT COUNT(*) AS n FROM alert_events WHERE kind = 'escalated'").await, PATIENTS as i64);
    let emails = [&mail_a, &mail_b].iter().map(|d| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0)).sum::<usize>();
    let queued = scalar(db, "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'alert_escalation'").await;
    assert_eq!(emails as i64, queued, "each escalation email written once, by one instance");
    assert!(queued >= PATIENTS as i64);
    state.db.close().await.ok();
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok();
    let _ = std::fs::remove_dir_all(dir);
}
