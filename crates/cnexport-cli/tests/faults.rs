//! Faults around a build, not in its inputs: a database folder that cannot
//! be written, a full disk, and two builds of one database at once. Each
//! failure is one sentence on stderr naming the file, the cause and the
//! fix, said once; the previous database keeps its bytes; no temporary
//! file or lock file is left.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::{self, cnexport, realdata_dir, sha256};

fn build_cmd(cmd: &mut Command, input: &Path, db: &Path, stage: &Path) -> Output {
    cmd.args(["build", "--input"])
        .arg(input)
        .arg("--db")
        .arg(db)
        .arg("--stage")
        .arg(stage)
        .output()
        .unwrap()
}

/// The one line of a failed build's stderr, checked for the shape every
/// build error has: `error: ` and one sentence, each clause once.
#[track_caller]
fn one_sentence(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    let line = lines[0];
    assert!(line.starts_with("error: "), "{line}");
    // No clause said twice (the error chain printed once).
    let clauses: Vec<&str> = line
        .trim_start_matches("error: ")
        .split([';', ':'])
        .map(str::trim)
        .filter(|c| c.len() > 12)
        .collect();
    for (i, c) in clauses.iter().enumerate() {
        assert!(!clauses[i + 1..].contains(c), "{c:?} said twice: {line}");
    }
    line.to_string()
}

/// Files a build leaves beside the database that it should not: its
/// temporary files and its lock file.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".tmp-") || n.ends_with(".lock"))
        .collect()
}

/// A folder with a database built from the real downloads, and a changed
/// input (one file more) so the next build writes a new database.
struct Previous {
    dir: tempfile::TempDir,
    db: PathBuf,
    input: PathBuf,
    stage: PathBuf,
    sha: String,
}

fn previous() -> Previous {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("raw");
    std::fs::create_dir_all(&input).unwrap();
    for f in ["2024out.csv", "2025out.csv"] {
        std::fs::copy(realdata_dir().join(f), input.join(f)).unwrap();
    }
    let out = dir.path().join("out");
    let db = out.join("x.db");
    let stage = dir.path().join("stage");
    common::build(&input, &db, Some(&stage));
    std::fs::copy(realdata_dir().join("2023.csv"), input.join("2023.csv")).unwrap();
    let sha = sha256(&db);
    Previous {
        dir,
        db,
        input,
        stage,
        sha,
    }
}

#[test]
fn a_read_only_folder_is_named_with_the_fix() {
    // /sys refuses new files even to root.
    let dir = tempfile::tempdir().unwrap();
    let db = Path::new("/sys/cnexport-faults-test.db");
    let out = build_cmd(
        &mut cnexport(),
        &realdata_dir(),
        db,
        &dir.path().join("stage"),
    );
    let line = one_sentence(&out);
    assert_eq!(
        line,
        "error: cannot write the database folder /sys: permission denied (or read-only); choose a writable --db path or fix the folder's permissions; no database was written"
    );
}

#[test]
fn a_database_folder_that_is_a_file_is_named_with_the_fix() {
    let p = previous();
    let file = p.dir.path().join("file");
    std::fs::write(&file, "not a folder").unwrap();
    let out = build_cmd(&mut cnexport(), &p.input, &file.join("x.db"), &p.stage);
    let line = one_sentence(&out);
    assert_eq!(
        line,
        format!(
            "error: cannot create the database folder {0}: {0} is a file, not a folder; choose a writable --db path",
            file.display()
        )
    );
}

/// The real EACCES: a folder without write permission, holding the
/// previous database. Root ignores permissions, so as root the build runs
/// as the user nobody (setpriv); the test is skipped when that cannot be.
#[test]
fn a_folder_without_write_permission_keeps_the_previous_database() {
    use std::os::unix::fs::PermissionsExt;
    let p = previous();
    let folder = p.db.parent().unwrap().to_path_buf();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let mut cmd = if root {
        let setpriv = Path::new("/usr/bin/setpriv");
        if !setpriv.exists() {
            eprintln!("skipped: running as root without setpriv");
            return;
        }
        // nobody must reach the binary and the inputs (the lock file, the
        // first thing a build writes, is refused before the stage is used).
        let bin = p.dir.path().join("cnexport");
        std::fs::copy(env!("CARGO_BIN_EXE_cnexport"), &bin).unwrap();
        for d in [p.dir.path(), &p.input] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut c = Command::new(setpriv);
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin);
        c
    } else {
        cnexport()
    };
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = build_cmd(&mut cmd, &p.input, &p.db, &p.stage);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    if root && String::from_utf8_lossy(&out.stderr).contains("setpriv") {
        eprintln!("skipped: setpriv cannot change user here: {out:?}");
        return;
    }
    let line = one_sentence(&out);
    assert_eq!(
        line,
        format!(
            "error: cannot write the database folder {}: permission denied (or read-only); choose a writable --db path or fix the folder's permissions; the previous database {} is unchanged",
            folder.display(),
            p.db.display()
        )
    );
    assert_eq!(sha256(&p.db), p.sha);
    assert!(leftovers(&folder).is_empty(), "{:?}", leftovers(&folder));
}

