//! Charts of trend, history, dashboard, priceband, seasonality and chapter
//! answers, as SVG or PNG.
//!
//! SVG text is written as text (the viewer's fonts draw the Chinese); PNG
//! text is drawn with an embedded subset of DejaVu Sans, which has no CJK
//! glyphs, so PNG charts are labelled in English and codes.
//!
//! Every title is measured before it is drawn and always fits the image:
//! one line when it can, else two (the product, then what the chart shows),
//! with the product's name shortened in the middle and the font made smaller
//! only as far as needed; the code, the destination and the figures of the
//! title are never cut.

use crate::table::group_thousands;
use crate::{ChartFormat, Endpoint, ReportError};
use cnexport_core::reference::Reference;
use cnexport_core::{HsCode, PartnerCode, Region};
use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use serde_json::Value;
use std::sync::OnceLock;
use unicode_width::UnicodeWidthChar;

/// DejaVu Sans cut to Latin-1 (see `fonts/LICENSE`).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");
const FAMILY: &str = "sans-serif";

const WIDTH: u32 = 1100;
const MONTHLY_SIZE: (u32, u32) = (WIDTH, 560);
const SHARES_SIZE: (u32, u32) = (WIDTH, 520);
const SEASON_SIZE: (u32, u32) = (WIDTH, 560);

/// The space kept free at the left and right of the image.
const SIDE_MARGIN: u32 = 16;
/// The right margin of charts whose x axis ends in a number label (centred
/// on the end, so half of it lies beyond the axis).
const RIGHT_MARGIN: u32 = 36;
/// The title's font size, and the smallest it is made to fit.
const TITLE_SIZE: u32 = 22;
const TITLE_MIN_SIZE: u32 = 12;

/// At most this many rows in the bar charts of priceband and chapter.
const MAX_PRICE_ROWS: usize = 30;
const MAX_HEADING_ROWS: usize = 25;
/// Prices above this many medians are drawn at the edge of the axis.
const PRICE_AXIS_MEDIANS: f64 = 3.0;

const BAR: RGBColor = RGBColor(31, 119, 180);
const BLOC_BAR: RGBColor = RGBColor(255, 127, 14);
const GRID: RGBColor = RGBColor(225, 225, 225);
const PREMIUM: RGBColor = RGBColor(214, 39, 40);
const MID: RGBColor = RGBColor(31, 119, 180);
const VALUE: RGBColor = RGBColor(44, 160, 44);
const NO_BAND: RGBColor = RGBColor(150, 150, 150);
const BAND_FILL: RGBColor = RGBColor(222, 230, 243);
const LINE: RGBColor = RGBColor(70, 70, 70);

/// The chart kinds, by path, as the no-chart error lists them.
const CHART_PATHS: [&str; 6] = [
    "/skill/trend",
    "/skill/history",
    "/skill/dashboard",
    "/skill/priceband",
    "/skill/seasonality",
    "/skill/chapter",
];

/// The language of the labels: Chinese in SVG, English in PNG.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

fn chart_err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Chart(e.to_string())
}

fn shape_err(endpoint: Endpoint, detail: impl Into<String>) -> ReportError {
    ReportError::UnexpectedShape {
        path: endpoint.path().to_string(),
        detail: detail.into(),
    }
}

fn nothing_err(endpoint: Endpoint, reason: impl Into<String>) -> ReportError {
    ReportError::NothingToChart {
        path: endpoint.path().to_string(),
        reason: reason.into(),
    }
}

/// plotters finds fonts by family name; the embedded one is registered once.
fn register_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ReportError::Chart(
            "the embedded font cannot be read".into(),
        ))
    }
}

/// What to draw.
enum Spec {
    Monthly(Monthly),
    Shares(Shares),
    Prices(Prices),
    Season(Season),
    Chapter(Chapter),
}

/// A chart's title: `code name after_name` and `what`, on one line (joined
/// by `sep`) or two.
struct Title {
    /// Kept whole: "HS 84853020".
    code: String,
    /// Shortened in the middle when the title does not fit.
    name: Option<String>,
    /// Kept whole, after the name: " -> United States (502)".
    after_name: String,
    /// Between the first part and `what` on one line.
    sep: &'static str,
    /// What the chart shows, with its figures; kept whole (the second line).
    what: String,
}

struct Monthly {
    title: Title,
    x_desc: String,
    y_desc: String,
    /// Oldest first.
    labels: Vec<String>,
    values: Vec<f64>,
    bars: bool,
}

struct Shares {
    title: Title,
    panels: Vec<SharePanel>,
}

struct SharePanel {
    caption: String,
    color: RGBColor,
    /// (label, percent), top to bottom.
    bars: Vec<(String, Option<f64>)>,
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
enum Swatch {
    /// A filled square (bars, dots).
    Fill(RGBColor),
    /// A line, solid or dashed.
    Line(RGBColor, bool),
}

/// Unit prices by destination against the median band.
struct Prices {
    title: Title,
    legend: Vec<(Swatch, String)>,
    x_desc: String,
    median: f64,
    /// (label, price, band colour), highest price first.
    rows: Vec<(String, f64, RGBColor)>,
}

/// The 12 monthly shares of a seasonality profile.
struct Season {
    title: Title,
    legend: Vec<(Swatch, String)>,
    y_desc: String,
    /// January first.
    month_labels: Vec<String>,
    shares: Vec<f64>,
    peaks: Vec<bool>,
}

/// The headings of a chapter by share.
struct Chapter {
    title: Title,
    legend: Vec<(Swatch, String)>,
    x_desc: String,
    /// (label, share, is the queried heading), top to bottom.
    rows: Vec<(String, Option<f64>, bool)>,
}

/// The paths that have a chart, for the no-chart error.
pub fn chart_paths() -> String {
    CHART_PATHS.join(", ")
}

/// Charts exist for trend, history, dashboard, priceband, seasonality and
/// chapter.
pub fn has_chart(endpoint: Endpoint) -> bool {
    matches!(
        endpoint,
        Endpoint::Trend
            | Endpoint::History
            | Endpoint::Dashboard
            | Endpoint::Priceband
            | Endpoint::Seasonality
            | Endpoint::Chapter
    )
}

pub fn draw(endpoint: Endpoint, data: &Value, format: ChartFormat) -> Result<Vec<u8>, ReportError> {
    let lang = match format {
        ChartFormat::Svg => Lang::Zh,
        ChartFormat::Png => Lang::En,
    };
    let spec = match endpoint {
        Endpoint::Trend => Spec::Monthly(monthly(endpoint, data, "monthlyData", false, lang)?),
        Endpoint::History => Spec::Monthly(monthly(endpoint, data, "monthlyDetail", true, lang)?),
        Endpoint::Dashboard => Spec::Shares(shares(endpoint, data, lang)?),
        Endpoint::Priceband => Spec::Prices(prices(endpoint, data, lang)?),
        Endpoint::Seasonality => Spec::Season(season(endpoint, data, lang)?),
        Endpoint::Chapter => Spec::Chapter(chapter(endpoint, data, lang)?),
        _ => {
            return Err(ReportError::NoChart {
                path: endpoint.path().to_string(),
            })
        }
    };
    register_font()?;
    let size = match &spec {
        Spec::Monthly(_) => MONTHLY_SIZE,
        Spec::Shares(_) => SHARES_SIZE,
        Spec::Season(_) => SEASON_SIZE,
        Spec::Prices(p) => (WIDTH, rows_height(p.rows.len())),
        Spec::Chapter(c) => (WIDTH, rows_height(c.rows.len())),
    };
    match format {
        ChartFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                paint(&root, &spec)?;
                root.present().map_err(chart_err)?;
            }
            Ok(svg.into_bytes())
        }
        ChartFormat::Png => {
            let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                paint(&root, &spec)?;
                root.present().map_err(chart_err)?;
            }
            encode_png(&rgb, size)
        }
    }
}

