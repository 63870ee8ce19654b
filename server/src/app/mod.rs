//! The actions: one function per thing a professional, a patient or the system does, used by
//! every front end (the JSON API, the staff pages, the demo, the command line). Each takes the
//! state, the actor and typed input; checks who may do it; opens one transaction; calls the
//! domain (rules) and the store (rows); writes the audit line; and returns a typed result or an
//! [`ActionError`] that each front end maps (docs/design.md, "Layers").
//!
//! The HTTP handlers parse a request, call one action and shape the answer; the pages do the
//! same with forms. Nothing here knows HTTP.

pub mod actor;
pub mod alerts;
pub mod billing;
pub mod dispensations;
pub mod doses;
pub mod episodes;
pub mod error;
pub mod handover;
pub mod indicators;
pub mod interviews;
pub mod operations;
pub mod patients;
pub mod pharmacy_records;
pub mod preferences;
pub mod reports;
pub mod teams;

pub use actor::{Ctx, PatientAuth, StaffAuth};
pub use error::ActionError;
