//! Emergency visits and unplanned hospitalisations declared by professionals: one of
//! the evaluation indicators the funders follow (docs/domain.md). One row per event; the same kind
//! of event on the same day of the same episode is declared once (the IDEC and the pharmacist
//! both hearing of one visit must not count it twice).

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_all, fk, id, index, ref_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("care_events")
                .col(id())
                .col(ref_col("patient_id"))
                .col(ref_col("episode_id"))
                .col(string("kind"))
                .col(date("event_date"))
                .col(boolean_null("related_to_treatment"))
                .col(text_null("note"))
                .col(ref_col("declared_by"))
                .col(timestamp_with_time_zone("declared_at"))
                .foreign_key(&mut fk("care_events", "patient_id", "patients"))
                .foreign_key(&mut fk("care_events", "episode_id", "episodes"))
                .foreign_key(&mut fk("care_events", "declared_by", "professionals"))
                .take(),
        ];
        let indexes = vec![
            index("care_events", "ux_care_events_episode_kind_date", &["episode_id", "kind", "event_date"], true),
            index("care_events", "ix_care_events_date", &["event_date"], false),
        ];
        create_all(m, tables, indexes).await
    }
}