/// The height of a chart of horizontal bars: title, legend, axis and rows.
fn rows_height(rows: usize) -> u32 {
    (190 + 24 * rows as u32).max(420)
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, ReportError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(chart_err)?;
    writer.write_image_data(rgb).map_err(chart_err)?;
    writer.finish().map_err(chart_err)?;
    Ok(out)
}

fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &Spec,
) -> Result<(), ReportError> {
    root.fill(&WHITE).map_err(chart_err)?;
    match spec {
        Spec::Monthly(m) => paint_monthly(root, m),
        Spec::Shares(s) => paint_shares(root, s),
        Spec::Prices(p) => paint_prices(root, p),
        Spec::Season(s) => paint_season(root, s),
        Spec::Chapter(c) => paint_chapter(root, c),
    }
}

// --- text that fits --------------------------------------------------------

/// The width in pixels of `text` drawn at font size `size`: Latin text as
/// the embedded font lays it out (a little wider than the usual sans-serif
/// fonts of an SVG viewer), a wide (CJK) character as one em of the SVG
/// text (plotters writes `font-size` = size / 1.24).
fn text_width(text: &str, size: u32) -> u32 {
    let em = f64::from(size) / 1.24;
    let font = (FAMILY, f64::from(size)).into_font();
    let mut width = 0.0;
    let mut run = String::new();
    let flush = |run: &mut String, width: &mut f64| {
        if !run.is_empty() {
            let w = font
                .box_size(run)
                .map(|(w, _)| f64::from(w))
                // Without the font: a wide estimate.
                .unwrap_or(run.chars().count() as f64 * em * 0.75);
            *width += w;
            run.clear();
        }
    };
    for c in text.chars() {
        if c.width() == Some(2) {
            flush(&mut run, &mut width);
            width += em;
        } else {
            run.push(c);
        }
    }
    flush(&mut run, &mut width);
    width.ceil() as u32
}

/// `text` if it fits in `max` pixels, else its start and end with `…`
/// between, as long as fits (`…` alone at worst).
fn elide_middle(text: &str, size: u32, max: u32) -> String {
    if text_width(text, size) <= max {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let cut = |keep: usize| {
        let head = keep.div_ceil(5) * 3;
        let head = head.min(keep);
        let tail = keep - head;
        let start: String = chars[..head].iter().collect();
        let end: String = chars[chars.len() - tail..].iter().collect();
        format!("{}…{}", start.trim_end(), end.trim_start())
    };
    // The most characters kept that fit (a binary search on the count).
    let (mut lo, mut hi) = (0usize, chars.len().saturating_sub(1));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_width(&cut(mid), size) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(lo)
}

/// `text` if it fits in `max` pixels, else its start with `…`.
fn elide_end(text: &str, size: u32, max: u32) -> String {
    if text_width(text, size) <= max {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let cut = |keep: usize| {
        let start: String = chars[..keep].iter().collect();
        format!("{}…", start.trim_end())
    };
    let (mut lo, mut hi) = (0usize, chars.len().saturating_sub(1));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_width(&cut(mid), size) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(lo)
}

/// The lines of a title and their font size, each line at most `max`
/// pixels wide.
fn fit_title(title: &Title, max: u32) -> (Vec<String>, u32) {
    let head = |name: Option<&str>| match name {
        Some(n) => format!("{} {n}{}", title.code, title.after_name),
        None => format!("{}{}", title.code, title.after_name),
    };
    let one = format!("{}{}{}", head(title.name.as_deref()), title.sep, title.what);
    if text_width(&one, TITLE_SIZE) <= max {
        return (vec![one], TITLE_SIZE);
    }
    // Two lines, the name shortened to fit the first; smaller only when
    // even that does not fit.
    for size in (TITLE_MIN_SIZE..TITLE_SIZE).rev() {
        if text_width(&title.what, size) > max {
            continue;
        }
        let fixed = text_width(&head(None), size) + text_width(" ", size);
        let first = match &title.name {
            Some(name) if fixed < max => {
                let name = elide_middle(name, size, max - fixed);
                head(Some(&name))
            }
            Some(_) => continue,
            None => head(None),
        };
        if text_width(&first, size) <= max {
            return (vec![first, title.what.clone()], size);
        }
    }
    // Never expected (a title of a few hundred characters): cut the ends.
    let size = TITLE_MIN_SIZE;
    (
        vec![
            elide_end(&head(title.name.as_deref()), size, max),
            elide_end(&title.what, size, max),
        ],
        size,
    )
}

/// Draws the title at the top of `area`, centred, and returns the area
/// below it.
fn draw_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &Title,
) -> Result<DrawingArea<DB, Shift>, ReportError> {
    let width = area.dim_in_pixel().0;
    let (lines, size) = fit_title(title, width.saturating_sub(2 * SIDE_MARGIN));
    let style = TextStyle::from((FAMILY, size).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let line_height = size * 5 / 4;
    let top = 10;
    for (i, line) in lines.iter().enumerate() {
        let y = top + i as u32 * line_height;
        area.draw_text(line, &style, ((width / 2) as i32, y as i32))
            .map_err(chart_err)?;
    }
    let used = top + lines.len() as u32 * line_height + 4;
    Ok(area.split_vertically(used).1)
}

/// A row of swatches (squares, lines) with their labels, centred at the
/// top of `area`; returns the area below it.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(Swatch, String)],
) -> Result<DrawingArea<DB, Shift>, ReportError> {
    const SIZE: u32 = 14;
    const GAP: u32 = 24;
    let swatch_width = |s: &Swatch| match s {
        Swatch::Fill(_) => 12u32,
        Swatch::Line(..) => 28,
    };
    let width = area.dim_in_pixel().0;
    let max = width.saturating_sub(2 * SIDE_MARGIN);
    let mut texts: Vec<String> = items.iter().map(|(_, t)| t.clone()).collect();
    let total = |texts: &[String]| {
        items
            .iter()
            .zip(texts)
            .map(|((s, _), t)| swatch_width(s) + 6 + text_width(t, SIZE))
            .sum::<u32>()
            + GAP * texts.len().saturating_sub(1) as u32
    };
    // Shorten the longest labels until the legend fits.
    while total(&texts) > max {
        let Some((i, longest)) = texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i, text_width(t, SIZE)))
            .max_by_key(|(_, w)| *w)
        else {
            break;
        };
        if longest <= text_width("…", SIZE) * 2 {
            break;
        }
        texts[i] = elide_end(&texts[i], SIZE, longest * 4 / 5);
    }
    let style = TextStyle::from((FAMILY, SIZE).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = (width.saturating_sub(total(&texts)) / 2) as i32;
    let y = 12i32;
    for ((swatch, _), text) in items.iter().zip(&texts) {
        let w = swatch_width(swatch) as i32;
        match *swatch {
            Swatch::Fill(color) => area
                .draw(&Rectangle::new(
                    [(x, y - 6), (x + w, y + 6)],
                    color.filled(),
                ))
                .map_err(chart_err)?,
            Swatch::Line(color, false) => area
                .draw(&PathElement::new(
                    vec![(x, y), (x + w, y)],
                    color.stroke_width(2),
                ))
                .map_err(chart_err)?,
            Swatch::Line(color, true) => {
                for dash in [(x, x + 8), (x + 12, x + 20), (x + 24, x + w)] {
                    area.draw(&PathElement::new(
                        vec![(dash.0, y), (dash.1, y)],
                        color.stroke_width(1),
                    ))
                    .map_err(chart_err)?;
                }
            }
        }
        x += w + 6;
        area.draw_text(text, &style, (x, y)).map_err(chart_err)?;
        x += (text_width(text, SIZE) + GAP) as i32;
    }
    Ok(area.split_vertically(28).1)
}

