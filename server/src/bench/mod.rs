//! The benchmarks of `relais bench` (README "Benchmarks", BENCHMARKS.md): each against a fresh
//! database of its own, refusing one that holds data (a [`crate::cli::Usage`] error, exit 2).
//! Apart from the store and the jobs, which they only call.

pub mod push;
pub mod reminders;
pub mod reports;
pub mod triage;
