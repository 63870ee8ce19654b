//! Relais server: patient and staff APIs, pages and background jobs over one database.

#![forbid(unsafe_code)]

pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod notify;
pub mod secrets;
pub mod store;

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
}

impl AppState {
    /// Connects to the database named in the settings and applies pending migrations.
    pub async fn connect(settings: Settings, rules: Rules, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let url = settings.database.url.expose_secret().to_owned();
        let db = store::connect(&url, settings.database.max_connections)
            .await
            .with_context(|| format!("connecting to {}", config::redact_url(&url)))?;
        store::migrate(&db).await.context("applying migrations")?;
        let mailer = Arc::new(notify::email::Mailer::from_settings(&settings.email)?);
        let push = Arc::new(notify::push::Push::from_settings(&settings.push).await?);
        let metrics = Arc::new(notify::metrics::Metrics::default());
        Ok(Self { db, settings: Arc::new(settings), rules, clock, mailer, push, metrics })
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn site_tz(&self) -> chrono_tz::Tz {
        self.settings.site.time_zone.parse().unwrap_or(chrono_tz::Europe::Paris)
    }
}

/// Serves the API and pages on `listener` and runs the jobs (when enabled) until `shutdown`.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    let scheduler = if state.settings.scheduler.enabled { Some(jobs::start(state.clone()).await?) } else { None };
    let app = http::router(state);
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    if let Some(mut s) = scheduler {
        let _ = s.shutdown().await;
    }
    Ok(())
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
