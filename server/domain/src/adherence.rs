//! Adherence (docs/triage.md §6): the proportion of scheduled doses taken over a rolling window, the
//! amber alert it raises, and the same-day dose events (double dose, dose during an off-period,
//! vomited dose).

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;

use super::FieldError;

#[cfg(test)]
mod tests;

/// What became of one scheduled dose. Only on-cycle doses are scheduled, so off-cycle days never
/// reach the proportion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseStatus {
    /// Not yet confirmed either way (due later, or still inside the confirmation window).
    Pending,
    Taken {
        late: bool,
    },
    /// The patient chose not to take it (told us).
    Skipped,
    /// Taken, then vomited.
    Vomited,
    /// Never confirmed before the window closed.
    Missed,
}

impl DoseStatus {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Taken { late: false } => "taken",
            Self::Taken { late: true } => "taken_late",
            Self::Skipped => "skipped",
            Self::Vomited => "vomited",
            Self::Missed => "missed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "taken" => Self::Taken { late: false },
            "taken_late" => Self::Taken { late: true },
            "skipped" => Self::Skipped,
            "vomited" => Self::Vomited,
            "missed" => Self::Missed,
            _ => return None,
        })
    }

    /// The patient swallowed the dose. A vomited dose was taken: adherence measures what the
    /// patient did; the lost exposure is a separate, pharmaceutical question ([`DoseEventKind::Vomited`]).
    fn swallowed(self) -> bool {
        matches!(self, Self::Taken { .. } | Self::Vomited)
    }
}

/// One scheduled dose and its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dose {
    pub due_at: DateTime<Utc>,
    /// The patient's local day the dose belongs to; windows count in these days.
    pub local_date: NaiveDate,
    pub status: DoseStatus,
}

/// Doses taken out of doses scheduled (with a known outcome) over a window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub taken: u32,
    pub scheduled: u32,
    /// 100 × taken ÷ scheduled.
    pub percent: f64,
    /// Of `taken`, how many were confirmed late (shown to staff; they still count as taken).
    pub late: u32,
}

/// The proportion over the local days (today − days, today]. Pending doses are left out: a dose
/// due this evening must not lower this morning's rate. `None` when no dose with a known outcome
/// falls in the window (nothing to judge, not 0 %).
pub fn proportion(doses: &[Dose], today: NaiveDate, days: u32) -> Option<Rate> {
    let first = today.checked_sub_days(Days::new(u64::from(days)));
    let in_window = |d: &&Dose| d.local_date <= today && first.is_none_or(|f| d.local_date > f);
    let (mut taken, mut scheduled, mut late) = (0u32, 0u32, 0u32);
    for dose in doses.iter().filter(in_window) {
        if dose.status == DoseStatus::Pending {
            continue;
        }
        scheduled = scheduled.saturating_add(1);
        if dose.status.swallowed() {
            taken = taken.saturating_add(1);
        }
        if dose.status == (DoseStatus::Taken { late: true }) {
            late = late.saturating_add(1);
        }
    }
    (scheduled > 0 && days > 0).then(|| Rate {
        taken,
        scheduled,
        percent: f64::from(taken) * 100.0 / f64::from(scheduled),
        late,
    })
}

/// Thresholds of the `[adherence]` table of `config/triage.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdherenceRules {
    /// Below this over the window: amber `adherence` alert (docs/triage.md §6: 90).
    pub alert_below_percent: f64,
    /// Below this the IDEC is alerted too (docs/triage.md §6: 80; Marin et al., JCO 2010).
    pub idec_below_percent: f64,
    /// Length of the rolling window judged, in local days (docs/triage.md §6: 28).
    pub window_days: u32,
    /// Fewer doses with a known outcome than this: no judgement yet (one missed dose out of
    /// three is not a pattern, and would be 67 %).
    pub min_scheduled: u32,
    /// After a low-adherence alert is resolved, no new one for this many days: the team has
    /// acted and a daily re-alert would be noise.
    pub quiet_days: u32,
}

impl AdherenceRules {
    pub fn validate(&self) -> Result<(), FieldError> {
        let field = |name: &str, message: &str| Err(FieldError::new(format!("adherence.{name}"), message));
        if !(self.alert_below_percent > 0.0 && self.alert_below_percent <= 100.0) {
            return field("alert_below_percent", "must be in (0, 100]");
        }
        if !(self.idec_below_percent > 0.0 && self.idec_below_percent <= self.alert_below_percent) {
            return field("idec_below_percent", "must be in (0, alert_below_percent]");
        }
        if !(1..=366).contains(&self.window_days) {
            return field("window_days", "must be 1 to 366 days");
        }
        if self.min_scheduled == 0 {
            return field("min_scheduled", "must be at least 1");
        }
        if self.quiet_days > 90 {
            return field("quiet_days", "at most 90 days");
        }
        Ok(())
    }
}

/// An adherence alert to raise (amber, topic `adherence`).
#[derive(Debug, Clone, PartialEq)]
pub struct AdherenceFinding {
    pub percent: f64,
    /// Below the IDEC threshold: the IDEC is added to the pharmacist the route names.
    pub also_idec: bool,
    pub reason: crate::reason::Reason,
}

