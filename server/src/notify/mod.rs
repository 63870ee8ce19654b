//! Delivering messages: the typed outbox messages (`message`), the worker that claims and sends
//! them (`delivery`) by email (`email`, `email_templates`) or push (`push`, through
//! mobile-bridge), and the process's counters (`metrics`). What raises and routes alerts is
//! `alerting`; this module only carries what was decided there.

pub mod delivery;
pub mod email;
pub mod email_templates;
pub mod message;
pub mod metrics;
pub mod push;
