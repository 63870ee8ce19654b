//! `relais bench reports`: report intake over real HTTP (issue 20; BENCHMARKS.md, "Report
//! intake"). Against a fresh database: one establishment and its team, N patients enrolled
//! (half on capecitabine, half on imatinib) and their phones activated through
//! `POST /api/v1/patient/activate`; the real server (`crate::serve`, jobs off) on a loopback
//! port; then C connections send `POST /api/v1/patient/reports` for S seconds, each with a
//! fresh `client_id`, 80 % green, 15 % amber, 5 % red, several connections per phone (so a
//! patient's reports race and their alerts must merge).
//!
//! The load runs on a runtime of its own, on one thread named `bench-client`, so its CPU time is
//! told apart from the server's. Every SQL statement the server sends through sea-orm is counted
//! (its metric callback), grouped by the statement's text, to give statements per report.
//! Exit 1 unless every acknowledged report (201) is stored, once, no report was answered with a
//! server error, and no patient has two unresolved alerts of one topic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::NaiveDate;
use sea_orm::{DatabaseConnection, FromQueryResult, Statement};
use serde_json::{Value, json};

use crate::cli::Usage;
use crate::domain::access::Role;
use crate::domain::enrolment::{self, CycleRequest, EnrolRequest, EpisodeRequest, RegimenLineRequest, TeamRequest};
use crate::domain::triage::Colour;
use crate::store::{self, directory, episodes};
use crate::{AppState, Rules, Settings, SystemClock};

pub struct Options {
    pub database: Option<String>,
    pub phones: usize,
    pub connections: usize,
    pub seconds: u64,
}

/// The answers of report `i` for a patient on capecitabine or imatinib, and the colour they
/// were built to have: 16 green, 3 amber and 1 red in every 20 (the green answers are the
/// triage bench's, which neither drug watches early; docs/triage.md §3).
pub fn report_answers(i: usize) -> (Value, Colour) {
    match i % 20 {
        3 => (json!({"dry_skin.severity": 2}), Colour::Amber),
        10 => (json!({"nausea.frequency": 3, "nausea.severity": 2}), Colour::Amber),
        16 => (json!({"itching.severity": 2, "fatigue.severity": 1}), Colour::Amber),
        7 => match (i / 20) % 3 {
            0 => (json!({"chest_pain": true}), Colour::Red),
            1 => (json!({"dry_skin.severity": 3}), Colour::Red),
            _ => (json!({"chest_pain": true, "fatigue.severity": 1}), Colour::Red),
        },
        _ => (super::triage::green_answers(i), Colour::Green),
    }
}

/// SQL statements sent through the connection, by text (the first 90 characters).
#[derive(Default)]
struct SqlCount {
    total: AtomicU64,
    by_text: Mutex<HashMap<String, u64>>,
}

#[derive(Default)]
struct ClientStats {
    latencies_us: Vec<u32>,
    acknowledged: u64,
    by_status: HashMap<u16, u64>,
    colours: [u64; 3],
    errors: u64,
    /// CPU seconds of the load thread.
    cpu_seconds: f64,
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    anyhow::ensure!(o.phones > 0, Usage("--phones: at least 1".into()));
    anyhow::ensure!(o.connections > 0, Usage("--connections: at least 1".into()));
    anyhow::ensure!(o.seconds > 0, Usage("--seconds: at least 1".into()));
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    if let Some(url) = &o.database {
        env.push(("RELAIS__DATABASE__URL".into(), url.clone()));
    }
    // Intake alone: no reminders, no delivery beside it.
    env.push(("RELAIS__SCHEDULER__ENABLED".into(), "false".into()));
    let settings = Settings::load_from(None, &env)?;
    let rules = Rules::load(&settings.rules.dir)?;
    let pool = settings.database.max_connections;
    let mut state = AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
    let backend = if store::is_postgres(&state.db) { "PostgreSQL" } else { "SQLite" };
    let existing = count(&state.db, "SELECT COUNT(*) AS n FROM patients").await?;
    if existing > 0 {
        return Err(Usage(format!(
            "the benchmark needs a fresh database; this one holds {existing} patients (use an empty database)"
        ))
        .into());
    }
    eprintln!("seeding {} patients on {backend}...", o.phones);
    let codes = seed(&state, o.phones).await?;

