//! The enrolment form: its fields are named by the API's field paths (`episode.team.idec`,
//! `episode.regimen[0].dose`, ...), so the 422 the enrolment answers names the input to mark.
//! Parsing the posted form into the API's request is pure and unit-tested here.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::FieldError;
use crate::domain::catalog::Catalog;
use crate::domain::enrolment::{CycleRequest, EnrolRequest, EpisodeRequest, RegimenLineRequest, TeamRequest};

/// Drug lines the form offers (a combination such as lapatinib + capecitabine needs two).
pub const LINES: usize = 2;

/// Every input of the form, in page order (the first one matching an error gets it).
pub fn field_names() -> Vec<String> {
    let mut out: Vec<String> = [
        "family_name",
        "given_name",
        "birth_date",
        "ins",
        "phone",
        "email",
        "time_zone",
        "locale",
        "episode.parcours",
        "episode.indication",
        "episode.start_date",
        "episode.baseline_weight_kg",
    ]
    .map(String::from)
    .into();
    for i in 0..LINES {
        for k in ["drug", "dose", "times", "cycle.on_days", "cycle.off_days"] {
            out.push(format!("episode.regimen[{i}].{k}"));
        }
    }
    for k in ["idec", "oncologist", "hospital_pharmacist", "community_pharmacy", "gp"] {
        out.push(format!("episode.team.{k}"));
    }
    out
}

/// The form as posted (or to show again), and the error to show next to its input.
#[derive(Debug, Clone, Default)]
pub struct EnrolForm {
    values: BTreeMap<String, String>,
    /// (input name, message); the input is empty when no input matches the error's field.
    pub error: Option<(String, String)>,
}

