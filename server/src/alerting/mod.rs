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

use chrono::{DateTime, Duration, Utc};
use relais_mobile_bridge::{PushKind, PushPayload};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::json;

use crate::AppState;
use crate::domain::Sequence;
use crate::domain::access::Role;
use crate::domain::calendar;
use crate::domain::reason::Reason;
use crate::domain::routing::{Deadline, Topic};
use crate::domain::triage::Colour;
use crate::notify::message::{AlertNotice, Message, StaffPush};
use crate::store::entities::{alert, care_team, episode, establishment, patient};
use crate::store::stored_value::StoredValueError;
use crate::store::{alerts, directory, new_id, outbox, patients};

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

/// The people behind a role for this episode, with a note when the team lacks the role and the
/// IDEC receives the alert instead (docs/triage.md §4).
async fn people(
    db: &impl ConnectionTrait,
    ep: &episode::Model,
    team: Option<&care_team::Model>,
    role: Role,
) -> Result<(Vec<(String, Role)>, Option<String>), DbErr> {
    let Some(team) = team else { return Ok((vec![], None)) };
    let idec = || vec![(team.idec_id.clone(), Role::Idec)];
    let missing = |what: &str| Some(format!("no {what} on the patient's team: sent to the IDEC"));
    Ok(match role {
        Role::Idec => (idec(), None),
        Role::Oncologist => {
            let on_call: Vec<_> = directory::professionals_with_role(db, Role::Oncologist, Some(&ep.establishment_id))
                .await?
                .into_iter()
                .filter(|p| p.on_call)
                .map(|p| (p.id, Role::Oncologist))
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
            let staff = match &team.pharmacy_id {
                Some(ph) => directory::pharmacists_of(db, ph).await?,
                None => vec![],
            };
            if staff.is_empty() {
                (idec(), missing("community pharmacist"))
            } else {
                (staff.into_iter().map(|p| (p.id, role)).collect(), None)
            }
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
    })
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
pub async fn raise(
    db: &impl ConnectionTrait,
    state: &AppState,
    input: AlertInput<'_>,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
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
    let deadline_at = deadline(state, &est.calendar, est.time_zone()?, d, now);
    // The team in force today at the establishment routes the alert.
    let day = now.with_timezone(&est.time_zone()?).date_naive();
    let escalation = routing.routes.iter().find_map(|r| r.escalation);
    let colour = input.colour.as_str();

    let mut roles: Vec<Role> = routing.routes.iter().map(|r| r.role).collect();
    for r in &input.also {
        if !roles.contains(r) {
            roles.push(*r);
        }
    }
    // The team is read once for every role of the alert.
    let team = patients::current_team(db, &input.episode.id, day).await?;
    let mut to_alert = Vec::new();
    let mut notes = Vec::new();
    for role in roles {
        let (ps, note) = people(db, input.episode, team.as_ref(), role).await?;
        to_alert.extend(ps);
        notes.extend(note);
    }
    let mut informed = Vec::new();
    for i in &routing.informed {
        let (ps, note) = people(db, input.episode, team.as_ref(), i.role).await?;
        informed.extend(ps.into_iter().filter(|(_, r)| *r == i.role));
        notes.extend(note);
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));

    // Two reports of one patient at once merge into one alert: the second waits for the first.
    alerts::lock_patient(db, &input.patient.id).await?;
    let (a, raised, fresh) = match alerts::unresolved_for(db, &input.patient.id, input.topic.as_str()).await? {
        Some(mut a) => {
            // Colours are ordered by urgency: worse than the alert's, it is raised.
            let raised = input.colour > a.colour()?;
            let mut reasons = a.reasons()?;
            reasons.extend(input.reasons.iter().cloned());
            a.reasons = reasons_json(&reasons)?;
            a.last_report_id = input.report_id.map(Into::into).or(a.last_report_id);
            a.provisional_grade = a.provisional_grade.max(input.provisional_grade.map(i32::from));
            a.updated_at = now;
            if raised {
                // Worse than what was acknowledged: it is open again and chased as the new colour.
                a.colour = colour.to_owned();
                a.status = "open".into();
                a.deadline_at = a.deadline_at.min(deadline_at);
                a.escalate_every_minutes = escalation.map(|e| e.every_minutes as i32);
                a.escalate_to_backup = escalation.is_some_and(|e| e.add_backup_list);
                a.next_escalation_at = Some(a.deadline_at);
                a.note = note.clone().or(a.note);
            }
            alerts::update(db, a.clone()).await?;
            alerts::event(
                db,
                alerts::Event {
                    alert_id: &a.id,
                    kind: if raised { "raised" } else { "updated" },
                    actor_kind: "system",
                    actor_id: None,
                    detail: json!({"colour": colour, "report_id": input.report_id}),
                    at: now,
                },
            )
            .await?;
            (a, raised, false)
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
                opened_at: now,
                updated_at: now,
                deadline_at,
                escalate_every_minutes: escalation.map(|e| e.every_minutes as i32),
                escalate_to_backup: escalation.is_some_and(|e| e.add_backup_list),
                next_escalation_at: Some(deadline_at),
                escalation_level: 0,
                acknowledged_at: None,
                acknowledged_by: None,
                resolved_at: None,
                resolved_by: None,
                resolution_note: None,
            };
            alerts::insert(db, a.clone()).await?;
            alerts::event(
                db,
                alerts::Event {
                    alert_id: &a.id,
                    kind: "opened",
                    actor_kind: "system",
                    actor_id: None,
                    detail: json!({"colour": colour, "report_id": input.report_id, "note": note}),
                    at: now,
                },
            )
            .await?;
            (a, false, true)
        }
    };
    // The recipients in one statement, their notifications in another (BENCHMARKS.md, "Report
    // intake"); those to alert first, so one also informed is added to handle it.
    let people: Vec<(&str, &str, bool)> = (to_alert.iter().map(|(p, r)| (p.as_str(), r.as_str(), false)))
        .chain(informed.iter().map(|(p, r)| (p.as_str(), r.as_str(), true)))
        .collect();
    let added = alerts::add_recipients(db, &a.id, &people, now).await?;
    let mut messages = Vec::new();
    for (pid, _) in &to_alert {
        if raised || fresh || added.iter().any(|(p, informed)| p == pid && !informed) {
            messages.extend(notices(&a, pid, Notice::Alert)?);
        }
    }
    for (pid, _) in &informed {
        if added.iter().any(|(p, informed)| p == pid && *informed) {
            messages.extend(notices(&a, pid, Notice::Info)?);
        }
    }
    // A person listed twice (a role and its stand-in) is notified once.
    let mut keys = std::collections::HashSet::new();
    messages.retain(|m| keys.insert(m.dedupe_key.clone()));
    outbox::enqueue_many(db, messages, now).await?;
    tracing::info!(alert_id = %a.id, patient_id = %a.patient_id, colour = %a.colour, topic = %a.topic, merged = !fresh, "alert raised");
    Ok(Some(a.id))
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
