use chrono::NaiveDate;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// The numeric value of attribute `name` in every element `tag` (in document order).
fn attr_values(svg: &str, tag: &str, name: &str) -> Vec<f64> {
    svg.split(&format!("<{tag} "))
        .skip(1)
        .filter_map(|el| {
            let start = el.find(&format!(" {name}=\""))? + name.len() + 3;
            let rest = &el[start..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

fn day(date: &str, taken: u32, late: u32, vomited: u32, skipped: u32, missed: u32) -> DayDoses {
    DayDoses { date: d(date), taken, late, vomited, skipped, missed }
}

#[test]
fn doses_chart_has_one_group_per_day_with_doses_and_a_rect_per_outcome() {
    let days = [
        day("2026-11-02", 2, 0, 0, 0, 0),
        day("2026-11-03", 1, 1, 0, 0, 0),
        day("2026-11-04", 0, 0, 1, 0, 1),
        day("2026-11-05", 0, 0, 0, 0, 0),
    ];
    let svg = doses_chart("doses", d("2026-11-01"), d("2026-11-14"), &days, Locale::Fr);
    assert_eq!(count(&svg, r#"<g class="day""#), 3, "an empty day draws nothing: {svg}");
    assert_eq!(count(&svg, "<rect "), 1 + 2 + 2);
    assert!(svg.contains(r#"data-date="2026-11-04""#));
    assert!(svg.contains("<title>mer. 04/11 : 1 vomi, 1 oublié</title>"), "{svg}");
    // Mondays 02/11 and 09/11 are labelled on the x axis.
    assert!(svg.contains(">02/11</text>") && svg.contains(">09/11</text>"), "{svg}");
    assert!(!svg.contains(">03/11</text>"));
}

#[test]
fn doses_chart_scales_bars_to_the_busiest_day() {
    let days = [day("2026-11-02", 4, 0, 0, 0, 0), day("2026-11-03", 2, 0, 0, 0, 0)];
    let svg = doses_chart("doses", d("2026-11-02"), d("2026-11-03"), &days, Locale::Fr);
    let heights = attr_values(&svg, "rect", "height");
    assert_eq!(heights.len(), 2);
    assert!((heights[0] - 2.0 * heights[1]).abs() < 0.2, "{heights:?}");
    // y axis labels 0..=4
    for v in 0..=4 {
        assert!(svg.contains(&format!(r#"text-anchor="end" fill="{AXIS}">{v}</text>"#)), "{v}");
    }
}

#[test]
fn stacked_outcomes_sit_on_top_of_each_other() {
    let svg = doses_chart("doses", d("2026-11-02"), d("2026-11-02"), &[day("2026-11-02", 1, 1, 0, 0, 0)], Locale::Fr);
    let ys = attr_values(&svg, "rect", "y");
    let hs = attr_values(&svg, "rect", "height");
    assert_eq!(ys.len(), 2);
    // The second rect ends where the first begins.
    assert!((ys[1] + hs[1] - ys[0]).abs() < 0.2, "{ys:?} {hs:?}");
    assert!(svg.contains(r##"fill="#1b7a3a""##) && svg.contains(r##"fill="#7aa33b""##));
}

#[test]
fn days_outside_the_range_are_left_out() {
    let days = [day("2026-10-30", 2, 0, 0, 0, 0), day("2026-11-02", 1, 0, 0, 0, 0)];
    let svg = doses_chart("doses", d("2026-11-01"), d("2026-11-07"), &days, Locale::Fr);
    assert_eq!(count(&svg, r#"<g class="day""#), 1);
}

#[test]
fn charts_are_accessible_and_need_no_script_nor_style() {
    let series = GradeSeries {
        symptom: "diarrhea".into(),
        label: "Diarrhée <\"aiguë\">".into(),
        points: vec![(d("2026-11-03"), 1), (d("2026-11-10"), 3)],
    };
    for svg in [
        doses_chart("doses", d("2026-11-01"), d("2026-11-14"), &[day("2026-11-02", 1, 0, 0, 0, 0)], Locale::Fr),
        grade_chart("g-diarrhea", d("2026-11-01"), d("2026-11-14"), &series, Locale::Fr),
    ] {
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        let id = svg.split("id=\"").nth(1).unwrap().split('"').next().unwrap();
        assert!(svg.contains(&format!(r#"aria-labelledby="{id}-t {id}-d""#)));
        assert!(svg.contains(&format!(r#"<title id="{id}-t">"#)) && svg.contains(&format!(r#"<desc id="{id}-d">"#)));
        assert!(!svg.contains("<script") && !svg.contains("style=") && !svg.contains("<style"));
        assert!(!svg.contains("\"aiguë\""), "text is escaped");
    }
}

#[test]
fn grade_chart_draws_a_point_per_measure_at_its_grade() {
    let series = GradeSeries {
        symptom: "diarrhea".into(),
        label: "Diarrhée".into(),
        points: vec![(d("2026-11-03"), 0), (d("2026-11-06"), 2), (d("2026-11-10"), 4), (d("2026-12-01"), 1)],
    };
    let svg = grade_chart("g", d("2026-11-01"), d("2026-11-28"), &series, Locale::Fr);
    assert_eq!(count(&svg, r#"<circle class="point""#), 3, "the December point is outside the range");
    let cy = attr_values(&svg, "circle", "cy");
    let cx = attr_values(&svg, "circle", "cx");
    // Grade 0 lowest on screen (largest y), grade 4 at the top, evenly spaced.
    assert!(cy[0] > cy[1] && cy[1] > cy[2], "{cy:?}");
    assert!(((cy[0] - cy[1]) - (cy[1] - cy[2])).abs() < 0.2, "{cy:?}");
    assert!(cx[0] < cx[1] && cx[1] < cx[2], "time runs left to right: {cx:?}");
    assert!(svg.contains("<polyline "));
    assert!(svg.contains(&format!(r#"fill="{}""#, GRADE_COLOURS[4])));
    assert!(svg.contains("<title>mar. 10/11 : grade 4</title>"), "{svg}");
    assert!(svg.contains("grade le plus haut 4, dernier grade 4"), "{svg}");
}

#[test]
fn a_single_point_has_no_line_and_an_empty_series_says_so() {
    let one = GradeSeries { symptom: "fatigue".into(), label: "Fatigue".into(), points: vec![(d("2026-11-03"), 2)] };
    let svg = grade_chart("g", d("2026-11-01"), d("2026-11-07"), &one, Locale::Fr);
    assert_eq!(count(&svg, "<circle "), 1);
    assert!(!svg.contains("<polyline"));
    let none = GradeSeries { points: vec![], ..one };
    assert!(grade_chart("g", d("2026-11-01"), d("2026-11-07"), &none, Locale::Fr).contains("Aucune mesure"));
}

/// Issue 19: the same charts for an English reader: English titles, outcomes and dates.
#[test]
fn charts_read_in_english_for_an_english_reader() {
    let days = [day("2026-11-04", 0, 0, 1, 0, 1)];
    let svg = doses_chart("doses", d("2026-11-01"), d("2026-11-14"), &days, Locale::En);
    assert!(svg.contains("<title>Wed 4 Nov: 1 vomited, 1 missed</title>"), "{svg}");
    assert!(svg.contains("Doses per day from 1 Nov 2026 to 14 Nov 2026"), "{svg}");
    assert!(svg.contains(">2 Nov</text>"), "{svg}");
    let series = GradeSeries {
        symptom: "diarrhea".into(),
        label: "Diarrhoea".into(),
        points: vec![(d("2026-11-03"), 1), (d("2026-11-10"), 3)],
    };
    let svg = grade_chart("g", d("2026-11-01"), d("2026-11-14"), &series, Locale::En);
    assert!(svg.contains("Diarrhoea: grade over time") && svg.contains("highest grade 3, last grade 3"), "{svg}");
    assert!(svg.contains("<title>Tue 10 Nov: grade 3</title>"), "{svg}");
    for fr in ["mesure", "grade le plus", "Prises", " : ", "nov."] {
        assert!(!svg.contains(fr), "French `{fr}` in {svg}");
    }
    let legend: Vec<&str> = dose_categories(Locale::En).iter().map(|(l, _)| *l).collect();
    assert_eq!(legend, ["taken", "taken late", "vomited", "not taken (reported)", "missed"]);
}
