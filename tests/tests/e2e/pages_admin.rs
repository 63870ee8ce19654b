//! The administrator's page over plain HTTP: the demo's closed month shown with the same total
//! as the statements API, the indicators table, and the page refused to clinical roles.

use relais_tests::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;

fn csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a form with its CSRF token") + 19;
    body[at..].split('"').next().unwrap().to_owned()
}

/// A cookie-keeping client signed in through the login form with a demo account.
async fn signed_in(base: &str, email: &str) -> reqwest::Client {
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = http.get(format!("{base}/staff/login")).send().await.unwrap().text().await.unwrap();
    let password = relais_server::demo::PASSWORD;
    let r = http
        .post(format!("{base}/staff/login"))
        .form(&[("csrf", csrf(&form).as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} signs in");
    http
}

#[tokio::test]
async fn the_admin_page_shows_the_closed_month_and_the_indicators_to_admin_and_billing_only() {
    let app = spawn_app().await;
    relais_server::demo::seed(&app.state).await.expect("demo seeds");
    let base = &app.addr;

    let admin = signed_in(base, "admin@demo.relais.test").await;
    let page = admin.get(format!("{base}/staff/admin")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().await.unwrap();
    // The month shown is the previous one, which the demo closed; its total is the API's.
    let at =
        body.find("name=\"month\" type=\"text\" inputmode=\"numeric\" pattern=\"[0-9]{4}-[0-9]{2}\" value=\"").unwrap();
    let month: String = body[at..].split("value=\"").nth(1).unwrap().chars().take(7).collect();
    let api: Value =
        admin.get(format!("{base}/api/v1/billing/statements/{month}.json")).send().await.unwrap().json().await.unwrap();
    let total = api["total_eur"].as_str().expect("the month is closed");
    assert!(body.contains(&format!("<strong id=\"month-total\">{total} €</strong>")), "{body}");
    let recipients = api["statements"].as_array().unwrap().len();
    assert!(recipients >= 2, "{api}");
    assert_eq!(body.matches("data-label=\"Destinataire\"").count(), recipients);
    assert!(body.contains("id=\"indicators\""), "the admin sees the indicators");
    assert!(body.contains("questionnaires_completion_percent"));

    // A month not yet closed says so; a malformed one names the problem.
    let future = admin.get(format!("{base}/staff/admin?month=2099-01")).send().await.unwrap().text().await.unwrap();
    assert!(future.contains("pas encore clôturé"), "{future}");
    let bad = admin.get(format!("{base}/staff/admin?month=janvier")).send().await.unwrap().text().await.unwrap();
    assert!(bad.contains("id=\"billing-note\">month :"), "{bad}");

    // The billing office sees the statements but not the clinical indicators.
    let billing = signed_in(base, "facturation@demo.relais.test").await;
    let body = billing.get(format!("{base}/staff/admin")).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("id=\"month-total\""));
    assert!(body.contains("id=\"indicators-note\">Votre rôle ne donne pas accès"), "{body}");

    // A nurse does not reach the page.
    let idec = signed_in(base, "idec@demo.relais.test").await;
    assert_eq!(idec.get(format!("{base}/staff/admin")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}
