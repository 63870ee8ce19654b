//! Delivery metrics, kept in memory per process and served in the Prometheus text format at
//! `/metrics` (with the backlogs read from the database at scrape time). Labels are channels,
//! outcomes and statuses only: never a patient, a professional or an address.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use crate::store::due_work::WorkKind;

/// Upper bounds of the send-latency buckets, in seconds (a push service answers in tens of
/// milliseconds; an SMTP handshake with TLS in hundreds).
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Default, Clone)]
struct Histogram {
    /// Non-cumulative counts per bucket; the last slot is +Inf.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    /// (outbox channel, outcome) → messages.
    messages: BTreeMap<(&'static str, &'static str), u64>,
    /// transport channel → devices retired because their push service said gone.
    gone: BTreeMap<&'static str, u64>,
    /// transport channel → latency of one send (one email, one push to one device).
    latency: BTreeMap<&'static str, Histogram>,
    /// queue → rows whose kind or payload does not parse (each recorded as failed).
    unreadable: BTreeMap<Queue, u64>,
    /// due-work kind → items that failed (each try counts).
    work_failed: BTreeMap<&'static str, u64>,
}

/// The durable queues whose rows are read back as typed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Queue {
    DueWork,
    Outbox,
}

impl Queue {
    const ALL: [Queue; 2] = [Queue::DueWork, Queue::Outbox];

    fn label(self) -> &'static str {
        match self {
            Queue::DueWork => "due_work",
            Queue::Outbox => "outbox",
        }
    }
}

#[derive(Default)]
pub struct Metrics(Mutex<Inner>);

/// What the database holds at scrape time.
pub struct Backlog {
    /// Outbox rows by status.
    pub outbox: Vec<(String, i64)>,
    /// Due work not done yet: already due, and scheduled for later.
    pub due_work_due: i64,
    pub due_work_scheduled: i64,
    /// Due work not done whose last try failed, by kind.
    pub due_work_failing: Vec<(String, i64)>,
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// One message's outcome: `channel` is the outbox channel (email, push), `outcome` one of
    /// sent, retried, failed, no_device.
    pub fn message(&self, channel: &str, outcome: &'static str) {
        let channel = static_channel(channel);
        self.with(|m| *m.messages.entry((channel, outcome)).or_default() += 1);
    }

    /// A device retired on a "gone" answer (webpush, fcm).
    pub fn gone(&self, transport: &str) {
        let t = static_channel(transport);
        self.with(|m| *m.gone.entry(t).or_default() += 1);
    }

    /// A row of `queue` that does not parse (an unknown kind, a payload that does not match its
    /// kind): never skipped silently, and counted here.
    pub fn unreadable(&self, queue: Queue) {
        self.with(|m| *m.unreadable.entry(queue).or_default() += 1);
    }

    /// `n` due-work items of `kind` (a `WorkKind::as_str`) failed and wait to be tried again.
    pub fn due_work_failed(&self, kind: &'static str, n: u64) {
        self.with(|m| *m.work_failed.entry(kind).or_default() += n);
    }

