//! `relais demo`: a believable site — one cancer centre, its IDECs, oncologists and hospital
//! pharmacists, three community pharmacies, GPs, and patients on different drugs, parcours and
//! sequences, enrolled weeks to months ago so the pathway has history. Names are fictitious;
//! identifiers are in the 99… range no real FINESS/RPPS uses.

use chrono::{Duration, NaiveDate};

use crate::AppState;
use crate::domain::access::Role;
use crate::domain::billing::Month;
use crate::domain::enrolment::{self, CycleRequest, EnrolRequest, EpisodeRequest, RegimenLineRequest, TeamRequest};
use crate::domain::pathway::{Decision, EndReason};
use crate::jobs::pathway::run_transitions;
use crate::secrets;
use crate::store::{self, directory, episodes};

mod history;
mod pharmacy;

use pharmacy::{Dispensed, PharmacySide};

/// How far back the demo's day-to-day history (doses, questionnaires, alerts) goes.
const HISTORY_DAYS: i64 = 42;

pub const PASSWORD: &str = "relais-demo";

/// The demo logins of docs/api.md, with their role.
pub const LOGINS: &[(&str, &str)] = &[
    ("idec@demo.relais.test", "idec"),
    ("oncologue@demo.relais.test", "oncologist (on call)"),
    ("pharma-hosp@demo.relais.test", "hospital_pharmacist"),
    ("officine@demo.relais.test", "community_pharmacist (Pharmacie du Marché)"),
    ("officine2@demo.relais.test", "community_pharmacist (Pharmacie des Lices)"),
    ("officine3@demo.relais.test", "community_pharmacist (Pharmacie de la Gare)"),
    ("medecin@demo.relais.test", "gp"),
    ("admin@demo.relais.test", "admin"),
    ("facturation@demo.relais.test", "billing"),
];

pub struct Summary {
    pub patients: usize,
    pub episodes: usize,
    pub sample_patient: String,
    pub sample_code: String,
}

struct DemoPatient {
    family: &'static str,
    given: &'static str,
    birth: &'static str,
    tz: &'static str,
    drug: &'static str,
    dose: &'static str,
    times: &'static [&'static str],
    cycle: Option<(i64, i64)>,
    days_ago: i64,
    pharmacy: usize,
    gp: usize,
    /// Decision taken when S2 is reached (None = let the system renew).
    at_s2: Option<Decision>,
    ended: Option<EndReason>,
}

