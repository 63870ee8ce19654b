//! Alerts: raised from what a patient reports (`app::reports`), what their doses show
//! (`adherence`), a co-medication's interactions or missed questionnaires; routed by the rules
//! to the people of the patient's team; merged into the unresolved alert of the same patient and
//! topic (no flood); escalated until someone acknowledges (`escalate`, run by the `urgent` loop).
//! The notifications an alert causes are written to the outbox in the same transaction;
//! delivering them is `notify`'s job (docs/design.md, "Data flow").
//!
//! Raising: route by the rules, resolve roles to people, compute the deadline (working days per
//! the establishment's calendar), merge, queue the notifications.

pub mod adherence;
pub mod regimen;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use relais_mobile_bridge::{PushKind, PushPayload};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::json;

use crate::AppState;
use crate::domain::Sequence;
use crate::domain::access::Role;
use crate::domain::calendar;
use crate::domain::reason::Reason;
use crate::domain::routing::{Deadline, Escalation, Topic};
use crate::domain::triage::Colour;
use crate::notify::message::{AlertNotice, Message, StaffPush};
use crate::store::entities::{alert, care_team, episode, establishment, patient, professional};
use crate::store::stored_value::StoredValueError;
use crate::store::{alerts, directory, new_id, outbox, patients, teams};

pub struct AlertInput<'a> {
    pub patient: &'a patient::Model,
    pub episode: &'a episode::Model,
    pub sequence: Sequence,
    pub topic: Topic,
    pub colour: Colour,
    pub provisional_grade: Option<u8>,
    pub reasons: Vec<Reason>,
    pub report_id: Option<&'a str>,
    /// Roles added on top of the routing rule (e.g. the IDEC for adherence below 80 %).
    pub also: Vec<Role>,
    /// The episode's establishment when the caller has read it already (the report intake
    /// reads it with the rest of its context); read by `raise` otherwise.
    pub establishment: Option<&'a establishment::Model>,
}

/// The acknowledgement deadline of a rule, from `now`.
pub fn deadline(
    state: &AppState,
    calendar_name: &str,
    tz: chrono_tz::Tz,
    d: Deadline,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match d {
        Deadline::Minutes(m) => now + Duration::minutes(i64::from(m)),
        Deadline::WorkingDays(days) => {
            match state.rules.calendars.get(calendar_name) {
                Some(cal) => calendar::add_working_days(cal, tz, now, days),
                // Start-up validates establishment calendars; fall back to the safer, shorter deadline.
                None => now + Duration::days(i64::from(days)),
            }
        }
    }
}

/// What the directory says about the people of a set of alerts, read in two statements
/// whatever their number: the team in force of each episode, and the active oncologists and
/// community pharmacists the teams may hand an alert to.
#[derive(Default)]
struct Directory {
    teams: HashMap<String, care_team::Model>,
    staff: Vec<professional::Model>,
}

