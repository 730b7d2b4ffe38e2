//! Encoding of a planned file into the platform's forms.

use crate::catalog::{CountryDef, ProductDef};
use crate::layout::{Dim, FilePlan, Form, Group, Row, REG_PLACES, TRADE_MODES};
use cnexport_core::{HsCode, PartnerCode};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
use std::collections::BTreeMap;

/// What a writer needs to name things.
pub struct Names<'a> {
    pub products: BTreeMap<HsCode, &'a ProductDef>,
    pub countries: BTreeMap<PartnerCode, &'a CountryDef>,
}

impl<'a> Names<'a> {
    pub fn new(products: &'a [ProductDef], countries: &'a [CountryDef]) -> Names<'a> {
        Names {
            products: products.iter().map(|p| (p.code, p)).collect(),
            countries: countries.iter().map(|c| (c.code, c)).collect(),
        }
    }

    /// The product name a file writes.
    pub fn product_name(&self, hs: HsCode, plan: &FilePlan) -> String {
        let p = self.products[&hs];
        if !plan.form.chinese() {
            return p.name_en.clone();
        }
        match (&p.old_name, plan.old_names) {
            (Some(old), true) => old.clone(),
            _ => p.name_zh.clone(),
        }
    }

    fn partner_name(&self, code: PartnerCode, chinese: bool) -> &str {
        let c = self.countries[&code];
        if chinese {
            &c.name_zh
        } else {
            &c.name_en
        }
    }
}

/// One column of a bulletin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Month,
    PartnerCode,
    PartnerName,
    HsCode,
    HsName,
    DimCode,
    DimName,
    Q1,
    Unit1,
    Q2,
    Unit2,
    Value,
}

/// The columns of a file, in order.
pub fn columns(plan: &FilePlan) -> Vec<Col> {
    let mut cols = Vec::new();
    for g in &plan.groups {
        match g {
            Group::Month => cols.push(Col::Month),
            Group::Partner => cols.extend([Col::PartnerCode, Col::PartnerName]),
            Group::Product => cols.extend([Col::HsCode, Col::HsName]),
            Group::Dim => cols.extend([Col::DimCode, Col::DimName]),
        }
    }
    cols.extend([Col::Q1, Col::Unit1, Col::Q2, Col::Unit2, Col::Value]);
    cols
}

pub fn header(col: Col, plan: &FilePlan) -> &'static str {
    let chinese = plan.form.chinese();
    let misspelt = plan.form == Form::EnCsvGb18030;
    match (col, chinese) {
        (Col::Month, true) => "数据年月",
        (Col::PartnerCode, true) => "贸易伙伴编码",
        (Col::PartnerName, true) => "贸易伙伴名称",
        (Col::HsCode, true) => "商品编码",
        (Col::HsName, true) => "商品名称",
        (Col::DimCode, true) => match plan.dim {
            Dim::TradeMode => "贸易方式编码",
            _ => "注册地编码",
        },
        (Col::DimName, true) => match plan.dim {
            Dim::TradeMode => "贸易方式名称",
            _ => "注册地名称",
        },
        (Col::Q1, true) => "第一数量",
        (Col::Unit1, true) => "第一计量单位",
        (Col::Q2, true) => "第二数量",
        (Col::Unit2, true) => "第二计量单位",
        (Col::Value, true) => "人民币",
        (Col::Month, false) => "Date of data",
        (Col::PartnerCode, false) => "Trading partner code",
        (Col::PartnerName, false) => "Trading partner",
        (Col::HsCode, false) => "Commodity code",
        (Col::HsName, false) => "Commodity",
        (Col::DimCode, false) => match plan.dim {
            Dim::TradeMode => "Customs Regime code",
            _ => "Locations of importers and exporters code",
        },
        (Col::DimName, false) => match plan.dim {
            Dim::TradeMode => "Customs Regime",
            _ => "Locations of importers and exporters",
        },
        (Col::Q1, false) => "Quantity",
        (Col::Unit1, false) => "Unit",
        (Col::Q2, false) if misspelt => "Supplimentary Quantity",
        (Col::Q2, false) => "Supplementary Quantity",
        (Col::Unit2, false) => "Supplementary Unit",
        (Col::Value, false) => "Renminbi Yuan",
    }
}

/// `1234567` -> `1,234,567`.
pub fn thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    let head = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    out.push_str(&digits[..head]);
    for group in digits.as_bytes()[head..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).expect("ascii digits"));
    }
    out
}

fn dim_entry(plan: &FilePlan, row: &Row) -> (&'static str, &'static str) {
    let table = match plan.dim {
        Dim::TradeMode => TRADE_MODES,
        _ => REG_PLACES,
    };
    let e = &table[row.dim.expect("split row")];
    (e.0, e.1)
}

