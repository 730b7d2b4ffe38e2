//! End-to-end tests of the fetch stage against a local server (127.0.0.1
//! only) that misbehaves on purpose.

mod platform;
mod support;

use cnexport_fetch::{fetch, fetch_async, FetchError, FetchOptions};
use std::time::{Duration, Instant};
use support::{check_landing, files_under, names, options, sha256, Res, Server};

const LM: &str = "Wed, 21 Oct 2015 07:28:00 GMT";

fn bulletin(tag: &str, rows: usize) -> Vec<u8> {
    let mut s = String::from("数据年月,商品编码,贸易伙伴编码,人民币\n");
    for i in 0..rows {
        s += &format!("202506,8517130{},{:03},{}{tag}\n", i % 10, 100 + i % 50, i);
    }
    s.into_bytes()
}

#[test]
fn fetches_exactly_the_linked_bulletins_and_nothing_the_second_time() {
    let server = Server::start();
    let port = server.addr.port();
    let page = format!(
        r##"<!doctype html><html><head><meta charset="utf-8"><title>统计快讯</title></head><body>
        <a href="#top">top</a>
        <a href="a.csv">relative</a>
        <a href="./a.csv#sheet">relative again, with a fragment</a>
        <a href="/stats/a.csv">absolute path to the same file</a>
        <a href="http://127.0.0.1:{port}/files/B.XLSX">absolute URL, upper-case extension</a>
        <a href="../files/c.xls?download=1">relative, with a query</a>
        <a href="sub/d.htm">htm</a>
        <a href="出口.html">Chinese name</a>
        <a href="report.pdf">pdf</a>
        <a href="report.pdf?as=a.csv">pdf with a csv-looking query</a>
        <a href="all.zip">zip</a>
        <a href="mailto:stats@example.invalid">mail</a>
        <a href="javascript:void(0)">script</a>
        <a href="list.html">this page</a>
        <a href="ftp://127.0.0.1/e.csv">ftp</a>
        </body></html>"##
    );
    server.set("/stats/list.html", Res::html(&page));
    let a = bulletin("a", 200);
    let b = bulletin("b", 300);
    let c = bulletin("c", 50);
    let d = bulletin("d", 10);
    let zh = bulletin("zh", 20);
    server.set("/stats/a.csv", Res::with_etag(a.clone(), "\"a-1\""));
    server.set("/files/B.XLSX", Res::with_last_modified(b.clone(), LM));
    server.set("/files/c.xls", Res::file(c.clone()));
    server.set("/stats/sub/d.htm", Res::with_etag(d.clone(), "W/\"d\""));
    server.set("/stats/%E5%87%BA%E5%8F%A3.html", Res::file(zh.clone()));
    server.set("/stats/report.pdf", Res::file("%PDF"));
    server.set("/stats/all.zip", Res::file("PK"));

    let dir = tempfile::tempdir().unwrap();
    let into = dir.path().join("raw");
    let opts = options(server.url("/stats/list.html"), &into, "2025-07-20");
    let report = fetch(&opts).unwrap();
    assert!(report.is_success(), "{}", report.summary());
    assert_eq!(report.listed, 5);
    // the page itself (#top, list.html), pdf, pdf?query, zip, mailto,
    // javascript, ftp
    assert_eq!(report.ignored_links, 7);
    assert_eq!(
        names(&report.downloaded, &into),
        [
            "2025-07-20/B.XLSX",
            "2025-07-20/a.csv",
            "2025-07-20/c.xls",
            "2025-07-20/d.htm",
            "2025-07-20/出口.html",
        ]
    );
    assert!(report.changed.is_empty() && report.unchanged.is_empty());
    // Page order is kept in the report.
    assert_eq!(report.downloaded[0].url, server.url("/stats/a.csv"));
    for (name, body) in [
        ("a.csv", &a),
        ("B.XLSX", &b),
        ("c.xls", &c),
        ("d.htm", &d),
        ("出口.html", &zh),
    ] {
        let got = std::fs::read(into.join("2025-07-20").join(name)).unwrap();
        assert_eq!(&got, body, "{name}");
    }
    assert_eq!(server.hits("/stats/a.csv"), 1, "duplicates fetched once");
    assert_eq!(server.hits("/stats/report.pdf"), 0);
    assert_eq!(server.hits("/stats/all.zip"), 0);
    let manifest = check_landing(&into);
    assert_eq!(manifest.files.len(), 5);
    let a_entry = manifest.latest(&server.url("/stats/a.csv")).unwrap();
    assert_eq!(a_entry.path, "2025-07-20/a.csv");
    assert_eq!(a_entry.etag.as_deref(), Some("\"a-1\""));
    assert_eq!(a_entry.sha256, sha256(&a));
    assert_eq!(a_entry.size, a.len() as u64);
    let b_entry = manifest.latest(&server.url("/files/B.XLSX")).unwrap();
    assert_eq!(b_entry.last_modified.as_deref(), Some(LM));
    assert!(report.summary().contains("downloaded  5"));

    // Second run, another day: nothing is downloaded again.
    server.reset_counts();
    let before = files_under(&into);
    let opts = options(server.url("/stats/list.html"), &into, "2025-08-20");
    let report = fetch(&opts).unwrap();
    assert!(report.is_success(), "{}", report.summary());
    assert!(report.downloaded.is_empty(), "{}", report.summary());
    assert!(report.changed.is_empty(), "{}", report.summary());
    assert_eq!(report.unchanged.len(), 5);
    assert_eq!(files_under(&into), before, "no new file, no empty folder");
    let seen_a = server.seen("/stats/a.csv");
    assert_eq!(seen_a.len(), 1);
    assert_eq!(seen_a[0].if_none_match.as_deref(), Some("\"a-1\""));
    let seen_b = server.seen("/files/B.XLSX");
    assert_eq!(seen_b[0].if_modified_since.as_deref(), Some(LM));
    assert_eq!(check_landing(&into), manifest, "manifest unchanged");

    // A stored file that went missing is fetched again, unconditionally.
    std::fs::remove_file(into.join("2025-07-20/a.csv")).unwrap();
    server.reset_counts();
    let opts = options(server.url("/stats/list.html"), &into, "2025-07-20");
    let report = fetch(&opts).unwrap();
    assert_eq!(names(&report.downloaded, &into), ["2025-07-20/a.csv"]);
    assert_eq!(report.unchanged.len(), 4);
    assert_eq!(server.seen("/stats/a.csv")[0].if_none_match, None);
    assert_eq!(
        std::fs::read(into.join("2025-07-20/a.csv")).unwrap(),
        a,
        "restored"
    );
}

