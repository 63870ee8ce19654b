//! Pure rules: no I/O, no database types. Everything here is a function of its arguments.
//!
//! A crate of its own (`relais-domain`, docs/design.md "Layout") so that the compiler keeps it so:
//! its dependencies have nothing of HTTP, storage, jobs or email. The server re-exports it as
//! `relais_server::domain`.

#![forbid(unsafe_code)]

pub mod access;
pub mod adherence;
pub mod answers;
pub mod billing;
pub mod calendar;
pub mod care_events;
pub mod catalog;
pub mod colour;
pub mod dispensation;
pub mod dosing;
pub mod enrolment;
pub mod grading;
pub mod ids;
pub mod indicators;
pub mod interactions;
pub mod interviews;
pub mod pathway;
pub mod pharmacy_records;
pub mod phone;
pub mod questionnaire;
pub mod reason;
pub mod regimen;
pub mod routing;
pub mod symptoms;
pub mod triage;

#[cfg(test)]
mod test_support;

use serde::{Deserialize, Serialize};

/// Care pathway of an episode (docs/domain.md): A = community dispensing, B = hospital reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Parcours {
    A,
    B,
}

impl Parcours {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "A" => Some(Self::A),
            "B" => Some(Self::B),
            _ => None,
        }
    }
}

/// Kind of sequence of an episode (docs/domain.md): S1 initiation, S2 follow-up, S3 community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Sequence {
    S1,
    S2,
    S3,
}

impl Sequence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::S1 => "S1",
            Self::S2 => "S2",
            Self::S3 => "S3",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S1" => Some(Self::S1),
            "S2" => Some(Self::S2),
            "S3" => Some(Self::S3),
            _ => None,
        }
    }
}

/// Parses a wall-clock time written exactly `HH:MM` (24 h).
pub fn parse_hhmm(s: &str) -> Option<chrono::NaiveTime> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || !b[..2].iter().chain(&b[3..]).all(u8::is_ascii_digit) {
        return None;
    }
    chrono::NaiveTime::parse_from_str(s, "%H:%M").ok()
}

/// A rejected value and the path of the field that carried it (`answers.pain.severity`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}
