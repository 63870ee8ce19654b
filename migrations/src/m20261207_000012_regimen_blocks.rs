//! Regimen lines as prescribed (issue 16, docs/domain.md "Regimen lines as prescribed"): a cycle
//! of several blocks of on-days (`cycle_length_days`, `cycle_on` = JSON `[[1, 5], [8, 12]]`), a
//! dose that changes by day of the line (`dose_steps` = JSON `[{"from_day": 1, "dose": "20 mg"},
//! ...]`) and the computation of a dose per m² or per kg (`dose_computation` = JSON: height,
//! weight, body-surface area, computed and rounded dose, difference in %, units). Existing lines
//! get their one block from `cycle_on_days` / `cycle_off_days`, which stay written for a cycle
//! of one block from day 1 (what the previous release reads).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 4] = ["cycle_length_days", "cycle_on", "dose_steps", "dose_computation"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column at a time.
        m.alter_table(
            Table::alter().table("regimen_lines").add_column(ColumnDef::new(COLUMNS[0]).integer().null()).to_owned(),
        )
        .await?;
        for c in &COLUMNS[1..] {
            m.alter_table(
                Table::alter().table("regimen_lines").add_column(ColumnDef::new(*c).text().null()).to_owned(),
            )
            .await?;
        }
        m.get_connection()
            .execute_unprepared(
                "UPDATE regimen_lines SET cycle_length_days = cycle_on_days + cycle_off_days, \
                 cycle_on = '[[1,' || CAST(cycle_on_days AS TEXT) || ']]' \
                 WHERE cycle_on_days IS NOT NULL AND cycle_off_days IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in COLUMNS.iter().rev() {
            m.alter_table(Table::alter().table("regimen_lines").drop_column(*c).to_owned()).await?;
        }
        Ok(())
    }
}