    /// Time taken by one send over a transport (email, webpush, fcm).
    pub fn observe(&self, transport: &str, took: Duration) {
        let t = static_channel(transport);
        let secs = took.as_secs_f64();
        let slot = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        self.with(|m| {
            let h = m.latency.entry(t).or_default();
            h.counts[slot] += 1;
            h.sum += secs;
            h.count += 1;
        });
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self, backlog: &Backlog) -> String {
        let (messages, gone, latency, unreadable, work_failed) = self.with(|m| {
            (m.messages.clone(), m.gone.clone(), m.latency.clone(), m.unreadable.clone(), m.work_failed.clone())
        });
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP relais_delivery_messages_total Outbox messages by channel and outcome of an attempt."
        );
        let _ = writeln!(out, "# TYPE relais_delivery_messages_total counter");
        for channel in ["email", "push"] {
            for outcome in ["sent", "retried", "failed", "no_device"] {
                let n = messages.get(&(channel, outcome)).copied().unwrap_or(0);
                let _ =
                    writeln!(out, "relais_delivery_messages_total{{channel=\"{channel}\",outcome=\"{outcome}\"}} {n}");
            }
        }
        let _ =
            writeln!(out, "# HELP relais_delivery_gone_total Push devices retired because their service said gone.");
        let _ = writeln!(out, "# TYPE relais_delivery_gone_total counter");
        for t in ["webpush", "fcm"] {
            let _ =
                writeln!(out, "relais_delivery_gone_total{{channel=\"{t}\"}} {}", gone.get(t).copied().unwrap_or(0));
        }
        let _ =
            writeln!(out, "# HELP relais_delivery_send_seconds Time of one send (one email, one push to one device).");
        let _ = writeln!(out, "# TYPE relais_delivery_send_seconds histogram");
        for t in ["email", "webpush", "fcm"] {
            let h = latency.get(t).cloned().unwrap_or_default();
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += h.counts[i];
                let _ =
                    writeln!(out, "relais_delivery_send_seconds_bucket{{channel=\"{t}\",le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(out, "relais_delivery_send_seconds_bucket{{channel=\"{t}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "relais_delivery_send_seconds_sum{{channel=\"{t}\"}} {}", h.sum);
            let _ = writeln!(out, "relais_delivery_send_seconds_count{{channel=\"{t}\"}} {}", h.count);
        }
        let _ = writeln!(
            out,
            "# HELP relais_unreadable_rows_total Queue rows whose kind or payload does not parse, recorded as failed."
        );
        let _ = writeln!(out, "# TYPE relais_unreadable_rows_total counter");
        for q in Queue::ALL {
            let n = unreadable.get(&q).copied().unwrap_or(0);
            let _ = writeln!(out, "relais_unreadable_rows_total{{queue=\"{}\"}} {n}", q.label());
        }
        let _ = writeln!(out, "# HELP relais_outbox_messages Outbox rows by status.");
        let _ = writeln!(out, "# TYPE relais_outbox_messages gauge");
        for status in ["pending", "sending", "sent", "failed", "no_device"] {
            let n = backlog.outbox.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
            let _ = writeln!(out, "relais_outbox_messages{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP relais_due_work_backlog Due-work items not done yet: due now, or later.");
        let _ = writeln!(out, "# TYPE relais_due_work_backlog gauge");
        let _ = writeln!(out, "relais_due_work_backlog{{state=\"due\"}} {}", backlog.due_work_due);
        let _ = writeln!(out, "relais_due_work_backlog{{state=\"scheduled\"}} {}", backlog.due_work_scheduled);
        let _ =
            writeln!(out, "# HELP relais_due_work_failed_total Due-work items that failed, by kind (each try counts).");
        let _ = writeln!(out, "# TYPE relais_due_work_failed_total counter");
        for kind in WorkKind::ALL.map(WorkKind::as_str) {
            let n = work_failed.get(kind).copied().unwrap_or(0);
            let _ = writeln!(out, "relais_due_work_failed_total{{kind=\"{kind}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP relais_due_work_failing Due-work items not done whose last try failed, by kind (-1: not read)."
        );
        let _ = writeln!(out, "# TYPE relais_due_work_failing gauge");
        for kind in WorkKind::ALL.map(WorkKind::as_str) {
            let n = if backlog.due_work_due < 0 {
                -1
            } else {
                backlog.due_work_failing.iter().find(|(k, _)| k == kind).map_or(0, |(_, n)| *n)
            };
            let _ = writeln!(out, "relais_due_work_failing{{kind=\"{kind}\"}} {n}");
        }
        out
    }
}

/// Label values come from a closed set, so a stray value can never carry data into a label.
fn static_channel(c: &str) -> &'static str {
    match c {
        "email" => "email",
        "push" => "push",
        "webpush" => "webpush",
        "fcm" => "fcm",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_labels_closed() {
        let m = Metrics::default();
        m.observe("webpush", Duration::from_millis(3));
        m.observe("webpush", Duration::from_millis(40));
        m.observe("webpush", Duration::from_secs(60));
        m.message("push", "sent");
        m.message("martin@example.org", "sent");
        let text = m.render(&Backlog {
            outbox: vec![("pending".into(), 4)],
            due_work_due: 1,
            due_work_scheduled: 2,
            due_work_failing: vec![],
        });
        assert!(text.contains("relais_delivery_send_seconds_bucket{channel=\"webpush\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("relais_delivery_send_seconds_bucket{channel=\"webpush\",le=\"0.05\"} 2"), "{text}");
        assert!(text.contains("relais_delivery_send_seconds_bucket{channel=\"webpush\",le=\"+Inf\"} 3"), "{text}");
        assert!(text.contains("relais_delivery_messages_total{channel=\"push\",outcome=\"sent\"} 1"));
        assert!(text.contains("relais_outbox_messages{status=\"pending\"} 4"));
        assert!(!text.contains("martin"));
    }
}
