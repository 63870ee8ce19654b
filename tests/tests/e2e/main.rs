//! End-to-end tests: one binary, modules sharing the harness of `relais_tests`.

mod smoke;
