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
    pub times: Vec<String>,
    pub cycle: Option<CycleView>,
    #[schema(value_type = String, format = Date)]
    pub start_date: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub end_date: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct CycleView {
    pub on_days: i32,
    pub off_days: i32,
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
    let team = match patients::current_team(db, &ep.id).await? {
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
        }),
        None => None,
    };
    let comeds = episodes::comedications(db, &ep.id).await?;
    let tz: chrono_tz::Tz = match crate::store::patients::get(db, &ep.patient_id).await? {
        Some(p) => p.tz(),
        None => chrono_tz::Europe::Paris,
    };
    let today = state.now().with_timezone(&tz).date_naive();
    let rate_view = |r: Option<crate::domain::adherence::Rate>| {
        r.map(|r| RateView { taken: r.taken, scheduled: r.scheduled, percent: r.percent, late: r.late })
    };
    let adherence = AdherenceView {
        last_7_days: rate_view(crate::notify::adherence::rate(db, &ep.id, today, 7).await?),
        last_28_days: rate_view(crate::notify::adherence::rate(db, &ep.id, today, 28).await?),
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
            .map(|l| RegimenView {
                id: l.id,
                drug: l.drug,
                dose: l.dose,
                times: serde_json::from_str(&l.times).unwrap_or_default(),
                cycle: l.cycle_on_days.zip(l.cycle_off_days).map(|(on_days, off_days)| CycleView { on_days, off_days }),
                start_date: l.start_date,
                end_date: l.end_date,
            })
            .collect(),
        team,
        comedications: comeds
            .into_iter()
            .map(|c| ComedicationView {
                id: c.id,
                name: c.name,
                tags: serde_json::from_str(&c.tags).unwrap_or_default(),
                declared_at: c.declared_at,
            })
            .collect(),
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