const PATIENTS: &[DemoPatient] = &[
    DemoPatient {
        family: "Martin",
        given: "Claire",
        birth: "1961-04-12",
        tz: "Europe/Paris",
        drug: "capecitabine",
        dose: "1500 mg matin et soir",
        times: &["08:00", "20:00"],
        cycle: Some((14, 7)),
        days_ago: 10,
        pharmacy: 0,
        gp: 0,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Dupont",
        given: "Jean",
        birth: "1955-09-03",
        tz: "Europe/Paris",
        drug: "palbociclib",
        dose: "125 mg le matin",
        times: &["09:00"],
        cycle: Some((21, 7)),
        days_ago: 45,
        pharmacy: 1,
        gp: 1,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Leroy",
        given: "Marie",
        birth: "1970-01-22",
        tz: "Europe/Paris",
        drug: "imatinib",
        dose: "400 mg le matin",
        times: &["08:30"],
        cycle: None,
        days_ago: 240,
        pharmacy: 0,
        gp: 0,
        at_s2: Some(Decision::Advance),
        ended: None,
    },
    DemoPatient {
        family: "Benali",
        given: "Ahmed",
        birth: "1966-06-30",
        tz: "Europe/Paris",
        drug: "sunitinib",
        dose: "50 mg le matin",
        times: &["08:00"],
        cycle: Some((28, 14)),
        days_ago: 20,
        pharmacy: 2,
        gp: 1,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Bernard",
        given: "Sophie",
        birth: "1958-11-15",
        tz: "Europe/Paris",
        drug: "olaparib",
        dose: "300 mg matin et soir",
        times: &["08:00", "20:00"],
        cycle: None,
        days_ago: 150,
        pharmacy: 1,
        gp: 0,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Petit",
        given: "Lucas",
        birth: "1949-02-08",
        tz: "Europe/Paris",
        drug: "ibrutinib",
        dose: "420 mg le matin",
        times: &["09:00"],
        cycle: None,
        days_ago: 60,
        pharmacy: 0,
        gp: 1,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Moreau",
        given: "Nathalie",
        birth: "1963-07-19",
        tz: "Europe/Paris",
        drug: "lenalidomide",
        dose: "25 mg le soir",
        times: &["20:00"],
        cycle: Some((21, 7)),
        days_ago: 21,
        pharmacy: 2,
        gp: 0,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Fournier",
        given: "Pierre",
        birth: "1947-12-01",
        tz: "Europe/Paris",
        drug: "abiraterone",
        dose: "1000 mg le matin à jeun",
        times: &["07:30"],
        cycle: None,
        days_ago: 330,
        pharmacy: 1,
        gp: 1,
        at_s2: Some(Decision::Advance),
        ended: None,
    },
    DemoPatient {
        family: "Girard",
        given: "Isabelle",
        birth: "1975-03-27",
        tz: "Europe/Paris",
        drug: "temozolomide",
        dose: "360 mg le soir",
        times: &["21:00"],
        cycle: Some((5, 23)),
        days_ago: 33,
        pharmacy: 0,
        gp: 0,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Lambert",
        given: "Thomas",
        birth: "1959-10-10",
        tz: "Europe/Paris",
        drug: "erlotinib",
        dose: "150 mg le matin à jeun",
        times: &["07:00"],
        cycle: None,
        days_ago: 42,
        pharmacy: 2,
        gp: 1,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Payet",
        given: "Camille",
        birth: "1968-05-05",
        tz: "Indian/Reunion",
        drug: "ribociclib",
        dose: "600 mg le matin",
        times: &["08:00"],
        cycle: Some((21, 7)),
        days_ago: 12,
        pharmacy: 0,
        gp: 0,
        at_s2: None,
        ended: None,
    },
    DemoPatient {
        family: "Vincent",
        given: "Henri",
        birth: "1944-08-14",
        tz: "Europe/Paris",
        drug: "enzalutamide",
        dose: "160 mg le matin",
        times: &["08:00"],
        cycle: None,
        days_ago: 200,
        pharmacy: 1,
        gp: 1,
        at_s2: Some(Decision::Advance),
        ended: None,
    },
    DemoPatient {
        family: "Blanc",
        given: "Louise",
        birth: "1952-04-02",
        tz: "Europe/Paris",
        drug: "sorafenib",
        dose: "400 mg matin et soir",
        times: &["08:00", "20:00"],
        cycle: None,
        days_ago: 70,
        pharmacy: 2,
        gp: 0,
        at_s2: None,
        ended: Some(EndReason::TreatmentStopped),
    },
];

/// The patient who moves to another community pharmacy in the middle of the episode: (index in
/// [`PATIENTS`], the new pharmacy's index, days before today).
const PHARMACY_CHANGE: (usize, usize, i64) = (1, 0, 21);