    // Count statements from here on (the seeding above is not counted).
    let sql = Arc::new(SqlCount::default());
    let counter = sql.clone();
    state.db.set_metric_callback(move |info| {
        counter.total.fetch_add(1, Ordering::Relaxed);
        let text: String = info.statement.sql.chars().take(90).collect();
        *counter.by_text.lock().unwrap_or_else(|e| e.into_inner()).entry(text).or_default() += 1;
    });

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::serve(state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder().pool_max_idle_per_host(o.connections).build()?;
    let mut tokens = Vec::with_capacity(codes.len());
    for code in &codes {
        let r = http.post(format!("{base}/api/v1/patient/activate")).json(&json!({"code": code})).send().await?;
        anyhow::ensure!(r.status().is_success(), "activation answered {}", r.status());
        let body: Value = r.json().await?;
        tokens.push(body["token"].as_str().unwrap_or_default().to_owned());
    }
    eprintln!("{} phones activated; {} connections for {} s...", tokens.len(), o.connections, o.seconds);

    // The measure.
    let sql_before = sql.total.load(Ordering::Relaxed);
    sql.by_text.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let cpu_before = super::reminders::cpu_seconds();
    let batches_before = state.intake.counts();
    let reads_before = state.intake_reads.counts();
    let started = Instant::now();
    let (connections, seconds) = (o.connections, o.seconds);
    let url = format!("{base}/api/v1/patient/reports");
    let stats = std::thread::Builder::new()
        .name("bench-client".into())
        .spawn(move || drive(url, tokens, connections, StdDuration::from_secs(seconds)))?
        .join()
        .map_err(|_| anyhow::anyhow!("the load thread panicked"))??;
    let wall = started.elapsed();
    let cpu_after = super::reminders::cpu_seconds();
    let client_cpu = stats.cpu_seconds;
    let statements = sql.total.load(Ordering::Relaxed) - sql_before;
    let batches_after = state.intake.counts();
    let reads_after = state.intake_reads.counts();
    let by_text = std::mem::take(&mut *sql.by_text.lock().unwrap_or_else(|e| e.into_inner()));

    let _ = stop.send(());
    let _ = server.await;
    let stored = count(&state.db, "SELECT COUNT(*) AS n FROM reports").await?;
    let duplicate_alerts = count(
        &state.db,
        "SELECT COUNT(*) AS n FROM (SELECT patient_id, topic FROM alerts WHERE status <> 'resolved' \
         GROUP BY patient_id, topic HAVING COUNT(*) > 1) d",
    )
    .await?;
    let alerts = count(&state.db, "SELECT COUNT(*) AS n FROM alerts").await?;

    let mut lat = stats.latencies_us.clone();
    lat.sort_unstable();
    let pct = |q: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let rank = ((q * lat.len() as f64).ceil() as usize).clamp(1, lat.len());
        f64::from(lat[rank - 1]) / 1000.0
    };
    let ack = stats.acknowledged;
    let rate = ack as f64 / wall.as_secs_f64();
    let own = cpu_after.0 - cpu_before.0;
    let mut statuses: Vec<_> = stats.by_status.iter().collect();
    statuses.sort();
    println!();
    println!(
        "### Report intake — {backend}, {} phones, {} connections, {} s ({}, pool {pool})",
        o.phones,
        o.connections,
        o.seconds,
        super::push::machine()
    );
    println!();
    println!("| Measure | Value |");
    println!("|---|---|");
    println!("| Reports acknowledged (201) | {ack} in {:.1} s |", wall.as_secs_f64());
    println!("| Throughput | **{rate:.0} reports/s** |");
    println!(
        "| Latency p50 / p99 / p99.9 / max | {:.1} / {:.1} / {:.1} / {:.1} ms |",
        pct(0.50),
        pct(0.99),
        pct(0.999),
        pct(1.0)
    );
    println!(
        "| Colours answered: green / amber / red | {} / {} / {} |",
        stats.colours[0], stats.colours[1], stats.colours[2]
    );
    println!(
        "| Answers by status | {} (transport errors: {}) |",
        statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect::<Vec<_>>().join(", "),
        stats.errors
    );
    println!(
        "| CPU: relais server / load client / database and the rest / idle | {:.1} s / {:.1} s / {:.1} s / {:.1} s |",
        own - client_cpu,
        client_cpu,
        cpu_after.1 - cpu_before.1,
        cpu_after.2 - cpu_before.2
    );
    println!(
        "| SQL statements per report (BEGIN and COMMIT not counted) | {:.1} ({statements} in all) |",
        statements as f64 / ack.max(1) as f64
    );
    let w = batches_after.since(batches_before);
    println!(
        "| Group commit: write transactions / reports per transaction / failed / batches split | {} / {:.1} / {} / {} |",
        w.batches,
        w.per_batch(),
        w.failures,
        w.retried
    );
    let r = reads_after.since(reads_before);
    println!(
        "| Context reads batched (PostgreSQL): statements / reports per statement / failed | {} / {:.1} / {} |",
        r.batches,
        r.per_batch(),
        r.failures
    );
    println!("| Stored reports / acknowledged | {stored} / {ack} |");
    println!("| Alerts (patients with two unresolved of one topic) | {alerts} ({duplicate_alerts}) |");
    println!();
    let mut top: Vec<_> = by_text.into_iter().collect();
    top.sort_by_key(|b| std::cmp::Reverse(b.1));
    println!("Statements per report, by text (first 90 characters):");
    println!();
    for (text, n) in top.iter().take(25) {
        println!("- {:.2} × `{}`", *n as f64 / ack.max(1) as f64, text.replace('\n', " "));
    }
    println!();
    anyhow::ensure!(stored == ack as i64, "{stored} reports stored but {ack} acknowledged");
    let server_errors: u64 = stats.by_status.iter().filter(|(s, _)| **s >= 500).map(|(_, n)| n).sum();
    anyhow::ensure!(server_errors == 0, "{server_errors} reports answered with a server error (5xx)");
    anyhow::ensure!(duplicate_alerts == 0, "{duplicate_alerts} patients have two unresolved alerts of one topic");
    Ok(())
}

