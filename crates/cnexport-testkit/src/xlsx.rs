//! A one-sheet `.xlsx` workbook by hand: the fewest parts a reader needs, so
//! that a test controls the sheet XML exactly (rust_xlsxwriter only writes
//! well-formed sheets).

use crate::zip::{zip, Entry};

const NS: &str = "http://schemas.openxmlformats.org";

/// The parts of a workbook whose first sheet is `sheet` (the XML of
/// `xl/worksheets/sheet1.xml`), with `xl/sharedStrings.xml` when
/// `shared_strings` is given; zip them with [`crate::zip::zip`] to choose
/// how each is packed.
pub fn parts(sheet: &[u8], shared_strings: Option<&[u8]>) -> Vec<(&'static str, Vec<u8>)> {
    let decl = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
    let strings_type = if shared_strings.is_some() {
        r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#
    } else {
        ""
    };
    let strings_rel = if shared_strings.is_some() {
        format!(
            r#"<Relationship Id="rId2" Type="{NS}/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#
        )
    } else {
        String::new()
    };
    let mut parts = vec![
        ("[Content_Types].xml", format!(r#"{decl}
<Types xmlns="{NS}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{strings_type}</Types>"#).into_bytes()),
        ("_rels/.rels", format!(r#"{decl}
<Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#).into_bytes()),
        ("xl/workbook.xml", format!(r#"{decl}
<workbook xmlns="{NS}/spreadsheetml/2006/main" xmlns:r="{NS}/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).into_bytes()),
        ("xl/_rels/workbook.xml.rels", format!(r#"{decl}
<Relationships xmlns="{NS}/package/2006/relationships"><Relationship Id="rId1" Type="{NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>{strings_rel}</Relationships>"#).into_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.to_vec()),
    ];
    if let Some(s) = shared_strings {
        parts.push(("xl/sharedStrings.xml", s.to_vec()));
    }
    parts
}

/// The workbook of [`parts`] as a stored (uncompressed) zip.
pub fn workbook(sheet: &[u8], shared_strings: Option<&[u8]>) -> Vec<u8> {
    let parts = parts(sheet, shared_strings);
    let entries: Vec<Entry<'_>> = parts
        .iter()
        .map(|(name, data)| Entry::stored(name, data.as_slice()))
        .collect();
    zip(&entries)
}
