//! Establishments, professionals, sessions, patients, episodes, sequences, care teams, regimen
//! lines, co-medications, the audit log, the rate-limit ledger and the outbox.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{create_all, fk, id, index, ref_col, ref_col_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("establishments")
                .col(id())
                .col(string_len_uniq("finess", 9))
                .col(string("name"))
                .col(string("phone_24h"))
                .col(string("calendar"))
                .col(string("time_zone"))
                .col(text("backup_emails"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
            Table::create()
                .table("pharmacies")
                .col(id())
                .col(string_len_uniq("finess", 9))
                .col(string("name"))
                .col(string_null("phone"))
                .col(string_null("email"))
                .col(string_null("city"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
            Table::create()
                .table("professionals")
                .col(id())
                .col(string_uniq("email"))
                .col(string_len_null("rpps", 11).unique_key().take())
                .col(string("role"))
                .col(string("family_name"))
                .col(string("given_name"))
                .col(string_null("phone"))
                .col(ref_col_null("establishment_id"))
                .col(ref_col_null("pharmacy_id"))
                .col(boolean("on_call").default(false))
                .col(string("password_hash"))
                .col(integer("failed_logins").default(0))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(boolean("active").default(true))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("professionals", "establishment_id", "establishments"))
                .foreign_key(&mut fk("professionals", "pharmacy_id", "pharmacies"))
                .take(),
            Table::create()
                .table("staff_sessions")
                .col(id())
                .col(ref_col("professional_id"))
                .col(string_uniq("token_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(string_null("client_addr"))
                .foreign_key(&mut fk("staff_sessions", "professional_id", "professionals"))
                .take(),
            Table::create()
                .table("patients")
                .col(id())
                .col(ref_col("establishment_id"))
                .col(string("family_name"))
                .col(string("given_name"))
                .col(date("birth_date"))
                .col(string_len_null("ins", 15).unique_key().take())
                .col(string_null("phone"))
                .col(string_null("email"))
                .col(string("time_zone"))
                .col(string_len("locale", 5))
                .col(timestamp_with_time_zone("created_at"))
                .col(ref_col("created_by"))
                .foreign_key(&mut fk("patients", "establishment_id", "establishments"))
                .take(),
            Table::create()
                .table("activation_codes")
                .col(id())
                .col(ref_col("patient_id"))
                .col(string_uniq("code_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("activation_codes", "patient_id", "patients"))
                .take(),
            Table::create()
                .table("patient_devices")
                .col(id())
                .col(ref_col("patient_id"))
                .col(string_uniq("token_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(timestamp_with_time_zone_null("last_seen_at"))
                .foreign_key(&mut fk("patient_devices", "patient_id", "patients"))
                .take(),
            Table::create()
                .table("rate_limit_hits")
                .col(id())
                .col(string("bucket"))
                .col(string("client_key"))
                .col(timestamp_with_time_zone("at"))
                .take(),
            Table::create()
                .table("episodes")
                .col(id())
                .col(ref_col("patient_id"))
                .col(ref_col("establishment_id"))
                .col(string_len("parcours", 1))
                .col(string_null("indication"))
                .col(date("start_date"))
                .col(date_null("end_date"))
                .col(string_null("end_reason"))
                .col(double_null("baseline_weight_kg"))
                .col(ref_col_null("previous_episode_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(ref_col("created_by"))
                .foreign_key(&mut fk("episodes", "patient_id", "patients"))
                .foreign_key(&mut fk("episodes", "establishment_id", "establishments"))
                .take(),
            Table::create()
                .table("sequences")
                .col(id())
                .col(ref_col("episode_id"))
                .col(integer("ordinal"))
                .col(string_len("kind", 2))
                .col(integer("renewal_index"))
                .col(date("start_date"))
                .col(date("planned_end_date"))
                .col(date_null("actual_end_date"))
                .col(string("state"))
                .col(boolean("automatic").default(false))
                .col(string_null("decision"))
                .col(ref_col_null("decision_by"))
                .col(timestamp_with_time_zone_null("decision_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("sequences", "episode_id", "episodes"))
                .take(),
            Table::create()
                .table("care_teams")
                .col(id())
                .col(ref_col("episode_id"))
                .col(ref_col("idec_id"))
                .col(ref_col("oncologist_id"))
                .col(ref_col_null("hospital_pharmacist_id"))
                .col(ref_col_null("pharmacy_id"))
                .col(ref_col_null("gp_id"))
                .col(date("valid_from"))
                .col(date_null("valid_to"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("care_teams", "episode_id", "episodes"))
                .foreign_key(&mut fk("care_teams", "idec_id", "professionals"))
                .foreign_key(&mut fk("care_teams", "oncologist_id", "professionals"))
                .foreign_key(&mut fk("care_teams", "hospital_pharmacist_id", "professionals"))
                .foreign_key(&mut fk("care_teams", "pharmacy_id", "pharmacies"))
                .foreign_key(&mut fk("care_teams", "gp_id", "professionals"))
                .take(),
            Table::create()
                .table("regimen_lines")
                .col(id())
                .col(ref_col("episode_id"))
                .col(string("drug"))
                .col(string("dose"))
                .col(text("times"))
                .col(integer_null("cycle_on_days"))
                .col(integer_null("cycle_off_days"))
                .col(date("start_date"))
                .col(date_null("end_date"))
                .col(ref_col_null("replaces_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(ref_col("created_by"))
                .foreign_key(&mut fk("regimen_lines", "episode_id", "episodes"))
                .take(),
            Table::create()
                .table("comedications")
                .col(id())
                .col(ref_col("episode_id"))
                .col(string("name"))
                .col(text("tags"))
                .col(string("declared_by_kind"))
                .col(ref_col("declared_by_id"))
                .col(timestamp_with_time_zone("declared_at"))
                .col(timestamp_with_time_zone_null("stopped_at"))
                .foreign_key(&mut fk("comedications", "episode_id", "episodes"))
                .take(),
            Table::create()
                .table("audit_log")
                .col(id())
                .col(timestamp_with_time_zone("at"))
                .col(string("actor_kind"))
                .col(ref_col_null("actor_id"))
                .col(string("action"))
                .col(string("entity"))
                .col(ref_col_null("entity_id"))
                .col(ref_col_null("patient_id"))
                .col(string_null("client_addr"))
                .col(string_null("request_id"))
                .take(),
            Table::create()
                .table("outbox")
                .col(id())
                .col(string("channel"))
                .col(string("recipient_kind"))
                .col(ref_col("recipient_id"))
                .col(string("kind"))
                .col(text("payload"))
                .col(string_uniq("dedupe_key"))
                .col(string("status"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(string_null("last_error"))
                .take(),
        ];
        let indexes = vec![
            index("staff_sessions", "ix_staff_sessions_professional", &["professional_id"], false),
            index("patients", "ix_patients_establishment", &["establishment_id"], false),
            index("activation_codes", "ix_activation_codes_patient", &["patient_id"], false),
            index("patient_devices", "ix_patient_devices_patient", &["patient_id"], false),
            index("rate_limit_hits", "ix_rate_limit_hits_key", &["bucket", "client_key", "at"], false),
            index("episodes", "ix_episodes_patient", &["patient_id"], false),
            index("sequences", "ux_sequences_episode_ordinal", &["episode_id", "ordinal"], true),
            index("sequences", "ix_sequences_due", &["state", "planned_end_date"], false),
            index("care_teams", "ix_care_teams_episode", &["episode_id", "valid_to"], false),
            index("care_teams", "ix_care_teams_pharmacy", &["pharmacy_id"], false),
            index("care_teams", "ix_care_teams_gp", &["gp_id"], false),
            index("regimen_lines", "ix_regimen_lines_episode", &["episode_id"], false),
            index("comedications", "ix_comedications_episode", &["episode_id"], false),
            index("audit_log", "ix_audit_log_patient", &["patient_id", "at"], false),
            index("outbox", "ix_outbox_due", &["status", "next_attempt_at"], false),
        ];
        create_all(m, tables, indexes).await
    }
}