/// What the pharmacy side recorded for the demo patient of this index (see `demo/pharmacy.rs`):
/// the latest dispensation and a co-medication, chosen so that each pharmacist has patients
/// to see.
fn pharmacy_side(i: usize) -> PharmacySide {
    let d = |days_ago, units, units_per_day, prescription_ends_in| {
        Some(Dispensed { days_ago, units, units_per_day, prescription_ends_in })
    };
    let (dispensed, comedication) = match i {
        // Capecitabine started 10 days ago: its first dispensation is still to record.
        0 => (None, None),
        // Palbociclib: dispensed by the new pharmacy after the change.
        1 => (d(17, 21, 1, None), None),
        // Imatinib, 30 tablets 33 days ago: out for 3 days, renewal overdue.
        2 => (d(33, 30, 1, None), None),
        // Sunitinib and St John's wort (a strong CYP3A4 inducer): an interaction, for the
        // hospital pharmacist in S1.
        3 => (d(20, 28, 1, None), Some("millepertuis")),
        // Olaparib: the prescription ends in 2 days, before the next decision.
        4 => (d(10, 112, 4, Some(2)), None),
        // Ibrutinib and clarithromycin (a strong CYP3A4 inhibitor): an interaction.
        5 => (d(5, 84, 3, None), Some("clarithromycine")),
        // Lenalidomide, parcours B: the hospital pharmacy dispenses.
        6 => (d(21, 21, 1, None), None),
        // Abiraterone: runs out in 3 days, the refill reminder is due today.
        7 => (d(27, 120, 4, None), None),
        8 => (d(5, 5, 1, None), None),
        // Erlotinib, in S2: renewal overdue, and clarithromycin (a strong CYP3A4 inhibitor).
        9 => (d(33, 30, 1, None), Some("clarithromycine")),
        10 => (d(12, 63, 3, None), None),
        // Enzalutamide, 120 capsules at 4 a day 32 days ago: renewal overdue.
        11 => (d(32, 120, 4, None), None),
        _ => (None, None),
    };
    PharmacySide { dispensed, comedication }
}

struct Staffing {
    est: String,
    idecs: Vec<String>,
    oncologists: Vec<String>,
    hosp_pharmacist: String,
    pharmacies: Vec<String>,
    /// The community pharmacist of each pharmacy, in the order of `pharmacies`.
    community_pharmacists: Vec<String>,
    gps: Vec<String>,
}

