//! Alert emails through a real SMTP server on loopback (aiosmtpd, installed by `.ci/run`).
//! Without Python's aiosmtpd the test says so and passes, unless RELAIS_REQUIRE_SMTP_TEST=1
//! (CI), where its absence is a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{DateTime, Utc};
use relais_tests::relais_server::notify::delivery::deliver_due;
use relais_tests::relais_server::store::outbox_delivery;
use relais_tests::*;
use sea_orm::ConnectionTrait;
use serde_json::json;

pub(crate) struct Sink {
    child: Child,
    pub(crate) dir: PathBuf,
    pub(crate) port: u16,
    /// With STARTTLS: where the sink wrote its CA (`ca.pem`) and an unrelated one (`other-ca.pem`).
    pub(crate) certs: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir_all(&self.certs);
    }
}

pub(crate) fn smtp_sink() -> Option<Sink> {
    sink(false, None)
}

/// The SMTP sink listening on a given port.
pub(crate) fn smtp_sink_on(port: u16) -> Option<Sink> {
    sink(false, Some(port))
}

/// The SMTP sink requiring STARTTLS with a certificate from a CA made for the test.
pub(crate) fn smtp_sink_tls() -> Option<Sink> {
    sink(true, None)
}

fn sink(tls: bool, port: Option<u16>) -> Option<Sink> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/smtp_sink.py");
    let id = uuid::Uuid::new_v4();
    let dir = std::env::temp_dir().join(format!("relais-smtp-{id}"));
    let certs = std::env::temp_dir().join(format!("relais-smtp-certs-{id}"));
    let mut cmd = Command::new("python3");
    cmd.arg(script).arg(&dir);
    if tls {
        cmd.arg("--tls").arg(&certs);
    }
    if let Some(p) = port {
        cmd.env("SMTP_SINK_PORT", p.to_string());
    }
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn();
    let required = std::env::var("RELAIS_REQUIRE_SMTP_TEST").is_ok_and(|v| v == "1");
    let mut child = match child {
        Ok(c) => c,
        Err(e) if !required => {
            eprintln!("SKIPPED: no python3 for the SMTP test ({e})");
            return None;
        }
        Err(e) => panic!("python3: {e}"),
    };
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    match line.trim().strip_prefix("ready ") {
        Some(p) => Some(Sink { child, dir, port: p.parse().unwrap(), certs }),
        None if !required => {
            eprintln!("SKIPPED: aiosmtpd or trustme not installed (pip install aiosmtpd trustme)");
            let _ = child.kill();
            None
        }
        None => panic!("the SMTP sink did not start (pip install aiosmtpd trustme)"),
    }
}

