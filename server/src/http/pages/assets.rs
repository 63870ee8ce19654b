//! The stylesheet and scripts of the staff pages, compiled into the binary (no CDN, nothing to
//! deploy beside it).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::PageError;
use crate::http::error::ApiError;

const FILES: &[(&str, &str, &str)] = &[
    ("staff.css", "text/css; charset=utf-8", include_str!("../../../assets/staff/staff.css")),
    ("staff.js", "text/javascript; charset=utf-8", include_str!("../../../assets/staff/staff.js")),
    ("patient.css", "text/css; charset=utf-8", include_str!("../../../assets/staff/patient.css")),
    ("enrol.js", "text/javascript; charset=utf-8", include_str!("../../../assets/staff/enrol.js")),
    ("handover.css", "text/css; charset=utf-8", include_str!("../../../assets/staff/handover.css")),
    ("print.js", "text/javascript; charset=utf-8", include_str!("../../../assets/staff/print.js")),
];

pub async fn serve(Path(file): Path<String>) -> Result<Response, PageError> {
    let (_, content_type, body) = FILES.iter().find(|(name, _, _)| *name == file).ok_or(ApiError::NotFound)?;
    // Short caching: a new release's files are picked up within minutes without versioned names.
    Ok(([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=300")], *body).into_response())
}
