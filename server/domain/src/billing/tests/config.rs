//! Every refusal of the tariff file names the file and the key.

use super::*;

/// The shipped file with one edit; the edit must apply.
fn edited(from: &str, to: &str) -> String {
    let text = read(TARIFFS_FILE);
    assert!(text.contains(from), "fixture: `{from}` not in the shipped file");
    text.replacen(from, to, 1)
}

fn refused(text: &str) -> String {
    let err = Tariffs::from_toml(text).expect_err("must be refused");
    assert!(err.starts_with("config/tariffs/onco-link.toml: "), "names the file: {err}");
    err
}

fn assert_names(err: &str, key: &str) {
    assert!(err.contains(&format!("{key}:")), "expected key `{key}` in: {err}");
}

#[test]
fn shares_that_do_not_add_up_are_refused_to_the_cent() {
    let err = refused(&edited(
        "shares = { hospital = 12400, pharmacy = 12400, gp = 12400 }",
        "shares = { hospital = 12000, pharmacy = 15000, gp = 10000 }",
    ));
    assert!(err.ends_with("version[0].A.S2.shares: 12000 + 15000 + 10000 = 37000 ≠ total 37200 (hospital + pharmacy + gp must equal total_cents)"), "{err}");

    let err = refused(&edited("hospital = 5634,", "hospital = 5633,"));
    assert_names(&err, "version[0].A.S3.shares");
}

#[test]
fn cents_must_be_non_negative_integers() {
    let err = refused(&edited("total_cents = 35700", "total_cents = 357.00"));
    assert_names(&err, "version[0].A.S1.total_cents");
    assert!(err.contains("not an integer"), "{err}");

    let err = refused(&edited("hospital = 11934,", "hospital = 119.34,"));
    assert_names(&err, "version[0].B.S1.shares.hospital");

    let err = refused(&edited("pharmacy = 12066, gp = 12066", "pharmacy = -12066, gp = 36198"));
    assert_names(&err, "version[0].B.S2.shares.pharmacy");
    assert!(err.contains("negative"), "{err}");

    let err = refused(&edited("total_cents = 30700", "total_cents = \"30700\""));
    assert_names(&err, "version[0].B.S3.total_cents");

    let err = refused(&edited(
        "total_cents = 16900\nshares = { hospital = 5634, pharmacy = 5633, gp = 5633 }",
        "total_cents = 0\nshares = { hospital = 0, pharmacy = 0, gp = 0 }",
    ));
    assert_names(&err, "version[0].A.S3.total_cents");
}

#[test]
fn a_missing_parcours_sequence_or_share_is_refused() {
    let err = refused(&edited("[version.A.S2]", "[version.A.S4]"));
    assert_names(&err, "version[0].A.S4");
    let no_s2 = edited(
        "[version.A.S2]\ntotal_cents = 37200\nshares = { hospital = 12400, pharmacy = 12400, gp = 12400 }\n",
        "",
    );
    assert_names(&refused(&no_s2), "version[0].A.S2");

    let only_a = read(TARIFFS_FILE).split("[version.B.S1]").next().unwrap().to_string();
    assert_names(&refused(&only_a), "version[0].B");

    let err = refused(&edited(", gp = 12400 }", " }"));
    assert_names(&err, "version[0].A.S2.shares.gp");
    let err = refused(&edited("total_cents = 35800\n", ""));
    assert_names(&err, "version[0].B.S1.total_cents");
    let err = refused(&edited("split = \"placeholder\"\n", ""));
    assert_names(&err, "version[0].split");
}

#[test]
fn unknown_keys_are_refused_where_they_stand() {
    assert_names(&refused(&edited("split = \"placeholder\"", "split = \"placeholder\"\nnote = 1")), "version[0].note");
    assert_names(&refused(&edited("total_cents = 35700", "total_cents = 35700\ncents = 1")), "version[0].A.S1.cents");
    assert_names(&refused(&edited("gp = 11900 }", "gp = 11900, nurse = 0 }")), "version[0].A.S1.shares.nurse");
    assert_names(&refused(&format!("currency = \"EUR\"\n{}", read(TARIFFS_FILE))), "currency");
    assert_names(&refused(&edited("[version.A.S1]", "[version.C.S1]")), "version[0].C");
    assert_names(&refused(&edited("split = \"placeholder\"", "split = \"maybe\"")), "version[0].split");
}

#[test]
fn versions_must_not_overlap() {
    let text = tariff_text(&[("pilot", "2021-10-01", PILOT), ("same-day", "2021-10-01", LATER)]);
    let err = refused(&text);
    assert_names(&err, "version[1].valid_from");
    assert!(err.contains("overlap"), "{err}");

    let backwards = tariff_text(&[("later", "2026-01-01", LATER), ("pilot", "2021-10-01", PILOT)]);
    assert_names(&refused(&backwards), "version[1].valid_from");

    let same_id = tariff_text(&[("pilot", "2021-10-01", PILOT), ("pilot", "2026-01-01", LATER)]);
    assert_names(&refused(&same_id), "version[1].id");
}

#[test]
fn dates_ids_and_the_version_list_are_checked() {
    assert_names(
        &refused(&edited("valid_from = \"2021-10-01\"", "valid_from = \"01/10/2021\"")),
        "version[0].valid_from",
    );
    assert_names(&refused(&edited("valid_from = \"2021-10-01\"", "valid_from = 2021-10-01")), "version[0].valid_from");
    assert_names(&refused(&edited("id = \"2021-10-pilot\"", "id = \" \"")), "version[0].id");
    assert_names(&refused(""), "version");
    assert_names(&refused("version = []"), "version");
    assert_names(&refused("version = 3"), "version");
    let err = refused("[[version]\nid = 1");
    assert!(err.contains("line"), "a syntax error says where: {err}");
}

#[test]
fn two_versions_load_in_order() {
    let t = two_versions();
    assert_eq!(t.versions().iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["pilot", "later"]);
    assert_eq!(t.versions()[1].forfait(Parcours::B, Sequence::S3).total_cents, 30100);
}