impl Directory {
    /// The teams of the episodes on their days, then the staff their roles may need.
    async fn read(db: &impl ConnectionTrait, plans: &[Plan<'_>]) -> Result<Self, DbErr> {
        let days: Vec<(&str, NaiveDate)> = plans.iter().map(|p| (p.input.episode.id.as_str(), p.day)).collect();
        let teams = teams::teams_on(db, &days).await?;
        let needs = |role: Role| plans.iter().filter(move |p| p.roles.contains(&role) || p.informed.contains(&role));
        let mut establishments: Vec<&str> =
            needs(Role::Oncologist).map(|p| p.input.episode.establishment_id.as_str()).collect();
        let mut pharmacies: Vec<&str> = needs(Role::CommunityPharmacist)
            .filter_map(|p| teams.get(&p.input.episode.id)?.pharmacy_id.as_deref())
            .collect();
        for ids in [&mut establishments, &mut pharmacies] {
            ids.sort_unstable();
            ids.dedup();
        }
        let staff = directory::alert_staff(db, &establishments, &pharmacies).await?;
        Ok(Self { teams, staff })
    }

    /// The people behind a role for this episode, with a note when the team lacks the role and
    /// the IDEC receives the alert instead (docs/triage.md §4).
    fn people(&self, ep: &episode::Model, role: Role) -> (Vec<(String, Role)>, Option<String>) {
        let Some(team) = self.teams.get(&ep.id) else { return (vec![], None) };
        let idec = || vec![(team.idec_id.clone(), Role::Idec)];
        let missing = |what: &str| Some(format!("no {what} on the patient's team: sent to the IDEC"));
        let with_role = |r: Role| self.staff.iter().filter(move |p| p.role == r.as_str());
        match role {
            Role::Idec => (idec(), None),
            Role::Oncologist => {
                let on_call: Vec<_> = with_role(Role::Oncologist)
                    .filter(|p| p.on_call && p.establishment_id.as_deref() == Some(ep.establishment_id.as_str()))
                    .map(|p| (p.id.clone(), Role::Oncologist))
                    .collect();
                if on_call.is_empty() {
                    (vec![(team.oncologist_id.clone(), Role::Oncologist)], None)
                } else {
                    (on_call, None)
                }
            }
            Role::HospitalPharmacist => match &team.hospital_pharmacist_id {
                Some(id) => (vec![(id.clone(), role)], None),
                None => (idec(), missing("hospital pharmacist")),
            },
            Role::CommunityPharmacist => {
                let staff: Vec<_> = match &team.pharmacy_id {
                    Some(ph) => with_role(role)
                        .filter(|p| p.pharmacy_id.as_ref() == Some(ph))
                        .map(|p| (p.id.clone(), role))
                        .collect(),
                    None => vec![],
                };
                if staff.is_empty() { (idec(), missing("community pharmacist")) } else { (staff, None) }
            }
            Role::Gp => match &team.gp_id {
                Some(id) => (vec![(id.clone(), role)], None),
                None => (vec![], Some("no GP on the patient's team".into())),
            },
            // Most teams have no IDEL: informing one is only for teams that name one, without a note.
            Role::CommunityNurse => match &team.community_nurse_id {
                Some(id) => (vec![(id.clone(), role)], None),
                None => (vec![], None),
            },
            Role::Admin | Role::Billing => (vec![], None),
        }
    }
}

/// Which notification of an alert a professional gets.
#[derive(Debug, Clone, Copy)]
enum Notice {
    /// The alert is theirs to handle.
    Alert,
    /// For information (informed only).
    Info,
    /// The alert is still not acknowledged.
    Escalation,
}

impl Notice {
    fn email(self, about: AlertNotice) -> Message {
        match self {
            Notice::Alert => Message::Alert(about),
            Notice::Info => Message::AlertInfo(about),
            Notice::Escalation => Message::AlertEscalation(about),
        }
    }

    /// The push that goes with the email when the alert is red; its own kind, so counting a
    /// professional's alert emails is not thrown off. None for information.
    fn push(self, push: StaffPush) -> Option<Message> {
        match self {
            Notice::Alert => Some(Message::AlertPush(push)),
            Notice::Info => None,
            Notice::Escalation => Some(Message::AlertEscalationPush(push)),
        }
    }
}

async fn notify(
    db: &impl ConnectionTrait,
    a: &alert::Model,
    professional_id: &str,
    notice: Notice,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::enqueue_many(db, notices(a, professional_id, notice)?, now).await
}

/// The outbox rows of one notification of an alert to a professional.
fn notices<'a>(
    a: &alert::Model,
    professional_id: &'a str,
    notice: Notice,
) -> Result<Vec<outbox::NewMessage<'a>>, DbErr> {
    // What a notification says: colour and topic and where to look, no clinical detail.
    let email = notice.email(AlertNotice {
        alert_id: a.id.clone(),
        colour: a.colour.clone(),
        topic: a.topic.clone(),
        patient_id: Some(a.patient_id.clone()),
        level: a.escalation_level,
        url: format!("/staff/alerts/{}", a.id),
        deadline_at: Some(a.deadline_at),
    });
    let kind = email.kind();
    let mut out = vec![outbox::NewMessage {
        recipient_kind: "professional",
        recipient_id: professional_id,
        message: email,
        dedupe_key: format!("{kind}:{}:{}:{}:{professional_id}", a.id, a.colour, a.escalation_level),
    }];
    let push = PushPayload {
        kind: PushKind::Alert,
        title: "Relais : alerte ROUGE / red alert".into(),
        body: "Une alerte rouge attend votre prise en charge. / A red alert is waiting for you.".into(),
        url: format!("/staff/alerts/{}", a.id),
        id: format!("{}-{}", a.id, a.escalation_level),
    };
    if a.colour()? == Colour::Red
        && let Some(push) = notice.push(StaffPush { push, alert_id: a.id.clone() })
    {
        // Urgent: also to the professional's registered browsers and phones, if any (the email
        // above always goes: it is the fallback when no device is registered or reachable).
        out.push(outbox::NewMessage {
            recipient_kind: "professional",
            recipient_id: professional_id,
            message: push,
            dedupe_key: format!("push-{kind}:{}:{}:{}:{professional_id}", a.id, a.colour, a.escalation_level),
        });
    }
    Ok(out)
}

