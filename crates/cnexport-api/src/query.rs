//! The query string of a request: percent-decoded name/value pairs, each
//! name at most once, and the typed readers the parameter types are parsed
//! with. Every 400 names the parameter and what is allowed.

use crate::ApiError;
use cnexport_core::Month;
use std::cell::RefCell;

/// Longest query string accepted.
pub const MAX_QUERY_LEN: usize = 4096;

/// A decoded query string.
#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
    /// The names the parameter parser asked for (checked by the tests
    /// against the names each parameter type declares).
    read: RefCell<Vec<&'static str>>,
}

/// The first character of the parameter names a client may add for itself
/// (ignored by every endpoint).
pub const CLIENT_PREFIX: char = '_';

/// One of a closed set of values, named in the API by `key`.
pub trait Choice: Copy + 'static {
    /// Every value, in the order 400 messages list them.
    const ALL: &'static [Self];
    /// The value when the parameter is absent.
    const DEFAULT: Self;
    fn key(self) -> &'static str;
}

impl Query {
    /// Decodes `a=1&b=%E4%B8%AD` (`+` is a space). Refuses an over-long
    /// query, a bad escape or non-UTF-8 bytes, and a repeated name.
    pub fn parse(query: &str) -> Result<Query, ApiError> {
        if query.len() > MAX_QUERY_LEN {
            return Err(ApiError::bad_request(format!(
                "查询字符串过长 (query string longer than {MAX_QUERY_LEN} bytes)"
            )));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = decode(k).ok_or_else(|| {
                ApiError::bad_request(
                    "查询字符串编码无效 (query string is not valid percent-encoded UTF-8)",
                )
            })?;
            let v = decode(v).ok_or_else(|| {
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
        Ok(Query {
            pairs,
            read: RefCell::default(),
        })
    }

    /// The parameter names given, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }

    /// Refuses a name outside `allowed`, with a hint when only the case
    /// differs (`sortby` for `sortBy`). Names that begin with `_` are the
    /// client's own (a cache buster such as `_=1733040000`, a request id)
    /// and are ignored: no parameter of the API begins with `_`.
    pub fn check_names(&self, path: &str, allowed: &[String]) -> Result<(), ApiError> {
        let Some(unknown) = self
            .names()
            .filter(|n| !n.starts_with(CLIENT_PREFIX))
            .find(|n| !allowed.iter().any(|a| a == n))
        else {
            return Ok(());
        };
        let hint = allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(unknown))
            .map(|a| format!("did you mean {a}? "))
            .unwrap_or_default();
        let takes = if allowed.is_empty() {
            "takes no parameters".to_string()
        } else {
            format!("takes: {}", allowed.join(", "))
        };
        Err(ApiError::bad_request(format!(
            "未知参数 {unknown:.40} (unknown parameter {unknown:.40}; {hint}{path} {takes})"
        )))
    }

    /// The names read so far.
    pub fn read_names(&self) -> Vec<&'static str> {
        self.read.borrow().clone()
    }

    /// A parameter's value, trimmed.
    pub fn get(&self, name: &'static str) -> Option<&str> {
        {
            let mut read = self.read.borrow_mut();
            if !read.contains(&name) {
                read.push(name);
            }
        }
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    /// A value that is absent or empty reads as not given.
    fn given(&self, name: &'static str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A required parameter.
    pub fn require(&self, name: &'static str, allowed: &str) -> Result<&str, ApiError> {
        self.given(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "缺少参数 {name} (missing parameter {name}: {allowed})"
            ))
        })
    }

