//! Sequence transitions driven by the injected clock: S1 → S2 → S3, renewals (decided and
//! automatic), ending, idempotence and catch-up after downtime.

use relais_tests::relais_server::store::outbox;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const IDEC: &str = "idec@a.test";

/// Moves the clock to 08:00 UTC on `date`, runs the transitions job once and returns how many
/// it applied and a fresh IDEC token (sessions last 12 h, the clock moves by months).
async fn tick_on(app: &TestApp, date: &str) -> (usize, String) {
    app.set_now(morning(date));
    let n = app.tick().await;
    (n, app.login(IDEC).await)
}

/// kind, renewal_index, start, planned end, state, automatic.
type Seq = (String, i64, String, String, String, bool);

fn seq(kind: &str, renewal: i64, start: &str, end: &str, state: &str, automatic: bool) -> Seq {
    (kind.into(), renewal, start.into(), end.into(), state.into(), automatic)
}

/// Every sequence of the episode, in order.
fn sequences(ep: &Value) -> Vec<Seq> {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap().to_owned();
    ep["sequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let (kind, start, end, state) = (s(v, "kind"), s(v, "start_date"), s(v, "planned_end_date"), s(v, "state"));
            (kind, v["renewal_index"].as_i64().unwrap(), start, end, state, v["automatic"].as_bool().unwrap())
        })
        .collect()
}

async fn episode(app: &TestApp, pid: &str, token: &str) -> Value {
    app.patient(pid, token).await["episode"].clone()
}

async fn decide_ok(app: &TestApp, eid: &str, token: &str, action: &str) {
    let a = app.decide(eid, token, action, None).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["sequence"]["decision"], action, "{:?}", a.body);
}

/// Enrols the default patient (capecitabine, S3-eligible) on 2026-11-23.
async fn enrolled() -> (TestApp, Site, String, String) {
    let app = spawn_app().await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    (app, site, pid, eid)
}

fn s1_s2() -> Vec<Seq> {
    vec![
        seq("S1", 0, "2026-11-23", "2026-12-23", "completed", false),
        seq("S2", 0, "2026-12-23", "2027-03-23", "active", false),
    ]
}

#[tokio::test]
async fn full_path_s1_s2_s3_renewal_and_end() {
    let (app, site, pid, eid) = enrolled().await;

    // The day before S1's planned end nothing moves.
    let (n, idec) = tick_on(&app, "2026-12-22").await;
    assert_eq!(n, 0);
    assert_eq!(episode(&app, &pid, &idec).await["sequence"]["kind"], "S1");

    let (n, idec) = tick_on(&app, "2026-12-23").await;
    assert_eq!(n, 1);
    let ep = episode(&app, &pid, &idec).await;
    assert_eq!(sequences(&ep), s1_s2());
    assert_eq!(ep["sequences"][0]["actual_end_date"], "2026-12-23");

    decide_ok(&app, &eid, &idec, "advance").await;
    let (n, idec) = tick_on(&app, "2027-03-23").await;
    assert_eq!(n, 1);
    let mut want = s1_s2();
    want[1].4 = "completed".into();
    want.push(seq("S3", 0, "2027-03-23", "2027-09-23", "active", false));
    assert_eq!(sequences(&episode(&app, &pid, &idec).await), want);

    decide_ok(&app, &eid, &idec, "renew").await;
    let (n, idec) = tick_on(&app, "2027-09-23").await;
    assert_eq!(n, 1);
    want[2].4 = "completed".into();
    want.push(seq("S3", 1, "2027-09-23", "2028-03-23", "active", false));
    assert_eq!(sequences(&episode(&app, &pid, &idec).await), want);

    app.set_now(morning("2027-10-02"));
    let idec = app.login(IDEC).await;
    let a = app.decide(&eid, &idec, "end", Some("treatment_stopped")).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(
        (a.body["end_date"].as_str(), a.body["end_reason"].as_str()),
        (Some("2027-10-02"), Some("treatment_stopped"))
    );
    assert!(a.body["sequence"].is_null(), "{:?}", a.body["sequence"]);
    let ep = episode(&app, &pid, &idec).await;
    assert!(ep["sequence"].is_null());
    assert_eq!(ep["sequences"][3]["state"], "ended");
    assert_eq!(ep["sequences"][3]["actual_end_date"], "2027-10-02");
    let list = app.get("/api/v1/patients", &idec).await;
    assert!(list.body[0]["sequence"].is_null(), "{:?}", list.body);

    // Later ticks change nothing, and no decision is taken on an ended episode.
    for date in ["2028-03-23", "2029-01-01"] {
        assert_eq!(tick_on(&app, date).await.0, 0);
    }
    let idec = app.login(IDEC).await;
    assert_eq!(sequences(&episode(&app, &pid, &idec).await).len(), 4);
    assert_eq!(app.decide(&eid, &idec, "renew", None).await.status, StatusCode::CONFLICT);
    // Nothing was renewed automatically, so the IDEC was never told.
    assert!(outbox::for_recipient(&app.state.db, &site.idec.0).await.unwrap().is_empty());
}

