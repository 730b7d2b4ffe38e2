//! Cells and the parsing of one field.

use cnexport_core::{HsCode, Month, PartnerCode};
use std::borrow::Cow;

/// One cell as a reader gives it: text (CSV, HTML, Excel text cells) or a
/// typed spreadsheet value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    Empty,
    Text(Cow<'a, str>),
    Int(i64),
    Float(f64),
    /// An Excel date cell: its serial number, and its month when it has
    /// one (a month column may hold dates; other columns read the serial).
    Date {
        serial: f64,
        month: Option<Month>,
    },
}

impl Cell<'_> {
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, for messages, names and the raw row.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(t) => Cow::Borrowed(t.trim()),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Float(f) => Cow::Owned(float_text(*f)),
            Cell::Date { month: Some(m), .. } => {
                Cow::Owned(format!("{}-{:02}", m.year(), m.month()))
            }
            Cell::Date { serial, .. } => Cow::Owned(float_text(*serial)),
        }
    }
}

/// A float as a user would read it (`1012100.0` -> `1012100`).
pub(crate) fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// An integral float as an integer, when it is one.
fn integral(f: f64) -> Option<i64> {
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

pub(crate) fn month(cell: &Cell<'_>) -> Option<Month> {
    match cell {
        Cell::Empty => None,
        Cell::Text(t) => month_text(t),
        Cell::Int(n) => month_number(*n),
        Cell::Float(f) => integral(*f).and_then(month_number),
        Cell::Date { month, .. } => *month,
    }
}

fn month_number(n: i64) -> Option<Month> {
    if (100_000..1_000_000).contains(&n) {
        Month::from_yyyymm(n as u32)
    } else {
        None
    }
}

/// `Month::parse`, plus a full date `2024/3/1`, `2024-03-01` (what Excel
/// writes for `2024-03` when it re-saves a CSV), and `2024-03-01T00:00:00`.
pub(crate) fn month_text(t: &str) -> Option<Month> {
    let t = t.trim();
    if let Some(m) = Month::parse(t) {
        return Some(m);
    }
    let date = t.split(['T', ' ']).next().unwrap_or(t);
    let mut parts = date.split(['-', '/', '.']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || d.is_empty() || d.len() > 2 {
        return None;
    }
    if !d.bytes().all(|b| b.is_ascii_digit()) || !(1..=31).contains(&d.parse::<u32>().ok()?) {
        return None;
    }
    Month::parse(&format!("{y}-{m}"))
}

/// HS code. Text must give exactly 8 digits once dots and spaces are
/// removed; a numeric cell of 7 or 8 digits is left-padded.
pub(crate) fn hs_code(cell: &Cell<'_>) -> Option<HsCode> {
    match cell {
        Cell::Text(t) => {
            let t = t.trim();
            let mut digits = 0;
            for b in t.bytes() {
                match b {
                    b'0'..=b'9' => digits += 1,
                    b'.' | b' ' => {}
                    _ => return None,
                }
            }
            if digits == 8 {
                HsCode::parse(t)
            } else {
                None
            }
        }
        Cell::Int(n) => hs_number(*n),
        Cell::Float(f) | Cell::Date { serial: f, .. } => integral(*f).and_then(hs_number),
        Cell::Empty => None,
    }
}

fn hs_number(n: i64) -> Option<HsCode> {
    (1_000_000..100_000_000)
        .contains(&n)
        .then_some(HsCode(n as u32))
}

pub(crate) fn partner_code(cell: &Cell<'_>) -> Option<PartnerCode> {
    match cell {
        Cell::Text(t) => PartnerCode::parse(t),
        Cell::Int(n) => partner_number(*n),
        Cell::Float(f) | Cell::Date { serial: f, .. } => integral(*f).and_then(partner_number),
        Cell::Empty => None,
    }
}

fn partner_number(n: i64) -> Option<PartnerCode> {
    (100..1000).contains(&n).then_some(PartnerCode(n as u16))
}

/// Why a number could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    Empty,
    NotANumber,
    /// `1.65E+10`: digits were lost when the file was saved.
    Scientific,
    TooLarge,
}

impl NumError {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            NumError::Empty => "is empty",
            NumError::NotANumber => "is not a number",
            NumError::Scientific => {
                "is in scientific notation, which lost digits when the file was re-saved (download the original file again)"
            }
            NumError::TooLarge => "is too large",
        }
    }
}

/// A number in whole units, rounded half away from zero; may be negative.
/// Text may carry thousands separators (`,` `，` spaces).
pub(crate) fn number(cell: &Cell<'_>) -> Result<i64, NumError> {
    match cell {
        Cell::Empty => Err(NumError::Empty),
        Cell::Text(t) => number_text(t),
        Cell::Int(n) => Ok(*n),
        Cell::Float(f) | Cell::Date { serial: f, .. } => {
            if !f.is_finite() {
                Err(NumError::NotANumber)
            } else if f.abs() >= 9.2e18 {
                Err(NumError::TooLarge)
            } else {
                // f64::round rounds half away from zero.
                Ok(f.round() as i64)
            }
        }
    }
}