/// Judges the rate over `rules.window_days` (from [`proportion`] with that window). Thresholds
/// are strict ("below 90 %"): exactly 90 % raises nothing.
pub fn assess(rules: &AdherenceRules, rate_28: Option<Rate>) -> Option<AdherenceFinding> {
    let rate = rate_28?;
    if rate.scheduled < rules.min_scheduled || rate.percent >= rules.alert_below_percent {
        return None;
    }
    let also_idec = rate.percent < rules.idec_below_percent;
    let below = if also_idec { rules.idec_below_percent } else { rules.alert_below_percent };
    let reason = crate::reason::Reason::Adherence(AdherenceReason {
        percent: (rate.percent * 10.0).round() / 10.0,
        days: rules.window_days,
        taken: rate.taken,
        scheduled: rate.scheduled,
        late: rate.late,
        below,
    });
    Some(AdherenceFinding { percent: rate.percent, also_idec, reason })
}

/// The texts of an adherence reason (`reason::Reason::Adherence`): the English trace, the French
/// text, and the English text of alerts stored before the reason codes, read back.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize, utoipa::ToSchema)]
pub struct AdherenceReason {
    /// Rounded to one decimal.
    pub percent: f64,
    pub days: u32,
    pub taken: u32,
    pub scheduled: u32,
    pub late: u32,
    pub below: f64,
}

impl AdherenceReason {
    /// "adherence 67.9 % over 28 days (19 of 28 doses taken, 1 late), below 80 %".
    pub fn english(&self) -> String {
        let late = if self.late > 0 { format!(", {} late", self.late) } else { String::new() };
        format!(
            "adherence {:.1} % over {} days ({} of {} doses taken{late}), below {} %",
            self.percent, self.days, self.taken, self.scheduled, self.below
        )
    }

    /// "observance 67,9 % sur 28 jours (19 prises sur 28, dont 1 en retard), sous le seuil de 80 %".
    pub fn french(&self) -> String {
        let late = match self.late {
            0 => String::new(),
            n => format!(", dont {n} en retard"),
        };
        let below = format!("{}", self.below).replace('.', ",");
        format!(
            "observance {} % sur {} jours ({} prises sur {}{late}), sous le seuil de {below} %",
            format!("{:.1}", self.percent).replace('.', ","),
            self.days,
            self.taken,
            self.scheduled
        )
    }

    /// Reads back a text [`Self::english`] wrote; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("adherence ")?;
        let (percent, rest) = rest.split_once(" % over ")?;
        let (days, rest) = rest.split_once(" days (")?;
        let (taken, rest) = rest.split_once(" of ")?;
        let (scheduled, rest) = rest.split_once(" doses taken")?;
        let (late, rest) = match rest.strip_prefix(", ") {
            Some(r) => {
                let (n, r) = r.split_once(" late")?;
                (n.parse().ok()?, r)
            }
            None => (0, rest),
        };
        let below = rest.strip_prefix("), below ")?.strip_suffix(" %")?;
        Some(Self {
            percent: percent.parse().ok()?,
            days: days.parse().ok()?,
            taken: taken.parse().ok()?,
            scheduled: scheduled.parse().ok()?,
            late,
            below: below.parse().ok()?,
        })
    }
}

/// The same-day dose rules of docs/triage.md §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseEventKind {
    /// A second "taken" for a dose slot already taken.
    DoubleDose,
    /// A dose reported taken on a day the regimen plans none (off-cycle or paused).
    TakenDuringOffPeriod,
    /// A dose vomited after it was taken.
    Vomited,
}

/// An amber `adherence` alert to raise the same day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdherenceEvent {
    pub kind: DoseEventKind,
    pub reason: String,
    /// The alert must reach a pharmacist whatever the adherence route says: whether to re-dose
    /// after vomiting differs by drug, a pharmaceutical question. Otherwise the route decides
    /// (docs/triage.md §4: hospital or community pharmacist by sequence and parcours).
    pub to_pharmacist: bool,
}

pub fn dose_event(kind: DoseEventKind) -> AdherenceEvent {
    let (reason, to_pharmacist) = match kind {
        DoseEventKind::DoubleDose => ("double dose: a second dose reported taken for the same scheduled time", false),
        DoseEventKind::TakenDuringOffPeriod => ("dose reported taken during a planned off-period", false),
        DoseEventKind::Vomited => ("dose vomited: re-dosing rules differ by drug, pharmacist advice needed", true),
    };
    AdherenceEvent { kind, reason: reason.to_owned(), to_pharmacist }
}

/// The events a patient's dose report raises. `slot` is what the scheduled dose already held
/// (`None` when no dose is scheduled, e.g. off-cycle); `planned_off` says the regimen plans no
/// dose that day. Off-period wins over the others: there is no slot to double.
pub fn detect(slot: Option<DoseStatus>, reported: DoseStatus, planned_off: bool) -> Vec<DoseEventKind> {
    let mut out = Vec::new();
    if planned_off && reported.swallowed() {
        out.push(DoseEventKind::TakenDuringOffPeriod);
    } else if matches!(slot, Some(DoseStatus::Taken { .. })) && matches!(reported, DoseStatus::Taken { .. }) {
        out.push(DoseEventKind::DoubleDose);
    }
    if reported == DoseStatus::Vomited {
        out.push(DoseEventKind::Vomited);
    }
    out
}