/// An alert's reasons as stored (`alerts.reasons`, read back by `alert::Model::reasons`).
fn reasons_json(reasons: &[Reason]) -> Result<String, DbErr> {
    serde_json::to_string(reasons).map_err(|e| DbErr::Custom(format!("alert reasons: {e}")))
}

/// Raises (or merges) an alert; returns its id, or None when the rules route nobody (green).
/// The one-alert case of [`raise_many`].
pub async fn raise(
    db: &impl ConnectionTrait,
    state: &AppState,
    input: AlertInput<'_>,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    Ok(raise_many(db, state, vec![(input, now)]).await?.pop().flatten())
}

/// An alert the rules route to someone: by when, with which escalation, to which roles.
struct Plan<'i> {
    input: AlertInput<'i>,
    now: DateTime<Utc>,
    deadline_at: DateTime<Utc>,
    /// The establishment's date at `now`: the team in force that day routes the alert.
    day: NaiveDate,
    escalation: Option<Escalation>,
    /// Roles to alert (the rule's, then those the caller adds), and roles informed only.
    roles: Vec<Role>,
    informed: Vec<Role>,
}

/// One input merged: the alert as it stood after it, and whom it alerts and informs.
struct Merged {
    alert: alert::Model,
    raised: bool,
    fresh: bool,
    to_alert: Vec<(String, Role)>,
    informed: Vec<(String, Role)>,
    now: DateTime<Utc>,
}

