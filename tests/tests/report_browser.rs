//! `worktime report --html` in a real browser: headless Chromium renders the page of the
//! README's example (Seoul office hours, three services) to a screenshot, and the test reads
//! the week chart back from its pixels, checks that the page printed nothing to the console
//! and asked the network for nothing. A page made to fail each check (a console error, an
//! uncaught exception, an image and a style sheet from the web) is rendered first, so that
//! the checks are known to see what they look for.
//!
//! `WORKTIME_UPDATE_DOCS=1` also writes the screenshot to `docs/report.png` (shown in docs/report.md).

use std::collections::BTreeSet;

use worktime_e2e::browser::{hex_colour, render, Image};
use worktime_e2e::*;

use super::report::{seoul_config, seoul_services};

/// The chart's geometry and colours in `provisioner/src/report/html.rs`: 22 px cells, 2 px
/// apart.
const CELL: usize = 22;
const PITCH: usize = 24;
const UP: &str = "#2e7d32";
const DOWN: &str = "#e0e0e0";

/// Fails every check the report's rendering must pass.
const CANARY: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>canary</title>
<link rel="stylesheet" href="https://worktime-canary.invalid/style.css">
</head><body><p>canary</p><img src="http://worktime-canary.invalid/pixel.png" alt="">
<script>console.error("canary console error"); throw new Error("canary uncaught");</script>
</body></html>
"#;

#[tokio::test]
async fn the_html_report_in_chromium_draws_the_week_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();

    // The checks see a console error, an uncaught exception and requests for the web.
    let canary = dir.path().join("canary.html");
    std::fs::write(&canary, CANARY).unwrap();
    let rendered = render(&canary, 800, 600);
    let console = rendered.console.join("\n");
    assert!(console.contains("canary console error"), "{}", rendered.log);
    assert!(
        console.contains("Uncaught Error: canary uncaught"),
        "{}",
        rendered.log
    );
    for url in [
        "https://worktime-canary.invalid/style.css",
        "http://worktime-canary.invalid/pixel.png",
    ] {
        assert!(
            rendered.page_requests.iter().any(|r| r == url),
            "{url} in {:?}",
            rendered.all_requests
        );
    }

    // The report of the README's example, for a fixed period.
    let moto = Moto::start_in("ap-northeast-2");
    let sdk = moto.sdk().await;
    seoul_services(&sdk).await;
    write_config(dir.path(), &seoul_config("ap-northeast-2"));
    worktime(
        dir.path(),
        &moto.env(),
        &["report", "--from", "2030-03-04", "--html", "report.html"],
    )
    .expect_code(0);
    let rendered = render(&dir.path().join("report.html"), 1200, 1600);
    assert_eq!(rendered.console, Vec::<String>::new(), "{}", rendered.log);
    assert_eq!(
        rendered.page_requests,
        Vec::<String>::new(),
        "the page asked the network for something (all requests: {:?})",
        rendered.all_requests
    );

    // The week chart as drawn: 7 rows of 24 cells, a cell up (green) for each weekday hour
    // from 09:00 to 19:00, and every other cell down (grey).
    let image = Image::decode(&rendered.png);
    let up = image.squares(hex_colour(UP), CELL);
    let down = image.squares(hex_colour(DOWN), CELL);
    assert_eq!(
        (up.len(), down.len()),
        (50, 118),
        "cells up and down in the screenshot"
    );
    let cells: Vec<(usize, usize)> = up.iter().chain(&down).copied().collect();
    let columns = grid_lines(cells.iter().map(|c| c.0), 24, "columns");
    let rows = grid_lines(cells.iter().map(|c| c.1), 7, "rows");
    let place = |(x, y): (usize, usize)| {
        (
            rows.iter().position(|&r| r.abs_diff(y) <= 1).unwrap(),
            columns.iter().position(|&c| c.abs_diff(x) <= 1).unwrap(),
        )
    };
    let up_cells: BTreeSet<(usize, usize)> = up.iter().copied().map(place).collect();
    let weekday_hours: BTreeSet<(usize, usize)> = (0..5)
        .flat_map(|day| (9..19).map(move |hour| (day, hour)))
        .collect();
    assert_eq!(up_cells, weekday_hours, "(day, hour) of each green cell");

    if std::env::var_os("WORKTIME_UPDATE_DOCS").is_some() {
        let docs = workspace_root().join("docs/report.png");
        std::fs::write(&docs, image.trimmed_png([255, 255, 255], 24)).unwrap();
        eprintln!("wrote {}", docs.display());
    }
}

/// The distinct positions (± 1 px) of cells along one axis: `count` of them, `PITCH` apart.
fn grid_lines(positions: impl Iterator<Item = usize>, count: usize, what: &str) -> Vec<usize> {
    let mut lines: Vec<usize> = Vec::new();
    let mut sorted: Vec<usize> = positions.collect();
    sorted.sort_unstable();
    for position in sorted {
        if lines.last().is_none_or(|&last| position > last + 1) {
            lines.push(position);
        }
    }
    assert_eq!(lines.len(), count, "{what} of the chart: {lines:?}");
    for pair in lines.windows(2) {
        assert!(
            (pair[1] - pair[0]).abs_diff(PITCH) <= 1,
            "{what} {PITCH} px apart: {lines:?}"
        );
    }
    lines
}
