//! The listing page: decoding its bytes and collecting the bulletin links.

use scraper::{Html, Selector};
use std::collections::HashSet;
use url::Url;

/// File extensions of bulletin files (compared case-insensitively).
pub const BULLETIN_EXTENSIONS: [&str; 5] = ["csv", "xls", "xlsx", "html", "htm"];

/// What a listing page links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// Distinct bulletin URLs (fragment removed), in page order.
    pub bulletins: Vec<Url>,
    /// Distinct other link targets: other file types, other schemes
    /// (mailto:, javascript:, ftp:), anchors and links to the page itself
    /// (with any query: pagination).
    pub ignored: usize,
}

/// Collects the `<a href>` links of a listing page: bulletin files
/// (.csv, .xls, .xlsx, .html, .htm, by the extension of the URL's path, the
/// query string and fragment aside) over http or https, resolved against the
/// page URL (or the page's `<base href>`). Each target counts once. Links
/// to the page itself, with any query (pagination), are not bulletins.
pub fn extract_links(html: &str, page: &Url) -> Links {
    let doc = Html::parse_document(html);
    let base_selector = Selector::parse("base[href]").expect("static selector");
    let base = doc
        .select(&base_selector)
        .next()
        .and_then(|e| e.value().attr("href"))
        .and_then(|h| page.join(h.trim()).ok())
        .filter(is_http)
        .unwrap_or_else(|| page.clone());
    let mut page_itself = page.clone();
    page_itself.set_fragment(None);

    let anchors = Selector::parse("a[href]").expect("static selector");
    let mut seen = HashSet::new();
    let mut ignored = HashSet::new();
    let mut bulletins = Vec::new();
    for a in doc.select(&anchors) {
        let href = a.value().attr("href").unwrap_or_default().trim();
        match base.join(href) {
            Ok(mut url) => {
                url.set_fragment(None);
                if is_http(&url) && !same_page(&url, &page_itself) && is_bulletin_url(&url) {
                    if seen.insert(url.as_str().to_owned()) {
                        bulletins.push(url);
                    }
                } else {
                    ignored.insert(url.as_str().to_owned());
                }
            }
            Err(_) => {
                ignored.insert(href.to_owned());
            }
        }
    }
    Links {
        bulletins,
        ignored: ignored.len(),
    }
}

/// The listing page itself, whatever the query (`list.html?page=2`
/// paginates the listing; it is not a bulletin).
fn same_page(url: &Url, page: &Url) -> bool {
    url.scheme() == page.scheme()
        && url.host() == page.host()
        && url.port_or_known_default() == page.port_or_known_default()
        && url.path() == page.path()
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// Whether the last segment of the URL's path ends in a bulletin extension.
pub fn is_bulletin_url(url: &Url) -> bool {
    let name = last_segment(url);
    let (_, ext) = split_name(&name);
    ext.is_some_and(|e| {
        BULLETIN_EXTENSIONS
            .iter()
            .any(|k| e.eq_ignore_ascii_case(k))
    })
}

/// The last segment of the URL's path, percent-decoded.
fn last_segment(url: &Url) -> String {
    let raw = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    percent_decode(raw)
}

/// `name.ext` -> (`name`, Some(`ext`)); no dot -> (`name`, None).
fn split_name(name: &str) -> (&str, Option<&str>) {
    match name.rfind('.') {
        Some(i) => (&name[..i], Some(&name[i + 1..])),
        None => (name, None),
    }
}

/// The local file name for a bulletin URL: the last path segment,
/// percent-decoded, with characters that are unsafe in file names replaced,
/// never hidden (no leading dot) and never empty.
pub fn local_name(url: &Url) -> String {
    let decoded = last_segment(url);
    let (stem, ext) = split_name(&decoded);
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_control()
                    || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
                {
                    '_'
                } else {
                    c
                }
            })
            .collect()
    };
    let mut stem = clean(stem)
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_string();
    if stem.is_empty() {
        stem = "bulletin".to_string();
    }
    // Keep names well under the usual 255-byte limit.
    if stem.len() > 160 {
        let mut cut = 160;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
    }
    match ext {
        Some(ext) => format!("{stem}.{}", clean(ext)),
        None => stem,
    }
}

