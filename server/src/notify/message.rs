//! The messages of the outbox, typed: one [`Message`] per kind of row, built by the code that
//! queues it and matched by the renderers (`email_templates::render`, `push::Push::send`).
//!
//! Stored form (docs/design.md, "Outbox"): the `kind` column holds the variant's tag and the
//! `payload` column its fields as a JSON object, keys in alphabetical order — byte for byte
//! what the `json!` payloads of earlier releases held, so rows queued before an upgrade are
//! delivered after it. What is pushed to a device is `relais_mobile_bridge::PushPayload`, the
//! contract with the phone and staff apps (docs/api.md, "Push payloads").
//!
//! A row that does not read back as a message (an unknown kind, a payload without a field its
//! kind needs, a push message on the email channel) is an [`Unreadable`] naming the row: the
//! delivery worker records it as failed and counts it, it never renders empty fields.

use chrono::{DateTime, NaiveDate, Utc};
/// The push contract the pushed messages carry.
pub use relais_mobile_bridge::{PushKind, PushPayload};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message to one recipient. The serde tag is the stored `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// An alert to handle (email to each professional it is routed to).
    Alert(AlertNotice),
    /// For information: an alert another professional handles (the GP's copy).
    AlertInfo(AlertNotice),
    /// An alert still not acknowledged in time, to the team again and the backup list.
    AlertEscalation(AlertNotice),
    /// A red alert, also pushed to the professional's registered browsers and phones.
    AlertPush(StaffPush),
    /// A red alert's escalation, pushed likewise.
    AlertEscalationPush(StaffPush),
    /// The daily list of a professional's open amber alerts.
    AmberDigest(Digest),
    /// To the GP: a patient enters S3, the GP takes over with the community pharmacist.
    GpTakeover(GpTakeover),
    /// To the IDEC: nobody decided before a sequence's end, the system renewed it.
    SequenceAutoRenewed(AutoRenewal),
    /// To each community member of the team: a new version of the hand-over sheet to read and
    /// print (at inclusion and at each sequence change, docs/domain.md).
    HandoverSheet(HandoverNotice),
    /// To the administrators: the self-check repaired episodes without planning.
    PlanningRepaired(PlanningRepaired),
    /// To the patient's phone: a dose to take (or still not confirmed).
    DoseReminder(PushPayload),
    /// To the patient's phone: a questionnaire to answer.
    QuestionnaireDue(PushPayload),
    /// To a phone: a message of no other kind (`PushKind::Message` of the push contract).
    #[serde(rename = "message")]
    PushMessage(PushPayload),
}

/// An alert, as a notification says it: colour, topic and where to look, no clinical detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertNotice {
    pub alert_id: String,
    pub colour: String,
    pub topic: String,
    /// Absent from the escalations sent to the establishment's backup addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
    /// How many times the alert has been escalated.
    pub level: i32,
    pub url: String,
    /// When the alert is to be acknowledged; absent from rows queued before it was carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_at: Option<DateTime<Utc>>,
}

/// A push to a professional about an alert: the push contract, and the alert it is about (so a
/// failed delivery is written on the alert).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPush {
    #[serde(flatten)]
    pub push: PushPayload,
    pub alert_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The site's local date of the digest.
    pub date: NaiveDate,
    pub alerts: Vec<DigestEntry>,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestEntry {
    pub alert_id: String,
    pub topic: String,
    /// The site's local date the alert was opened.
    pub opened: NaiveDate,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpTakeover {
    pub episode_id: String,
    pub patient_id: String,
    /// The first day of S3.
    pub date: NaiveDate,
    pub url: String,
}

/// A new version of a hand-over sheet: which, why, and its page (no patient name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverNotice {
    pub episode_id: String,
    pub patient_id: String,
    pub version: i32,
    /// `inclusion`, `sequence_change` or `team_change`.
    pub reason: String,
    /// `/staff/patients/{patient_id}/handover/{version}`.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoRenewal {
    pub episode_id: String,
    pub patient_id: String,
    /// The renewed sequence (S2 or S3).
    pub sequence: String,
    pub renewal_index: u32,
    pub start_date: NaiveDate,
    pub planned_end_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanningRepaired {
    pub count: usize,
    pub episodes: Vec<RepairedEpisode>,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairedEpisode {
    pub episode_id: String,
    /// Its dose chain was missing.
    pub doses: bool,
    /// Its questionnaire chain was missing.
    pub questionnaires: bool,
}

/// How a message travels: the outbox's `channel` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Push,
}

impl Channel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Push => "push",
        }
    }
}

/// An outbox row that does not read back as a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("outbox row {id} (kind `{kind}`, channel `{channel}`) is unreadable: {reason}")]
pub struct Unreadable {
    pub id: String,
    pub kind: String,
    pub channel: String,
    pub reason: String,
}

impl Message {
    /// The stored `kind`: the serde tag of the variant.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Alert(_) => "alert",
            Message::AlertInfo(_) => "alert_info",
            Message::AlertEscalation(_) => "alert_escalation",
            Message::AlertPush(_) => "alert_push",
            Message::AlertEscalationPush(_) => "alert_escalation_push",
            Message::AmberDigest(_) => "amber_digest",
            Message::GpTakeover(_) => "gp_takeover",
            Message::SequenceAutoRenewed(_) => "sequence_auto_renewed",
            Message::HandoverSheet(_) => "handover_sheet",
            Message::PlanningRepaired(_) => "planning_repaired",
            Message::DoseReminder(_) => "dose_reminder",
            Message::QuestionnaireDue(_) => "questionnaire_due",
            Message::PushMessage(_) => "message",
        }
    }

    /// Pushed messages carry the push contract; the others are emails.
    pub fn channel(&self) -> Channel {
        if self.push_payload().is_some() { Channel::Push } else { Channel::Email }
    }

    /// What is sent to a device, for a pushed message.
    pub fn push_payload(&self) -> Option<&PushPayload> {
        match self {
            Message::AlertPush(p) | Message::AlertEscalationPush(p) => Some(&p.push),
            Message::DoseReminder(p) | Message::QuestionnaireDue(p) | Message::PushMessage(p) => Some(p),
            Message::Alert(_)
            | Message::AlertInfo(_)
            | Message::AlertEscalation(_)
            | Message::AmberDigest(_)
            | Message::GpTakeover(_)
            | Message::SequenceAutoRenewed(_)
            | Message::HandoverSheet(_)
            | Message::PlanningRepaired(_) => None,
        }
    }

    /// The alert a message is about, if any: a message about an alert that could not be
    /// delivered is written on the alert.
    pub fn alert_id(&self) -> Option<&str> {
        match self {
            Message::Alert(a) | Message::AlertInfo(a) | Message::AlertEscalation(a) => Some(&a.alert_id),
            Message::AlertPush(p) | Message::AlertEscalationPush(p) => Some(&p.alert_id),
            Message::AmberDigest(_)
            | Message::GpTakeover(_)
            | Message::SequenceAutoRenewed(_)
            | Message::HandoverSheet(_)
            | Message::PlanningRepaired(_)
            | Message::DoseReminder(_)
            | Message::QuestionnaireDue(_)
            | Message::PushMessage(_) => None,
        }
    }

    /// The stored `payload`: the variant's fields as a JSON object, keys in alphabetical order.
    pub fn payload(&self) -> String {
        // Plain structs of strings, numbers, booleans and dates: serializing cannot fail.
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut value {
            fields.remove("kind");
        }
        value.to_string()
    }

    /// Reads a stored row back: its kind, its payload, and the channel they must travel on.
    pub fn from_row(id: &str, channel: &str, kind: &str, payload: &str) -> Result<Self, Unreadable> {
        let unreadable = |reason: String| Unreadable {
            id: id.to_owned(),
            kind: kind.to_owned(),
            channel: channel.to_owned(),
            reason,
        };
        let mut value: Value =
            serde_json::from_str(payload).map_err(|e| unreadable(format!("payload is not JSON: {e}")))?;
        let Value::Object(fields) = &mut value else {
            return Err(unreadable("payload is not a JSON object".into()));
        };
        if fields.contains_key("kind") {
            return Err(unreadable("payload has a field `kind`".into()));
        }
        fields.insert("kind".into(), Value::String(kind.to_owned()));
        let message: Message = serde_json::from_value(value).map_err(|e| unreadable(e.to_string()))?;
        if message.channel().as_str() != channel {
            return Err(unreadable(format!("a {} message cannot go by {channel}", message.channel().as_str())));
        }
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(kind: PushKind) -> PushPayload {
        PushPayload { kind, title: "Relais".into(), body: "B".into(), url: "/app/#/today".into(), id: "D1".into() }
    }

    /// Payloads as the previous release stored them (tests/fixtures/previous-release-demo.db and
    /// the `json!` of the producers before this module): each reads back, and is written again
    /// byte for byte.
    #[test]
    fn stored_payloads_of_the_previous_release_read_back_and_are_written_identically() {
        let rows = [
            (
                "email",
                "alert",
                r#"{"alert_id":"A1","colour":"amber","level":0,"patient_id":"P1","topic":"adherence","url":"/staff/alerts/A1"}"#,
            ),
            (
                "email",
                "alert_info",
                r#"{"alert_id":"A1","colour":"amber","level":0,"patient_id":"P1","topic":"toxicity","url":"/staff/alerts/A1"}"#,
            ),
            (
                "email",
                "alert_escalation",
                r#"{"alert_id":"A1","colour":"red","level":2,"topic":"toxicity","url":"/staff/alerts/A1"}"#,
            ),
            (
                "push",
                "alert_push",
                r#"{"alert_id":"A1","body":"Une alerte rouge attend votre prise en charge. / A red alert is waiting for you.","id":"A1-0","title":"Relais : alerte ROUGE / red alert","type":"alert","url":"/staff/alerts/A1"}"#,
            ),
            (
                "push",
                "dose_reminder",
                r#"{"body":"C'est l'heure de votre prise de 20:00. Touchez pour confirmer.","id":"D1","title":"Relais","type":"dose_reminder","url":"/app/#/today"}"#,
            ),
            (
                "push",
                "questionnaire_due",
                r#"{"body":"Votre questionnaire de suivi est prêt (2 minutes).","id":"Q1","title":"Relais","type":"questionnaire_due","url":"/app/#/questionnaire/Q1"}"#,
            ),
            (
                "email",
                "gp_takeover",
                r#"{"date":"2026-05-09","episode_id":"E1","patient_id":"P1","url":"/staff/patients/P1"}"#,
            ),
            (
                "email",
                "sequence_auto_renewed",
                r#"{"episode_id":"E1","patient_id":"P1","planned_end_date":"2027-02-08","renewal_index":1,"sequence":"S2","start_date":"2026-11-08"}"#,
            ),
            (
                "email",
                "amber_digest",
                r#"{"alerts":[{"alert_id":"A1","opened":"2026-11-23","topic":"adherence","url":"/staff/alerts/A1"}],"date":"2026-11-24","url":"/staff/alerts"}"#,
            ),
            (
                "email",
                "planning_repaired",
                r#"{"count":1,"episodes":[{"doses":true,"episode_id":"E1","questionnaires":false}],"url":"/staff/admin"}"#,
            ),
            ("push", "message", r#"{"body":"Message","id":"m1","title":"Relais","type":"message","url":"/app/"}"#),
        ];
        for (channel, kind, payload) in rows {
            let m = Message::from_row("R1", channel, kind, payload).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(m.kind(), kind);
            assert_eq!(m.channel().as_str(), channel, "{kind}");
            assert_eq!(m.payload(), payload, "{kind}");
        }
    }

    #[test]
    fn a_row_that_does_not_read_back_is_an_error_naming_the_row() {
        let e = Message::from_row("R9", "email", "alert", r#"{"colour":"red","topic":"x","url":"/staff/alerts/A1"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("outbox row R9") && e.to_string().contains("alert_id"), "{e}");
        let e = Message::from_row("R9", "email", "no_such_kind", "{}").unwrap_err();
        assert!(e.to_string().contains("no_such_kind"), "{e}");
        let e = Message::from_row("R9", "push", "alert", "[]").unwrap_err();
        assert!(e.to_string().contains("not a JSON object"), "{e}");
        let reminder = Message::DoseReminder(push(PushKind::DoseReminder));
        let e = Message::from_row("R9", "email", "dose_reminder", &reminder.payload()).unwrap_err();
        assert!(e.to_string().contains("cannot go by email"), "{e}");
        assert!(Message::from_row("R9", "push", "dose_reminder", &reminder.payload()).is_ok());
    }
}
