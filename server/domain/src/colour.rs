//! The colour of a symptom, a report or an alert (docs/triage.md §3). Triage decides it and
//! routing reads it; it lives apart from both so that routing does not depend on triage.

use serde::{Deserialize, Serialize};

/// Colour of a symptom or a report; the order is the order of urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    Green,
    Amber,
    Red,
}

impl Colour {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Amber => "amber",
            Self::Red => "red",
        }
    }
}
