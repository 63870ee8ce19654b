//! Turns domain events into alerts and messages: who receives what, written to the outbox in
//! the transaction of the event (delivery is the outbox worker's job).

pub mod adherence;
pub mod alerts;
pub mod delivery;
pub mod email;
pub mod email_templates;
pub mod metrics;
pub mod push;