/// Parses decimal text exactly (no float): `"16,536,067,327"`, `123.00`,
/// `-5`, `12.5` (-> 13).
pub(crate) fn number_text(t: &str) -> Result<i64, NumError> {
    let t = t.trim();
    if t.is_empty() {
        return Err(NumError::Empty);
    }
    let mut negative = false;
    let mut int: i128 = 0;
    let mut digits = 0usize;
    let mut dot = false;
    let mut first_fraction: Option<u8> = None;
    for (i, c) in t.char_indices() {
        match c {
            '0'..='9' => {
                let d = c as u8 - b'0';
                digits += 1;
                if dot {
                    first_fraction.get_or_insert(d);
                } else {
                    int = int * 10 + i128::from(d);
                    if int > i128::from(i64::MAX) {
                        return Err(NumError::TooLarge);
                    }
                }
            }
            ',' | '，' | ' ' | '\u{a0}' | '\u{3000}' | '\u{202f}' if !dot => {}
            '.' if !dot => dot = true,
            '-' | '+' if i == 0 => negative = c == '-',
            'e' | 'E' if digits > 0 => return Err(NumError::Scientific),
            _ => return Err(NumError::NotANumber),
        }
    }
    if digits == 0 {
        return Err(NumError::NotANumber);
    }
    if first_fraction.is_some_and(|d| d >= 5) {
        int += 1;
    }
    let v = i64::try_from(int).map_err(|_| NumError::TooLarge)?;
    Ok(if negative { -v } else { v })
}

/// True for the texts that mean "nothing here" in a quantity or unit.
pub(crate) fn is_none_marker(t: &str) -> bool {
    matches!(t.trim(), "" | "?" | "？" | "-" | "--" | "—")
}

/// A quantity: empty, `?` or `-` is 0.
pub(crate) fn quantity(cell: &Cell<'_>) -> Result<i64, NumError> {
    match cell {
        Cell::Empty => Ok(0),
        Cell::Text(t) if is_none_marker(t) => Ok(0),
        c => number(c),
    }
}

/// A unit: trimmed; empty, `?` or `-` is none.
pub(crate) fn unit(cell: &Cell<'_>) -> Option<cnexport_core::Sym> {
    match cell {
        Cell::Empty => None,
        Cell::Text(t) if is_none_marker(t) => None,
        c => Some(cnexport_core::Sym::new(&c.text())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell<'_> {
        Cell::Text(Cow::Borrowed(s))
    }

    #[test]
    fn numbers() {
        assert_eq!(number_text("16,536,067,327"), Ok(16_536_067_327));
        assert_eq!(number_text(" 1 234 "), Ok(1234));
        assert_eq!(number_text("1，234"), Ok(1234));
        assert_eq!(number_text("123.00"), Ok(123));
        assert_eq!(number_text("12.5"), Ok(13));
        assert_eq!(number_text("12.49"), Ok(12));
        assert_eq!(number_text("-12.5"), Ok(-13));
        assert_eq!(number_text("-0"), Ok(0));
        assert_eq!(number_text("+7"), Ok(7));
        assert_eq!(number_text(".5"), Ok(1));
        assert_eq!(number_text(""), Err(NumError::Empty));
        assert_eq!(number_text("abc"), Err(NumError::NotANumber));
        assert_eq!(number_text("1.2.3"), Err(NumError::NotANumber));
        assert_eq!(number_text("1-2"), Err(NumError::NotANumber));
        assert_eq!(number_text("-"), Err(NumError::NotANumber));
        assert_eq!(number_text("1.65E+10"), Err(NumError::Scientific));
        assert_eq!(number_text("99999999999999999999"), Err(NumError::TooLarge));
        assert_eq!(number(&Cell::Float(2.5)), Ok(3));
        assert_eq!(number(&Cell::Float(-2.5)), Ok(-3));
        assert_eq!(number(&Cell::Float(f64::NAN)), Err(NumError::NotANumber));
    }

    #[test]
    fn codes() {
        assert_eq!(hs_code(&text("85171200")), Some(HsCode(85171200)));
        assert_eq!(hs_code(&text("8517.12.00")), Some(HsCode(85171200)));
        assert_eq!(hs_code(&text("1012100")), None);
        assert_eq!(hs_code(&text("123456789")), None);
        assert_eq!(hs_code(&text("8517120a")), None);
        assert_eq!(hs_code(&Cell::Float(1012100.0)), Some(HsCode(1012100)));
        assert_eq!(hs_code(&Cell::Int(85171200)), Some(HsCode(85171200)));
        assert_eq!(hs_code(&Cell::Float(12100.0)), None);
        assert_eq!(hs_code(&Cell::Float(1012100.5)), None);
        assert_eq!(partner_code(&text("502")), Some(PartnerCode(502)));
        assert_eq!(partner_code(&text("50")), None);
        assert_eq!(partner_code(&Cell::Float(502.0)), Some(PartnerCode(502)));
        assert_eq!(partner_code(&Cell::Int(50)), None);
    }

    #[test]
    fn months() {
        let m = Month::new(2024, 3);
        assert_eq!(month(&text("202403")), m);
        assert_eq!(month(&text("2024年03月")), m);
        assert_eq!(month(&text("2024/3/1")), m);
        assert_eq!(month(&text("2024-03-01")), m);
        assert_eq!(month(&text("2024-03-01T00:00:00")), m);
        assert_eq!(month(&text("2024-03-32")), None);
        assert_eq!(month(&Cell::Float(202403.0)), m);
        assert_eq!(month(&Cell::Int(202403)), m);
        assert_eq!(month(&Cell::Int(45352)), None);
        assert_eq!(month(&text("202413")), None);
    }

    #[test]
    fn quantities_and_units() {
        assert_eq!(quantity(&text("?")), Ok(0));
        assert_eq!(quantity(&text("")), Ok(0));
        assert_eq!(quantity(&text("1,000")), Ok(1000));
        assert_eq!(quantity(&text("x")), Err(NumError::NotANumber));
        assert_eq!(
            unit(&text(" 千克 ")),
            Some(cnexport_core::Sym::from("千克"))
        );
        assert_eq!(unit(&text("?")), None);
        assert_eq!(unit(&text("-")), None);
        assert_eq!(unit(&Cell::Empty), None);
    }
}
