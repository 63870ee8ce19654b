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
    let table = &body[body.find("id=\"statements\"").unwrap()..];
    assert_eq!(table[..table.find("</table>").unwrap()].matches("data-label=\"Destinataire\"").count(), recipients);
    assert!(body.contains("id=\"indicators\""), "the admin sees the indicators");
    assert!(
        body.contains("Questionnaires remplis (%)") && !body.contains("questionnaires_completion_percent"),
        "{body}"
    );

    // A month not yet closed says so; a malformed one names the problem.
    let future = admin.get(format!("{base}/staff/admin?month=2099-01")).send().await.unwrap().text().await.unwrap();
    assert!(future.contains("pas encore clôturé"), "{future}");
    let bad = admin.get(format!("{base}/staff/admin?month=janvier")).send().await.unwrap().text().await.unwrap();
    assert!(bad.contains("id=\"billing-note\">month :"), "{bad}");

    // The billing office sees the statements and the month's lines, not the indicators form.
    let billing = signed_in(base, "facturation@demo.relais.test").await;
    let body = billing.get(format!("{base}/staff/admin")).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("id=\"month-total\""));
    assert!(!body.contains("id=\"ind-title\""), "no indicators form for the billing office: {body}");
    assert!(!body.contains("id=\"operations\""), "nor the service's state");
    // It records a payment on an exported line, then cancels it (a credit line reverses it).
    let action = |verb: &str| {
        let at = body.find(&format!("/{verb}\" class=\"inline\"")).unwrap_or_else(|| panic!("a {verb} button: {body}"));
        let start = body[..at].rfind("/staff/admin/lines/").unwrap();
        body[start..at + verb.len() + 1].to_owned()
    };
    let paid = action("paid");
    let csrf = csrf(&body);
    let post = |path: String| {
        let billing = billing.clone();
        let csrf = csrf.clone();
        let month = month.clone();
        async move {
            billing
                .post(format!("{base}{path}"))
                .form(&[("csrf", csrf.as_str()), ("month", month.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let r = post(paid.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = billing.get(format!("{base}{}", r.headers()["location"].to_str().unwrap())).send().await.unwrap();
    let after = after.text().await.unwrap();
    assert!(after.contains("Paiement enregistré."), "{after}");
    let line = paid.trim_start_matches("/staff/admin/lines/").trim_end_matches("/paid").to_owned();
    let row = &after[after.find(&format!("data-line=\"{line}\"")).unwrap()..];
    assert!(row[..row.find("</tr>").unwrap()].contains("Payée"), "{row}");
    // Paying twice is refused and said so; nothing changes.
    let again = post(paid).await;
    let again = billing.get(format!("{base}{}", again.headers()["location"].to_str().unwrap())).send().await.unwrap();
    assert!(again.text().await.unwrap().contains("Action impossible"));
    let r = post(format!("/staff/admin/lines/{line}/cancel")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let lines: Value =
        billing.get(format!("{base}/api/v1/billing/lines?month={month}")).send().await.unwrap().json().await.unwrap();
    let credit = lines.as_array().unwrap().iter().find(|l| l["credit_of"] == line);
    assert!(credit.is_some_and(|c| c["amount_cents"].as_i64().unwrap() < 0), "a credit line reverses it: {lines}");

    // A nurse does not reach the page.
    let idec = signed_in(base, "idec@demo.relais.test").await;
    assert_eq!(idec.get(format!("{base}/staff/admin")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}

/// Issue 19: the administrator and the billing office switched to English read the page in
/// English — statements with amounts written with a decimal point, indicators by their English
/// names, the service's state, the lines' states and actions, the notes — and no French.
#[tokio::test]
async fn the_admin_page_reads_in_english_after_the_switch() {
    let app = spawn_app().await;
    relais_server::demo::seed(&app.state).await.expect("demo seeds");
    let base = &app.addr;
    for email in ["admin@demo.relais.test", "facturation@demo.relais.test"] {
        let who = signed_in(base, email).await;
        let french = who.get(format!("{base}/staff/admin")).send().await.unwrap().text().await.unwrap();
        let r = who
            .post(format!("{base}/staff/language"))
            .form(&[("csrf", csrf(&french).as_str()), ("locale", "en"), ("next", "/staff/admin")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let body = who.get(format!("{base}/staff/admin")).send().await.unwrap().text().await.unwrap();
        let body = body.replace("&#39;", "'");
        assert!(body.contains(r#"<html lang="en">"#), "{body}");
        // The month's total: the API's French amount, written with a decimal point.
        let at = body.find("<strong id=\"month-total\">").expect("the closed month") + 25;
        let total = body[at..].split(" €").next().unwrap();
        let fr_at = french.find("<strong id=\"month-total\">").unwrap() + 25;
        assert_eq!(total, french[fr_at..].split(" €").next().unwrap().replace(',', "."), "{body}");
        assert!(total.contains('.') && !total.contains(','), "{total}");
        for en in ["Billing and indicators", "Forfait statements", "Payee", "download the CSV", "Forfait lines of"] {
            assert!(body.contains(en), "{email}: {en} in {body}");
        }
        let mut french_words = vec!["Relevés", "Destinataire", "télécharger", "Afficher", "Pharmacie</td>", "Payée"];
        if email.starts_with("admin") {
            for en in ["Evaluation indicators", "Patients included", "Questionnaires completed (%)", "Service status"] {
                assert!(body.contains(en), "{email}: {en} in {body}");
            }
            french_words.extend(["Indicateurs", "Patients inclus", "Fonctionnement", "joignable", "mois 0 à 3"]);
            let future = who.get(format!("{base}/staff/admin?month=2099-01")).send().await.unwrap();
            assert!(future.text().await.unwrap().contains("This month is not closed yet."));
        } else {
            assert!(body.contains(">Mark paid</button>"), "{body}");
            french_words.push("Marquer");
        }
        for fr in french_words {
            assert!(!body.contains(fr), "{email}: French `{fr}` on the English page: {body}");
        }
    }
}
