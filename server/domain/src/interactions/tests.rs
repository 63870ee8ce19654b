use super::*;
use crate::test_support;

fn drug(name: &str) -> Product {
    drug_products(&test_support::catalog(), &[name.to_string()]).expect("known drug")[0].clone()
}

fn comed(name: &str) -> Product {
    test_support::comeds().product(name).expect(name)
}

fn rule_ids(drugs: &[&str], new: &str) -> Vec<String> {
    let rules = test_support::rules().interactions;
    let others: Vec<Product> = drugs.iter().map(|d| drug(d)).collect();
    rules.check(&others, &comed(new)).into_iter().map(|f| f.rule).collect()
}

#[test]
fn the_comedication_catalogue_is_valid_and_found_by_french_names() {
    let c = test_support::comeds();
    assert!(c.len() >= 30);
    for (name, key) in [
        ("millepertuis", "st_johns_wort"),
        ("ST JOHN’S WORT", "st_johns_wort"),
        ("Pamplemousse", "grapefruit"),
        ("Préviscan", "fluindione"),
        ("previscan", "fluindione"),
        ("Inexium", "esomeprazole"),
        (" rifampicine ", "rifampicin"),
        ("warfarin", "warfarin"),
    ] {
        assert_eq!(c.lookup(name).map(|(k, _)| k), Some(key), "{name}");
    }
    assert!(c.lookup("paracetamol").is_none());
    for required in [
        "st_johns_wort",
        "rifampicin",
        "carbamazepine",
        "phenytoin",
        "clarithromycin",
        "itraconazole",
        "voriconazole",
        "ritonavir",
        "grapefruit",
        "omeprazole",
        "esomeprazole",
        "pantoprazole",
        "lansoprazole",
        "rabeprazole",
        "famotidine",
        "warfarin",
        "apixaban",
        "rivaroxaban",
        "dabigatran",
        "fluindione",
        "aspirin",
        "clopidogrel",
        "amiodarone",
        "hydroxychloroquine",
        "domperidone",
        "citalopram",
        "escitalopram",
        "ondansetron",
    ] {
        assert!(c.get(required).is_some(), "{required}");
    }
}

#[test]
fn comedication_catalogue_errors_name_the_entry() {
    let e = ComedCatalog::from_toml("[comedications.x]\ntags = [\"cyp3a4\"]\nsource = \"s\"\n").expect_err("tag");
    assert_eq!(e, "comedications.x.tags: unknown tag `cyp3a4`");
    let dup = "[comedications.a]\ntags = [\"acid_reducer\"]\nsource = \"s\"\n\
               [comedications.b]\naliases = [\"A\"]\ntags = [\"acid_reducer\"]\nsource = \"s\"\n";
    assert!(ComedCatalog::from_toml(dup).expect_err("dup").contains("already names"));
    let unknown_field = "[comedications.a]\ntags = [\"acid_reducer\"]\nsource = \"s\"\ncolour = 1\n";
    assert!(ComedCatalog::from_toml(unknown_field).is_err());
}

#[test]
fn pair_rules_find_the_known_interactions() {
    assert_eq!(rule_ids(&["imatinib"], "millepertuis"), ["cyp3a4_inducer"]);
    assert_eq!(rule_ids(&["palbociclib"], "rifampicin"), ["cyp3a4_inducer"]);
    assert_eq!(rule_ids(&["abemaciclib"], "clarithromycin"), ["cyp3a4_inhibitor"]);
    assert_eq!(rule_ids(&["sunitinib"], "grapefruit"), ["cyp3a4_inhibitor"]);
    assert_eq!(rule_ids(&["erlotinib"], "omeprazole"), ["acid_reducer"]);
    assert_eq!(rule_ids(&["dasatinib"], "Inexium"), ["acid_reducer"]);
    assert_eq!(rule_ids(&["ribociclib"], "ondansetron"), ["qt_additive"]);
    assert_eq!(rule_ids(&["ibrutinib"], "warfarin"), ["ibrutinib_anticoagulant"]);
    assert_eq!(rule_ids(&["ibrutinib"], "clopidogrel"), ["ibrutinib_antiplatelet"]);
    assert_eq!(rule_ids(&["capecitabine"], "fluindione"), ["capecitabine_vka_fluindione"]);
    assert_eq!(rule_ids(&["capecitabine"], "omeprazole"), Vec::<String>::new());
    assert_eq!(rule_ids(&["niraparib"], "aspirin"), Vec::<String>::new());
    // Clarithromycin is a strong inhibitor and QT-prolonging: two findings on dasatinib.
    assert_eq!(rule_ids(&["dasatinib"], "clarithromycin"), ["cyp3a4_inhibitor", "qt_additive"]);
}

