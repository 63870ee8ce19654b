//! Dispensations (issue 18, docs/domain.md "Dispensations"): each time the pharmacy hands over
//! a drug of the episode's regimen — the date, the drug as the regimen names it, the units, the
//! units taken per intake-day, the end of the prescription — with the run-out date computed
//! when it was recorded (the refill reminder's due work is scheduled from it). Read by episode
//! and drug in date order, hence the index. No enumerated column: the drug is a key of the
//! catalogue (configuration), like the regimen's.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_all, fk, id, index, ref_col};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("dispensations")
                .col(id())
                .col(ref_col("episode_id"))
                .col(string("drug"))
                .col(date("dispensed_on"))
                .col(integer("units").check(("ck_dispensations_units", Expr::col("units").gt(0))))
                .col(
                    integer("units_per_day")
                        .check(("ck_dispensations_units_per_day", Expr::col("units_per_day").gt(0))),
                )
                .col(date_null("prescription_end"))
                .col(date("run_out_on"))
                .col(ref_col("recorded_by"))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk("dispensations", "episode_id", "episodes"))
                .foreign_key(&mut fk("dispensations", "recorded_by", "professionals"))
                .take(),
        ];
        let indexes = vec![index(
            "dispensations",
            "ix_dispensations_episode_drug_date",
            &["episode_id", "drug", "dispensed_on"],
            false,
        )];
        create_all(m, tables, indexes).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("dispensations").to_owned()).await
    }
}
