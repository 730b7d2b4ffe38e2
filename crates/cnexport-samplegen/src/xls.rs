//! A minimal BIFF8 (Excel 97-2003 .xls) writer: one worksheet of numbers
//! and shared strings, in a Compound File Binary container.
//!
//! Records follow [MS-XLS]: the workbook globals (BOF, code page, window,
//! fonts, the 15 style XFs and one cell XF, the Normal style, BoundSheet8,
//! SST with Continue records, EOF), then the sheet (BOF, Dimensions,
//! Window2, Number/LabelSst cells, EOF).

use crate::write::Cell;
use std::collections::HashMap;
use std::io::{Cursor, Write};

/// The largest record body BIFF8 allows (Continue records carry the rest).
const MAX_RECORD: usize = 8224;
/// The XF index of the default cell format (0-14 are style XFs).
const CELL_XF: u16 = 15;

fn record(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    debug_assert!(body.len() <= MAX_RECORD);
    out.extend(typ.to_le_bytes());
    out.extend((body.len() as u16).to_le_bytes());
    out.extend(body);
}

fn bof(out: &mut Vec<u8>, dt: u16) {
    let mut b = Vec::with_capacity(16);
    b.extend(0x0600u16.to_le_bytes()); // BIFF8
    b.extend(dt.to_le_bytes()); // 0x0005 globals, 0x0010 worksheet
    b.extend(0x0DBBu16.to_le_bytes()); // build
    b.extend(0x07CCu16.to_le_bytes()); // year (1996)
    b.extend(0x0000_0000u32.to_le_bytes()); // file history flags
    b.extend(0x0000_0006u32.to_le_bytes()); // lowest BIFF version
    record(out, 0x0809, &b);
}

/// An XLUnicodeString body: `cch` (u16 or u8), flags, characters (Latin-1
/// when all fit, else UTF-16LE).
fn unicode_string(s: &str, short: bool) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let compressed = units.iter().all(|u| *u < 0x100);
    let mut b = Vec::new();
    if short {
        b.push(units.len() as u8);
    } else {
        b.extend((units.len() as u16).to_le_bytes());
    }
    b.push(if compressed { 0x00 } else { 0x01 });
    for u in units {
        if compressed {
            b.push(u as u8);
        } else {
            b.extend(u.to_le_bytes());
        }
    }
    b
}

fn font(out: &mut Vec<u8>, bold: bool) {
    let mut b = Vec::new();
    b.extend(200u16.to_le_bytes()); // 10 pt
    b.extend(0u16.to_le_bytes()); // attributes
    b.extend(0x7FFFu16.to_le_bytes()); // colour: automatic
    b.extend(if bold { 700u16 } else { 400u16 }.to_le_bytes());
    b.extend(0u16.to_le_bytes()); // super/subscript
    b.push(0); // underline
    b.push(0); // family
    b.push(0x86); // charset: GB2312
    b.push(0); // reserved
    b.extend(unicode_string("宋体", true));
    record(out, 0x0031, &b);
}

fn xf(out: &mut Vec<u8>, style: bool, font_index: u16) {
    let mut b = Vec::with_capacity(20);
    b.extend(font_index.to_le_bytes());
    b.extend(0u16.to_le_bytes()); // number format: General
    let flags: u16 = if style { 0xFFF5 } else { 0x0001 }; // locked; style XF parent 0xFFF
    b.extend(flags.to_le_bytes());
    b.push(0x20); // alignment: bottom
    b.push(0); // rotation
    b.push(0); // indent
    b.push(if style { 0xF4 } else { 0x00 }); // attribute groups
    b.extend(0u32.to_le_bytes()); // borders
    b.extend(0u32.to_le_bytes()); // border colours
    b.extend(0x20C0u16.to_le_bytes()); // pattern colours 64/65
    record(out, 0x00E0, &b);
}

/// The SST record and its Continue records; strings are never split (each
/// fits in one record here).
fn sst(out: &mut Vec<u8>, strings: &[String], total_refs: u32) {
    let mut body: Vec<u8> = Vec::new();
    body.extend(total_refs.to_le_bytes());
    body.extend((strings.len() as u32).to_le_bytes());
    let mut first = true;
    for s in strings {
        let enc = unicode_string(s, false);
        assert!(enc.len() <= MAX_RECORD, "string too long for one record");
        if body.len() + enc.len() > MAX_RECORD {
            record(out, if first { 0x00FC } else { 0x003C }, &body);
            first = false;
            body.clear();
        }
        body.extend(enc);
    }
    record(out, if first { 0x00FC } else { 0x003C }, &body);
}

