//! Monthly statements: per recipient (hospital establishment, pharmacy, GP) the lines exported on
//! a month's close, as JSON and as CSV for French accounting tools (columns in docs/billing.md).

use chrono::NaiveDate;
use serde::Serialize;

use super::{Actor, Month, euros_fr};

/// One exported line with its recipient, as a statement shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatementLine {
    pub line_id: String,
    pub line_key: String,
    pub recipient_kind: Actor,
    /// FINESS (hospital, pharmacy) or RPPS (GP).
    pub recipient_identifier: String,
    pub recipient_name: String,
    pub episode_id: String,
    pub sequence_id: String,
    pub parcours: String,
    pub sequence_kind: String,
    pub renewal_index: i32,
    #[schema(value_type = String, format = Date)]
    pub service_date: NaiveDate,
    pub tariff_version: String,
    /// Integer cents; negative for a credit.
    pub amount_cents: i64,
    /// The line a credit reverses.
    pub credit_of: Option<String>,
    /// Who the forfait is claimed for, as a billing office needs it (docs/billing.md,
    /// "Statements"): present only on the establishment's statement read by the billing
    /// office, absent everywhere else. Never anything clinical.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<PatientIdentity>,
}

/// The patient's identity on a statement line: the INS when it is known, else the name and
/// birth date (never both, never more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PatientIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ins: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<NaiveDate>,
}

impl PatientIdentity {
    /// The INS alone when known; the name and birth date otherwise.
    pub fn for_billing(ins: Option<&str>, family_name: &str, given_name: &str, birth_date: NaiveDate) -> Self {
        match ins.map(str::trim).filter(|i| !i.is_empty()) {
            Some(ins) => Self { ins: Some(ins.to_owned()), family_name: None, given_name: None, birth_date: None },
            None => Self {
                ins: None,
                family_name: Some(family_name.to_owned()),
                given_name: Some(given_name.to_owned()),
                birth_date: Some(birth_date),
            },
        }
    }
}

/// The statement of one recipient for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub recipient_kind: Actor,
    pub recipient_identifier: String,
    pub recipient_name: String,
    pub total_cents: i64,
    /// The total written the French way (`357,00`).
    pub total_eur: String,
    pub lines: Vec<StatementLine>,
}

/// Groups lines by recipient, in the order the lines come (the store sorts them by recipient).
pub fn statements(lines: Vec<StatementLine>) -> Vec<Statement> {
    let mut out: Vec<Statement> = Vec::new();
    for l in lines {
        match out
            .iter_mut()
            .find(|s| s.recipient_kind == l.recipient_kind && s.recipient_identifier == l.recipient_identifier)
        {
            Some(s) => {
                s.total_cents += l.amount_cents;
                s.lines.push(l);
            }
            None => out.push(Statement {
                recipient_kind: l.recipient_kind,
                recipient_identifier: l.recipient_identifier.clone(),
                recipient_name: l.recipient_name.clone(),
                total_cents: l.amount_cents,
                total_eur: String::new(),
                lines: vec![l],
            }),
        }
    }
    for s in &mut out {
        s.total_eur = euros_fr(s.total_cents);
    }
    out
}

/// The CSV header; docs/billing.md says what each column holds.
/// The last four columns (the patient's identity) are empty unless the billing office reads the
/// establishment's statement.
pub const CSV_HEADER: [&str; 18] = [
    "mois",
    "destinataire_type",
    "destinataire_id",
    "destinataire_nom",
    "ligne_id",
    "ligne_cle",
    "episode_id",
    "sequence_id",
    "parcours",
    "sequence",
    "renouvellement",
    "date_debut_sequence",
    "version_tarif",
    "montant_eur",
    "patient_ins",
    "patient_nom",
    "patient_prenom",
    "patient_date_naissance",
];

