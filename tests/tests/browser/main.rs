//! Browser tests: the real server on port 0 driven through headless Chromium (see
//! `relais_tests::browser`). Skipped with a note when Chromium is not installed, unless
//! `RELAIS_REQUIRE_BROWSER_TEST=1`.

mod a11y;
mod app_language;
mod demo;
mod interviews;
mod patient;
mod regimen;
mod staff;
