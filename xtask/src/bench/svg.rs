//! A small SVG chart: side-by-side panels, each a line chart with logarithmic
//! axes (clients go 10 → 10,000, and memory or latency span as many orders of
//! magnitude). Written by hand: a plotting crate would weigh more on `xtask`,
//! which every learner compiles, than these hundred lines.

use std::fmt::Write;

/// One line of a panel: a name, a colour and the points it has.
pub struct Series {
    pub name: String,
    pub color: &'static str,
    /// (x, y); a configuration that failed has no point.
    pub points: Vec<(f64, f64)>,
}

pub struct Panel {
    pub title: String,
    pub y_unit: String,
    pub series: Vec<Series>,
}

// Sized to the book's column (about 750 px), so the text is read at 1:1.
const PANEL_W: f64 = 170.0;
const PANEL_H: f64 = 170.0;
const MARGIN_L: f64 = 50.0;
const MARGIN_T: f64 = 60.0;
const GAP: f64 = 22.0;

/// Draws `panels` in a row, with `title` above and `footer` lines below.
pub fn chart(title: &str, panels: &[Panel], footer: &[String]) -> String {
    let width = MARGIN_L + panels.len() as f64 * (PANEL_W + GAP + MARGIN_L) - MARGIN_L;
    let legend_y = MARGIN_T + PANEL_H + 52.0;
    let height = legend_y + 28.0 + footer.len() as f64 * 16.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{:.0}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{}</text>
"##,
        width / 2.0,
        escape(title)
    );
    for (i, panel) in panels.iter().enumerate() {
        let left = MARGIN_L + i as f64 * (PANEL_W + GAP + MARGIN_L);
        draw_panel(&mut svg, panel, left);
    }
    // One legend for all panels: they share their series.
    if let Some(first) = panels.first() {
        let mut x = MARGIN_L;
        for series in &first.series {
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.0}" y1="{legend_y:.0}" x2="{:.0}" y2="{legend_y:.0}" stroke="{}" stroke-width="3"/><text x="{:.0}" y="{:.0}">{}</text>"##,
                x + 24.0,
                series.color,
                x + 30.0,
                legend_y + 4.0,
                escape(&series.name)
            );
            x += 40.0 + series.name.chars().count() as f64 * 7.0;
        }
    }
    for (i, line) in footer.iter().enumerate() {
        let _ = writeln!(
            svg,
            r##"<text x="{MARGIN_L:.0}" y="{:.0}" fill="#555555">{}</text>"##,
            legend_y + 26.0 + i as f64 * 16.0,
            escape(line)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn draw_panel(svg: &mut String, panel: &Panel, left: f64) {
    let points = panel.series.iter().flat_map(|s| s.points.iter());
    let (mut x_min, mut x_max, mut y_min, mut y_max) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points {
        x_min = x_min.min(x);
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    let top = MARGIN_T;
    let _ = writeln!(
        svg,
        r##"<text x="{:.0}" y="{:.0}" text-anchor="middle" font-weight="bold">{}</text>
<rect x="{left:.0}" y="{top:.0}" width="{PANEL_W:.0}" height="{PANEL_H:.0}" fill="none" stroke="#999999"/>"##,
        left + PANEL_W / 2.0,
        top - 8.0,
        escape(&panel.title)
    );
    if x_min > x_max {
        let _ = writeln!(
            svg,
            r##"<text x="{:.0}" y="{:.0}" text-anchor="middle" fill="#999999">sem medições</text>"##,
            left + PANEL_W / 2.0,
            top + PANEL_H / 2.0
        );
        return;
    }
    // Whole decades around the data, so the grid lines are 1, 10, 100…
    let (x_lo, x_hi) = decades(x_min, x_max);
    let (y_lo, y_hi) = decades(y_min, y_max);
    let sx = |x: f64| left + (x.log10() - x_lo) / (x_hi - x_lo) * PANEL_W;
    let sy = |y: f64| top + PANEL_H - (y.log10() - y_lo) / (y_hi - y_lo) * PANEL_H;
    for d in x_lo as i32..=x_hi as i32 {
        let x = sx(10f64.powi(d));
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{top:.0}" x2="{x:.1}" y2="{:.0}" stroke="#eeeeee"/><text x="{x:.1}" y="{:.0}" text-anchor="middle">{}</text>"##,
            top + PANEL_H,
            top + PANEL_H + 15.0,
            number(10f64.powi(d))
        );
    }
    for d in y_lo as i32..=y_hi as i32 {
        let y = sy(10f64.powi(d));
        let _ = writeln!(
            svg,
            r##"<line x1="{left:.0}" y1="{y:.1}" x2="{:.0}" y2="{y:.1}" stroke="#eeeeee"/><text x="{:.0}" y="{:.1}" text-anchor="end">{}</text>"##,
            left + PANEL_W,
            left - 5.0,
            y + 4.0,
            number(10f64.powi(d))
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{:.0}" y="{:.0}" text-anchor="middle">clientes conectados</text><text x="{:.0}" y="{:.0}" text-anchor="middle" transform="rotate(-90 {:.0} {:.0})">{}</text>"##,
        left + PANEL_W / 2.0,
        top + PANEL_H + 32.0,
        left - 38.0,
        top + PANEL_H / 2.0,
        left - 38.0,
        top + PANEL_H / 2.0,
        escape(&panel.y_unit)
    );
    for series in &panel.series {
        let path: Vec<String> = series
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        if path.len() > 1 {
            let _ = writeln!(
                svg,
                r##"<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>"##,
                path.join(" "),
                series.color
            );
        }
        for &(x, y) in &series.points {
            let _ = writeln!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{}"><title>{} clientes: {} {}</title></circle>"##,
                sx(x),
                sy(y),
                series.color,
                x,
                number(y),
                escape(&panel.y_unit)
            );
        }
    }
}

/// The decades (powers of ten) that contain `[lo, hi]`, at least one apart.
fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let a = lo.max(1e-9).log10().floor();
    let b = hi.max(1e-9).log10().ceil();
    if b > a { (a, b) } else { (a, a + 1.0) }
}

/// A number as the axis shows it, in pt-BR: `0,1`, `10`, `1.000`.
pub fn number(value: f64) -> String {
    if value >= 1000.0 {
        let whole = value.round() as u64;
        let digits = whole.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('.');
            }
            out.push(c);
        }
        out
    } else if value >= 10.0 || value == value.round() {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').replace('.', ",")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_in_portuguese() {
        assert_eq!(number(10_000.0), "10.000");
        assert_eq!(number(100.0), "100");
        assert_eq!(number(0.25), "0,25");
        assert_eq!(number(1.0), "1");
    }

    #[test]
    fn a_chart_has_one_point_per_measurement() {
        let panel = Panel {
            title: "Memória".into(),
            y_unit: "MiB".into(),
            series: vec![Series {
                name: "tokio".into(),
                color: "#1f77b4",
                points: vec![(10.0, 2.0), (100.0, 3.0), (1000.0, 9.0)],
            }],
        };
        let svg = chart("título", &[panel], &["rodapé".into()]);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
}
