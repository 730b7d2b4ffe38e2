//! Readers: every form of bulletin (CSV Chinese/English, GBK/UTF-8, Excel
//! .xlsx/.xls, saved HTML pages), bad rows, and fatal file errors.

use cnexport_core::{
    Currency, Fact, HeaderLanguage, HsCode, Month, ParsedFile, PartnerCode, QuarantineReason,
    SourceFormat,
};
use cnexport_ingest::{is_bulletin_path, parse_bytes, parse_file, IngestError, IngestErrorKind};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- helpers

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn gbk(s: &str) -> Vec<u8> {
    let (bytes, _, had_errors) = encoding_rs::GB18030.encode(s);
    assert!(!had_errors);
    bytes.into_owned()
}

/// A CSV as the platform writes it: every field quoted, a trailing comma.
fn platform_csv(header: &[&str], rows: &[&[&str]], eol: &str) -> String {
    let line = |fields: &[&str]| {
        let mut s = String::new();
        for f in fields {
            s.push('"');
            s.push_str(&f.replace('"', "\"\""));
            s.push_str("\",");
        }
        s.push_str(eol);
        s
    };
    let mut out = line(header);
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

use cnexport_testkit::bulletin::HEADERS as ZH_HEADER;

#[track_caller]
fn parse(bytes: &[u8], name: &str) -> ParsedFile {
    match parse_bytes(bytes, name) {
        Ok(p) => {
            check_invariants(&p, bytes, name);
            p
        }
        Err(e) => panic!("{name} should parse: {e}"),
    }
}

#[track_caller]
fn fail(bytes: &[u8], name: &str) -> IngestError {
    match parse_bytes(bytes, name) {
        Ok(p) => panic!("{name} should fail, got {} rows", p.rows_read),
        Err(e) => {
            let shown = e.to_string();
            assert!(
                shown.starts_with(&format!("{name}: ")),
                "names the file: {shown}"
            );
            assert!(!shown.contains('\n'), "one line: {shown}");
            assert!(shown.contains("; "), "says what and how: {shown}");
            e
        }
    }
}

#[track_caller]
fn check_invariants(p: &ParsedFile, bytes: &[u8], name: &str) {
    assert_eq!(p.path, name);
    assert_eq!(p.size, bytes.len() as u64);
    assert_eq!(p.sha256.len(), 64);
    assert!(p
        .sha256
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(
        p.rows_read,
        (p.facts.len() + p.quarantined.len()) as u64,
        "rows read = loaded + quarantined"
    );
    for q in &p.quarantined {
        assert!(q.raw.chars().count() <= 500);
        assert!(!q.detail.is_empty());
    }
}

fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

fn find<'a>(p: &'a ParsedFile, m: &str, hs: u32, partner: u16) -> &'a Fact {
    p.facts
        .iter()
        .find(|f| {
            f.month == month(m) && f.hs_code == HsCode(hs) && f.partner == PartnerCode(partner)
        })
        .unwrap_or_else(|| panic!("no fact {m} {hs:08} {partner} in {:?}", p.facts))
}

fn reasons(p: &ParsedFile) -> Vec<(u32, QuarantineReason)> {
    p.quarantined.iter().map(|q| (q.line, q.reason)).collect()
}

// ------------------------------------------------------------- real data

#[test]
fn real_2024out_parses_clean() {
    let bytes = std::fs::read(fixtures().join("realdata/2024out.csv")).unwrap();
    let p = parse(&bytes, "realdata/2024out.csv");
    assert!(p.quarantined.is_empty(), "{:?}", p.quarantined);
    assert_eq!(p.format, SourceFormat::Csv);
    assert_eq!(p.encoding.as_deref(), Some("GB18030"));
    assert_eq!(p.language, HeaderLanguage::Chinese);
    assert_eq!(p.currency, Currency::Cny);
    assert!(!p.has_reg_place && !p.has_trade_mode);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);

    let f = find(&p, "202401", 12019020, 502);
    assert_eq!(f.value, 456_041);
    assert_eq!(f.quantity1, 38_483);
    assert_eq!(f.unit1.as_deref(), Some("千克"));
    assert_eq!(f.quantity2, 0);
    assert_eq!(f.unit2, None, "`?` is no unit");
    assert_eq!(f.reg_place, None);
    assert_eq!(f.line, 4);
    assert_eq!(p.facts[0].line, 2, "the first data row is line 2");

    assert!(p
        .product_names
        .contains(&(HsCode(12019020), "黑大豆，种用除外".to_string())));
    assert!(p
        .partner_names
        .contains(&(PartnerCode(502), "美国".to_string())));
    assert!(p
        .partner_names
        .contains(&(PartnerCode(410), "巴西".to_string())));
}

#[test]
fn every_real_file_reads_every_line_and_reconciles() {
    let dir = fixtures().join("realdata");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5);
    for path in files {
        let name = format!("realdata/{}", path.file_name().unwrap().to_str().unwrap());
        let bytes = std::fs::read(&path).unwrap();
        let p = parse_file(&path, &name).unwrap();
        check_invariants(&p, &bytes, &name);
        assert!(p.quarantined.is_empty(), "{name}: {:?}", p.quarantined);

        // An independent reading: data lines and the sum of the 人民币 column.
        let text = encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(&bytes)
            .unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(p.rows_read, (lines.len() - 1) as u64, "{name}");
        let split = |l: &str| -> Vec<String> {
            l.trim_end_matches(',')
                .trim_matches('"')
                .split("\",\"")
                .map(str::to_string)
                .collect()
        };
        let header = split(lines[0]);
        let vi = header.iter().position(|h| h == "人民币").unwrap();
        let total: i128 = lines[1..]
            .iter()
            .map(|l| split(l)[vi].replace(',', "").parse::<i128>().unwrap())
            .sum();
        assert_eq!(p.value_loaded(), total, "{name}");
        // Lines are physical lines, in order.
        let got: Vec<u32> = p.facts.iter().map(|f| f.line).collect();
        let want: Vec<u32> = (2..=lines.len() as u32).collect();
        assert_eq!(got, want, "{name}");
    }
}

// ------------------------------------------------------------ CSV, Chinese