/// The width of a label area that holds the widest of `labels` (at font
/// `size`), within `min` and `max` pixels.
fn label_area(labels: impl Iterator<Item = String>, size: u32, min: u32, max: u32) -> u32 {
    let widest = labels.map(|l| text_width(&l, size)).max().unwrap_or(0);
    (widest + 16).clamp(min, max)
}

// --- the charts ----------------------------------------------------------

/// A number for an axis: at most two decimals, no trailing zeros.
fn axis_number(v: f64) -> String {
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// A number with two decimals and thousands separators: `12,500.69`.
fn grouped_2dp(v: f64) -> String {
    let text = format!("{v:.2}");
    let text = if text == "-0.00" { "0.00".into() } else { text };
    match text.split_once('.') {
        Some((int, frac)) => format!("{}.{frac}", group_thousands(int)),
        None => group_thousands(&text),
    }
}

/// A grouped axis number without needless decimals: `12,000`, `2,500.5`.
fn axis_grouped(v: f64) -> String {
    let text = axis_number(v);
    match text.split_once('.') {
        Some((int, frac)) => format!("{}.{frac}", group_thousands(int)),
        None => group_thousands(&text),
    }
}

fn paint_monthly<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Monthly,
) -> Result<(), ReportError> {
    let body = draw_title(root, &m.title)?;
    let n = m.values.len().max(1) as i32;
    let top = m.values.iter().cloned().fold(0.0, f64::max);
    let y_max = if top > 0.0 { top * 1.12 } else { 1.0 };
    // Every other month when there are many, always the latest.
    let every = if m.labels.len() > 12 { 2 } else { 1 };
    let shown: Vec<usize> = (0..m.labels.len()).rev().step_by(every).collect();
    let label_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) if *i >= 0 && shown.contains(&(*i as usize)) => {
            m.labels[*i as usize].clone()
        }
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..y_max)
        .map_err(chart_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(n as usize)
        .x_label_formatter(&label_of)
        .y_labels(8)
        .y_label_formatter(&|v| axis_number(*v))
        .x_desc(m.x_desc.as_str())
        .y_desc(m.y_desc.as_str())
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(chart_err)?;
    let segment = |i: usize| SegmentValue::Exact(i as i32);
    if m.bars {
        chart
            .draw_series(m.values.iter().enumerate().map(|(i, &v)| {
                let right = if i + 1 < m.values.len() {
                    segment(i + 1)
                } else {
                    SegmentValue::Last
                };
                let mut bar = Rectangle::new([(segment(i), 0.0), (right, v)], BAR.filled());
                bar.set_margin(0, 0, 4, 4);
                bar
            }))
            .map_err(chart_err)?;
    } else {
        let points: Vec<(SegmentValue<i32>, f64)> = m
            .values
            .iter()
            .enumerate()
            .map(|(i, &v)| (SegmentValue::CenterOf(i as i32), v))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), BAR.stroke_width(3)))
            .map_err(chart_err)?;
        chart
            .draw_series(points.into_iter().map(|p| Circle::new(p, 5, BAR.filled())))
            .map_err(chart_err)?;
    }
    Ok(())
}

fn paint_shares<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Shares,
) -> Result<(), ReportError> {
    let body = draw_title(root, &s.title)?;
    let width = body.dim_in_pixel().0;
    let count = s.panels.len().max(1) as u32;
    let mut areas = Vec::new();
    let mut rest = body;
    for _ in 1..count {
        let (left, right) = rest.split_horizontally(width / count);
        areas.push(left);
        rest = right;
    }
    areas.push(rest);
    for (panel, area) in s.panels.iter().zip(&areas) {
        paint_share_panel(area, panel)?;
    }
    Ok(())
}

