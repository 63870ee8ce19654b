//! `relais serve`, the real binary, as a hospital runs it: the settings it refuses to start
//! with, and a tick that survives the process being paused (SIGSTOP/SIGCONT, as a VM pause or
//! an overloaded host does). docs/operations.md says what is expected of each.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const METRICS_TOKEN: &str = "scrape-secret-for-tests";

/// A fresh directory with an SQLite database for one test.
fn temp_site(name: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("relais-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("relais.db").display());
    (dir, url)
}

/// The settings of a site that may serve: only the keys `serve` checks vary in the tests.
fn base_env(dir: &std::path::Path, url: &str) -> Vec<(String, String)> {
    [
        ("RELAIS__DATABASE__URL", url.to_owned()),
        ("RELAIS__PUSH__VAPID_KEY_FILE", dir.join("vapid.key").display().to_string()),
        ("RELAIS__EMAIL__FILE_DIR", dir.join("mail").display().to_string()),
        ("RELAIS__SERVER__PORT", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn relais(env: &[(String, String)], args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relais"));
    cmd.args(args).env_remove("RELAIS__DATABASE__URL").envs(env.iter().map(|(k, v)| (k, v)));
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run relais");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn with(env: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut e = env.to_vec();
    e.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    e
}

#[test]
fn serve_refuses_settings_under_which_alerts_or_links_would_go_nowhere() {
    let (dir, url) = temp_site("refuse");
    let env = base_env(&dir, &url);
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[], "email.smtp_url"),
        (&[("RELAIS__EMAIL__TRANSPORT", "files")], "push.vapid_subject"),
        (
            &[
                ("RELAIS__EMAIL__TRANSPORT", "files"),
                ("RELAIS__PUSH__VAPID_SUBJECT", "mailto:dsi@hopital.example"),
                ("RELAIS__SERVER__HOST", "0.0.0.0"),
            ],
            "server.public_url",
        ),
        (&[("RELAIS__EMAIL__TRANSPORT", "carrier-pigeon")], "email.transport"),
    ];
    for (extra, key) in cases {
        let out = relais(&with(&env, extra), &["serve"], None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {stderr}");
        assert!(stderr.contains(key), "the message names {key}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A running `relais serve` whose log is collected line by line.
struct Served {
    child: Child,
    addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Served {
    fn start(env: &[(String, String)], args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_relais"))
            .args(args)
            .env_remove("RELAIS__DATABASE__URL")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start relais serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line.find("listening on http://") {
                    let rest = &line[i + "listening on ".len()..];
                    let addr: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '"').collect();
                    let _ = tx.send(addr);
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(120)).unwrap_or_else(|_| {
            panic!("relais serve did not start: {:?}", log.lock().unwrap());
        });
        Self { child, addr, log }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([sig, &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success(), "kill {sig}");
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A metric's value in the Prometheus text, summed over its label sets.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| l[name.len()..].starts_with([' ', '{']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn metrics(http: &reqwest::Client, addr: &str) -> String {
    http.get(format!("{addr}/metrics")).bearer_auth(METRICS_TOKEN).send().await.unwrap().text().await.unwrap()
}

/// Polls `check` every 100 ms until it holds or `within` has passed; returns how long it took.
async fn within<F, Fut>(within: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < within {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// The id in `created idec account E (ID)`.
fn created_id(out: &Output) -> String {
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{s} {}", String::from_utf8_lossy(&out.stderr));
    let open = s.find('(').unwrap();
    s[open + 1..s[open..].find(')').unwrap() + open].to_owned()
}

const PASSWORD: &str = "a-long-enough-password";

/// A site that may serve (files for email, a real VAPID contact) plus `extra`, with its
/// establishment and an IDEC and an oncologist created by the command line; returns the
/// directory, the environment and the two professionals' ids.
fn site_with_a_team(name: &str, extra: &[(&str, &str)]) -> (PathBuf, Vec<(String, String)>, String, String) {
    let (dir, url) = temp_site(name);
    let mut settings =
        vec![("RELAIS__EMAIL__TRANSPORT", "files"), ("RELAIS__PUSH__VAPID_SUBJECT", "mailto:dsi@hopital.example")];
    settings.extend_from_slice(extra);
    let env = with(&base_env(&dir, &url), &settings);
    let out = relais(
        &env,
        &["establishment", "add", "--finess", "350000011", "--name", "CH", "--phone-24h", "0299000000"],
        None,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let user = |email: &str, role: &str| {
        let args =
            ["user", "add", "--email", email, "--role", role, "--establishment", "350000011", "--password-stdin"];
        created_id(&relais(&env, &args, Some(&format!("{PASSWORD}\n"))))
    };
    let idec = user("idec@ch.example", "idec");
    let onco = user("onco@ch.example", "oncologist");
    (dir, env, idec, onco)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_binary_paused_longer_than_three_ticks_resumes_its_ticks_and_does_due_work() {
    let (dir, env, idec, onco) = site_with_a_team(
        "pause",
        &[("RELAIS__SCHEDULER__TICK_SECONDS", "1"), ("RELAIS__METRICS__TOKEN", METRICS_TOKEN)],
    );
    let server = Served::start(&env, &["--log-format", "json", "serve"]);
    let (http, addr) = (reqwest::Client::new(), server.addr.clone());
    let ticking =
        within(Duration::from_secs(10), || async { metric(&metrics(&http, &addr).await, "relais_ticks_total") >= 2.0 });
    assert!(ticking.await.is_some(), "the scheduler ticks: {:?}", server.log());

    // Paused for 4 s: four tick intervals.
    server.signal("-STOP");
    std::thread::sleep(Duration::from_secs(4));
    server.signal("-CONT");
    let ticks = metric(&metrics(&http, &addr).await, "relais_ticks_total");

    // Work that falls due after the pause: a patient's first planning.
    let login: Value = http
        .post(format!("{addr}/api/v1/auth/login"))
        .json(&json!({"email": "idec@ch.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("logged in").to_owned();
    let enrolled = http
        .post(format!("{addr}/api/v1/patients"))
        .bearer_auth(&token)
        .json(&json!({
            "family_name": "Lemaire", "given_name": "Odile", "birth_date": "1958-02-03",
            "phone": "+33612345678", "time_zone": "Europe/Paris", "locale": "fr",
            "episode": {"parcours": "B", "start_date": chrono::Utc::now().date_naive().to_string(),
                "regimen": [{"drug": "imatinib", "dose": "400 mg", "times": ["23:59"]}],
                "team": {"idec": idec, "oncologist": onco}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(enrolled.status(), 201);
    // Within two ticks (plus a second of slack for a loaded machine) the due work is done.
    let done = within(Duration::from_secs(3), || async {
        let m = metrics(&http, &addr).await;
        metric(&m, "relais_due_work_backlog{state=\"due\"}") == 0.0 && metric(&m, "relais_ticks_total") >= ticks + 1.0
    });
    assert!(done.await.is_some(), "due work done after the pause: {}", metrics(&http, &addr).await);
    let more = within(Duration::from_secs(4), || async {
        metric(&metrics(&http, &addr).await, "relais_ticks_total") >= ticks + 3.0
    });
    assert!(more.await.is_some(), "the ticks go on");
    let ready = http.get(format!("{addr}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(http.get(format!("{addr}/livez")).send().await.unwrap().status(), 200);

    // The access log: one JSON line per request with the route template, never a name.
    let log = server.log();
    let access = log
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["message"] == "request" && v["span"]["route"] == "/api/v1/patients" && v["status"] == 201);
    let access = access.unwrap_or_else(|| panic!("an access line for the enrolment: {log:?}"));
    assert!(access["span"]["request_id"].as_str().is_some_and(|id| id.len() == 36), "{access}");
    assert!(access["duration_ms"].is_number());
    assert!(log.iter().all(|l| !l.contains("Lemaire") && !l.contains(&token)), "no name nor token in the log");
    assert!(log.iter().all(|l| !l.contains("panicked")), "{log:?}");
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

fn resident_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

/// Before the password checks were bounded, 200 concurrent logins took the process from
/// 106 MB to 3.85 GB, never given back (docs/security.md, "Sign-in").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_parallel_logins_keep_the_real_binary_under_300_mb() {
    let (dir, env, _, _) = site_with_a_team(
        "flood",
        &[
            ("RELAIS__SCHEDULER__ENABLED", "false"),
            // Behind a proxy, so that each request comes from an address of its own and reaches
            // the password check (many addresses: what a botnet does).
            ("RELAIS__SERVER__TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    );
    let server = Served::start(&env, &["serve"]);
    let pid = server.child.id();
    let http = reqwest::Client::new();
    let mut peak = resident_mib(pid);
    for round in 0..2 {
        let mut tries = Vec::new();
        for i in 0..200 {
            let (http, url) = (http.clone(), format!("{}/api/v1/auth/login", server.addr));
            // The nurse signing in, and someone spraying guesses at other accounts.
            let (email, password) = if i % 2 == 0 {
                ("idec@ch.example".to_owned(), PASSWORD)
            } else {
                (format!("guess{round}-{i}@ch.example"), "a-wrong-password-guess")
            };
            let from = format!("198.51.{round}.{}", i % 250);
            tries.push(tokio::spawn(async move {
                http.post(url)
                    .header("x-forwarded-for", from)
                    .json(&json!({"email": email, "password": password}))
                    .send()
                    .await
                    .map_or(0, |r| r.status().as_u16())
            }));
        }
        let mut statuses = Vec::new();
        while let Some(t) = tries.pop() {
            peak = peak.max(resident_mib(pid));
            statuses.push(t.await.unwrap());
        }
        peak = peak.max(resident_mib(pid));
        assert!(statuses.iter().all(|s| matches!(s, 200 | 401 | 429 | 503)), "round {round}: {statuses:?}");
        assert!(statuses.contains(&503), "round {round}: beyond one check per core, 503 at once: {statuses:?}");
        assert!(statuses.iter().any(|s| *s == 200 || *s == 401), "round {round}: passwords were checked");
        // Right after the flood, the nurse signs in.
        let after = http
            .post(format!("{}/api/v1/auth/login", server.addr))
            .header("x-forwarded-for", "10.20.0.14")
            .json(&json!({"email": "idec@ch.example", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 200, "round {round}");
    }
    eprintln!("peak resident memory during two bursts of 200 logins: {peak} MiB");
    assert!(peak < 300, "peak resident memory {peak} MiB");
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}
