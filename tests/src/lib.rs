//! End-to-end harness: starts the real server (`relais_server::serve`, the code that ships) on
//! port 0 against a fresh database — a SQLite file by default, a fresh PostgreSQL database when
//! `RELAIS_TEST_PG_URL` names a server (e.g. postgres://postgres@127.0.0.1:5432) — with a manual
//! clock that tests move by hand. Jobs are driven by calling them, never by sleeping.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use relais_server::domain::access::Role;
use relais_server::store::{self, directory};
use relais_server::{AppState, ManualClock, Rules, Settings};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

pub use relais_server;

pub mod browser;
pub mod contract;

pub const PASSWORD: &str = "correct-horse-battery";

/// Which database the suite runs on.
pub fn pg_base_url() -> Option<String> {
    std::env::var("RELAIS_TEST_PG_URL").ok().filter(|s| !s.is_empty())
}

enum Db {
    Sqlite(std::path::PathBuf),
    Postgres { base: String, name: String },
}

pub struct TestApp {
    pub addr: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    db: Db,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Monday 23 November 2026, 09:00 in Paris.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_at(default_now()).await
}

pub async fn spawn_app_at(now: DateTime<Utc>) -> TestApp {
    spawn_app_with(now, &[]).await
}

/// Starts the app on a copy of an existing SQLite database (a fixture), migrating it to this
/// release as `relais serve` would.
pub async fn spawn_app_on_sqlite_copy(fixture: &std::path::Path, now: DateTime<Utc>) -> TestApp {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let path = std::env::temp_dir().join(format!("relais-test-{id}.db"));
    std::fs::copy(fixture, &path).expect("copy the fixture");
    spawn(now, &[], Some(path)).await
}

/// Starts the app with extra settings (`RELAIS__SECTION__KEY`, value).
pub async fn spawn_app_with(now: DateTime<Utc>, extra: &[(&str, &str)]) -> TestApp {
    spawn(now, extra, None).await
}

