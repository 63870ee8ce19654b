use relais_tests::*;
use reqwest::StatusCode;

#[tokio::test]
async fn health_enrol_and_read_back() {
    let app = spawn_app().await;
    let h = app.call(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!((h.status, h.body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let site = app.seed_site().await;
    let (pid, eid, code) = app.enrol(&site, app.enrolment(&site)).await;
    assert_eq!(code.len(), 11);
    let p = app.get(&format!("/api/v1/patients/{pid}"), &site.idec.1).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.body["episode"]["id"], eid.as_str());
    assert_eq!(p.body["episode"]["sequence"]["kind"], "S1");
    assert_eq!(p.body["episode"]["sequence"]["planned_end_date"], "2026-12-23");
}