fn paint_share_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &SharePanel,
) -> Result<(), ReportError> {
    let n = panel.bars.len().max(1);
    // Index 0 is at the bottom of the axis; the first bar goes on top.
    let row_of = |i: usize| (n - 1 - i) as i32;
    let name_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(r) if *r >= 0 && (*r as usize) < n => panel
            .bars
            .get(n - 1 - *r as usize)
            .map(|(label, _)| elide_end(label, 14, 110))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, (FAMILY, 17))
        .margin(16)
        // The last x label is centred on the axis' end.
        .margin_right(RIGHT_MARGIN)
        .x_label_area_size(36)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..100f64, (0..n as i32 - 1).into_segmented())
        .map_err(chart_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(6)
        .x_label_formatter(&|v| format!("{}%", axis_number(*v)))
        .y_labels(n)
        .y_label_formatter(&name_of)
        .label_style((FAMILY, 14))
        .draw()
        .map_err(chart_err)?;
    chart
        .draw_series(panel.bars.iter().enumerate().filter_map(|(i, (_, p))| {
            let p = (*p)?;
            let row = row_of(i);
            let top = if row + 1 < n as i32 {
                SegmentValue::Exact(row + 1)
            } else {
                SegmentValue::Last
            };
            let mut bar = Rectangle::new(
                [(0.0, SegmentValue::Exact(row)), (p.clamp(0.0, 100.0), top)],
                panel.color.filled(),
            );
            bar.set_margin(5, 5, 0, 0);
            Some(bar)
        }))
        .map_err(chart_err)?;
    let text_style = TextStyle::from((FAMILY, 14).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    chart
        .draw_series(panel.bars.iter().enumerate().map(|(i, (_, p))| {
            let (x, text) = match p {
                Some(p) => (p.clamp(0.0, 100.0) + 1.0, format!("{p:.2}%")),
                None => (1.0, "—".to_string()),
            };
            Text::new(
                text,
                (x, SegmentValue::CenterOf(row_of(i))),
                text_style.clone(),
            )
        }))
        .map_err(chart_err)?;
    Ok(())
}

/// The top of row `row` of a segmented axis of `n` rows.
fn row_top(row: i32, n: usize) -> SegmentValue<i32> {
    if row + 1 < n as i32 {
        SegmentValue::Exact(row + 1)
    } else {
        SegmentValue::Last
    }
}

/// The right end of the price axis: the highest price, but at most
/// [`PRICE_AXIS_MEDIANS`] medians (far higher prices are drawn at the edge
/// and their labels say so), and at least past the band.
fn price_edge(rows: &[(String, f64, RGBColor)], median: f64) -> f64 {
    let highest = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    let edge = highest.min(median * PRICE_AXIS_MEDIANS).max(median * 1.3);
    if edge > 0.0 {
        edge
    } else if highest > 0.0 {
        highest
    } else {
        1.0
    }
}

fn paint_prices<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Prices,
) -> Result<(), ReportError> {
    let body = draw_title(root, &p.title)?;
    let body = draw_legend(&body, &p.legend)?;
    let n = p.rows.len().max(1);
    let row_of = |i: usize| (n - 1 - i) as i32;
    let edge = price_edge(&p.rows, p.median);
    let x_max = edge * 1.22;
    const LABEL_SIZE: u32 = 14;
    let label_w = label_area(p.rows.iter().map(|r| r.0.clone()), LABEL_SIZE, 80, 220);
    let name_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(r) if *r >= 0 && (*r as usize) < n => p
            .rows
            .get(n - 1 - *r as usize)
            .map(|row| elide_end(&row.0, LABEL_SIZE, label_w - 16))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .margin_right(RIGHT_MARGIN)
        .x_label_area_size(48)
        .y_label_area_size(label_w)
        .build_cartesian_2d(0f64..x_max, (0..n as i32 - 1).into_segmented())
        .map_err(chart_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(7)
        .x_label_formatter(&|v| axis_grouped(*v))
        .y_labels(n)
        .y_label_formatter(&name_of)
        .x_desc(p.x_desc.as_str())
        .label_style((FAMILY, LABEL_SIZE))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(chart_err)?;
    let (low, high) = (p.median * 0.8, p.median * 1.2);
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [(low, SegmentValue::Exact(0)), (high, SegmentValue::Last)],
            BAND_FILL.filled(),
        )))
        .map_err(chart_err)?;
    for (x, width) in [(low, 1), (p.median, 2), (high, 1)] {
        chart
            .draw_series(LineSeries::new(
                [(x, SegmentValue::Exact(0)), (x, SegmentValue::Last)],
                LINE.stroke_width(width),
            ))
            .map_err(chart_err)?;
    }
    // Lollipops: a thin line from 0 and a dot at the price.
    chart
        .draw_series(p.rows.iter().enumerate().map(|(i, (_, price, color))| {
            let y = SegmentValue::CenterOf(row_of(i));
            PathElement::new(
                vec![(0.0, y.clone()), (price.min(edge), y)],
                color.stroke_width(2),
            )
        }))
        .map_err(chart_err)?;
    chart
        .draw_series(p.rows.iter().enumerate().map(|(i, (_, price, color))| {
            Circle::new(
                (price.min(edge), SegmentValue::CenterOf(row_of(i))),
                6,
                color.filled(),
            )
        }))
        .map_err(chart_err)?;
    let text_style = TextStyle::from((FAMILY, 13).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let nudge = x_max * 0.012;
    chart
        .draw_series(p.rows.iter().enumerate().map(|(i, (_, price, _))| {
            let text = if *price > edge {
                format!("{} →", grouped_2dp(*price))
            } else {
                grouped_2dp(*price)
            };
            Text::new(
                text,
                (price.min(edge) + nudge, SegmentValue::CenterOf(row_of(i))),
                text_style.clone(),
            )
        }))
        .map_err(chart_err)?;
    Ok(())
}

fn paint_season<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Season,
) -> Result<(), ReportError> {
    let body = draw_title(root, &s.title)?;
    let body = draw_legend(&body, &s.legend)?;
    let even = 100.0 / 12.0;
    let threshold = even * 1.25;
    let top = s.shares.iter().cloned().fold(threshold, f64::max);
    let y_max = top * 1.15;
    let n = s.shares.len().max(1) as i32;
    let label_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) if *i >= 0 && (*i as usize) < s.month_labels.len() => {
            s.month_labels[*i as usize].clone()
        }
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(72)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..y_max)
        .map_err(chart_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(n as usize)
        .x_label_formatter(&label_of)
        .y_labels(8)
        .y_label_formatter(&|v| format!("{}%", axis_number(*v)))
        .y_desc(s.y_desc.as_str())
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(chart_err)?;
    let segment = |i: usize| SegmentValue::Exact(i as i32);
    chart
        .draw_series(s.shares.iter().enumerate().map(|(i, &v)| {
            let right = if i + 1 < s.shares.len() {
                segment(i + 1)
            } else {
                SegmentValue::Last
            };
            let color = if s.peaks[i] { BLOC_BAR } else { BAR };
            let mut bar = Rectangle::new([(segment(i), 0.0), (right, v)], color.filled());
            bar.set_margin(0, 0, 8, 8);
            bar
        }))
        .map_err(chart_err)?;
    let across = |y: f64| [(segment(0), y), (SegmentValue::Last, y)];
    chart
        .draw_series(DashedLineSeries::new(
            across(threshold),
            6,
            5,
            BLOC_BAR.stroke_width(1),
        ))
        .map_err(chart_err)?;
    chart
        .draw_series(LineSeries::new(across(even), LINE.stroke_width(2)))
        .map_err(chart_err)?;
    let over_bar = TextStyle::from((FAMILY, 13).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    chart
        .draw_series(s.shares.iter().enumerate().map(|(i, &v)| {
            Text::new(
                format!("{v:.2}%"),
                (SegmentValue::CenterOf(i as i32), v + y_max * 0.01),
                over_bar.clone(),
            )
        }))
        .map_err(chart_err)?;
    Ok(())
}

fn paint_chapter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Chapter,
) -> Result<(), ReportError> {
    let body = draw_title(root, &c.title)?;
    let body = draw_legend(&body, &c.legend)?;
    let n = c.rows.len().max(1);
    let row_of = |i: usize| (n - 1 - i) as i32;
    let top = c.rows.iter().filter_map(|r| r.1).fold(0.0, f64::max);
    let x_max = if top > 0.0 {
        (top * 1.18).min(100.0).max(top + 2.0)
    } else {
        1.0
    };
    const LABEL_SIZE: u32 = 14;
    let label_w = label_area(c.rows.iter().map(|r| r.0.clone()), LABEL_SIZE, 60, 380);
    let name_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(r) if *r >= 0 && (*r as usize) < n => c
            .rows
            .get(n - 1 - *r as usize)
            .map(|row| elide_end(&row.0, LABEL_SIZE, label_w - 16))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .margin_right(RIGHT_MARGIN)
        .x_label_area_size(48)
        .y_label_area_size(label_w)
        .build_cartesian_2d(0f64..x_max, (0..n as i32 - 1).into_segmented())
        .map_err(chart_err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(7)
        .x_label_formatter(&|v| format!("{}%", axis_number(*v)))
        .y_labels(n)
        .y_label_formatter(&name_of)
        .x_desc(c.x_desc.as_str())
        .label_style((FAMILY, LABEL_SIZE))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(chart_err)?;
    chart
        .draw_series(
            c.rows
                .iter()
                .enumerate()
                .filter_map(|(i, (_, share, is_self))| {
                    let share = (*share)?;
                    let row = row_of(i);
                    let color = if *is_self { BLOC_BAR } else { BAR };
                    let mut bar = Rectangle::new(
                        [
                            (0.0, SegmentValue::Exact(row)),
                            (share.clamp(0.0, x_max), row_top(row, n)),
                        ],
                        color.filled(),
                    );
                    bar.set_margin(3, 3, 0, 0);
                    Some(bar)
                }),
        )
        .map_err(chart_err)?;
    let text_style = TextStyle::from((FAMILY, 13).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let nudge = x_max * 0.008;
    chart
        .draw_series(c.rows.iter().enumerate().map(|(i, (_, share, _))| {
            let (x, text) = match share {
                Some(s) => (s.clamp(0.0, x_max) + nudge, format!("{s:.2}%")),
                None => (nudge, "—".to_string()),
            };
            Text::new(
                text,
                (x, SegmentValue::CenterOf(row_of(i))),
                text_style.clone(),
            )
        }))
        .map_err(chart_err)?;
    Ok(())
}

// --- reading the answers ---------------------------------------------------

fn str_field<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str)
}

