//! node_exporter's textfile collector as a target: the registry in the text format 0.0.4,
//! written to a file atomically (a temporary file in the same directory, fsynced, renamed
//! over the target, the directory fsynced), so the collector never reads half a file.

use crate::error::{Error, Result};
use crate::pusher::FlushReport;
use crate::registry::Registry;
use crate::snapshot::Snapshot;
use crate::stats::Stats;
use crate::transport::deliver::Failure;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Writes `registry` to the file at `path` in the Prometheus text format 0.0.4, for
/// node_exporter's textfile collector (`--collector.textfile.directory`), as
/// client_python's `write_to_textfile` and client_golang's `WriteToTextfile` do.
///
/// The write is atomic: the text goes to a temporary file in the same directory
/// (`.<name>.<pid>.<random>.tmp`, which the collector ignores), is flushed to disk, and is
/// renamed over `path`; then the directory is flushed too. A reader sees the old file or the
/// new one, never a part. On any failure the temporary file is removed and `path` is left
/// as it was. The file is created with mode 0644 less the umask, so node_exporter, running
/// as another user, can read it.
///
/// Errors are [`Error::Io`], naming `path`, the step that failed and the operating
/// system's reason (a missing directory, a path under a regular file, a path that is a
/// directory, no permission, a full disk).
///
/// ```
/// let reg = pushmetrics::Registry::new();
/// reg.gauge("backup_last_success_timestamp_seconds", "Last successful backup")
///     .build()
///     .unwrap()
///     .set(1.7e9);
/// let dir = std::env::temp_dir();
/// let path = dir.join(format!("backup-{}.prom", std::process::id()));
/// pushmetrics::write_to_textfile(&path, &reg).unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), reg.encode_text());
/// # std::fs::remove_file(&path).unwrap();
///
/// let err = pushmetrics::write_to_textfile("/nonexistent-dir/backup.prom", &reg).unwrap_err();
/// assert!(matches!(err, pushmetrics::Error::Io(_)));
/// assert!(err.to_string().contains("/nonexistent-dir/backup.prom"));
/// ```
pub fn write_to_textfile(path: impl AsRef<Path>, registry: &Registry) -> Result<()> {
    let mut body = Vec::new();
    crate::encode::text::encode(&registry.snapshot(), &mut body);
    write_atomically(path.as_ref(), &body).map_err(Error::Io)
}

/// The textfile target of a pusher: each flush rewrites the file.
pub(crate) struct Textfile {
    path: PathBuf,
}

impl Textfile {
    /// The target for the pusher's `url`: a plain path or a `file://` URL.
    pub(crate) fn new(url: &str) -> Result<Textfile> {
        let path = path_of(url)?;
        if path.extension().is_none_or(|e| e != "prom") {
            log::warn!(
                target: "pushmetrics",
                "textfile {:?} does not end in .prom: node_exporter's textfile collector reads only *.prom files",
                path.display().to_string()
            );
        }
        Ok(Textfile { path })
    }

    /// The path written, as `url()` shows it.
    pub(crate) fn url(&self) -> String {
        self.path.display().to_string()
    }

    /// Writes the snapshot. A failure is not retried: the next interval writes again.
    pub(crate) fn write(
        &self,
        snapshot: &Snapshot,
        stats: &mut Stats,
    ) -> std::result::Result<FlushReport, Failure> {
        let start = Instant::now();
        let mut body = Vec::new();
        crate::encode::text::encode(snapshot, &mut body);
        write_atomically(&self.path, &body).map_err(failure)?;
        stats.bytes_sent += body.len() as u64;
        Ok(FlushReport {
            requests: 0,
            bytes: body.len() as u64,
            series: snapshot.series_count() as u64,
            duration: start.elapsed(),
        })
    }

    /// Removes the file (`delete_on_shutdown`); a file already gone is no failure.
    pub(crate) fn remove(&self) -> std::result::Result<(), Failure> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(failure(format!(
                "cannot remove textfile {:?}: {e}",
                self.path.display().to_string()
            ))),
        }
    }
}

fn failure(message: String) -> Failure {
    Failure {
        message,
        retry_after: None,
        retryable: false,
    }
}

/// The file named by a textfile target's `url`: a plain path (`/var/lib/node_exporter/
/// textfile/job.prom`, or relative to the working directory), or a `file://` URL with an
/// absolute path (`file:///var/lib/…`, `file://localhost/var/lib/…`), `%XX` escapes decoded.
pub(crate) fn path_of(url: &str) -> Result<PathBuf> {
    let invalid = |why: &str| {
        Err(Error::InvalidConfig(format!(
            "invalid textfile path {url:?}: {why}"
        )))
    };
    if url.trim().is_empty() {
        return invalid(
            "it is empty; give the file to write, e.g. /var/lib/node_exporter/textfile/job.prom",
        );
    }
    let path = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => {
            let rest = rest.strip_prefix("localhost").unwrap_or(rest);
            if !rest.starts_with('/') {
                return invalid("a file URL needs an absolute path: file:///dir/name.prom");
            }
            if rest.contains(['?', '#']) {
                return invalid("a file URL cannot have a query or a fragment");
            }
            match percent_decode(rest) {
                Some(p) => p,
                None => return invalid("a %-escape is malformed or does not decode to UTF-8"),
            }
        }
        Some((scheme, _))
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            return invalid("the scheme must be file:// (or give a plain path)");
        }
        _ => url.to_owned(),
    };
    if path.ends_with('/') || Path::new(&path).file_name().is_none() {
        return invalid("it names a directory, not a file");
    }
    if path.contains('\0') {
        return invalid("it contains a NUL character");
    }
    Ok(PathBuf::from(path))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Replaces the file at `path` with `body` atomically; the error names the path, the step
