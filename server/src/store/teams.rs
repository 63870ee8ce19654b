//! The care team of an episode over time. Each row of `care_teams` is one version of the team
//! with its period (`valid_from` inclusive, `valid_to` exclusive, None = until further notice);
//! the team in force on a day is the version whose period holds it, so a change recorded for a
//! later date takes effect that day and one backdated takes effect from its date (access, alert
//! routing and billing all read the team of a day). Each member's period is read from the
//! versions that name them (`member_periods`).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use super::entities::care_team;
use super::new_id;

/// The members of a team version (ids of professionals, and of the pharmacy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Members {
    pub idec: String,
    pub oncologist: String,
    pub hospital_pharmacist: Option<String>,
    pub community_pharmacy: Option<String>,
    pub gp: Option<String>,
    pub community_nurse: Option<String>,
}

impl Members {
    pub fn of(t: &care_team::Model) -> Self {
        Self {
            idec: t.idec_id.clone(),
            oncologist: t.oncologist_id.clone(),
            hospital_pharmacist: t.hospital_pharmacist_id.clone(),
            community_pharmacy: t.pharmacy_id.clone(),
            gp: t.gp_id.clone(),
            community_nurse: t.community_nurse_id.clone(),
        }
    }

    /// (role, member id) in a fixed order; the pharmacy's role is `community_pharmacy`.
    pub fn slots(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("idec", Some(self.idec.as_str())),
            ("oncologist", Some(self.oncologist.as_str())),
            ("hospital_pharmacist", self.hospital_pharmacist.as_deref()),
            ("community_pharmacy", self.community_pharmacy.as_deref()),
            ("gp", self.gp.as_deref()),
            ("community_nurse", self.community_nurse.as_deref()),
        ]
    }
}

/// The version in force on `day`; before an episode starts (included ahead of its start date),
/// the team named at inclusion. One statement: the episode's versions, chosen by [`in_force`].
pub async fn team_on(
    db: &impl ConnectionTrait,
    episode_id: &str,
    day: NaiveDate,
) -> Result<Option<care_team::Model>, DbErr> {
    Ok(teams_on(db, &[(episode_id, day)]).await?.remove(episode_id))
}

/// The team in force of each `(episode, day)`, by episode id, in one statement whatever their
/// number (the alerts of a batch of reports, `alerting::raise_many`); an episode without a
/// team on its day is left out. An episode listed twice keeps its last day's team.
pub async fn teams_on(
    db: &impl ConnectionTrait,
    days: &[(&str, NaiveDate)],
) -> Result<std::collections::HashMap<String, care_team::Model>, DbErr> {
    let mut out = std::collections::HashMap::new();
    if days.is_empty() {
        return Ok(out);
    }
    let mut ids: Vec<&str> = days.iter().map(|(e, _)| *e).collect();
    ids.sort_unstable();
    ids.dedup();
    let versions = care_team::Entity::find().filter(care_team::Column::EpisodeId.is_in(ids)).all(db).await?;
    for (episode_id, day) in days {
        let of: Vec<&care_team::Model> = versions.iter().filter(|t| t.episode_id == *episode_id).collect();
        if let Some(t) = in_force(&of, *day) {
            out.insert((*episode_id).to_owned(), t.clone());
        } else {
            out.remove(*episode_id);
        }
    }
    Ok(out)
}

/// Which of an episode's versions is in force on `day`: the latest one whose period holds it;
/// before any does (an episode included ahead of its start), the first one, if it starts
/// later and is not an empty period. Ties on the start date go to the version recorded last.
fn in_force<'a>(versions: &[&'a care_team::Model], day: NaiveDate) -> Option<&'a care_team::Model> {
    let order = |t: &&&care_team::Model| (t.valid_from, t.created_at);
    let holding = versions.iter().filter(|t| t.valid_from <= day && t.valid_to.is_none_or(|to| to > day));
    match holding.max_by_key(order) {
        Some(t) => Some(*t),
        None => versions
            .iter()
            .min_by_key(order)
            .filter(|f| f.valid_from > day && f.valid_to.is_none_or(|to| to > f.valid_from))
            .copied(),
    }
}

