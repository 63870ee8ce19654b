//! Refill reminders (docs/domain.md, "Dispensations"): `refill_reminder` (subject: a
//! dispensation) is due 3 days before the run-out date at 10:00 in the patient's time zone, and
//! pushes "renew at the pharmacy" to the patient's phone, unless a later dispensation of the
//! same drug has been recorded since, or the episode has ended: then it does nothing. One
//! message per dispensation (dedupe key), however often the item runs.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use relais_mobile_bridge::{PushKind, PushPayload};
use sea_orm::ConnectionTrait;

use crate::AppState;
use crate::domain::calendar::local_instant;
use crate::domain::dispensation::reminder_on;
use crate::domain::triage::Locale;
use crate::notify::message::Message;
use crate::store::due_work::Claimed;
use crate::store::{dispensations, episodes, outbox, patients};

/// The local time of day the refill reminder is pushed.
pub const REMINDER_TIME: NaiveTime = NaiveTime::from_hms_opt(10, 0, 0).expect("10:00");

/// When the refill reminder of a dispensation running out on `run_out` is due: 10:00, patient
/// local time, 3 days before.
pub fn reminder_at(tz: chrono_tz::Tz, run_out: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, reminder_on(run_out).and_time(REMINDER_TIME))
}

/// The reminder's title and text, in the patient's language.
fn text(locale: Locale, drug: &str, run_out: NaiveDate) -> (String, String) {
    let day = run_out.format("%d/%m");
    match locale {
        Locale::Fr => (
            "Relais".into(),
            format!("Votre traitement {drug} se termine le {day} : pensez à le renouveler à la pharmacie."),
        ),
        Locale::En => {
            ("Relais".into(), format!("Your treatment {drug} runs out on {day}: remember to renew it at the pharmacy."))
        }
    }
}

pub(super) async fn remind(
    state: &AppState,
    txn: &impl ConnectionTrait,
    items: &[Claimed],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for item in items {
        let id = item.work.subject();
        // The row is written with its due work in one transaction and never deleted before it:
        // a missing one is an error naming it, not a reminder silently dropped.
        let d = dispensations::get(txn, id).await?.ok_or_else(|| anyhow::anyhow!("dispensation {id} not found"))?;
        if dispensations::renewed(txn, &d).await? {
            continue;
        }
        let ep = episodes::get(txn, &d.episode_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("episode {} of dispensation {id} not found", d.episode_id))?;
        if ep.end_date.is_some() {
            continue;
        }
        let p = patients::get(txn, &ep.patient_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("patient {} of episode {} not found", ep.patient_id, ep.id))?;
        let locale = p.locale()?;
        let name = match state.rules.catalog.display_name(&d.drug) {
            Some(n) => n.get(locale).to_owned(),
            None => d.drug.clone(),
        };
        let (title, body) = text(locale, &name, d.run_out_on);
        let push = PushPayload { kind: PushKind::Message, title, body, url: "/app/#/today".into(), id: d.id.clone() };
        outbox::enqueue(
            txn,
            outbox::NewMessage {
                recipient_kind: "patient",
                recipient_id: &p.id,
                message: Message::PushMessage(push),
                dedupe_key: format!("refill_reminder:{}", d.id),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reminder_is_due_at_10_local_three_days_before() {
        let out: NaiveDate = "2026-11-30".parse().unwrap();
        // Paris is UTC+1 in November: 10:00 local is 09:00 UTC, on Nov 27.
        assert_eq!(reminder_at(chrono_tz::Europe::Paris, out).to_rfc3339(), "2026-11-27T09:00:00+00:00");
        assert_eq!(reminder_at(chrono_tz::Indian::Reunion, out).to_rfc3339(), "2026-11-27T06:00:00+00:00");
        let (_, body) = text(Locale::Fr, "capécitabine", out);
        assert_eq!(body, "Votre traitement capécitabine se termine le 30/11 : pensez à le renouveler à la pharmacie.");
    }
}