/// Sends reports on `connections` connections until `budget` has passed (the phones shared
/// round-robin: with more connections than phones, a phone's reports are in flight at once).
fn drive(url: String, tokens: Vec<String>, connections: usize, budget: StdDuration) -> anyhow::Result<ClientStats> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stats = rt.block_on(async move {
        let http = reqwest::Client::builder().pool_max_idle_per_host(connections).build()?;
        let tokens = Arc::new(tokens);
        let url = Arc::new(url);
        let end = Instant::now() + budget;
        let mut tasks = Vec::with_capacity(connections);
        for c in 0..connections {
            let (http, tokens, url) = (http.clone(), tokens.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let mut s = ClientStats::default();
                let mut k = 0usize;
                while Instant::now() < end {
                    let i = c + k * connections;
                    k += 1;
                    let token = &tokens[i % tokens.len()];
                    let (answers, _) = report_answers(i);
                    let body = json!({"client_id": uuid::Uuid::new_v4().to_string(), "questionnaire_id": null,
                                      "answers": answers});
                    let t = Instant::now();
                    let sent = http.post(url.as_str()).bearer_auth(token).json(&body).send().await;
                    match sent {
                        Ok(r) => {
                            let status = r.status().as_u16();
                            let bytes = r.bytes().await;
                            s.latencies_us.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                            *s.by_status.entry(status).or_default() += 1;
                            if status == 201 {
                                s.acknowledged += 1;
                                let colour = bytes
                                    .ok()
                                    .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                                    .and_then(|v| v["colour"].as_str().map(str::to_owned));
                                match colour.as_deref() {
                                    Some("green") => s.colours[0] += 1,
                                    Some("amber") => s.colours[1] += 1,
                                    Some("red") => s.colours[2] += 1,
                                    _ => {}
                                }
                            }
                        }
                        Err(_) => s.errors += 1,
                    }
                }
                s
            }));
        }
        let mut all = ClientStats::default();
        for t in tasks {
            let s = t.await?;
            all.latencies_us.extend(s.latencies_us);
            all.acknowledged += s.acknowledged;
            all.errors += s.errors;
            for (k, v) in s.by_status {
                *all.by_status.entry(k).or_default() += v;
            }
            for i in 0..3 {
                all.colours[i] += s.colours[i];
            }
        }
        anyhow::Ok(all)
    });
    stats.map(|s| ClientStats { cpu_seconds: thread_cpu_seconds(), ..s })
}

/// CPU seconds of the calling thread (Linux, 100 ticks/s).
fn thread_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else { return 0.0 };
    let Some((_, rest)) = stat.rsplit_once(')') else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (field(11) + field(12)) as f64 / 100.0
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let stmt = Statement::from_string(db.get_database_backend(), sql.to_owned());
    Ok(Count::find_by_statement(stmt).one(db).await?.map(|c| c.n).unwrap_or(0))
}

