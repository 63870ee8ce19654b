//! Shared test fixtures: the shipped config files and a small drug catalogue with the default
//! tags and early-watch lists of docs/triage.md §3.

use std::path::PathBuf;

use super::catalog::Catalog;
use super::interactions::ComedCatalog;
use super::triage::TriageRules;

/// A file of the repository (`config/triage.toml`), from this crate's folder (`server/domain/`).
pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(rel)
}

pub fn read(rel: &str) -> String {
    let path = repo_path(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn triage_toml() -> String {
    read("config/triage.toml")
}

pub fn composite_csv() -> String {
    read("config/proctcae_composite.csv")
}

pub fn rules() -> TriageRules {
    TriageRules::from_toml(&triage_toml(), &composite_csv()).expect("shipped triage.toml is valid")
}

pub fn comeds() -> ComedCatalog {
    ComedCatalog::from_toml(&read("config/catalog/comedications.toml")).expect("comedications")
}

/// The shipped catalogue (`config/catalog/drugs.toml`).
pub fn shipped_catalog() -> Catalog {
    Catalog::from_toml(&read("config/catalog/drugs.toml")).expect("shipped catalogue is valid")
}

/// The shipped item bank and questionnaires, on the shipped catalogue.
pub fn bank() -> super::questionnaire::QuestionBank {
    super::questionnaire::QuestionBank::from_toml(
        &read("config/questionnaires/items.toml"),
        &read("config/questionnaires/definitions.toml"),
        &shipped_catalog(),
    )
    .expect("shipped questionnaires are valid")
}

pub fn catalog() -> Catalog {
    Catalog::from_toml(TEST_CATALOG).expect("test catalogue is valid")
}

/// The default tags and watch lists of docs/triage.md §3 (regimens are placeholders).
pub const TEST_CATALOG: &str = r#"
[drugs.capecitabine]
name = { fr = "capécitabine", en = "capecitabine" }
class = "fluoropyrimidine"
parcours = "A"
s3_eligible = true
tags = ["myelosuppressive"]
watch = ["diarrhea", "hand_foot_syndrome"]
hold = { diarrhea = 2, hand_foot_syndrome = 2, mouth_sores = 2, nausea = 2, vomiting = 2 }
regimen = { note = "1250 mg/m2", times = ["08:00", "20:00"], cycle = { on_days = 14, off_days = 7 } }
source = "test"

[drugs.abemaciclib]
name = { fr = "abémaciclib", en = "abemaciclib" }
class = "CDK4/6 inhibitor"
parcours = "A"
s3_eligible = true
tags = ["myelosuppressive", "cyp3a4_substrate"]
watch = ["diarrhea"]
regimen = { note = "150 mg", times = ["08:00", "20:00"] }
source = "test"

[drugs.ibrutinib]
name = { fr = "ibrutinib", en = "ibrutinib" }
class = "BTK inhibitor"
parcours = "A"
s3_eligible = true
tags = ["myelosuppressive", "cyp3a4_substrate", "bleeding_risk"]
watch = ["nosebleed", "bruising", "palpitations"]
regimen = { note = "420 mg", times = ["08:00"] }
source = "test"

[drugs.niraparib]
name = { fr = "niraparib", en = "niraparib" }
class = "PARP inhibitor"
parcours = "A"
s3_eligible = true
tags = ["myelosuppressive"]
watch = ["nosebleed", "bruising"]
watch_info = ["hypertension"]
regimen = { note = "200 mg", times = ["20:00"] }
source = "test"

[drugs.ribociclib]
name = { fr = "ribociclib", en = "ribociclib" }
class = "CDK4/6 inhibitor"
parcours = "A"
s3_eligible = true
tags = ["myelosuppressive", "cyp3a4_substrate", "qt_prolonging"]
watch = ["palpitations"]
regimen = { note = "600 mg", times = ["08:00"], cycle = { on_days = 21, off_days = 7 } }
source = "test"

[drugs.sorafenib]
name = { fr = "sorafénib", en = "sorafenib" }
class = "multikinase inhibitor"
parcours = "A"
s3_eligible = true
tags = ["cyp3a4_substrate"]
watch = ["hand_foot_syndrome"]
watch_info = ["hypertension"]
regimen = { note = "400 mg", times = ["08:00", "20:00"] }
source = "test"

[drugs.sunitinib]
name = { fr = "sunitinib", en = "sunitinib" }
class = "multikinase inhibitor"
parcours = "A"
s3_eligible = true
tags = ["myelosuppressive", "cyp3a4_substrate", "qt_prolonging"]
watch = ["hand_foot_syndrome"]
regimen = { note = "50 mg", times = ["08:00"], cycle = { on_days = 28, off_days = 14 } }
source = "test"

[drugs.regorafenib]
name = { fr = "régorafénib", en = "regorafenib" }
class = "multikinase inhibitor"
parcours = "A"
s3_eligible = true
tags = ["cyp3a4_substrate"]
watch = ["hand_foot_syndrome"]
regimen = { note = "160 mg", times = ["08:00"], cycle = { on_days = 21, off_days = 7 } }
source = "test"

[drugs.imatinib]
name = { fr = "imatinib", en = "imatinib" }
class = "BCR-ABL inhibitor"
parcours = "A"
s3_eligible = true
tags = ["myelosuppressive", "cyp3a4_substrate"]
regimen = { note = "400 mg", times = ["08:00"] }
source = "test"

[drugs.erlotinib]
name = { fr = "erlotinib", en = "erlotinib" }
class = "EGFR inhibitor"
parcours = "A"
s3_eligible = true
tags = ["cyp3a4_substrate", "ph_dependent_absorption"]
watch_info = ["rash", "diarrhea"]
regimen = { note = "150 mg", times = ["08:00"] }
source = "test"

[drugs.palbociclib]
name = { fr = "palbociclib", en = "palbociclib" }
class = "CDK4/6 inhibitor"
parcours = "A"
s3_eligible = true
tags = ["myelosuppressive", "cyp3a4_substrate"]
regimen = { note = "125 mg", times = ["08:00"], cycle = { on_days = 21, off_days = 7 } }
source = "test"

[drugs.dabrafenib]
name = { fr = "dabrafénib", en = "dabrafenib" }
class = "BRAF inhibitor"
parcours = "A"
s3_eligible = true
tags = ["cyp3a4_substrate"]
hold = { fever = 1 }
regimen = { note = "150 mg", times = ["08:00", "20:00"] }
source = "test"

[drugs.dasatinib]
name = { fr = "dasatinib", en = "dasatinib" }
class = "BCR-ABL inhibitor"
parcours = "B"
s3_eligible = false
tags = ["myelosuppressive", "cyp3a4_substrate", "ph_dependent_absorption", "qt_prolonging"]
regimen = { note = "100 mg", times = ["08:00"] }
source = "test"
"#;
