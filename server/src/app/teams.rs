//! The care team of an episode changes over time ("passage de relais", docs/domain.md, "Care
//! team"): a new community pharmacy, a GP named late, an IDEL joining, another IDEC or
//! oncologist. A change takes effect on its date (today or later, or up to 7 days back): from
//! that day access, alert routing and the forfait lines follow the new team; the versions before
//! it are kept as the team's history.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{ActionError, StaffAuth};
use crate::AppState;
use crate::domain::Parcours;
use crate::domain::access::{Role, staff_sees};
use crate::domain::enrolment::TeamRequest;
use crate::store::entities::{care_team, episode};
use crate::store::teams::{self, Members};
use crate::store::{self, audit, billing, directory, episodes, patients};

/// How far back a change may take effect (a pharmacy change learnt a few days late).
pub const MAX_DAYS_BACK: i64 = 7;
/// How far ahead a change may be planned (a typo in the year is refused, not kept for decades).
pub const MAX_DAYS_AHEAD: i64 = 366;

/// A field that is absent stays as it is; `null` removes the member (optional roles only).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The members to change from `effective_date`; the others stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamChange {
    /// YYYY-MM-DD: today or later (up to a year), or up to 7 days back.
    pub effective_date: String,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub idec: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub oncologist: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub hospital_pharmacist: Option<Option<String>>,
    /// A pharmacy id; null to remove (not in parcours A, which needs one).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub community_pharmacy: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub gp: Option<Option<String>>,
    /// A professional of role `community_nurse` (IDEL).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub community_nurse: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// idec | oncologist | hospital_pharmacist | community_pharmacy | gp | community_nurse
    pub role: String,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamVersionView {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Exclusive; None while in force.
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    pub members: Vec<MemberView>,
}

/// One member's time on the team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPeriodView {
    pub role: String,
    pub id: String,
    pub name: String,
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// Exclusive (the first day without them); None while on the team.
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamHistoryView {
    pub episode_id: String,
    /// The team in force today (None once the episode has ended).
    pub current: Option<TeamVersionView>,
    /// A change recorded for a later date, if any.
    pub upcoming: Option<TeamVersionView>,
    /// Every member's periods, by role then date.
    pub history: Vec<MemberPeriodView>,
}

/// Who may change the team: the hospital staff of the episode's establishment (who cover each
/// other's patients) and its admin. Anyone else who can see the patient gets 403, the rest 404.
async fn may_change(state: &AppState, auth: &StaffAuth, ep: &episode::Model) -> Result<(), ActionError> {
    let same_est = auth.staff.establishment_id.as_deref() == Some(ep.establishment_id.as_str());
    match auth.staff.role {
        r if r.is_hospital() && same_est => Ok(()),
        Role::Admin if same_est => Ok(()),
        _ => {
            let p = patients::get(&state.db, &ep.patient_id).await?.ok_or(ActionError::NotFound)?;
            if staff_sees(&auth.staff, &patients::facts(&state.db, &p, state.today()).await?) {
                Err(ActionError::Forbidden("the care team is changed by the hospital team"))
            } else {
                Err(ActionError::NotFound)
            }
        }
    }
}

/// A date `YYYY-MM-DD`, or an error naming the field.
fn date(raw: &str, field: &str) -> Result<NaiveDate, ActionError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ActionError::field(field, "a date YYYY-MM-DD"))
}

