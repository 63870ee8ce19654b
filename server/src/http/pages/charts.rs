//! SVG charts of the patient page, rendered by the server: doses per day and each symptom's
//! grade over time. Pure (data in, markup out) so it is unit-tested without a server. No
//! script and no `style` attribute (the CSP allows neither): colours are presentation
//! attributes. Each chart carries a `<title>` and a `<desc>` for screen readers, and each
//! mark its own `<title>`, which browsers also show on hover.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use super::labels::{Tr, day_in};
use crate::domain::triage::Locale;

/// What became of one day's scheduled doses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayDoses {
    pub date: NaiveDate,
    pub taken: u32,
    pub late: u32,
    pub vomited: u32,
    pub skipped: u32,
    pub missed: u32,
}

impl DayDoses {
    pub fn total(&self) -> u32 {
        self.taken + self.late + self.vomited + self.skipped + self.missed
    }
}

/// One symptom's grades, in time order (local dates of the reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeSeries {
    pub symptom: String,
    pub label: String,
    pub points: Vec<(NaiveDate, u8)>,
}

// Canvas of every chart, in SVG user units; the page's CSS scales it to the column width.
const WIDTH: f64 = 720.0;
const LEFT: f64 = 36.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
const AXIS: &str = "#555";
const GRID: &str = "#ddd";

/// Categories of the dose chart, bottom to top: (label, colour). Colours keep a 3:1 contrast
/// against white and differ in lightness, not only in hue.
pub const DOSE_CATEGORIES: [(&str, &str); 5] = [
    ("pris", "#1b7a3a"),
    ("pris en retard", "#7aa33b"),
    ("vomi", "#6a3d9a"),
    ("non pris (signalé)", "#8a6d00"),
    ("oublié", "#c0392b"),
];

/// The English labels of [`DOSE_CATEGORIES`], in the same order.
const DOSE_CATEGORIES_EN: [&str; 5] = ["taken", "taken late", "vomited", "not taken (reported)", "missed"];

/// The dose chart's legend in `locale`: (label, colour), bottom to top.
pub fn dose_categories(locale: Locale) -> Vec<(&'static str, &'static str)> {
    DOSE_CATEGORIES.iter().zip(DOSE_CATEGORIES_EN).map(|(&(fr, colour), en)| (Tr(locale).t(fr, en), colour)).collect()
}

/// Fill of a grade's point: 0 green … 4 dark red, as the triage colours.
pub const GRADE_COLOURS: [&str; 5] = ["#1b7a3a", "#7aa33b", "#b86e00", "#c0392b", "#7b1010"];

/// Escapes text for an XML text node or attribute value.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const WEEKDAYS_FR: [&str; 7] = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."];

/// "mer. 04/11" in French, "Wed 4 Nov" in English.
fn day_label(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Fr => {
            format!("{} {:02}/{:02}", WEEKDAYS_FR[d.weekday().num_days_from_monday() as usize], d.day(), d.month())
        }
        Locale::En => d.format("%a %-d %b").to_string(),
    }
}

/// A tick of the x axis: "02/11" in French, "2 Nov" in English.
fn tick_label(d: NaiveDate, locale: Locale) -> String {
    match locale {
        Locale::Fr => format!("{:02}/{:02}", d.day(), d.month()),
        Locale::En => d.format("%-d %b").to_string(),
    }
}

/// "Label : text" in French, "Label: text" in English.
fn colon(locale: Locale) -> &'static str {
    Tr(locale).t(" : ", ": ")
}

fn open_svg(out: &mut String, id: &str, height: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" id="{id}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-t {id}-d" font-family="sans-serif" font-size="11"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
}

/// x of the left edge of day `i` of `n` days.
fn day_x(i: i64, n: i64) -> f64 {
    LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / n as f64
}

/// The x axis: a baseline and a label on each Monday (or on the first day when the range is
/// shorter than a week).
fn x_axis(out: &mut String, from: NaiveDate, n: i64, y: f64, locale: Locale) {
    let _ = write!(
        out,
        r#"<g class="x-axis"><line x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="{AXIS}"/>"#,
        WIDTH - RIGHT
    );
    for i in 0..n {
        let d = from + chrono::Days::new(i as u64);
        if d.weekday() == chrono::Weekday::Mon || (i == 0 && n < 7) {
            let x = day_x(i, n);
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" y1="{y}" x2="{x:.1}" y2="{:.1}" stroke="{AXIS}"/><text x="{x:.1}" y="{:.1}" fill="{AXIS}">{}</text>"#,
                y + 4.0,
                y + 16.0,
                tick_label(d, locale)
            );
        }
    }
    out.push_str("</g>");
}