/// and the operating system's reason.
pub(crate) fn write_atomically(path: &Path, body: &[u8]) -> std::result::Result<(), String> {
    let shown = path.display().to_string();
    let fail = |step: String, e: io::Error| format!("cannot write textfile {shown:?}: {step}: {e}");
    // `Path` drops a trailing slash; a path that ends in one names a directory all the same.
    let name = match path.file_name() {
        Some(n) if !path.as_os_str().as_encoded_bytes().ends_with(b"/") => n,
        _ => {
            return Err(format!(
                "cannot write textfile {shown:?}: the path names a directory, not a file"
            ))
        }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (tmp, mut file) = create_temporary(dir, &name.to_string_lossy()).map_err(|e| {
        fail(
            format!(
                "cannot create a temporary file in {:?}",
                dir.display().to_string()
            ),
            e,
        )
    })?;
    let written = file
        .write_all(body)
        .and_then(|()| file.sync_all())
        .map_err(|e| fail(format!("cannot write {:?}", tmp.display().to_string()), e));
    drop(file);
    let renamed = written.and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|e| {
            fail(
                format!("cannot rename {:?} over it", tmp.display().to_string()),
                e,
            )
        })
    });
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // The rename is durable only once the directory is on disk too. Some file systems
    // cannot sync a directory at all; that is no reason to fail a write that happened.
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        if !matches!(
            e.kind(),
            io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported
        ) {
            return Err(fail(
                format!(
                    "the file was replaced but its directory {:?} could not be synced",
                    dir.display().to_string()
                ),
                e,
            ));
        }
    }
    Ok(())
}

/// Creates `.<name>.<pid>.<random>.tmp` in `dir`, new (never an existing file), mode 0644
/// less the umask.
fn create_temporary(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    // Room for the prefix and suffix within the usual 255-byte limit of a file name.
    let mut cut = name.len().min(200);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let name = &name[..cut];
    let mut attempt = 0;
    loop {
        let random = (crate::sampling::random_f64() * (1u64 << 53) as f64) as u64;
        let unique = random ^ SEQUENCE.fetch_add(1, Relaxed).rotate_right(11);
        let tmp = dir.join(format!(".{name}.{}.{unique:016x}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
        match options.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "pushmetrics-textfile-{name}-{}-{:x}",
            std::process::id(),
            (crate::sampling::random_f64() * 1e15) as u64
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn plain_paths_and_file_urls_name_the_same_file() {
        let p = |s: &str| path_of(s).unwrap();
        assert_eq!(
            p("/var/lib/t/job.prom"),
            PathBuf::from("/var/lib/t/job.prom")
        );
        assert_eq!(p("job.prom"), PathBuf::from("job.prom"));
        assert_eq!(
            p("file:///var/lib/t/job.prom"),
            PathBuf::from("/var/lib/t/job.prom")
        );
        assert_eq!(
            p("FILE://localhost/var/lib/t/job.prom"),
            PathBuf::from("/var/lib/t/job.prom")
        );
        assert_eq!(
            p("file:///var/my%20dir/j.prom"),
            PathBuf::from("/var/my dir/j.prom")
        );
    }

    #[test]
    fn unusable_paths_are_configuration_errors_naming_the_value() {
        for bad in [
            "",
            "  ",
            "/var/lib/t/",
            "file://host/x.prom",
            "file://relative.prom",
            "file:///x.prom?y",
            "file:///bad%zz.prom",
            "http://gw:9091",
            "/a/..",
        ] {
            match path_of(bad) {
                Err(Error::InvalidConfig(m)) => assert!(m.contains(&format!("{bad:?}")), "{m}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_file_holds_the_body_with_mode_0644_and_no_temporary_is_left() {
        let dir = scratch("mode");
        let path = dir.join("job.prom");
        write_atomically(&path, b"a 1\n").unwrap();
        write_atomically(&path, b"a 2\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a 2\n");
        assert_eq!(entries(&dir), ["job.prom"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            // The umask can only take permissions away, and never the owner's read.
            assert_eq!(mode & !0o644, 0, "{mode:o}");
            assert_ne!(mode & 0o400, 0, "{mode:o}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_rename_removes_the_temporary_and_names_the_path() {
        let dir = scratch("isdir");
        let target = dir.join("already-a-dir.prom");
        std::fs::create_dir(&target).unwrap();
        let e = write_atomically(&target, b"a 1\n").unwrap_err();
        assert!(
            e.contains(&format!("{:?}", target.display().to_string())),
            "{e}"
        );
        assert!(e.contains("os error"), "{e}");
        assert_eq!(entries(&dir), ["already-a-dir.prom"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_path_under_a_regular_file_or_a_missing_directory_fails_with_the_os_reason() {
        let dir = scratch("notdir");
        let file = dir.join("plain");
        std::fs::write(&file, b"x").unwrap();
        let e = write_atomically(&file.join("x.prom"), b"a 1\n").unwrap_err();
        assert!(e.contains("x.prom") && e.contains("Not a directory"), "{e}");
        let e = write_atomically(&dir.join("missing/x.prom"), b"a 1\n").unwrap_err();
        assert!(
            e.contains("missing/x.prom") && e.contains("No such file"),
            "{e}"
        );
        assert_eq!(entries(&dir), ["plain"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_long_name_still_gets_a_temporary_file() {
        let dir = scratch("long");
        let path = dir.join(format!("{}.prom", "n".repeat(240)));
        write_atomically(&path, b"a 1\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a 1\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