/// Raises (or merges) alerts in the order given, each at its own time, in eight statements
/// whatever their number (the alerts of a batch of reports: docs/design.md, "Report intake"):
/// the teams; the on-call oncologists and pharmacists; the patients locked; their unresolved
/// alerts; the alerts written; their history; their recipients; the notifications. Each input
/// is merged as if raised alone after the ones before it: into the unresolved alert of the
/// same patient and topic, raised when worse, its recipients added once, those added notified.
/// Returns each input's alert id, None where the rules route nobody (green).
pub async fn raise_many(
    db: &impl ConnectionTrait,
    state: &AppState,
    inputs: Vec<(AlertInput<'_>, DateTime<Utc>)>,
) -> Result<Vec<Option<String>>, DbErr> {
    let count = inputs.len();
    // The rules: whom and by when. `routed[i]` is input i's place in `plans`.
    let mut plans = Vec::with_capacity(count);
    let mut routed = Vec::with_capacity(count);
    for (input, now) in inputs {
        let plan = plan(db, state, input, now).await?;
        routed.push(plan.as_ref().map(|_| plans.len()));
        plans.extend(plan);
    }
    if plans.is_empty() {
        return Ok(vec![None; count]);
    }
    let dir = Directory::read(db, &plans).await?;

    // Two reports of one patient at once merge into one alert: the second transaction waits
    // for the first. Then the unresolved alerts, read after the locks (so that one committed
    // meanwhile is seen).
    let mut patients: Vec<&str> = plans.iter().map(|p| p.input.patient.id.as_str()).collect();
    patients.sort_unstable();
    patients.dedup();
    alerts::lock_patients(db, &patients).await?;
    let mut open: HashMap<(String, String), alert::Model> = HashMap::new();
    for a in alerts::unresolved_of(db, &patients).await? {
        // Newest first: the newest unresolved alert of a patient and topic is the one merged into.
        open.entry((a.patient_id.clone(), a.topic.clone())).or_insert(a);
    }

    let mut merged = Vec::with_capacity(plans.len());
    let mut events = Vec::with_capacity(plans.len());
    // The alerts the inputs touched, by patient and topic, in the order first touched.
    let mut written: Vec<(String, String)> = Vec::new();
    for p in &plans {
        let input = &p.input;
        let mut to_alert = Vec::new();
        let mut notes = Vec::new();
        for role in &p.roles {
            let (ps, note) = dir.people(input.episode, *role);
            to_alert.extend(ps);
            notes.extend(note);
        }
        let mut informed = Vec::new();
        for role in &p.informed {
            let (ps, note) = dir.people(input.episode, *role);
            informed.extend(ps.into_iter().filter(|(_, r)| r == role));
            notes.extend(note);
        }
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        let colour = input.colour.as_str();
        let key = (input.patient.id.clone(), input.topic.as_str().to_owned());
        if !written.contains(&key) {
            written.push(key.clone());
        }
        let (a, raised, fresh) = match open.get_mut(&key) {
            Some(a) => {
                // Colours are ordered by urgency: worse than the alert's, it is raised.
                let raised = input.colour > a.colour()?;
                // The alert's reasons are each listed once: a patient reporting the same
                // fever every hour adds it once, not once per report (the history keeps every
                // report), so an alert a patient keeps reporting to stays the same size.
                let mut reasons = a.reasons()?;
                for r in &input.reasons {
                    if !reasons.contains(r) {
                        reasons.push(r.clone());
                    }
                }
                a.reasons = reasons_json(&reasons)?;
                a.last_report_id = input.report_id.map(Into::into).or(a.last_report_id.take());
                a.provisional_grade = a.provisional_grade.max(input.provisional_grade.map(i32::from));
                a.updated_at = p.now;
                if raised {
                    // Worse than what was acknowledged: it is open again and chased as the new colour.
                    a.colour = colour.to_owned();
                    a.status = "open".into();
                    a.deadline_at = a.deadline_at.min(p.deadline_at);
                    a.escalate_every_minutes = p.escalation.map(|e| e.every_minutes as i32);
                    a.escalate_to_backup = p.escalation.is_some_and(|e| e.add_backup_list);
                    a.next_escalation_at = Some(a.deadline_at);
                    a.note = note.clone().or(a.note.take());
                }
                let kind = if raised { "raised" } else { "updated" };
                events.push((a.id.clone(), kind, json!({"colour": colour, "report_id": input.report_id}), p.now));
                (a.clone(), raised, false)
            }
            None => {
                let a = alert::Model {
                    id: new_id(),
                    patient_id: input.patient.id.clone(),
                    episode_id: input.episode.id.clone(),
                    establishment_id: input.episode.establishment_id.clone(),
                    topic: input.topic.as_str().to_owned(),
                    colour: colour.to_owned(),
                    status: "open".into(),
                    provisional_grade: input.provisional_grade.map(i32::from),
                    confirmed_grade: None,
                    reasons: reasons_json(&input.reasons)?,
                    note: note.clone(),
                    last_report_id: input.report_id.map(Into::into),
                    opened_at: p.now,
                    updated_at: p.now,
                    deadline_at: p.deadline_at,
                    escalate_every_minutes: p.escalation.map(|e| e.every_minutes as i32),
                    escalate_to_backup: p.escalation.is_some_and(|e| e.add_backup_list),
                    next_escalation_at: Some(p.deadline_at),
                    escalation_level: 0,
                    acknowledged_at: None,
                    acknowledged_by: None,
                    resolved_at: None,
                    resolved_by: None,
                    resolution_note: None,
                };
                let detail = json!({"colour": colour, "report_id": input.report_id, "note": note});
                events.push((a.id.clone(), "opened", detail, p.now));
                open.insert(key, a.clone());
                (a, false, true)
            }
        };
        merged.push(Merged { alert: a, raised, fresh, to_alert, informed, now: p.now });
    }
    // Each alert written once, as it stands after the last input merged into it.
    let saved: Vec<alert::Model> = written.iter().filter_map(|key| open.get(key).cloned()).collect();
    alerts::save_many(db, saved).await?;
    let events = events
        .iter()
        .map(|(alert_id, kind, detail, at)| alerts::Event {
            alert_id,
            kind,
            actor_kind: "system",
            actor_id: None,
            detail: detail.clone(),
            at: *at,
        })
        .collect();
    alerts::events_many(db, events).await?;

    // The recipients in one statement, their notifications in another (BENCHMARKS.md, "Report
    // intake"); for each input those to alert first, so one also informed is added to handle
    // it. A recipient is added by the first input that names them: theirs is the notification.
    let mut rows = Vec::new();
    let mut first: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, m) in merged.iter().enumerate() {
        let people =
            (m.to_alert.iter().map(|(p, r)| (p, r, false))).chain(m.informed.iter().map(|(p, r)| (p, r, true)));
        for (pid, role, informed_only) in people {
            first.entry((m.alert.id.as_str(), pid.as_str())).or_insert(i);
            rows.push(alerts::NewRecipient {
                alert_id: &m.alert.id,
                professional_id: pid,
                role: role.as_str(),
                informed_only,
                at: m.now,
            });
        }
    }
    let added = alerts::add_recipients_of_many(db, &rows).await?;
    let added_by = |i: usize, pid: &str, informed: bool| {
        let alert_id = merged[i].alert.id.as_str();
        first.get(&(alert_id, pid)) == Some(&i)
            && added.iter().any(|(a, p, inf)| a == alert_id && p == pid && *inf == informed)
    };
    let mut messages = Vec::new();
    for (i, m) in merged.iter().enumerate() {
        for (pid, _) in &m.to_alert {
            if m.raised || m.fresh || added_by(i, pid, false) {
                messages.extend(notices(&m.alert, pid, Notice::Alert)?.into_iter().map(|n| (n, m.now)));
            }
        }
        for (pid, _) in &m.informed {
            if added_by(i, pid, true) {
                messages.extend(notices(&m.alert, pid, Notice::Info)?.into_iter().map(|n| (n, m.now)));
            }
        }
    }
    // A person listed twice (a role and its stand-in) is notified once.
    let mut keys = HashSet::new();
    messages.retain(|(m, _)| keys.insert(m.dedupe_key.clone()));
    outbox::enqueue_each_at(db, messages).await?;

    for m in &merged {
        let a = &m.alert;
        tracing::info!(alert_id = %a.id, patient_id = %a.patient_id, colour = %a.colour, topic = %a.topic, merged = !m.fresh, "alert raised");
    }
    Ok(routed.into_iter().map(|r| r.map(|i| merged[i].alert.id.clone())).collect())
}

