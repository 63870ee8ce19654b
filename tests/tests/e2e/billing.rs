//! Billing over three months with the injected clock: forfait lines from the pathway
//! (parcours A and B, a renewal, an early end, an inclusion error, a pharmacy change), monthly
//! closes, statements checked against the tariff totals, corrections after export as credits,
//! payments, access by role, and the pharmacists' interview ledger.

use relais_tests::relais_server::domain::billing::Month;
use relais_tests::relais_server::jobs::billing as job;
use relais_tests::relais_server::store;
use relais_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Published totals (docs/domain.md), in cents: [S1, S2, S3].
const A: [i64; 3] = [35700, 37200, 16900];
const B: [i64; 3] = [35800, 36200, 30700];
/// A test tariff version from 1 December 2026 (written into a rules directory below).
const A_DEC: [i64; 3] = [40000, 41000, 20000];

/// A copy of the repository's rules with a second tariff version valid from 2026-12-01 whose
/// parcours A totals are `A_DEC` (B unchanged); returns the directory.
fn rules_with_a_tariff_change() -> std::path::PathBuf {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("relais-rules-{}", uuid::Uuid::new_v4().simple()));
    copy(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config"), &dir);
    let path = dir.join("tariffs/onco-link.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text += "\n[[version]]\nid = \"2026-12-test\"\nvalid_from = \"2026-12-01\"\nsplit = \"placeholder\"\n";
    for (p, totals) in [("A", A_DEC), ("B", B)] {
        for (s, total) in ["S1", "S2", "S3"].iter().zip(totals) {
            let third = total / 3;
            text += &format!(
                "[version.{p}.{s}]\ntotal_cents = {total}\nshares = {{ hospital = {}, pharmacy = {third}, gp = {third} }}\n",
                total - 2 * third
            );
        }
    }
    std::fs::write(&path, text).unwrap();
    dir
}

fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

/// Sets the clock to 08:00 UTC on `date` and applies the sequence transitions due.
async fn on(app: &TestApp, date: &str) {
    app.set_now(morning(date));
    app.tick().await;
}

async fn close(app: &TestApp, m: &str) -> store::billing::Closed {
    job::close_month(&app.state, month(m)).await.expect("close")
}

async fn statement_json(app: &TestApp, token: &str, m: &str) -> Value {
    let a = app.get(&format!("/api/v1/billing/statements/{m}.json"), token).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    a.body
}

/// Reads a French amount (`-119,00`) without the server's code.
fn cents(s: &str) -> i64 {
    let (neg, body) = s.strip_prefix('-').map_or((false, s), |b| (true, b));
    let (units, dec) = body.split_once(',').expect("decimal comma");
    assert_eq!(dec.len(), 2, "{s}");
    let v = units.parse::<i64>().unwrap() * 100 + dec.parse::<i64>().unwrap();
    if neg { -v } else { v }
}

/// The CSV statement, parsed back: (header, rows split on `;`).
async fn statement_csv(app: &TestApp, token: &str, m: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let resp = app
        .http
        .get(format!("{}/api/v1/billing/statements/{m}.csv", app.addr))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = resp.text().await.unwrap();
    let mut rows = text.split("\r\n").filter(|r| !r.is_empty()).map(|r| r.split(';').map(str::to_owned).collect());
    (rows.next().unwrap(), rows.collect())
}

/// The CSV total, and the JSON total and per-recipient sums, all equal to `expected`.
async fn check_statement(app: &TestApp, token: &str, m: &str, expected: i64) -> Value {
    let s = statement_json(app, token, m).await;
    assert_eq!(s["total_cents"], expected, "{m}: {s}");
    let mut sum = 0;
    for st in s["statements"].as_array().unwrap() {
        let lines: i64 = st["lines"].as_array().unwrap().iter().map(|l| l["amount_cents"].as_i64().unwrap()).sum();
        assert_eq!(st["total_cents"], lines, "{m}: {st}");
        assert_eq!(cents(st["total_eur"].as_str().unwrap()), lines);
        sum += lines;
    }
    assert_eq!(sum, expected);
    let (header, rows) = statement_csv(app, token, m).await;
    assert_eq!(header[0], "mois");
    let amount = header.iter().position(|h| h == "montant_eur").expect("montant_eur column");
    assert!(rows.iter().all(|r| r.len() == header.len() && r[0] == m), "{rows:?}");
    assert_eq!(rows.iter().map(|r| cents(&r[amount])).sum::<i64>(), expected, "{m}: CSV total");
    s
}

fn lines_of<'a>(v: &'a Value, episode: &str) -> Vec<&'a Value> {
    v.as_array().unwrap().iter().filter(|l| l["episode_id"] == episode).collect()
}