async fn staff(state: &AppState) -> anyhow::Result<Staffing> {
    let now = state.now();
    let db = &state.db;
    let hash = secrets::hash_password(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let est = directory::create_establishment(
        db,
        directory::NewEstablishment {
            finess: "990000013",
            name: "Centre de cancérologie Relais (démo)",
            phone_24h: "+33299000000",
            calendar: "fr",
            time_zone: "Europe/Paris",
            backup_emails: &["cadre-onco@demo.relais.test".to_owned()],
        },
        now,
    )
    .await?;
    let mut pharmacies = Vec::new();
    for (finess, name, city) in [
        ("990001011", "Pharmacie du Marché", "Rennes"),
        ("990001029", "Pharmacie des Lices", "Rennes"),
        ("990001037", "Pharmacie de la Gare", "Vitré"),
    ] {
        pharmacies.push(directory::create_pharmacy(db, finess, name, Some(city), Some("+33299111111"), now).await?.id);
    }
    // (email, role, family name, given name, pharmacy index, on call)
    type Person = (&'static str, Role, &'static str, &'static str, Option<usize>, bool);
    let people: &[Person] = &[
        ("idec@demo.relais.test", Role::Idec, "Morel", "Julie", None, false),
        ("idec2@demo.relais.test", Role::Idec, "Faure", "Karim", None, false),
        ("oncologue@demo.relais.test", Role::Oncologist, "Garnier", "Paul", None, true),
        ("oncologue2@demo.relais.test", Role::Oncologist, "Chevalier", "Anne", None, false),
        ("pharma-hosp@demo.relais.test", Role::HospitalPharmacist, "Mercier", "Lina", None, false),
        ("officine@demo.relais.test", Role::CommunityPharmacist, "Robin", "Élodie", Some(0), false),
        ("officine2@demo.relais.test", Role::CommunityPharmacist, "Gauthier", "Marc", Some(1), false),
        ("officine3@demo.relais.test", Role::CommunityPharmacist, "Perrin", "Sarah", Some(2), false),
        ("medecin@demo.relais.test", Role::Gp, "Rousseau", "Hélène", None, false),
        ("medecin2@demo.relais.test", Role::Gp, "Blanchard", "Yves", None, false),
        ("admin@demo.relais.test", Role::Admin, "Admin", "Démo", None, false),
        ("facturation@demo.relais.test", Role::Billing, "Lemoine", "Nadia", None, false),
    ];
    let mut ids: Vec<(Role, String)> = Vec::new();
    for (i, (email, role, family, given, pharmacy, on_call)) in people.iter().enumerate() {
        let rpps = (!matches!(role, Role::Admin | Role::Billing)).then(|| format!("99{:09}", i + 1));
        let p = directory::create_professional(
            db,
            directory::NewProfessional {
                email,
                rpps: rpps.as_deref(),
                role: *role,
                family_name: family,
                given_name: given,
                phone: Some("+33299000001"),
                establishment_id: role.needs_establishment().then_some(est.id.as_str()),
                pharmacy_id: pharmacy.map(|i| pharmacies[i].as_str()),
                on_call: *on_call,
                password_hash: &hash,
                locale: "fr",
            },
            now,
        )
        .await?;
        ids.push((*role, p.id));
    }
    let of = |r: Role| ids.iter().filter(|(role, _)| *role == r).map(|(_, id)| id.clone()).collect::<Vec<_>>();
    Ok(Staffing {
        est: est.id,
        idecs: of(Role::Idec),
        oncologists: of(Role::Oncologist),
        hosp_pharmacist: of(Role::HospitalPharmacist).remove(0),
        pharmacies,
        community_pharmacists: of(Role::CommunityPharmacist),
        gps: of(Role::Gp),
    })
}

/// Seeds the demo site and replays the pathway up to today.
pub async fn seed(state: &AppState) -> anyhow::Result<Summary> {
    let s = staff(state).await?;
    let now = state.now();
    let tz = state.site_tz();
    let today = now.with_timezone(&tz).date_naive();
    let mut summary = Summary { patients: 0, episodes: 0, sample_patient: String::new(), sample_code: String::new() };
    let mut with_decision = Vec::new();
    let mut to_end = Vec::new();
    let mut sim = Vec::new();
    let mut enrolled: Vec<String> = Vec::new();
    let history_from = now - Duration::days(HISTORY_DAYS);
    for (i, d) in PATIENTS.iter().enumerate() {
        let start = today - Duration::days(d.days_ago);
        let req = EnrolRequest {
            family_name: d.family.into(),
            given_name: d.given.into(),
            birth_date: d.birth.parse::<NaiveDate>()?,
            ins: None,
            phone: Some(format!("+3361234{:04}", 5600 + i)),
            email: None,
            time_zone: Some(d.tz.into()),
            locale: Some(if i == 10 { "en".into() } else { "fr".into() }),
            height_cm: None,
            episode: EpisodeRequest {
                parcours: None,
                start_date: start,
                baseline_weight_kg: Some(55.0 + (i as f64) * 2.5),
                indication: Some(if matches!(d.drug, "abiraterone" | "enzalutamide") {
                    "advanced".into()
                } else {
                    "other".into()
                }),
                regimen: vec![RegimenLineRequest {
                    drug: d.drug.into(),
                    dose: Some(d.dose.into()),
                    times: d.times.iter().map(|t| (*t).to_owned()).collect(),
                    cycle: d.cycle.map(|(on_days, off_days)| CycleRequest::on_off(on_days, off_days)),
                    ..RegimenLineRequest::default()
                }],
                team: TeamRequest {
                    idec: s.idecs[i % s.idecs.len()].clone(),
                    oncologist: s.oncologists[i % s.oncologists.len()].clone(),
                    hospital_pharmacist: Some(s.hosp_pharmacist.clone()),
                    community_pharmacy: Some(s.pharmacies[d.pharmacy].clone()),
                    gp: Some(s.gps[d.gp].clone()),
                    community_nurse: None,
                },
            },
        };
        let checked = enrolment::check(&req, &state.rules.catalog, tz, today)
            .map_err(|e| anyhow::anyhow!("demo patient {i}: {e}"))?;
        let enrolled_at = now - Duration::days(d.days_ago);
        let txn = store::begin_write(&state.db).await?;
        let e = episodes::enrol(&txn, &checked, &s.est, &s.idecs[0], &state.rules.pathway, enrolled_at).await?;
        let (code, _) = crate::app::patients::issue_code(state, &txn, &e.patient_id).await?;
        // Planning starts where the simulated history starts (or at enrolment, if later).
        let plan_from = enrolled_at.max(history_from);
        store::due_work::restart_episode_planning(&txn, &e.episode_id, plan_from).await?;
        txn.commit().await?;
        enrolled.push(e.episode_id.clone());
        sim.push(history::SimPatient {
            patient_id: e.patient_id.clone(),
            episode_id: e.episode_id.clone(),
            idec: s.idecs[i % s.idecs.len()].clone(),
            profile: match i % 5 {
                2 => history::Profile::Forgetful,
                1 | 3 => history::Profile::Symptomatic,
                _ => history::Profile::Steady,
            },
            answered: 0,
        });
        if i == 0 {
            summary.sample_patient = format!("{} {}", d.given, d.family);
            summary.sample_code = code;
        }
        if let Some(dec) = d.at_s2 {
            with_decision.push((e.episode_id.clone(), dec, start));
        }
        if let Some(r) = d.ended {
            to_end.push((e.episode_id.clone(), r));
        }
        summary.patients += 1;
        summary.episodes += 1;
    }
    // Replay the pathway week by week up to the simulated history, then hour by hour with the
    // day-to-day jobs, so decisions land while their S2 is in progress.
    let oldest = PATIENTS.iter().map(|p| p.days_ago).max().unwrap_or(0);
    let mut t = now - Duration::days(oldest);
    let end_on = today - Duration::days(3);
    let mut day_seen = None;
    let mut hist = history::Stats::default();
    while t < now {
        let local = t.with_timezone(&tz).date_naive();
        if day_seen != Some(local) {
            day_seen = Some(local);
            run_transitions(state, t).await?;
            for (ep, dec, start) in &with_decision {
                // Decide a couple of weeks into S2 (S1 lasts one month).
                if local >= *start + Duration::days(45)
                    && let Some(seq) = episodes::active_sequence(&state.db, ep).await?
                    && seq.kind == "S2"
                    && seq.decision.is_none()
                {
                    episodes::record_decision(&state.db, &seq.id, *dec, &s.oncologists[0], t).await?;
                }
            }
            let (moved, to_pharmacy, change_days_ago) = PHARMACY_CHANGE;
            if local == today - Duration::days(change_days_ago) {
                pharmacy::change_pharmacy(
                    state,
                    &s.idecs[moved % s.idecs.len()],
                    &enrolled[moved],
                    &s.pharmacies[to_pharmacy],
                    local,
                    t,
                )
                .await?;
            }
            if local >= end_on {
                for (ep_id, reason) in std::mem::take(&mut to_end) {
                    if let Some(ep) = episodes::get(&state.db, &ep_id).await? {
                        episodes::end_episode(&state.db, &ep, reason, end_on, t).await?;
                    }
                    sim.retain(|p| p.episode_id != ep_id);
                }
            }
        }
        if t < history_from {
            t += Duration::days(1);
            continue;
        }
        history::step(state, &mut sim, t, now, &mut hist).await?;
        t += Duration::hours(1);
    }
    run_transitions(state, now).await?;
    for (i, d) in PATIENTS.iter().enumerate() {
        if d.ended.is_some() {
            continue;
        }
        let pharmacy = if i == PHARMACY_CHANGE.0 { PHARMACY_CHANGE.1 } else { d.pharmacy };
        let parcours_b = state.rules.catalog.default_parcours([d.drug]) == crate::domain::Parcours::B;
        let dispenser = if parcours_b { &s.hosp_pharmacist } else { &s.community_pharmacists[pharmacy] };
        pharmacy::record(state, dispenser, &enrolled[i], d.drug, today, &pharmacy_side(i)).await?;
    }
    if sim.len() >= 2 {
        history::fresh_reports(state, &sim[0], &sim[1], now).await?;
    }
    // Bill what the pathway did, and close the last three months so statements exist.
    crate::jobs::billing::sync(state, now).await?;
    let mut month = Month::of(today).previous().previous().previous();
    for _ in 0..3 {
        crate::jobs::billing::close_month(state, month)
            .await
            .map_err(|e| anyhow::anyhow!("demo close {month:?}: {e:?}"))?;
        month = month.next();
    }
    tracing::info!(
        doses_confirmed = hist.doses_confirmed,
        reports = hist.reports,
        alerts_closed = hist.alerts_closed,
        "demo history simulated"
    );
    Ok(summary)
}
