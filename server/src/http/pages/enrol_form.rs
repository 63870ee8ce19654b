//! The enrolment form: its fields are named by the API's field paths (`episode.team.idec`,
//! `episode.regimen[0].dose`, ...), so the 422 the enrolment answers names the input to mark.
//! Parsing the posted form into the API's request is pure and unit-tested here.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::labels::Tr;
use crate::domain::FieldError;
use crate::domain::catalog::Catalog;
use crate::domain::enrolment::{
    CycleRequest, EnrolRequest, EpisodeRequest, MAX_REGIMEN_LINES, RegimenLineRequest, StepRequest, TeamRequest,
};

/// Drug lines the form shows at least (a combination such as lapatinib + capecitabine needs two);
/// "Ajouter un médicament" adds more, up to the regimen's maximum.
pub const MIN_LINES: usize = 2;

/// The submit button that asks for one more drug line instead of enrolling.
pub const ADD_LINE: &str = "add_line";

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
        "height_cm",
    ]
    .map(String::from)
    .into();
    for i in 0..MAX_REGIMEN_LINES {
        for k in [
            "drug",
            "dose",
            "steps",
            "dose_per_m2_mg",
            "dose_per_kg_mg",
            "times",
            "cycle.on_days",
            "cycle.off_days",
            "cycle.length_days",
            "cycle.on",
        ] {
            out.push(format!("episode.regimen[{i}].{k}"));
        }
    }
    for k in ["idec", "oncologist", "hospital_pharmacist", "community_pharmacy", "gp", "community_nurse"] {
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

    /// How many drug lines to show: every line holding a value, then one empty line (at least
    /// [`MIN_LINES`], at most the regimen's maximum); `add` asks for one more.
    pub fn line_count(&self, add: bool) -> usize {
        let used = self
            .values
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .filter_map(|(k, _)| k.strip_prefix("episode.regimen[")?.split_once(']')?.0.parse::<usize>().ok())
            .map(|i| i + 1)
            .max()
            .unwrap_or(0);
        (used + 1 + usize::from(add)).clamp(MIN_LINES, MAX_REGIMEN_LINES)
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

    /// Attaches a refusal of the enrolment action (the API's English message) to its input: on a
    /// French page, the input's rule in French in its place.
    pub fn with_api_error(self, field: &str, message: &str, tr: Tr) -> Self {
        let slot = slot_for(field);
        match french_rule(&slot) {
            // The value the API quotes (`25:00`) still tells which one is wrong.
            Some(rule) if !tr.is_en() => match message.split('`').nth(1) {
                Some(value) => self.with_error(field, &format!("{rule} (« {value} »)")),
                None => self.with_error(field, rule),
            },
            _ => self.with_error(field, message),
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
    pub fn to_request(&self, catalog: &Catalog, tr: Tr) -> Result<EnrolRequest, FieldError> {
        let date = |name: &str| -> Result<NaiveDate, FieldError> {
            self.v(name)
                .parse()
                .map_err(|_| FieldError::new(name, tr.t("une date JJ/MM/AAAA est attendue", "a date, e.g. 05/12/1950")))
        };
        let birth_date = date("birth_date")?;
        let start_date = date("episode.start_date")?;
        let baseline_weight_kg = match self.opt("episode.baseline_weight_kg") {
            None => None,
            Some(w) => Some(w.replace(',', ".").parse::<f64>().map_err(|_| {
                FieldError::new(
                    "episode.baseline_weight_kg",
                    tr.t("un poids en kg, par exemple 64,5", "a weight in kg, e.g. 64.5"),
                )
            })?),
        };
        let parcours = match self.v("episode.parcours") {
            "" => None,
            "A" => Some(crate::domain::Parcours::A),
            "B" => Some(crate::domain::Parcours::B),
            _ => return Err(FieldError::new("episode.parcours", tr.t("A ou B", "A or B"))),
        };
        let mut regimen = Vec::new();
        for i in 0..MAX_REGIMEN_LINES {
            let f = |k: &str| format!("episode.regimen[{i}].{k}");
            let Some(drug) = self.opt(&f("drug")) else { continue };
            let mut dose = self.opt(&f("dose"));
            let mut dose_per_m2_mg = match self.opt(&f("dose_per_m2_mg")) {
                None => None,
                Some(v) => Some(v.replace(',', ".").parse::<f64>().map_err(|_| {
                    FieldError::new(
                        f("dose_per_m2_mg"),
                        tr.t("une dose en mg par m², par exemple 1250", "a dose in mg per m², e.g. 1250"),
                    )
                })?),
            };
            let mut dose_per_kg_mg = match self.opt(&f("dose_per_kg_mg")) {
                None => None,
                Some(v) => Some(v.replace(',', ".").parse::<f64>().map_err(|_| {
                    FieldError::new(
                        f("dose_per_kg_mg"),
                        tr.t("une dose en mg par kg, par exemple 0,25", "a dose in mg per kg, e.g. 0.25"),
                    )
                })?),
            };
            let mut steps = match self.opt(&f("steps")) {
                None => None,
                Some(text) => Some(parse_steps(&text).ok_or_else(|| {
                    FieldError::new(
                        f("steps"),
                        tr.t("des paliers, par exemple J1 20 mg ; J8 50 mg", "steps, e.g. J1 20 mg ; J8 50 mg"),
                    )
                })?),
            };
            let mut times: Vec<String> =
                self.v(f("times")).split([',', ';', ' ']).filter(|t| !t.is_empty()).map(str::to_owned).collect();
            let n = |v: &str, k: &str| {
                v.parse::<i64>().map_err(|_| FieldError::new(f(k), tr.t("un nombre de jours", "a number of days")))
            };
            let (on, off) = (self.v(f("cycle.on_days")), self.v(f("cycle.off_days")));
            let (length, blocks) = (self.v(f("cycle.length_days")), self.v(f("cycle.on")));
            let mut cycle = match (on, off, length, blocks) {
                ("", "", "", "") => None,
                (on, off, "", "") => Some(CycleRequest::on_off(n(on, "cycle.on_days")?, n(off, "cycle.off_days")?)),
                ("", "", length, blocks) => Some(CycleRequest {
                    length_days: Some(n(length, "cycle.length_days")?),
                    on: Some(parse_blocks(blocks).ok_or_else(|| {
                        FieldError::new(
                            f("cycle.on"),
                            tr.t("des périodes de jours, par exemple 1-5, 8-12", "blocks of days, e.g. 1-5, 8-12"),
                        )
                    })?),
                    ..CycleRequest::default()
                }),
                _ => {
                    return Err(FieldError::new(
                        f("cycle.length_days"),
                        tr.t(
                            "jours de prise et de pause, ou durée du cycle et périodes, pas les deux",
                            "days on and off, or cycle length and blocks, not both",
                        ),
                    ));
                }
            };
            if dose.is_none()
                && steps.is_none()
                && dose_per_m2_mg.is_none()
                && dose_per_kg_mg.is_none()
                && times.is_empty()
                && cycle.is_none()
                && let Some(usual) = catalog.usual(&drug)
            {
                dose = usual.dose.clone();
                dose_per_m2_mg = usual.dose_per_m2_mg;
                dose_per_kg_mg = usual.dose_per_kg_mg;
                steps = (!usual.steps.is_empty()).then(|| {
                    usual
                        .steps
                        .iter()
                        .map(|s| StepRequest { from_day: s.from_day.into(), dose: s.dose.clone() })
                        .collect()
                });
                times = usual.times.clone();
                cycle = usual.cycle.as_ref().and_then(|c| c.cycle().ok()).map(|c| match c.as_on_off() {
                    Some((on, off)) => CycleRequest::on_off(on.into(), off.into()),
                    None => CycleRequest {
                        length_days: Some(c.length.into()),
                        on: Some(c.on.iter().map(|&(a, b)| [a.into(), b.into()]).collect()),
                        ..CycleRequest::default()
                    },
                });
            }
            regimen.push(RegimenLineRequest {
                drug,
                dose,
                steps,
                dose_per_m2_mg,
                dose_per_kg_mg,
                times,
                cycle,
                ..RegimenLineRequest::default()
            });
        }
        if regimen.is_empty() {
            return Err(FieldError::new(
                "episode.regimen[0].drug",
                tr.t("choisissez le médicament", "choose the drug"),
            ));
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
            height_cm: match self.opt("height_cm") {
                None => None,
                Some(h) => Some(h.replace(',', ".").parse::<f64>().map_err(|_| {
                    FieldError::new("height_cm", tr.t("une taille en cm, par exemple 165", "a height in cm, e.g. 165"))
                })?),
            },
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
                    community_nurse: self.opt("episode.team.community_nurse"),
                },
            },
        })
    }
}