#[test]
fn gbk_crlf_reordered_with_dimensions_dotted_codes_and_commas() {
    let header = [
        "贸易方式编码",
        "贸易方式名称",
        "商品编码",
        "商品名称",
        "注册地编码",
        "注册地名称",
        "贸易伙伴编码",
        "贸易伙伴名称",
        "数据年月",
        "第一数量",
        "第一计量单位",
        "第二数量",
        "第二计量单位",
        "人民币",
        "备注",
    ];
    let rows: &[&[&str]] = &[
        &[
            "10",
            "一般贸易",
            "8517.12.00",
            "手机, 含智能手机",
            "44199",
            "深圳市",
            "502",
            "美国",
            "2024-03",
            "1,000",
            "台",
            "2,500",
            "千克",
            "16,536,067,327",
            "x",
        ],
        // Same month/HS/partner, another trade mode: a different key.
        &[
            "14",
            "进料加工贸易",
            "85171200",
            "手机, 含智能手机",
            "44199",
            "深圳市",
            "502",
            "美国",
            "2024年03月",
            "5",
            "台",
            "?",
            "?",
            "1,234",
            "",
        ],
        // A name with an embedded line break: the record starts on line 4.
        &[
            "10",
            "一般贸易",
            "12019020",
            "黑大豆，\n种用除外",
            "44199",
            "深圳市",
            "410",
            "巴西",
            "2024/4",
            "3",
            "千克",
            "0",
            "?",
            "999",
            "",
        ],
    ];
    for eol in ["\r\n", "\n"] {
        let text = platform_csv(&header, rows, eol);
        let bytes = gbk(&text);
        let p = parse(&bytes, "in/gbk.csv");
        assert_eq!(p.encoding.as_deref(), Some("GB18030"));
        assert!(p.has_reg_place && p.has_trade_mode);
        assert_eq!(p.rows_read, 3);
        assert!(p.quarantined.is_empty(), "{:?}", p.quarantined);
        let f = &p.facts[0];
        assert_eq!(f.hs_code, HsCode(85171200));
        assert_eq!(f.month, month("202403"));
        assert_eq!(f.partner, PartnerCode(502));
        assert_eq!(f.reg_place.as_deref(), Some("44199"));
        assert_eq!(f.trade_mode.as_deref(), Some("10"));
        assert_eq!(f.value, 16_536_067_327);
        assert_eq!((f.quantity1, f.quantity2), (1000, 2500));
        assert_eq!(f.unit2.as_deref(), Some("千克"));
        assert_eq!(f.line, 2);
        assert_eq!(p.facts[1].trade_mode.as_deref(), Some("14"));
        assert_eq!(p.facts[1].unit2, None);
        assert_eq!(p.facts[1].line, 3);
        assert_eq!(p.facts[2].line, 4);
        assert_eq!(p.facts[2].month, month("202404"));
        assert_eq!(
            p.product_names,
            vec![
                (HsCode(85171200), "手机, 含智能手机".to_string()),
                (HsCode(12019020), "黑大豆，\n种用除外".to_string()),
            ]
        );
    }
}

#[test]
fn blank_lines_are_not_rows_and_lines_stay_physical() {
    let text = "\"数据年月\",\"商品编码\",\"贸易伙伴编码\",\"人民币\",\r\n\r\n\"202401\",\"12011000\",\"502\",\"1\",\r\n,,,,\r\n\r\n\"202401\",\"12019011\",\"502\",\"2\",\r\n\"\",\"\",\"\",\"\",\r\n\"202401\",\"12019019\",\"502\",\"3\"".to_string();
    let p = parse(&gbk(&text), "blank.csv");
    assert_eq!(p.rows_read, 3);
    let lines: Vec<u32> = p.facts.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![3, 6, 8]);
    // Lone CR line ends (old Mac) count as lines too.
    let p = parse(text.replace("\r\n", "\r").as_bytes(), "cr.csv");
    assert_eq!(
        p.facts.iter().map(|f| f.line).collect::<Vec<_>>(),
        vec![3, 6, 8]
    );
}

#[test]
fn tolerant_headers_and_name_only_dimensions() {
    let text = "\u{feff} 数据 年月 ,\"人民币（元）\",商品编码,贸易伙伴编码,贸易方式,注册地,第一数量,第一计量单位,多余列\n\
                2024-01,\"1,000\",12011000,502,一般贸易,广东省,7,千克,zzz\n";
    let p = parse(text.as_bytes(), "tolerant.csv");
    assert_eq!(p.encoding.as_deref(), Some("UTF-8 BOM"));
    assert_eq!(p.currency, Currency::Cny);
    assert!(p.has_trade_mode && p.has_reg_place);
    let f = &p.facts[0];
    assert_eq!(f.trade_mode.as_deref(), Some("一般贸易"));
    assert_eq!(f.reg_place.as_deref(), Some("广东省"));
    assert_eq!((f.value, f.quantity1, f.quantity2), (1000, 7, 0));
    assert_eq!(f.unit2, None);
}

#[test]
fn title_rows_above_the_header_are_skipped() {
    let text = "\"2024年1-3月 大豆 出口\",\n\"单位：人民币元\",\n\"数据年月\",\"商品编码\",\"贸易伙伴编码\",\"人民币\",\n\"202401\",\"12011000\",\"502\",\"5\",\n";
    let p = parse(&gbk(text), "title.csv");
    assert_eq!(p.rows_read, 1);
    assert_eq!(p.facts[0].line, 4);
}

#[test]
fn both_currencies_use_rmb_and_warn() {
    let text = "数据年月,商品编码,贸易伙伴编码,美元,人民币\n202401,12011000,502,10,70\n";
    let p = parse(text.as_bytes(), "both.csv");
    assert_eq!(p.currency, Currency::Cny);
    assert_eq!(p.facts[0].value, 70);
    assert!(p.warnings.iter().any(|w| w.contains("人民币")));
}

// ------------------------------------------------------------ CSV, English

const EN_HEADER: &str = "Date of data,Commodity code,Commodity,Trading partner code,Trading partner,Customs Regime code,Customs Regime,Locations of importers and exporters code,Locations of importers and exporters,Quantity,Unit,Supplimentary Quantity,Supplementary Unit,US dollar";