impl EnrolForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let known = field_names();
        let values = pairs.into_iter().filter(|(k, _)| known.contains(k)).collect();
        Self { values, error: None }
    }

    /// The defaults of a blank form.
    pub fn blank(today: NaiveDate, idec: Option<&str>) -> Self {
        let mut values = BTreeMap::new();
        values.insert("time_zone".to_owned(), "Europe/Paris".to_owned());
        values.insert("locale".to_owned(), "fr".to_owned());
        values.insert("episode.start_date".to_owned(), today.to_string());
        if let Some(id) = idec {
            values.insert("episode.team.idec".to_owned(), id.to_owned());
        }
        Self { values, error: None }
    }

    /// The value of an input (empty when absent).
    pub fn v(&self, name: impl AsRef<str>) -> &str {
        self.values.get(name.as_ref()).map(|s| s.trim()).unwrap_or("")
    }

    /// `selected` when the input `name` holds `value` (for `<option>`s).
    pub fn sel(&self, name: impl AsRef<str>, value: impl AsRef<str>) -> &'static str {
        if self.v(name) == value.as_ref() { "selected" } else { "" }
    }

    /// The error message of an input, if the error is its.
    pub fn err(&self, name: impl AsRef<str>) -> &str {
        match &self.error {
            Some((slot, message)) if slot == name.as_ref() => message,
            _ => "",
        }
    }

    /// An error no input matches (shown above the form).
    pub fn general_error(&self) -> &str {
        match &self.error {
            Some((slot, message)) if slot.is_empty() => message,
            _ => "",
        }
    }

    /// Attaches an error to the input its field path designates.
    pub fn with_error(mut self, field: &str, message: &str) -> Self {
        self.error = Some((slot_for(field), message.to_owned()));
        self
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.v(name)).filter(|s| !s.is_empty()).map(str::to_owned)
    }

    /// The API's enrolment request. An empty dose, times and cycle take the drug's usual regimen
    /// from the catalogue (what the page's script pre-fills; without script the server does).
    pub fn to_request(&self, catalog: &Catalog) -> Result<EnrolRequest, FieldError> {
        let date = |name: &str| -> Result<NaiveDate, FieldError> {
            self.v(name).parse().map_err(|_| FieldError::new(name, "une date JJ/MM/AAAA est attendue (a date)"))
        };
        let birth_date = date("birth_date")?;
        let start_date = date("episode.start_date")?;
        let baseline_weight_kg = match self.opt("episode.baseline_weight_kg") {
            None => None,
            Some(w) => Some(w.replace(',', ".").parse::<f64>().map_err(|_| {
                FieldError::new("episode.baseline_weight_kg", "un poids en kg, par exemple 64,5 (a number)")
            })?),
        };
        let parcours = match self.v("episode.parcours") {
            "" => None,
            "A" => Some(crate::domain::Parcours::A),
            "B" => Some(crate::domain::Parcours::B),
            _ => return Err(FieldError::new("episode.parcours", "A ou B")),
        };
        let mut regimen = Vec::new();
        for i in 0..LINES {
            let f = |k: &str| format!("episode.regimen[{i}].{k}");
            let Some(drug) = self.opt(&f("drug")) else { continue };
            let mut dose = self.v(f("dose")).to_owned();
            let mut times: Vec<String> =
                self.v(f("times")).split([',', ';', ' ']).filter(|t| !t.is_empty()).map(str::to_owned).collect();
            let (on, off) = (self.v(f("cycle.on_days")), self.v(f("cycle.off_days")));
            let mut cycle = match (on, off) {
                ("", "") => None,
                (on, off) => {
                    let n = |v: &str, k: &str| {
                        v.parse::<i64>().map_err(|_| FieldError::new(f(k), "un nombre de jours (a number of days)"))
                    };
                    Some(CycleRequest { on_days: n(on, "cycle.on_days")?, off_days: n(off, "cycle.off_days")? })
                }
            };
            if dose.is_empty()
                && times.is_empty()
                && cycle.is_none()
                && let Some(usual) = catalog.get(&drug).map(|d| &d.regimen)
            {
                dose = usual.dose.clone();
                times = usual.times.clone();
                cycle = usual
                    .cycle
                    .map(|c| CycleRequest { on_days: i64::from(c.on_days), off_days: i64::from(c.off_days) });
            }
            regimen.push(RegimenLineRequest { drug, dose, times, cycle, start_date: None });
        }
        if regimen.is_empty() {
            return Err(FieldError::new("episode.regimen[0].drug", "choisissez le médicament (choose the drug)"));
        }
        Ok(EnrolRequest {
            family_name: self.v("family_name").to_owned(),
            given_name: self.v("given_name").to_owned(),
            birth_date,
            ins: self.opt("ins"),
            phone: self.opt("phone"),
            email: self.opt("email"),
            time_zone: self.opt("time_zone"),
            locale: self.opt("locale"),
            episode: EpisodeRequest {
                parcours,
                start_date,
                baseline_weight_kg,
                indication: self.opt("episode.indication"),
                regimen,
                team: TeamRequest {
                    idec: self.v("episode.team.idec").to_owned(),
                    oncologist: self.v("episode.team.oncologist").to_owned(),
                    hospital_pharmacist: self.opt("episode.team.hospital_pharmacist"),
                    community_pharmacy: self.opt("episode.team.community_pharmacy"),
                    gp: self.opt("episode.team.gp"),
                },
            },
        })
    }
}

