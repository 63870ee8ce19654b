//! Dose occurrences, the durable due-work queue and push devices.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_all, fk, id, index, ref_col, ref_col_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("doses")
                .col(id())
                .col(ref_col("patient_id"))
                .col(ref_col("episode_id"))
                .col(ref_col("line_id"))
                .col(string("drug"))
                .col(date("local_date"))
                .col(string_len("local_time", 5))
                .col(timestamp_with_time_zone("due_at"))
                .col(string("status"))
                .col(timestamp_with_time_zone_null("reported_at"))
                .col(timestamp_with_time_zone_null("taken_at"))
                .col(boolean("late").default(false))
                .col(integer("reminders_sent").default(0))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("doses", "patient_id", "patients"))
                .foreign_key(&mut fk("doses", "episode_id", "episodes"))
                .foreign_key(&mut fk("doses", "line_id", "regimen_lines"))
                .take(),
            Table::create()
                .table("due_work")
                .col(id())
                .col(string("kind"))
                .col(ref_col("subject_id"))
                .col(timestamp_with_time_zone("due_at"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(string_null("lease_owner"))
                .col(timestamp_with_time_zone_null("done_at"))
                .col(string_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
            Table::create()
                .table("push_devices")
                .col(id())
                .col(ref_col_null("patient_id"))
                .col(ref_col_null("professional_id"))
                .col(string("kind"))
                .col(text_null("endpoint"))
                .col(string_null("p256dh"))
                .col(string_null("auth"))
                .col(text_null("fcm_token"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .take(),
        ];
        let indexes = vec![
            index("doses", "ux_doses_line_due", &["line_id", "due_at"], true),
            index("doses", "ix_doses_patient_date", &["patient_id", "local_date"], false),
            index("doses", "ix_doses_episode_date", &["episode_id", "local_date"], false),
            index("due_work", "ux_due_work_kind_subject_due", &["kind", "subject_id", "due_at"], true),
            index("due_work", "ix_due_work_due", &["done_at", "due_at"], false),
            index("push_devices", "ix_push_devices_patient", &["patient_id"], false),
            index("push_devices", "ix_push_devices_professional", &["professional_id"], false),
        ];
        create_all(m, tables, indexes).await
    }
}