#[test]
fn english_headers_in_every_encoding() {
    let body = "202403,01012100,\"Horses, pure-bred\",502,United States,10,General trade,11019,Beijing,\"3\",head,\"1,500\",kg,\"2,345\"\n\
                202403,85171200,Phones,410,Brazil,10,General trade,11019,Beijing,1000,unit,?,?,99\n";
    let text = format!("{EN_HEADER}\n{body}");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (text.as_bytes().to_vec(), "UTF-8"),
        (
            [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
            "UTF-8 BOM",
        ),
        (gbk(&text.replace("Beijing", "北京")), "GB18030"),
    ];
    for (bytes, enc) in cases {
        let p = parse(&bytes, "en.csv");
        assert_eq!(p.encoding.as_deref(), Some(enc));
        assert_eq!(p.language, HeaderLanguage::English);
        assert_eq!(p.currency, Currency::Usd);
        assert!(p.has_reg_place && p.has_trade_mode);
        assert_eq!(p.rows_read, 2);
        let f = find(&p, "202403", 1012100, 502);
        assert_eq!(f.value, 2345);
        assert_eq!((f.quantity1, f.quantity2), (3, 1500));
        assert_eq!(f.unit1.as_deref(), Some("head"));
        assert_eq!(f.unit2.as_deref(), Some("kg"));
        assert_eq!(f.reg_place.as_deref(), Some("11019"));
        assert_eq!(f.trade_mode.as_deref(), Some("10"));
        assert!(p
            .product_names
            .contains(&(HsCode(1012100), "Horses, pure-bred".to_string())));
        let g = find(&p, "202403", 85171200, 410);
        assert_eq!((g.quantity2, g.unit2.as_deref()), (0, None));
    }
}

#[test]
fn english_variants_rmb_and_case() {
    let text = "DATE OF DATA ,commodity code,TRADING PARTNER CODE,Supplementary Quantity,Renminbi Yuan\n2024/1,12011000,502,4,7\n";
    let p = parse(text.as_bytes(), "en2.csv");
    assert_eq!(p.currency, Currency::Cny);
    assert_eq!(p.language, HeaderLanguage::English);
    assert_eq!((p.facts[0].quantity2, p.facts[0].value), (4, 7));
    let text = "Date of data,Commodity code,Trading partner code,USD\n202401,12011000,502,7\n";
    assert_eq!(parse(text.as_bytes(), "en3.csv").currency, Currency::Usd);
    let text = "Date of data,Commodity code,Trading partner code,RMB\n202401,12011000,502,7\n";
    assert_eq!(parse(text.as_bytes(), "en4.csv").currency, Currency::Cny);
}

/// A download of the platform's English interface (2017-2018), as such
/// files are: every field quoted, a trailing comma, CRLF, both currency
/// columns, a NUL byte as the commodity name on every row, and the GBK
/// full-width comma of "Hong Kong，China" in an otherwise ASCII file.
#[test]
fn an_english_download_with_nul_names_and_gbk_bytes() {
    let bytes = std::fs::read(fixtures().join("english/english_2017_2018.csv")).unwrap();
    assert_eq!(bytes.iter().filter(|b| **b == 0).count(), 70);
    let p = parse(&bytes, "english_2017_2018.csv");
    assert_eq!(p.encoding.as_deref(), Some("GB18030"));
    assert_eq!(p.language, HeaderLanguage::English);
    assert_eq!(p.currency, Currency::Cny);
    assert_eq!((p.rows_read, p.facts.len()), (70, 70));
    assert!(p.quarantined.is_empty());
    assert!(
        p.warnings.iter().any(|w| w
            == "english_2017_2018.csv: 70 NUL bytes read as empty values (the platform's English downloads write a NUL byte as the commodity name)"),
        "{:?}",
        p.warnings
    );
    // Both currencies: the yuan column is the value.
    assert!(p
        .warnings
        .iter()
        .any(|w| w.contains("人民币 (yuan) column is used")));
    let f = find(&p, "201801", 85171200, 110);
    assert_eq!(f.value, 430_370);
    assert_eq!((f.quantity1, f.quantity2), (473, 95));
    assert_eq!(f.unit1.as_deref(), Some("kg"));
    assert_eq!(f.unit2.as_deref(), Some("unit"));
    let g = find(&p, "201701", 12019010, 502);
    assert_eq!((g.value, g.quantity1, g.quantity2), (28_331, 43, 0));
    assert_eq!(g.unit2, None);
    // The NUL names are empty: no product name is taken from them.
    assert!(p.product_names.is_empty(), "{:?}", p.product_names);
    assert!(p
        .partner_names
        .contains(&(PartnerCode(110), "Hong Kong，China".to_string())));
    assert!(p
        .partner_names
        .contains(&(PartnerCode(133), "Korea, Rep.".to_string())));
}

#[test]
fn nul_bytes_in_fields_are_empty_values_but_binary_data_is_refused() {
    // Unquoted NUL fields, and a NUL run in quotes.
    let text = b"Date of data,Commodity code,Commodity,Trading partner code,Renminbi Yuan\n201701,12011000,\0,502,5\n201702,12011000,\"\0\0\",502,6\n";
    let p = parse(text, "nul.csv");
    assert_eq!(p.facts.len(), 2);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("3 NUL bytes read as empty values")),
        "{:?}",
        p.warnings
    );
    // A NUL inside a word is not a field value: the file is binary data.
    let e = fail(
        b"Date of data,Commodity code,Trading partner code,Renminbi Yuan\n2017\x0001,12011000,502,5\n",
        "inword.csv",
    );
    assert_eq!(e.kind, IngestErrorKind::Undecodable);
    // Control bytes beside the NULs: binary data.
    let e = fail(
        b"Date of data,Commodity code,Trading partner code,Renminbi Yuan\n201701,\x01\x02,\0,5\n",
        "ctl.csv",
    );
    assert_eq!(e.kind, IngestErrorKind::Undecodable);
    // UTF-16LE without a BOM.
    let utf16: Vec<u8> =
        "Date of data,Commodity code,Trading partner code,Renminbi Yuan\n201701,12011000,502,5\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
    assert_eq!(fail(&utf16, "utf16.csv").kind, IngestErrorKind::Undecodable);
}

