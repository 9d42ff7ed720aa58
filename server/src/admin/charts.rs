//! Small bar charts drawn as SVG on the server, so the dashboard needs no chart library in the
//! browser. Inputs are dates and numbers we computed, so nothing needs escaping.

use chrono::{Duration, NaiveDate};

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 150.0;
const BOTTOM: f64 = 20.0;

/// One bar per day from `first` for `days` days; missing days are zero. `format` writes the
/// peak value's label (e.g. yuan for money).
pub fn daily_bars(
    first: NaiveDate,
    days: i64,
    points: &[(String, i64)],
    format: impl Fn(i64) -> String,
) -> String {
    let values: Vec<(NaiveDate, i64)> = (0..days)
        .map(|i| {
            let day = first + Duration::days(i);
            let key = day.format("%Y-%m-%d").to_string();
            let v = points
                .iter()
                .find(|(d, _)| *d == key)
                .map_or(0, |(_, v)| *v);
            (day, v)
        })
        .collect();
    let peak = values.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let slot = WIDTH / days.max(1) as f64;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">",
        HEIGHT + BOTTOM
    );
    for (i, (day, v)) in values.iter().enumerate() {
        let h = (*v as f64 / peak as f64) * (HEIGHT - 10.0);
        let x = i as f64 * slot + 1.0;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}: {}</title></rect>",
            HEIGHT - h,
            (slot - 2.0).max(1.0),
            day.format("%m-%d"),
            format(*v)
        ));
    }
    let last = first + Duration::days(days - 1);
    svg.push_str(&format!(
        "<text x=\"0\" y=\"{y}\">{}</text><text x=\"{WIDTH}\" y=\"{y}\" text-anchor=\"end\">{}</text>\
         <text x=\"0\" y=\"12\">max {}</text></svg>",
        first.format("%m-%d"),
        last.format("%m-%d"),
        format(peak),
        y = HEIGHT + BOTTOM - 4.0,
    ));
    svg
}

/// One bar per minute from `first` (Unix minutes) for `minutes` minutes; missing minutes are
/// zero. Labels are UTC `HH:MM`.
pub fn minute_bars(first: i64, minutes: i64, points: &[(i64, i64)]) -> String {
    let label = |minute: i64| {
        chrono::DateTime::from_timestamp(minute * 60, 0)
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default()
    };
    let values: Vec<(i64, i64)> = (first..first + minutes)
        .map(|m| {
            let v = points.iter().find(|(p, _)| *p == m).map_or(0, |(_, v)| *v);
            (m, v)
        })
        .collect();
    let peak = values.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let slot = WIDTH / minutes.max(1) as f64;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">",
        HEIGHT + BOTTOM
    );
    for (i, (minute, v)) in values.iter().enumerate() {
        let h = (*v as f64 / peak as f64) * (HEIGHT - 10.0);
        let x = i as f64 * slot + 1.0;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{}: {v}</title></rect>",
            HEIGHT - h,
            (slot - 1.0).max(1.0),
            label(*minute),
        ));
    }
    svg.push_str(&format!(
        "<text x=\"0\" y=\"{y}\">{}</text><text x=\"{WIDTH}\" y=\"{y}\" text-anchor=\"end\">{}</text>\
         <text x=\"0\" y=\"12\">max {peak}/min</text></svg>",
        label(first),
        label(first + minutes - 1),
        y = HEIGHT + BOTTOM - 4.0,
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bar_per_day_with_missing_days_as_zero() {
        let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
        let svg = daily_bars(first, 30, &[("2026-11-03".into(), 4)], |v| v.to_string());
        assert_eq!(svg.matches("<rect").count(), 30);
        assert!(svg.contains("<title>11-03: 4</title>"));
        assert!(svg.contains("<title>11-04: 0</title>"));
        assert!(svg.contains("max 4"));
    }

    #[test]
    fn one_bar_per_minute() {
        let svg = minute_bars(100, 60, &[(101, 7)]);
        assert_eq!(svg.matches("<rect").count(), 60);
        assert!(svg.contains("<title>01:41: 7</title>"));
        assert!(svg.contains("max 7/min"));
    }
}
