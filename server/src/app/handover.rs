//! The hand-over sheet ("fiche de liaison", docs/domain.md "The care team and the hand-over"):
//! at inclusion and at each sequence change, the community members of the team in force (the
//! pharmacists of the community pharmacy, the GP, the IDEL) are sent a link to a printable sheet:
//! the regimen as the patient takes it, what to watch for with each drug and when to call, the
//! contacts and the 24 h number, the co-medications and their interactions, the latest grades
//! and the adherence, and the date of the next decision.
//!
//! Each sheet is a numbered version of the episode's sheet holding a snapshot of its data
//! ([`Sheet`], stored as JSON): an old version shows what was true when it was issued. The
//! snapshot is French, with its English twin of the same moment in [`Sheet::en`] (versions
//! issued before the sheet was bilingual have none: docs/domain.md, "The hand-over sheet"). What it
//! says of the drugs comes from the catalogue and the triage rules (config/catalog/drugs.toml,
//! config/triage.toml), nothing else.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::interactions::{Product, drug_products};
use crate::domain::pharmacy_records::topic_label_in;
use crate::domain::triage::Locale;
use crate::notify::message::{HandoverNotice, Message};
use crate::store::entities::{care_team, episode, handover_sheet, sequence};
use crate::store::handover::{self as sheets, Reason};
use crate::store::{
    StoredValueError, alerts, audit, directory, episodes, outbox, patients, pharmacy_records, reports, teams,
};

/// What a hand-over sheet says, as it was when issued (the `content` of `handover_sheets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sheet {
    pub patient: PatientPart,
    pub episode: EpisodePart,
    pub hospital: HospitalPart,
    /// Each regimen line as the patient takes it (partner drugs included).
    pub regimen: Vec<LinePart>,
    /// What to watch for, per anticancer drug.
    pub watch: Vec<DrugWatch>,
    /// The red flags (any drug): call now.
    pub call_now: Vec<String>,
    pub contacts: Vec<Contact>,
    pub comedications: Vec<ComedicationPart>,
    pub interactions: Vec<InteractionPart>,
    /// The most recent report, if any.
    pub last_report: Option<ReportPart>,
    /// The latest alerts of the episode (five at most), newest first.
    pub last_alerts: Vec<AlertPart>,
    pub adherence_7_days: Option<RatePart>,
    pub adherence_28_days: Option<RatePart>,
    /// The latest medication reconciliation (versions issued before migration 16 have none).
    #[serde(default)]
    pub reconciliation: Option<ReconciliationPart>,
    /// The latest pharmaceutical interviews at dispensation (five at most), newest first.
    #[serde(default)]
    pub pharmacy_interviews: Vec<PharmacyInterviewPart>,
    /// The same sheet in English, taken at the same moment; `None` in the English sheet itself
    /// and in the versions issued before the sheet was bilingual (French only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<Box<Sheet>>,
}

/// The medication reconciliation at inclusion (docs/domain.md, "Pharmaceutical interview and
/// medication reconciliation").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationPart {
    pub date: NaiveDate,
    /// (medication, dose and frequency, decision in French, its precision).
    pub medications: Vec<(String, String, String, Option<String>)>,
    pub discrepancies: Vec<String>,
}

/// An Onco'Link interview at dispensation: when, what was covered, how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PharmacyInterviewPart {
    pub date: NaiveDate,
    /// The topics covered, in French.
    pub topics: Vec<String>,
    pub minutes: i32,
}