/// ASCII text with a few GBK bytes (an English download's "Hong Kong，China")
/// is GB18030, not an undecodable file; so is Chinese GBK text.
#[test]
fn english_text_with_a_few_gbk_bytes_is_gb18030() {
    let text = b"Date of data,Commodity code,Trading partner code,Trading partner,Renminbi Yuan\n201701,12011000,110,\"Hong Kong\xA3\xACChina\",5\n";
    let p = parse(text, "hk.csv");
    assert_eq!(p.encoding.as_deref(), Some("GB18030"));
    assert_eq!(
        p.partner_names,
        [(PartnerCode(110), "Hong Kong，China".to_string())]
    );
}

// ------------------------------------------------------------- bad rows

/// The duplicate check keeps no map while the keys rise (the platform's
/// order) and makes one at the first key that does not: in any order of
/// rows, with a registration place beside the key, the rows quarantined as
/// duplicates are those whose key an earlier loaded row has (an oracle that
/// remembers every key).
#[test]
fn duplicate_keys_are_found_in_any_row_order() {
    let header = [
        "数据年月",
        "商品编码",
        "贸易伙伴编码",
        "注册地编码",
        "人民币",
    ];
    let mut keys = Vec::new();
    for month in ["202401", "202402"] {
        for hs in ["01012100", "85171200"] {
            for partner in ["110", "502"] {
                for place in ["11", "31"] {
                    keys.push([month, hs, partner, place]);
                }
            }
        }
    }
    // A few deterministic orders: sorted, sorted with repeats, reversed,
    // interleaved, and sorted with one early key repeated at the end.
    let mut orders: Vec<Vec<[&str; 4]>> = vec![keys.clone()];
    let mut repeats = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        repeats.push(*k);
        if i % 5 == 0 {
            repeats.push(*k);
        }
    }
    orders.push(repeats);
    orders.push(keys.iter().rev().copied().collect());
    let mut interleaved: Vec<[&str; 4]> = keys.iter().step_by(3).copied().collect();
    interleaved.extend(keys.iter().copied());
    orders.push(interleaved);
    let mut late = keys.clone();
    late.push(keys[1]);
    late.push(keys[7]);
    orders.push(late);
    for order in orders {
        let rows: Vec<Vec<String>> = order
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let mut r: Vec<String> = k.iter().map(|c| c.to_string()).collect();
                r.push((i + 1).to_string());
                r
            })
            .collect();
        let row_refs: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| r.iter().map(String::as_str).collect())
            .collect();
        let refs: Vec<&[&str]> = row_refs.iter().map(Vec::as_slice).collect();
        let p = parse(&gbk(&platform_csv(&header, &refs, "\n")), "order.csv");
        let mut seen = std::collections::HashMap::new();
        let mut expected = Vec::new();
        for (i, k) in order.iter().enumerate() {
            let line = i as u32 + 2;
            if let Some(first) = seen.get(k) {
                expected.push((line, *first));
            } else {
                seen.insert(*k, line);
            }
        }
        let got: Vec<(u32, u32)> = p
            .quarantined
            .iter()
            .map(|q| {
                assert_eq!(q.reason, QuarantineReason::DuplicateKeyInFile);
                let first = q.detail.rsplit("as line ").next().unwrap();
                let first: u32 = first.split(';').next().unwrap().parse().unwrap();
                (q.line, first)
            })
            .collect();
        assert_eq!(got, expected);
        assert_eq!(p.facts.len(), seen.len());
    }
}

#[test]
fn bad_rows_are_quarantined_with_line_and_reason() {
    let header = [
        "数据年月",
        "商品编码",
        "商品名称",
        "贸易伙伴编码",
        "第一数量",
        "第二数量",
        "人民币",
    ];
    let rows: &[&[&str]] = &[
        &["202401", "12011000", "好", "502", "1", "?", "100"], // 2 ok
        &["202413", "12011000", "月", "502", "1", "0", "100"], // 3 bad month
        &["202401", "1201100", "七位", "502", "1", "0", "100"], // 4 7-digit text HS
        &["202401", "120110001", "九位", "502", "1", "0", "100"], // 5 9-digit HS
        &["202401", "12011000", "伙伴", "5020", "1", "0", "100"], // 6 bad partner
        &["202401", "12011000", "空值", "410", "1", "0", ""],  // 7 empty value
        &["202401", "12011000", "非数", "411", "1", "0", "abc"], // 8 non-numeric value
        &["202401", "12011000", "负值", "412", "1", "0", "-5"], // 9 negative value
        &["202401", "12011000", "数量", "413", "x", "0", "100"], // 10 bad quantity
        &["202401", "12011000", "负量", "414", "-1", "0", "100"], // 11 negative quantity
        &["202401", "12011000", "重复", "502", "1", "0", "300"], // 12 duplicate of 2
        &["202402", "12011000", "小数", "502", "1.5", "0", "12.5"], // 13 ok, rounded
        &["202402", "12011000", "科学", "410", "1", "0", "1.65E+10"], // 14 scientific
    ];
    let mut text = platform_csv(&header, rows, "\n");
    text.push_str("\"202403\",\"12011000\"\n"); // 15 too few fields
    text.push_str("\"202403\",\"12011000\",\"a\",\"b\",\"502\",\"1\",\"0\",\"7\",\"extra\"\n"); // 16 shifted
    let p = parse(&gbk(&text), "bad.csv");
    use QuarantineReason::*;
    assert_eq!(
        reasons(&p),
        vec![
            (3, BadMonth),
            (4, BadHsCode),
            (5, BadHsCode),
            (6, BadPartnerCode),
            (7, BadValue),
            (8, BadValue),
            (9, NegativeValue),
            (10, BadQuantity),
            (11, BadQuantity),
            (12, DuplicateKeyInFile),
            (14, BadValue),
            (15, MalformedRow),
            (16, MalformedRow),
        ]
    );
    assert_eq!(p.rows_read, 15);
    assert_eq!(p.facts.len(), 2);
    let rounded = &p.facts[1];
    assert_eq!(
        (rounded.value, rounded.quantity1, rounded.line),
        (13, 2, 13)
    );

    let q = |line: u32| p.quarantined.iter().find(|q| q.line == line).unwrap();
    assert!(q(3).detail.contains("数据年月") && q(3).detail.contains("202413"));
    assert!(q(4).detail.contains("商品编码") && q(4).detail.contains("1201100"));
    assert!(q(6).detail.contains("5020"));
    assert_eq!(
        q(9).value,
        Some(-5),
        "a negative value is kept for reconciliation"
    );
    assert_eq!(q(3).value, Some(100));
    assert_eq!(q(7).value, None);
    assert!(q(12).detail.contains("line 2"), "{}", q(12).detail);
    assert_eq!(q(12).value, Some(300));
    assert!(q(14).detail.contains("scientific"));
    assert_eq!(q(15).value, None);
    assert_eq!(q(16).value, None, "a shifted row's value is not trusted");
    assert!(q(16).detail.contains("beyond"), "{}", q(16).detail);
    assert_eq!(q(3).raw, "202413,12011000,月,502,1,0,100");
    // Reconciliation: every readable value is either loaded or quarantined.
    assert_eq!(p.value_loaded(), 113);
}

