//! `GET /metrics`: delivery counters and latencies, outbox and due-work backlogs, in the
//! Prometheus text format. Protected: the configured scraper token, or an admin's session.

use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::extract::StaffAuth;
use crate::AppState;
use crate::domain::access::Role;
use crate::notify::metrics::Backlog;
use crate::store::{due_work, outbox_delivery};

/// The scraper's token or an admin session; 401 for anything else.
async fn authorised(parts: &mut Parts, state: &AppState) -> bool {
    let token = state.settings.metrics.token.expose_secret();
    let presented = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned());
    // Compared as digests, so the comparison time says nothing about the token.
    if !token.is_empty() && presented.is_some_and(|p| Sha256::digest(p) == Sha256::digest(token)) {
        return true;
    }
    StaffAuth::from_request_parts(parts, state).await.is_ok_and(|a| a.staff.role == Role::Admin)
}

pub async fn metrics(State(state): State<AppState>, req: axum::extract::Request) -> Result<Response, ApiError> {
    let (mut parts, _) = req.into_parts();
    if !authorised(&mut parts, &state).await {
        return Err(ApiError::Unauthorized);
    }
    // The process's own health first: it is what an operator needs most when the database is
    // gone, so it is served even then (without the backlogs, which the database holds).
    let mut text =
        state.health.render(state.settings.scheduler.enabled, state.intake.counts(), state.intake_reads.counts());
    let backlog = async {
        let outbox = outbox_delivery::count_by_status(&state.db).await?;
        let (due, scheduled) = due_work::backlog(&state.db, state.now()).await?;
        let failing = due_work::failing_by_kind(&state.db).await?;
        Ok::<_, sea_orm::DbErr>(Backlog {
            outbox,
            due_work_due: due,
            due_work_scheduled: scheduled,
            due_work_failing: failing,
        })
    };
    match backlog.await {
        Ok(b) => text.push_str(&state.metrics.render(&b)),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: backlogs not read");
            text.push_str(&state.metrics.render(&Backlog {
                outbox: vec![],
                due_work_due: -1,
                due_work_scheduled: -1,
                due_work_failing: vec![],
            }));
        }
    }
    let mut resp = text.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    Ok(resp)
}
