//! Query-string parsing and parameter validation, with 400 messages that
//! name the parameter and what is allowed.

use crate::ApiError;
use cnexport_core::Month;
use std::cell::Cell;

/// Longest query string accepted.
pub const MAX_QUERY_LEN: usize = 4096;

/// Decoded query parameters (each name at most once).
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    /// Set by list endpoints: the number of items before limit/offset
    /// (sent as `X-Total-Count`).
    total: Cell<Option<u64>>,
}

/// A `countryCode` as given: a China customs partner code or an ISO 3166
/// alpha-3 code (resolved against the database's `countries` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountryParam {
    Customs(String),
    Iso3(String),
}

impl Params {
    pub fn parse(query: &str) -> Result<Params, ApiError> {
        if query.len() > MAX_QUERY_LEN {
            return Err(ApiError::bad_request(format!(
                "查询字符串过长 (query string longer than {MAX_QUERY_LEN} bytes)"
            )));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = percent_decode(k).ok_or_else(|| {
                ApiError::bad_request(
                    "查询字符串编码无效 (query string is not valid percent-encoded UTF-8)",
                )
            })?;
            let v = percent_decode(v).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "参数 {k} 编码无效 (value of {k} is not valid percent-encoded UTF-8)"
                ))
            })?;
            if pairs.iter().any(|(name, _)| *name == k) {
                return Err(ApiError::bad_request(format!(
                    "参数 {k} 重复 (parameter {k} given more than once)"
                )));
            }
            pairs.push((k, v));
        }
        Ok(Params {
            pairs,
            total: Cell::new(None),
        })
    }

    /// Records the total number of items of a list answer.
    pub fn set_total(&self, n: usize) {
        self.total.set(Some(n as u64));
    }

    /// The total recorded by `set_total`, if any.
    pub fn total(&self) -> Option<u64> {
        self.total.get()
    }

    /// An optional boolean flag: `true`/`1` or `false`/`0`.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("") | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(v) => Err(ApiError::bad_request(format!(
                "参数 {name} 无效: {v:.40} ({name} must be true or false)"
            ))),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    /// A required parameter.
    pub fn require(&self, name: &str, allowed: &str) -> Result<&str, ApiError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::bad_request(format!(
                "缺少参数 {name} (missing parameter {name}: {allowed})"
            ))),
        }
    }

    /// `hsCode`: digits, of one of the allowed lengths.
    pub fn hs_code(&self, lengths: &[usize]) -> Result<String, ApiError> {
        let allowed = describe_lengths(lengths);
        let v = self.require("hsCode", &allowed)?;
        let digits: String = v.chars().filter(|c| *c != '.').collect();
        if digits.bytes().all(|b| b.is_ascii_digit()) && lengths.contains(&digits.len()) {
            Ok(digits)
        } else {
            Err(ApiError::bad_request(format!(
                "参数 hsCode 无效: {v:.40} (hsCode must be {allowed})"
            )))
        }
    }

    /// `countryCode`: a 3-digit China customs partner code, or an ISO 3166
    /// alpha-3 code (any case).
    pub fn country_code(&self) -> Result<CountryParam, ApiError> {
        let allowed = "a 3-digit China customs partner code such as 502, or an ISO 3166 alpha-3 code such as USA";
        let v = self.require("countryCode", allowed)?;
        if v.len() == 3 && v.bytes().all(|b| b.is_ascii_digit()) {
            Ok(CountryParam::Customs(v.to_string()))
        } else if v.len() == 3 && v.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(CountryParam::Iso3(v.to_ascii_uppercase()))
        } else {
            Err(ApiError::bad_request(format!(
                "参数 countryCode 无效: {v:.40} (countryCode must be {allowed})"
            )))
        }
    }

    /// An optional `YYYYMM` month.
    pub fn month(&self, name: &str) -> Result<Option<Month>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => Month::parse_yyyymm(v).map(Some).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "参数 {name} 无效: {v:.40} ({name} must be a month YYYYMM, e.g. 202403)"
                ))
            }),
        }
    }

    /// An optional integer in `[min, max]`, `default` when absent.
    pub fn integer(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::bad_request(if max == i64::MAX {
                    format!("参数 {name} 无效: {v:.40} ({name} must be a whole number >= {min})")
                } else {
                    format!("参数 {name} 无效: {v:.40} ({name} must be a whole number from {min} to {max})")
                })),
            },
        }
    }

    /// An optional number in `[min, max]`.
    pub fn number(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() && (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::bad_request(format!(
                    "参数 {name} 无效: {v:.40} ({name} must be a number from {min} to {max})"
                ))),
            },
        }
    }
}

fn describe_lengths(lengths: &[usize]) -> String {
    let list: Vec<String> = lengths.iter().map(|l| l.to_string()).collect();
    format!("a product code of {} digits", list.join(", "))
}

/// Decodes `%XX` escapes and `+` (space). `None` for bad escapes or bytes
/// that are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let text = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(text, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let p = Params::parse("hsCode=85171200&countryCode=502&x=%E4%B8%AD").unwrap();
        assert_eq!(p.get("hsCode"), Some("85171200"));
        assert_eq!(p.get("x"), Some("中"));
        assert_eq!(p.hs_code(&[8]).unwrap(), "85171200");
        assert!(Params::parse("a=1&a=2")
            .unwrap_err()
            .message
            .contains("more than once"));
        assert!(Params::parse("a=%zz").is_err());
        assert!(Params::parse("a=%ff").is_err());
        let e = Params::parse("hsCode=123")
            .unwrap()
            .hs_code(&[8])
            .unwrap_err();
        assert!(e.message.contains("hsCode"));
        assert_eq!(
            Params::parse("countryCode=usa")
                .unwrap()
                .country_code()
                .unwrap(),
            CountryParam::Iso3("USA".into())
        );
        assert!(Params::parse("countryCode=US")
            .unwrap()
            .country_code()
            .is_err());
        assert!(Params::parse("v=yes").unwrap().flag("v").is_err());
        assert!(Params::parse("v=true").unwrap().flag("v").unwrap());
        assert!(Params::parse("")
            .unwrap()
            .country_code()
            .unwrap_err()
            .message
            .contains("countryCode"));
        assert_eq!(
            Params::parse("hsCode=8517.12.00")
                .unwrap()
                .hs_code(&[8])
                .unwrap(),
            "85171200"
        );
    }
}