#[test]
fn raw_is_truncated_to_500_chars() {
    let long = "长".repeat(800);
    let text =
        format!("数据年月,商品编码,商品名称,贸易伙伴编码,人民币\n202401,123,\"{long}\",502,1\n");
    let p = parse(text.as_bytes(), "long.csv");
    assert_eq!(p.quarantined[0].raw.chars().count(), 500);
}

// ---------------------------------------------------------- fatal errors

#[test]
fn no_month_column_says_tick_monthly_breakdown() {
    let text = platform_csv(
        &[
            "贸易伙伴编码",
            "贸易伙伴名称",
            "商品编码",
            "商品名称",
            "人民币",
        ],
        &[&["502", "美国", "12019020", "黑大豆", "456,041"]],
        "\n",
    );
    let e = fail(&gbk(&text), "q/no_month.csv");
    assert_eq!(e.kind, IngestErrorKind::NoMonthColumn);
    assert_eq!(e.path, "q/no_month.csv");
    let msg = e.to_string();
    assert!(msg.contains("分月展示"), "{msg}");
    assert!(msg.contains("tick 分月展示"), "{msg}");
    assert!(msg.contains("download"), "{msg}");
}

#[test]
fn missing_value_column_is_named_with_the_headers_found() {
    let text = platform_csv(
        &["数据年月", "商品编码", "贸易伙伴编码", "第一数量"],
        &[],
        "\n",
    );
    let e = fail(&gbk(&text), "nov.csv");
    assert_eq!(e.kind, IngestErrorKind::MissingColumns);
    let msg = e.to_string();
    assert!(msg.contains("人民币"), "{msg}");
    assert!(
        msg.contains("headers found: 数据年月, 商品编码, 贸易伙伴编码, 第一数量"),
        "{msg}"
    );

    let e = fail(
        b"Date of data,Commodity code,US dollar\n202401,12011000,5\n",
        "nop.csv",
    );
    assert_eq!(e.kind, IngestErrorKind::MissingColumns);
    assert!(e.message.contains("Trading partner code"), "{e}");
}

#[test]
fn empty_and_whitespace_files() {
    for bytes in [&b""[..], b"   \r\n\n\t", b"\xEF\xBB\xBF\n"] {
        let e = fail(bytes, "empty.csv");
        assert_eq!(e.kind, IngestErrorKind::Empty);
    }
}

#[test]
fn header_only_is_ok_with_a_warning() {
    let text = platform_csv(&ZH_HEADER, &[], "\r\n");
    let p = parse(&gbk(&text), "header_only.csv");
    assert_eq!(p.rows_read, 0);
    assert!(p.facts.is_empty());
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].contains("header_only.csv") && p.warnings[0].contains("no data rows"));
}

