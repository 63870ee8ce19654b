//! End-to-end tests: one binary, modules sharing the harness of `relais_tests`.

mod activation;
mod alerts;
mod audit;
mod authz;
mod bad_input;
mod email;
mod enrolment;
mod pages_patient;
mod pathway;
mod push;
mod questionnaires;
mod reminders;
mod smoke;