#[track_caller]
fn check_disk_full(line: &str, p: &Previous) {
    let folder = p.db.parent().unwrap();
    let prefix = format!(
        "error: the disk holding {} is full while writing {}/.x.db.tmp-",
        p.db.display(),
        folder.display()
    );
    assert!(line.starts_with(&prefix), "{line}");
    assert!(line.contains(" MB needed, "), "{line}");
    assert!(
        line.ends_with(&format!(
            " MB free); free space or choose another --db folder; the previous database {} is unchanged",
            p.db.display()
        )),
        "{line}"
    );
    assert!(!line.contains("database or disk is full"), "{line}");
    assert_eq!(sha256(&p.db), p.sha);
    assert!(leftovers(folder).is_empty(), "{:?}", leftovers(folder));
}

/// The full disk of CI: SQLite's page limit on the database being written
/// (the test hook `CNEXPORT_TEST_MAX_PAGE_COUNT`) makes SQLite fail with
/// SQLITE_FULL, the error a full disk gives.
#[test]
fn a_full_disk_is_named_and_the_previous_database_kept() {
    let p = previous();
    let mut cmd = cnexport();
    cmd.env("CNEXPORT_TEST_MAX_PAGE_COUNT", "20");
    let out = build_cmd(&mut cmd, &p.input, &p.db, &p.stage);
    check_disk_full(&one_sentence(&out), &p);
    // Without the limit the same build succeeds.
    let out = build_cmd(&mut cnexport(), &p.input, &p.db, &p.stage);
    assert!(out.status.success(), "{out:?}");
    assert_ne!(sha256(&p.db), p.sha);
}

/// A page of the new file damaged between the write and the check before
/// the rename (the test hook `CNEXPORT_TEST_DAMAGE_PAGE`, as a torn or
/// garbled write leaves it): the check fails, the file is not renamed into
/// place, the previous database keeps its bytes and no temporary is left.
/// Pages: the header, the first table's root, and pages through the body
/// (rows of the large tables and their indexes).
#[test]
fn a_damaged_page_is_caught_before_the_rename() {
    let p = previous();
    let folder = p.db.parent().unwrap();
    let pages = std::fs::metadata(&p.db).unwrap().len() / 4096;
    let mut picks = vec![1, 2, pages / 4, pages / 2, pages * 3 / 4, pages];
    picks.dedup();
    for page in picks {
        let mut cmd = cnexport();
        cmd.env("CNEXPORT_TEST_DAMAGE_PAGE", page.to_string());
        let out = build_cmd(&mut cmd, &p.input, &p.db, &p.stage);
        let line = one_sentence(&out);
        let prefix = format!("error: the new database {}/.x.db.tmp-", folder.display());
        assert!(line.starts_with(&prefix), "page {page}: {line}");
        assert!(line.contains(" failed its check ("), "page {page}: {line}");
        assert!(
            line.ends_with(&format!(
                "; the previous database {} is unchanged",
                p.db.display()
            )),
            "page {page}: {line}"
        );
        assert_eq!(sha256(&p.db), p.sha, "page {page}");
        assert!(leftovers(folder).is_empty(), "{:?}", leftovers(folder));
    }
    // Undamaged, the same build passes its check and is renamed into place.
    let out = build_cmd(&mut cnexport(), &p.input, &p.db, &p.stage);
    assert!(out.status.success(), "{out:?}");
    assert_ne!(sha256(&p.db), p.sha);
}

/// Unmounts a file system when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A really full file system: a small tmpfs holding the previous database
/// and a file that takes all but a little of the rest. Needs the right to
/// mount (root in a container that allows it); skipped otherwise.
#[test]
fn a_really_full_file_system_is_named_and_the_previous_database_kept() {
    let p = previous();
    let mount = p.dir.path().join("small");
    std::fs::create_dir_all(&mount).unwrap();
    let size = std::fs::metadata(&p.db).unwrap().len() + (1 << 20);
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o"])
        .arg(format!("size={size}"))
        .arg("tmpfs")
        .arg(&mount)
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (the page-limit test covers a full disk)");
        return;
    }
    let _guard = Mounted(mount.clone());
    let db = mount.join("x.db");
    std::fs::copy(&p.db, &db).unwrap();
    // Leave 64 KB free.
    let free = {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&mount)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    std::fs::write(
        mount.join("filler"),
        vec![0u8; (free - (64 << 10)) as usize],
    )
    .unwrap();
    let full = Previous {
        db: db.clone(),
        sha: sha256(&db),
        input: p.input.clone(),
        stage: p.stage.clone(),
        dir: tempfile::tempdir().unwrap(),
    };
    let out = build_cmd(&mut cnexport(), &full.input, &full.db, &full.stage);
    check_disk_full(&one_sentence(&out), &full);
}

