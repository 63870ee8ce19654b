//! Response shapes of the staff API, built from store rows.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::domain::enrolment::s3_eligible;
use crate::store::entities::{episode, patient, professional};
use crate::store::{alerts, directory, episodes, patients, reports};

#[derive(Serialize, ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamView {
    pub idec: Option<PersonRef>,
    pub oncologist: Option<PersonRef>,
    pub hospital_pharmacist: Option<PersonRef>,
    pub community_pharmacy: Option<PersonRef>,
    pub gp: Option<PersonRef>,
    /// The community nurse (IDEL), when the team names one.
    pub community_nurse: Option<PersonRef>,
}

#[derive(Serialize, ToSchema)]
pub struct SequenceView {
    pub id: String,
    pub kind: String,
    pub renewal_index: i32,
    #[schema(value_type = String, format = Date)]
    pub start_date: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub planned_end_date: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub actual_end_date: Option<NaiveDate>,
    pub state: String,
    /// True when the system renewed it for lack of a decision.
    pub automatic: bool,
    /// Decision recorded for its end: renew or advance.
    pub decision: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegimenView {
    pub id: String,
    pub drug: String,
    pub dose: String,
    /// The drug's French display name.
    pub drug_name: String,
    pub times: Vec<String>,
    pub cycle: Option<CycleView>,
    /// Ramp-up steps by day of the line; empty = `dose` every day.
    pub steps: Vec<StepView>,
    pub dose_computation: Option<DoseComputationView>,
    #[schema(value_type = String, format = Date)]
    pub start_date: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<NaiveDate>,
}

/// A cycle as the API reads it: `{"on_days", "off_days"}` for one block from day 1 (the form
/// every client knows), `{"length_days", "on": [[from, to], ...]}` otherwise.
#[derive(Serialize, ToSchema)]
pub struct CycleView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_days: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<Vec<[u16; 2]>>,
}

impl CycleView {
    /// The cycle in French words for the staff pages: "14 j de prise, 7 j de pause" or
    /// "J1–J5, J8–J12 tous les 28 jours".
    pub fn text_fr(&self) -> String {
        match (self.on_days, self.off_days, self.length_days, &self.on) {
            (Some(on), Some(off), _, _) => format!("{on} j de prise, {off} j de pause"),
            (_, _, Some(length), Some(blocks)) => {
                let b: Vec<String> =
                    blocks.iter().map(|[a, z]| if a == z { format!("J{a}") } else { format!("J{a}–J{z}") }).collect();
                format!("{} tous les {length} jours", b.join(", "))
            }
            _ => String::new(),
        }
    }

    pub fn of(c: &crate::domain::regimen::Cycle) -> Self {
        match c.as_on_off() {
            Some((on, off)) => {
                Self { on_days: Some(on.into()), off_days: Some(off.into()), length_days: None, on: None }
            }
            None => Self {
                on_days: None,
                off_days: None,
                length_days: Some(c.length.into()),
                on: Some(c.on.iter().map(|&(a, b)| [a, b]).collect()),
            },
        }
    }
}

/// A ramp-up step.
#[derive(Serialize, ToSchema)]
pub struct StepView {
    pub from_day: u32,
    pub dose: String,
}

/// How a dose per m² or per kg was computed (staff only; the patient reads `dose`).
#[derive(Serialize, ToSchema)]
pub struct DoseComputationView {
    /// per_m2 or per_kg
    pub basis: String,
    pub prescribed_mg: f64,
    pub height_cm: Option<f64>,
    pub weight_kg: f64,
    pub bsa_m2: Option<f64>,
    pub computed_mg: f64,
    pub rounded_mg: f64,
    pub difference_pct: f64,
    /// The computation in words, e.g. "1 250 mg/m² × 1,71 m² (Mosteller, 165 cm, 64 kg) = …".
    pub text: String,
}