/// The input an error's field path designates: the input itself, the input that contains it
/// (`...times[1]` → `...times`), or the first input inside it (`episode.regimen` → the first
/// drug). Empty when none does.
pub fn slot_for(field: &str) -> String {
    let within = |outer: &str, inner: &str| {
        inner.strip_prefix(outer).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    };
    let names = field_names();
    names
        .iter()
        .find(|n| n.as_str() == field)
        .or_else(|| names.iter().find(|n| within(n, field)))
        .or_else(|| names.iter().find(|n| within(field, n)))
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> std::sync::Arc<Catalog> {
        crate::Rules::load("").expect("built-in rules").catalog
    }

    fn form(extra: &[(&str, &str)]) -> EnrolForm {
        let mut pairs: Vec<(String, String)> = [
            ("family_name", "Martin"),
            ("given_name", "Claire"),
            ("birth_date", "1961-04-12"),
            ("time_zone", "Europe/Paris"),
            ("locale", "fr"),
            ("episode.start_date", "2026-11-23"),
            ("episode.regimen[0].drug", "capecitabine"),
            ("episode.team.idec", "i"),
            ("episode.team.oncologist", "o"),
            ("episode.team.community_pharmacy", "p"),
            ("csrf", "ignored"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            pairs.retain(|(n, _)| n != k);
            pairs.push(((*k).to_owned(), (*v).to_owned()));
        }
        EnrolForm::from_pairs(pairs)
    }

    #[test]
    fn an_empty_regimen_line_takes_the_catalogue_usual_regimen() {
        let cat = catalog();
        let req = form(&[]).to_request(&cat).unwrap();
        let usual = &cat.get("capecitabine").unwrap().regimen;
        let l = &req.episode.regimen[0];
        assert_eq!(l.dose, usual.dose);
        assert_eq!(l.times, usual.times);
        assert_eq!(
            l.cycle.map(|c| (c.on_days, c.off_days)),
            usual.cycle.map(|c| (c.on_days.into(), c.off_days.into()))
        );
        assert_eq!(req.episode.parcours, None, "empty parcours = the catalogue's default");
        assert_eq!(req.episode.team.gp, None);
        assert_eq!(req.episode.regimen.len(), 1, "the empty second line is no line");
    }

    #[test]
    fn what_the_professional_typed_wins_over_the_usual_regimen() {
        let req = form(&[
            ("episode.regimen[0].dose", "1000 mg"),
            ("episode.regimen[0].times", "08:00, 20:00"),
            ("episode.baseline_weight_kg", "64,5"),
            ("episode.parcours", "B"),
        ])
        .to_request(&catalog())
        .unwrap();
        let l = &req.episode.regimen[0];
        assert_eq!(
            (l.dose.as_str(), l.times.clone(), l.cycle.is_none()),
            ("1000 mg", vec!["08:00".into(), "20:00".into()], true)
        );
        assert_eq!(req.episode.baseline_weight_kg, Some(64.5));
        assert_eq!(req.episode.parcours, Some(crate::domain::Parcours::B));
    }

    #[test]
    fn unreadable_inputs_name_their_field() {
        let cat = catalog();
        let e = |extra: &[(&str, &str)]| form(extra).to_request(&cat).unwrap_err().field;
        assert_eq!(e(&[("birth_date", "12/04/1961")]), "birth_date");
        assert_eq!(e(&[("episode.baseline_weight_kg", "lourd")]), "episode.baseline_weight_kg");
        assert_eq!(e(&[("episode.regimen[0].cycle.on_days", "14")]), "episode.regimen[0].cycle.off_days");
        assert_eq!(e(&[("episode.regimen[0].drug", "")]), "episode.regimen[0].drug");
    }

    #[test]
    fn an_api_error_lands_on_the_input_it_names() {
        assert_eq!(slot_for("birth_date"), "birth_date");
        assert_eq!(slot_for("episode.team.community_pharmacy"), "episode.team.community_pharmacy");
        assert_eq!(slot_for("episode.regimen[0].times[1]"), "episode.regimen[0].times");
        assert_eq!(slot_for("episode.regimen[1].cycle"), "episode.regimen[1].cycle.on_days");
        assert_eq!(slot_for("episode.regimen"), "episode.regimen[0].drug");
        assert_eq!(slot_for("episode.team"), "episode.team.idec");
        assert_eq!(slot_for("something_else"), "");
        let f = form(&[]).with_error("episode.regimen[0].times[0]", "bad time");
        assert_eq!(f.err("episode.regimen[0].times"), "bad time");
        assert_eq!(f.err("birth_date"), "");
        assert_eq!(f.general_error(), "");
    }

    #[test]
    fn unknown_inputs_are_dropped_and_values_trimmed() {
        let f = form(&[("family_name", "  Martin "), ("admin", "yes")]);
        assert_eq!(f.v("family_name"), "Martin");
        assert_eq!(f.v("admin"), "");
        assert_eq!(f.sel("locale", "fr"), "selected");
        assert_eq!(f.sel("locale", "en"), "");
    }
}
