//! Questionnaire instances, symptom reports with their provisional grades, and alerts with
//! their recipients and history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_all, fk, id, index, ref_col, ref_col_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("questionnaires")
                .col(id())
                .col(ref_col("patient_id"))
                .col(ref_col("episode_id"))
                .col(date("local_date"))
                .col(timestamp_with_time_zone("due_at"))
                .col(string("status"))
                .col(ref_col_null("report_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("questionnaires", "patient_id", "patients"))
                .foreign_key(&mut fk("questionnaires", "episode_id", "episodes"))
                .take(),
            Table::create()
                .table("reports")
                .col(id())
                .col(ref_col("patient_id"))
                .col(ref_col("episode_id"))
                .col(ref_col_null("questionnaire_id"))
                .col(string_len("client_id", 36))
                .col(text("answers"))
                .col(string("sequence"))
                .col(string("colour"))
                .col(text("result"))
                .col(timestamp_with_time_zone("submitted_at"))
                .foreign_key(&mut fk("reports", "patient_id", "patients"))
                .foreign_key(&mut fk("reports", "episode_id", "episodes"))
                .take(),
            Table::create()
                .table("symptom_grades")
                .col(id())
                .col(ref_col("report_id"))
                .col(ref_col("episode_id"))
                .col(string("symptom"))
                .col(integer("grade"))
                .col(string("colour"))
                .col(text("reasons"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("symptom_grades", "report_id", "reports"))
                .take(),
            Table::create()
                .table("alerts")
                .col(id())
                .col(ref_col("patient_id"))
                .col(ref_col("episode_id"))
                .col(ref_col("establishment_id"))
                .col(string("topic"))
                .col(string("colour"))
                .col(string("status"))
                .col(integer_null("provisional_grade"))
                .col(integer_null("confirmed_grade"))
                .col(text("reasons"))
                .col(string_null("note"))
                .col(ref_col_null("last_report_id"))
                .col(timestamp_with_time_zone("opened_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone("deadline_at"))
                .col(integer_null("escalate_every_minutes"))
                .col(boolean("escalate_to_backup").default(false))
                .col(timestamp_with_time_zone_null("next_escalation_at"))
                .col(integer("escalation_level").default(0))
                .col(timestamp_with_time_zone_null("acknowledged_at"))
                .col(ref_col_null("acknowledged_by"))
                .col(timestamp_with_time_zone_null("resolved_at"))
                .col(ref_col_null("resolved_by"))
                .col(text_null("resolution_note"))
                .foreign_key(&mut fk("alerts", "patient_id", "patients"))
                .foreign_key(&mut fk("alerts", "episode_id", "episodes"))
                .take(),
            Table::create()
                .table("alert_recipients")
                .col(id())
                .col(ref_col("alert_id"))
                .col(ref_col("professional_id"))
                .col(string("role"))
                .col(boolean("informed_only").default(false))
                .col(timestamp_with_time_zone("added_at"))
                .foreign_key(&mut fk("alert_recipients", "alert_id", "alerts"))
                .foreign_key(&mut fk("alert_recipients", "professional_id", "professionals"))
                .take(),
            Table::create()
                .table("alert_events")
                .col(id())
                .col(ref_col("alert_id"))
                .col(timestamp_with_time_zone("at"))
                .col(string("kind"))
                .col(string("actor_kind"))
                .col(ref_col_null("actor_id"))
                .col(text("detail"))
                .foreign_key(&mut fk("alert_events", "alert_id", "alerts"))
                .take(),
        ];
        let indexes = vec![
            index("questionnaires", "ux_questionnaires_episode_date", &["episode_id", "local_date"], true),
            index("questionnaires", "ix_questionnaires_patient_status", &["patient_id", "status"], false),
            index("reports", "ux_reports_patient_client", &["patient_id", "client_id"], true),
            index("reports", "ix_reports_episode", &["episode_id", "submitted_at"], false),
            index("symptom_grades", "ix_symptom_grades_episode", &["episode_id", "symptom"], false),
            index("alerts", "ix_alerts_patient_topic", &["patient_id", "topic", "status"], false),
            index("alerts", "ix_alerts_escalation", &["status", "next_escalation_at"], false),
            index("alerts", "ix_alerts_establishment", &["establishment_id", "status"], false),
            index("alert_recipients", "ux_alert_recipients", &["alert_id", "professional_id"], true),
            index("alert_recipients", "ix_alert_recipients_professional", &["professional_id"], false),
            index("alert_events", "ix_alert_events_alert", &["alert_id", "at"], false),
        ];
        create_all(m, tables, indexes).await
    }
}