    /// An optional boolean flag: `true`/`1` or `false`/`0`.
    pub fn flag(&self, name: &'static str) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("") | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(v) => Err(ApiError::bad_request(format!(
                "参数 {name} 无效: {v:.40} ({name} must be true or false)"
            ))),
        }
    }

    /// An optional `YYYYMM` month.
    pub fn month(&self, name: &'static str) -> Result<Option<Month>, ApiError> {
        match self.given(name) {
            None => Ok(None),
            Some(v) => Month::parse_yyyymm(v).map(Some).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "参数 {name} 无效: {v:.40} ({name} must be a month YYYYMM, e.g. 202403)"
                ))
            }),
        }
    }

    /// An optional integer in `[min, max]`, `default` when absent.
    pub fn integer(
        &self,
        name: &'static str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, ApiError> {
        match self.given(name) {
            None => Ok(default),
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

    /// An optional integer `>= min` with no default.
    pub fn optional_integer(&self, name: &'static str, min: i64) -> Result<Option<i64>, ApiError> {
        match self.given(name) {
            None => Ok(None),
            Some(_) => self.integer(name, 0, min, i64::MAX).map(Some),
        }
    }

    /// A `limit` or `offset`: an integer in `[min, max]`, `default` when absent.
    pub fn count(
        &self,
        name: &'static str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, ApiError> {
        // The ranges are small: the conversions are exact.
        self.integer(name, default as i64, min as i64, max as i64)
            .map(|n| n as usize)
    }

    /// An optional number in `[min, max]`.
    pub fn number(&self, name: &'static str, min: f64, max: f64) -> Result<Option<f64>, ApiError> {
        match self.given(name) {
            None => Ok(None),
            Some(v) => match v.parse::<f64>() {
                Ok(n) if n.is_finite() && (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(ApiError::bad_request(format!(
                    "参数 {name} 无效: {v:.40} ({name} must be a number from {min} to {max})"
                ))),
            },
        }
    }

    /// An optional choice, `C::DEFAULT` when absent.
    pub fn choice<C: Choice>(&self, name: &'static str) -> Result<C, ApiError> {
        match self.given(name) {
            None => Ok(C::DEFAULT),
            Some(v) => C::ALL
                .iter()
                .copied()
                .find(|c| c.key() == v)
                .ok_or_else(|| bad_choice(name, v, &choice_list(C::ALL))),
        }
    }
}

/// `a, b, c`: the keys of a choice.
pub fn choice_list<C: Choice>(all: &[C]) -> String {
    all.iter().map(|c| c.key()).collect::<Vec<_>>().join(", ")
}

pub fn bad_choice(name: &str, value: &str, allowed: &str) -> ApiError {
    ApiError::bad_request(format!(
        "参数 {name} 无效: {value:.40} ({name} must be one of: {allowed})"
    ))
}

/// Percent-decodes one name or value (`+` is a space). `None` for an
/// escape that is not `%` and two hex digits, or bytes that are not UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let escapes_ok = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_ok {
        return None;
    }
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_rejects() {
        let q = Query::parse("hsCode=85171300&x=%E4%B8%AD&y=a+b%2B").unwrap();
        assert_eq!(q.get("hsCode"), Some("85171300"));
        assert_eq!(q.get("x"), Some("中"));
        assert_eq!(q.get("y"), Some("a b+"));
        assert!(Query::parse("a=1&a=2")
            .unwrap_err()
            .message
            .contains("more than once"));
        assert!(Query::parse("a=%zz")
            .unwrap_err()
            .message
            .contains("value of a"));
        assert!(Query::parse("a=%f").is_err());
        assert!(Query::parse("a=%ff").is_err());
        assert!(Query::parse("%ff=1")
            .unwrap_err()
            .message
            .contains("query string is not valid"));
        assert!(Query::parse(&"a".repeat(MAX_QUERY_LEN + 1)).is_err());
    }

    #[test]
    fn unknown_names_are_refused_with_a_hint() {
        let allowed = vec!["hsCode".to_string(), "sortBy".to_string()];
        let q = Query::parse("hsCode=85&sortby=name").unwrap();
        let e = q.check_names("/skill/markets", &allowed).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("sortby") && e.message.contains("did you mean sortBy?"));
        assert!(e.message.contains("hsCode, sortBy"));
        let q = Query::parse("zzz=1").unwrap();
        let e = q.check_names("/skill/countries", &[]).unwrap_err();
        assert!(e.message.contains("takes no parameters") && !e.message.contains("did you"));
        assert!(Query::parse("hsCode=1")
            .unwrap()
            .check_names("/x", &allowed)
            .is_ok());
        // The client's own names (`_`, `_rid`) pass; a misspelt one does not.
        assert!(Query::parse("hsCode=1&_=1733040000&_rid=3.14")
            .unwrap()
            .check_names("/x", &allowed)
            .is_ok());
        assert!(Query::parse("hsCode=1&_rid=1&sortby=a")
            .unwrap()
            .check_names("/x", &allowed)
            .is_err());
    }

    #[test]
    fn typed_readers() {
        let q = Query::parse("v=yes&w=true&n=5&m=202403&f=101").unwrap();
        assert!(q.flag("v").is_err());
        assert!(q.flag("w").unwrap());
        assert_eq!(q.integer("n", 1, 1, 10).unwrap(), 5);
        assert!(q.integer("n", 1, 6, 10).is_err());
        assert_eq!(q.month("m").unwrap().unwrap().to_string(), "202403");
        assert!(q.number("f", 0.0, 100.0).is_err());
        assert_eq!(q.integer("absent", 7, 1, 10).unwrap(), 7);
    }
}