/// The patient as a pharmacist identifies them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientPart {
    pub family_name: String,
    pub given_name: String,
    pub birth_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodePart {
    pub parcours: String,
    pub indication: Option<String>,
    pub start_date: NaiveDate,
    /// S1, S2 or S3.
    pub sequence: String,
    pub renewal_index: i32,
    pub sequence_start: NaiveDate,
    /// The sequence's planned end: the date of the next decision.
    pub next_decision: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HospitalPart {
    pub name: String,
    pub phone_24h: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinePart {
    /// The drug's French display name.
    pub drug: String,
    /// The dose as the patient reads it.
    pub dose: String,
    pub times: Vec<String>,
    /// The cycle in words ("J1 à J14 tous les 21 jours"); None = every day.
    pub cycle: Option<String>,
    /// Ramp-up steps in words ("à partir de J8 : 50 mg").
    pub steps: Vec<String>,
    /// A partner drug (prednisone…) given with the anticancer drug.
    pub partner: bool,
    pub start_date: NaiveDate,
}

/// What the catalogue and the triage rules say to watch for one drug.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrugWatch {
    pub drug: String,
    /// The early-watch list: an alert from grade 1 (docs/triage.md §3).
    pub early_watch: Vec<String>,
    /// The other effects the catalogue lists for staff.
    pub also_watch: Vec<String>,
    /// Symptoms from whose grade the next dose is held until the team calls.
    pub hold: Vec<String>,
    /// The drug's properties that matter to a pharmacist (catalogue tags).
    pub cautions: Vec<String>,
    /// What makes a call urgent for this drug (e.g. a fever on a myelosuppressive drug).
    pub call_now: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The role in French (IDEC, Oncologue, ...).
    pub role: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComedicationPart {
    pub name: String,
    pub since: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionPart {
    /// "capécitabine + warfarine".
    pub between: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportPart {
    pub date: NaiveDate,
    /// green, amber or red.
    pub colour: String,
    /// (symptom in French, provisional grade) of grade 1 or more.
    pub grades: Vec<(String, i32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertPart {
    pub date: NaiveDate,
    pub colour: String,
    pub topic: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatePart {
    pub taken: u32,
    pub scheduled: u32,
    pub percent: f64,
}

/// The name of a symptom, measure or red-flag key in `locale` (the question bank's, or a few
/// objective measures of the catalogue's watch lists).
fn symptom_label(state: &AppState, key: &str, locale: Locale) -> String {
    state.rules.questionnaires.symptom_name(key, locale)
}

/// A catalogue tag in words in `locale` (the meanings config/catalog/drugs.toml gives them).
fn tag_label(tag: &str, locale: Locale) -> String {
    if locale == Locale::En {
        return tag_label_en(tag);
    }
    match tag {
        "myelosuppressive" => "Myélosuppresseur : risque de neutropénie",
        "cyp3a4_substrate" => "Substrat majeur du CYP3A4 : éviter les inhibiteurs et inducteurs puissants",
        "moderate_cyp3a4_inhibitor" => "Inhibiteur modéré du CYP3A4",
        "strong_cyp3a4_inhibitor" => "Inhibiteur puissant du CYP3A4",
        "strong_cyp3a4_inducer" => "Inducteur puissant du CYP3A4",
        "cyp2d6_substrate" => "Activé par le CYP2D6 : éviter les inhibiteurs puissants du CYP2D6",
        "ph_dependent_absorption" => {
            "Absorption dépendante du pH gastrique : IPP, anti-H2 et antiacides à éviter ou espacer"
        }
        "qt_prolonging" => "Allonge l'intervalle QT",
        "hepatotoxic" => "Hépatotoxique : surveillance du bilan hépatique",
        "bleeding_risk" => "Risque hémorragique : attention aux anticoagulants et antiagrégants",
        "teratogenic" => "Tératogène : programme de prévention de la grossesse",
        other => return other.replace('_', " "),
    }
    .to_owned()
}

/// [`tag_label`] in English.
fn tag_label_en(tag: &str) -> String {
    match tag {
        "myelosuppressive" => "Myelosuppressive: risk of neutropenia",
        "cyp3a4_substrate" => "Major CYP3A4 substrate: avoid strong inhibitors and inducers",
        "moderate_cyp3a4_inhibitor" => "Moderate CYP3A4 inhibitor",
        "strong_cyp3a4_inhibitor" => "Strong CYP3A4 inhibitor",
        "strong_cyp3a4_inducer" => "Strong CYP3A4 inducer",
        "cyp2d6_substrate" => "Activated by CYP2D6: avoid strong CYP2D6 inhibitors",
        "ph_dependent_absorption" => {
            "Absorption depends on gastric pH: avoid PPIs, H2 blockers and antacids, or space them out"
        }
        "qt_prolonging" => "Prolongs the QT interval",
        "hepatotoxic" => "Hepatotoxic: monitor liver function tests",
        "bleeding_risk" => "Bleeding risk: caution with anticoagulants and antiplatelets",
        "teratogenic" => "Teratogenic: pregnancy prevention programme",
        other => return other.replace('_', " "),
    }
    .to_owned()
}

/// "J1 à J14 tous les 21 jours", "J1 à J5 et J8 à J12 tous les 28 jours", "J1 et J15 tous les
/// 28 jours".
pub fn cycle_words(c: &crate::domain::regimen::Cycle) -> String {
    let blocks: Vec<String> =
        c.on.iter().map(|&(a, z)| if a == z { format!("J{a}") } else { format!("J{a} à J{z}") }).collect();
    let list = match blocks.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} et {last}", rest.join(", ")),
        _ => blocks.join(""),
    };
    format!("{list} tous les {} jours", c.length)
}

/// [`cycle_words`] in `locale`: "D1–D14 every 21 days", "D1–D5 and D8–D12 every 28 days",
/// "D1 and D15 every 28 days" in English.
pub fn cycle_words_in(c: &crate::domain::regimen::Cycle, locale: Locale) -> String {
    if locale == Locale::Fr {
        return cycle_words(c);
    }
    let blocks: Vec<String> =
        c.on.iter().map(|&(a, z)| if a == z { format!("D{a}") } else { format!("D{a}–D{z}") }).collect();
    let list = match blocks.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => blocks.join(""),
    };
    format!("{list} every {} days", c.length)
}

/// A care-team role in `locale`, as the sheet and the patient page write it.
pub fn role_label_in(role: &str, locale: Locale) -> &'static str {
    let (fr, en) = match role {
        "idec" => ("IDEC", "Coordinating nurse (IDEC)"),
        "oncologist" => ("Oncologue", "Oncologist"),
        "hospital_pharmacist" => ("Pharmacien hospitalier", "Hospital pharmacist"),
        "community_pharmacy" => ("Officine", "Community pharmacy"),
        "gp" => ("Médecin traitant", "GP"),
        "community_nurse" => ("IDEL", "Community nurse (IDEL)"),
        _ => ("Autre", "Other"),
    };
    if locale == Locale::Fr { fr } else { en }
}

async fn contacts(
    db: &impl ConnectionTrait,
    team: &care_team::Model,
    locale: Locale,
) -> Result<Vec<Contact>, sea_orm::DbErr> {
    let mut out = Vec::new();
    for (role, id) in teams::Members::of(team).slots() {
        let Some(id) = id else { continue };
        let contact = if role == "community_pharmacy" {
            directory::pharmacy(db, id).await?.map(|p| Contact {
                role: role_label_in(role, locale).to_owned(),
                name: p.name,
                phone: p.phone,
                email: p.email,
            })
        } else {
            directory::professional(db, id).await?.map(|p| Contact {
                role: role_label_in(role, locale).to_owned(),
                name: format!("{} {}", p.given_name, p.family_name),
                phone: p.phone,
                email: Some(p.email),
            })
        };
        out.extend(contact);
    }
    Ok(out)
}

fn internal(what: String) -> ActionError {
    ActionError::Internal(anyhow::anyhow!(what))
}

/// The sheet's data now in `locale`, for the episode and its sequence `seq`, the team `team`. At
/// inclusion the episode has no follow-up yet (`history` false): no report, alert or dose is
/// read. Its `en` is `None`: [`issue_to`] puts the English twin there.
#[allow(clippy::too_many_arguments)]
async fn snapshot(
    db: &impl ConnectionTrait,
    state: &AppState,
    ep: &episode::Model,
    seq: &sequence::Model,
    team: Option<&care_team::Model>,
    history: bool,
    now: DateTime<Utc>,
    locale: Locale,
) -> Result<Sheet, ActionError> {
    let fr = locale == Locale::Fr;
    let catalog = &state.rules.catalog;
    let p =
        patients::get(db, &ep.patient_id).await?.ok_or_else(|| internal(format!("episode {}: no patient", ep.id)))?;
    let tz = p.time_zone()?;
    let today = now.with_timezone(&tz).date_naive();
    let est = directory::establishment(db, &ep.establishment_id)
        .await?
        .ok_or_else(|| internal(format!("episode {}: no establishment", ep.id)))?;

    let rows = episodes::active_regimen(db, &ep.id).await?;
    let mut regimen = Vec::new();
    for l in &rows {
        regimen.push(LinePart {
            drug: catalog.name_in(&l.drug, locale).to_owned(),
            dose: l.dose.clone(),
            times: l.times()?,
            cycle: l.cycle()?.as_ref().map(|c| cycle_words_in(c, locale)),
            steps: l
                .steps()?
                .into_iter()
                .map(|s| match locale {
                    Locale::Fr => format!("à partir de J{} : {}", s.from_day, s.dose),
                    Locale::En => format!("from D{}: {}", s.from_day, s.dose),
                })
                .collect(),
            partner: catalog.partner(&l.drug).is_some(),
            start_date: l.start_date,
        });
    }

    // Partner drugs (prednisone…) play no part in triage or interactions (docs/domain.md).
    let drugs = catalog.anticancer(&rows.iter().map(|l| l.drug.clone()).collect::<Vec<_>>());
    let flags = &state.rules.triage.red_flags;
    let mut watch = Vec::new();
    for key in &drugs {
        let Some(d) = catalog.get(key) else { continue };
        let mut call_now = Vec::new();
        if d.tags.contains(&flags.febrile_tag) {
            call_now.push(if fr {
                format!(
                    "Fièvre à {} °C ou plus : appeler sans attendre le numéro 24 h/24 (neutropénie fébrile possible)",
                    flags.febrile_from_c
                )
            } else {
                format!(
                    "Fever of {} °C or more: call the 24/7 number straight away (possible febrile neutropenia)",
                    flags.febrile_from_c
                )
            });
        }
        watch.push(DrugWatch {
            drug: catalog.name_in(key, locale).to_owned(),
            early_watch: d.watch.iter().map(|k| symptom_label(state, k, locale)).collect(),
            also_watch: d
                .watch_info
                .iter()
                .filter(|k| !d.watch.contains(*k))
                .map(|k| symptom_label(state, k, locale))
                .collect(),
            hold: d
                .hold
                .iter()
                .map(|(s, g)| {
                    let symptom = symptom_label(state, s, locale);
                    if fr {
                        format!(
                            "{symptom} de grade {g} ou plus : prochaine prise suspendue jusqu'à l'appel de l'équipe"
                        )
                    } else {
                        format!("{symptom} of grade {g} or more: next dose withheld until the team calls")
                    }
                })
                .collect(),
            cautions: d.tags.iter().map(|t| tag_label(t, locale)).collect(),
            call_now,
        });
    }
    let mut call_now: Vec<String> = flags.questions.iter().map(|q| symptom_label(state, q, locale)).collect();
    let (systolic, diastolic) = (flags.emergency_systolic_from, flags.emergency_diastolic_from);
    call_now.push(if fr {
        format!("Tension artérielle à {systolic:.0}/{diastolic:.0} mmHg ou plus")
    } else {
        format!("Blood pressure of {systolic:.0}/{diastolic:.0} mmHg or more")
    });

    // The interactions as the co-medications were declared: each against the drugs and the
    // co-medications before it (app::episodes::add_comedication).
    let mut others: Vec<Product> = drug_products(catalog, &drugs)?;
    let (mut comedications, mut interactions) = (Vec::new(), Vec::new());
    for c in episodes::comedications(db, &ep.id).await?.into_iter().filter(|c| c.stopped_at.is_none()) {
        let product = state.rules.comedications.product(&c.name);
        let mut tags = c.tags()?;
        tags.extend(product.iter().flat_map(|p| p.tags.iter().cloned()));
        let new = Product { name: product.map(|p| p.name).unwrap_or_else(|| c.name.to_lowercase()), tags };
        for f in state.rules.triage.interactions.check(&others, &new) {
            // The rule's own text in the sheet's language (docs/triage.md §7).
            let reason = state.rules.triage.interactions.rule_reason(&f.rule, locale).unwrap_or(&f.reason).to_owned();
            let between = format!("{} + {}", catalog.name_in(&f.a, locale), c.name);
            interactions.push(InteractionPart { between, reason });
        }
        others.push(new);
        comedications.push(ComedicationPart { since: c.declared_at.with_timezone(&tz).date_naive(), name: c.name });
    }

    let latest = if history { reports::latest(db, &ep.id).await? } else { None };
    let last_report = match latest {
        Some(r) => {
            r.colour()?;
            let grades = reports::grades_of(db, &r.id)
                .await?
                .into_iter()
                .map(|g| (symptom_label(state, &g.symptom, locale), g.grade))
                .collect();
            Some(ReportPart { date: r.submitted_at.with_timezone(&tz).date_naive(), colour: r.colour, grades })
        }
        None => None,
    };
    let mut last_alerts = Vec::new();
    let alerts = if history { alerts::for_episode(db, &ep.id).await? } else { Vec::new() };
    for a in alerts.into_iter().take(5) {
        // Read through the typed accessors: an unknown stored value is an error, never shown.
        a.colour()?;
        a.topic()?;
        a.status()?;
        last_alerts.push(AlertPart {
            date: a.opened_at.with_timezone(&tz).date_naive(),
            colour: a.colour,
            topic: a.topic,
            status: a.status,
        });
    }
    let rate = |r: Option<crate::domain::adherence::Rate>| {
        r.map(|r| RatePart { taken: r.taken, scheduled: r.scheduled, percent: r.percent })
    };
    let (adherence_7_days, adherence_28_days) = if history {
        (
            rate(crate::alerting::adherence::rate(db, &ep.id, today, 7).await?),
            rate(crate::alerting::adherence::rate(db, &ep.id, today, 28).await?),
        )
    } else {
        (None, None)
    };
    let reconciliation = match pharmacy_records::reconciliations_of(db, &ep.id).await?.first() {
        Some(r) => Some(ReconciliationPart {
            date: r.reconciled_on,
            medications: r
                .medications()?
                .into_iter()
                .map(|m| {
                    let decision = if fr { m.decision.label_fr() } else { m.decision.label_en() };
                    (m.name, m.dosage, decision.to_owned(), m.decision_note)
                })
                .collect(),
            discrepancies: r.discrepancies()?,
        }),
        None => None,
    };
    let mut pharmacy_interviews = Vec::new();
    for i in pharmacy_records::interviews_of(db, &ep.id).await?.into_iter().take(5) {
        let topics =
            i.topics()?.iter().map(|k| topic_label_in(k, locale).unwrap_or_default().to_owned()).collect::<Vec<_>>();
        pharmacy_interviews.push(PharmacyInterviewPart { date: i.done_on, topics, minutes: i.minutes });
    }
    Ok(Sheet {
        patient: PatientPart { family_name: p.family_name, given_name: p.given_name, birth_date: p.birth_date },
        episode: EpisodePart {
            parcours: ep.parcours()?.as_str().to_owned(),
            indication: ep.indication.clone(),
            start_date: ep.start_date,
            sequence: seq.kind()?.as_str().to_owned(),
            renewal_index: seq.renewal_index,
            sequence_start: seq.start_date,
            next_decision: seq.planned_end_date,
        },
        hospital: HospitalPart { name: est.name, phone_24h: est.phone_24h },
        regimen,
        watch,
        call_now,
        contacts: match team {
            Some(t) => contacts(db, t, locale).await?,
            None => Vec::new(),
        },
        comedications,
        interactions,
        last_report,
        last_alerts,
        adherence_7_days,
        adherence_28_days,
        reconciliation,
        pharmacy_interviews,
        en: None,
    })
}

/// Issues the next version of the episode's sheet for its active sequence, inside the caller's
/// transaction (enrolment, a sequence transition): the snapshot, the row, and one message to
/// each community member of the team in force on the sequence's first day (the pharmacists of
/// the community pharmacy, the GP, the IDEL). Returns the version.
pub async fn issue(
    txn: &impl ConnectionTrait,
    state: &AppState,
    ep: &episode::Model,
    reason: Reason,
    actor: &audit::Actor,
    now: DateTime<Utc>,
) -> Result<i32, ActionError> {
    issue_to(txn, state, ep, reason, None, actor, now).await
}

/// Who joins the community side of a team: the members of `after` that `before` did not have
/// (a new community pharmacy, a GP named late, an IDEL).
pub struct Joining {
    pub community_pharmacy: Option<String>,
    pub gp: Option<String>,
    pub community_nurse: Option<String>,
}

impl Joining {
    pub fn between(before: &crate::store::teams::Members, after: &crate::store::teams::Members) -> Self {
        let new = |b: &Option<String>, a: &Option<String>| a.clone().filter(|id| Some(id) != b.as_ref());
        Joining {
            community_pharmacy: new(&before.community_pharmacy, &after.community_pharmacy),
            gp: new(&before.gp, &after.gp),
            community_nurse: new(&before.community_nurse, &after.community_nurse),
        }
    }

    fn is_empty(&self) -> bool {
        self.community_pharmacy.is_none() && self.gp.is_none() && self.community_nurse.is_none()
    }
}

/// A team change brings community professionals onto the team: they are told, with a new
/// version of the sheet (`team_change`), and only they (docs/domain.md, "The hand-over sheet").
/// Nothing is issued when nobody joins the community side.
pub async fn issue_to_joining(
    txn: &impl ConnectionTrait,
    state: &AppState,
    ep: &episode::Model,
    joining: &Joining,
    actor: &audit::Actor,
    now: DateTime<Utc>,
) -> Result<Option<i32>, ActionError> {
    if joining.is_empty() {
        return Ok(None);
    }
    let mut to: Vec<String> = Vec::new();
    if let Some(ph) = &joining.community_pharmacy {
        to.extend(directory::pharmacists_of(txn, ph).await?.into_iter().map(|p| p.id));
    }
    to.extend(joining.gp.iter().cloned());
    to.extend(joining.community_nurse.iter().cloned());
    issue_to(txn, state, ep, Reason::TeamChange, Some(to), actor, now).await.map(Some)
}

/// `recipients`: None = every community member of the team in force on the sequence's first day.
async fn issue_to(
    txn: &impl ConnectionTrait,
    state: &AppState,
    ep: &episode::Model,
    reason: Reason,
    recipients: Option<Vec<String>>,
    actor: &audit::Actor,
    now: DateTime<Utc>,
) -> Result<i32, ActionError> {
    let seq = episodes::active_sequence(txn, &ep.id)
        .await?
        .ok_or_else(|| internal(format!("episode {}: no active sequence for its hand-over sheet", ep.id)))?;
    let team = teams::team_on(txn, &ep.id, seq.start_date).await?;
    let history = reason != Reason::Inclusion;
    // Both languages of the same moment, read in the same transaction.
    let mut sheet = snapshot(txn, state, ep, &seq, team.as_ref(), history, now, Locale::Fr).await?;
    let en = snapshot(txn, state, ep, &seq, team.as_ref(), history, now, Locale::En).await?;
    sheet.en = Some(Box::new(en));
    let content = serde_json::to_string(&sheet).map_err(|e| ActionError::Internal(e.into()))?;
    let (sheet_id, version) = sheets::insert_next(txn, &ep.id, &seq.id, reason, content, now).await?;
    let recipients = match recipients {
        Some(r) => r,
        None => {
            let mut r: Vec<String> = Vec::new();
            if let Some(t) = &team {
                if let Some(ph) = &t.pharmacy_id {
                    r.extend(directory::pharmacists_of(txn, ph).await?.into_iter().map(|p| p.id));
                }
                r.extend(t.gp_id.iter().cloned());
                r.extend(t.community_nurse_id.iter().cloned());
            }
            r
        }
    };
    for to in &recipients {
        outbox::enqueue(
            txn,
            outbox::NewMessage {
                recipient_kind: "professional",
                recipient_id: to,
                message: Message::HandoverSheet(HandoverNotice {
                    episode_id: ep.id.clone(),
                    patient_id: ep.patient_id.clone(),
                    version,
                    reason: reason.as_str().to_owned(),
                    url: format!("/staff/patients/{}/handover/{version}", ep.patient_id),
                }),
                dedupe_key: format!("handover:{}:{version}:{to}", ep.id),
            },
            now,
        )
        .await?;
    }
    audit::record(
        txn,
        audit::Entry {
            actor,
            action: "issue",
            entity: "handover_sheet",
            entity_id: Some(&sheet_id),
            patient_id: Some(&ep.patient_id),
            at: now,
        },
    )
    .await?;
    tracing::info!(episode_id = %ep.id, version, reason = reason.as_str(), recipients = recipients.len(), "hand-over sheet issued");
    Ok(version)
}

/// One version of a sheet as the page shows it.
pub struct IssuedSheet {
    pub version: i32,
    pub reason: Reason,
    pub created_at: DateTime<Utc>,
    pub sheet: Sheet,
}

/// A version in the list of an episode's sheets.
pub struct VersionRef {
    pub version: i32,
    pub reason: Reason,
    pub created_at: DateTime<Utc>,
}

/// A sheet and the list of every version of it.
pub struct SheetRead {
    pub patient_id: String,
    pub episode_id: String,
    pub shown: IssuedSheet,
    pub versions: Vec<VersionRef>,
}

/// Reads a stored snapshot back; one that does not parse is an error naming the row.
fn parse(row: &handover_sheet::Model) -> Result<Sheet, StoredValueError> {
    serde_json::from_str(&row.content).map_err(|e| {
        // The position only: the content holds the patient's name.
        StoredValueError::new(
            "handover_sheets",
            &row.id,
            "content",
            &format!("not a sheet (line {}, column {})", e.line(), e.column()),
        )
    })
}

/// A version of the sheet of the patient's open episode (or latest one); `None` = the latest
/// version. Only the patient's team sees it (others 404), and the read is audited.
pub async fn read(
    state: &AppState,
    auth: &StaffAuth,
    patient_id: &str,
    version: Option<i32>,
) -> Result<SheetRead, ActionError> {
    let p = super::patients::visible_patient(state, auth, patient_id).await?;
    let all = patients::episodes(&state.db, &p.id).await?;
    let ep = all.iter().find(|e| e.end_date.is_none()).or(all.first()).ok_or(ActionError::NotFound)?;
    let rows = sheets::versions(&state.db, &ep.id).await?;
    let row = match version {
        Some(v) => rows.iter().find(|r| r.version == v),
        None => rows.last(),
    }
    .ok_or(ActionError::NotFound)?;
    let shown =
        IssuedSheet { version: row.version, reason: row.reason()?, created_at: row.created_at, sheet: parse(row)? };
    let versions = rows
        .iter()
        .map(|r| Ok(VersionRef { version: r.version, reason: r.reason()?, created_at: r.created_at }))
        .collect::<Result<_, StoredValueError>>()?;
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "read",
            entity: "handover_sheet",
            entity_id: Some(&row.id),
            patient_id: Some(&p.id),
            at: state.now(),
        },
    )
    .await?;
    Ok(SheetRead { patient_id: p.id, episode_id: ep.id.clone(), shown, versions })
}

/// The latest version of the patient's sheet.
pub async fn latest(state: &AppState, auth: &StaffAuth, patient_id: &str) -> Result<SheetRead, ActionError> {
    read(state, auth, patient_id, None).await
}

/// One version of the patient's sheet.
pub async fn version(
    state: &AppState,
    auth: &StaffAuth,
    patient_id: &str,
    version: i32,
) -> Result<SheetRead, ActionError> {
    read(state, auth, patient_id, Some(version)).await
}

/// A version of an episode's sheet, as the API lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SheetVersionView {
    pub version: i32,
    /// inclusion | sequence_change | team_change
    pub reason: String,
    /// The sequence in force (or opening) when it was issued.
    pub sequence_id: String,
    pub created_at: DateTime<Utc>,
    /// The staff page of this version (printable).
    pub url: String,
}