/// Semicolon-separated UTF-8 with a header row, amounts with a decimal comma, one row per line.
/// A field holding `;`, `"` or a line break is quoted, its quotes doubled (RFC 4180 style).
pub fn to_csv(month: Month, lines: &[StatementLine]) -> String {
    let mut out = CSV_HEADER.join(";");
    out.push_str("\r\n");
    for l in lines {
        let kind = match l.recipient_kind {
            Actor::Hospital => "etablissement",
            Actor::Pharmacy => "pharmacie",
            Actor::Gp => "medecin_traitant",
        };
        let who = l.patient.as_ref();
        let row = [
            month.to_string(),
            kind.to_owned(),
            l.recipient_identifier.clone(),
            l.recipient_name.clone(),
            l.line_id.clone(),
            l.line_key.clone(),
            l.episode_id.clone(),
            l.sequence_id.clone(),
            l.parcours.clone(),
            l.sequence_kind.clone(),
            l.renewal_index.to_string(),
            l.service_date.to_string(),
            l.tariff_version.clone(),
            euros_fr(l.amount_cents),
            who.and_then(|p| p.ins.clone()).unwrap_or_default(),
            who.and_then(|p| p.family_name.clone()).unwrap_or_default(),
            who.and_then(|p| p.given_name.clone()).unwrap_or_default(),
            who.and_then(|p| p.birth_date).map(|d| d.to_string()).unwrap_or_default(),
        ];
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(";"));
        out.push_str("\r\n");
    }
    out
}

fn field(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: Actor, id: &str, cents: i64) -> StatementLine {
        StatementLine {
            line_id: format!("l-{id}-{cents}"),
            line_key: "s1:hospital".into(),
            recipient_kind: kind,
            recipient_identifier: id.into(),
            recipient_name: "Pharmacie \"du Parc\"; Rennes".into(),
            episode_id: "e".into(),
            sequence_id: "s1".into(),
            parcours: "A".into(),
            sequence_kind: "S1".into(),
            renewal_index: 0,
            service_date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            tariff_version: "2021-10-pilot".into(),
            amount_cents: cents,
            credit_of: None,
            patient: None,
        }
    }

    #[test]
    fn statements_group_by_recipient_and_total_to_the_cent() {
        let s = statements(vec![
            line(Actor::Hospital, "350000011", 11900),
            line(Actor::Hospital, "350000011", -11900),
            line(Actor::Hospital, "350000011", 5634),
            line(Actor::Pharmacy, "350001019", 11900),
        ]);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].total_cents, s[0].total_eur.as_str(), s[0].lines.len()), (5634, "56,34", 3));
        assert_eq!(s[1].total_cents, 11900);
    }

    #[test]
    fn csv_has_a_header_semicolons_decimal_commas_and_quotes_what_needs_it() {
        let csv = to_csv(Month::parse("2026-11").unwrap(), &[line(Actor::Pharmacy, "350001019", -5633)]);
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(rows[0], CSV_HEADER.join(";"));
        assert!(
            rows[1].starts_with("2026-11;pharmacie;350001019;\"Pharmacie \"\"du Parc\"\"; Rennes\";"),
            "{}",
            rows[1]
        );
        assert!(rows[1].ends_with(";2026-11-02;2021-10-pilot;-56,33;;;;"), "{}", rows[1]);
        assert_eq!(rows[2], "");
    }

    #[test]
    fn the_billing_identity_is_the_ins_when_known_else_the_name_and_birth_date() {
        let born = NaiveDate::from_ymd_opt(1956, 3, 14).unwrap();
        let with_ins = PatientIdentity::for_billing(Some("256037512345678"), "Martin", "Jeanne", born);
        assert_eq!(with_ins.ins.as_deref(), Some("256037512345678"));
        assert_eq!((with_ins.family_name.as_deref(), with_ins.birth_date), (None, None));
        let without = PatientIdentity::for_billing(Some("  "), "Martin", "Jeanne", born);
        assert_eq!(without.ins, None);
        assert_eq!(without.birth_date, Some(born));

        let mut l = line(Actor::Hospital, "350000011", 11900);
        l.patient = Some(without);
        let csv = to_csv(Month::parse("2026-11").unwrap(), &[l.clone()]);
        assert!(csv.split("\r\n").nth(1).unwrap().ends_with(";119,00;;Martin;Jeanne;1956-03-14"), "{csv}");
        l.patient = Some(with_ins);
        let csv = to_csv(Month::parse("2026-11").unwrap(), &[l]);
        assert!(csv.split("\r\n").nth(1).unwrap().ends_with(";119,00;256037512345678;;;"), "{csv}");
    }
}
