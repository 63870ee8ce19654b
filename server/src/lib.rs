//! Relais server: patient and staff APIs, pages and background jobs over one database.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod alerting;
pub mod app;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod health;
pub mod http;
pub mod jobs;
pub mod notify;
pub mod secrets;
pub mod store;

/// The pure rules, in their own crate (`server/domain/`) so that the compiler keeps them free of
/// HTTP, storage, jobs and email; `crate::domain::…` paths stay as they were.
pub use relais_domain as domain;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Rules, Settings};

/// What every handler and job needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: store::Db,
    pub settings: Arc<Settings>,
    pub rules: Rules,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<notify::email::Mailer>,
    pub push: Arc<notify::push::Push>,
    pub metrics: Arc<notify::metrics::Metrics>,
    pub health: Arc<health::Health>,
    /// `server.trusted_proxies`, parsed once.
    pub trusted_proxies: Arc<[http::client_addr::Cidr]>,
    /// One password check per core at a time (argon2 takes ~19 MiB and a core's time each).
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// The writers of report intake (group commit, `store::group_commit`).
    pub intake: Arc<app::reports::IntakeWriter>,
    /// The readers of report intake on PostgreSQL (`app::reports::IntakeReader`).
    pub intake_reads: Arc<app::reports::IntakeReader>,
}

impl AppState {
    /// Connects to the database named in the settings and applies pending migrations.
    pub async fn connect(settings: Settings, rules: Rules, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let url = settings.database.url.expose_secret().to_owned();
        let db = store::connect(&url, settings.database.max_connections)
            .await
            .with_context(|| format!("connecting to {}", config::redact_url(&url)))?;
        store::migrate(&db, &url).await.context("applying migrations")?;
        let mailer = Arc::new(notify::email::Mailer::from_settings(&settings.email)?);
        let push = Arc::new(notify::push::Push::from_settings(&settings.push).await?);
        let metrics = Arc::new(notify::metrics::Metrics::default());
        let health = Arc::new(health::Health::default());
        let trusted_proxies = settings.server.trusted_proxy_networks().into();
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let hashing = Arc::new(tokio::sync::Semaphore::new(cores));
        Ok(Self {
            db,
            settings: Arc::new(settings),
            rules,
            clock,
            mailer,
            push,
            metrics,
            health,
            trusted_proxies,
            hashing,
            intake: Arc::new(app::reports::IntakeWriter::new("report intake", app::reports::write_batch)),
            intake_reads: Arc::new(app::reports::IntakeReader::new("report intake reads", app::reports::read_batch)),
        })
    }

    /// Warns when the VAPID key is not the one the registered phones subscribed with: each of
    /// their subscriptions is then refused by its push service, and they get no reminder until
    /// the app subscribes again (docs/operations.md, "Backups").
    pub async fn check_vapid_key(&self) -> Result<(), sea_orm::DbErr> {
        let current = &self.push.public_key;
        let known = store::site_facts::get(&self.db, store::site_facts::VAPID_PUBLIC_KEY).await?;
        if known.as_deref() == Some(current.as_str()) {
            return Ok(());
        }
        if known.is_some() {
            let devices = store::push_devices::count_webpush(&self.db).await?;
            if devices > 0 {
                self.health.vapid_key_changed();
                tracing::warn!(
                    devices,
                    key_file = %self.settings.push.vapid_key_file,
                    "the VAPID key is not the one {devices} registered phones subscribed with: their push \
                     services will refuse every reminder until each app subscribes again. Restore the key \
                     file from the backup if it was lost (docs/operations.md)"
                );
            }
        }
        store::site_facts::set(&self.db, store::site_facts::VAPID_PUBLIC_KEY, current, self.now()).await
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn site_tz(&self) -> chrono_tz::Tz {
        self.settings.site.time_zone.parse().unwrap_or(chrono_tz::Europe::Paris)
    }

    /// Today on the site's calendar: the day whose care team is in force (docs/domain.md, "Care team").
    pub fn today(&self) -> chrono::NaiveDate {
        self.now().with_timezone(&self.site_tz()).date_naive()
    }
}

/// Serves the API and pages on `listener` and runs the jobs (when enabled) until `shutdown`.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    // Only a serving process records the key: `migrate` or `user add` run with another key file
    // must not hide the change from the `serve` that follows.
    state.check_vapid_key().await.context("checking the VAPID key")?;
    let scheduler = state.settings.scheduler.enabled.then(|| jobs::start(state.clone()));
    let watcher = tokio::spawn(watch_database(state.clone()));
    let app = http::router(state);
    tracing::info!("listening on http://{addr}");
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    watcher.abort();
    if let Some(s) = scheduler {
        s.stop().await;
    }
    Ok(served?)
}

/// While the database is known to be unreachable, asks it every second whether it is back, so
/// that its return is logged and `/metrics` says so even on an instance that runs no jobs.
async fn watch_database(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        if !state.health.database_up() && store::ping(&state.db).await.is_ok() {
            state.health.database_ok();
        }
    }
}

/// `relais serve`: connect, migrate, listen, run.
pub async fn run(
    settings: Settings,
    rules: Rules,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::connect(settings, rules, clock).await?;
    serve(state, listener, shutdown).await
}
