//! The demo seeds a living site: weeks of doses, questionnaires answered or missed, alerts
//! handled by the team, and a worklist that opens on a fresh red and some ambers.

use relais_tests::{spawn_app, staff_session};
use sea_orm::ConnectionTrait;

async fn scalar(app: &relais_tests::TestApp, sql: &str) -> i64 {
    let db = &app.state.db;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn the_demo_has_weeks_of_history_and_an_open_worklist() {
    let app = spawn_app().await;
    let summary = relais_server::demo::seed(&app.state).await.expect("demo seeds");
    assert_eq!(summary.patients, 13);

    // Doses over the six simulated weeks, with every outcome a chart needs.
    for status in ["taken", "missed", "skipped"] {
        let n = scalar(&app, &format!("SELECT COUNT(*) AS n FROM doses WHERE status = '{status}'")).await;
        assert!(n > 0, "no {status} dose in the demo");
    }
    let late = scalar(&app, "SELECT COUNT(*) AS n FROM doses WHERE late = true").await;
    assert!(late > 0, "no late dose");
    let taken = scalar(&app, "SELECT COUNT(*) AS n FROM doses WHERE status = 'taken'").await;
    assert!(taken >= 300, "only {taken} doses taken");

    // Questionnaires answered through the real intake, some missed.
    assert!(scalar(&app, "SELECT COUNT(*) AS n FROM reports WHERE colour = 'green'").await >= 20);
    assert!(scalar(&app, "SELECT COUNT(*) AS n FROM reports WHERE colour = 'amber'").await >= 3);
    assert!(scalar(&app, "SELECT COUNT(*) AS n FROM questionnaires WHERE status = 'missed'").await > 0);

    // The team's past work: alerts resolved with a confirmed grade.
    let resolved =
        scalar(&app, "SELECT COUNT(*) AS n FROM alerts WHERE status = 'resolved' AND confirmed_grade IS NOT NULL")
            .await;
    assert!(resolved >= 5, "only {resolved} resolved alerts");
    // The worklist opens on exactly one fresh red and some ambers, none of them overdue yet for red.
    let open_red = scalar(&app, "SELECT COUNT(*) AS n FROM alerts WHERE status = 'open' AND colour = 'red'").await;
    assert_eq!(open_red, 1);
    assert!(scalar(&app, "SELECT COUNT(*) AS n FROM alerts WHERE status = 'open' AND colour = 'amber'").await >= 1);
    let now = app.state.now();
    let red_deadline = scalar(
        &app,
        "SELECT COUNT(*) AS n FROM alerts WHERE status = 'open' AND colour = 'red' AND escalation_level = 0",
    )
    .await;
    assert_eq!(red_deadline, 1, "the fresh red was escalated before the demo opened (now {now})");
    // The pathway is billed and the last three months are closed into statements.
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM billing_closes").await, 3);
    assert!(scalar(&app, "SELECT COUNT(*) AS n FROM billing_lines WHERE state = 'exported'").await > 0);
    // Some sequences of each kind exist.
    for kind in ["S1", "S2", "S3"] {
        let n = scalar(&app, &format!("SELECT COUNT(*) AS n FROM sequences WHERE kind = '{kind}'")).await;
        assert!(n > 0, "no {kind} sequence");
    }

    // Each community pharmacist opens on the patients who need their pharmacy (issue 18).
    let expected: [(&str, &[&str]); 3] = [
        (
            "officine@demo.relais.test",
            &["Première dispensation à enregistrer", "Renouvellement en retard", "Interaction"],
        ),
        ("officine2@demo.relais.test", &["Renouvellement en retard", "avant la prochaine décision"]),
        ("officine3@demo.relais.test", &["Renouvellement en retard", "Interaction"]),
    ];
    for (email, flags) in expected {
        let (http, landing) = staff_session(&app.addr, email, relais_server::demo::PASSWORD).await;
        assert_eq!(landing, "/staff/pharmacy", "{email}");
        let page = http.get(format!("{}{landing}", app.addr)).send().await.unwrap().text().await.unwrap();
        for f in flags {
            assert!(page.contains(f), "{email}: no « {f} » on\n{page}");
        }
    }
    // One patient moved to another pharmacy mid-episode: two versions of the team, and the
    // new pharmacy was sent the hand-over sheet.
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM handover_sheets WHERE reason = 'team_change'").await, 1);
    let moved = scalar(
        &app,
        "SELECT COUNT(*) AS n FROM (SELECT episode_id FROM care_teams GROUP BY episode_id HAVING COUNT(*) = 2) t",
    )
    .await;
    assert_eq!(moved, 1);
    assert!(scalar(&app, "SELECT COUNT(*) AS n FROM dispensations").await >= 10);
}
