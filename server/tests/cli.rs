//! The `relais` binary itself: `triage` on the regression snapshots (tests/triage_cases, the
//! engine's recorded output; see domain/triage/tests/snapshots.rs), its exit codes, and
//! `user add` input errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn relais(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relais"))
        .args(args)
        .env_remove("RELAIS__DATABASE__URL")
        .output()
        .expect("run relais")
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/triage_cases")
}

#[test]
fn triage_on_the_command_line_gives_every_recorded_snapshot() {
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(cases_dir()).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for input in entries.iter().filter(|p| !p.to_string_lossy().ends_with(".expected.json")) {
        let expected_path = PathBuf::from(input.to_string_lossy().replace(".json", ".expected.json"));
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let out = relais(&["triage", "--locale", "en", input.to_str().unwrap()]);
        let name = input.file_name().unwrap().to_string_lossy();
        if let Some(err) = expected.get("error") {
            assert_eq!(out.status.code(), Some(2), "{name}: expected exit 2");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let field = err["field"].as_str().unwrap();
            assert!(stderr.contains(&format!("{field}:")), "{name}: stderr {stderr:?} should name {field}");
            assert!(out.stdout.is_empty(), "{name}: nothing on stdout for invalid input");
        } else {
            assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
            let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(got, expected, "{name}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} cases");
}

#[test]
fn triage_red_advice_names_the_team_phone_and_defaults_to_french() {
    let case = cases_dir().join("02-chest-pain-red-flag.json");
    let out = relais(&["triage", "--team-phone", "+33299000000", case.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["colour"], "red");
    let first = &v["advice"][0];
    assert!(first["symptom"].is_null());
    let text = first["text"].as_str().unwrap();
    assert!(text.contains("02 99 00 00 00") && text.contains("15"), "{text}");
    assert!(text.contains("Appelez"), "French by default: {text}");
}

#[test]
fn triage_rejects_missing_files_and_bad_json_with_exit_2() {
    let out = relais(&["triage", "/nonexistent/case.json"]);
    assert_eq!(out.status.code(), Some(2));
    let tmp = std::env::temp_dir().join(format!("relais-bad-{}.json", std::process::id()));
    std::fs::write(&tmp, "{not json").unwrap();
    let out = relais(&["triage", tmp.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not JSON"));
    let out = relais(&["triage", "--locale", "de", tmp.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_file(tmp).unwrap();
}

#[test]
fn user_and_establishment_add_name_the_bad_option() {
    let db = std::env::temp_dir().join(format!("relais-cli-{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_relais")).args(args).env("RELAIS__DATABASE__URL", &url).output().unwrap()
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let out = run(&["user", "add", "--email", "x@y.fr", "--role", "nurse", "--establishment", "350000011"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--role"));
    let out = run(&["establishment", "add", "--finess", "12345", "--name", "C", "--phone-24h", "0299000000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--finess"));
    let out = run(&["establishment", "add", "--finess", "350000011", "--name", "C", "--phone-24h", "0299000000"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out =
        run(&["user", "add", "--email", "x@y.fr", "--role", "idec", "--establishment", "350000011", "--rpps", "123"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--rpps"));
    let out = run(&["user", "add", "--email", "x@y.fr", "--role", "idec", "--establishment", "999999999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--establishment"));
    let out = run(&["user", "add", "--email", "x@y.fr", "--role", "idec", "--establishment", "350000011"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("password (shown once)"));
    let out = run(&["user", "add", "--email", "x@y.fr", "--role", "idec", "--establishment", "350000011"]);
    assert_eq!(out.status.code(), Some(2), "duplicate email");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[test]
fn vapid_keys_prints_a_fresh_pair_each_time() {
    let keys = |o: Output| -> Vec<String> {
        String::from_utf8(o.stdout).unwrap().lines().map(|l| l.rsplit(' ').next().unwrap().to_owned()).collect()
    };
    let (a, b) = (keys(relais(&["vapid-keys"])), keys(relais(&["vapid-keys"])));
    assert_eq!((a.len(), a[1].len()), (2, 87), "{a:?}");
    assert_ne!(a, b);
    assert!(relais_mobile_bridge::VapidKeys::from_private_b64url(&a[0]).is_ok());
    assert_eq!(relais_mobile_bridge::VapidKeys::from_private_b64url(&a[0]).unwrap().public_b64url(), a[1]);
}

#[test]
fn billing_close_refuses_a_month_not_written_yyyy_mm() {
    for bad in ["2026-13", "11-2026", "2026-1", "novembre"] {
        let out = relais(&["billing", "close", "--month", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--month") && stderr.contains("YYYY-MM"), "{bad}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn indicators_name_the_bad_option_and_print_json_or_csv() {
    for (args, option) in [
        (["--from", "2026-13-01", "--to", "2026-11-30", "--format", "json"], "--from"),
        (["--from", "2026-11-01", "--to", "2026/11/30", "--format", "json"], "--to"),
        (["--from", "2026-11-02", "--to", "2026-11-01", "--format", "json"], "--to"),
        (["--from", "2026-11-01", "--to", "2026-11-30", "--format", "xlsx"], "--format"),
    ] {
        let out = relais(&[&["indicators"][..], &args[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("{option}:")), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let db = std::env::temp_dir().join(format!("relais-cli-ind-{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_relais")).args(args).env("RELAIS__DATABASE__URL", &url).output().unwrap()
    };
    let out = run(&["indicators", "--from", "2026-11-01", "--to", "2026-11-30"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["from"].as_str(), v["totals"]["patients_followed"].as_u64()), (Some("2026-11-01"), Some(0)));
    let out = run(&["indicators", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("from;to;indicator;parcours;sequence;window;colour;topic;value\n"), "{csv}");
    assert!(csv.contains("2026-11-01;2026-11-30;questionnaires_completion_percent;;;;;;\n"), "{csv}");
    let out = run(&["indicators", "--from", "2026-11-01", "--to", "2026-11-30", "--establishment", "999999999"]);
    assert_eq!(out.status.code(), Some(2));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
