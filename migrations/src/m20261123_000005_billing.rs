//! Onco'Link billing: forfait lines with their evidence, the monthly closes, the
//! forfait shares cancelled by hand, and the pharmacists' interview ledger (kept apart).

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_all, fk, id, index, ref_col, ref_col_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("billing_lines")
                .col(id())
                // `{sequence_id}:{actor}`, `…:r{n}` or `…:credit:{n}`: re-running the sync finds it.
                .col(string_uniq("line_key"))
                .col(ref_col("episode_id"))
                .col(ref_col("sequence_id"))
                // The establishment of the episode: whose billing office sees the line.
                .col(ref_col("establishment_id"))
                .col(string("actor"))
                // The actor's own id: establishment, pharmacy or GP professional (null: unassigned).
                .col(ref_col_null("actor_id"))
                // Its national identifier: FINESS (establishment, pharmacy) or RPPS (GP).
                .col(string_len_null("actor_identifier", 11))
                .col(string_len("parcours", 1))
                .col(string_len("sequence_kind", 2))
                .col(integer("renewal_index"))
                .col(string("tariff_version"))
                // Integer cents; negative for a credit.
                .col(big_integer("amount_cents"))
                // The sequence's start date.
                .col(date("service_date"))
                .col(string_len_null("pharmacy_at_start", 9))
                .col(string("state"))
                .col(ref_col_null("credit_of"))
                .col(string_len_null("statement_month", 7))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("exported_at"))
                .col(timestamp_with_time_zone_null("paid_at"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .foreign_key(&mut fk("billing_lines", "episode_id", "episodes"))
                .foreign_key(&mut fk("billing_lines", "sequence_id", "sequences"))
                .foreign_key(&mut fk("billing_lines", "establishment_id", "establishments"))
                .foreign_key(&mut fk("billing_lines", "credit_of", "billing_lines"))
                .take(),
            Table::create()
                .table("billing_closes")
                .col(string_len("month", 7).primary_key().take())
                .col(timestamp_with_time_zone("closed_at"))
                .col(integer("lines"))
                .col(big_integer("total_cents"))
                .take(),
            Table::create()
                .table("billing_waivers")
                .col(id())
                // `{sequence_id}:{actor}`: this share is not billed (it was cancelled by hand).
                .col(string_uniq("base_key"))
                .col(ref_col("episode_id"))
                .col(ref_col("line_id"))
                .col(ref_col("by_id"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("billing_waivers", "episode_id", "episodes"))
                .take(),
            Table::create()
                .table("interview_accompaniments")
                .col(id())
                .col(ref_col("patient_id"))
                .col(ref_col("episode_id"))
                .col(ref_col("establishment_id"))
                .col(ref_col("pharmacy_id"))
                .col(string("treatment"))
                .col(date("adhesion_date"))
                .col(boolean("overseas").default(false))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("interview_accompaniments", "patient_id", "patients"))
                .foreign_key(&mut fk("interview_accompaniments", "pharmacy_id", "pharmacies"))
                .take(),
            Table::create()
                .table("pharmacist_interviews")
                .col(id())
                .col(ref_col("accompaniment_id"))
                .col(ref_col("episode_id"))
                .col(string("kind"))
                .col(date("done_on"))
                .col(ref_col("recorded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("pharmacist_interviews", "accompaniment_id", "interview_accompaniments"))
                .take(),
            Table::create()
                .table("interview_codes")
                .col(id())
                // `{accompaniment_id}:{code}:{cycle}`.
                .col(string_uniq("code_key"))
                .col(ref_col("accompaniment_id"))
                .col(ref_col("pharmacy_id"))
                .col(string("code"))
                .col(integer("cycle"))
                .col(date("due_on"))
                .col(big_integer("amount_cents"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("interview_codes", "accompaniment_id", "interview_accompaniments"))
                .take(),
        ];
        let indexes = vec![
            index("billing_lines", "ix_billing_lines_episode", &["episode_id"], false),
            index("billing_lines", "ix_billing_lines_state_date", &["state", "service_date"], false),
            index("billing_lines", "ix_billing_lines_statement", &["statement_month", "establishment_id"], false),
            index("billing_lines", "ix_billing_lines_actor", &["actor", "actor_id"], false),
            index(
                "interview_accompaniments",
                "ux_interview_acc_patient_pharmacy",
                &["patient_id", "pharmacy_id"],
                true,
            ),
            index("pharmacist_interviews", "ix_pharmacist_interviews_acc", &["accompaniment_id", "done_on"], false),
            index("interview_codes", "ix_interview_codes_pharmacy", &["pharmacy_id", "due_on"], false),
        ];
        create_all(m, tables, indexes).await
    }
}