/// The site, its team and `n` enrolled patients with an activation code each; returns the codes.
async fn seed(state: &AppState, n: usize) -> anyhow::Result<Vec<String>> {
    let db = &state.db;
    let now = state.now();
    let tz = chrono_tz::Europe::Paris;
    let today = now.with_timezone(&tz).date_naive();
    let est = directory::create_establishment(
        db,
        directory::NewEstablishment {
            finess: "750000001",
            name: "Bench hospital",
            phone_24h: "+33100000000",
            calendar: "fr",
            time_zone: "Europe/Paris",
            backup_emails: &[],
        },
        now,
    )
    .await?
    .id;
    let pharmacy = directory::create_pharmacy(db, "750000002", "Bench pharmacy", Some("Paris"), None, now).await?.id;
    let mut ids = HashMap::new();
    for (i, (role, email)) in [
        (Role::Idec, "idec@bench.invalid"),
        (Role::Oncologist, "onco@bench.invalid"),
        (Role::HospitalPharmacist, "pui@bench.invalid"),
        (Role::CommunityPharmacist, "officine@bench.invalid"),
        (Role::Gp, "gp@bench.invalid"),
    ]
    .into_iter()
    .enumerate()
    {
        let rpps = format!("1{:010}", i + 1);
        let p = directory::create_professional(
            db,
            directory::NewProfessional {
                email,
                rpps: Some(&rpps),
                role,
                family_name: "Bench",
                given_name: role.as_str(),
                phone: None,
                establishment_id: role.needs_establishment().then_some(est.as_str()),
                pharmacy_id: (role == Role::CommunityPharmacist).then_some(pharmacy.as_str()),
                on_call: false,
                password_hash: "!",
                locale: "fr",
            },
            now,
        )
        .await?;
        ids.insert(role, p.id);
    }
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        let capecitabine = i.is_multiple_of(2);
        let req = EnrolRequest {
            family_name: "Bench".into(),
            given_name: format!("P{i}"),
            birth_date: NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default(),
            ins: None,
            phone: Some(format!("+336{:08}", i)),
            email: None,
            time_zone: Some("Europe/Paris".into()),
            locale: Some(if i.is_multiple_of(5) { "en" } else { "fr" }.into()),
            height_cm: None,
            episode: EpisodeRequest {
                parcours: None,
                start_date: today,
                baseline_weight_kg: Some(70.0),
                indication: Some("other".into()),
                regimen: vec![RegimenLineRequest {
                    drug: if capecitabine { "capecitabine" } else { "imatinib" }.into(),
                    dose: Some(if capecitabine { "1500 mg" } else { "400 mg" }.into()),
                    times: if capecitabine { vec!["08:00".into(), "20:00".into()] } else { vec!["08:00".into()] },
                    cycle: capecitabine.then(|| CycleRequest::on_off(14, 7)),
                    ..RegimenLineRequest::default()
                }],
                team: TeamRequest {
                    idec: ids[&Role::Idec].clone(),
                    oncologist: ids[&Role::Oncologist].clone(),
                    hospital_pharmacist: Some(ids[&Role::HospitalPharmacist].clone()),
                    community_pharmacy: Some(pharmacy.clone()),
                    gp: Some(ids[&Role::Gp].clone()),
                    community_nurse: None,
                },
            },
        };
        let checked = enrolment::check(&req, &state.rules.catalog, tz, today)
            .map_err(|e| anyhow::anyhow!("bench patient {i}: {e}"))?;
        let txn = store::begin_write(db).await?;
        let e = episodes::enrol(&txn, &checked, &est, &ids[&Role::Idec], &state.rules.pathway, now).await?;
        let (code, _) = crate::app::patients::issue_code(state, &txn, &e.patient_id).await?;
        txn.commit().await?;
        codes.push(code);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_mix_grades_as_built_on_both_drugs() {
        let rules = crate::Rules::load("").expect("the shipped rules load");
        let mut mix = [0usize; 3];
        for i in 0..200 {
            let (answers, intended) = report_answers(i);
            for drug in ["capecitabine", "imatinib"] {
                let case = crate::domain::triage::Case {
                    drugs: vec![drug.into()],
                    sequence: crate::domain::Sequence::S1,
                    parcours: crate::domain::Parcours::A,
                    baseline_weight_kg: Some(70.0),
                    previous: None,
                    answers: crate::domain::answers::Answers::parse(&answers, "answers").unwrap(),
                };
                let ctx = crate::domain::triage::AdviceContext {
                    locale: crate::domain::triage::Locale::Fr,
                    team_phone: None,
                };
                let r = crate::domain::triage::evaluate(&rules.triage, &rules.catalog, &case, &ctx).unwrap();
                assert_eq!(r.colour, intended, "report {i} on {drug}: {:?}", r.reasons);
            }
            mix[match intended {
                Colour::Green => 0,
                Colour::Amber => 1,
                Colour::Red => 2,
            }] += 1;
        }
        assert_eq!(mix, [160, 30, 10]);
    }
}