impl DoseComputationView {
    pub fn of(c: &crate::domain::dosing::Computation) -> Self {
        Self {
            basis: match c.basis {
                crate::domain::dosing::Basis::PerM2 => "per_m2".into(),
                crate::domain::dosing::Basis::PerKg => "per_kg".into(),
            },
            prescribed_mg: c.prescribed_mg,
            height_cm: c.height_cm,
            weight_kg: c.weight_kg,
            bsa_m2: c.bsa_m2.map(|b| (b * 100.0).round() / 100.0),
            computed_mg: (c.computed_mg * 10.0).round() / 10.0,
            rounded_mg: c.rounded_mg,
            difference_pct: (c.difference_pct * 10.0).round() / 10.0,
            text: crate::domain::dosing::staff_text(c),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ComedicationView {
    pub id: String,
    pub name: String,
    pub tags: Vec<String>,
    pub declared_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct EpisodeView {
    pub id: String,
    pub parcours: String,
    pub indication: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub start_date: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub baseline_weight_kg: Option<f64>,
    pub previous_episode_id: Option<String>,
    /// The sequence in progress (absent once the episode has ended).
    pub sequence: Option<SequenceView>,
    pub sequences: Vec<SequenceView>,
    pub regimen: Vec<RegimenView>,
    pub team: Option<TeamView>,
    pub comedications: Vec<ComedicationView>,
    /// Whether every drug of the regimen allows S3.
    pub s3_eligible: bool,
    /// Proportion of doses taken over the last 7 and 28 local days (off-cycle days excluded).
    pub adherence: AdherenceView,
}

#[derive(Serialize, ToSchema)]
pub struct AdherenceView {
    pub last_7_days: Option<RateView>,
    pub last_28_days: Option<RateView>,
}

#[derive(Serialize, ToSchema)]
pub struct RateView {
    pub taken: u32,
    pub scheduled: u32,
    pub percent: f64,
    pub late: u32,
}

#[derive(Serialize, ToSchema)]
pub struct PatientSummary {
    pub id: String,
    pub family_name: String,
    pub given_name: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: NaiveDate,
    pub sequence: Option<String>,
    pub parcours: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PatientView {
    pub id: String,
    pub family_name: String,
    pub given_name: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: NaiveDate,
    pub ins: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub time_zone: String,
    pub locale: String,
    pub establishment_id: String,
    /// The open episode, or the latest one if none is open.
    pub episode: Option<EpisodeView>,
    pub past_episode_ids: Vec<String>,
    /// The latest reports of the episode (ten at most), newest first.
    pub last_reports: Vec<ReportSummary>,
    /// Alerts of the episode not resolved yet.
    pub unresolved_alerts: Vec<AlertSummary>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportSummary {
    pub id: String,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub colour: String,
    pub sequence: String,
    /// (symptom, provisional grade) of grade 1 or more.
    pub grades: Vec<(String, i32)>,
}

#[derive(Serialize, ToSchema)]
pub struct AlertSummary {
    pub id: String,
    pub colour: String,
    pub topic: String,
    pub status: String,
    pub opened_at: chrono::DateTime<chrono::Utc>,
    pub deadline_at: chrono::DateTime<chrono::Utc>,
}

fn person(p: professional::Model) -> PersonRef {
    PersonRef { id: p.id, name: format!("{} {}", p.given_name, p.family_name), phone: p.phone }
}

async fn person_by_id(db: &impl ConnectionTrait, id: Option<&String>) -> Result<Option<PersonRef>, DbErr> {
    match id {
        Some(id) => Ok(directory::professional(db, id).await?.map(person)),
        None => Ok(None),
    }
}

pub async fn episode_view(state: &AppState, ep: episode::Model) -> Result<EpisodeView, DbErr> {
    let db = &state.db;
    let seqs = episodes::sequences(db, &ep.id).await?;
    let lines = if ep.end_date.is_some() {
        episodes::regimen_history(db, &ep.id).await?
    } else {
        episodes::active_regimen(db, &ep.id).await?
    };
    let team = match patients::current_team(db, &ep.id, state.today()).await? {
        Some(t) => Some(TeamView {
            idec: person_by_id(db, Some(&t.idec_id)).await?,
            oncologist: person_by_id(db, Some(&t.oncologist_id)).await?,
            hospital_pharmacist: person_by_id(db, t.hospital_pharmacist_id.as_ref()).await?,
            community_pharmacy: match &t.pharmacy_id {
                Some(id) => {
                    directory::pharmacy(db, id).await?.map(|p| PersonRef { id: p.id, name: p.name, phone: p.phone })
                }
                None => None,
            },
            gp: person_by_id(db, t.gp_id.as_ref()).await?,
            community_nurse: person_by_id(db, t.community_nurse_id.as_ref()).await?,
        }),
        None => None,
    };
    let comeds = episodes::comedications(db, &ep.id).await?;
    let tz = crate::store::patients::get(db, &ep.patient_id)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound(format!("patient of episode {}", ep.id)))?
        .time_zone()?;
    let today = state.now().with_timezone(&tz).date_naive();
    let rate_view = |r: Option<crate::domain::adherence::Rate>| {
        r.map(|r| RateView { taken: r.taken, scheduled: r.scheduled, percent: r.percent, late: r.late })
    };
    let adherence = AdherenceView {
        last_7_days: rate_view(crate::alerting::adherence::rate(db, &ep.id, today, 7).await?),
        last_28_days: rate_view(crate::alerting::adherence::rate(db, &ep.id, today, 28).await?),
    };
    let seq_view = |s: &crate::store::entities::sequence::Model| SequenceView {
        id: s.id.clone(),
        kind: s.kind.clone(),
        renewal_index: s.renewal_index,
        start_date: s.start_date,
        planned_end_date: s.planned_end_date,
        actual_end_date: s.actual_end_date,
        state: s.state.clone(),
        automatic: s.automatic,
        decision: s.decision.clone(),
    };
    Ok(EpisodeView {
        adherence,
        s3_eligible: s3_eligible(&state.rules.catalog, lines.iter().map(|l| l.drug.as_str())),
        sequence: seqs.iter().find(|s| s.state == "active").map(seq_view),
        sequences: seqs.iter().map(seq_view).collect(),
        regimen: lines
            .into_iter()
            .map(|l| {
                Ok(RegimenView {
                    times: l.times()?,
                    cycle: l.cycle()?.as_ref().map(CycleView::of),
                    steps: l.steps()?.into_iter().map(|s| StepView { from_day: s.from_day, dose: s.dose }).collect(),
                    dose_computation: l.computation()?.as_ref().map(DoseComputationView::of),
                    drug_name: state.rules.catalog.name_fr(&l.drug).to_owned(),
                    id: l.id,
                    drug: l.drug,
                    dose: l.dose,
                    start_date: l.start_date,
                    end_date: l.end_date,
                })
            })
            .collect::<Result<_, crate::store::StoredValueError>>()?,
        team,
        comedications: comeds
            .into_iter()
            .map(|c| {
                Ok(ComedicationView {
                    tags: c.tags()?.into_iter().collect(),
                    id: c.id,
                    name: c.name,
                    declared_at: c.declared_at,
                })
            })
            .collect::<Result<_, crate::store::StoredValueError>>()?,
        id: ep.id,
        parcours: ep.parcours,
        indication: ep.indication,
        start_date: ep.start_date,
        end_date: ep.end_date,
        end_reason: ep.end_reason,
        baseline_weight_kg: ep.baseline_weight_kg,
        previous_episode_id: ep.previous_episode_id,
    })
}

pub async fn patient_view(state: &AppState, p: patient::Model) -> Result<PatientView, DbErr> {
    let all = patients::episodes(&state.db, &p.id).await?;
    let main = all.iter().find(|e| e.end_date.is_none()).or(all.first()).cloned();
    let past_episode_ids =
        all.iter().filter(|e| Some(&e.id) != main.as_ref().map(|m| &m.id)).map(|e| e.id.clone()).collect();
    let (mut last_reports, mut unresolved_alerts) = (Vec::new(), Vec::new());
    if let Some(e) = &main {
        for r in reports::for_episode(&state.db, &e.id).await?.into_iter().take(10) {
            let grades =
                reports::grades_of(&state.db, &r.id).await?.into_iter().map(|g| (g.symptom, g.grade)).collect();
            last_reports.push(ReportSummary {
                id: r.id,
                submitted_at: r.submitted_at,
                colour: r.colour,
                sequence: r.sequence,
                grades,
            });
        }
        unresolved_alerts = alerts::unresolved_for_episode(&state.db, &e.id)
            .await?
            .into_iter()
            .map(|a| AlertSummary {
                id: a.id,
                colour: a.colour,
                topic: a.topic,
                status: a.status,
                opened_at: a.opened_at,
                deadline_at: a.deadline_at,
            })
            .collect();
    }
    let episode = match main {
        Some(e) => Some(episode_view(state, e).await?),
        None => None,
    };
    Ok(PatientView {
        id: p.id,
        family_name: p.family_name,
        given_name: p.given_name,
        birth_date: p.birth_date,
        ins: p.ins,
        phone: p.phone,
        email: p.email,
        time_zone: p.time_zone,
        locale: p.locale,
        establishment_id: p.establishment_id,
        episode,
        past_episode_ids,
        last_reports,
        unresolved_alerts,
    })
}

pub async fn patient_summary(db: &impl ConnectionTrait, p: patient::Model) -> Result<PatientSummary, DbErr> {
    let ep = patients::current_episode(db, &p.id).await?;
    let seq = match &ep {
        Some(e) => episodes::active_sequence(db, &e.id).await?.map(|s| s.kind),
        None => None,
    };
    Ok(PatientSummary {
        id: p.id,
        family_name: p.family_name,
        given_name: p.given_name,
        birth_date: p.birth_date,
        sequence: seq,
        parcours: ep.map(|e| e.parcours),
    })
}