#[tokio::test]
async fn three_months_of_forfaits_closed_month_by_month() {
    let rules = rules_with_a_tariff_change();
    let app = spawn_app_with(
        morning("2026-08-03"),
        &[("RELAIS__SECURITY__SESSION_TTL_HOURS", "20000"), ("RELAIS__RULES__DIR", rules.to_str().unwrap())],
    )
    .await;
    let site = app.seed_site().await;
    let admin = site.admin.1.clone();
    let idec = site.idec.1.clone();

    // P1, parcours A from 3 August: S1, S2 on 3 September, renewed automatically on 3 December;
    // it moves to the other pharmacy on 15 October.
    let (_, p1, _) = app.enrol(&site, app.enrolment(&site)).await;
    // P2, parcours B (lenalidomide, rétrocession) from 5 October; S2 on 5 November.
    on(&app, "2026-10-05").await;
    let mut body = app.enrolment(&site);
    body["episode"]["parcours"] = json!("B");
    body["episode"]["regimen"] = json!([{"drug": "lenalidomide", "dose": "25 mg", "times": ["08:00"],
                                         "cycle": {"on_days": 21, "off_days": 7}}]);
    let (_, p2, _) = app.enrol(&site, body).await;
    // P3, parcours A from 12 October, treatment stopped on 20 October: S1 stays billed.
    on(&app, "2026-10-12").await;
    let (_, p3, _) = app.enrol(&site, app.enrolment(&site)).await;
    on(&app, "2026-10-15").await;
    assert!(
        store::teams::change_community_pharmacy(
            &app.state.db,
            &p1,
            Some(site.other_pharmacy.as_str()),
            app.clock.now().date_naive(),
            app.clock.now()
        )
        .await
        .unwrap()
    );
    on(&app, "2026-10-20").await;
    assert_eq!(app.decide(&p3, &idec, "end", Some("treatment_stopped")).await.status, StatusCode::OK);

    // October, closed on 2 November: P1 S1 + S2 (earlier lines still due), P2 S1, P3 S1.
    on(&app, "2026-11-02").await;
    let oct = close(&app, "2026-10").await;
    assert!(oct.newly_closed);
    let oct_total = A[0] + A[1] + B[0] + A[0];
    assert_eq!(oct.total_cents, oct_total);
    let s = check_statement(&app, &admin, "2026-10", oct_total).await;
    let recipients: Vec<&str> =
        s["statements"].as_array().unwrap().iter().map(|s| s["recipient_identifier"].as_str().unwrap()).collect();
    assert!(recipients.contains(&"350000011") && recipients.contains(&"350001019"), "{recipients:?}");
    assert!(!recipients.contains(&"350001027"), "the new pharmacy gets nothing for sequences started before");

    // Closing twice changes nothing; syncing again creates nothing.
    let lines_before = count(&app.state, "billing_lines").await;
    let again = close(&app, "2026-10").await;
    assert!(!again.newly_closed);
    assert_eq!((again.lines, again.total_cents, again.closed_at), (oct.lines, oct.total_cents, oct.closed_at));
    let stats = job::sync(&app.state, app.clock.now()).await.unwrap();
    assert_eq!((stats.created, stats.credited, stats.cancelled, stats.failed), (0, 0, 0, 0));
    assert_eq!(count(&app.state, "billing_lines").await, lines_before);
    assert_eq!(check_statement(&app, &admin, "2026-10", oct_total).await, s);

    // A correction after export: P3's hospital share is cancelled → a credit line, never an edit.
    let all = app.get("/api/v1/billing/lines", &admin).await.body;
    let p3_hospital = lines_of(&all, &p3).into_iter().find(|l| l["actor"] == "hospital").unwrap().clone();
    assert_eq!(p3_hospital["state"], "exported");
    let id = p3_hospital["id"].as_str().unwrap();
    let a = app.post(&format!("/api/v1/billing/lines/{id}/cancel"), &admin, json!({})).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let credit =
        a.body["lines"].as_array().unwrap().iter().find(|l| l["amount_cents"].as_i64().unwrap() < 0).unwrap().clone();
    let share = p3_hospital["amount_cents"].as_i64().unwrap();
    assert_eq!(
        (credit["amount_cents"].as_i64().unwrap(), &credit["credit_of"], &credit["state"]),
        (-share, &json!(id), &json!("due"))
    );
    let after = app.get("/api/v1/billing/lines", &admin).await.body;
    let original = after.as_array().unwrap().iter().find(|l| l["id"] == id).unwrap();
    assert_eq!(original, &p3_hospital, "an exported line is never edited");
    let a = app.post(&format!("/api/v1/billing/lines/{id}/cancel"), &admin, json!({})).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{:?}", a.body);
    assert_eq!(job::sync(&app.state, app.clock.now()).await.unwrap().created, 0, "the cancelled share stays cancelled");

    // Payments: once, and only for exported lines.
    let p1_hospital = lines_of(&all, &p1).into_iter().find(|l| l["actor"] == "hospital").unwrap()["id"].clone();
    let pay = format!("/api/v1/billing/lines/{}/paid", p1_hospital.as_str().unwrap());
    let a = app.post(&pay, &admin, json!({})).await;
    assert_eq!((a.status, &a.body["state"]), (StatusCode::OK, &json!("paid")), "{:?}", a.body);
    assert_eq!(app.post(&pay, &admin, json!({})).await.status, StatusCode::CONFLICT);
    let credit_pay = format!("/api/v1/billing/lines/{}/paid", credit["id"].as_str().unwrap());
    assert_eq!(app.post(&credit_pay, &admin, json!({})).await.status, StatusCode::CONFLICT, "not exported yet");

    // P4: an inclusion error cancelled on its start day is never billed.
    on(&app, "2026-11-09").await;
    let (_, p4, _) = app.enrol(&site, app.enrolment(&site)).await;
    assert_eq!(app.decide(&p4, &idec, "end", Some("inclusion_error")).await.status, StatusCode::OK);

    // November, closed on 1 December: P2's S2 and the credit.
    on(&app, "2026-12-01").await;
    let nov_total = B[1] - share;
    assert_eq!(close(&app, "2026-11").await.total_cents, nov_total);
    check_statement(&app, &admin, "2026-11", nov_total).await;

    // December, closed on 2 January: P1's renewed S2, priced by the tariff in force on 3
    // December (a tariff change mid-episode), its pharmacy share to the new pharmacy.
    on(&app, "2026-12-03").await;
    on(&app, "2027-01-02").await;
    let dec_total = A_DEC[1];
    assert_eq!(close(&app, "2026-12").await.total_cents, dec_total);
    check_statement(&app, &admin, "2026-12", dec_total).await;

    let all = app.get("/api/v1/billing/lines", &admin).await.body;
    assert!(lines_of(&all, &p4).is_empty(), "inclusion error: no line");
    let renewal: Vec<&Value> =
        lines_of(&all, &p1).into_iter().filter(|l| l["renewal_index"] == 1 && l["sequence"] == "S2").collect();
    assert_eq!(renewal.len(), 3);
    assert!(renewal.iter().all(|l| l["tariff_version"] == "2026-12-test"), "{renewal:?}");
    assert!(
        lines_of(&all, &p1).iter().filter(|l| l["renewal_index"] == 0).all(|l| l["tariff_version"] == "2021-10-pilot")
    );
    let pharmacy = renewal.iter().find(|l| l["actor"] == "pharmacy").unwrap();
    assert_eq!((&pharmacy["actor_identifier"], &pharmacy["statement_month"]), (&json!("350001027"), &json!("2026-12")));
    assert_eq!(lines_of(&all, &p2).iter().map(|l| l["amount_cents"].as_i64().unwrap()).sum::<i64>(), B[0] + B[1]);
    assert!(lines_of(&all, &p2).iter().all(|l| l["parcours"] == "B"));

    // A pharmacist sees only its pharmacy's lines; other staff no billing at all.
    let mine = app.get("/api/v1/billing/lines", &site.community_pharmacist.1).await;
    assert_eq!(mine.status, StatusCode::OK);
    let mine = mine.body.as_array().unwrap().clone();
    assert_eq!(mine.len(), 5, "P1 S1, P1 S2, P2 S1, P2 S2, P3 S1: {mine:?}");
    assert!(mine.iter().all(|l| l["actor"] == "pharmacy" && l["actor_identifier"] == "350001019"));
    let theirs = statement_json(&app, &site.other_community_pharmacist.1, "2026-12").await;
    assert_eq!(theirs["statements"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["statements"][0]["recipient_identifier"], "350001027");
    assert_eq!(statement_json(&app, &site.other_community_pharmacist.1, "2026-10").await["total_cents"], 0);
    let gp = app.get("/api/v1/billing/lines?actor=hospital", &site.gp.1).await;
    assert_eq!(gp.body.as_array().unwrap().len(), 0, "a GP sees only GP lines");
    assert_eq!(app.get("/api/v1/billing/lines", &idec).await.status, StatusCode::FORBIDDEN);
    let pay = app
        .post(
            &format!("/api/v1/billing/lines/{}/paid", mine[0]["id"].as_str().unwrap()),
            &site.community_pharmacist.1,
            json!({}),
        )
        .await;
    assert_eq!(pay.status, StatusCode::FORBIDDEN);

    // Bad months.
    for path in [
        "/api/v1/billing/lines?month=2026-13",
        "/api/v1/billing/statements/2026-1.csv",
        "/api/v1/billing/statements/december.json",
    ] {
        let a = app.get(path, &admin).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "month"), "{path}: {:?}", a.body);
    }
    assert_eq!(
        app.get("/api/v1/billing/statements/2027-01.json", &admin).await.status,
        StatusCode::NOT_FOUND,
        "not closed"
    );
    assert!(matches!(job::close_month(&app.state, month("2027-01")).await, Err(job::CloseError::NotOver(_))));
    drop(app);
    std::fs::remove_dir_all(rules).unwrap();
}

