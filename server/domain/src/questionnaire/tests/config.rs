//! Config validation: each broken file is refused with an error naming the file and the key.

use super::{catalog, definitions, items};
use crate::questionnaire::QuestionBank;

/// Replaces `from` (which must occur) by `to` in the shipped text.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "fixture out of date: `{from}` not in the shipped file");
    text.replacen(from, to, 1)
}

fn items_error(from: &str, to: &str) -> String {
    QuestionBank::from_toml(&edit(&items(), from, to), &definitions(), &catalog()).expect_err("must be refused")
}

fn defs_error(from: &str, to: &str) -> String {
    QuestionBank::from_toml(&items(), &edit(&definitions(), from, to), &catalog()).expect_err("must be refused")
}

fn assert_names(err: &str, parts: &[&str]) {
    for p in parts {
        assert!(err.contains(p), "`{p}` not in: {err}");
    }
}

const NAUSEA: &str = "key = \"nausea.frequency\"\nkind = \"scale\"\nscale = \"frequency\"\n";
const RASH: &str = "key = \"rash\"\nkind = \"yes_no\"\n";

/// `NAUSEA` followed by these label lines.
fn nausea_with(lines: &str) -> String {
    format!("{NAUSEA}{lines}\n")
}

/// Item-specific answer labels: five non-empty labels in each locale, on a scale item only.
#[test]
fn malformed_item_labels_are_refused_naming_the_item() {
    let five_en = "labels.en = [\"a\", \"b\", \"c\", \"d\", \"e\"]";
    let cases: Vec<(String, &[&str])> = vec![
        (
            nausea_with(&format!("labels.fr = [\"a\", \"b\", \"c\", \"d\"]\n{five_en}")),
            &["items.toml", "`nausea.frequency`", "labels.fr", "exactly 5 non-empty labels"],
        ),
        (
            nausea_with(&format!("labels.fr = [\"a\", \"b\", \" \", \"d\", \"e\"]\n{five_en}")),
            &["`nausea.frequency`", "labels.fr", "non-empty"],
        ),
        (
            nausea_with("labels.fr = [\"a\", \"b\", \"c\", \"d\", \"e\"]"),
            &["`nausea.frequency`", "labels.en", "missing"],
        ),
        (
            nausea_with(&format!("{five_en}\nlabels.de = [\"a\", \"b\", \"c\", \"d\", \"e\"]")),
            &["`nausea.frequency`", "labels.de", "unknown locale"],
        ),
        (
            format!("{RASH}labels.fr = [\"Non\", \"Oui\"]\nlabels.en = [\"No\", \"Yes\"]\n"),
            &["`rash`", "labels", "only for kind = \"scale\""],
        ),
        (
            format!("{TEMP}labels.fr = [\"a\", \"b\", \"c\", \"d\", \"e\"]\n{five_en}\n"),
            &["`temperature_c`", "labels", "only for kind = \"scale\""],
        ),
    ];
    for (to, parts) in &cases {
        let from = if to.starts_with(NAUSEA) {
            NAUSEA
        } else if to.starts_with(RASH) {
            RASH
        } else {
            TEMP
        };
        assert_names(&items_error(from, to), parts);
    }
}

const TEMP: &str = "key = \"temperature_c\"\nkind = \"number\"\nmin = 30\nmax = 45\n";

#[test]
fn item_bank_errors_name_the_item() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            TEMP,
            "key = \"temperature_c\"\nkind = \"number\"\nmin = 30\nmax = 42\n",
            &["items.toml", "`temperature_c`", "45"],
        ),
        ("min = 20\nmax = 300\nstep = 0.1", "min = 25\nmax = 300\nstep = 0.1", &["items.toml", "`weight_kg`", "min"]),
        (
            "max = 50\nstep = 1\ninteger = true\nfollows = \"diarrhea",
            "max = 50\nstep = 1\ninteger = false\nfollows = \"diarrhea",
            &["`stools_above_baseline`", "integer"],
        ),
        (
            "text.en = \"In the past 7 days, at its worst, how bad was the pain?\"",
            "text.en = \"  \"",
            &["items.toml", "`pain.severity`", "text.en", "empty"],
        ),
        (
            "text.en = \"In the past 7 days, at its worst, how bad was the pain?\"",
            "",
            &["`pain.severity`", "text.en", "missing"],
        ),
        (
            "text.en = \"In the past 7 days, at its worst, how bad was the pain?\"",
            "text.de = \"Schmerz\"",
            &["`pain.severity`", "text.de", "unknown locale"],
        ),
        ("key = \"pain.severity\"", "key = \"pain.worst\"", &["items.toml", "`pain.worst`", "not an answer key"]),
        ("key = \"pain.severity\"", "key = \"headache.severity\"", &["`headache.severity`", "defined twice"]),
        (
            "key = \"pain.severity\"\nkind = \"scale\"\nscale = \"severity\"",
            "key = \"pain.severity\"\nkind = \"scale\"\nscale = \"frequency\"",
            &["`pain.severity`", "scale"],
        ),
        ("key = \"rash\"\nkind = \"yes_no\"", "key = \"rash\"\nkind = \"scale\"", &["`rash`", "yes_no"]),
        ("follows = \"diarrhea.frequency\"", "follows = \"pain.severity\"", &["`stools_above_baseline`", "follows"]),
        (
            "en = [\"Never\", \"Rarely\", \"Sometimes\", \"Often\", \"Almost all the time\"]",
            "en = [\"Never\", \"Rarely\"]",
            &["scales.frequency.en", "5"],
        ),
        ("confusion = { fr = \"Confusion\", en = \"Confusion\" }", "", &["modules.confusion", "missing"]),
        (
            "fatigue = { fr = \"Fatigue\", en = \"Tiredness\" }",
            "fatigue = { fr = \"Fatigue\", en = \"\" }",
            &["modules.fatigue.en", "empty"],
        ),
    ];
    for (from, to, parts) in cases {
        assert_names(&items_error(from, to), parts);
    }
}