/// A month field: a `YYYYMM` string, or the number the dashboard sends
/// (`currentMonth: 202412`, contract section 4.5).
fn month_field(data: &Value, key: &str) -> Option<String> {
    match data.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_u64().map(|m| m.to_string()),
        _ => None,
    }
}

/// `202411` -> `2024-11`.
fn month_label(yyyymm: &str) -> String {
    if yyyymm.len() == 6 && yyyymm.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &yyyymm[..4], &yyyymm[4..])
    } else {
        yyyymm.to_string()
    }
}

/// The name of calendar month `m` (1-12).
fn month_name(m: usize, lang: Lang) -> String {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match lang {
        Lang::Zh => format!("{m}月"),
        Lang::En => EN.get(m.wrapping_sub(1)).unwrap_or(&"?").to_string(),
    }
}

/// A unit for amounts so that the largest shows as at least 1.
fn amount_unit(max: f64, lang: Lang) -> (f64, &'static str) {
    let units: &[(f64, &str)] = match lang {
        Lang::Zh => &[(1e8, "亿元"), (1e4, "万元"), (1.0, "元")],
        Lang::En => &[
            (1e9, "CNY billion"),
            (1e6, "CNY million"),
            (1e3, "CNY thousand"),
            (1.0, "CNY"),
        ],
    };
    units
        .iter()
        .copied()
        .find(|(div, _)| max >= *div)
        .unwrap_or(units[units.len() - 1])
}

/// An amount with its unit, for titles: `2,794.63亿元`, `CNY 279.46 billion`.
fn amount_text(amount: f64, lang: Lang) -> String {
    let (div, unit) = amount_unit(amount.abs(), lang);
    let number = grouped_2dp(amount / div);
    match lang {
        Lang::Zh => format!("{number}{unit}"),
        Lang::En => match unit.strip_prefix("CNY") {
            Some(rest) => format!("CNY {number}{rest}"),
            None => format!("{number} {unit}"),
        },
    }
}

fn ascii(text: &str) -> Option<String> {
    text.is_ascii().then(|| text.to_string())
}

/// The English name of a quantity unit of the customs tables, for PNG
/// charts; `unit` for one not listed.
fn unit_en(zh: &str) -> &'static str {
    const UNITS: &[(&str, &str)] = &[
        ("千克", "kg"),
        ("克", "g"),
        ("台", "unit"),
        ("个", "piece"),
        ("件", "piece"),
        ("只", "piece"),
        ("条", "piece"),
        ("把", "piece"),
        ("支", "piece"),
        ("片", "piece"),
        ("块", "piece"),
        ("根", "piece"),
        ("幅", "piece"),
        ("枝", "stem"),
        ("株", "plant"),
        ("头", "head"),
        ("米", "m"),
        ("平方米", "m²"),
        ("立方米", "m³"),
        ("升", "litre"),
        ("千升", "kl"),
        ("辆", "vehicle"),
        ("艘", "vessel"),
        ("架", "aircraft"),
        ("套", "set"),
        ("副", "set"),
        ("座", "unit"),
        ("双", "pair"),
        ("张", "sheet"),
        ("盘", "reel"),
        ("克拉", "carat"),
        ("千个", "1,000 pieces"),
        ("千支", "1,000 pieces"),
        ("千块", "1,000 pieces"),
        ("百个", "100 pieces"),
        ("百支", "100 pieces"),
        ("千瓦时", "kWh"),
        ("百万贝可", "MBq"),
    ];
    UNITS
        .iter()
        .find(|(z, _)| *z == zh)
        .map(|(_, en)| *en)
        .unwrap_or("unit")
}

/// The product's name in a language, from the answer or the reference table.
fn product_name(hs: &str, from_answer: Option<&str>, lang: Lang) -> Option<String> {
    let reference = || {
        let code = HsCode::parse(hs).filter(|_| hs.len() == 8)?;
        Reference::get().products.get(&code)
    };
    let name = match lang {
        Lang::Zh => from_answer
            .map(str::to_string)
            .or_else(|| reference().map(|p| p.name_zh.clone())),
        Lang::En => reference()
            .map(|p| p.name_en.clone())
            .or_else(|| from_answer.and_then(ascii)),
    }?;
    (!name.is_empty()).then_some(name)
}

/// A destination's name in a language: from the answer (`countryName`,
/// `countryNameEn`) or the reference table.
fn country_name(item: &Value, lang: Lang) -> Option<String> {
    let code = str_field(item, "countryCode").unwrap_or("");
    let name = match lang {
        Lang::Zh => str_field(item, "countryName").map(str::to_string),
        Lang::En => str_field(item, "countryNameEn")
            .filter(|n| !n.is_empty())
            .and_then(ascii)
            .or_else(|| {
                PartnerCode::parse(code)
                    .and_then(|c| Reference::get().countries.get(&c))
                    .map(|c| c.name_en.clone())
                    .filter(|n| !n.is_empty())
            })
            .or_else(|| str_field(item, "countryName").and_then(ascii)),
    }?;
    (!name.is_empty()).then_some(name)
}

