//! `relais serve`, `relais demo`, `relais migrate` and `relais vapid-keys`: the server's own
//! life (settings checked, database migrated, listening until a signal) and its keys.

use std::path::PathBuf;
use std::sync::Arc;

use crate::{AppState, Settings, SystemClock, demo};

/// `relais serve`: refuses settings under which alerts or links would go nowhere (exit 2),
/// migrates, then serves and runs the jobs until SIGINT or SIGTERM.
pub async fn serve(config: Option<PathBuf>, port: Option<u16>) -> anyhow::Result<()> {
    let (mut settings, rules) = super::load(config.as_ref())?;
    if let Some(p) = port {
        settings.server.port = p;
    }
    let listener = listen(&settings).await?;
    // Refuse settings under which alerts or links would silently go nowhere (exit 2).
    settings.check_for_serve(listener.local_addr()?)?;
    crate::run(settings, rules, listener, Arc::new(SystemClock), shutdown_signal()).await
}

/// `relais demo`: a fresh SQLite demo site in `data_dir` (docs/README), its URLs and logins
/// printed, then served.
pub async fn demo(port: Option<u16>, data_dir: PathBuf) -> anyhow::Result<()> {
    let (mut settings, rules) = super::load(None)?;
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
    crate::serve(state, listener, shutdown_signal()).await
}

/// `relais migrate`: applies pending migrations and exits.
pub async fn migrate(config: Option<PathBuf>) -> anyhow::Result<()> {
    super::connect(config.as_ref()).await?;
    println!("migrations applied");
    Ok(())
}

/// `relais vapid-keys`: prints a new VAPID key pair (RFC 8292).
pub fn vapid_keys() -> anyhow::Result<()> {
    let keys = relais_mobile_bridge::VapidKeys::generate();
    println!("private (put it alone in push.vapid_key_file, mode 600): {}", keys.private_b64url());
    println!("public (applicationServerKey): {}", keys.public_b64url());
    Ok(())
}

async fn listen(settings: &Settings) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = format!("{}:{}", settings.server.host, settings.server.port);
    tokio::net::TcpListener::bind(&addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// SIGINT (Ctrl-C) or SIGTERM.
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