#[test]
fn binary_junk_and_undecodable_text() {
    // Binary with NUL bytes.
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let e = fail(&junk, "junk.xls");
    assert!(
        matches!(
            e.kind,
            IngestErrorKind::Undecodable | IngestErrorKind::NotATable
        ),
        "{e}"
    );
    // Neither UTF-8 nor GB18030 (0x80 and 0xFF are never GB18030 lead bytes).
    let e = fail(b"\"\xFF\xFF\x80\",\"\x80\"\n", "bad_text.csv");
    assert_eq!(e.kind, IngestErrorKind::Undecodable);
    assert!(
        e.message.contains("UTF-8") && e.message.contains("GB18030"),
        "{e}"
    );
    // Readable text that is not a bulletin.
    let e = fail(b"hello world\nthis is not a table\n", "notes.csv");
    assert_eq!(e.kind, IngestErrorKind::NotATable);
    assert!(e.message.contains("hello world"), "{e}");
    // A PDF.
    let e = fail(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n", "report.csv");
    assert_eq!(e.kind, IngestErrorKind::UnsupportedFormat);
    // An "XML Spreadsheet 2003" served as .xls.
    let e = fail(
        b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet/></Workbook>",
        "site/xml.xls",
    );
    assert_eq!(e.kind, IngestErrorKind::UnsupportedFormat);
    assert!(e.message.contains("save it as .xlsx"), "{e}");
}

#[test]
fn exactly_ten_thousand_rows_warns_about_the_download_cap() {
    let make = |n: usize| {
        let mut s = String::from("\"数据年月\",\"商品编码\",\"贸易伙伴编码\",\"人民币\",\n");
        for i in 0..n {
            s.push_str(&format!(
                "\"2024{:02}\",\"{:08}\",\"502\",\"1\",\n",
                i % 12 + 1,
                10_000_000 + i / 12
            ));
        }
        s
    };
    let p = parse(make(10_000).as_bytes(), "cap/10000.csv");
    assert_eq!(p.rows_read, 10_000);
    assert!(p.quarantined.is_empty());
    assert_eq!(p.warnings.len(), 1);
    let w = &p.warnings[0];
    assert!(
        w.contains("cap/10000.csv") && w.contains("10,000") && w.contains("split"),
        "{w}"
    );
    let p = parse(make(9_999).as_bytes(), "cap/9999.csv");
    assert!(p.warnings.is_empty());
}

// ------------------------------------------------------ text as .xls, TSV

#[test]
fn xls_that_is_really_tab_separated_text() {
    let text = "数据年月\t商品编码\t商品名称\t贸易伙伴编码\t人民币\r\n202401\t12011000\t种用大豆\t502\t23,416\r\n";
    let p = parse(&gbk(text), "site/export.xls");
    assert_eq!(p.format, SourceFormat::Csv);
    assert_eq!(p.facts[0].value, 23_416);
    // Excel's "Unicode text": UTF-16LE with a BOM, tab-separated.
    let mut utf16 = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let p = parse(&utf16, "site/unicode.xls");
    assert_eq!(p.encoding.as_deref(), Some("UTF-16LE BOM"));
    assert_eq!(p.facts[0].value, 23_416);
}

// ------------------------------------------------------------------ HTML

fn html_page(charset: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>海关统计数据在线查询平台</title></head>
<body>
<table class="layout"><tr><td>查询条件: 2024年 出口 <table><tr><td>nested</td></tr></table></td></tr></table>
<table id="result">
  <thead><tr><th>数据年月</th><th>商品编码</th><th>商品名称</th><th>贸易伙伴编码</th><th>贸易伙伴名称</th>
  <th>第一数量</th><th>第一计量单位</th><th>第二数量</th><th>第二计量单位</th><th>人民币</th></tr></thead>
  <tbody>
  <tr><td>202401</td><td>12019020</td><td>黑大豆，
      种用除外</td><td>502</td><td>美国</td><td>38483</td><td>千克</td><td>0</td><td>?</td><td>456,041</td></tr>
  <tr><td>202401</td><td>1201902</td><td>坏码</td><td>502</td><td>美国</td><td>1</td><td>千克</td><td>0</td><td>?</td><td>1</td></tr>
  <tr><td>&nbsp;</td><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>
  <tr><td>202402</td><td>12011000</td><td>种用大豆</td><td>410</td><td>巴西</td><td>23</td><td>千克</td><td>0</td><td>?</td><td>164</td></tr>
  </tbody>
</table></body></html>"#
    )
}

#[test]
fn html_saved_page_gbk_and_utf8() {
    for (bytes, enc) in [
        (gbk(&html_page("gb2312")), "GB18030"),
        (html_page("utf-8").into_bytes(), "UTF-8"),
    ] {
        let p = parse(&bytes, "pages/result.html");
        assert_eq!(p.format, SourceFormat::Html);
        assert_eq!(p.encoding.as_deref(), Some(enc));
        assert_eq!(p.rows_read, 3);
        let f = find(&p, "202401", 12019020, 502);
        assert_eq!(f.value, 456_041);
        assert_eq!(f.line, 2, "header row = 1");
        assert_eq!(f.unit2, None);
        assert_eq!(reasons(&p), vec![(3, QuarantineReason::BadHsCode)]);
        assert_eq!(find(&p, "202402", 12011000, 410).line, 5);
        assert!(p
            .product_names
            .contains(&(HsCode(12019020), "黑大豆， 种用除外".to_string())));
    }
}

#[test]
fn html_served_as_xls_without_charset_meta() {
    let page = html_page("gbk").replace(
        r#"<meta http-equiv="Content-Type" content="text/html; charset=gbk">"#,
        "",
    );
    let p = parse(&gbk(&page), "site/download.xls");
    assert_eq!(p.format, SourceFormat::Html);
    assert_eq!(p.encoding.as_deref(), Some("GB18030"));
    assert_eq!(p.facts.len(), 2);
}

#[test]
fn html_in_utf16_as_excel_unicode_save() {
    let page = html_page("utf-16");
    let mut bytes = vec![0xFF, 0xFE];
    for u in page.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let p = parse(&bytes, "site/page.xls");
    assert_eq!(p.format, SourceFormat::Html);
    assert_eq!(p.encoding.as_deref(), Some("UTF-16LE BOM"));
    assert_eq!(p.facts.len(), 2);
}

#[test]
fn html_without_a_bulletin_table() {
    let e = fail(
        b"<html><body><p>\xE6\x9F\xA5\xE8\xAF\xA2\xE8\xB6\x85\xE6\x97\xB6</p></body></html>",
        "timeout.html",
    );
    assert_eq!(e.kind, IngestErrorKind::NotATable);
    assert!(e.message.contains("<table>"), "{e}");
    let e = fail(
        b"<html><body><table><tr><td>a</td><td>b</td></tr></table></body></html>",
        "other.htm",
    );
    assert_eq!(e.kind, IngestErrorKind::NotATable);
    let e = fail(
        "<table><tr><th>商品编码</th><th>贸易伙伴编码</th><th>人民币</th></tr></table>".as_bytes(),
        "nomonth.html",
    );
    assert_eq!(e.kind, IngestErrorKind::NoMonthColumn);
}

// ------------------------------------------------------------ Excel .xlsx

