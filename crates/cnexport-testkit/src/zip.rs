//! ZIP archives built byte by byte: local headers, a central directory and
//! its end record, with no extra fields and no comment. Entries are stored
//! or deflated; a test can make one lie about its CRC or uncompressed size,
//! which a zip library would never write.

use std::borrow::Cow;
use std::io::Write;

/// One entry of [`zip`].
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    name: &'a str,
    data: Cow<'a, [u8]>,
    deflate: bool,
    crc: Option<u32>,
    declared_size: Option<u32>,
}

impl<'a> Entry<'a> {
    /// `data` stored uncompressed, with its true CRC and size.
    pub fn stored(name: &'a str, data: impl Into<Cow<'a, [u8]>>) -> Entry<'a> {
        Entry {
            name,
            data: data.into(),
            deflate: false,
            crc: None,
            declared_size: None,
        }
    }

    /// `data` deflated (best compression), with its true CRC and size.
    pub fn deflated(name: &'a str, data: impl Into<Cow<'a, [u8]>>) -> Entry<'a> {
        Entry {
            deflate: true,
            ..Entry::stored(name, data)
        }
    }

    /// Declares `size` bytes uncompressed, whatever the data holds.
    pub fn declaring(self, size: u32) -> Entry<'a> {
        Entry {
            declared_size: Some(size),
            ..self
        }
    }

    /// Writes `crc` as the entry's CRC-32, whatever the data's is.
    pub fn with_crc(self, crc: u32) -> Entry<'a> {
        Entry {
            crc: Some(crc),
            ..self
        }
    }
}

/// The CRC-32 (IEEE) of `data`, as ZIP records it.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

/// An archive of `entries`, in order.
pub fn zip(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let (method, packed): (u16, Cow<'_, [u8]>) = if e.deflate {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            enc.write_all(&e.data).expect("deflate into memory");
            (8, enc.finish().expect("deflate into memory").into())
        } else {
            (0, Cow::Borrowed(&e.data))
        };
        let offset = out.len() as u32;
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common.extend_from_slice(&0u16.to_le_bytes()); // flags
        common.extend_from_slice(&method.to_le_bytes());
        common.extend_from_slice(&0u32.to_le_bytes()); // time, date
        common.extend_from_slice(&e.crc.unwrap_or_else(|| crc32(&e.data)).to_le_bytes());
        common.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        common.extend_from_slice(&e.declared_size.unwrap_or(e.data.len() as u32).to_le_bytes());
        common.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra length
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&common);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&packed);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0u8; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0u8; 4]); // disk numbers
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_layout() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let z = zip(&[Entry::stored("a.txt", &b"hello"[..])]);
        assert!(z.starts_with(b"PK\x03\x04"));
        // Local header (30 + name + data) then the central record at its offset.
        let cd = 30 + 5 + 5;
        assert_eq!(&z[cd..cd + 4], b"PK\x01\x02");
        let end = z.len() - 22;
        assert_eq!(&z[end..end + 4], b"PK\x05\x06");
        assert_eq!(
            u32::from_le_bytes(z[end + 16..end + 20].try_into().unwrap()),
            cd as u32
        );
        let lying = zip(&[Entry::deflated("a.txt", &b"hello"[..])
            .declaring(1)
            .with_crc(0)]);
        assert_eq!(u32::from_le_bytes(lying[14..18].try_into().unwrap()), 0);
        assert_eq!(u32::from_le_bytes(lying[22..26].try_into().unwrap()), 1);
    }
}