#[tokio::test]
async fn interviews_make_codes_due_apart_from_the_forfaits() {
    let app = spawn_app_with(morning("2026-11-02"), &[("RELAIS__SECURITY__SESSION_TTL_HOURS", "20000")]).await;
    let site = app.seed_site().await;
    let (_, ep, _) = app.enrol(&site, app.enrolment(&site)).await;
    let pharmacist = &site.community_pharmacist.1;
    let app = &app;
    let record = |kind: &'static str, day: &'static str, treatment: Option<&'static str>| {
        let body = json!({"episode_id": ep, "kind": kind, "on": day, "treatment": treatment});
        async move { app.post("/api/v1/interviews", pharmacist, body).await }
    };
    let a = record("initial", "2026-11-02", None).await;
    assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, "treatment"), "{:?}", a.body);
    let a = record("initial", "2026-11-02", Some("other")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(a.body["new_codes"], 1, "TAC at adhesion");
    assert_eq!(record("adherence", "2026-11-02", None).await.body["new_codes"], 0);
    let a = record("daily_life_and_side_effects", "2026-11-02", None).await;
    assert_eq!(a.body["new_codes"], 1, "the first year's interviews are done: AC2");
    let codes = app.get("/api/v1/interviews/codes", pharmacist).await.body;
    let mut codes: Vec<(&str, i64)> = codes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap(), c["amount_cents"].as_i64().unwrap()))
        .collect();
    codes.sort();
    assert_eq!(codes, [("AC2", 8000), ("TAC", 1)]);
    assert_eq!(app.get("/api/v1/interviews/codes", &site.other_community_pharmacist.1).await.body, json!([]));
    assert_eq!(app.get("/api/v1/interviews/codes", &site.admin.1).await.body.as_array().unwrap().len(), 2);
    let a = app.post("/api/v1/interviews", &site.idec.1, json!({"episode_id": ep, "kind": "initial"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // Never mixed into the forfaits.
    job::sync(&app.state, app.clock.now()).await.unwrap();
    let lines = app.get("/api/v1/billing/lines", &site.admin.1).await.body;
    assert_eq!(lines.as_array().unwrap().iter().map(|l| l["amount_cents"].as_i64().unwrap()).sum::<i64>(), A[0]);
}

/// The billing office claims each forfait for a patient: on its establishment's statement each
/// line names them (the INS when known, else name and birth date), nothing clinical, and every
/// patient so shown gets an audit line. Admins, pharmacies and GPs read the same statements
/// without any identity.
#[tokio::test]
async fn the_billing_office_reads_who_each_forfait_is_for_and_only_it() {
    let app = spawn_app_with(morning("2026-10-05"), &[("RELAIS__SECURITY__SESSION_TTL_HOURS", "2000")]).await;
    let site = app.seed_site().await;
    let mut with_ins = app.enrolment(&site);
    with_ins["ins"] = json!("184037645108996");
    let (p1, e1, _) = app.enrol(&site, with_ins).await;
    let (p2, e2, _) = app.enrol(&site, app.enrolment(&site)).await;
    on(&app, "2026-11-02").await;
    close(&app, "2026-10").await;

    let billing = site.billing.1.clone();
    let s = statement_json(&app, &billing, "2026-10").await;
    let lines: Vec<&Value> =
        s["statements"].as_array().unwrap().iter().flat_map(|s| s["lines"].as_array().unwrap()).collect();
    assert!(lines.len() >= 4, "{s}");
    for l in &lines {
        let who = &l["patient"];
        if l["episode_id"] == json!(e1) {
            assert_eq!(who, &json!({"ins": "184037645108996"}), "the INS alone when known: {l}");
        } else {
            assert_eq!(l["episode_id"], json!(e2));
            assert_eq!(
                who,
                &json!({"family_name": "Martin", "given_name": "Claire", "birth_date": "1961-04-12"}),
                "{l}"
            );
        }
        for clinical in ["drug", "regimen", "grade", "dose"] {
            assert!(l.get(clinical).is_none(), "nothing clinical on a statement: {l}");
        }
    }
    let (header, rows) = statement_csv(&app, &billing, "2026-10").await;
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let (ins, family, born, episode) =
        (col("patient_ins"), col("patient_nom"), col("patient_date_naissance"), col("episode_id"));
    for r in &rows {
        if r[episode] == e1 {
            assert_eq!((r[ins].as_str(), r[family].as_str()), ("184037645108996", ""), "{r:?}");
        } else {
            assert_eq!((r[ins].as_str(), r[family].as_str(), r[born].as_str()), ("", "Martin", "1961-04-12"), "{r:?}");
        }
    }
    // Two reads (JSON, CSV), each audited once per patient shown.
    for p in [&p1, &p2] {
        let n = count(
            &app.state,
            &format!(
                "audit_log WHERE action = 'read_billing_identity' AND patient_id = '{p}' AND actor_id = '{}'",
                site.billing.0
            ),
        )
        .await;
        assert_eq!(n, 2, "patient {p}");
    }

    // Others read statements without identities, and leave no such audit line.
    for token in [&site.admin.1, &site.community_pharmacist.1, &site.gp.1] {
        let s = statement_json(&app, token, "2026-10").await;
        for st in s["statements"].as_array().unwrap() {
            for l in st["lines"].as_array().unwrap() {
                assert!(l.get("patient").is_none(), "{l}");
            }
        }
        let (header, rows) = statement_csv(&app, token, "2026-10").await;
        let ins = header.iter().position(|h| h == "patient_ins").unwrap();
        assert!(rows.iter().all(|r| r[ins..].iter().all(String::is_empty)), "{rows:?}");
    }
    assert_eq!(count(&app.state, "audit_log WHERE action = 'read_billing_identity'").await, 4);
}
