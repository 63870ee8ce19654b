//! Regression snapshots of `relais triage`: `tests/triage_cases/NN-name.json` (docs/api.md
//! input) and `NN-name.expected.json` (the engine's exact output, or `{"error": {"field",
//! "message"}}`). They pin the output so that any change in it shows in review; they are the
//! engine's own output (`UPDATE_SNAPSHOTS=1` rewrites them from it), not an independent check
//! of the rules. The independent checks are elsewhere: every row of the published composite
//! table through the engine (`grading/tests.rs`), and the rule-by-rule unit tests.

use serde_json::{Value, json};

use crate::test_support;
use crate::triage::{AdviceContext, Locale, evaluate, parse_case};

fn output(input: &Value) -> Value {
    let rules = test_support::rules();
    let catalog = test_support::catalog();
    let ctx = AdviceContext { locale: Locale::En, team_phone: None };
    let result = parse_case(input, &catalog).and_then(|c| evaluate(&rules, &catalog, &c, &ctx));
    match result {
        Ok(r) => serde_json::to_value(r).expect("serialises"),
        Err(e) => json!({ "error": { "field": e.field, "message": e.message } }),
    }
}

#[test]
fn every_regression_snapshot_gives_its_recorded_output() {
    let dir = test_support::repo_path("tests/triage_cases");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/triage_cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".json") && !name.ends_with(".expected.json")
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 25, "{} cases", inputs.len());
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for path in inputs {
        let text = std::fs::read_to_string(&path).expect("read case");
        let input: Value = serde_json::from_str(&text).expect("case is JSON");
        let got = output(&input);
        let expected_path = path.with_extension("expected.json");
        if update {
            let pretty = serde_json::to_string_pretty(&got).expect("json") + "\n";
            std::fs::write(&expected_path, pretty).expect("write expected");
            continue;
        }
        let expected: Value = std::fs::read_to_string(&expected_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        if got != expected {
            failures.push(format!("{}:\n{}", path.display(), serde_json::to_string_pretty(&got).unwrap_or_default()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
