//! Emails rendered from the templates: the daily digest of open amber alerts (once a day per
//! professional) and the GP's information when the episode enters S3. Delivered through the
//! file transport (no SMTP server configured) and read back.

use chrono::{DateTime, Utc};
use relais_tests::relais_server::jobs::digest::run_digest;
use relais_tests::relais_server::notify::delivery::deliver_due;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const AMBER_DIARRHEA: fn() -> Value = || json!({"diarrhea.frequency": 3, "temperature_c": 37.0});

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn count_kind(rows: &[(String, Value)], kind: &str) -> usize {
    rows.iter().filter(|(k, _)| k == kind).count()
}

#[tokio::test]
async fn open_amber_alerts_are_digested_once_a_day_at_the_configured_local_hour() {
    let app = spawn_app_with(utc("2026-11-23T08:00:00Z"), &[("RELAIS__DIGEST__HOUR", "8")]).await;
    let site = app.seed_site().await;
    let (_, _, code) = app.enrol(&site, app.enrolment(&site)).await;
    let device = app.activate(&code).await;
    let r = app.report(&device, AMBER_DIARRHEA()).await;
    assert_eq!(r.body["colour"], "amber");
    let alert_id = app.get("/api/v1/alerts", &site.idec.1).await.body[0]["id"].as_str().unwrap().to_owned();
    deliver_due(&app.state, app.clock.now()).await.unwrap();
    let before = mails(&app).len();

    // 08:30 in Paris the next day: one digest for the IDEC; a second tick or instance adds none.
    app.set_now(utc("2026-11-24T07:30:00Z"));
    assert_eq!(run_digest(&app.state, app.clock.now()).await.unwrap(), 1);
    app.set_now(utc("2026-11-24T07:55:00Z"));
    run_digest(&app.state, app.clock.now()).await.unwrap();
    assert_eq!(count_kind(&app.outbox_for(&site.idec.0).await, "amber_digest"), 1);
    assert_eq!(count_kind(&app.outbox_for(&site.oncologist.0).await, "amber_digest"), 0, "amber is not theirs");
    // Outside the hour nothing is queued; the next morning, a new digest.
    app.set_now(utc("2026-11-24T09:30:00Z"));
    assert_eq!(run_digest(&app.state, app.clock.now()).await.unwrap(), 0);
    app.set_now(utc("2026-11-25T07:05:00Z"));
    run_digest(&app.state, app.clock.now()).await.unwrap();
    assert_eq!(count_kind(&app.outbox_for(&site.idec.0).await, "amber_digest"), 2);

    assert_eq!(deliver_due(&app.state, app.clock.now()).await.unwrap().sent, 2);
    let all = mails(&app);
    let digests: Vec<&String> = all.iter().filter(|m| m.contains("alerte(s) orange")).collect();
    assert_eq!((all.len() - before, digests.len()), (2, 2));
    for m in digests {
        assert!(m.contains("To: idec@a.test"), "{m}");
        assert!(m.contains("ouverte le 23 nov. 2026"), "{m}");
        assert!(m.contains(&format!("http://localhost:8080/staff/alerts/{alert_id}")), "{m}");
        assert!(m.contains("text/html"), "an HTML part too");
        assert!(!m.contains("Martin") && !m.contains("diarrh"), "no name, no clinical detail");
    }

    // Resolved alerts leave the digest: nobody gets an empty one.
    let done = app
        .post(
            &format!("/api/v1/alerts/{alert_id}/resolve"),
            &app.login("idec@a.test").await,
            json!({"confirmed_grade": 2, "note": "ok"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    app.set_now(utc("2026-11-26T07:05:00Z"));
    assert_eq!(run_digest(&app.state, app.clock.now()).await.unwrap(), 0);
}

#[tokio::test]
async fn the_gp_is_told_once_when_the_episode_enters_s3() {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    app.set_now(morning("2026-12-23"));
    assert_eq!(app.tick().await, 1, "S1 → S2");
    assert_eq!(count_kind(&app.outbox_for(&site.gp.0).await, "gp_takeover"), 0, "not for S2");
    let idec = app.login("idec@a.test").await;
    assert_eq!(app.decide(&eid, &idec, "advance", None).await.status, StatusCode::OK);
    app.set_now(morning("2027-03-23"));
    assert_eq!(app.tick().await, 1, "S2 → S3");
    app.tick().await;
    assert_eq!(count_kind(&app.outbox_for(&site.gp.0).await, "gp_takeover"), 1);
    // Renewing S3 is not a new hand-over.
    let idec = app.login("idec@a.test").await;
    assert_eq!(app.decide(&eid, &idec, "renew", None).await.status, StatusCode::OK);
    app.set_now(morning("2027-09-23"));
    assert_eq!(app.tick().await, 1, "S3 renewed");
    assert_eq!(count_kind(&app.outbox_for(&site.gp.0).await, "gp_takeover"), 1);

    deliver_due(&app.state, app.clock.now()).await.unwrap();
    // The take-over mail (the GP is also sent the hand-over sheet of each sequence).
    let to_gp: Vec<String> = mails(&app)
        .into_iter()
        .filter(|m| m.contains("To: gp@a.test") && m.contains("vous prenez le relais du suivi"))
        .collect();
    assert_eq!(to_gp.len(), 1);
    let m = &to_gp[0];
    assert!(m.contains("vous prenez le relais du suivi"), "{m}");
    assert!(m.contains("23 mars 2027"), "{m}");
    assert!(m.contains(&format!("http://localhost:8080/staff/patients/{pid}")), "{m}");
    assert!(!m.contains("Martin") && !m.contains("capecitabine"), "no name, no drug");
}
