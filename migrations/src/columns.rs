//! Column and key helpers shared by the migrations.

use sea_orm_migration::{prelude::*, schema::*};

pub fn id() -> ColumnDef {
    string_len("id", 36).primary_key().take()
}

pub fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(to, "id").on_delete(ForeignKeyAction::Restrict).take()
}

pub fn ref_col(col: &'static str) -> ColumnDef {
    string_len(col, 36)
}

pub fn ref_col_null(col: &'static str) -> ColumnDef {
    string_len_null(col, 36)
}

pub fn index(table: &'static str, name: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.take()
}

/// Creates the tables, then their indexes.
pub async fn create_all(
    m: &SchemaManager<'_>,
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for t in tables {
        m.create_table(t).await?;
    }
    for i in indexes {
        m.create_index(i).await?;
    }
    Ok(())
}
