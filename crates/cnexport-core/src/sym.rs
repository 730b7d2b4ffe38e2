//! Interned short strings: units of measure, registration places and trade
//! modes, which a national build repeats tens of millions of times.
//!
//! A [`Sym`] is 4 bytes and `Copy`; the text lives once for the whole
//! process (a build reads a few dozen distinct units, so nothing worth
//! freeing is kept). Two `Sym`s are equal exactly when their texts are, and
//! they order, hash-compare and serialize as their texts, so replacing a
//! `String` by a `Sym` changes neither results nor the stage format.
//!
//! ```
//! use cnexport_core::Sym;
//! let a = Sym::new("千克");
//! assert_eq!(a, Sym::from("千克"));
//! assert_eq!(a.as_str(), "千克");
//! assert!(Sym::new("个") < Sym::new("千克")); // the texts' order
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Mutex, OnceLock};

/// An interned string.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sym(NonZeroU32);

/// Chunk `c` of the name table holds `FIRST << c` names, so the table grows
/// without ever moving a name (readers take no lock).
const FIRST: usize = 256;
const CHUNKS: usize = 23;

#[allow(clippy::type_complexity)]
static NAMES: [OnceLock<Box<[OnceLock<&'static str>]>>; CHUNKS] =
    [const { OnceLock::new() }; CHUNKS];
static IDS: OnceLock<Mutex<HashMap<&'static str, Sym>>> = OnceLock::new();

thread_local! {
    /// Each thread's own view of the map, so that parsing does not contend
    /// on the global lock for every row.
    static LOCAL: RefCell<HashMap<&'static str, Sym>> = RefCell::new(HashMap::new());
}

/// (chunk, offset) of a 0-based index.
fn locate(index: usize) -> (usize, usize) {
    let j = index + FIRST;
    let bits = (usize::BITS - 1 - j.leading_zeros()) as usize; // floor(log2 j)
    let chunk = bits - FIRST.trailing_zeros() as usize;
    (chunk, j - (FIRST << chunk))
}

impl Sym {
    /// The symbol of `text` (the same one for equal texts, in any thread).
    pub fn new(text: &str) -> Sym {
        if let Some(sym) = LOCAL.with(|l| l.borrow().get(text).copied()) {
            return sym;
        }
        let (name, sym) = {
            let mut ids = IDS
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match ids.get_key_value(text) {
                Some((name, sym)) => (*name, *sym),
                None => {
                    let index = ids.len();
                    let (chunk, offset) = locate(index);
                    assert!(chunk < CHUNKS, "too many distinct symbols");
                    let name: &'static str = Box::leak(text.to_owned().into_boxed_str());
                    let slots = NAMES[chunk]
                        .get_or_init(|| (0..FIRST << chunk).map(|_| OnceLock::new()).collect());
                    let _ = slots[offset].set(name);
                    let sym = Sym(NonZeroU32::new(index as u32 + 1).expect("index + 1 > 0"));
                    ids.insert(name, sym);
                    (name, sym)
                }
            }
        };
        LOCAL.with(|l| l.borrow_mut().insert(name, sym));
        sym
    }

    /// The text.
    pub fn as_str(self) -> &'static str {
        let (chunk, offset) = locate(self.0.get() as usize - 1);
        NAMES[chunk]
            .get()
            .and_then(|slots| slots[offset].get())
            .expect("a symbol's name is set before the symbol exists")
    }
}

impl std::ops::Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialOrd for Sym {
    fn partial_cmp(&self, other: &Sym) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sym {
    /// The texts' order (not the order of interning, which depends on threads).
    fn cmp(&self, other: &Sym) -> std::cmp::Ordering {
        if self.0 == other.0 {
            std::cmp::Ordering::Equal
        } else {
            self.as_str().cmp(other.as_str())
        }
    }
}

impl From<&str> for Sym {
    fn from(text: &str) -> Sym {
        Sym::new(text)
    }
}

impl From<String> for Sym {
    fn from(text: String) -> Sym {
        Sym::new(&text)
    }
}

impl From<&String> for Sym {
    fn from(text: &String) -> Sym {
        Sym::new(text)
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Sym {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Sym {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sym, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Sym;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sym, E> {
                Ok(Sym::new(v))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_give_equal_symbols_across_threads() {
        let here = Sym::new("台");
        let there = std::thread::spawn(|| Sym::new("台")).join().unwrap();
        assert_eq!(here, there);
        assert_ne!(here, Sym::new("台 "));
        assert_eq!(there.as_str(), "台");
    }

    #[test]
    fn many_symbols_span_chunks() {
        let syms: Vec<Sym> = (0..3000).map(|i| Sym::new(&format!("u{i}"))).collect();
        for (i, s) in syms.iter().enumerate() {
            assert_eq!(s.as_str(), format!("u{i}"));
        }
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(255), (0, 255));
        assert_eq!(locate(256), (1, 0));
        assert_eq!(locate(767), (1, 511));
        assert_eq!(locate(768), (2, 0));
    }

    #[test]
    fn order_and_serde_follow_the_text() {
        let (b, a) = (Sym::new("zz-late"), Sym::new("aa-early"));
        assert!(a < b);
        let json = serde_json_like(a);
        assert_eq!(json, "aa-early");
    }

    fn serde_json_like(s: Sym) -> String {
        // csv's serializer is a dependency already: one field, one record.
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.serialize((s,)).unwrap();
        String::from_utf8(w.into_inner().unwrap())
            .unwrap()
            .trim()
            .to_string()
    }
}
