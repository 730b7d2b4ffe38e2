//! The customs bulletin as the statistics platform exports it (Chinese
//! interface, amounts in RMB, the monthly breakdown ticked).

/// The column names, in the platform's order.
pub const HEADERS: [&str; 10] = [
    "数据年月",
    "贸易伙伴编码",
    "贸易伙伴名称",
    "商品编码",
    "商品名称",
    "第一数量",
    "第一计量单位",
    "第二数量",
    "第二计量单位",
    "人民币",
];

/// The header line of a platform CSV: every name quoted, a trailing comma,
/// a line feed.
pub const CSV_HEADER: &str = "\"数据年月\",\"贸易伙伴编码\",\"贸易伙伴名称\",\"商品编码\",\"商品名称\",\"第一数量\",\"第一计量单位\",\"第二数量\",\"第二计量单位\",\"人民币\",\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_header_quotes_the_headers() {
        let line: String = HEADERS.iter().map(|h| format!("\"{h}\",")).collect();
        assert_eq!(CSV_HEADER, format!("{line}\n"));
    }
}