/// `%E5%87%BA` -> `出`; invalid escapes are kept as they are, invalid UTF-8
/// is replaced.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Decodes a listing page: the charset of the Content-Type header, else a
/// byte-order mark, else a `<meta charset>` in the first 1024 bytes, else
/// UTF-8 when the bytes are valid UTF-8, else GB18030 (the platform's
/// encoding).
pub fn decode_page(bytes: &[u8], content_type: Option<&str>) -> String {
    let from_header = content_type.and_then(charset_param);
    let encoding = from_header
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
        .or_else(|| encoding_rs::Encoding::for_bom(bytes).map(|(e, _)| e))
        .or_else(|| {
            let head = &bytes[..bytes.len().min(1024)];
            let head = String::from_utf8_lossy(head).to_ascii_lowercase();
            charset_param(&head).and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
        })
        .unwrap_or_else(|| {
            if std::str::from_utf8(bytes).is_ok() {
                encoding_rs::UTF_8
            } else {
                encoding_rs::GB18030
            }
        });
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

/// The value after `charset=` in a header or a meta tag.
fn charset_param(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let at = lower.find("charset")?;
    let rest = lower[at + "charset".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let value: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .collect();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("http://example.test/stats/list.html?page=1").unwrap()
    }

    #[test]
    fn bulletin_links_are_resolved_and_deduplicated() {
        let html = r##"<html><body>
            <a href="a.csv">relative</a>
            <a href="./a.csv#top">same file again</a>
            <a href="/files/B.XLSX">absolute path</a>
            <a href="http://example.test/stats/a.csv">absolute url, same file</a>
            <a href="https://other.test/c.xls?download=1">other host, query</a>
            <a href="sub/d.htm">htm</a>
            <a href="report.pdf">pdf</a>
            <a href="report.pdf?name=x.csv">pdf with a csv-looking query</a>
            <a href="all.zip">zip</a>
            <a href="mailto:stats@example.test">mail</a>
            <a href="javascript:void(0)">js</a>
            <a href="#anchor">anchor</a>
            <a href="">empty</a>
            <a href="list.html?page=1">itself</a>
            <a href="list.html?page=2">next page of the listing</a>
            <a href="ftp://example.test/e.csv">ftp</a>
            <a href="folder/">folder</a>
            <a>no href</a>
        </body></html>"##;
        let links = extract_links(html, &page());
        let got: Vec<&str> = links.bulletins.iter().map(Url::as_str).collect();
        assert_eq!(
            got,
            [
                "http://example.test/stats/a.csv",
                "http://example.test/files/B.XLSX",
                "https://other.test/c.xls?download=1",
                "http://example.test/stats/sub/d.htm",
            ]
        );
        // pdf, pdf?query, zip, mailto, javascript, the page itself (#anchor,
        // "" and list.html?page=1 are one target), its next page, ftp,
        // folder/.
        assert_eq!(links.ignored, 9);
    }

    #[test]
    fn base_href_is_honoured() {
        let html = r#"<head><base href="/data/2025/"></head><a href="x.csv">x</a>"#;
        let links = extract_links(html, &page());
        assert_eq!(
            links.bulletins[0].as_str(),
            "http://example.test/data/2025/x.csv"
        );
    }

    #[test]
    fn local_names_are_decoded_and_safe() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            local_name(&u("http://h/%E5%87%BA%E5%8F%A3.csv?x=1")),
            "出口.csv"
        );
        assert_eq!(local_name(&u("http://h/a%2Fb.csv")), "a_b.csv");
        assert_eq!(local_name(&u("http://h/.csv")), "bulletin.csv");
        assert_eq!(local_name(&u("http://h/..hidden.XLS")), "hidden.XLS");
        assert!(is_bulletin_url(&u("http://h/%E5%87%BA.CSV")));
        assert!(!is_bulletin_url(&u("http://h/x.csv/")));
        assert!(!is_bulletin_url(&u("http://h/x.pdf?f=a.csv")));
    }

    #[test]
    fn pages_are_decoded_by_their_declared_charset() {
        let (gbk, _, _) =
            encoding_rs::GBK.encode("<meta charset=\"gbk\"><a href=\"出口.csv\">出口</a>");
        let text = decode_page(&gbk, Some("text/html"));
        assert!(text.contains("出口.csv"), "{text}");
        let text = decode_page(&gbk, None);
        assert!(text.contains("出口.csv"));
        let (gbk, _, _) = encoding_rs::GBK.encode("<a href=\"出口.csv\">");
        assert!(decode_page(&gbk, Some("text/html; charset=GBK")).contains("出口"));
        assert!(decode_page(&gbk, None).contains("出口"), "GB18030 fallback");
        assert!(decode_page("<a>出口</a>".as_bytes(), None).contains("出口"));
        let links = extract_links(&decode_page(&gbk, None), &page());
        assert_eq!(
            links.bulletins[0].as_str(),
            "http://example.test/stats/%E5%87%BA%E5%8F%A3.csv"
        );
    }
}