#[test]
fn definition_errors_name_the_key() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("days = [\"mon\", \"thu\"]", "days = [\"mon\", \"jeu\"]", &["definitions.toml", "cadence.S1.days", "`jeu`"]),
        ("days = [\"mon\", \"thu\"]", "days = []", &["cadence.S1.days"]),
        ("days = [\"mon\", \"thu\"]", "days = [\"mon\", \"mon\"]", &["cadence.S1.days", "twice"]),
        ("every_weeks = 2", "every_weeks = 0", &["cadence.S3.every_weeks"]),
        (
            "[cadence.S1]\ndays = [\"mon\", \"thu\"]\nevery_weeks = 1\nlocal_time = \"10:00\"",
            "[cadence.S1]\ndays = [\"mon\", \"thu\"]\nevery_weeks = 1\nlocal_time = \"10h\"",
            &["cadence.S1.local_time", "HH:MM"],
        ),
        ("[cadence.S3]", "[cadence.S4]", &["cadence.S4", "unknown sequence"]),
        (
            "\"one_leg_swollen_painful\", \"fainting\", \"unable_to_drink_24h\", \"confusion\",\n]\n\n# Weight",
            "\"one_leg_swollen_painful\", \"fainting\", \"unable_to_drink_24h\",\n]\n\n# Weight",
            &["definitions.toml", "base", "`confusion`"],
        ),
        ("\"temperature_c\", \"stools_above_baseline\"", "\"stools_above_baseline\"", &["base", "`temperature_c`"]),
        ("\"temperature_c\",\n    \"chest_pain\"", "\"chest_pain\"", &["on_my_own.always", "`temperature_c`"]),
        (
            "\"decreased_appetite\", \"nausea\"",
            "\"decreased_apetite\", \"nausea\"",
            &["base", "unknown module `decreased_apetite`"],
        ),
        ("\"decreased_appetite\", \"nausea\"", "\"nausea\", \"nausea\"", &["base", "`nausea` listed twice"]),
        ("class = \"fluoropyrimidine\"", "class = \"fluoropyrimidines\"", &["rule[0]", "selects no drug"]),
        (
            "class = \"fluoropyrimidine\"",
            "class = \"fluoropyrimidine\"\ntag = \"myelosuppressive\"",
            &["rule[0]", "exactly one of class, tag, drugs"],
        ),
        ("drugs = [\"ribociclib\"]", "drugs = [\"ribociclibe\"]", &["rule[5].drugs", "`ribociclibe`"]),
        ("tag = \"bleeding_risk\"", "tag = \"bleeding\"", &["rule[", ".tag", "unknown tag `bleeding`"]),
        (
            "modules = [\"systolic_mmhg\", \"diastolic_mmhg\"",
            "modules = [\"diastolic_mmhg\"",
            &["rule[1].modules", "systolic_mmhg"],
        ),
        (
            "modules = [\"palpitations\"]\nsource = \"RCP Kisqali",
            "modules = [\"weight_kg\"]\nsource = \"RCP Kisqali",
            &["rule[5].modules", "weight_kg"],
        ),
        (
            "source = \"RCP Kisqali 4.4 (allongement de l'intervalle QT); fiche INCa ribociclib\"",
            "source = \" \"",
            &["rule[5].source"],
        ),
    ];
    for (from, to, parts) in cases {
        assert_names(&defs_error(from, to), parts);
    }
}

#[test]
fn a_file_missing_a_cadence_or_a_section_is_refused() {
    let no_s2 = edit(&definitions(), "[cadence.S2]\ndays = [\"mon\"]\nevery_weeks = 1\nlocal_time = \"10:00\"\n", "");
    let err = QuestionBank::from_toml(&items(), &no_s2, &catalog()).expect_err("refused");
    assert_names(&err, &["definitions.toml", "cadence.S2", "missing"]);
    let err = QuestionBank::from_toml(&items(), "base = 1", &catalog()).expect_err("refused");
    assert!(err.starts_with("definitions.toml: "), "{err}");
    let err = QuestionBank::from_toml("[[item]]\nkey = 3", &definitions(), &catalog()).expect_err("refused");
    assert!(err.starts_with("items.toml: "), "{err}");
}