/// Blocks of days as typed, "1-5, 8-12" or "1, 15" → [[1, 5], [8, 12]] / [[1, 1], [15, 15]];
/// the domain checks their order and bounds.
pub fn parse_blocks(text: &str) -> Option<Vec<[i64; 2]>> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| {
            let (a, z) = b.split_once(['-', '–']).unwrap_or((b, b));
            Some([a.trim().parse().ok()?, z.trim().parse().ok()?])
        })
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
}

/// Ramp-up steps as typed, "J1 20 mg ; J8 50 mg" → from day 1 "20 mg", from day 8 "50 mg"; the
/// domain checks their order.
pub fn parse_steps(text: &str) -> Option<Vec<StepRequest>> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = s.strip_prefix(['J', 'j']).unwrap_or(s);
            let digits = s.find(|c: char| !c.is_ascii_digit())?;
            let dose = s[digits..].trim_start_matches([' ', ':']).trim();
            (digits > 0 && !dose.is_empty())
                .then(|| StepRequest { from_day: s[..digits].parse().unwrap_or(0), dose: dose.to_owned() })
        })
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
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

/// What an input accepts, in French: shown in place of the API's English message when the
/// enrolment action refuses it on a French page (the API's messages are for developers). Keyed
/// by the input's name, a drug line's inputs without their line number.
pub fn french_rule(slot: &str) -> Option<&'static str> {
    let key = match slot.strip_prefix("episode.regimen[").and_then(|r| r.split_once("].")) {
        Some((_, k)) => k,
        None => slot,
    };
    Some(match key {
        "family_name" | "given_name" => "obligatoire, 100 caractères au plus",
        "birth_date" => {
            "la date de naissance doit être passée ; le programme suit les adultes (18 ans ou plus au début du suivi)"
        }
        "ins" => "un matricule INS valide : 15 chiffres, clé de contrôle comprise",
        "phone" => "un numéro de portable, par exemple 06 12 34 56 78 ou +33 6 12 34 56 78",
        "email" => "une adresse e-mail valide, par exemple nom@exemple.fr",
        "time_zone" => "un fuseau horaire, par exemple Europe/Paris ou Indian/Reunion",
        "locale" => "français ou anglais",
        "episode.parcours" => "A ou B",
        "episode.indication" => "une indication de la liste",
        "episode.start_date" => {
            "le suivi commence après la naissance, dans l'année écoulée ou dans les 90 prochains jours"
        }
        "episode.baseline_weight_kg" => "un poids en kg entre 20 et 300 ; nécessaire pour une dose par m² ou par kg",
        "height_cm" => "une taille en cm entre 100 et 250 ; nécessaire pour une dose par m²",
        "drug" => {
            "un médicament du catalogue, sur une seule ligne, et au moins un anticancéreux adapté à l'indication \
             (un médicament associé comme la prednisone s'ajoute à côté)"
        }
        "dose" => "la dose en mg que lit le patient (par exemple 400 mg), jamais une formule par m² ou par kg",
        "steps" => "1 à 20 paliers, le premier à J1, puis à des jours croissants",
        "dose_per_m2_mg" => "une dose en mg par m² supérieure à 0, avec la taille et le poids du patient",
        "dose_per_kg_mg" => "une dose en mg par kg supérieure à 0, avec le poids du patient",
        "times" => "1 à 6 horaires HH:MM, chacun une seule fois",
        "cycle.on_days" => "1 à 365 jours de prise, avec les jours de pause",
        "cycle.off_days" => "1 à 365 jours de pause, avec les jours de prise ; aucun cycle pour une prise quotidienne",
        "cycle.length_days" => "un cycle de 2 à 365 jours, avec ses périodes de prise",
        "cycle.on" => "des périodes de prise dans le cycle (par exemple 1-5, 8-12), sans couvrir tout le cycle",
        "episode.team.idec" => "une IDEC de votre établissement",
        "episode.team.oncologist" => "un ou une oncologue de votre établissement",
        "episode.team.hospital_pharmacist" => "un pharmacien hospitalier de votre établissement",
        "episode.team.community_pharmacy" => "le parcours A demande l'officine qui dispense",
        "episode.team.gp" => "un médecin généraliste de l'annuaire",
        "episode.team.community_nurse" => "un ou une IDEL de l'annuaire",
        _ => return None,
    })
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
        let req = form(&[]).to_request(&cat, Tr::FR).unwrap();
        let usual = &cat.get("capecitabine").unwrap().regimen;
        let l = &req.episode.regimen[0];
        assert_eq!(l.dose, None, "the usual note is for staff, never the patient's dose");
        assert_eq!(l.dose_per_m2_mg, Some(1250.0));
        assert_eq!(l.times, usual.times);
        assert_eq!(l.cycle.as_ref().map(|c| (c.on_days, c.off_days)), Some((Some(14), Some(7))));
        assert_eq!(req.episode.parcours, None, "empty parcours = the catalogue's default");
        assert_eq!(req.episode.team.gp, None);
        assert_eq!(req.episode.regimen.len(), 1, "the empty second line is no line");
    }

    #[test]
    fn empty_lines_take_fixed_doses_steps_and_doses_per_kg_from_the_catalogue() {
        let cat = catalog();
        let req = form(&[
            ("episode.regimen[0].drug", "ixazomib"),
            ("episode.regimen[1].drug", "lenalidomide"),
            ("episode.regimen[2].drug", "dexamethasone"),
            ("episode.regimen[3].drug", "venetoclax"),
            ("episode.regimen[4].drug", "melphalan"),
        ])
        .to_request(&cat, Tr::FR)
        .unwrap();
        let lines = &req.episode.regimen;
        assert_eq!(lines.len(), 5, "every line posted, beyond the two shown at first");
        assert_eq!(lines[0].dose.as_deref(), Some("4 mg"));
        assert_eq!(lines[0].cycle.as_ref().and_then(|c| c.on.clone()), Some(vec![[1, 1], [8, 8], [15, 15]]));
        assert_eq!(lines[1].dose.as_deref(), Some("25 mg"));
        assert_eq!(lines[2].dose.as_deref(), Some("40 mg"));
        let steps: Vec<(i64, &str)> = lines[3].steps.iter().flatten().map(|s| (s.from_day, s.dose.as_str())).collect();
        assert_eq!(steps[..2], [(1, "20 mg"), (8, "50 mg")]);
        assert_eq!(lines[3].dose, None, "steps instead of a dose");
        assert_eq!(lines[4].dose_per_kg_mg, Some(0.25));
        let typed = form(&[
            ("episode.regimen[0].drug", "melphalan"),
            ("episode.regimen[0].dose_per_kg_mg", "0,2"),
            ("episode.regimen[0].times", "08:00"),
        ]);
        assert_eq!(typed.to_request(&cat, Tr::FR).unwrap().episode.regimen[0].dose_per_kg_mg, Some(0.2));
        let bad = form(&[("episode.regimen[0].dose_per_kg_mg", "beaucoup")]).to_request(&cat, Tr::FR).unwrap_err();
        assert_eq!(bad.field, "episode.regimen[0].dose_per_kg_mg");
    }

    #[test]
    fn the_form_shows_its_lines_and_one_empty_line_more() {
        assert_eq!(form(&[]).line_count(false), MIN_LINES, "one line used, one empty");
        assert_eq!(form(&[]).line_count(true), 3, "Ajouter un médicament");
        let four = form(&[("episode.regimen[3].drug", "dexamethasone")]);
        assert_eq!(four.line_count(false), 5, "lines up to the last one used, then an empty one");
        let full = form(&[(&*format!("episode.regimen[{}].drug", MAX_REGIMEN_LINES - 1), "dexamethasone")]);
        assert_eq!(full.line_count(true), MAX_REGIMEN_LINES, "never more than a regimen holds");
        assert_eq!(EnrolForm::blank(NaiveDate::MIN, None).line_count(false), MIN_LINES);
    }

    #[test]
    fn blocks_and_height_are_read_from_the_form() {
        let req = form(&[
            ("episode.regimen[0].drug", "trifluridine_tipiracil"),
            ("episode.regimen[0].dose_per_m2_mg", "35"),
            ("episode.regimen[0].times", "08:00, 20:00"),
            ("episode.regimen[0].cycle.length_days", "28"),
            ("episode.regimen[0].cycle.on", "1-5, 8–12"),
            ("height_cm", "165"),
        ])
        .to_request(&catalog(), Tr::FR)
        .unwrap();
        let l = &req.episode.regimen[0];
        assert_eq!(l.cycle.as_ref().and_then(|c| c.on.clone()), Some(vec![[1, 5], [8, 12]]));
        assert_eq!((l.dose_per_m2_mg, req.height_cm), (Some(35.0), Some(165.0)));
        assert_eq!(parse_blocks("1, 15"), Some(vec![[1, 1], [15, 15]]));
        assert_eq!(parse_blocks("1-x"), None);
        let steps = parse_steps("J1 20 mg ; J8 : 50 mg; 15 100 mg").unwrap();
        let steps: Vec<(i64, &str)> = steps.iter().map(|s| (s.from_day, s.dose.as_str())).collect();
        assert_eq!(steps, [(1, "20 mg"), (8, "50 mg"), (15, "100 mg")]);
        assert!(parse_steps("J 20 mg").is_none() && parse_steps("J8").is_none() && parse_steps("").is_none());
    }

    #[test]
    fn what_the_professional_typed_wins_over_the_usual_regimen() {
        let req = form(&[
            ("episode.regimen[0].dose", "1000 mg"),
            ("episode.regimen[0].times", "08:00, 20:00"),
            ("episode.baseline_weight_kg", "64,5"),
            ("episode.parcours", "B"),
        ])
        .to_request(&catalog(), Tr::FR)
        .unwrap();
        let l = &req.episode.regimen[0];
        assert_eq!(
            (l.dose.as_deref(), l.times.clone(), l.cycle.is_none()),
            (Some("1000 mg"), vec!["08:00".into(), "20:00".into()], true)
        );
        assert_eq!(req.episode.baseline_weight_kg, Some(64.5));
        assert_eq!(req.episode.parcours, Some(crate::domain::Parcours::B));
    }

    #[test]
    fn unreadable_inputs_name_their_field() {
        let cat = catalog();
        let e = |extra: &[(&str, &str)]| form(extra).to_request(&cat, Tr::FR).unwrap_err().field;
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

    /// A refusal of the action reads in French on a French page, whatever input it names.
    #[test]
    fn every_input_has_its_rule_in_french() {
        let missing: Vec<String> = field_names().into_iter().filter(|n| french_rule(n).is_none()).collect();
        assert!(missing.is_empty(), "inputs without a French rule: {missing:?}");
        let f = EnrolForm::default().with_api_error("episode.regimen[1].times[0]", "`8h` is not a time HH:MM", Tr::FR);
        assert_eq!(f.err("episode.regimen[1].times"), "1 à 6 horaires HH:MM, chacun une seule fois (« 8h »)");
        let f = EnrolForm::default().with_api_error(
            "birth_date",
            "is in the future",
            Tr(crate::domain::triage::Locale::En),
        );
        assert_eq!(f.err("birth_date"), "is in the future");
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
