//! End-to-end tests: one binary, modules sharing the harness of `relais_tests`.

mod activation;
mod alerts;
mod app;
mod audit;
mod authz;
mod bad_input;
mod billing;
mod demo;
mod delivery;
mod digest;
mod email;
mod enrolment;
mod indicators;
mod pathway;
mod push;
mod questionnaires;
mod reminders;
mod smoke;
