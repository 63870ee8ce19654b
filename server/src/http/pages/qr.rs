//! The activation QR code as inline SVG: the `qrcode` crate computes the modules (pure Rust,
//! no image feature), this module draws them as one path, with a quiet zone of four modules
//! (ISO/IEC 18004 §6.3.8) and an accessible title.

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

use super::charts::esc;

const QUIET: usize = 4;

/// The SVG of `data` (error correction M: a phone screen photographed by another phone survives
/// some glare). `None` only if `data` is too long for a QR code.
pub fn svg(data: &str, title: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET;
    let mut path = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
                let _ = write!(path, "M{} {}h{run}v1h-{run}z", x + QUIET, y + QUIET);
                x += run;
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        r##"<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" aria-label="{t}" shape-rendering="crispEdges"><title>{t}</title><rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##,
        t = esc(title)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the path back into a grid of dark modules.
    fn grid(svg: &str, size: usize) -> Vec<Vec<bool>> {
        let d = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut g = vec![vec![false; size]; size];
        for part in d.split('M').filter(|p| !p.is_empty()) {
            let (xy, rest) = part.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let run: usize = rest.split('v').next().unwrap().parse().unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            for cell in &mut g[y][x..x + run] {
                assert!(!*cell, "runs never overlap");
                *cell = true;
            }
        }
        g
    }

    #[test]
    fn draws_exactly_the_modules_of_the_code_inside_a_quiet_zone() {
        let data = "https://relais.example/app/#activate=ABCD-EFGH-JKLM";
        let svg = svg(data, "QR code d'activation").unwrap();
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).unwrap();
        let w = code.width();
        let size = w + 2 * QUIET;
        assert!(svg.contains(&format!(r#"viewBox="0 0 {size} {size}""#)));
        let g = grid(&svg, size);
        let colors = code.to_colors();
        for y in 0..size {
            for x in 0..size {
                let inside = (QUIET..QUIET + w).contains(&x) && (QUIET..QUIET + w).contains(&y);
                let want = inside && colors[(y - QUIET) * w + (x - QUIET)] == Color::Dark;
                assert_eq!(g[y][x], want, "module ({x}, {y})");
            }
        }
        // The top-left finder pattern: a dark 7×7 ring.
        assert!((0..7).all(|i| g[QUIET][QUIET + i] && g[QUIET + 6][QUIET + i] && g[QUIET + i][QUIET]));
        assert!(!g[QUIET + 1][QUIET + 1]);
    }

    #[test]
    fn is_accessible_and_style_free() {
        let svg = svg("x", "Code <QR>").unwrap();
        assert!(svg.contains(r#"role="img""#) && svg.contains("<title>Code &lt;QR&gt;</title>"));
        assert!(!svg.contains("style") && !svg.contains("<?xml"));
    }

    #[test]
    fn refuses_data_too_long_for_any_version() {
        assert!(svg(&"x".repeat(5000), "t").is_none());
    }
}
