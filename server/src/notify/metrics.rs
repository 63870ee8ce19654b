//! Delivery metrics, kept in memory per process and served in the Prometheus text format at
//! `/metrics` (with the backlogs read from the database at scrape time). Labels are channels,
//! outcomes and statuses only: never a patient, a professional or an address.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

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
        let (messages, gone, latency) = self.with(|m| (m.messages.clone(), m.gone.clone(), m.latency.clone()));
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
        let text = m.render(&Backlog { outbox: vec![("pending".into(), 4)], due_work_due: 1, due_work_scheduled: 2 });
        assert!(text.contains("relais_delivery_send_seconds_bucket{channel=\"webpush\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("relais_delivery_send_seconds_bucket{channel=\"webpush\",le=\"0.05\"} 2"), "{text}");
        assert!(text.contains("relais_delivery_send_seconds_bucket{channel=\"webpush\",le=\"+Inf\"} 3"), "{text}");
        assert!(text.contains("relais_delivery_messages_total{channel=\"push\",outcome=\"sent\"} 1"));
        assert!(text.contains("relais_outbox_messages{status=\"pending\"} 4"));
        assert!(!text.contains("martin"));
    }
}