async fn spawn(now: DateTime<Utc>, extra: &[(&str, &str)], sqlite: Option<std::path::PathBuf>) -> TestApp {
    // TEST_LOG=1 (or a filter such as TEST_LOG=debug): the server's log on stderr, to read
    // what a failing test's server did.
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let filter = if filter == "1" { "info,sqlx=warn,sea_orm=warn".to_owned() } else { filter };
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (url, db) = match (sqlite, pg_base_url()) {
        (Some(path), _) => (format!("sqlite://{}?mode=rwc", path.display()), Db::Sqlite(path)),
        (None, Some(base)) => {
            let name = format!("relais_t_{id}");
            let admin = Database::connect(format!("{base}/postgres")).await.expect("PostgreSQL reachable");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            (format!("{base}/{name}"), Db::Postgres { base, name })
        }
        (None, None) => {
            let path = std::env::temp_dir().join(format!("relais-test-{id}.db"));
            (format!("sqlite://{}?mode=rwc", path.display()), Db::Sqlite(path))
        }
    };
    let mail_dir = std::env::temp_dir().join(format!("relais-mail-{id}"));
    let mut env = vec![
        ("RELAIS__DATABASE__URL".to_owned(), url),
        ("RELAIS__SCHEDULER__ENABLED".to_owned(), "false".to_owned()),
        ("RELAIS__DATABASE__MAX_CONNECTIONS".to_owned(), "5".to_owned()),
        // Tests move the clock by hours or months between two requests of one session or one
        // phone: no idle limit here; the security tests set the defaults back.
        ("RELAIS__SECURITY__SESSION_IDLE_MINUTES".to_owned(), "525600".to_owned()),
        ("RELAIS__SECURITY__DEVICE_IDLE_DAYS".to_owned(), "3650".to_owned()),
        ("RELAIS__EMAIL__FILE_DIR".to_owned(), mail_dir.display().to_string()),
        (
            "RELAIS__PUSH__VAPID_KEY_FILE".to_owned(),
            std::env::temp_dir().join(format!("relais-vapid-{id}.key")).display().to_string(),
        ),
    ];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let settings = Settings::load_from(None, &env).expect("settings");
    // Built-in rules unless the test names a rules directory (RELAIS__RULES__DIR).
    let rules = Rules::load(&settings.rules.dir).expect("rules");
    let clock = Arc::new(ManualClock::new(now));
    let state = AppState::connect(settings, rules, clock.clone()).await.expect("connect and migrate");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serve_state = state.clone();
    tokio::spawn(async move {
        relais_server::serve(serve_state, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    TestApp { addr, state, clock, http: reqwest::Client::new(), db, shutdown: Some(tx) }
}

impl TestApp {
    /// The PostgreSQL server and database of this app, when the suite runs on PostgreSQL.
    pub fn pg_database(&self) -> Option<(&str, &str)> {
        match &self.db {
            Db::Postgres { base, name } => Some((base, name)),
            Db::Sqlite(_) => None,
        }
    }

    /// Waits (at most `within`) until `check` holds, polling every 50 ms; for tests of the
    /// production tick, which runs on its own. Returns whether it held.
    pub async fn eventually<F, Fut>(&self, within: std::time::Duration, mut check: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if check().await {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match &self.db {
            Db::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Db::Postgres { base, name } => {
                let (base, name) = (base.clone(), name.clone());
                // Drop the database from a thread of its own: Drop cannot await.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(format!("{base}/postgres")).await {
                            let _ =
                                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Reads an answer, and checks it against the OpenAPI document (panics naming the method, the
/// path, the status and the schema error when it disagrees).
async fn answer(method: &Method, path: &str, request: Option<&Value>, resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    contract::assert_conforms(&contract::Exchange {
        method,
        path,
        request,
        status,
        content_type: headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        body: &text,
    });
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Answer { status, body, headers }
}

/// A JSON answer: status and body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// The `field` of an error body.
    pub fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or("")
    }

    /// The error body without its `request_id` (each request has its own), for comparing what
    /// two answers say.
    pub fn error_text(&self) -> Value {
        let mut b = self.body.clone();
        if let Some(e) = b.get_mut("error").and_then(Value::as_object_mut) {
            e.remove("request_id");
        }
        b
    }

    /// The `code` of an error body (`invalid`, `not_found`, ...).
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    /// A request as a client sends it; the answer is checked against the OpenAPI document
    /// (`contract::check`): a status or a body the document does not describe fails the test.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.addr));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request");
        answer(&method, path, body.as_ref(), resp).await
    }

    /// A request as the reverse proxy forwards it: `X-Forwarded-For: {xff}` (the app must trust
    /// 127.0.0.1 as a proxy, `RELAIS__SERVER__TRUSTED_PROXIES`, for the header to count).
    pub async fn call_from(
        &self,
        xff: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.addr)).header("x-forwarded-for", xff);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request");
        answer(&method, path, body.as_ref(), resp).await
    }

    /// Sends a raw body as `application/json` (malformed or oversized payloads).
    pub async fn call_raw(&self, path: &str, token: Option<&str>, body: impl Into<reqwest::Body>) -> Answer {
        let mut req = self
            .http
            .post(format!("{}{path}", self.addr))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        let a = answer(&Method::POST, path, None, resp).await;
        // A raw body always got an answer, even when empty (`Value::Null` would hide it).
        if a.body.is_null() { Answer { body: Value::String(String::new()), ..a } } else { a }
    }

    /// `GET /patients/{id}`, asserting 200; the patient record.
    pub async fn patient(&self, id: &str, token: &str) -> Value {
        let a = self.get(&format!("/api/v1/patients/{id}"), token).await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        a.body
    }

    /// `POST /episodes/{id}/decision`.
    pub async fn decide(&self, episode_id: &str, token: &str, action: &str, reason: Option<&str>) -> Answer {
        self.post(
            &format!("/api/v1/episodes/{episode_id}/decision"),
            token,
            json!({"action": action, "reason": reason}),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn login(&self, email: &str) -> String {
        let a = self
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": PASSWORD})))
            .await;
        assert_eq!(a.status, StatusCode::OK, "login {email}: {:?}", a.body);
        a.body["token"].as_str().unwrap().to_owned()
    }

    /// Runs the sequence-transition job at the clock's current instant.
    pub async fn tick(&self) -> usize {
        relais_server::jobs::pathway::run_transitions(&self.state, self.clock.now()).await.expect("transitions")
    }

    pub fn set_now(&self, at: DateTime<Utc>) {
        self.clock.set(at);
    }
}

pub use relais_server::Clock;

/// Two establishments, two pharmacies, and a professional of every role; each has a token.
pub struct Site {
    pub est: String,
    pub other_est: String,
    pub pharmacy: String,
    pub other_pharmacy: String,
    /// Role key → (professional id, token), for the first establishment / pharmacy.
    pub idec: (String, String),
    pub oncologist: (String, String),
    pub hospital_pharmacist: (String, String),
    pub community_pharmacist: (String, String),
    pub gp: (String, String),
    pub admin: (String, String),
    /// The establishment's billing office (no patient data).
    pub billing: (String, String),
    /// The same roles elsewhere: another establishment, another pharmacy, another GP.
    pub other_idec: (String, String),
    pub other_oncologist: (String, String),
    pub other_community_pharmacist: (String, String),
    pub other_gp: (String, String),
}

impl TestApp {
    pub async fn seed_site(&self) -> Site {
        let db = &self.state.db;
        let now = self.clock.now();
        let mk_est = |finess: &'static str, name: &'static str| directory::NewEstablishment {
            finess,
            name,
            phone_24h: "+33299000000",
            calendar: "fr",
            time_zone: "Europe/Paris",
            backup_emails: &[],
        };
        let est = directory::create_establishment(db, mk_est("350000011", "Centre A"), now).await.unwrap().id;
        let other_est = directory::create_establishment(db, mk_est("690000022", "Centre B"), now).await.unwrap().id;
        let pharmacy = directory::create_pharmacy(db, "350001019", "Pharmacie A", None, None, now).await.unwrap().id;
        let other_pharmacy =
            directory::create_pharmacy(db, "350001027", "Pharmacie B", None, None, now).await.unwrap().id;
        let mut n = 0;
        let mut person = async |email: &str, role: Role, est_id: Option<&str>, ph_id: Option<&str>| {
            n += 1;
            let id = self.add_professional(email, role, &format!("1{n:010}"), est_id, ph_id).await;
            (id, self.login(email).await)
        };
        let idec = person("idec@a.test", Role::Idec, Some(&est), None).await;
        let oncologist = person("onco@a.test", Role::Oncologist, Some(&est), None).await;
        let hospital_pharmacist = person("pui@a.test", Role::HospitalPharmacist, Some(&est), None).await;
        let community_pharmacist = person("officine@a.test", Role::CommunityPharmacist, None, Some(&pharmacy)).await;
        let gp = person("gp@a.test", Role::Gp, None, None).await;
        let admin = person("admin@a.test", Role::Admin, Some(&est), None).await;
        let billing = person("facturation@a.test", Role::Billing, Some(&est), None).await;
        let other_idec = person("idec@b.test", Role::Idec, Some(&other_est), None).await;
        let other_oncologist = person("onco@b.test", Role::Oncologist, Some(&other_est), None).await;
        let other_community_pharmacist =
            person("officine@b.test", Role::CommunityPharmacist, None, Some(&other_pharmacy)).await;
        let other_gp = person("gp@b.test", Role::Gp, None, None).await;
        Site {
            est,
            other_est,
            pharmacy,
            other_pharmacy,
            idec,
            oncologist,
            hospital_pharmacist,
            community_pharmacist,
            gp,
            admin,
            billing,
            other_idec,
            other_oncologist,
            other_community_pharmacist,
            other_gp,
        }
    }

    /// Creates a professional with the tests' password; returns its id.
    pub async fn add_professional(
        &self,
        email: &str,
        role: Role,
        rpps: &str,
        establishment_id: Option<&str>,
        pharmacy_id: Option<&str>,
    ) -> String {
        // Hashed once for the whole test binary: argon2 is slow on purpose.
        static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hash = HASH.get_or_init(|| relais_server::secrets::hash_password(PASSWORD).unwrap());
        directory::create_professional(
            &self.state.db,
            directory::NewProfessional {
                email,
                rpps: Some(rpps),
                role,
                family_name: "Test",
                given_name: role.as_str(),
                phone: Some("+33600000000"),
                establishment_id,
                pharmacy_id,
                on_call: role == Role::Oncologist,
                password_hash: hash,
                locale: "fr",
            },
            self.clock.now(),
        )
        .await
        .unwrap()
        .id
    }

    /// A valid enrolment body for this site (capecitabine, parcours A, starting on the clock's
    /// Paris date).
    pub fn enrolment(&self, site: &Site) -> Value {
        let today = self.clock.now().with_timezone(&chrono_tz_paris()).date_naive();
        json!({
            "family_name": "Martin", "given_name": "Claire", "birth_date": "1961-04-12",
            "ins": null, "phone": "+33612345678", "email": null,
            "time_zone": "Europe/Paris", "locale": "fr",
            "episode": {
                "parcours": "A", "start_date": today.to_string(),
                "baseline_weight_kg": 64.0,
                "regimen": [{"drug": "capecitabine", "dose": "1500 mg", "times": ["08:00", "20:00"],
                             "cycle": {"on_days": 14, "off_days": 7}}],
                "team": {"idec": site.idec.0, "oncologist": site.oncologist.0,
                         "hospital_pharmacist": site.hospital_pharmacist.0,
                         "community_pharmacy": site.pharmacy, "gp": site.gp.0}
            }
        })
    }

    /// Enrols the default patient; returns (patient id, episode id, activation code).
    pub async fn enrol(&self, site: &Site, body: Value) -> (String, String, String) {
        self.enrol_with(&site.idec.1, body).await
    }

    /// Enrols a patient with the given staff token; returns (patient id, episode id, code).
    pub async fn enrol_with(&self, token: &str, body: Value) -> (String, String, String) {
        let a = self.post("/api/v1/patients", token, body).await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
        let s = |k: &str| a.body[k].as_str().unwrap().to_owned();
        (s("patient_id"), s("episode_id"), s("activation_code"))
    }
}

fn chrono_tz_paris() -> chrono::FixedOffset {
    // Good enough for picking "today" in tests that run at 09:00 Paris.
    chrono::FixedOffset::east_opt(3600).unwrap()
}

/// 08:00 UTC (09:00 or 10:00 in Paris) on a `YYYY-MM-DD` date.
pub fn morning(date: &str) -> DateTime<Utc> {
    let d: chrono::NaiveDate = date.parse().expect("YYYY-MM-DD");
    Utc.from_utc_datetime(&d.and_hms_opt(8, 0, 0).unwrap())
}

/// A well-formed INS: 13 digits followed by their key, 97 − (number mod 97).
pub fn valid_ins(body13: &str) -> String {
    let n: u64 = body13.parse().expect("13 digits");
    format!("{body13}{:02}", 97 - n % 97)
}

/// Counts rows in a table (for "nothing was written" assertions).
pub async fn count(state: &AppState, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = state
        .db
        .query_one_raw(sea_orm::Statement::from_string(state.db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// A cookie-keeping client signed in through the staff login form, as a browser would be (no
/// redirect followed), and where the login sent it.
pub async fn staff_session(base: &str, email: &str, password: &str) -> (reqwest::Client, String) {
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = http.get(format!("{base}/staff/login")).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&form);
    let r = http
        .post(format!("{base}/staff/login"))
        .form(&[("csrf", csrf.as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login {email}");
    let to = r.headers()[reqwest::header::LOCATION].to_str().unwrap().to_owned();
    (http, to)
}

/// The CSRF token of the first form of a page.
pub fn csrf_of(page: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let at = page.find(marker).expect("a form with its CSRF token") + marker.len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// A staff page's status and body, fetched by a signed-in client.
pub async fn page(app: &TestApp, http: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let r = http.get(format!("{}{path}", app.addr)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The .eml files written so far, quoted-printable soft breaks unfolded.
pub fn mails(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(&app.state.settings.email.file_dir)
        .map(|d| d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect::<Vec<String>>())
        .unwrap_or_default()
        .into_iter()
        .map(|m: String| m.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

pub use store::Db as DbConn;

impl TestApp {
    /// Activates a phone with an activation code; returns the device token.
    pub async fn activate(&self, code: &str) -> String {
        let a = self.call(Method::POST, "/api/v1/patient/activate", None, Some(json!({"code": code}))).await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
        a.body["token"].as_str().unwrap().to_owned()
    }

    /// Sends a report from the phone with a fresh client id.
    pub async fn report(&self, device: &str, answers: Value) -> Answer {
        let id = uuid::Uuid::new_v4().to_string();
        self.post(
            "/api/v1/patient/reports",
            device,
            json!({"client_id": id, "questionnaire_id": null, "answers": answers}),
        )
        .await
    }

    /// Forgets the hand-over sheet messages queued for the community at inclusion and at each
    /// sequence change (docs/domain.md): the delivery tests count exactly the messages they make.
    pub async fn forget_handover_messages(&self) {
        self.state.db.execute_unprepared("DELETE FROM outbox WHERE kind = 'handover_sheet'").await.unwrap();
    }

    /// Runs the escalation job at the clock's current instant.
    pub async fn escalate(&self) -> usize {
        relais_server::jobs::escalation::run_escalations(&self.state, self.clock.now()).await.expect("escalations")
    }

    /// Outbox rows for one recipient, as (kind, payload).
    pub async fn outbox_for(&self, recipient_id: &str) -> Vec<(String, Value)> {
        store::outbox::for_recipient(&self.state.db, recipient_id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.kind, serde_json::from_str(&m.payload).unwrap()))
            .collect()
    }
}

impl TestApp {
    /// Runs the due-work dispatcher (plans, reminders, closes) at the clock's instant.
    pub async fn dispatch(&self) -> relais_server::jobs::due_work::Stats {
        relais_server::jobs::due_work::dispatch_due(&self.state, self.clock.now()).await.expect("dispatch")
    }

    /// Dispatches at each instant from the clock's current one to `until`, step by step.
    pub async fn run_until(&self, until: DateTime<Utc>, step: chrono::Duration) {
        while self.clock.now() < until {
            self.dispatch().await;
            self.clock.advance(step);
        }
        self.set_now(until);
        self.dispatch().await;
    }

    /// Due instants of the dose reminders queued for a patient (push outbox rows).
    pub async fn reminder_times(&self, patient_id: &str) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        for (kind, payload) in self.outbox_for(patient_id).await {
            if kind == "dose_reminder" && !payload["body"].as_str().unwrap_or("").starts_with("Rappel") {
                let d = store::doses::get(&self.state.db, payload["id"].as_str().unwrap()).await.unwrap().unwrap();
                out.push(d.due_at);
            }
        }
        out.sort();
        out
    }
}