/// The rules applied to an input at `now`: None when they route nobody (green).
async fn plan<'i>(
    db: &impl ConnectionTrait,
    state: &AppState,
    input: AlertInput<'i>,
    now: DateTime<Utc>,
) -> Result<Option<Plan<'i>>, DbErr> {
    let parcours = input.episode.parcours()?;
    let routing = state.rules.triage.routing.route(input.colour, input.topic, input.sequence, parcours);
    let Some(d) = routing.deadline else { return Ok(None) };
    // The episode's establishment exists (a foreign key); its zone is read, never assumed.
    let read;
    let est = match input.establishment.filter(|e| e.id == input.episode.establishment_id) {
        Some(e) => e,
        None => {
            read = directory::establishment(db, &input.episode.establishment_id).await?.ok_or_else(|| {
                DbErr::RecordNotFound(format!(
                    "establishment {} of episode {}",
                    input.episode.establishment_id, input.episode.id
                ))
            })?;
            &read
        }
    };
    let tz = est.time_zone()?;
    let deadline_at = deadline(state, &est.calendar, tz, d, now);
    let day = now.with_timezone(&tz).date_naive();
    let escalation = routing.routes.iter().find_map(|r| r.escalation);
    let mut roles: Vec<Role> = routing.routes.iter().map(|r| r.role).collect();
    for r in &input.also {
        if !roles.contains(r) {
            roles.push(*r);
        }
    }
    let informed = routing.informed.iter().map(|i| i.role).collect();
    Ok(Some(Plan { input, now, deadline_at, day, escalation, roles, informed }))
}