/// The title of a product's chart: code and name, then what it shows.
fn product_title(data: &Value, lang: Lang, after_name: String, what: String) -> Title {
    let hs = str_field(data, "hsCode").unwrap_or("?");
    let name = product_name(hs, str_field(data, "productName"), lang);
    match lang {
        Lang::Zh => Title {
            code: hs.to_string(),
            name,
            after_name,
            sep: " ",
            what,
        },
        Lang::En => Title {
            code: format!("HS {hs}"),
            name,
            after_name,
            sep: ": ",
            what,
        },
    }
}

fn monthly(
    endpoint: Endpoint,
    data: &Value,
    key: &str,
    bars: bool,
    lang: Lang,
) -> Result<Monthly, ReportError> {
    let items = data
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| shape_err(endpoint, format!("`data.{key}` should be a list")))?;
    let mut points = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let month = month_field(item, "month");
        let amount = item.get("amount").and_then(Value::as_f64);
        match (month, amount) {
            (Some(m), Some(a)) => points.push((m, a)),
            _ => {
                return Err(shape_err(
                    endpoint,
                    format!("`data.{key}[{i}]` should have a string `month` and a number `amount`"),
                ))
            }
        }
    }
    if points.is_empty() {
        return Err(shape_err(endpoint, format!("`data.{key}` is empty")));
    }
    // Oldest first (history lists the newest first).
    points.sort_by(|a, b| a.0.cmp(&b.0));
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let (div, unit) = amount_unit(max, lang);

    let code = str_field(data, "countryCode").unwrap_or("?");
    let country = country_name(data, lang);
    let first = month_label(&points[0].0);
    let last = month_label(&points[points.len() - 1].0);
    let n = points.len();
    let (after_name, what) = match lang {
        Lang::Zh => (
            format!(" → {}（{code}）", country.unwrap_or_default()),
            format!("出口额，{first} 至 {last}（{n}个月）"),
        ),
        Lang::En => (
            format!(
                " -> {} ({code})",
                country.unwrap_or_else(|| "partner".into())
            ),
            format!("exports by month, {first} to {last}"),
        ),
    };
    let (x_desc, y_desc) = match lang {
        Lang::Zh => ("月份".to_string(), format!("出口额（{unit}）")),
        Lang::En => ("Month".to_string(), format!("Exports ({unit})")),
    };
    Ok(Monthly {
        title: product_title(data, lang, after_name, what),
        x_desc,
        y_desc,
        labels: points.iter().map(|p| month_label(&p.0)).collect(),
        values: points.iter().map(|p| p.1 / div).collect(),
        bars,
    })
}

fn region_label(key: &str, lang: Lang) -> String {
    let region = Region::ALL.into_iter().find(|r| r.api_key() == key);
    match (region, lang) {
        (Some(r), Lang::Zh) => r.name_zh().to_string(),
        (Some(r), Lang::En) => r.name_en().to_string(),
        (None, _) => key.to_string(),
    }
}

fn share_bars(
    endpoint: Endpoint,
    data: &Value,
    key: &str,
    lang: Lang,
) -> Result<Vec<(String, Option<f64>)>, ReportError> {
    let map = data
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| shape_err(endpoint, format!("`data.{key}` should be an object")))?;
    Ok(map
        .iter()
        .filter_map(|(k, v)| {
            let region = k.strip_suffix("Percent")?;
            Some((region_label(region, lang), v.as_f64()))
        })
        .collect())
}

fn shares(endpoint: Endpoint, data: &Value, lang: Lang) -> Result<Shares, ReportError> {
    let month = month_label(&month_field(data, "currentMonth").unwrap_or_else(|| "?".into()));
    let total = data.get("recent12mGlobalTotal").and_then(Value::as_f64);
    let what = match lang {
        Lang::Zh => format!(
            "近12个月出口额的地区占比（截至 {month}{}）",
            total
                .map(|t| format!("，合计 {}", amount_text(t, lang)))
                .unwrap_or_default()
        ),
        Lang::En => format!(
            "shares of exports, 12 months to {month}{}",
            total
                .map(|t| format!(" (total {})", amount_text(t, lang)))
                .unwrap_or_default()
        ),
    };
    let (continents, blocs) = match lang {
        Lang::Zh => ("各大洲", "贸易区（可重叠）"),
        Lang::En => ("Continents", "Trade blocs (may overlap)"),
    };
    Ok(Shares {
        title: product_title(data, lang, String::new(), what),
        panels: vec![
            SharePanel {
                caption: continents.to_string(),
                color: BAR,
                bars: share_bars(endpoint, data, "regionBreakdown", lang)?,
            },
            SharePanel {
                caption: blocs.to_string(),
                color: BLOC_BAR,
                bars: share_bars(endpoint, data, "tradeBlocBreakdown", lang)?,
            },
        ],
    })
}

