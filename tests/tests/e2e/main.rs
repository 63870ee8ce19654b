//! End-to-end tests: one binary, modules sharing the harness of `relais_tests`.

mod activation;
mod alerts;
mod app;
mod audit;
mod authz;
mod bad_input;
mod billing;
mod delivery;
mod demo;
mod digest;
mod email;
mod enrolment;
mod indicators;
mod migrations;
mod never_silent;
mod pages;
mod pages_admin;
mod pages_patient;
mod pathway;
mod push;
mod questionnaires;
mod reminders;
mod route_matrix;
mod security;
mod smoke;
mod time_zones;
