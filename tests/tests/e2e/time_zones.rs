//! Time zones beyond Paris: a site in Martinique (its digest at the site's local hour) and an
//! establishment in La Réunion (its patients reminded at their local time, its alert deadlines
//! counted in its own working days, with the Réunion holiday of 20 December).

use chrono::{DateTime, Utc};
use relais_tests::relais_server::domain::access::Role;
use relais_tests::relais_server::jobs;
use relais_tests::relais_server::store::directory;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::json;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn a_martinique_site_and_a_reunion_establishment_each_keep_their_own_time() {
    // Thursday 16 December 2027, 09:00 in La Réunion (UTC+4), 01:00 in Martinique (UTC-4).
    let app = spawn_app_with(utc("2027-12-16T05:00:00Z"), &[("RELAIS__SITE__TIME_ZONE", "America/Martinique")]).await;
    let site = app.seed_site().await;
    let (db, now) = (&app.state.db, app.clock.now());
    let est = directory::create_establishment(
        db,
        directory::NewEstablishment {
            finess: "970400017",
            name: "CHU de La Réunion",
            phone_24h: "+262262000000",
            calendar: "fr-reunion",
            time_zone: "Indian/Reunion",
            backup_emails: &[],
        },
        now,
    )
    .await
    .unwrap()
    .id;
    let mut ids = Vec::new();
    for (i, (email, role)) in
        [("idec@re.test", Role::Idec), ("onco@re.test", Role::Oncologist), ("pui@re.test", Role::HospitalPharmacist)]
            .into_iter()
            .enumerate()
    {
        ids.push(app.add_professional(email, role, &format!("2{i:010}"), Some(&est), None).await);
    }
    let idec = app.login("idec@re.test").await;
    let body = json!({
        "family_name": "Hoarau", "given_name": "Marie", "birth_date": "1955-05-05",
        "phone": "+262692123456", "time_zone": "Indian/Reunion", "locale": "fr",
        "episode": {"parcours": "B", "start_date": "2027-12-16",
            "regimen": [{"drug": "capecitabine", "dose": "1500 mg", "times": ["08:00"]}],
            "team": {"idec": ids[0], "oncologist": ids[1], "hospital_pharmacist": ids[2]}}
    });
    let (pid, eid, _) = app.enrol_with(&idec, body).await;
    // Reminded at 08:00 in La Réunion: 04:00 UTC.
    app.run_until(utc("2027-12-17T05:00:00Z"), chrono::Duration::hours(1)).await;
    assert_eq!(app.reminder_times(&pid).await, [utc("2027-12-17T04:00:00Z")]);
    // Friday 17 December, 10:00 in La Réunion: an interaction for the hospital pharmacist, due
    // within one working day. Monday 20 December is a holiday in La Réunion (not in Paris): the
    // deadline is Tuesday 10:00 local, 06:00 UTC.
    app.set_now(utc("2027-12-17T06:00:00Z"));
    let idec = app.login("idec@re.test").await;
    let a = app.post(&format!("/api/v1/episodes/{eid}/comedications"), &idec, json!({"name": "Warfarine"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let pui = app.login("pui@re.test").await;
    let list = app.get("/api/v1/alerts?status=open", &pui).await;
    assert_eq!(list.body[0]["deadline_at"], "2027-12-21T06:00:00Z", "{:?}", list.body);
    // The daily digest of open ambers goes at the site's hour (08:00) in Martinique, 12:00 UTC;
    // not at 08:00 in Paris.
    assert_eq!(jobs::digest::run_digest(&app.state, utc("2027-12-17T07:00:00Z")).await.unwrap(), 0);
    assert_eq!(jobs::digest::run_digest(&app.state, utc("2027-12-17T12:00:00Z")).await.unwrap(), 1);
    let _ = site;
}
