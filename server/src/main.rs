//! `relais`: a thin command line over the library.

#![forbid(unsafe_code)]

mod bench;
mod bench_push;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use relais_server::{AppState, Rules, Settings, SystemClock, accounts, demo, domain, secrets, store};

#[derive(Parser)]
#[command(name = "relais", version, about = "Relais: home follow-up of patients on oral anticancer drugs")]
struct Cli {
    /// Log lines as readable text or as one JSON object per line (default: `log.format`).
    #[arg(long, global = true, value_parser = ["text", "json"])]
    log_format: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database if needed, then serve the API, pages and jobs.
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        port: Option<u16>,
    },
    /// A fresh SQLite database seeded with a demo site, then serve.
    Demo {
        #[arg(long)]
        port: Option<u16>,
        #[arg(long, default_value = "./data-demo")]
        data_dir: PathBuf,
    },
    /// Grade and route one case with the configured rules; print the result as JSON. Exit 2 on
    /// invalid input. No database needed.
    Triage {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Language of the advice texts (fr or en); default: the site's.
        #[arg(long)]
        locale: Option<String>,
        /// The 24 h number to put in red advice.
        #[arg(long)]
        team_phone: Option<String>,
        case: PathBuf,
    },
    /// Print a new VAPID key pair (RFC 8292) for `push.vapid_key_file`.
    VapidKeys,
    /// Apply pending migrations and exit.
    Migrate {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Register a hospital establishment.
    Establishment {
        #[command(subcommand)]
        action: EstablishmentCommand,
    },
    /// Register a community pharmacy.
    Pharmacy {
        #[command(subcommand)]
        action: PharmacyCommand,
    },
    /// Evaluation indicators of a period (docs/indicators.md), as JSON or CSV on stdout.
    Indicators {
        /// First day, YYYY-MM-DD (included).
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD (included).
        #[arg(long)]
        to: String,
        /// json (default) or csv.
        #[arg(long, default_value = "json")]
        format: String,
        /// FINESS of one establishment (default: all).
        #[arg(long)]
        establishment: Option<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Performance benchmarks against a fresh database (see BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        action: BenchCommand,
    },
    /// Onco'Link forfait billing (docs/billing.md).
    Billing {
        #[command(subcommand)]
        action: BillingCommand,
    },
}

#[derive(Subcommand)]
enum BillingCommand {
    /// Bring the forfait lines up to date, then close a month: its due lines are exported onto
    /// the month's statements. Closing a month again changes nothing.
    Close {
        /// The month to close, YYYY-MM (it must be over).
        #[arg(long)]
        month: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Seed N patients with two doses due in the same minute, dispatch the 2N reminders, then
    /// plan the next day; print the figures as a Markdown table. Refuses a non-empty database.
    Reminders {
        #[arg(long, default_value_t = 150_000)]
        patients: usize,
        /// sqlite://PATH?mode=rwc or postgres://USER@HOST/DB (default: the configured database).
        #[arg(long)]
        database: Option<String>,
    },
    /// Web Push messages prepared per second (encrypt, VAPID reuse, request build; no network),
    /// on one core and on all, next to `openssl speed ecdhp256`.
    Webpush {
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
    },
    /// N due push messages delivered by the outbox worker to a fake push service on loopback.
    /// Refuses a database that already has outbox rows.
    Delivery {
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
        /// Distinct phones the messages are spread over.
        #[arg(long, default_value_t = 1_000)]
        devices: usize,
        /// sqlite://PATH?mode=rwc or postgres://USER@HOST/DB (default: the configured database).
        #[arg(long)]
        database: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account. Without --password-stdin a password is generated and printed once.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        /// FINESS of the establishment (hospital roles, admin) or of the pharmacy (community pharmacist).
        #[arg(long)]
        establishment: Option<String>,
        #[arg(long)]
        rpps: Option<String>,
        #[arg(long, default_value = "")]
        family_name: String,
        #[arg(long, default_value = "")]
        given_name: String,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        on_call: bool,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Disable a leaver's account and end its sessions (audited).
    Disable(AccountArgs),
    /// Enable a disabled account again.
    Enable(AccountArgs),
    /// Lock an account until `unlock` and end its sessions (wrong passwords never lock one).
    Lock(AccountArgs),
    /// Unlock a locked account.
    Unlock(AccountArgs),
    /// Set a new password (generated and shown once, or read with --password-stdin) and end
    /// every session of the account.
    ResetPassword {
        #[command(flatten)]
        account: AccountArgs,
        #[arg(long)]
        password_stdin: bool,
    },
    /// End every session of the account (a stolen laptop).
    RevokeSessions(AccountArgs),
}

/// The account an act applies to.
#[derive(clap::Args)]
struct AccountArgs {
    #[arg(long)]
    email: String,
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum EstablishmentCommand {
    Add {
        #[arg(long)]
        finess: String,
        #[arg(long)]
        name: String,
        /// The 24 h number patients call (given in red advice).
        #[arg(long)]
        phone_24h: String,
        #[arg(long, default_value = "fr")]
        calendar: String,
        #[arg(long)]
        time_zone: Option<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PharmacyCommand {
    Add {
        #[arg(long)]
        finess: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        city: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Bad input from the operator: exit code 2 with the message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Usage(String);

fn usage<T>(msg: impl Into<String>) -> anyhow::Result<T> {
    Err(Usage(msg.into()).into())
}

/// The configuration file a command names, if any (to read `log.format` before logging starts).
fn config_file(cmd: &Command) -> Option<&PathBuf> {
    match cmd {
        Command::Serve { config, .. }
        | Command::Triage { config, .. }
        | Command::Migrate { config }
        | Command::Indicators { config, .. } => config.as_ref(),
        _ => None,
    }
}

fn init_logging(json: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr);
    if json {
        fmt.json().flatten_event(true).with_current_span(true).with_span_list(false).init();
    } else {
        fmt.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The flag, else the setting (file or RELAIS__LOG__FORMAT); a bad setting is reported
    // when the command loads its configuration.
    let format = cli.log_format.clone().unwrap_or_else(|| {
        Settings::load(config_file(&cli.command).map(PathBuf::as_path)).map_or_else(|_| "text".into(), |s| s.log.format)
    });
    init_logging(format == "json");
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Usage>() || e.is::<relais_server::config::ConfigError>() => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(config: Option<&PathBuf>) -> anyhow::Result<(Settings, Rules)> {
    let settings = Settings::load(config.map(PathBuf::as_path))?;
    let rules = Rules::load(&settings.rules.dir)?;
    Ok((settings, rules))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn listen(settings: &Settings) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = format!("{}:{}", settings.server.host, settings.server.port);
    tokio::net::TcpListener::bind(&addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// A password from the first line of standard input, at least 12 characters.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.chars().count() < 12 {
        return usage("password: at least 12 characters");
    }
    Ok(p)
}

/// `relais user disable | enable | lock | unlock | reset-password | revoke-sessions`.
async fn account(a: AccountArgs, act: accounts::Act, password: Option<String>) -> anyhow::Result<()> {
    let (settings, rules) = load(a.config.as_ref())?;
    let state = AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
    match accounts::apply(&state, &a.email, act, password, state.now()).await {
        Ok(done) => {
            println!("{} {}: done ({} session(s) ended)", act.as_str(), a.email, done.sessions_ended);
            if let Some(p) = done.new_password {
                println!("new password (shown once): {p}");
            }
            Ok(())
        }
        Err(accounts::AccountError::Unknown) => usage(format!("--email: no account with email {}", a.email)),
        Err(e) => Err(e.into()),
    }
}

async fn dispatch(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Serve { config, port } => {
            let (mut settings, rules) = load(config.as_ref())?;
            if let Some(p) = port {
                settings.server.port = p;
            }
            let listener = listen(&settings).await?;
            // Refuse settings under which alerts or links would silently go nowhere (exit 2).
            settings.check_for_serve(listener.local_addr()?)?;
            relais_server::run(settings, rules, listener, Arc::new(SystemClock), shutdown_signal()).await
        }
        Command::Demo { port, data_dir } => {
            let (mut settings, rules) = load(None)?;
            if let Some(p) = port {
                settings.server.port = p;
            }
            std::fs::create_dir_all(&data_dir)?;
            let db_path = data_dir.join("relais-demo.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
            }
            settings.database.url = format!("sqlite://{}?mode=rwc", db_path.display()).into();
            // Everything the demo writes stays in its directory.
            settings.push.vapid_key_file = data_dir.join("vapid-private.key").display().to_string();
            settings.email.file_dir = data_dir.join("mail").display().to_string();
            // The demo's emails are files on purpose, and its links (QR code, emails) name the
            // port it really listens on.
            settings.email.transport = "files".into();
            let listener = listen(&settings).await?;
            let addr = listener.local_addr()?;
            settings.server.public_url = format!("http://{addr}");
            let state = AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
            let summary = demo::seed(&state).await?;
            println!("\nRelais demo — base de démonstration / demo database: {}", db_path.display());
            println!("  Staff:    http://{addr}/staff/  (worklist, patients, enrolment, billing)");
            println!("  Phone:    http://{addr}/app/#activate={}", summary.sample_code);
            println!("  API:      http://{addr}/api/v1/  (OpenAPI: http://{addr}/api/v1/openapi.json)");
            println!("  Health:   http://{addr}/healthz");
            println!("  Logins (mot de passe / password: {}):", demo::PASSWORD);
            for (email, role) in demo::LOGINS {
                println!("    {email:<32} {role}");
            }
            println!(
                "  {} patients, {} episodes; patient activation code for {}: {}\n",
                summary.patients, summary.episodes, summary.sample_patient, summary.sample_code
            );
            relais_server::serve(state, listener, shutdown_signal()).await
        }
        Command::Triage { config, locale, team_phone, case } => {
            let (settings, rules) = load(config.as_ref())?;
            let locale = locale.unwrap_or(settings.site.locale);
            let Some(locale) = domain::triage::Locale::parse(&locale) else { return usage("--locale: fr or en") };
            let text = std::fs::read_to_string(&case).or_else(|e| usage(format!("{}: {e}", case.display())))?;
            let value: serde_json::Value =
                serde_json::from_str(&text).or_else(|e| usage(format!("{}: not JSON: {e}", case.display())))?;
            let case = domain::triage::parse_case(&value, &rules.catalog).or_else(|e| usage(e.to_string()))?;
            let ctx = domain::triage::AdviceContext { locale, team_phone };
            let result = domain::triage::evaluate(&rules.triage, &rules.catalog, &case, &ctx)
                .or_else(|e| usage(e.to_string()))?;
            println!("{}", serde_json::to_string_pretty(&result)?);
            Ok(())
        }
        Command::VapidKeys => {
            let keys = relais_mobile_bridge::VapidKeys::generate();
            println!("private (put it alone in push.vapid_key_file, mode 600): {}", keys.private_b64url());
            println!("public (applicationServerKey): {}", keys.public_b64url());
            Ok(())
        }
        Command::Migrate { config } => {
            let (settings, rules) = load(config.as_ref())?;
            AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::User {
            action:
                UserCommand::Add {
                    email,
                    role,
                    establishment,
                    rpps,
                    family_name,
                    given_name,
                    phone,
                    on_call,
                    password_stdin,
                    config,
                },
        } => {
            let (settings, rules) = load(config.as_ref())?;
            let email = match domain::ids::Email::parse(&email) {
                Ok(e) => e,
                Err(m) => return usage(format!("--email: {m}")),
            };
            let Some(role) = domain::access::Role::parse(&role) else {
                return usage(format!("--role: one of {}", domain::access::Role::ALL.map(|r| r.as_str()).join(", ")));
            };
            if let Some(r) = &rpps
                && let Err(m) = domain::ids::Rpps::parse(r)
            {
                return usage(format!("--rpps: {m}"));
            }
            let phone = match phone.as_deref().map(domain::ids::Phone::parse).transpose() {
                Ok(p) => p,
                Err(m) => return usage(format!("--phone: {m}")),
            };
            let password = if password_stdin { read_password()? } else { secrets::new_token().0 };
            let state = AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
            let (mut est_id, mut ph_id) = (None, None);
            match (role, establishment) {
                (domain::access::Role::CommunityPharmacist, Some(f)) => {
                    match store::directory::pharmacy_by_finess(&state.db, &f).await? {
                        Some(p) => ph_id = Some(p.id),
                        None => {
                            return usage(format!(
                                "--establishment: no pharmacy with FINESS {f} (relais pharmacy add)"
                            ));
                        }
                    }
                }
                (domain::access::Role::CommunityPharmacist, None) => {
                    return usage("--establishment: the pharmacy's FINESS is required");
                }
                (r, Some(f)) if r.needs_establishment() => {
                    match store::directory::establishment_by_finess(&state.db, &f).await? {
                        Some(e) => est_id = Some(e.id),
                        None => {
                            return usage(format!(
                                "--establishment: no establishment with FINESS {f} (relais establishment add)"
                            ));
                        }
                    }
                }
                (r, None) if r.needs_establishment() => {
                    return usage("--establishment: the establishment's FINESS is required for this role");
                }
                _ => {}
            }
            let hash = secrets::hash_password(&password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
            let p = store::directory::create_professional(
                &state.db,
                store::directory::NewProfessional {
                    email: email.as_str(),
                    rpps: rpps.as_deref(),
                    role,
                    family_name: &family_name,
                    given_name: &given_name,
                    phone: phone.as_ref().map(|p| p.as_str()),
                    establishment_id: est_id.as_deref(),
                    pharmacy_id: ph_id.as_deref(),
                    on_call,
                    password_hash: &hash,
                },
                state.now(),
            )
            .await;
            match p {
                Ok(p) => {
                    println!("created {} account {} ({})", role.as_str(), email, p.id);
                    if !password_stdin {
                        println!("password (shown once): {password}");
                    }
                    Ok(())
                }
                Err(e) if store::unique_violation(&e).is_some() => {
                    usage("--email or --rpps: an account with this value already exists")
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::User { action: UserCommand::Disable(a) } => account(a, accounts::Act::Disable, None).await,
        Command::User { action: UserCommand::Enable(a) } => account(a, accounts::Act::Enable, None).await,
        Command::User { action: UserCommand::Lock(a) } => account(a, accounts::Act::Lock, None).await,
        Command::User { action: UserCommand::Unlock(a) } => account(a, accounts::Act::Unlock, None).await,
        Command::User { action: UserCommand::RevokeSessions(a) } => {
            account(a, accounts::Act::RevokeSessions, None).await
        }
        Command::User { action: UserCommand::ResetPassword { account: a, password_stdin } } => {
            let password = if password_stdin { Some(read_password()?) } else { None };
            account(a, accounts::Act::ResetPassword, password).await
        }
        Command::Establishment {
            action: EstablishmentCommand::Add { finess, name, phone_24h, calendar, time_zone, config },
        } => {
            let (settings, rules) = load(config.as_ref())?;
            let finess = domain::ids::Finess::parse(&finess).or_else(|m| usage(format!("--finess: {m}")))?;
            let phone = domain::ids::Phone::parse(&phone_24h).or_else(|m| usage(format!("--phone-24h: {m}")))?;
            if rules.calendars.get(&calendar).is_none() {
                let known: Vec<&str> = rules.calendars.names().collect();
                return usage(format!("--calendar: one of {}", known.join(", ")));
            }
            let tz = time_zone.unwrap_or_else(|| settings.site.time_zone.clone());
            if tz.parse::<chrono_tz::Tz>().is_err() {
                return usage("--time-zone: not an IANA time zone");
            }
            let state = AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
            let e = store::directory::create_establishment(
                &state.db,
                store::directory::NewEstablishment {
                    finess: finess.as_str(),
                    name: &name,
                    phone_24h: phone.as_str(),
                    calendar: &calendar,
                    time_zone: &tz,
                    backup_emails: &[],
                },
                state.now(),
            )
            .await;
            match e {
                Ok(e) => {
                    println!("created establishment {} ({})", e.name, e.id);
                    Ok(())
                }
                Err(e) if store::unique_violation(&e).is_some() => usage("--finess: already registered"),
                Err(e) => Err(e.into()),
            }
        }
        Command::Indicators { from, to, format, establishment, config } => {
            let period = domain::indicators::Period::parse(Some(&from), Some(&to))
                .or_else(|e| usage(format!("--{}: {}", e.field, e.message)))?;
            if !matches!(format.as_str(), "json" | "csv") {
                return usage("--format: json or csv");
            }
            let (settings, rules) = load(config.as_ref())?;
            let state = AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
            let est = match establishment {
                Some(f) => match store::directory::establishment_by_finess(&state.db, &f).await? {
                    Some(e) => Some(e.id),
                    None => return usage(format!("--establishment: no establishment with FINESS {f}")),
                },
                None => None,
            };
            let facts =
                store::indicators::facts(&state.db, &period, est.as_deref(), state.site_tz(), state.now()).await?;
            let ind = domain::indicators::compute(&period, &facts);
            if format == "csv" {
                print!("{}", domain::indicators::to_csv(&ind));
            } else {
                println!("{}", serde_json::to_string_pretty(&ind)?);
            }
            Ok(())
        }
        Command::Bench { action: BenchCommand::Reminders { patients, database } } => {
            bench::reminders(patients, database)
                .await
                .map_err(|e| if e.is::<bench::Refused>() { Usage(e.to_string()).into() } else { e })
        }
        Command::Billing { action: BillingCommand::Close { month, config } } => {
            let Some(month) = domain::billing::Month::parse(&month) else {
                return usage(format!("--month: `{month}` is not a month written YYYY-MM"));
            };
            let (settings, rules) = load(config.as_ref())?;
            let state = AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
            let closed = match relais_server::jobs::billing::close_month(&state, month).await {
                Ok(c) => c,
                Err(e @ relais_server::jobs::billing::CloseError::NotOver(_)) => return usage(format!("--month: {e}")),
                Err(e) => return Err(e.into()),
            };
            let status = if closed.newly_closed { "closed now" } else { "already closed, nothing changed" };
            println!(
                "{month}: {status} ({}); {} lines, total {} €",
                closed.closed_at.to_rfc3339(),
                closed.lines,
                domain::billing::euros_fr(closed.total_cents)
            );
            let scope = store::billing::Scope::Establishment;
            for est in store::billing::establishments(&state.db).await? {
                let lines = store::billing::statement_lines(&state.db, month, &scope(est.id.clone())).await?;
                for s in domain::billing::statements(lines) {
                    println!(
                        "  {} {:<11} {:<40} {:>4} lines {:>12} €",
                        est.finess,
                        s.recipient_identifier,
                        s.recipient_name,
                        s.lines.len(),
                        s.total_eur
                    );
                }
            }
            Ok(())
        }
        Command::Bench { action: BenchCommand::Webpush { messages } } => bench_push::webpush(messages)
            .map_err(|e| if e.is::<bench::Refused>() { Usage(e.to_string()).into() } else { e }),
        Command::Bench { action: BenchCommand::Delivery { messages, devices, database } } => {
            bench_push::delivery(messages, devices, database)
                .await
                .map_err(|e| if e.is::<bench::Refused>() { Usage(e.to_string()).into() } else { e })
        }
        Command::Pharmacy { action: PharmacyCommand::Add { finess, name, city, phone, config } } => {
            let (settings, rules) = load(config.as_ref())?;
            let finess = domain::ids::Finess::parse(&finess).or_else(|m| usage(format!("--finess: {m}")))?;
            let phone = phone
                .as_deref()
                .map(domain::ids::Phone::parse)
                .transpose()
                .or_else(|m| usage(format!("--phone: {m}")))?;
            let state = AppState::connect(settings, rules, Arc::new(SystemClock)).await?;
            let p = store::directory::create_pharmacy(
                &state.db,
                finess.as_str(),
                &name,
                city.as_deref(),
                phone.as_ref().map(|p| p.as_str()),
                state.now(),
            )
            .await;
            match p {
                Ok(p) => {
                    println!("created pharmacy {} ({})", p.name, p.id);
                    Ok(())
                }
                Err(e) if store::unique_violation(&e).is_some() => usage("--finess: already registered"),
                Err(e) => Err(e.into()),
            }
        }
    }
}
