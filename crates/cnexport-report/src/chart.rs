//! Charts of trend, history and dashboard answers, as SVG or PNG.
//!
//! SVG text is written as text (the viewer's fonts draw the Chinese); PNG
//! text is drawn with an embedded subset of DejaVu Sans, which has no CJK
//! glyphs, so PNG charts are labelled in English and codes.

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

/// DejaVu Sans cut to Latin-1 (see `fonts/LICENSE`).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");
const FAMILY: &str = "sans-serif";

const MONTHLY_SIZE: (u32, u32) = (1100, 560);
const SHARES_SIZE: (u32, u32) = (1100, 520);

const BAR: RGBColor = RGBColor(31, 119, 180);
const BLOC_BAR: RGBColor = RGBColor(255, 127, 14);
const GRID: RGBColor = RGBColor(225, 225, 225);

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
}

struct Monthly {
    title: String,
    x_desc: String,
    y_desc: String,
    /// Oldest first.
    labels: Vec<String>,
    values: Vec<f64>,
    bars: bool,
}

struct Shares {
    title: String,
    panels: Vec<SharePanel>,
}

struct SharePanel {
    caption: String,
    color: RGBColor,
    /// (label, percent), top to bottom.
    bars: Vec<(String, Option<f64>)>,
}

/// Charts exist for trend, history and dashboard.
pub fn has_chart(endpoint: Endpoint) -> bool {
    matches!(
        endpoint,
        Endpoint::Trend | Endpoint::History | Endpoint::Dashboard
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
        _ => {
            return Err(ReportError::NoChart {
                path: endpoint.path().to_string(),
            })
        }
    };
    register_font()?;
    let size = match spec {
        Spec::Monthly(_) => MONTHLY_SIZE,
        Spec::Shares(_) => SHARES_SIZE,
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
    }
}

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

fn paint_monthly<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Monthly,
) -> Result<(), ReportError> {
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
    let mut chart = ChartBuilder::on(root)
        .caption(&m.title, (FAMILY, 22))
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
    let body = root.titled(&s.title, (FAMILY, 22)).map_err(chart_err)?;
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
            .map(|(label, _)| label.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, (FAMILY, 17))
        .margin(16)
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

// --- reading the answers ---------------------------------------------------

fn str_field<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key).and_then(Value::as_str)
}

/// `202411` -> `2024-11`.
fn month_label(yyyymm: &str) -> String {
    if yyyymm.len() == 6 && yyyymm.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &yyyymm[..4], &yyyymm[4..])
    } else {
        yyyymm.to_string()
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
    let scaled = format!("{:.2}", amount / div);
    let (int, frac) = scaled.split_once('.').unwrap_or((&scaled, "00"));
    let number = format!("{}.{frac}", group_thousands(int));
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

/// A name cut to `max` characters.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
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
    (!name.is_empty()).then(|| clip(&name, 40))
}

fn country_name(code: &str, from_answer: Option<&str>, lang: Lang) -> Option<String> {
    let name = match lang {
        Lang::Zh => from_answer.map(str::to_string),
        Lang::En => PartnerCode::parse(code)
            .and_then(|c| Reference::get().countries.get(&c))
            .map(|c| c.name_en.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| from_answer.and_then(ascii)),
    }?;
    Some(clip(&name, 28))
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
        let month = str_field(item, "month");
        let amount = item.get("amount").and_then(Value::as_f64);
        match (month, amount) {
            (Some(m), Some(a)) => points.push((m.to_string(), a)),
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

    let hs = str_field(data, "hsCode").unwrap_or("?");
    let code = str_field(data, "countryCode").unwrap_or("?");
    let product = product_name(hs, str_field(data, "productName"), lang);
    let country = country_name(code, str_field(data, "countryName"), lang);
    let first = month_label(&points[0].0);
    let last = month_label(&points[points.len() - 1].0);
    let n = points.len();
    let title = match lang {
        Lang::Zh => format!(
            "{hs}{} → {}（{code}）出口额，{first} 至 {last}（{n}个月）",
            product.map(|p| format!(" {p}")).unwrap_or_default(),
            country.unwrap_or_default(),
        ),
        Lang::En => format!(
            "HS {hs}{} -> {} ({code}), {first} to {last}",
            product.map(|p| format!(" {p}")).unwrap_or_default(),
            country.unwrap_or_else(|| "partner".into()),
        ),
    };
    let (x_desc, y_desc) = match lang {
        Lang::Zh => ("月份".to_string(), format!("出口额（{unit}）")),
        Lang::En => ("Month".to_string(), format!("Exports ({unit})")),
    };
    Ok(Monthly {
        title,
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
    let hs = str_field(data, "hsCode").unwrap_or("?");
    let month = month_label(str_field(data, "currentMonth").unwrap_or("?"));
    let product = product_name(hs, str_field(data, "productName"), lang)
        .map(|p| format!(" {p}"))
        .unwrap_or_default();
    let total = data.get("recent12mGlobalTotal").and_then(Value::as_f64);
    let title = match lang {
        Lang::Zh => format!(
            "{hs}{product} 近12个月出口额的地区占比（截至 {month}{}）",
            total
                .map(|t| format!("，合计 {}", amount_text(t, lang)))
                .unwrap_or_default()
        ),
        Lang::En => format!(
            "HS {hs}{product}: shares of exports, 12 months to {month}{}",
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
        title,
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
        assert_eq!(month_label("202411"), "2024-11");
    }
}