fn prices(endpoint: Endpoint, data: &Value, lang: Lang) -> Result<Prices, ReportError> {
    let markets = data
        .get("markets")
        .and_then(Value::as_array)
        .ok_or_else(|| shape_err(endpoint, "`data.markets` should be a list"))?;
    let unit_of = |n: u8| data.get(format!("unit{n}")).filter(|u| u.is_object());
    let priced = |n: u8| {
        let key = format!("price{n}");
        let median = unit_of(n)
            .and_then(|u| u.get("median"))
            .and_then(Value::as_f64);
        median.is_some()
            && markets
                .iter()
                .any(|m| m.get(&key).is_some_and(Value::is_number))
    };
    // The first unit; the second when only it has prices.
    let Some(n) = [1u8, 2].into_iter().find(|n| priced(*n)) else {
        // The API's reason says why (it names the missing band).
        let reason = unit_of(1)
            .and_then(|u| str_field(u, "reason"))
            .map(str::to_string)
            .unwrap_or_else(|| "no destination has a price in either unit".into());
        return Err(nothing_err(endpoint, reason));
    };
    let unit = unit_of(n).cloned().unwrap_or(Value::Null);
    let median = unit.get("median").and_then(Value::as_f64).unwrap_or(0.0);
    let unit_zh = str_field(&unit, "unit").unwrap_or("");
    let (price_key, band_key) = (format!("price{n}"), format!("band{n}"));
    let mut rows: Vec<(String, f64, RGBColor)> = markets
        .iter()
        .filter_map(|m| {
            let price = m.get(&price_key)?.as_f64()?;
            let color = match str_field(m, &band_key) {
                Some("premium") => PREMIUM,
                Some("mid") => MID,
                Some("value") => VALUE,
                _ => NO_BAND,
            };
            let name = country_name(m, lang)
                .unwrap_or_else(|| str_field(m, "countryCode").unwrap_or("?").to_string());
            Some((name, price, color))
        })
        .take(MAX_PRICE_ROWS)
        .collect();
    // Highest price on top (a stable sort keeps the answer's order on ties).
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let priced_count = unit
        .get("pricedMarkets")
        .and_then(Value::as_u64)
        .unwrap_or(rows.len() as u64);
    let count = |key: &str| unit.get(key).and_then(Value::as_u64).unwrap_or(0);
    let month = month_label(&month_field(data, "currentMonth").unwrap_or_else(|| "?".into()));
    let unit_text = match lang {
        Lang::Zh if unit_zh.is_empty() => "单位".to_string(),
        Lang::Zh => unit_zh.to_string(),
        Lang::En => unit_en(unit_zh).to_string(),
    };
    let median_text = grouped_2dp(median);
    let which = match (n, lang) {
        (1, _) => String::new(),
        (_, Lang::Zh) => "（第二单位）".to_string(),
        (_, Lang::En) => " (second unit)".to_string(),
    };
    let shown = rows.len() as u64;
    let capped = rows.iter().any(|r| r.1 > price_edge(&rows, median));
    let what = match lang {
        Lang::Zh => format!(
            "各目的地近12个月单价{which}（元/{unit_text}，截至 {month}）：中位数 {median_text}，高端 {} · 中端 {} · 性价比 {}{}",
            count("premiumCount"),
            count("midCount"),
            count("valueCount"),
            if shown < priced_count {
                format!("（图示最大的 {shown} 个，共 {priced_count} 个）")
            } else {
                String::new()
            }
        ),
        Lang::En => format!(
            "unit value by destination{which}, 12 months to {month}, CNY per {unit_text}: median {median_text}; premium {}, mid {}, value {}{}",
            count("premiumCount"),
            count("midCount"),
            count("valueCount"),
            if shown < priced_count {
                format!(" (largest {shown} of {priced_count} shown)")
            } else {
                String::new()
            }
        ),
    };
    let (legend, x_desc) = match lang {
        Lang::Zh => {
            (
                vec![
                    (
                        Swatch::Fill(PREMIUM),
                        "高端（高于中位数的 1.2 倍）".to_string(),
                    ),
                    (Swatch::Fill(MID), "中端".to_string()),
                    (
                        Swatch::Fill(VALUE),
                        "性价比（低于中位数的 0.8 倍）".to_string(),
                    ),
                    (Swatch::Line(LINE, false), format!("中位数 {median_text}")),
                    (
                        Swatch::Fill(BAND_FILL),
                        "中位数的 0.8 至 1.2 倍".to_string(),
                    ),
                ],
                if capped {
                    format!("单价（元/{unit_text}；高于中位数 {PRICE_AXIS_MEDIANS} 倍的画在右端，标 →）")
                } else {
                    format!("单价（元/{unit_text}）")
                },
            )
        }
        Lang::En => (
            vec![
                (
                    Swatch::Fill(PREMIUM),
                    "premium (above 1.2 x median)".to_string(),
                ),
                (Swatch::Fill(MID), "mid".to_string()),
                (
                    Swatch::Fill(VALUE),
                    "value (below 0.8 x median)".to_string(),
                ),
                (Swatch::Line(LINE, false), format!("median {median_text}")),
                (Swatch::Fill(BAND_FILL), "0.8 to 1.2 x median".to_string()),
            ],
            if capped {
                format!("CNY per {unit_text} (prices above {PRICE_AXIS_MEDIANS} x median are drawn at the edge, marked →)")
            } else {
                format!("CNY per {unit_text}")
            },
        ),
    };
    Ok(Prices {
        title: product_title(data, lang, String::new(), what),
        legend,
        x_desc,
        median,
        rows,
    })
}

fn season(endpoint: Endpoint, data: &Value, lang: Lang) -> Result<Season, ReportError> {
    let month = month_label(&month_field(data, "currentMonth").unwrap_or_else(|| "?".into()));
    let shares: Vec<f64> = match data.get("monthShare") {
        Some(Value::Array(items)) if items.len() == 12 => items
            .iter()
            .map(|v| v.as_f64())
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| shape_err(endpoint, "`data.monthShare` should be 12 numbers"))?,
        Some(Value::Null) => {
            return Err(nothing_err(
                endpoint,
                format!("no complete calendar year of exports up to {month} (monthShare is null)"),
            ))
        }
        _ => {
            return Err(shape_err(
                endpoint,
                "`data.monthShare` should be a list of 12 numbers",
            ))
        }
    };
    let peak_months: Vec<usize> = data
        .get("peakMonths")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .map(|m| m as usize)
                .collect()
        })
        .unwrap_or_default();
    let peaks = (1..=12).map(|m| peak_months.contains(&m)).collect();
    let years: Vec<String> = data
        .get("yearsUsed")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|y| y.as_u64().map(|y| y.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let years = match (years.first(), years.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}-{b}"),
        (Some(a), _) => a.clone(),
        _ => "?".into(),
    };
    let strength = data.get("seasonalityStrength").and_then(Value::as_f64);
    let peak_names: Vec<String> = peak_months.iter().map(|m| month_name(*m, lang)).collect();
    let after_name = match str_field(data, "countryCode") {
        Some(code) => {
            let country = country_name(data, lang).unwrap_or_default();
            match lang {
                Lang::Zh => format!(" → {country}（{code}）"),
                Lang::En => format!(" -> {country} ({code})"),
            }
        }
        None => String::new(),
    };
    let what = match lang {
        Lang::Zh => format!(
            "各月出口额占全年的比例（{years} 年，截至 {month}）：旺季 {}{}",
            if peak_names.is_empty() {
                "无".to_string()
            } else {
                peak_names.join("、")
            },
            strength
                .map(|s| format!("，季节性强度 {s:.2}%"))
                .unwrap_or_default()
        ),
        Lang::En => format!(
            "share of each calendar month, {years} (to {month}): peak months {}{}",
            if peak_names.is_empty() {
                "none".to_string()
            } else {
                peak_names.join(", ")
            },
            strength
                .map(|s| format!("; seasonality strength {s:.2}%"))
                .unwrap_or_default()
        ),
    };
    let even = 100.0 / 12.0;
    let (legend, y_desc) = match lang {
        Lang::Zh => (
            vec![
                (Swatch::Fill(BLOC_BAR), "旺季".to_string()),
                (Swatch::Fill(BAR), "其他月份".to_string()),
                (
                    Swatch::Line(LINE, false),
                    format!("平均占比 {even:.2}%（1/12）"),
                ),
                (
                    Swatch::Line(BLOC_BAR, true),
                    format!("旺季线 {:.2}%（平均占比的 1.25 倍）", even * 1.25),
                ),
            ],
            "占全年出口额".to_string(),
        ),
        Lang::En => (
            vec![
                (Swatch::Fill(BLOC_BAR), "peak month".to_string()),
                (Swatch::Fill(BAR), "other month".to_string()),
                (
                    Swatch::Line(LINE, false),
                    format!("even share {even:.2}% (1/12)"),
                ),
                (
                    Swatch::Line(BLOC_BAR, true),
                    format!("peak threshold {:.2}% (1.25 x even)", even * 1.25),
                ),
            ],
            "Share of the year's exports".to_string(),
        ),
    };
    Ok(Season {
        title: product_title(data, lang, after_name, what),
        legend,
        y_desc,
        month_labels: (1..=12).map(|m| month_name(m, lang)).collect(),
        shares,
        peaks,
    })
}