fn xlsx_workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut wb = Workbook::new();
    let notes = wb.add_worksheet();
    notes.set_name("说明").unwrap();
    notes
        .write_string(0, 0, "海关统计数据在线查询平台")
        .unwrap();

    let ws = wb.add_worksheet();
    ws.set_name("数据").unwrap();
    ws.write_string(0, 0, "2024年 出口 商品国别总值表").unwrap();
    let header = [
        "数据年月",
        "商品编码",
        "商品名称",
        "贸易伙伴编码",
        "贸易伙伴名称",
        "第一数量",
        "第一计量单位",
        "第二数量",
        "第二计量单位",
        "人民币",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    // Row 4: numeric month and HS code (leading zero lost), numeric value.
    ws.write_number(3, 0, 202403).unwrap();
    ws.write_number(3, 1, 1012100).unwrap();
    ws.write_string(3, 2, "纯种繁殖用马").unwrap();
    ws.write_number(3, 3, 502).unwrap();
    ws.write_string(3, 4, "美国").unwrap();
    ws.write_number(3, 5, 3).unwrap();
    ws.write_string(3, 6, "千克").unwrap();
    ws.write_number(3, 7, 2).unwrap();
    ws.write_string(3, 8, "头").unwrap();
    ws.write_number(3, 9, 16_536_067_327.0).unwrap();
    // Row 5: a date cell as the month, text cells, a formula with a cached value.
    let month_fmt = Format::new().set_num_format("yyyy-mm");
    let date = ExcelDateTime::from_ymd(2024, 4, 1).unwrap();
    ws.write_datetime_with_format(4, 0, &date, &month_fmt)
        .unwrap();
    ws.write_string(4, 1, "85171200").unwrap();
    ws.write_string(4, 2, "手机").unwrap();
    ws.write_string(4, 3, "410").unwrap();
    ws.write_string(4, 4, "巴西").unwrap();
    ws.write_string(4, 5, "1,000").unwrap();
    ws.write_string(4, 6, "台").unwrap();
    ws.write_string(4, 7, "?").unwrap();
    ws.write_string(4, 8, "?").unwrap();
    ws.write_formula(4, 9, Formula::new("=400+56041").set_result("456041"))
        .unwrap();
    // Row 7 (row 6 left empty): a 7-digit text code is bad; a fractional value.
    ws.write_number(6, 0, 202405).unwrap();
    ws.write_string(6, 1, "1012100").unwrap();
    ws.write_number(6, 3, 502).unwrap();
    ws.write_number(6, 9, 1).unwrap();
    ws.write_number(7, 0, 202405).unwrap();
    ws.write_number(7, 1, 12019020).unwrap();
    ws.write_number(7, 3, 502).unwrap();
    ws.write_number(7, 5, 10.5).unwrap();
    ws.write_number(7, 9, 99.5).unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn xlsx_numeric_cells_title_row_dates_and_formulas() {
    let bytes = xlsx_workbook();
    let p = parse(&bytes, "wb/export.xlsx");
    assert_eq!(p.format, SourceFormat::Xlsx);
    assert_eq!(p.encoding, None);
    assert_eq!(p.language, HeaderLanguage::Chinese);
    assert_eq!(p.rows_read, 4);

    let f = find(&p, "202403", 1012100, 502);
    assert_eq!(f.hs_code.to_string(), "01012100");
    assert_eq!(f.value, 16_536_067_327);
    assert_eq!((f.quantity1, f.quantity2), (3, 2));
    assert_eq!(f.unit2.as_deref(), Some("头"));
    assert_eq!(f.line, 4, "spreadsheet row number");

    let g = find(&p, "202404", 85171200, 410);
    assert_eq!(g.value, 456_041, "the formula's cached value");
    assert_eq!(
        (g.quantity1, g.quantity2, g.unit2.as_deref()),
        (1000, 0, None)
    );
    assert_eq!(g.line, 5);

    assert_eq!(reasons(&p), vec![(7, QuarantineReason::BadHsCode)]);
    let h = find(&p, "202405", 12019020, 502);
    assert_eq!((h.value, h.quantity1, h.line), (100, 11, 8));
    assert!(p
        .product_names
        .contains(&(HsCode(1012100), "纯种繁殖用马".to_string())));
}

#[test]
fn xlsx_english_headers_and_notes_beside_the_table() {
    use rust_xlsxwriter::Workbook;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let header = [
        "Date of data",
        "Commodity code",
        "Trading partner code",
        "Customs Regime code",
        "Quantity",
        "Unit",
        "US dollar",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "2024-03").unwrap();
    ws.write_string(1, 1, "01012100").unwrap();
    ws.write_number(1, 2, 502).unwrap();
    ws.write_number(1, 3, 10).unwrap();
    ws.write_number(1, 4, 1.5).unwrap();
    ws.write_string(1, 5, "kg").unwrap();
    ws.write_string(1, 6, "1,234").unwrap();
    ws.write_string(1, 8, "note: preliminary").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let p = parse(&bytes, "en.xlsx");
    assert_eq!(p.language, HeaderLanguage::English);
    assert_eq!(p.currency, Currency::Usd);
    assert!(p.has_trade_mode && !p.has_reg_place);
    assert!(p.quarantined.is_empty(), "{:?}", p.quarantined);
    let f = find(&p, "202403", 1012100, 502);
    assert_eq!(f.trade_mode.as_deref(), Some("10"));
    assert_eq!((f.value, f.quantity1, f.line), (1234, 2, 2));
}

#[test]
fn xlsx_with_an_extension_that_lies_is_still_read() {
    let bytes = xlsx_workbook();
    let p = parse(&bytes, "wb/export.xls");
    assert_eq!(p.format, SourceFormat::Xlsx);
    assert_eq!(p.facts.len(), 3);
}

#[test]
fn xlsx_without_a_table_or_with_missing_columns() {
    use rust_xlsxwriter::Workbook;
    let mut wb = Workbook::new();
    wb.add_worksheet()
        .write_string(0, 0, "nothing here")
        .unwrap();
    let e = fail(&wb.save_to_buffer().unwrap(), "blank.xlsx");
    assert_eq!(e.kind, IngestErrorKind::NotATable);
    assert!(e.message.contains("nothing here"), "{e}");

    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["商品编码", "贸易伙伴编码", "美元"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let e = fail(&wb.save_to_buffer().unwrap(), "nomonth.xlsx");
    assert_eq!(e.kind, IngestErrorKind::NoMonthColumn);
    assert!(e.message.contains("分月展示"));
}

#[test]
fn truncated_or_damaged_xlsx_fails_cleanly() {
    let bytes = xlsx_workbook();
    for cut in [
        10,
        100,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 30,
        bytes.len() - 1,
    ] {
        let e = fail(&bytes[..cut], "cut.xlsx");
        assert_eq!(e.kind, IngestErrorKind::Undecodable, "cut at {cut}: {e}");
        assert!(e.message.contains("truncated or corrupt"), "{e}");
    }
    // Flipped bytes anywhere: an error or a parse, never a panic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..40 {
        let mut damaged = bytes.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % damaged.len() as u64) as usize;
            damaged[at] ^= (state >> 32) as u8 | 1;
        }
        if let Ok(p) = parse_bytes(&damaged, "flip.xlsx") {
            check_invariants(&p, &damaged, "flip.xlsx");
        }
    }
}