/// The Workbook stream of a one-sheet workbook.
fn workbook_stream(sheet_name: &str, headers: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    // Shared strings, in order of first use.
    let mut strings: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut refs = 0u32;
    let mut intern = |s: &str, strings: &mut Vec<String>| -> u32 {
        refs += 1;
        if let Some(i) = index.get(s) {
            return *i;
        }
        let i = strings.len() as u32;
        strings.push(s.to_string());
        index.insert(s.to_string(), i);
        i
    };
    // The sheet substream first (its strings fill the SST).
    let mut sheet = Vec::new();
    bof(&mut sheet, 0x0010);
    let ncols = headers.len() as u16;
    let nrows = rows.len() as u32 + 1;
    let mut dim = Vec::new();
    dim.extend(0u32.to_le_bytes());
    dim.extend(nrows.to_le_bytes());
    dim.extend(0u16.to_le_bytes());
    dim.extend(ncols.to_le_bytes());
    dim.extend(0u16.to_le_bytes());
    record(&mut sheet, 0x0200, &dim);
    let mut window2 = Vec::new();
    window2.extend(0x06B6u16.to_le_bytes()); // gridlines, headers, zeros, selected, active
    window2.extend(0u16.to_le_bytes()); // top row
    window2.extend(0u16.to_le_bytes()); // left column
    window2.extend(64u32.to_le_bytes()); // grid colour (+ reserved)
    window2.extend(0u16.to_le_bytes()); // zoom in page break preview
    window2.extend(0u16.to_le_bytes()); // zoom normal
    window2.extend(0u32.to_le_bytes()); // reserved
    record(&mut sheet, 0x023E, &window2);
    let label = |sheet: &mut Vec<u8>, r: u16, c: u16, isst: u32| {
        let mut b = Vec::with_capacity(10);
        b.extend(r.to_le_bytes());
        b.extend(c.to_le_bytes());
        b.extend(CELL_XF.to_le_bytes());
        b.extend(isst.to_le_bytes());
        record(sheet, 0x00FD, &b);
    };
    for (c, h) in headers.iter().enumerate() {
        let i = intern(h, &mut strings);
        label(&mut sheet, 0, c as u16, i);
    }
    for (r, cells) in rows.iter().enumerate() {
        let r = u16::try_from(r + 1).expect("an .xls sheet holds at most 65,536 rows");
        for (c, cell) in cells.iter().enumerate() {
            match cell {
                Cell::Num(v) => {
                    let mut b = Vec::with_capacity(14);
                    b.extend(r.to_le_bytes());
                    b.extend((c as u16).to_le_bytes());
                    b.extend(CELL_XF.to_le_bytes());
                    b.extend(v.to_le_bytes());
                    record(&mut sheet, 0x0203, &b);
                }
                Cell::Text(s) => {
                    let i = intern(s, &mut strings);
                    label(&mut sheet, r, c as u16, i);
                }
            }
        }
    }
    record(&mut sheet, 0x000A, &[]);

    // Workbook globals.
    let mut g = Vec::new();
    bof(&mut g, 0x0005);
    record(&mut g, 0x00E1, &1200u16.to_le_bytes()); // InterfaceHdr: UTF-16
    record(&mut g, 0x00C1, &[0, 0]); // Mms
    record(&mut g, 0x00E2, &[]); // InterfaceEnd
    record(&mut g, 0x0042, &1200u16.to_le_bytes()); // CodePage: UTF-16
    record(&mut g, 0x0161, &[0, 0]); // DSF
    record(&mut g, 0x013D, &1u16.to_le_bytes()); // RRTabId
    record(&mut g, 0x0019, &[0, 0]); // WinProtect
    record(&mut g, 0x0012, &[0, 0]); // Protect
    record(&mut g, 0x0013, &[0, 0]); // Password
    record(&mut g, 0x0040, &[0, 0]); // Backup
    record(&mut g, 0x008D, &[0, 0]); // HideObj
    let mut window1 = Vec::new();
    for v in [0u16, 0, 0x4000, 0x2000, 0x0038, 0, 0, 1, 0x0258] {
        window1.extend(v.to_le_bytes());
    }
    record(&mut g, 0x003D, &window1);
    record(&mut g, 0x0022, &[0, 0]); // DateMode: 1900
    record(&mut g, 0x000E, &[1, 0]); // Precision
    record(&mut g, 0x01B7, &[0, 0]); // RefreshAll
    record(&mut g, 0x00DA, &[0, 0]); // BookBool
    for i in 0..4 {
        font(&mut g, i == 1);
    }
    for i in 0..15u16 {
        xf(&mut g, true, if i == 0 { 0 } else { 1.min(i) });
    }
    xf(&mut g, false, 0);
    record(&mut g, 0x0293, &[0x00, 0x80, 0x00, 0xFF]); // Style: Normal (built-in 0)
                                                       // BoundSheet8: the sheet's offset is patched once the SST size is known.
    let boundsheet_at = g.len() + 4;
    let mut bs = Vec::new();
    bs.extend(0u32.to_le_bytes());
    bs.push(0); // visible
    bs.push(0); // worksheet
    bs.extend(unicode_string(sheet_name, true));
    record(&mut g, 0x0085, &bs);
    record(&mut g, 0x008C, &[1, 0, 86, 0]); // Country: US defaults, China
    sst(&mut g, &strings, refs);
    record(&mut g, 0x000A, &[]);
    let sheet_offset = g.len() as u32;
    g[boundsheet_at..boundsheet_at + 4].copy_from_slice(&sheet_offset.to_le_bytes());
    g.extend(sheet);
    g
}

/// A complete .xls file with one sheet.
pub fn workbook(sheet_name: &str, headers: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let stream = workbook_stream(sheet_name, headers, rows);
    let mut comp =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
            .expect("cfb container");
    {
        let mut s = comp.create_stream("/Workbook").expect("Workbook stream");
        s.write_all(&stream).expect("write stream");
    }
    comp.flush().expect("flush cfb");
    comp.into_inner().into_inner()
}