/// Horizontal grid lines and labels for the integer values `0..=max` (every `step`).
fn y_axis(out: &mut String, max: u32, step: u32, y_of: impl Fn(f64) -> f64) {
    out.push_str(r#"<g class="y-axis">"#);
    let mut v = 0;
    while v <= max {
        let y = y_of(f64::from(v));
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{GRID}"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="{AXIS}">{v}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
        v += step.max(1);
    }
    let _ = write!(out, r#"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{:.1}" stroke="{AXIS}"/></g>"#, y_of(0.0));
}

/// Stacked bars of the doses of each day of [from, to]: one `<g class="day">` per day with
/// scheduled doses, a rect per non-empty category. Days without doses (off-cycle, before the
/// start) stay empty.
pub fn doses_chart(id: &str, from: NaiveDate, to: NaiveDate, days: &[DayDoses], locale: Locale) -> String {
    let t = Tr(locale);
    let categories = dose_categories(locale);
    let n = (to - from).num_days().max(0) + 1;
    let height = 200.0;
    let max = days.iter().filter(|d| d.date >= from && d.date <= to).map(DayDoses::total).max().unwrap_or(0).max(1);
    let plot_h = height - TOP - BOTTOM;
    let y_of = |v: f64| TOP + plot_h * (1.0 - v / f64::from(max));
    let sums = categories
        .iter()
        .enumerate()
        .map(|(k, (label, _))| format!("{} {label}", days.iter().map(|d| counts(d)[k]).sum::<u32>()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = String::new();
    open_svg(
        &mut out,
        id,
        height,
        &format!(
            "{} {} {} {}",
            t.t("Prises par jour du", "Doses per day from"),
            day_in(from, locale),
            t.t("au", "to"),
            day_in(to, locale)
        ),
        &format!(
            "{}{sums}.",
            t.t(
                "Doses par jour, empilées par issue. Sur la période : ",
                "Doses per day, stacked by outcome. Over the period: "
            )
        ),
    );
    y_axis(&mut out, max, if max > 8 { 2 } else { 1 }, y_of);
    let slot = (WIDTH - LEFT - RIGHT) / n as f64;
    let bar_w = (slot * 0.7).max(1.0);
    out.push_str(r#"<g class="bars">"#);
    for d in days.iter().filter(|d| d.date >= from && d.date <= to && d.total() > 0) {
        let i = (d.date - from).num_days();
        let x = day_x(i, n) + (slot - bar_w) / 2.0;
        let parts: Vec<String> = categories
            .iter()
            .zip(counts(d))
            .filter(|(_, c)| *c > 0)
            .map(|((label, _), c)| format!("{c} {label}"))
            .collect();
        let _ = write!(
            out,
            r#"<g class="day" data-date="{}"><title>{}{}{}</title>"#,
            d.date,
            esc(&day_label(d.date, locale)),
            colon(locale),
            esc(&parts.join(", "))
        );
        let mut base = 0u32;
        for ((_, colour), c) in categories.iter().zip(counts(d)) {
            if c == 0 {
                continue;
            }
            let (y0, y1) = (y_of(f64::from(base)), y_of(f64::from(base + c)));
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y1:.1}" width="{bar_w:.1}" height="{:.1}" fill="{colour}"/>"#,
                y0 - y1
            );
            base += c;
        }
        out.push_str("</g>");
    }
    out.push_str("</g>");
    x_axis(&mut out, from, n, height - BOTTOM, locale);
    out.push_str("</svg>");
    out
}

fn counts(d: &DayDoses) -> [u32; 5] {
    [d.taken, d.late, d.vomited, d.skipped, d.missed]
}

/// One symptom's grade (0–4) over [from, to]: a line through one `<circle class="point">` per
/// report that graded it, coloured by grade.
pub fn grade_chart(id: &str, from: NaiveDate, to: NaiveDate, series: &GradeSeries, locale: Locale) -> String {
    let t = Tr(locale);
    let n = (to - from).num_days().max(0) + 1;
    let height = 130.0;
    let plot_h = height - TOP - BOTTOM;
    let y_of = |v: f64| TOP + plot_h * (1.0 - v / 4.0);
    let points: Vec<(NaiveDate, u8)> =
        series.points.iter().copied().filter(|(d, _)| *d >= from && *d <= to).map(|(d, g)| (d, g.min(4))).collect();
    let worst = points.iter().map(|p| p.1).max();
    let last = points.last().map(|p| p.1);
    let mut out = String::new();
    open_svg(
        &mut out,
        id,
        height,
        &format!("{}{}", series.label, t.t(" : grade au fil du temps", ": grade over time")),
        &match (worst, last, locale) {
            (Some(w), Some(l), Locale::Fr) => format!(
                "{} mesure(s) du {} au {} ; grade le plus haut {w}, dernier grade {l}.",
                points.len(),
                day_in(from, locale),
                day_in(to, locale)
            ),
            (Some(w), Some(l), Locale::En) => format!(
                "{} measure(s) from {} to {}; highest grade {w}, last grade {l}.",
                points.len(),
                day_in(from, locale),
                day_in(to, locale)
            ),
            _ => t.t("Aucune mesure sur la période.", "No measure over the period.").to_owned(),
        },
    );
    y_axis(&mut out, 4, 1, y_of);
    let slot = (WIDTH - LEFT - RIGHT) / n as f64;
    let xy = |d: NaiveDate, g: u8| (day_x((d - from).num_days(), n) + slot / 2.0, y_of(f64::from(g)));
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|&(d, g)| {
                let (x, y) = xy(d, g);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ =
            write!(out, r##"<polyline points="{}" fill="none" stroke="#666" stroke-width="1.5"/>"##, path.join(" "));
    }
    for &(d, g) in &points {
        let (x, y) = xy(d, g);
        let _ = write!(
            out,
            r##"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="4.5" fill="{}" stroke="#fff"><title>{}{}grade {g}</title></circle>"##,
            GRADE_COLOURS[usize::from(g)],
            esc(&day_label(d, locale)),
            colon(locale)
        );
    }
    x_axis(&mut out, from, n, height - BOTTOM, locale);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests;