/// A stored (uncompressed) zip with the given entries, each declaring
/// `declared_size` bytes uncompressed when given.
fn zip(entries: &[(&str, &[u8])], declared_size: Option<u32>) -> Vec<u8> {
    use cnexport_testkit::zip::Entry;
    let entries: Vec<Entry<'_>> = entries
        .iter()
        .map(|(name, data)| {
            let e = Entry::stored(name, *data);
            match declared_size {
                Some(size) => e.declaring(size),
                None => e,
            }
        })
        .collect();
    cnexport_testkit::zip::zip(&entries)
}

#[test]
fn zip_that_is_not_a_workbook_and_zip_bombs() {
    let e = fail(&zip(&[("readme.txt", b"hello")], None), "archive.xlsx");
    assert_eq!(e.kind, IngestErrorKind::UnsupportedFormat, "{e}");
    let bomb = zip(
        &[("xl/worksheets/sheet1.xml", b"<x/>"), ("a", b"b")],
        Some(u32::MAX - 1),
    );
    let e = fail(&bomb, "bomb.xlsx");
    assert_eq!(e.kind, IngestErrorKind::TooLarge, "{e}");
}

// ------------------------------------------------------------- Excel .xls

#[test]
fn legacy_xls_fixture() {
    let path = fixtures().join("xls/bulletin.xls");
    let bytes = std::fs::read(&path).unwrap();
    let p = parse_file(&path, "xls/bulletin.xls").unwrap();
    check_invariants(&p, &bytes, "xls/bulletin.xls");
    assert_eq!(p.format, SourceFormat::Xls);
    assert_eq!(p.encoding, None);
    assert_eq!(p.rows_read, 4);

    let f = find(&p, "202403", 1012100, 502);
    assert_eq!(f.hs_code.to_string(), "01012100");
    assert_eq!((f.value, f.quantity1, f.quantity2), (1_234_567, 3, 2));
    assert_eq!(f.unit2.as_deref(), Some("头"));
    assert_eq!(f.line, 4);
    let g = find(&p, "202404", 85171200, 410);
    assert_eq!(g.value, 16_536_067_327);
    assert_eq!((g.quantity2, g.unit2.as_deref(), g.line), (0, None, 5));
    assert_eq!(reasons(&p), vec![(6, QuarantineReason::BadHsCode)]);
    let h = find(&p, "202405", 12019020, 502);
    assert_eq!((h.value, h.quantity1, h.line), (100, 11, 7));
    assert!(p
        .product_names
        .contains(&(HsCode(85171200), "手机，含智能手机".to_string())));

    let e = fail(&bytes[..bytes.len() / 2], "xls/cut.xls");
    assert_eq!(e.kind, IngestErrorKind::Undecodable, "{e}");
}

// ------------------------------------------------------- files and paths

#[test]
fn parse_file_reads_from_disk_and_reports_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.csv");
    std::fs::write(
        &path,
        "数据年月,商品编码,贸易伙伴编码,人民币\n202401,12011000,502,5\n",
    )
    .unwrap();
    let p = parse_file(&path, "a.csv").unwrap();
    assert_eq!(p.facts.len(), 1);
    assert_eq!(p.encoding.as_deref(), Some("UTF-8"));

    let e = parse_file(&dir.path().join("missing.csv"), "missing.csv").unwrap_err();
    assert_eq!(e.kind, IngestErrorKind::Io);
    assert!(e.to_string().starts_with("missing.csv: "));
}

#[test]
fn files_over_one_gib_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    // Sparse: takes no disk space.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len((1 << 30) + 1).unwrap();
    let e = parse_file(&path, "huge.csv").unwrap_err();
    assert_eq!(e.kind, IngestErrorKind::TooLarge);
    assert!(e.to_string().starts_with("huge.csv: "), "{e}");
}

#[test]
fn bulletin_paths() {
    for ok in ["a.csv", "b/C.CSV", "x.xlsx", "x.XLS", "p.html", "p.Htm"] {
        assert!(is_bulletin_path(Path::new(ok)), "{ok}");
    }
    for no in [
        "a.txt",
        "a",
        "a.csv.bak",
        "~$book.xlsx",
        "._a.csv",
        "a.pdf",
        "csv",
    ] {
        assert!(!is_bulletin_path(Path::new(no)), "{no}");
    }
}

#[test]
fn same_bytes_same_digest() {
    let text = "数据年月,商品编码,贸易伙伴编码,人民币\n202401,12011000,502,5\n";
    let a = parse(text.as_bytes(), "a.csv");
    let b = parse(text.as_bytes(), "b.csv");
    assert_eq!(a.sha256, b.sha256);
    use sha2::Digest;
    assert_eq!(a.sha256, hex::encode(sha2::Sha256::digest(text.as_bytes())));
}

#[test]
fn arbitrary_bytes_never_panic() {
    let seeds: Vec<Vec<u8>> = vec![
        gbk(&platform_csv(
            &ZH_HEADER,
            &[&[
                "202401", "502", "美国", "12011000", "x", "1", "千克", "0", "?", "5",
            ]],
            "\n",
        )),
        gbk(&html_page("gbk")),
        std::fs::read(fixtures().join("xls/bulletin.xls")).unwrap(),
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (s, seed) in seeds.iter().enumerate() {
        for round in 0..60 {
            let mut b = seed.clone();
            let cut = (next() % (b.len() as u64 + 1)) as usize;
            if round % 3 == 0 {
                b.truncate(cut.max(1));
            }
            for _ in 0..(round % 7) {
                let len = b.len().max(1) as u64;
                let at = (next() % len) as usize;
                if at < b.len() {
                    b[at] = next() as u8;
                }
            }
            let name = ["f.csv", "f.html", "f.xls"][s];
            if let Ok(p) = parse_bytes(&b, name) {
                check_invariants(&p, &b, name);
            }
        }
    }
}
