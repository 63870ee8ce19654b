//! The pharmacists' records around the hand-over (issue 18, docs/domain.md "Pharmaceutical
//! interview and medication reconciliation"): the Onco'Link interview at dispensation and the
//! medication reconciliation, through the API and the patient page's forms, with the same
//! action behind both; the avenant-21 interview ledger recorded from the page; who may record
//! (the dispensing pharmacist, the hospital pharmacist), who may read (the team), bad input
//! refused naming the field with nothing written.

use relais_tests::*;
use reqwest::StatusCode;
use serde_json::json;

fn interviews(eid: &str) -> String {
    format!("/api/v1/episodes/{eid}/pharmacy-interviews")
}

fn reconciliation(eid: &str) -> String {
    format!("/api/v1/episodes/{eid}/reconciliation")
}

async fn browser(app: &TestApp, email: &str) -> reqwest::Client {
    staff_session(&app.addr, email, PASSWORD).await.0
}

async fn post_form(app: &TestApp, http: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let r = http.post(format!("{}{path}", app.addr)).form(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn audited(app: &TestApp, entity: &str) -> i64 {
    count(&app.state, &format!("audit_log WHERE entity = '{entity}' AND action = 'create'")).await
}

#[tokio::test]
async fn the_dispensing_pharmacist_records_an_interview_the_team_reads_it_and_bad_input_names_the_field() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (_, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let body = json!({"done_on": "2026-11-02", "topics": ["when_to_call", "dosing_and_times"], "minutes": 25,
                      "note": "Patiente anxieuse, revoir les horaires au prochain passage."});
    let a = app.post(&interviews(&eid), &site.community_pharmacist.1, body.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    // Topics come back in the list's order, with their French labels.
    assert_eq!(a.body["topics"][0]["key"], "dosing_and_times");
    assert_eq!(a.body["topics"][1]["label"], "Quand appeler l'équipe");
    assert_eq!(a.body["minutes"], 25);
    assert_eq!(audited(&app, "pharmacy_interview").await, 1);

    // Who may not: the GP and (parcours A) the hospital pharmacist 403; another pharmacy 404.
    for (who, token, status) in [
        ("the GP", &site.gp.1, StatusCode::FORBIDDEN),
        ("the hospital pharmacist in parcours A", &site.hospital_pharmacist.1, StatusCode::FORBIDDEN),
        ("another pharmacy", &site.other_community_pharmacist.1, StatusCode::NOT_FOUND),
        ("another establishment's IDEC", &site.other_idec.1, StatusCode::NOT_FOUND),
    ] {
        let a = app.post(&interviews(&eid), token, body.clone()).await;
        assert_eq!(a.status, status, "{who}: {:?}", a.body);
    }
    // Bad input: 422 naming the field.
    let long = "x".repeat(2001);
    for (field, patch) in [
        ("done_on", json!({"done_on": "2026-11-03"})),
        ("done_on", json!({"done_on": "03/11/2026"})),
        ("minutes", json!({"minutes": 0})),
        ("minutes", json!({"minutes": 181})),
        ("topics", json!({"topics": []})),
        ("topics[1]", json!({"topics": ["adherence", "weather"]})),
        ("note", json!({"note": long})),
    ] {
        let mut b = body.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let a = app.post(&interviews(&eid), &site.community_pharmacist.1, b).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{patch}: {:?}", a.body);
    }
    assert_eq!(count(&app.state, "pharmacy_interviews").await, 1, "nothing written by a refusal");

    // The team reads it (the IDEC, the GP); a stranger gets 404.
    let list = app.get(&interviews(&eid), &site.gp.1).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["interviews"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["interviews"][0]["note"], "Patiente anxieuse, revoir les horaires au prochain passage.");
    assert_eq!(app.get(&interviews(&eid), &site.other_community_pharmacist.1).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_hospital_pharmacist_reconciles_the_community_reads_it_and_the_next_handover_sheet_carries_it() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let body = json!({
        "reconciled_on": "2026-11-02",
        "medications": [
            {"name": "Kardégic", "dosage": "75 mg le midi", "decision": "continue"},
            {"name": "Millepertuis", "dosage": "2 gélules par jour", "decision": "stop",
             "decision_note": "inducteur enzymatique"},
            {"name": "Oméprazole", "dosage": "20 mg le matin", "decision": "adjust", "decision_note": "espacer de la prise"}
        ],
        "discrepancies": ["Millepertuis absent de l'ordonnance de ville"]
    });
    let a = app.post(&reconciliation(&eid), &site.hospital_pharmacist.1, body.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(a.body["medications"][1]["decision"], "stop");
    assert_eq!(audited(&app, "medication_reconciliation").await, 1);
    for (who, token, status) in [
        ("the community pharmacist", &site.community_pharmacist.1, StatusCode::FORBIDDEN),
        ("the GP", &site.gp.1, StatusCode::FORBIDDEN),
        ("the IDEC", &site.idec.1, StatusCode::FORBIDDEN),
        ("another pharmacy", &site.other_community_pharmacist.1, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.post(&reconciliation(&eid), token, body.clone()).await.status, status, "{who}");
    }
    for (field, patch) in [
        ("reconciled_on", json!({"reconciled_on": "2026-11-03"})),
        ("medications", json!({"medications": []})),
        ("medications[0].decision", json!({"medications": [{"name": "A", "dosage": "1/j", "decision": "keep"}]})),
        (
            "medications[0].decision_note",
            json!({"medications": [{"name": "A", "dosage": "1/j", "decision": "adjust"}]}),
        ),
        ("medications[0].dosage", json!({"medications": [{"name": "A", "dosage": " ", "decision": "stop"}]})),
    ] {
        let mut b = body.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let a = app.post(&reconciliation(&eid), &site.hospital_pharmacist.1, b).await;
        assert_eq!((a.status, a.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{patch}: {:?}", a.body);
    }
    assert_eq!(count(&app.state, "medication_reconciliations").await, 1);
    // Read-only for the community pharmacist, and on the patient page without the form.
    let list = app.get(&reconciliation(&eid), &site.community_pharmacist.1).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["reconciliations"][0]["discrepancies"][0], "Millepertuis absent de l'ordonnance de ville");
    let http = browser(&app, "officine@a.test").await;
    let (_, body) = page(&app, &http, &format!("/staff/patients/{pid}")).await;
    assert!(body.contains("Millepertuis") && body.contains("arrêter") && body.contains("inducteur enzymatique"));
    assert!(!body.contains("id=\"reconciliation-form\""), "the community pharmacist reads, does not record");
    // A GP named late brings a new version of the hand-over sheet: it carries the reconciliation.
    let team = app
        .post(
            &format!("/api/v1/episodes/{eid}/team"),
            &site.idec.1,
            json!({"effective_date": "2026-11-02", "gp": site.other_gp.0}),
        )
        .await;
    assert_eq!(team.status, StatusCode::OK, "{:?}", team.body);
    let (status, sheet) = page(&app, &http, &format!("/staff/patients/{pid}/handover")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet.contains("id=\"handover-reconciliation\"") && sheet.contains("Oméprazole"), "{sheet}");
    assert!(sheet.contains("adapter : espacer de la prise"), "{sheet}");
}

#[tokio::test]
async fn the_patient_page_records_an_interview_a_reconciliation_and_an_ac_interview_through_its_forms() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let url = format!("/staff/patients/{pid}");

    // The community pharmacist: the interview form and the AC ledger, not the reconciliation form.
    let http = browser(&app, "officine@a.test").await;
    let (_, body) = page(&app, &http, &url).await;
    assert!(body.contains("id=\"pharmacy-interview-form\"") && body.contains("id=\"ac-form\""), "{body}");
    assert!(!body.contains("id=\"reconciliation-form\""));
    let csrf = csrf_of(&body);
    let path = format!("{url}/pharmacy-interviews");
    // No topic ticked: refused in French, naming the field; nothing written.
    let (status, text) = post_form(
        &app,
        &http,
        &path,
        &[("csrf", csrf.as_str()), ("done_on", "2026-11-02"), ("minutes", "20"), ("note", "")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("Entretien refusé (thèmes abordés)"), "{text}");
    assert_eq!(count(&app.state, "pharmacy_interviews").await, 0);
    let (status, _) = post_form(
        &app,
        &http,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("done_on", "2026-11-02"),
            ("topics", "side_effects"),
            ("topics", "storage_handling"),
            ("minutes", "30"),
            ("note", "Gants pour manipuler les comprimés."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, body) = page(&app, &http, &format!("{url}?done=pharmacy_interview")).await;
    assert!(body.contains("Entretien pharmaceutique enregistré"), "{body}");
    assert!(body.contains("Effets indésirables et conduite à tenir ; Conservation et manipulation"), "{body}");
    let api = app.get(&interviews(&eid), &site.idec.1).await;
    assert_eq!(api.body["interviews"][0]["minutes"], 30, "the form's interview is the API's");

    // The avenant-21 ledger: the first interview opens the accompaniment and makes TAC due.
    assert!(body.contains("Aucun code dû"));
    let (status, _) = post_form(
        &app,
        &http,
        &format!("{url}/interviews"),
        &[("csrf", csrf.as_str()), ("kind", "initial"), ("on", "2026-11-02"), ("treatment", "other")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, body) = page(&app, &http, &url).await;
    assert!(body.contains("Adhésion le 2 nov. 2026") && body.contains("<td data-label=\"Code\">TAC</td>"), "{body}");
    let codes = app.get("/api/v1/interviews/codes", &site.community_pharmacist.1).await;
    assert_eq!(codes.body[0]["code"], "TAC", "{:?}", codes.body);
    let (status, text) = post_form(
        &app,
        &http,
        &format!("{url}/interviews"),
        &[("csrf", csrf.as_str()), ("kind", "adherence"), ("on", "2026-11-09")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("Entretien AC refusé (date)"), "{text}");
    // The GP records neither, by the API either.
    let gp = app.post("/api/v1/interviews", &site.gp.1, json!({"episode_id": eid, "kind": "adherence"})).await;
    assert_eq!(gp.status, StatusCode::FORBIDDEN);

    // The hospital pharmacist: the reconciliation form.
    let http = browser(&app, "pui@a.test").await;
    let (_, body) = page(&app, &http, &url).await;
    assert!(body.contains("id=\"reconciliation-form\"") && !body.contains("id=\"ac-form\""), "{body}");
    let csrf = csrf_of(&body);
    let path = format!("{url}/reconciliation");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("reconciled_on", "2026-11-02"),
        ("med_name_0", "Kardégic"),
        ("med_dosage_0", "75 mg le midi"),
        ("med_decision_0", "continue"),
        ("med_name_1", "Oméprazole"),
        ("med_dosage_1", "20 mg le matin"),
        ("med_decision_1", "adjust"),
        ("discrepancies", "Oméprazole non déclaré\r\n\r\n"),
    ];
    let (status, text) = post_form(&app, &http, &path, &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text.contains("Conciliation refusée (médicament 2, précision de la décision)"), "{text}");
    assert_eq!(count(&app.state, "medication_reconciliations").await, 0);
    form.push(("med_note_1", "à prendre 2 h après"));
    let (status, _) = post_form(&app, &http, &path, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let api = app.get(&reconciliation(&eid), &site.gp.1).await;
    assert_eq!(api.body["reconciliations"][0]["medications"][1]["decision_note"], "à prendre 2 h après");
    assert_eq!(api.body["reconciliations"][0]["discrepancies"], json!(["Oméprazole non déclaré"]));
    // The GP sees both records, without their forms.
    let (_, body) = page(&app, &browser(&app, "gp@a.test").await, &url).await;
    assert!(body.contains("Kardégic") && body.contains("Conservation et manipulation"), "{body}");
    assert!(!body.contains("id=\"reconciliation-form\"") && !body.contains("id=\"pharmacy-interview-form\""));
    assert!(!body.contains("id=\"ac-form\""));
}

/// In parcours B the hospital pharmacy dispenses (rétrocession): the hospital pharmacist holds
/// the interview, the community pharmacist of the team may not record it but reads it.
#[tokio::test]
async fn in_parcours_b_the_hospital_pharmacist_records_the_interview() {
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let mut body = app.enrolment(&site);
    body["episode"]["parcours"] = json!("B");
    body["episode"]["regimen"] = json!([{"drug": "lenalidomide", "dose": "25 mg", "times": ["08:00"],
                                         "cycle": {"on_days": 21, "off_days": 7}}]);
    let (_, eid, _) = app.enrol(&site, body).await;
    let interview = json!({"done_on": "2026-11-02", "topics": ["storage_handling"], "minutes": 40});
    let a = app.post(&interviews(&eid), &site.community_pharmacist.1, interview.clone()).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{:?}", a.body);
    let a = app.post(&interviews(&eid), &site.hospital_pharmacist.1, interview).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    let list = app.get(&interviews(&eid), &site.community_pharmacist.1).await;
    assert_eq!(list.body["interviews"][0]["topics"][0]["label"], "Conservation et manipulation");
}

/// A stored list that does not read back (a topic the list does not know, a decision edited by
/// hand) is an error naming the row, never an interview or a reconciliation shown without it.
#[tokio::test]
async fn a_stored_record_that_does_not_read_back_is_an_error_never_a_default() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app_at(morning("2026-11-02")).await;
    let site = app.seed_site().await;
    let (pid, eid, _) = app.enrol(&site, app.enrolment(&site)).await;
    let a = app
        .post(
            &interviews(&eid),
            &site.community_pharmacist.1,
            json!({"done_on": "2026-11-02", "topics": ["adherence"], "minutes": 10}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let a = app
        .post(
            &reconciliation(&eid),
            &site.hospital_pharmacist.1,
            json!({"reconciled_on": "2026-11-02", "medications": [{"name": "A", "dosage": "1/j", "decision": "stop"}]}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let db = &app.state.db;
    db.execute_unprepared(r#"UPDATE pharmacy_interviews SET topics = '["weather"]'"#).await.unwrap();
    db.execute_unprepared(
        r#"UPDATE medication_reconciliations SET medications = '[{"name": "A", "dosage": "1/j", "decision": "pause", "decision_note": null}]'"#,
    )
    .await
    .unwrap();
    for path in [interviews(&eid), reconciliation(&eid)] {
        let a = app.get(&path, &site.idec.1).await;
        assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}: {:?}", a.body);
    }
    let (status, _) = page(&app, &browser(&app, "idec@a.test").await, &format!("/staff/patients/{pid}")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}
