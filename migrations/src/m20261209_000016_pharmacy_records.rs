//! Two records of the pharmacists (issue 18, docs/domain.md "Pharmaceutical interview and
//! medication reconciliation"): the Onco'Link pharmaceutical interview at dispensation (date,
//! topics covered as a JSON list of keys, minutes spent, a clinical note) and the medication
//! reconciliation at inclusion (date, the home medications with a decision each and the
//! discrepancies, as JSON). Both read by episode in date order, hence the indexes. No
//! enumerated column: topic keys and decisions live inside the JSON, read back through typed
//! structures that refuse what they do not know.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_all, fk, id, index, ref_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("pharmacy_interviews")
                .col(id())
                .col(ref_col("episode_id"))
                .col(date("done_on"))
                .col(text("topics"))
                .col(integer("minutes").check((
                    "ck_pharmacy_interviews_minutes",
                    Expr::col("minutes").gte(1).and(Expr::col("minutes").lte(180)),
                )))
                .col(text_null("note"))
                .col(ref_col("recorded_by"))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk("pharmacy_interviews", "episode_id", "episodes"))
                .foreign_key(&mut fk("pharmacy_interviews", "recorded_by", "professionals"))
                .take(),
            Table::create()
                .table("medication_reconciliations")
                .col(id())
                .col(ref_col("episode_id"))
                .col(date("reconciled_on"))
                .col(text("medications"))
                .col(text("discrepancies"))
                .col(ref_col("recorded_by"))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk("medication_reconciliations", "episode_id", "episodes"))
                .foreign_key(&mut fk("medication_reconciliations", "recorded_by", "professionals"))
                .take(),
        ];
        let indexes = vec![
            index("pharmacy_interviews", "ix_pharmacy_interviews_episode_date", &["episode_id", "done_on"], false),
            index(
                "medication_reconciliations",
                "ix_medication_reconciliations_episode_date",
                &["episode_id", "reconciled_on"],
                false,
            ),
        ];
        create_all(m, tables, indexes).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("medication_reconciliations").to_owned()).await?;
        m.drop_table(Table::drop().table("pharmacy_interviews").to_owned()).await
    }
}