pub(crate) fn messages(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    files.sort();
    files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn a_red_alert_is_emailed_to_the_idec_and_the_on_call_oncologist() {
    let Some(sink) = smtp_sink() else { return };
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app = spawn_app_with(utc("2026-11-23T08:00:00Z"), &[("RELAIS__EMAIL__SMTP_URL", &url)]).await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.forget_handover_messages().await;
    let device = app.activate(&code).await;
    app.report(&device, json!({"temperature_c": 38.9})).await;
    let stats = deliver_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!((stats.sent, stats.failed), (2, 0), "{stats:?}");
    let mails = messages(&sink.dir);
    assert_eq!(mails.len(), 2);
    let alert_id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let mut to: Vec<&str> =
        mails.iter().map(|m| m.lines().next().unwrap().trim_start_matches("X-Envelope-To: ")).collect();
    to.sort();
    assert_eq!(to, ["idec@a.test", "onco@a.test"]);
    for m in &mails {
        // Unfold quoted-printable soft line breaks before reading the body.
        let m = m.replace("=\r\n", "").replace("=\n", "");
        assert!(m.contains("Subject: [Relais] Alerte ROUGE"), "{m}");
        assert!(m.contains(&format!("http://localhost:8080/staff/alerts/{alert_id}")), "{m}");
        assert!(!m.contains("Martin") && !m.contains("38.9"), "no patient name or clinical detail in an email");
    }
    assert_eq!(deliver_due(&app.state, app.clock.now()).await.unwrap().sent, 0, "each message once");
}

#[tokio::test]
async fn an_hour_long_mail_outage_on_the_default_schedule_loses_nothing_and_sends_nothing_twice() {
    // Can the sink run here at all? (Without aiosmtpd the test says SKIPPED, as the others.)
    if smtp_sink().is_none() {
        return;
    }
    // A port with nothing listening: the mail server is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = spawn_app_with(utc("2026-11-23T08:00:00Z"), &[("RELAIS__EMAIL__SMTP_URL", &url)]).await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.forget_handover_messages().await;
    let device = app.activate(&code).await;
    app.report(&device, json!({"temperature_c": 38.9})).await;
    // An hour of the default retry schedule, the server down all along.
    let mut retried = 0;
    for _ in 0..60 {
        let s = deliver_due(&app.state, app.clock.now()).await.unwrap();
        assert_eq!((s.sent, s.failed), (0, 0), "{s:?}");
        retried += s.retried;
        app.clock.advance(chrono::Duration::minutes(1));
    }
    assert!(retried >= 12, "each of the two emails retried six times or more: {retried}");
    // The server comes back on the same address: the next retry (at most an hour away) goes.
    let sink = smtp_sink_on(port).expect("the SMTP sink on the retried port");
    let mut sent = 0;
    for _ in 0..75 {
        let s = deliver_due(&app.state, app.clock.now()).await.unwrap();
        assert_eq!(s.failed, 0, "{s:?}");
        sent += s.sent;
        app.clock.advance(chrono::Duration::minutes(1));
    }
    assert_eq!(sent, 2);
    let mails = messages(&sink.dir);
    let mut to: Vec<&str> =
        mails.iter().map(|m| m.lines().next().unwrap().trim_start_matches("X-Envelope-To: ")).collect();
    to.sort();
    assert_eq!(to, ["idec@a.test", "onco@a.test"], "each once");
    assert_eq!(outbox_delivery::by_status(&app.state.db, "sent").await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_unreachable_mail_server_is_retried_then_the_alert_says_not_delivered() {
    // A port with nothing listening: every attempt fails.
    let app = spawn_app_with(
        utc("2026-11-23T08:00:00Z"),
        &[("RELAIS__EMAIL__SMTP_URL", "smtp://127.0.0.1:9"), ("RELAIS__DELIVERY__MAX_ATTEMPTS", "2")],
    )
    .await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.forget_handover_messages().await;
    let device = app.activate(&code).await;
    app.report(&device, json!({"temperature_c": 38.9})).await;
    let first = deliver_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!((first.sent, first.retried), (0, 2), "{first:?}");
    assert_eq!(deliver_due(&app.state, app.clock.now()).await.unwrap().retried, 0, "not before the backoff");
    app.clock.advance(chrono::Duration::minutes(2));
    let second = deliver_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!(second.failed, 2, "{second:?}");
    assert_eq!(outbox_delivery::by_status(&app.state.db, "failed").await.unwrap().len(), 2);
    let alert = &app.get("/api/v1/alerts", &site.idec.1).await.body[0];
    let note = alert["note"].as_str().unwrap();
    assert!(
        note.contains("non remis à idec@a.test (e-mail) / not delivered to idec@a.test (e-mail)"),
        "the IDEC's undelivered email, named by address, in French then English: {alert}"
    );
}

#[tokio::test]
async fn the_alert_email_travels_over_starttls_to_a_server_signed_by_the_configured_ca() {
    let Some(sink) = smtp_sink_tls() else { return };
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let ca = sink.certs.join("ca.pem").display().to_string();
    let app = spawn_app_with(
        utc("2026-11-23T08:00:00Z"),
        &[("RELAIS__EMAIL__SMTP_URL", &url), ("RELAIS__EMAIL__TLS", "starttls"), ("RELAIS__EMAIL__CA_FILE", &ca)],
    )
    .await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.forget_handover_messages().await;
    let device = app.activate(&code).await;
    app.report(&device, json!({"temperature_c": 38.9})).await;
    let stats = deliver_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!((stats.sent, stats.failed, stats.retried), (2, 0, 0), "{stats:?}");
    let alert_id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let mails = messages(&sink.dir);
    let mut to: Vec<&str> =
        mails.iter().map(|m| m.lines().next().unwrap().trim_start_matches("X-Envelope-To: ")).collect();
    to.sort();
    assert_eq!(to, ["idec@a.test", "onco@a.test"]);
    for m in &mails {
        assert!(m.contains("X-Sink-TLS: yes"), "received over STARTTLS: {m}");
        let m = m.replace("=\r\n", "").replace("=\n", "");
        assert!(m.contains("Subject: [Relais] Alerte ROUGE"), "{m}");
        assert!(m.contains(&format!("http://localhost:8080/staff/alerts/{alert_id}")), "{m}");
    }
}

#[tokio::test]
async fn a_server_certificate_not_signed_by_the_configured_ca_is_refused() {
    let Some(sink) = smtp_sink_tls() else { return };
    let url = format!("smtp://127.0.0.1:{}?tls=required", sink.port);
    // A CA the sink's certificate does not come from (nor does any system root).
    let other = sink.certs.join("other-ca.pem").display().to_string();
    let app = spawn_app_with(
        utc("2026-11-23T08:00:00Z"),
        &[("RELAIS__EMAIL__SMTP_URL", &url), ("RELAIS__EMAIL__CA_FILE", &other)],
    )
    .await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.forget_handover_messages().await;
    let device = app.activate(&code).await;
    app.report(&device, json!({"temperature_c": 38.9})).await;
    let stats = deliver_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!((stats.sent, stats.retried), (0, 2), "{stats:?}");
    assert!(messages(&sink.dir).is_empty(), "nothing reached the server");
    let pending = outbox_delivery::by_status(&app.state.db, "pending").await.unwrap();
    assert_eq!(pending.len(), 2);
    for row in &pending {
        assert_eq!(row.attempts, 1, "the attempt is recorded");
        let error = row.last_error.as_deref().unwrap_or("");
        assert!(error.contains("certificate") && error.contains("UnknownIssuer"), "refused for its CA: {error}");
    }
}

#[tokio::test]
async fn an_unacknowledged_red_alert_escalates_to_the_backup_list_through_the_mail_server() {
    let Some(sink) = smtp_sink() else { return };
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app = spawn_app_with(utc("2026-11-23T08:00:00Z"), &[("RELAIS__EMAIL__SMTP_URL", &url)]).await;
    let site = app.seed_site().await;
    // The establishment's backup list: the on-call manager and the ward's shared address.
    let list = json!(["cadre.astreinte@a.test", "oncologie.garde@a.test"]).to_string();
    app.state
        .db
        .execute_unprepared(&format!("UPDATE establishments SET backup_emails = '{list}' WHERE id = '{}'", site.est))
        .await
        .unwrap();
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    app.forget_handover_messages().await;
    let device = app.activate(&code).await;
    app.report(&device, json!({"temperature_c": 38.9})).await;
    assert_eq!(deliver_due(&app.state, app.clock.now()).await.unwrap().sent, 2, "the alert to the IDEC and oncologist");
    // Nobody acknowledges: 30 minutes later, the escalation goes to both and to the backup list.
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(app.escalate().await, 1);
    let stats = deliver_due(&app.state, app.clock.now()).await.unwrap();
    assert_eq!((stats.sent, stats.failed), (4, 0), "{stats:?}");
    let mails = messages(&sink.dir);
    let mut to: Vec<&str> =
        mails[2..].iter().map(|m| m.lines().next().unwrap().trim_start_matches("X-Envelope-To: ")).collect();
    to.sort();
    assert_eq!(to, ["cadre.astreinte@a.test", "idec@a.test", "onco@a.test", "oncologie.garde@a.test"]);
    for m in &mails[2..] {
        assert!(m.contains("RELANCE"), "an escalation: {m}");
        assert!(!m.contains("Martin"), "no patient name");
    }
    // Acknowledged: no further escalation.
    let alert_id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    let ack = app.post(&format!("/api/v1/alerts/{alert_id}/acknowledge"), &site.idec.1, json!({})).await;
    assert_eq!(ack.status, reqwest::StatusCode::OK, "{:?}", ack.body);
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(app.escalate().await, 0);
    assert_eq!(deliver_due(&app.state, app.clock.now()).await.unwrap().sent, 0);
}
