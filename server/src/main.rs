//! `relais`: the command line. Parses the arguments, calls the library's act for the
//! subcommand (`relais_server::cli`, `relais_server::bench`) and turns its result into an exit
//! code: 0 done, 2 bad input from the operator (the message names the option or field), 1 any
//! other failure.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use relais_server::accounts::Act;
use relais_server::bench;
use relais_server::cli::{self, directory, indicators, triage, users};

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
    Triage(triage::TriageArgs),
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
    Indicators(indicators::IndicatorsArgs),
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
    /// The triage engine alone (no database): cases graded per second on one core and on one
    /// thread per core, over a fixed, deterministic case set (80 % green, 15 % amber, 5 % red).
    Triage {
        /// Distinct cases in the set (evaluated round after round).
        #[arg(long, default_value_t = 10_000)]
        cases: usize,
        /// Seconds per measure (one core, then all cores).
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Report intake over real HTTP: N activated phones send reports (mostly green, some amber,
    /// a few red) on C concurrent connections for S seconds to the server started in-process;
    /// prints throughput, latency, CPU split and SQL statements per report. Refuses a
    /// non-empty database; exit 1 unless every acknowledged report is stored.
    Reports {
        /// sqlite://PATH?mode=rwc or postgres://USER@HOST/DB (default: the configured database).
        #[arg(long)]
        database: Option<String>,
        #[arg(long, default_value_t = 50)]
        phones: usize,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
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
    Add(users::AddUser),
    /// Disable a leaver's account and end its sessions (audited).
    Disable(users::AccountArgs),
    /// Enable a disabled account again.
    Enable(users::AccountArgs),
    /// Lock an account until `unlock` and end its sessions (wrong passwords never lock one).
    Lock(users::AccountArgs),
    /// Unlock a locked account.
    Unlock(users::AccountArgs),
    /// Set a new password (generated and shown once, or read with --password-stdin) and end
    /// every session of the account.
    ResetPassword {
        #[command(flatten)]
        account: users::AccountArgs,
        #[arg(long)]
        password_stdin: bool,
    },
    /// End every session of the account (a stolen laptop).
    RevokeSessions(users::AccountArgs),
}

#[derive(Subcommand)]
enum EstablishmentCommand {
    Add(directory::AddEstablishment),
}

#[derive(Subcommand)]
enum PharmacyCommand {
    Add(directory::AddPharmacy),
}

impl Command {
    /// The configuration file the command names, if any (to read `log.format` before logging
    /// starts).
    fn config_file(&self) -> Option<&PathBuf> {
        match self {
            Command::Serve { config, .. } | Command::Migrate { config } => config.as_ref(),
            Command::Triage(a) => a.config.as_ref(),
            Command::Indicators(a) => a.config.as_ref(),
            _ => None,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli::log_format(cli.log_format.as_deref(), cli.command.config_file().map(PathBuf::as_path));
    cli::init_logging(format == "json");
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if cli::is_usage(&e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One library call per subcommand.
async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { config, port } => cli::serve::serve(config, port).await,
        Command::Demo { port, data_dir } => cli::serve::demo(port, data_dir).await,
        Command::Triage(a) => triage::run(a),
        Command::VapidKeys => cli::serve::vapid_keys(),
        Command::Migrate { config } => cli::serve::migrate(config).await,
        Command::User { action } => match action {
            UserCommand::Add(a) => users::add(a).await,
            UserCommand::Disable(a) => users::act(a, Act::Disable, false).await,
            UserCommand::Enable(a) => users::act(a, Act::Enable, false).await,
            UserCommand::Lock(a) => users::act(a, Act::Lock, false).await,
            UserCommand::Unlock(a) => users::act(a, Act::Unlock, false).await,
            UserCommand::ResetPassword { account, password_stdin } => {
                users::act(account, Act::ResetPassword, password_stdin).await
            }
            UserCommand::RevokeSessions(a) => users::act(a, Act::RevokeSessions, false).await,
        },
        Command::Establishment { action: EstablishmentCommand::Add(a) } => directory::add_establishment(a).await,
        Command::Pharmacy { action: PharmacyCommand::Add(a) } => directory::add_pharmacy(a).await,
        Command::Indicators(a) => indicators::run(a).await,
        Command::Bench { action } => match action {
            BenchCommand::Reminders { patients, database } => bench::reminders::run(patients, database).await,
            BenchCommand::Triage { cases, seconds } => bench::triage::run(cases, seconds),
            BenchCommand::Reports { database, phones, connections, seconds } => {
                bench::reports::run(bench::reports::Options { database, phones, connections, seconds }).await
            }
            BenchCommand::Webpush { messages } => bench::push::webpush(messages),
            BenchCommand::Delivery { messages, devices, database } => {
                bench::push::delivery(messages, devices, database).await
            }
        },
        Command::Billing { action: BillingCommand::Close { month, config } } => {
            cli::billing::close(month, config).await
        }
    }
}
