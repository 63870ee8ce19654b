//! Routing and deadlines (docs/triage.md §4): rules in config over (colour, topic, sequence,
//! parcours) → roles to alert, roles only informed, and the acknowledgement deadline; and
//! additions over (colour, topic, symptom) → roles alerted as well, whatever rule applied (an
//! amber fever also goes to the IDEC).

use serde::{Deserialize, Serialize};

use super::colour::Colour;
use super::{Parcours, Sequence};

pub use super::access::Role;

/// Roles that may receive or be informed of an alert: every professional role but the admin
/// and the billing office.
fn recipient_role(s: &str) -> Option<Role> {
    Role::parse(s).filter(|r| !matches!(r, Role::Admin | Role::Billing))
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Toxicity,
    Adherence,
    Interaction,
    MissedFollowUp,
    /// A new weight moves a computed dose (docs/domain.md, "A new weight and the dose").
    Regimen,
}

impl Topic {
    pub const ALL: [Self; 5] =
        [Self::Toxicity, Self::Adherence, Self::Interaction, Self::MissedFollowUp, Self::Regimen];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Toxicity => "toxicity",
            Self::Adherence => "adherence",
            Self::Interaction => "interaction",
            Self::MissedFollowUp => "missed_follow_up",
            Self::Regimen => "regimen",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// An acknowledgement deadline: red ones run around the clock, others may count working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    Minutes(u32),
    WorkingDays(u32),
}

impl Deadline {
    /// Minutes for display and sorting; a working day counts 1440.
    pub fn minutes(self) -> u32 {
        match self {
            Self::Minutes(m) => m,
            Self::WorkingDays(d) => d.saturating_mul(1440),
        }
    }
}

/// Re-notification of an unacknowledged alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Escalation {
    pub every_minutes: u32,
    /// Whether the establishment's backup list is added to the recipients.
    pub add_backup_list: bool,
}

/// One recipient of an alert and its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Route {
    pub role: Role,
    pub topic: Topic,
    pub ack_within_minutes: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
}

/// A role told about an alert by information message, with nothing to acknowledge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Informed {
    pub role: Role,
    pub topic: Topic,
}

/// The outcome of routing one alert. Empty for green.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routing {
    pub routes: Vec<Route>,
    pub informed: Vec<Informed>,
    pub deadline: Option<Deadline>,
}

/// A `[[routing.rule]]` as written in config; an absent selector matches everything.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub colour: String,
    #[serde(default)]
    pub topics: Option<Vec<String>>,
    #[serde(default)]
    pub sequences: Option<Vec<String>>,
    #[serde(default)]
    pub parcours: Option<Vec<String>>,
    pub roles: Vec<String>,
    #[serde(default)]
    pub informed: Vec<String>,
    #[serde(default)]
    pub ack_within_minutes: Option<u32>,
    #[serde(default)]
    pub ack_within_working_days: Option<u32>,
    #[serde(default)]
    pub escalate_every_minutes: Option<u32>,
    #[serde(default)]
    pub escalate_to_backup_list: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    colour: Colour,
    topics: Option<Vec<Topic>>,
    sequences: Option<Vec<Sequence>>,
    parcours: Option<Vec<Parcours>>,
    roles: Vec<Role>,
    informed: Vec<Role>,
    deadline: Deadline,
    escalation: Option<Escalation>,
}

impl Rule {
    fn matches(&self, colour: Colour, topic: Topic, seq: Sequence, parcours: Parcours) -> bool {
        self.colour == colour
            && self.topics.as_ref().is_none_or(|t| t.contains(&topic))
            && self.sequences.as_ref().is_none_or(|s| s.contains(&seq))
            && self.parcours.as_ref().is_none_or(|p| p.contains(&parcours))
    }
}

/// A `[[routing.also]]` as written in config: an alert of `colour` and one of `topics` whose
/// report has one of `symptoms` of that same colour also goes to `roles`, on top of the rule
/// that routes it (docs/triage.md §4: "amber toxicity with an amber fever: also the IDEC").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlsoSpec {
    pub colour: String,
    pub topics: Vec<String>,
    pub symptoms: Vec<String>,
    pub roles: Vec<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Also {
    colour: Colour,
    topics: Vec<Topic>,
    symptoms: Vec<&'static str>,
    roles: Vec<Role>,
}

/// Validated routing rules; the first matching rule applies, then every matching addition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRules {
    rules: Vec<Rule>,
    also: Vec<Also>,
}