/// The versions of an episode's sheet the caller may see (the patient's team; others 404),
/// oldest first; the read is audited.
pub async fn list(state: &AppState, auth: &StaffAuth, episode_id: &str) -> Result<Vec<SheetVersionView>, ActionError> {
    let ep = super::episodes::visible_episode(state, auth, episode_id).await?;
    let rows = sheets::versions(&state.db, &ep.id).await?;
    let out = rows
        .into_iter()
        .map(|r| {
            Ok(SheetVersionView {
                reason: r.reason()?.as_str().to_owned(),
                url: format!("/staff/patients/{}/handover/{}", ep.patient_id, r.version),
                version: r.version,
                sequence_id: r.sequence_id,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, StoredValueError>>()?;
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "list",
            entity: "handover_sheet",
            entity_id: Some(&ep.id),
            patient_id: Some(&ep.patient_id),
            at: state.now(),
        },
    )
    .await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::regimen::Cycle;

    #[test]
    fn cycles_read_as_a_pharmacist_writes_them() {
        assert_eq!(cycle_words(&Cycle::on_off(14, 7)), "J1 à J14 tous les 21 jours");
        assert_eq!(
            cycle_words(&Cycle { length: 28, on: vec![(1, 5), (8, 12)] }),
            "J1 à J5 et J8 à J12 tous les 28 jours"
        );
        assert_eq!(cycle_words(&Cycle { length: 28, on: vec![(1, 1), (15, 15)] }), "J1 et J15 tous les 28 jours");
        assert_eq!(cycle_words_in(&Cycle::on_off(14, 7), Locale::Fr), "J1 à J14 tous les 21 jours");
    }

    #[test]
    fn cycles_read_in_english_as_an_english_pharmacist_writes_them() {
        assert_eq!(cycle_words_in(&Cycle::on_off(14, 7), Locale::En), "D1–D14 every 21 days");
        assert_eq!(
            cycle_words_in(&Cycle { length: 28, on: vec![(1, 5), (8, 12)] }, Locale::En),
            "D1–D5 and D8–D12 every 28 days"
        );
        assert_eq!(
            cycle_words_in(&Cycle { length: 28, on: vec![(1, 1), (15, 15)] }, Locale::En),
            "D1 and D15 every 28 days"
        );
    }

    #[test]
    fn every_tag_the_sheet_explains_has_its_english_meaning() {
        for tag in crate::domain::catalog::KNOWN_TAGS {
            let (fr, en) = (tag_label(tag, Locale::Fr), tag_label(tag, Locale::En));
            if fr != tag.replace('_', " ") {
                assert_ne!(en, tag.replace('_', " "), "{tag} has a French meaning but no English one");
                assert_ne!(en, fr, "{tag}");
            }
        }
        assert_eq!(role_label_in("gp", Locale::Fr), "Médecin traitant");
        assert_eq!(role_label_in("gp", Locale::En), "GP");
    }
}