/// The safety net of the hand-over (docs/triage.md §4): an amber alert still unacknowledged at
/// its deadline (it escalates once) goes to the team's IDEC as well, whoever it was for, and
/// its note names who did not acknowledge it in time. The hospital stays the safety net of the
/// community: a Saturday report to a closed pharmacy reaches the IDEC. Returns the note added.
async fn amber_safety_net(
    db: &impl ConnectionTrait,
    a: &alert::Model,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let recipients = alerts::recipients(db, &a.id).await?;
    let mut late: Vec<&str> = Vec::new();
    for r in recipients.iter().filter(|r| !r.informed_only) {
        let role = r.role()?.as_str();
        if !late.contains(&role) {
            late.push(role);
        }
    }
    let est = directory::establishment(db, &a.establishment_id).await?;
    let day = match est {
        Some(e) => now.with_timezone(&e.time_zone()?).date_naive(),
        None => now.date_naive(),
    };
    let Some(team) = patients::current_team(db, &a.episode_id, day).await? else {
        // An alert of an ended episode: nobody to add, and the log says so.
        tracing::warn!(alert_id = %a.id, "amber alert overdue but its episode has no current team");
        return Ok(None);
    };
    alerts::make_handler(db, &a.id, &team.idec_id, Role::Idec.as_str(), now).await?;
    let note = format!("not acknowledged in time by {}", late.join(", ").replace('_', " "));
    let note_now = match &a.note {
        Some(n) if !n.is_empty() => format!("{n}; {note}"),
        _ => note.clone(),
    };
    alerts::set_note(db, &a.id, &note_now).await?;
    Ok(Some(note))
}

/// One escalation step of an unacknowledged alert: re-notify its recipients (the IDEC too for
/// an amber one, see `amber_safety_net`), and the establishment's backup list where the rule
/// says so. Returns false when another instance (or an acknowledgement) got there first.
pub async fn escalate(db: &impl ConnectionTrait, a: &alert::Model, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let next = a.escalate_every_minutes.map(|m| now + Duration::minutes(i64::from(m)));
    if !alerts::claim_escalation(db, a, next).await? {
        return Ok(false);
    }
    let mut a = a.clone();
    a.escalation_level += 1;
    let safety_net = if a.colour()? == Colour::Amber { amber_safety_net(db, &a, now).await? } else { None };
    let mut notified = Vec::new();
    for r in alerts::recipients(db, &a.id).await?.into_iter().filter(|r| !r.informed_only) {
        notify(db, &a, &r.professional_id, Notice::Escalation, now).await?;
        notified.push(r.professional_id);
    }
    let mut backup = Vec::new();
    if a.escalate_to_backup
        && let Some(est) = directory::establishment(db, &a.establishment_id).await?
    {
        backup = match serde_json::from_str::<Vec<String>>(&est.backup_emails) {
            Ok(list) => list,
            Err(_) => {
                // Never a silent default: the escalation still goes to the team, and the broken
                // row is named, logged and counted (`relais_stored_value_errors_total`).
                let _ = StoredValueError::new("establishments", &est.id, "backup_emails", &est.backup_emails);
                Vec::new()
            }
        };
        for email in &backup {
            outbox::enqueue(
                db,
                outbox::NewMessage {
                    recipient_kind: "email_address",
                    recipient_id: email,
                    message: Message::AlertEscalation(AlertNotice {
                        alert_id: a.id.clone(),
                        colour: a.colour.clone(),
                        topic: a.topic.clone(),
                        patient_id: None,
                        level: a.escalation_level,
                        url: format!("/staff/alerts/{}", a.id),
                        deadline_at: Some(a.deadline_at),
                    }),
                    dedupe_key: format!("alert_escalation:{}:{}:{email}", a.id, a.escalation_level),
                },
                now,
            )
            .await?;
        }
    }
    alerts::event(
        db,
        alerts::Event {
            alert_id: &a.id,
            kind: "escalated",
            actor_kind: "system",
            actor_id: None,
            detail: json!({"level": a.escalation_level, "notified": notified, "backup_list": backup.len(),
                           "note": safety_net}),
            at: now,
        },
    )
    .await?;
    tracing::warn!(alert_id = %a.id, level = a.escalation_level, "alert escalated: not acknowledged in time");
    Ok(true)
}