fn list<T>(
    items: &Option<Vec<String>>,
    key: &str,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<Vec<T>>, String> {
    let Some(items) = items else { return Ok(None) };
    if items.is_empty() {
        return Err(format!("{key}: leave the list out to match any {what}"));
    }
    items
        .iter()
        .map(|s| parse(s).ok_or_else(|| format!("{key}: unknown {what} `{s}`")))
        .collect::<Result<Vec<T>, String>>()
        .map(Some)
}

impl RoutingRules {
    /// Validates the rules (`key` prefixes the error, e.g. `routing.rule`). Every amber and red
    /// combination of topic, sequence and parcours must be routed: nobody can switch one off.
    pub fn new(specs: &[RuleSpec], key: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            let k = format!("{key}[{i}]");
            let colour = match s.colour.as_str() {
                "amber" => Colour::Amber,
                "red" => Colour::Red,
                "green" => return Err(format!("{k}.colour: green is never routed")),
                other => {
                    return Err(format!("{k}.colour: unknown colour `{other}` (amber or red)"));
                }
            };
            let topics = list(&s.topics, &format!("{k}.topics"), "topic", Topic::parse)?;
            let sequences = list(&s.sequences, &format!("{k}.sequences"), "sequence", Sequence::parse)?;
            let parcours = list(&s.parcours, &format!("{k}.parcours"), "parcours", Parcours::parse)?;
            let roles =
                list(&Some(s.roles.clone()), &format!("{k}.roles"), "role", recipient_role)?.unwrap_or_default();
            let informed = if s.informed.is_empty() {
                Vec::new()
            } else {
                list(&Some(s.informed.clone()), &format!("{k}.informed"), "role", recipient_role)?.unwrap_or_default()
            };
            if let Some(r) = informed.iter().find(|r| roles.contains(r)) {
                return Err(format!("{k}.informed: `{}` is already alerted", r.as_str()));
            }
            let deadline = match (s.ack_within_minutes, s.ack_within_working_days) {
                (Some(m), None) if m > 0 => Deadline::Minutes(m),
                (None, Some(d)) if d > 0 => Deadline::WorkingDays(d),
                (Some(_), Some(_)) => {
                    return Err(format!("{k}: give ack_within_minutes or ack_within_working_days, not both"));
                }
                _ => {
                    return Err(format!("{k}.ack_within_minutes: a deadline above 0 is required"));
                }
            };
            let escalation = match s.escalate_every_minutes {
                Some(0) => return Err(format!("{k}.escalate_every_minutes: above 0")),
                Some(every) => Some(Escalation { every_minutes: every, add_backup_list: s.escalate_to_backup_list }),
                None if s.escalate_to_backup_list => {
                    return Err(format!("{k}.escalate_every_minutes: required to escalate to the backup list"));
                }
                None => None,
            };
            if colour == Colour::Red {
                if escalation.is_none() {
                    return Err(format!("{k}.escalate_every_minutes: red alerts always escalate"));
                }
                if matches!(deadline, Deadline::WorkingDays(_)) {
                    return Err(format!("{k}.ack_within_minutes: red deadlines run around the clock"));
                }
            }
            rules.push(Rule { colour, topics, sequences, parcours, roles, informed, deadline, escalation });
        }
        let routing = Self { rules, also: Vec::new() };
        for colour in [Colour::Amber, Colour::Red] {
            for topic in Topic::ALL {
                for seq in [Sequence::S1, Sequence::S2, Sequence::S3] {
                    for p in [Parcours::A, Parcours::B] {
                        if !routing.rules.iter().any(|r| r.matches(colour, topic, seq, p)) {
                            return Err(format!(
                                "{key}: no rule routes {} {} alerts in {} parcours {}",
                                colour.as_str(),
                                topic.as_str(),
                                seq.as_str(),
                                p.as_str()
                            ));
                        }
                    }
                }
            }
        }
        Ok(routing)
    }

    /// Adds the `[[routing.also]]` rules (`key` prefixes the error, e.g. `routing.also`).
    pub fn with_also(mut self, specs: &[AlsoSpec], key: &str) -> Result<Self, String> {
        for (i, s) in specs.iter().enumerate() {
            let k = format!("{key}[{i}]");
            let colour = match s.colour.as_str() {
                "amber" => Colour::Amber,
                "red" => Colour::Red,
                other => return Err(format!("{k}.colour: `{other}`: amber or red (green is never routed)")),
            };
            let topics =
                list(&Some(s.topics.clone()), &format!("{k}.topics"), "topic", Topic::parse)?.unwrap_or_default();
            let symptoms =
                list(&Some(s.symptoms.clone()), &format!("{k}.symptoms"), "symptom", crate::symptoms::symptom_key)?
                    .unwrap_or_default();
            let roles =
                list(&Some(s.roles.clone()), &format!("{k}.roles"), "role", recipient_role)?.unwrap_or_default();
            if s.source.trim().is_empty() {
                return Err(format!("{k}.source: every addition cites its source"));
            }
            self.also.push(Also { colour, topics, symptoms, roles });
        }
        Ok(self)
    }

    /// Who is alerted, who is informed, and by when, for an alert whose report has these
    /// symptoms (name, colour): the first matching rule, plus the roles of every matching
    /// addition (each role once), with the rule's deadline. Green is never routed.
    pub fn route_with_symptoms(
        &self,
        colour: Colour,
        topic: Topic,
        seq: Sequence,
        parcours: Parcours,
        symptoms: &[(&str, Colour)],
    ) -> Routing {
        let mut routing = self.route(colour, topic, seq, parcours);
        let Some(template) = routing.routes.first().cloned() else { return routing };
        for a in &self.also {
            let hit = a.colour == colour
                && a.topics.contains(&topic)
                && symptoms.iter().any(|(s, c)| *c == colour && a.symptoms.contains(s));
            if !hit {
                continue;
            }
            for role in &a.roles {
                if !routing.routes.iter().any(|r| r.role == *role) {
                    routing.routes.push(Route { role: *role, ..template.clone() });
                }
                routing.informed.retain(|i| i.role != *role);
            }
        }
        routing
    }

    /// Who is alerted, who is informed, and by when. Green is never routed.
    pub fn route(&self, colour: Colour, topic: Topic, seq: Sequence, parcours: Parcours) -> Routing {
        let Some(rule) = self.rules.iter().find(|r| r.matches(colour, topic, seq, parcours)) else {
            return Routing::default();
        };
        let working_days = match rule.deadline {
            Deadline::WorkingDays(d) => Some(d),
            Deadline::Minutes(_) => None,
        };
        Routing {
            routes: rule
                .roles
                .iter()
                .map(|role| Route {
                    role: *role,
                    topic,
                    ack_within_minutes: rule.deadline.minutes(),
                    working_days,
                    escalation: rule.escalation,
                })
                .collect(),
            informed: rule.informed.iter().map(|role| Informed { role: *role, topic }).collect(),
            deadline: Some(rule.deadline),
        }
    }
}

#[cfg(test)]
mod tests;