#[tokio::test]
async fn without_a_decision_s2_renews_automatically_and_tells_the_idec_once() {
    let (app, site, pid, eid) = enrolled().await;
    assert_eq!(tick_on(&app, "2026-12-23").await.0, 1);
    app.set_now(morning("2027-03-23"));
    assert_eq!(app.tick().await, 1);
    assert_eq!(app.tick().await, 0, "a second tick at the same instant applies nothing");
    let idec = app.login(IDEC).await;
    let mut want = s1_s2();
    want[1].4 = "completed".into();
    want.push(seq("S2", 1, "2027-03-23", "2027-06-23", "active", true));
    assert_eq!(sequences(&episode(&app, &pid, &idec).await), want);

    let msgs = outbox::for_recipient(&app.state.db, &site.idec.0).await.unwrap();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!((msgs[0].kind.as_str(), msgs[0].recipient_kind.as_str()), ("sequence_auto_renewed", "professional"));
    let payload: Value = serde_json::from_str(&msgs[0].payload).unwrap();
    assert_eq!(payload["episode_id"], eid.as_str());
    assert_eq!((payload["sequence"].as_str(), payload["renewal_index"].as_i64()), (Some("S2"), Some(1)));
    assert_eq!(payload["planned_end_date"], "2027-06-23");
}

#[tokio::test]
async fn catch_up_applies_every_missed_transition_once() {
    let (app, site, pid, _) = enrolled().await;
    // Five months of downtime, then one tick.
    let (n, idec) = tick_on(&app, "2027-04-23").await;
    assert_eq!(n, 2);
    let mut want = s1_s2();
    want[1].4 = "completed".into();
    want.push(seq("S2", 1, "2027-03-23", "2027-06-23", "active", true));
    assert_eq!(sequences(&episode(&app, &pid, &idec).await), want);
    assert_eq!(app.tick().await, 0);
    assert_eq!(count(&app.state, "sequences").await, 3);
    assert_eq!(outbox::for_recipient(&app.state.db, &site.idec.0).await.unwrap().len(), 1);
}

#[tokio::test]
async fn advance_is_refused_in_s1_and_for_a_drug_not_eligible_for_s3() {
    let (app, site, _, eid) = enrolled().await;
    let a = app.decide(&eid, &site.idec.1, "advance", None).await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "action"));
    let a = app.decide(&eid, &site.idec.1, "renew", None).await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "action"));

    // Lenalidomide (catalogue: parcours B, not S3-eligible).
    let mut body = app.enrolment(&site);
    body["family_name"] = json!("Bernard");
    body["episode"]["parcours"] = json!("B");
    body["episode"]["team"]["community_pharmacy"] = Value::Null;
    body["episode"]["regimen"] = json!([{"drug": "lenalidomide", "dose": "25 mg", "times": ["08:00"],
                                        "cycle": {"on_days": 21, "off_days": 7}}]);
    let (pid, eid, _) = app.enrol(&site, body).await;
    let (_, idec) = tick_on(&app, "2026-12-23").await;
    assert_eq!(episode(&app, &pid, &idec).await["sequence"]["kind"], "S2");
    let a = app.decide(&eid, &idec, "advance", None).await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "action"), "{:?}", a.body);
    let ep = episode(&app, &pid, &idec).await;
    assert!(ep["sequence"]["decision"].is_null());
    assert_eq!(ep["s3_eligible"], false);
    // A renewal is allowed.
    decide_ok(&app, &eid, &idec, "renew").await;
    let a = app.decide(&eid, &idec, "pause", None).await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "action"));
}

#[tokio::test]
async fn transitions_follow_each_patients_local_date() {
    let (app, site, paris, _) = enrolled().await;
    let mut body = app.enrolment(&site);
    body["family_name"] = json!("Hoarau");
    body["time_zone"] = json!("Indian/Reunion");
    let (reunion, _, _) = app.enrol(&site, body).await;
    let kinds = async |idec: &str| {
        let mut out = Vec::new();
        for pid in [&paris, &reunion] {
            out.push(episode(&app, pid, idec).await["sequence"]["kind"].as_str().unwrap().to_owned());
        }
        out
    };
    // 21:00 UTC on 22 December: already the 23rd in Réunion (UTC+4), still the 22nd in Paris.
    app.set_now(morning("2026-12-22") + chrono::Duration::hours(13));
    assert_eq!(app.tick().await, 1);
    let idec = app.login(IDEC).await;
    assert_eq!(kinds(&idec).await, ["S1", "S2"]);
    // Midnight in Paris.
    app.set_now(morning("2026-12-22") + chrono::Duration::hours(15));
    assert_eq!(app.tick().await, 1);
    assert_eq!(kinds(&idec).await, ["S2", "S2"]);
}

/// Two instances ticking at once over the same database (PostgreSQL in CI: row locks and the
/// conditional claim; SQLite: the single writer) open each sequence exactly once.
#[tokio::test]
async fn concurrent_ticks_apply_each_transition_once() {
    let (app, site, _pid, _eid) = enrolled().await;
    let mut body = app.enrolment(&site);
    for (i, name) in ["Durand", "Lefebvre", "Roux", "Fontaine"].iter().enumerate() {
        body["family_name"] = json!(name);
        body["phone"] = json!(format!("+3361234500{i}"));
        app.enrol(&site, body.clone()).await;
    }
    app.set_now(morning("2027-05-01"));
    let now = app.clock.now();
    let (a, b) = tokio::join!(
        relais_tests::relais_server::jobs::pathway::run_transitions(&app.state, now),
        relais_tests::relais_server::jobs::pathway::run_transitions(&app.state, now),
    );
    // Five patients, each S1 -> S2 -> automatic S2 renewal: ten transitions in all.
    assert_eq!(a.unwrap() + b.unwrap(), 10);
    assert_eq!(count(&app.state, "sequences").await, 15);
    assert_eq!(app.tick().await, 0);
}