fn chapter(endpoint: Endpoint, data: &Value, lang: Lang) -> Result<Chapter, ReportError> {
    let headings = data
        .get("headings")
        .and_then(Value::as_array)
        .ok_or_else(|| shape_err(endpoint, "`data.headings` should be a list"))?;
    if headings.is_empty() {
        return Err(nothing_err(endpoint, "the answer lists no headings"));
    }
    let self_heading = str_field(data, "selfHeading");
    let label = |h: &Value, with_rank: bool| {
        let code = str_field(h, "hsCode").unwrap_or("?");
        let name = match lang {
            Lang::Zh => str_field(h, "productName").map(str::to_string),
            Lang::En => str_field(h, "productName").and_then(ascii),
        };
        let rank = h
            .get("rank")
            .and_then(Value::as_u64)
            .filter(|_| with_rank)
            .map(|r| format!("#{r} "))
            .unwrap_or_default();
        match name {
            Some(n) if !n.is_empty() => format!("{rank}{code} {n}"),
            _ => format!("{rank}{code}"),
        }
    };
    let is_self = |h: &Value| {
        h.get("isSelf").and_then(Value::as_bool).unwrap_or(false)
            || (self_heading.is_some() && str_field(h, "hsCode") == self_heading)
    };
    let share = |h: &Value| h.get("share").and_then(Value::as_f64);
    let mut rows: Vec<(String, Option<f64>, bool)> = headings
        .iter()
        .take(MAX_HEADING_ROWS)
        .map(|h| (label(h, false), share(h), is_self(h)))
        .collect();
    // The queried heading is always shown: in the last row, with its rank,
    // when it ranks below the rows shown.
    if !rows.iter().any(|r| r.2) {
        if let Some(h) = headings.iter().skip(MAX_HEADING_ROWS).find(|h| is_self(h)) {
            rows.pop();
            rows.push((label(h, true), share(h), true));
        }
    }
    let chapter = str_field(data, "chapter")
        .map(str::to_string)
        .or_else(|| str_field(data, "hsCode").map(|c| c.chars().take(2).collect()))
        .unwrap_or_else(|| "?".into());
    let chapter_name = match lang {
        Lang::Zh => str_field(data, "chapterName").map(str::to_string),
        Lang::En => str_field(data, "chapterName").and_then(ascii),
    }
    .filter(|n| !n.is_empty());
    let month = month_label(&month_field(data, "currentMonth").unwrap_or_else(|| "?".into()));
    let total = data.get("chapterTotal").and_then(Value::as_f64);
    let count = data
        .get("headingCount")
        .and_then(Value::as_u64)
        .unwrap_or(headings.len() as u64);
    let rank = data.get("selfRank").and_then(Value::as_u64);
    let shown = rows.len() as u64;
    let what = match lang {
        Lang::Zh => format!(
            "各品目（4位）占本章近12个月出口额的比例（截至 {month}{}）{}{}",
            total
                .map(|t| format!("，本章合计 {}", amount_text(t, lang)))
                .unwrap_or_default(),
            match (self_heading, rank) {
                (Some(h), Some(r)) => format!("：{h} 排第 {r} / {count}"),
                _ => format!("：共 {count} 个品目"),
            },
            if shown < count {
                format!("（图示 {shown} 个）")
            } else {
                String::new()
            }
        ),
        Lang::En => format!(
            "headings' shares of the chapter's exports, 12 months to {month}{}{}{}",
            total
                .map(|t| format!(" (total {})", amount_text(t, lang)))
                .unwrap_or_default(),
            match (self_heading, rank) {
                (Some(h), Some(r)) => format!("; {h} ranks {r} of {count}"),
                _ => format!("; {count} headings"),
            },
            if shown < count {
                format!(", {shown} shown")
            } else {
                String::new()
            }
        ),
    };
    let (code, sep, legend, x_desc) = match lang {
        Lang::Zh => (
            format!("第 {chapter} 章"),
            " ",
            vec![
                (Swatch::Fill(BLOC_BAR), "所查商品的品目".to_string()),
                (Swatch::Fill(BAR), "本章其他品目".to_string()),
            ],
            "占本章出口额".to_string(),
        ),
        Lang::En => (
            format!("HS chapter {chapter}"),
            ": ",
            vec![
                (
                    Swatch::Fill(BLOC_BAR),
                    "heading of the queried code".to_string(),
                ),
                (
                    Swatch::Fill(BAR),
                    "other headings of the chapter".to_string(),
                ),
            ],
            "Share of the chapter's exports".to_string(),
        ),
    };
    Ok(Chapter {
        title: Title {
            code,
            name: chapter_name,
            after_name: String::new(),
            sep,
            what,
        },
        legend,
        x_desc,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_numbers() {
        assert_eq!(amount_text(279462943768.0, Lang::Zh), "2,794.63亿元");
        assert_eq!(amount_text(279462943768.0, Lang::En), "CNY 279.46 billion");
        assert_eq!(amount_text(385071.0, Lang::Zh), "38.51万元");
        assert_eq!(amount_text(12.0, Lang::En), "CNY 12.00");
        assert_eq!(axis_number(1.50), "1.5");
        assert_eq!(axis_number(20.0), "20");
        assert_eq!(axis_grouped(12000.0), "12,000");
        assert_eq!(grouped_2dp(12500.6875), "12,500.69");
        assert_eq!(month_label("202411"), "2024-11");
        assert_eq!(month_name(12, Lang::En), "Dec");
        assert_eq!(month_name(3, Lang::Zh), "3月");
    }

    #[test]
    fn months_are_strings_or_numbers() {
        let data = serde_json::json!({"a": 202412, "b": "202506", "c": null});
        assert_eq!(month_field(&data, "a").as_deref(), Some("202412"));
        assert_eq!(month_field(&data, "b").as_deref(), Some("202506"));
        assert_eq!(month_field(&data, "c"), None);
    }

    #[test]
    fn titles_fit_and_keep_their_ends() {
        register_font().unwrap();
        let title = Title {
            code: "HS 84853020".into(),
            name: Some("Machines for additive manufacturing by plaster, cement or ceramics deposit, and a good deal more words".into()),
            after_name: String::new(),
            sep: ": ",
            what: "shares of exports, 12 months to 2024-12 (total CNY 1.23 billion)".into(),
        };
        let max = 1100 - 2 * SIDE_MARGIN;
        let (lines, size) = fit_title(&title, max);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines.iter().all(|l| text_width(l, size) <= max),
            "{lines:?}"
        );
        assert!(lines[0].starts_with("HS 84853020 Machines"), "{lines:?}");
        assert!(lines[0].contains('…') && lines[0].ends_with("more words"));
        assert_eq!(lines[1], title.what);
        // A short one stays on one line at full size.
        let short = Title {
            name: Some("Soya beans".into()),
            ..title
        };
        let (lines, size) = fit_title(&short, max);
        assert_eq!(lines.len(), 1);
        assert_eq!(size, TITLE_SIZE);
        // Wide characters count one em each.
        assert_eq!(text_width("中国", 31), 50);
    }
}