/// The episode ids whose team in force on `day` matches `member` (e.g. `GpId.eq(x)`).
pub async fn episodes_with(
    db: &impl ConnectionTrait,
    member: sea_orm::sea_query::SimpleExpr,
    day: NaiveDate,
) -> Result<Vec<String>, DbErr> {
    let rows = care_team::Entity::find()
        .filter(member)
        .filter(Condition::any().add(care_team::Column::ValidTo.is_null()).add(care_team::Column::ValidTo.gt(day)))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for t in rows {
        // A version that begins later counts only when it is the team before the episode starts.
        if t.valid_from <= day || team_on(db, &t.episode_id, day).await?.is_some_and(|f| f.id == t.id) {
            out.push(t.episode_id);
        }
    }
    Ok(out)
}

/// Every version of the team, oldest first; versions of no length (replaced the day they
/// began) are left out.
pub async fn versions(db: &impl ConnectionTrait, episode_id: &str) -> Result<Vec<care_team::Model>, DbErr> {
    Ok(care_team::Entity::find()
        .filter(care_team::Column::EpisodeId.eq(episode_id))
        .order_by_asc(care_team::Column::ValidFrom)
        .order_by_asc(care_team::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .filter(|t| t.valid_to.is_none_or(|to| to > t.valid_from))
        .collect())
}

/// The last version (the one with no end), which a change replaces.
pub async fn latest(db: &impl ConnectionTrait, episode_id: &str) -> Result<Option<care_team::Model>, DbErr> {
    care_team::Entity::find()
        .filter(care_team::Column::EpisodeId.eq(episode_id))
        .filter(care_team::Column::ValidTo.is_null())
        .order_by_desc(care_team::Column::ValidFrom)
        .one(db)
        .await
}

/// One member's time on the team: `to` exclusive, None while still on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPeriod {
    pub role: &'static str,
    pub member_id: String,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

/// Each member's periods, from the versions (oldest first): consecutive versions naming the same
/// member in the same role make one period.
pub fn member_periods(versions: &[care_team::Model]) -> Vec<MemberPeriod> {
    let mut out: Vec<MemberPeriod> = Vec::new();
    for v in versions {
        for (role, id) in Members::of(v).slots() {
            let Some(id) = id else { continue };
            let open = out.iter_mut().find(|p| p.role == role && p.member_id == id && p.to == Some(v.valid_from));
            match open {
                Some(p) => p.to = v.valid_to,
                None => out.push(MemberPeriod { role, member_id: id.to_owned(), from: v.valid_from, to: v.valid_to }),
            }
        }
    }
    out.sort_by(|a, b| (a.role, a.from).cmp(&(b.role, b.from)));
    out
}

/// The team becomes `members` from `on`: the last version closes that day and a new one opens
/// (a last version that began that very day is replaced in place, so no period of no length is
/// kept). The caller has checked that `on` is not before the last version began.
pub async fn change(
    db: &impl ConnectionTrait,
    last: &care_team::Model,
    members: &Members,
    on: NaiveDate,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = |id: String| care_team::ActiveModel {
        id: Set(id),
        episode_id: Set(last.episode_id.clone()),
        idec_id: Set(members.idec.clone()),
        oncologist_id: Set(members.oncologist.clone()),
        hospital_pharmacist_id: Set(members.hospital_pharmacist.clone()),
        pharmacy_id: Set(members.community_pharmacy.clone()),
        gp_id: Set(members.gp.clone()),
        community_nurse_id: Set(members.community_nurse.clone()),
        valid_from: Set(on),
        valid_to: Set(None),
        created_at: Set(now),
        changed_by: Set(Some(by.to_owned())),
    };
    if last.valid_from == on {
        care_team::Entity::update(row(last.id.clone())).exec(db).await?;
        return Ok(());
    }
    care_team::Entity::update_many()
        .col_expr(care_team::Column::ValidTo, Expr::value(on))
        .filter(care_team::Column::Id.eq(&last.id))
        .exec(db)
        .await?;
    care_team::Entity::insert(row(new_id())).exec_without_returning(db).await?;
    Ok(())
}

/// The patient moves to another community pharmacy from `on` (tests and the demo): the rest of
/// the team is kept. Returns false when the episode has no team in force (ended).
pub async fn change_community_pharmacy(
    db: &impl ConnectionTrait,
    episode_id: &str,
    pharmacy_id: Option<&str>,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(last) = latest(db, episode_id).await? else { return Ok(false) };
    let members = Members { community_pharmacy: pharmacy_id.map(Into::into), ..Members::of(&last) };
    let by = last.changed_by.clone().unwrap_or_else(|| last.idec_id.clone());
    change(db, &last, &members, on, &by, now).await?;
    Ok(true)
}