/// Changes the named members from `effective_date`, in one transaction: the new version of the
/// team, the forfait lines brought in line with it, the audit line. Returns the team.
pub async fn change(
    state: &AppState,
    auth: &StaffAuth,
    episode_id: &str,
    req: &TeamChange,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<TeamHistoryView, ActionError> {
    let ep = episodes::get(&state.db, episode_id).await?.ok_or(ActionError::NotFound)?;
    may_change(state, auth, &ep).await?;
    let today = now.with_timezone(&state.site_tz()).date_naive();
    let on = date(&req.effective_date, "effective_date")?;
    if on < today - Duration::days(MAX_DAYS_BACK) {
        return Err(ActionError::field(
            "effective_date",
            format!("today or later, or up to {MAX_DAYS_BACK} days back (not before {})", today - Duration::days(7)),
        ));
    }
    if on > today + Duration::days(MAX_DAYS_AHEAD) {
        return Err(ActionError::field("effective_date", "within a year from today"));
    }
    if on < ep.start_date {
        return Err(ActionError::field(
            "effective_date",
            format!("the episode started on {}: a change cannot take effect before", ep.start_date),
        ));
    }
    if ep.end_date.is_some() {
        return Err(ActionError::conflict("this episode has ended: its team no longer changes"));
    }
    let txn = store::begin_write(&state.db).await?;
    let last = teams::latest(&txn, &ep.id).await?.ok_or(ActionError::conflict("the episode has no team"))?;
    if on < last.valid_from {
        return Err(ActionError::field(
            "effective_date",
            format!("a change from {} is already recorded: this one must take effect on or after it", last.valid_from),
        ));
    }
    let members = merged(&last, req)?;
    if ep.parcours()? == Parcours::A && members.community_pharmacy.is_none() {
        return Err(ActionError::field("community_pharmacy", "parcours A needs a community pharmacy on the team"));
    }
    let checked = TeamRequest {
        idec: members.idec.clone(),
        oncologist: members.oncologist.clone(),
        hospital_pharmacist: members.hospital_pharmacist.clone(),
        community_pharmacy: members.community_pharmacy.clone(),
        gp: members.gp.clone(),
        community_nurse: members.community_nurse.clone(),
    };
    episodes::check_team(&txn, &checked, &ep.establishment_id, "").await?;
    let before = Members::of(&last);
    if members != before {
        teams::change(&txn, &last, &members, on, &auth.staff.id, now).await?;
        // Whoever joins the community side is told, with the hand-over sheet (docs/domain.md).
        let joining = super::handover::Joining::between(&before, &members);
        super::handover::issue_to_joining(&txn, state, &ep, &joining, &auth.actor(), now).await?;
        // The forfait lines follow the team of each sequence's start; a failure of the rules
        // (no tariff in force) leaves the lines to the billing job, which reports it.
        match billing::sync_in(&txn, &state.rules.tariffs, &ep.id, now).await {
            Ok(_) => {}
            Err(billing::SyncError::Rules { message, .. }) => {
                tracing::warn!(episode_id = %ep.id, %message, "team changed, forfait lines left to the billing job");
            }
            Err(billing::SyncError::Db(e)) => return Err(e.into()),
        }
        audit::record(
            &txn,
            audit::Entry {
                actor: &auth.actor(),
                action: "change_team",
                entity: "episode",
                entity_id: Some(&ep.id),
                patient_id: Some(&ep.patient_id),
                at: now,
            },
        )
        .await?;
    }
    let view = view_of(&txn, &ep, today).await?;
    txn.commit().await?;
    Ok(view)
}

/// The last version with the request's members on top; the IDEC and the oncologist stay named.
fn merged(last: &care_team::Model, req: &TeamChange) -> Result<Members, ActionError> {
    let mut m = Members::of(last);
    let required = |v: &Option<Option<String>>, field: &str, cur: &mut String| -> Result<(), ActionError> {
        match v {
            None => Ok(()),
            Some(Some(id)) if !id.trim().is_empty() => {
                *cur = id.trim().to_owned();
                Ok(())
            }
            Some(_) => Err(ActionError::field(field, "the team always has one: name who takes over")),
        }
    };
    required(&req.idec, "idec", &mut m.idec)?;
    required(&req.oncologist, "oncologist", &mut m.oncologist)?;
    let optional = |v: &Option<Option<String>>, cur: &mut Option<String>| {
        if let Some(v) = v {
            *cur = v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        }
    };
    optional(&req.hospital_pharmacist, &mut m.hospital_pharmacist);
    optional(&req.community_pharmacy, &mut m.community_pharmacy);
    optional(&req.gp, &mut m.gp);
    optional(&req.community_nurse, &mut m.community_nurse);
    Ok(m)
}

/// The team of an episode the caller may see: in force today, upcoming, and every member's
/// periods. Audited as a read of the patient's record.
pub async fn read(state: &AppState, auth: &StaffAuth, episode_id: &str) -> Result<TeamHistoryView, ActionError> {
    let ep = super::episodes::visible_episode(state, auth, episode_id).await?;
    let view = view_of(&state.db, &ep, state.today()).await?;
    audit::record(
        &state.db,
        audit::Entry {
            actor: &auth.actor(),
            action: "read",
            entity: "care_team",
            entity_id: Some(&ep.id),
            patient_id: Some(&ep.patient_id),
            at: state.now(),
        },
    )
    .await?;
    Ok(view)
}

/// The team for the patient page, whose opening already wrote the read to the audit log.
pub async fn for_page(state: &AppState, ep: &episode::Model) -> Result<TeamHistoryView, ActionError> {
    Ok(view_of(&state.db, ep, state.today()).await?)
}

/// Whether the caller may change this episode's team (the page shows the form only then).
pub fn may_change_team(auth: &StaffAuth, ep: &episode::Model) -> bool {
    let same_est = auth.staff.establishment_id.as_deref() == Some(ep.establishment_id.as_str());
    ep.end_date.is_none() && same_est && (auth.staff.role.is_hospital() || auth.staff.role == Role::Admin)
}

async fn name_of(db: &impl sea_orm::ConnectionTrait, role: &str, id: &str) -> Result<String, sea_orm::DbErr> {
    Ok(if role == "community_pharmacy" {
        directory::pharmacy(db, id).await?.map(|p| p.name)
    } else {
        directory::professional(db, id).await?.map(|p| format!("{} {}", p.given_name, p.family_name))
    }
    .unwrap_or_else(|| id.to_owned()))
}

async fn version_view(
    db: &impl sea_orm::ConnectionTrait,
    t: &care_team::Model,
) -> Result<TeamVersionView, sea_orm::DbErr> {
    let mut members = Vec::new();
    for (role, id) in Members::of(t).slots() {
        if let Some(id) = id {
            members.push(MemberView { role: role.to_owned(), id: id.to_owned(), name: name_of(db, role, id).await? });
        }
    }
    Ok(TeamVersionView { from: t.valid_from, to: t.valid_to, members })
}

async fn view_of(
    db: &impl sea_orm::ConnectionTrait,
    ep: &episode::Model,
    today: NaiveDate,
) -> Result<TeamHistoryView, sea_orm::DbErr> {
    let versions = teams::versions(db, &ep.id).await?;
    let current = match versions.iter().rev().find(|v| v.valid_from <= today && v.valid_to.is_none_or(|to| to > today))
    {
        Some(v) => Some(version_view(db, v).await?),
        None => None,
    };
    let upcoming = match versions.iter().find(|v| v.valid_from > today) {
        Some(v) => Some(version_view(db, v).await?),
        None => None,
    };
    let mut history = Vec::new();
    for p in teams::member_periods(&versions) {
        history.push(MemberPeriodView {
            role: p.role.to_owned(),
            name: name_of(db, p.role, &p.member_id).await?,
            id: p.member_id,
            from: p.from,
            to: p.to,
        });
    }
    Ok(TeamHistoryView { episode_id: ep.id.clone(), current, upcoming, history })
}