#[test]
fn transient_faults_are_retried_and_leave_only_whole_files() {
    let server = Server::start();
    let page = r#"<a href="flaky.csv">500 twice</a> <a href="short.csv">short body twice</a>
        <a href="slow.xlsx">slower than the timeout once</a> <a href="busy.xls">503 once</a>"#;
    server.set("/list.html", Res::html(page));
    let flaky = bulletin("flaky", 100);
    let short = bulletin("short", 2000);
    let slow = bulletin("slow", 30);
    let busy = bulletin("busy", 30);
    server.set(
        "/flaky.csv",
        Res::FailFirst {
            times: 2,
            status: 500,
            then: Box::new(Res::file(flaky.clone())),
        },
    );
    server.set(
        "/short.csv",
        Res::ShortFirst {
            times: 2,
            then: Box::new(Res::file(short.clone())),
        },
    );
    server.set(
        "/slow.xlsx",
        Res::Slow {
            times: 1,
            delay: Duration::from_millis(1200),
            then: Box::new(Res::file(slow.clone())),
        },
    );
    server.set(
        "/busy.xls",
        Res::FailFirst {
            times: 1,
            status: 503,
            then: Box::new(Res::file(busy.clone())),
        },
    );

    let dir = tempfile::tempdir().unwrap();
    let opts = options(server.url("/list.html"), dir.path(), "2025-07-20");
    let started = Instant::now();
    let report = fetch(&opts).unwrap();
    assert!(report.is_success(), "{}", report.summary());
    assert_eq!(report.downloaded.len(), 4);
    assert_eq!(server.hits("/flaky.csv"), 3);
    assert_eq!(server.hits("/short.csv"), 3);
    assert_eq!(server.hits("/slow.xlsx"), 2);
    assert_eq!(server.hits("/busy.xls"), 2);
    for (name, body) in [
        ("flaky.csv", &flaky),
        ("short.csv", &short),
        ("slow.xlsx", &slow),
        ("busy.xls", &busy),
    ] {
        assert_eq!(
            &std::fs::read(dir.path().join("2025-07-20").join(name)).unwrap(),
            body,
            "{name}"
        );
    }
    check_landing(dir.path());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn persistent_faults_are_reported_with_reasons_and_the_rest_is_kept() {
    let server = Server::start();
    let page = r#"
        <a href="ok.csv">fine</a>
        <a href="missing.csv">404</a>
        <a href="gone.xls">410</a>
        <a href="broken.csv">always 500</a>
        <a href="hang.csv">always slower than the timeout</a>
        <a href="short.csv">always short</a>
        <a href="big.csv">over the cap, with a length</a>
        <a href="stream.csv">over the cap, no length</a>"#;
    server.set("/list.html", Res::html(page));
    let ok = bulletin("ok", 10);
    let big = vec![b'x'; 5000];
    server.set("/ok.csv", Res::file(ok.clone()));
    server.set("/gone.xls", Res::Status(410));
    server.set(
        "/broken.csv",
        Res::FailFirst {
            times: u32::MAX,
            status: 500,
            then: Box::new(Res::file("never")),
        },
    );
    server.set(
        "/hang.csv",
        Res::Slow {
            times: u32::MAX,
            delay: Duration::from_millis(1000),
            then: Box::new(Res::file(bulletin("hang", 5))),
        },
    );
    server.set(
        "/short.csv",
        Res::ShortFirst {
            times: u32::MAX,
            then: Box::new(Res::file(bulletin("short", 60))),
        },
    );
    server.set("/big.csv", Res::file(big.clone()));
    server.set("/stream.csv", Res::NoLength(big.clone()));

    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(server.url("/list.html"), dir.path(), "2025-07-20");
    opts.retries = 2;
    opts.max_file_bytes = 4096;
    let report = fetch(&opts).unwrap();
    assert!(!report.is_success());
    assert_eq!(names(&report.downloaded, dir.path()), ["2025-07-20/ok.csv"]);
    let reason = |path: &str| -> String {
        let url = server.url(path);
        report
            .failed
            .iter()
            .find(|(u, _)| *u == url)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{url} not reported: {:?}", report.failed))
    };
    assert_eq!(report.failed.len(), 7, "{:?}", report.failed);
    assert_eq!(reason("/missing.csv"), "HTTP 404 Not Found");
    assert_eq!(reason("/gone.xls"), "HTTP 410 Gone");
    assert_eq!(
        reason("/broken.csv"),
        "HTTP 500 Internal Server Error (gave up after 3 attempts)"
    );
    assert!(
        reason("/hang.csv").starts_with("timed out after 500ms"),
        "{}",
        reason("/hang.csv")
    );
    assert!(
        reason("/short.csv").contains("cut short") && reason("/short.csv").contains("3 attempts"),
        "{}",
        reason("/short.csv")
    );
    assert!(
        reason("/big.csv").contains("size cap"),
        "{}",
        reason("/big.csv")
    );
    assert!(
        reason("/stream.csv").contains("size cap"),
        "{}",
        reason("/stream.csv")
    );
    // 4xx and the size cap are not retried; the rest is, retries + 1 times.
    assert_eq!(server.hits("/missing.csv"), 1);
    assert_eq!(server.hits("/gone.xls"), 1);
    assert_eq!(server.hits("/big.csv"), 1);
    assert_eq!(server.hits("/stream.csv"), 1);
    assert_eq!(server.hits("/broken.csv"), 3);
    assert_eq!(server.hits("/hang.csv"), 3);
    assert_eq!(server.hits("/short.csv"), 3);
    let summary = report.summary();
    eprintln!("{summary}");
    for (url, reason) in &report.failed {
        assert!(summary.contains(&format!("{url}: {reason}")), "{summary}");
    }
    assert_eq!(
        files_under(dir.path()),
        ["2025-07-20/ok.csv", "manifest.json"]
    );
    check_landing(dir.path());

    // Once the server recovers, the next run fetches what failed and keeps
    // what it had.
    for path in ["/missing.csv", "/gone.xls", "/broken.csv", "/hang.csv"] {
        server.set(path, Res::file(bulletin(path, 3)));
    }
    server.set("/short.csv", Res::file(bulletin("short", 3)));
    server.set("/big.csv", Res::file(bulletin("big", 3)));
    server.set("/stream.csv", Res::file(bulletin("stream", 3)));
    let report = fetch(&opts).unwrap();
    assert!(report.is_success(), "{}", report.summary());
    assert_eq!(report.downloaded.len(), 7);
    assert_eq!(report.unchanged, [server.url("/ok.csv")]);
    assert_eq!(check_landing(dir.path()).files.len(), 8);
}

#[test]
fn changed_content_is_kept_beside_the_old_file() {
    let server = Server::start();
    server.set(
        "/list.html",
        Res::html(r#"<a href="a.csv">a</a><a href="b.csv">b</a>"#),
    );
    let (a1, a2, a3) = (bulletin("a1", 5), bulletin("a2", 6), bulletin("a3", 7));
    let (b1, b2) = (bulletin("b1", 5), bulletin("b2", 6));
    server.set("/a.csv", Res::file(a1.clone())); // no validators
    server.set("/b.csv", Res::with_etag(b1.clone(), "\"b1\""));
    let dir = tempfile::tempdir().unwrap();
    let into = dir.path();
    let run = |release: &str| {
        let report = fetch(&options(server.url("/list.html"), into, release)).unwrap();
        assert!(report.is_success(), "{}", report.summary());
        report
    };

    let report = run("2025-07-20");
    assert_eq!(report.downloaded.len(), 2);

    // Revised on the same release day: kept beside, under a content-named file.
    server.set("/a.csv", Res::file(a2.clone()));
    server.set("/b.csv", Res::with_etag(b2.clone(), "\"b2\""));
    let report = run("2025-07-20");
    assert!(report.downloaded.is_empty());
    let a2_name = format!("2025-07-20/a.{}.csv", &sha256(&a2)[..12]);
    let b2_name = format!("2025-07-20/b.{}.csv", &sha256(&b2)[..12]);
    let mut expected = vec![a2_name.clone(), b2_name.clone()];
    expected.sort();
    assert_eq!(names(&report.changed, into), expected);
    assert_eq!(std::fs::read(into.join("2025-07-20/a.csv")).unwrap(), a1);
    assert_eq!(std::fs::read(into.join("2025-07-20/b.csv")).unwrap(), b1);
    assert_eq!(std::fs::read(into.join(&a2_name)).unwrap(), a2);
    assert!(report.summary().contains("changed     2"));

    // Revised again, next release: the new folder takes the plain name.
    server.set("/a.csv", Res::file(a3.clone()));
    let report = run("2025-08-20");
    assert_eq!(names(&report.changed, into), ["2025-08-20/a.csv"]);
    assert_eq!(report.unchanged, [server.url("/b.csv")]);
    assert_eq!(std::fs::read(into.join("2025-08-20/a.csv")).unwrap(), a3);

    // And nothing new after that.
    let report = run("2025-08-20");
    assert!(report.downloaded.is_empty() && report.changed.is_empty());
    assert_eq!(report.unchanged.len(), 2);

    let manifest = check_landing(into);
    let history = |url: String| -> Vec<String> {
        manifest
            .files
            .iter()
            .filter(|e| e.url == url)
            .map(|e| e.path.clone())
            .collect()
    };
    assert_eq!(
        history(server.url("/a.csv")),
        [
            "2025-07-20/a.csv".to_string(),
            a2_name,
            "2025-08-20/a.csv".into()
        ],
        "every version, newest last"
    );
    assert_eq!(
        history(server.url("/b.csv")),
        ["2025-07-20/b.csv".to_string(), b2_name]
    );
    assert_eq!(manifest.files.len(), 5);
}

#[test]
fn parallel_downloads_are_limited() {
    let server = Server::start();
    let mut page = String::new();
    for i in 0..8 {
        page += &format!("<a href=\"f{i}.csv\">{i}</a>\n");
        server.set(
            &format!("/f{i}.csv"),
            Res::Slow {
                times: u32::MAX,
                delay: Duration::from_millis(150),
                then: Box::new(Res::file(bulletin(&i.to_string(), 20))),
            },
        );
    }
    server.set("/list.html", Res::html(&page));
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(server.url("/list.html"), dir.path(), "2025-07-20");
    opts.timeout = Duration::from_secs(5);
    opts.parallel = 3;
    opts.progress = true; // stderr is not a terminal here: drawn nowhere, must not fail
    let report = fetch(&opts).unwrap();
    assert_eq!(report.downloaded.len(), 8, "{}", report.summary());
    assert!(
        (2..=3).contains(&server.max_in_flight()),
        "{} at once",
        server.max_in_flight()
    );
    check_landing(dir.path());
}

#[test]
fn listing_page_problems_are_errors_naming_the_url() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();

    let url = server.url("/nowhere.html");
    let err = fetch(&options(url.clone(), dir.path(), "2025-07-20")).unwrap_err();
    assert!(matches!(err, FetchError::Listing { .. }));
    let msg = err.to_string();
    assert!(msg.contains(&url) && msg.contains("HTTP 404"), "{msg}");

    server.set("/down.html", Res::Status(502));
    let url = server.url("/down.html");
    let msg = fetch(&options(url.clone(), dir.path(), "2025-07-20"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains(&url) && msg.contains("HTTP 502") && msg.contains("4 attempts"));

    // A listing page that fails twice, then answers, is retried.
    server.set(
        "/flaky.html",
        Res::FailFirst {
            times: 2,
            status: 500,
            then: Box::new(Res::html(r#"<a href="x.csv">x</a>"#)),
        },
    );
    server.set("/x.csv", Res::file(bulletin("x", 3)));
    let report = fetch(&options(
        server.url("/flaky.html"),
        dir.path(),
        "2025-07-20",
    ))
    .unwrap();
    assert_eq!(report.downloaded.len(), 1);

    // Nobody listening.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}/list.html");
    let mut opts = options(url.clone(), dir.path(), "2025-07-20");
    opts.retries = 1;
    let msg = fetch(&opts).unwrap_err().to_string();
    assert!(
        msg.contains(&url) && msg.contains("cannot connect"),
        "{msg}"
    );

    // A page that links no bulletin.
    server.set(
        "/empty.html",
        Res::html(r#"<a href="a.pdf">a</a><a href="mailto:x@example.invalid">m</a>"#),
    );
    let err = fetch(&options(
        server.url("/empty.html"),
        dir.path(),
        "2025-07-20",
    ))
    .unwrap_err();
    assert!(
        matches!(err, FetchError::NoBulletins { ignored: 2, .. }),
        "{err}"
    );

    for bad in ["not a url", "ftp://127.0.0.1/list.html"] {
        let err = fetch(&FetchOptions::new(bad, dir.path())).unwrap_err();
        assert!(matches!(err, FetchError::BadSource { .. }), "{err}");
        assert!(err.to_string().contains(bad));
    }
    let mut opts = options(server.url("/flaky.html"), dir.path(), "x");
    opts.release_date = Some("../escape".into());
    assert!(matches!(fetch(&opts), Err(FetchError::Options(_))));

    // An unreadable manifest stops the fetch and is left as it was.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("manifest.json"), "{ not json").unwrap();
    let err = fetch(&options(
        server.url("/flaky.html"),
        other.path(),
        "2025-07-20",
    ))
    .unwrap_err();
    assert!(matches!(err, FetchError::Landing { .. }), "{err}");
    assert!(err.to_string().contains("manifest.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(other.path().join("manifest.json")).unwrap(),
        "{ not json"
    );
}

#[test]
fn same_file_name_from_two_urls_keeps_both() {
    let server = Server::start();
    server.set(
        "/list.html",
        Res::html(
            r#"<a href="/2024/data.csv">old</a><a href="/2025/data.csv">new</a>
               <a href="/copy/data.csv">same bytes as 2025</a>"#,
        ),
    );
    let (old, new) = (bulletin("2024", 4), bulletin("2025", 4));
    server.set("/2024/data.csv", Res::file(old.clone()));
    server.set("/2025/data.csv", Res::file(new.clone()));
    server.set("/copy/data.csv", Res::file(new.clone()));
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(server.url("/list.html"), dir.path(), "2025-07-20");
    opts.parallel = 1; // deterministic: the first link gets the plain name
    let report = fetch(&opts).unwrap();
    assert_eq!(report.downloaded.len(), 3);
    assert_eq!(
        std::fs::read(dir.path().join("2025-07-20/data.csv")).unwrap(),
        old
    );
    let other = format!("2025-07-20/data.{}.csv", &sha256(&new)[..12]);
    assert_eq!(std::fs::read(dir.path().join(&other)).unwrap(), new);
    let manifest = check_landing(dir.path());
    assert_eq!(manifest.files.len(), 3);
    assert_eq!(
        files_under(dir.path()).len(),
        3,
        "identical bytes are stored once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_async_runs_inside_a_runtime() {
    let server = Server::start();
    server.set("/list.html", Res::html(r#"<a href="a.csv">a</a>"#));
    server.set("/a.csv", Res::file(bulletin("a", 3)));
    let dir = tempfile::tempdir().unwrap();
    let opts = options(server.url("/list.html"), dir.path(), "2025-07-20");
    assert!(matches!(fetch(&opts), Err(FetchError::Options(_))));
    let report = fetch_async(&opts).await.unwrap();
    assert_eq!(report.downloaded.len(), 1);
}