/// The test holds the lock of a database (as a running build does); a
/// build with --no-wait fails naming this process, a build without it
/// says it waits and completes once the lock is released.
#[test]
fn a_second_build_of_one_database_waits_or_fails_naming_the_holder() {
    let p = previous();
    let held = cnexport_load::BuildLock::acquire(&p.db, cnexport_load::Wait::NoWait).unwrap();
    let out = cnexport()
        .args(["build", "--no-wait", "--input"])
        .arg(&p.input)
        .arg("--db")
        .arg(&p.db)
        .arg("--stage")
        .arg(&p.stage)
        .output()
        .unwrap();
    let line = one_sentence(&out);
    let lock = p.db.parent().unwrap().join(".x.db.lock");
    let prefix = format!(
        "error: another build of {} is running, held by process {} (started ",
        p.db.display(),
        std::process::id()
    );
    assert!(line.starts_with(&prefix), "{line}");
    assert!(
        line.ends_with(&format!(
            " UTC) (lock file {}); wait for it to finish, or run without --no-wait to wait for it; the database was left as it was",
            lock.display()
        )),
        "{line}"
    );
    assert_eq!(sha256(&p.db), p.sha);

    let mut waiting = cnexport()
        .args(["build", "--input"])
        .arg(&p.input)
        .arg("--db")
        .arg(&p.db)
        .arg("--stage")
        .arg(&p.stage)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(waiting.stderr.take().unwrap()).lines();
    let first = stderr.next().unwrap().unwrap();
    assert!(
        first.starts_with(&format!(
            "waiting for the build of {} held by process {} (started ",
            p.db.display(),
            std::process::id()
        )),
        "{first}"
    );
    // Still waiting: the database is the previous one.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(waiting.try_wait().unwrap().is_none());
    assert_eq!(sha256(&p.db), p.sha);
    drop(held);
    assert!(waiting.wait().unwrap().success());
    let rest: Vec<String> = stderr.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("facts")), "{rest:?}");
    assert_ne!(sha256(&p.db), p.sha);
    let folder = p.db.parent().unwrap();
    assert!(leftovers(folder).is_empty(), "{:?}", leftovers(folder));
}

/// Two real builds of one database started together: one waits for the
/// other, both succeed, and the database is the one a single build writes.
#[test]
fn two_builds_at_once_take_turns_and_leave_a_valid_database() {
    let p = previous();
    let alone = p.dir.path().join("alone");
    let alone_db = alone.join("x.db");
    common::build(&p.input, &alone_db, Some(&alone.join("stage")));
    let spawn = || {
        cnexport()
            .args(["build", "--input"])
            .arg(&p.input)
            .arg("--db")
            .arg(&p.db)
            .arg("--stage")
            .arg(&p.stage)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    assert_eq!(sha256(&p.db), sha256(&alone_db));
    let folder = p.db.parent().unwrap();
    assert!(leftovers(folder).is_empty(), "{:?}", leftovers(folder));
}

/// The served file deleted, then replaced by a truncated copy (a botched
/// manual copy): the server keeps serving the database it has open, to
/// clients one at a time and several at once, and does not switch to a
/// file it cannot read, even on SIGHUP.
#[test]
fn a_deleted_or_truncated_served_database_keeps_the_old_one_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("served.db");
    common::build(&realdata_dir(), &db, Some(&dir.path().join("stage")));
    let bytes = std::fs::read(&db).unwrap();
    let mut child = cnexport()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--watch-interval-ms",
            "50",
            "--db",
        ])
        .arg(&db)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, lines) = crate::common::listening_addr(&mut child);
    std::thread::spawn(move || for _ in lines {});
    let get = |target: &str| crate::common::http(&addr, "GET", target, "", "");
    let serving = |when: &str, phase: usize| {
        let (status, raw) = get("/healthz");
        assert_eq!(status, 200, "{when}: {raw}");
        assert!(raw.contains("\"dataMonth\":\"202510\""), "{when}: {raw}");
        // Several clients at once, each with a request not answered before
        // (not from the answer cache): more connections than were open.
        std::thread::scope(|s| {
            let answers: Vec<_> = (0..8)
                .map(|i| {
                    let get = &get;
                    let limit = phase * 8 + i + 1;
                    s.spawn(move || get(&format!("/skill/topProducts?minAmount=0&limit={limit}")))
                })
                .collect();
            for a in answers {
                let (status, raw) = a.join().unwrap();
                assert_eq!(status, 200, "{when}: {raw}");
            }
        });
    };
    let (status, raw) = get("/healthz");
    assert_eq!(status, 200, "{raw}");
    std::fs::remove_file(&db).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    serving("after the file was deleted", 1);
    std::fs::write(&db, &bytes[..bytes.len() / 3]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    serving("after a truncated file took its place", 2);
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    assert!(child.wait().unwrap().success());
}