/// The text of a cell as the CSV/HTML forms show it.
fn cell_text(col: Col, row: &Row, plan: &FilePlan, names: &Names<'_>) -> String {
    let p = names.products[&row.hs];
    match col {
        Col::Month => row.month.to_string(),
        Col::PartnerCode => row.partner.to_string(),
        Col::PartnerName => names
            .partner_name(row.partner, plan.form.chinese())
            .to_string(),
        Col::HsCode => row.hs.to_string(),
        Col::HsName => names.product_name(row.hs, plan),
        Col::DimCode => dim_entry(plan, row).0.to_string(),
        Col::DimName => dim_entry(plan, row).1.to_string(),
        Col::Q1 => row.q1.to_string(),
        Col::Unit1 => p.unit1.clone(),
        Col::Q2 => row.q2.to_string(),
        Col::Unit2 => p.unit2.clone().unwrap_or_else(|| "?".to_string()),
        Col::Value => thousands(row.value),
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Every field quoted, a trailing comma on every line.
fn csv_text(plan: &FilePlan, names: &Names<'_>, crlf: bool) -> String {
    let cols = columns(plan);
    let eol = if crlf { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(plan.rows.len() * 120);
    for c in &cols {
        out.push_str(&quote(header(*c, plan)));
        out.push(',');
    }
    out.push_str(eol);
    for row in &plan.rows {
        for c in &cols {
            out.push_str(&quote(&cell_text(*c, row, plan, names)));
            out.push(',');
        }
        out.push_str(eol);
    }
    out
}

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::GB18030.encode(text);
    debug_assert!(!had_errors, "GB18030 encodes all of Unicode");
    bytes.into_owned()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(plan: &FilePlan, names: &Names<'_>) -> Vec<u8> {
    let cols = columns(plan);
    let months: Vec<String> = plan.rows.iter().map(|r| r.month.to_string()).collect();
    let (lo, hi) = (
        months.iter().min().cloned().unwrap_or_default(),
        months.iter().max().cloned().unwrap_or_default(),
    );
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<title>海关统计数据在线查询平台</title>\n");
    out.push_str("<style>table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px}td.num{text-align:right}</style>\n");
    out.push_str(
        "</head>\n<body>\n<div class=\"header\"><h2>海关统计数据在线查询平台</h2></div>\n",
    );
    out.push_str(&format!(
        "<div class=\"conditions\">进出口类型：出口&nbsp;&nbsp;币制：人民币&nbsp;&nbsp;起止年月：{lo}-{hi}&nbsp;&nbsp;分月展示：是</div>\n"
    ));
    out.push_str(
        "<div class=\"result\">\n<table id=\"outerTable\" class=\"table\">\n<thead>\n<tr>",
    );
    for c in &cols {
        out.push_str(&format!("<th>{}</th>", header(*c, plan)));
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &plan.rows {
        out.push_str("<tr>");
        for c in &cols {
            let text = html_escape(&cell_text(*c, row, plan, names));
            if matches!(c, Col::Q1 | Col::Q2 | Col::Value) {
                out.push_str(&format!("<td class=\"num\">{text}</td>"));
            } else {
                out.push_str(&format!("<td>{text}</td>"));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    out.push_str(&format!(
        "<div class=\"footer\">共 {} 条记录</div>\n</body>\n</html>\n",
        plan.rows.len()
    ));
    out.into_bytes()
}

/// A spreadsheet cell: numbers where the platform's Excel export has them.
pub enum Cell {
    Num(f64),
    Text(String),
}

pub fn sheet_cells(plan: &FilePlan, names: &Names<'_>) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let cols = columns(plan);
    let headers = cols.iter().map(|c| header(*c, plan)).collect();
    let rows = plan
        .rows
        .iter()
        .map(|row| {
            cols.iter()
                .map(|c| match c {
                    Col::Month => Cell::Num(row.month.yyyymm() as f64),
                    Col::PartnerCode => Cell::Num(row.partner.0 as f64),
                    Col::HsCode => Cell::Num(row.hs.0 as f64),
                    Col::Q1 => Cell::Num(row.q1 as f64),
                    Col::Q2 => Cell::Num(row.q2 as f64),
                    Col::Value => Cell::Num(row.value as f64),
                    _ => Cell::Text(cell_text(*c, row, plan, names)),
                })
                .collect()
        })
        .collect();
    (headers, rows)
}

fn xlsx(plan: &FilePlan, names: &Names<'_>) -> Vec<u8> {
    let (headers, rows) = sheet_cells(plan, names);
    let date = plan.path.split('/').next().unwrap_or("2025-01-01");
    let ymd: Vec<u16> = date.split('-').filter_map(|s| s.parse().ok()).collect();
    let created = ExcelDateTime::from_ymd(ymd[0], ymd[1] as u8, ymd[2] as u8)
        .expect("release date")
        .and_hms(9, 0, 0)
        .expect("time");
    let mut wb = Workbook::new();
    wb.set_properties(
        &DocProperties::new()
            .set_title("海关统计数据在线查询平台 查询结果")
            .set_author("cnexport-samplegen")
            .set_creation_datetime(&created),
    );
    let ws = wb.add_worksheet();
    ws.set_name("Sheet1").expect("sheet name");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell {
                Cell::Num(v) => ws.write_number(r, c, *v).map(|_| ()),
                Cell::Text(s) => ws.write_string(r, c, s).map(|_| ()),
            }
            .expect("cell");
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

/// The bytes of a planned file.
pub fn encode(plan: &FilePlan, names: &Names<'_>) -> Vec<u8> {
    match plan.form {
        Form::ZhCsv { crlf } => gb18030(&csv_text(plan, names, crlf)),
        Form::EnCsvGb18030 => gb18030(&csv_text(plan, names, false)),
        Form::EnCsvUtf8Bom => {
            let mut out = vec![0xEF, 0xBB, 0xBF];
            out.extend(csv_text(plan, names, true).into_bytes());
            out
        }
        Form::Html => html(plan, names),
        Form::Xlsx => xlsx(plan, names),
        Form::Xls => {
            let (headers, rows) = sheet_cells(plan, names);
            crate::xls::workbook("Sheet1", &headers, &rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(164), "164");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(16536067327), "16,536,067,327");
    }
}
