//! sea-orm entities of the billing tables (migration `m20261123_000005_billing`).

pub mod billing_line {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub line_key: String,
        pub episode_id: String,
        pub sequence_id: String,
        pub establishment_id: String,
        pub actor: String,
        pub actor_id: Option<String>,
        pub actor_identifier: Option<String>,
        pub parcours: String,
        pub sequence_kind: String,
        pub renewal_index: i32,
        pub tariff_version: String,
        pub amount_cents: i64,
        pub service_date: Date,
        pub pharmacy_at_start: Option<String>,
        pub state: String,
        pub credit_of: Option<String>,
        pub statement_month: Option<String>,
        pub created_at: DateTimeUtc,
        pub exported_at: Option<DateTimeUtc>,
        pub paid_at: Option<DateTimeUtc>,
        pub cancelled_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod billing_close {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_closes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: String,
        pub closed_at: DateTimeUtc,
        pub lines: i32,
        pub total_cents: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod billing_waiver {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "billing_waivers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub base_key: String,
        pub episode_id: String,
        pub line_id: String,
        pub by_id: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod interview_accompaniment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "interview_accompaniments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub patient_id: String,
        pub episode_id: String,
        pub establishment_id: String,
        pub pharmacy_id: String,
        pub treatment: String,
        pub adhesion_date: Date,
        pub overseas: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pharmacist_interview {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "pharmacist_interviews")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub accompaniment_id: String,
        pub episode_id: String,
        pub kind: String,
        pub done_on: Date,
        pub recorded_by: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod interview_code {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "interview_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub code_key: String,
        pub accompaniment_id: String,
        pub pharmacy_id: String,
        pub code: String,
        pub cycle: i32,
        pub due_on: Date,
        pub amount_cents: i64,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