#[test]
fn findings_name_both_products_and_the_reason() {
    let rules = test_support::rules().interactions;
    let f = rules.check(&[drug("erlotinib")], &comed("oméprazole"));
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].a.as_str(), f[0].b.as_str()), ("erlotinib", "omeprazole"));
    assert!(f[0].reason.contains("absorption"));
    // A co-medication is not checked against itself.
    assert!(rules.check(&[comed("citalopram")], &comed("citalopram")).is_empty());
    // Between co-medications too: a second QT-prolonging drug.
    assert_eq!(rules.check(&[comed("citalopram")], &comed("domperidone")).len(), 1);
}

#[test]
fn rule_names_exist_and_rules_are_validated() {
    let rules = test_support::rules().interactions;
    assert!(rules.check_names(&test_support::catalog(), &test_support::comeds()).is_ok());
    let side = |tag: Option<&str>, drug: Option<&str>| SideSpec {
        tag: tag.map(str::to_string),
        drug: drug.map(str::to_string),
    };
    let pair = |a: SideSpec, b: SideSpec| PairSpec {
        id: "r".into(),
        a,
        b,
        reason: "why".into(),
        reason_fr: "pourquoi".into(),
    };
    let e = InteractionRules::new(&[pair(side(Some("cyp"), None), side(Some("acid_reducer"), None))], "k")
        .expect_err("tag");
    assert_eq!(e, "k[0].a.tag: unknown tag `cyp`");
    let e =
        InteractionRules::new(&[pair(side(Some("qt_prolonging"), Some("x")), side(Some("acid_reducer"), None))], "k")
            .expect_err("both");
    assert!(e.contains("exactly one"));
    let unknown =
        InteractionRules::new(&[pair(side(None, Some("unobtainium")), side(Some("acid_reducer"), None))], "k")
            .expect("shape is valid");
    assert!(unknown.check_names(&test_support::catalog(), &test_support::comeds()).is_err());
    let e = drug_products(&test_support::catalog(), &["aspirine".into()]).expect_err("unknown");
    assert_eq!(e.field, "drugs");
}

#[test]
fn strong_cyp2d6_inhibitors_are_flagged_with_tamoxifen() {
    // docs/triage.md §7 (r3): tamoxifen × a strong CYP2D6 inhibitor.
    let text = std::fs::read_to_string(test_support::repo_path("config/catalog/drugs.toml")).expect("catalogue");
    let real = crate::catalog::Catalog::from_toml(&text).expect("valid");
    let rules = test_support::rules().interactions;
    let tamoxifen = drug_products(&real, &["tamoxifen".to_string()]).expect("tamoxifen");
    for name in ["paroxetine", "Deroxat", "fluoxetine", "Prozac", "bupropion", "Zyban", "quinidine"] {
        let ids: Vec<String> = rules.check(&tamoxifen, &comed(name)).into_iter().map(|f| f.rule).collect();
        assert_eq!(ids, ["cyp2d6_inhibitor"], "{name}");
    }
    // Not with an aromatase inhibitor, and not with an antidepressant that is not a strong inhibitor.
    let letrozole = drug_products(&real, &["letrozole".to_string()]).expect("letrozole");
    assert!(rules.check(&letrozole, &comed("paroxetine")).is_empty());
    let tagged: Vec<&str> =
        real.iter().filter(|(_, d)| d.tags.contains("cyp2d6_substrate")).map(|(name, _)| name).collect();
    assert_eq!(tagged, ["tamoxifen"]);
}

#[test]
fn a_stored_reason_reads_in_french_from_its_rule() {
    let spec = PairSpec {
        id: "r".into(),
        a: SideSpec { tag: None, drug: Some("ibrutinib".into()) },
        b: SideSpec { tag: Some("anticoagulant".into()), drug: None },
        reason: "bleeding risk".into(),
        reason_fr: "risque hémorragique".into(),
    };
    let rules = InteractionRules::new(std::slice::from_ref(&spec), "t").unwrap();
    assert_eq!(
        rules.reason_in_french("ibrutinib + warfarin: bleeding risk").as_deref(),
        Some("ibrutinib + warfarin : risque hémorragique")
    );
    assert_eq!(rules.reason_in_french("ibrutinib + warfarin: something else"), None);
    let no_french = PairSpec { reason_fr: " ".into(), ..spec };
    assert!(InteractionRules::new(&[no_french], "t").unwrap_err().contains("reason_fr"));
}
