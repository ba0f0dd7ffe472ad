//! Multiprocess mode: exact totals from worker processes, pushed by one process.
//!
//! Each process of the job writes every update of a registry's metrics through to a file
//! of its own in a shared directory, in memory it maps from that file: one atomic
//! operation more per update, no system call, nothing lost when the worker is killed
//! (the page stays in the kernel's cache). The process that turned the mode on, the
//! *owner*, reads every file at each snapshot and reports the sums: its pusher is the
//! only one that pushes, to the job's one group, so no worker leaves a group behind. The
//! pushers of workers send nothing; their `flush` and `shutdown` return at once.
//!
//! A process holds an exclusive `flock` on its file for as long as it lives, so the owner
//! knows which files belong to dead processes without being told: the kernel drops the
//! lock of a process that ends in any way, `SIGKILL` included.
//!
//! Per type: counters, histogram buckets, sums and counts add up over every file, dead
//! processes included; summaries report their count and sum that way, without quantiles
//! (quantiles of separate processes do not combine); gauges follow their
//! [`GaugeMode`].
//!
//! File format (native byte order, every record 8-byte aligned): a 64-byte header (magic,
//! the bytes in use, the pid), then records, each `[u32 length][u8 tag][u8 type][u8 mode]
//! [u8 0]`: a family (name, help, label names, histogram bounds) or a series (the offset
//! of its family, its label values, then its value words), or padding to the end of a
//! mapped segment. A record is complete before the header's length covers it.

use crate::error::{Error, Result};
use crate::metric::cell::add_f64;
use crate::metric::MetricType;
use crate::snapshot::{FamilySnapshot, HistogramValue, SummaryValue, Value};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, RwLock};

/// The directory of the mode; a process started with it set joins the mode as a worker
/// (or, when no owner is named, as the owner).
pub const DIR_ENV: &str = "PUSHMETRICS_MULTIPROC_DIR";
/// The process id of the owner, set by the owner for the processes it starts.
pub const OWNER_ENV: &str = "PUSHMETRICS_MULTIPROC_OWNER";

const MAGIC: &[u8; 8] = b"PMMPv001";
const HEADER: usize = 64;
const FIRST_SEGMENT: usize = 64 * 1024;
const TAG_PAD: u8 = 0;
const TAG_FAMILY: u8 = 1;
const TAG_SERIES: u8 = 2;

/// How the values of one gauge in several processes become what is pushed, with
/// prometheus_client's names. The `live` modes leave out processes that have ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum GaugeMode {
    /// One series per process, with a `pid` label; ended processes included.
    #[default]
    All,
    /// One series per live process, with a `pid` label.
    LiveAll,
    /// The sum over all processes.
    Sum,
    /// The sum over live processes.
    LiveSum,
    /// The largest value.
    Max,
    /// The largest value of a live process.
    LiveMax,
    /// The smallest value.
    Min,
    /// The smallest value of a live process.
    LiveMin,
    /// The value set last, in any process.
    MostRecent,
    /// The value set last by a live process.
    LiveMostRecent,
}

const MODES: [(GaugeMode, &str); 10] = [
    (GaugeMode::All, "all"),
    (GaugeMode::LiveAll, "liveall"),
    (GaugeMode::Sum, "sum"),
    (GaugeMode::LiveSum, "livesum"),
    (GaugeMode::Max, "max"),
    (GaugeMode::LiveMax, "livemax"),
    (GaugeMode::Min, "min"),
    (GaugeMode::LiveMin, "livemin"),
    (GaugeMode::MostRecent, "mostrecent"),
    (GaugeMode::LiveMostRecent, "livemostrecent"),
];

impl GaugeMode {
    /// The mode named `name` (`all`, `liveall`, `sum`, `livesum`, `max`, `livemax`, `min`,
    /// `livemin`, `mostrecent`, `livemostrecent`).
    pub fn parse(name: &str) -> Result<GaugeMode> {
        MODES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(m, _)| *m)
            .ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "multiprocess_mode {name:?} is not one of {}",
                    MODES.map(|(_, n)| n).join(", ")
                ))
            })
    }

    /// The mode's name.
    pub fn as_str(self) -> &'static str {
        MODES
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("all", |(_, n)| n)
    }

    fn code(self) -> u8 {
        MODES.iter().position(|(m, _)| *m == self).unwrap_or(0) as u8
    }

    fn from_code(c: u8) -> GaugeMode {
        MODES.get(c as usize).map_or(GaugeMode::All, |(m, _)| *m)
    }

    fn live_only(self) -> bool {
        matches!(
            self,
            GaugeMode::LiveAll
                | GaugeMode::LiveSum
                | GaugeMode::LiveMax
                | GaugeMode::LiveMin
                | GaugeMode::LiveMostRecent
        )
    }

    pub(crate) fn needs_time(self) -> bool {
        matches!(self, GaugeMode::MostRecent | GaugeMode::LiveMostRecent)
    }
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Io(format!("{what} {}: {e}", path.display()))
}

fn type_code(t: MetricType) -> u8 {
    match t {
        MetricType::Counter => 0,
        MetricType::Gauge => 1,
        MetricType::Histogram => 2,
        MetricType::Summary => 3,
    }
}

fn type_of(c: u8) -> Option<MetricType> {
    Some(match c {
        0 => MetricType::Counter,
        1 => MetricType::Gauge,
        2 => MetricType::Histogram,
        3 => MetricType::Summary,
        _ => return None,
    })
}

/// The value words a series of `kind` with `bounds` takes in a file.
pub(crate) fn words_of(kind: MetricType, bounds: usize) -> usize {
    match kind {
        MetricType::Counter => 1,
        MetricType::Gauge | MetricType::Summary => 2,
        MetricType::Histogram => bounds + 2,
    }
}

/// Forks this process is a child of, counted by the fork handler (an atomic add is
/// async-signal-safe).
static FORKS: AtomicU64 = AtomicU64::new(0);

/// Called by [`crate::fork::child`].
pub(crate) fn count_fork() {
    FORKS.fetch_add(1, AcqRel);
}

/// An update, as the mirror of a series applies it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// A counter's or a gauge's addition.
    Add(f64),
    /// A gauge's new value.
    Set(f64),
    /// `n` observations into bucket `bucket` (histograms; 0 for summaries), adding `sum`.
    Observe { bucket: usize, n: u64, sum: f64 },
}

/// Records when a gauge of a `mostrecent` mode was set, in its value words `w`.
pub(crate) fn stamp(mode: GaugeMode, w: &[AtomicU64]) {
    if mode.needs_time() {
        w[1].store(crate::metric::gauge::unix_now().to_bits(), Relaxed);
    }
}

/// Applies `op` to the value words `w` of a series of `kind`.
pub(crate) fn apply(kind: MetricType, mode: GaugeMode, w: &[AtomicU64], op: Op) {
    match (kind, op) {
        (MetricType::Counter, Op::Add(v)) => add_f64(&w[0], v),
        (MetricType::Gauge, Op::Add(v)) => {
            add_f64(&w[0], v);
            stamp(mode, w);
        }
        (MetricType::Gauge, Op::Set(v)) => {
            w[0].store(v.to_bits(), Relaxed);
            stamp(mode, w);
        }
        (MetricType::Histogram, Op::Observe { bucket, n, sum }) => {
            let last = w.len() - 1;
            w[bucket.min(last - 1)].fetch_add(n, Relaxed);
            add_f64(&w[last], sum);
        }
        (MetricType::Summary, Op::Observe { n, sum, .. }) => {
            w[0].fetch_add(n, Relaxed);
            add_f64(&w[1], sum);
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------
// Writing: this process's file.

/// One mapped piece of a process's file. Pieces are never unmapped while the file is in
/// use, so pointers into them stay valid.
struct Segment {
    ptr: *mut u8,
    /// Offset in the file.
    off: usize,
    len: usize,
}

struct Segments {
    list: Vec<Segment>,
    /// Bytes in use (the header's copy is what readers see).
    used: usize,
}

/// The file this process writes, with its exclusive lock held for as long as it is open.
pub(crate) struct ProcFile {
    file: File,
    path: PathBuf,
    segs: Mutex<Segments>,
}

// SAFETY: the segments are shared memory written only through atomics (values) or under
// `segs` (appends), and read by others only after the header publishes them.
unsafe impl Send for ProcFile {}
// SAFETY: as above.
unsafe impl Sync for ProcFile {}

#[cfg(unix)]
fn map(file: &File, off: usize, len: usize, write: bool) -> std::io::Result<*mut u8> {
    use std::os::fd::AsRawFd;
    let prot = if write {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_READ
    };
    // SAFETY: a fresh mapping of a file we hold open; the kernel checks the arguments.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            off as libc::off_t,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(p.cast())
}

#[cfg(unix)]
fn unmap(ptr: *mut u8, len: usize) {
    // SAFETY: `ptr` and `len` are exactly a mapping made by `map` and not used after.
    unsafe {
        libc::munmap(ptr.cast(), len);
    }
}

#[cfg(not(unix))]
fn map(_: &File, _: usize, _: usize, _: bool) -> std::io::Result<*mut u8> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(not(unix))]
fn try_lock(_: &File, _: bool) -> bool {
    true
}

#[cfg(unix)]
fn try_lock(file: &File, exclusive: bool) -> bool {
    use std::os::fd::AsRawFd;
    let op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    // SAFETY: flock on a descriptor we own.
    unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) == 0 }
}

fn random_token() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let x = &t as *const u64 as u64;
    let mut h = crate::labels::Hasher64::new();
    h.str(&format!("{t}-{x}-{}", std::process::id()));
    h.finish()
}

impl ProcFile {
    #[cfg(unix)]
    fn create(dir: &Path) -> Result<ProcFile> {
        let pid = std::process::id();
        let path = dir.join(format!("{pid}-{:016x}.pmdb", random_token()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io("cannot create", &path, e))?;
        if !try_lock(&file, true) {
            return Err(io("cannot lock", &path, std::io::Error::last_os_error()));
        }
        file.set_len(FIRST_SEGMENT as u64)
            .map_err(|e| io("cannot size", &path, e))?;
        let ptr = map(&file, 0, FIRST_SEGMENT, true).map_err(|e| io("cannot map", &path, e))?;
        // SAFETY: the first segment is at least HEADER bytes and only this process writes it.
        unsafe {
            std::ptr::copy_nonoverlapping(MAGIC.as_ptr(), ptr, 8);
            (ptr.add(16) as *mut u32).write(pid);
            (*(ptr.add(8) as *const AtomicU64)).store(HEADER as u64, Release);
        }
        Ok(ProcFile {
            file,
            path,
            segs: Mutex::new(Segments {
                list: vec![Segment {
                    ptr,
                    off: 0,
                    len: FIRST_SEGMENT,
                }],
                used: HEADER,
            }),
        })
    }

    #[cfg(not(unix))]
    fn create(_dir: &Path) -> Result<ProcFile> {
        Err(Error::InvalidConfig(
            "multiprocess mode needs a Unix system".into(),
        ))
    }

    fn header_used(&self, segs: &Segments) -> *const AtomicU64 {
        // SAFETY: the first segment holds the header.
        unsafe { segs.list[0].ptr.add(8) as *const AtomicU64 }
    }

    /// Appends a record of `bytes` (a multiple of 8, its length field included) followed
    /// by `words` zeroed value words; returns the record's offset in the file and pointers
    /// to the record and to its words.
    fn append(&self, bytes: &[u8], words: usize) -> Result<(usize, *const u8, *const AtomicU64)> {
        debug_assert_eq!(bytes.len() % 8, 0);
        let total = bytes.len() + 8 * words;
        let mut segs = self.segs.lock().unwrap_or_else(|e| e.into_inner());
        let last = segs.list.last().expect("a file has its first segment");
        let (mut end, mut at) = (last.off + last.len, segs.used);
        if at + total > end {
            // Pad the rest of this segment and map a new one.
            let pad = end - at;
            if pad > 0 {
                // SAFETY: `at..end` lies in the last segment, which this process owns.
                unsafe {
                    let p = last.ptr.add(at - last.off);
                    (p as *mut u32).write(pad as u32);
                    p.add(4).write(TAG_PAD);
                }
            }
            let len = (last.len * 2).max(total.next_multiple_of(4096));
            self.file
                .set_len((end + len) as u64)
                .map_err(|e| io("cannot grow", &self.path, e))?;
            let ptr =
                map(&self.file, end, len, true).map_err(|e| io("cannot map", &self.path, e))?;
            segs.list.push(Segment { ptr, off: end, len });
            at = end;
            end += len;
        }
        debug_assert!(at + total <= end);
        let seg = segs.list.last().expect("just checked");
        // SAFETY: `at..at + total` lies in the last segment, past what readers may read.
        let (rec, w) = unsafe {
            let p = seg.ptr.add(at - seg.off);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
            (p as *mut u32).write(total as u32);
            let w = p.add(bytes.len());
            std::ptr::write_bytes(w, 0, 8 * words);
            (p as *const u8, w as *const AtomicU64)
        };
        segs.used = at + total;
        // SAFETY: the header lives in the first segment.
        unsafe { (*self.header_used(&segs)).store(segs.used as u64, Release) };
        Ok((at, rec, w))
    }
}

impl Drop for ProcFile {
    fn drop(&mut self) {
        #[cfg(unix)]
        for s in self
            .segs
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .list
            .drain(..)
        {
            unmap(s.ptr, s.len);
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_ne_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn pad8(out: &mut Vec<u8>) {
    while out.len() % 8 != 0 {
        out.push(0);
    }
}

/// The description of a family, as written into a file.
pub(crate) struct FamilyRecord<'a> {
    pub(crate) name: &'a str,
    pub(crate) help: &'a str,
    pub(crate) kind: MetricType,
    pub(crate) mode: GaugeMode,
    pub(crate) labels: &'a [String],
    pub(crate) bounds: &'a [f64],
}

fn family_bytes(f: &FamilyRecord<'_>) -> Vec<u8> {
    let mut b = vec![0u8; 4];
    b.extend_from_slice(&[TAG_FAMILY, type_code(f.kind), f.mode.code(), 0]);
    b.extend_from_slice(&(f.labels.len() as u32).to_ne_bytes());
    b.extend_from_slice(&(f.bounds.len() as u32).to_ne_bytes());
    put_str(&mut b, f.name);
    put_str(&mut b, f.help);
    for l in f.labels {
        put_str(&mut b, l);
    }
    pad8(&mut b);
    for x in f.bounds {
        b.extend_from_slice(&x.to_ne_bytes());
    }
    b
}

fn series_bytes<'a>(family_off: u64, values: impl Iterator<Item = &'a str>, n: usize) -> Vec<u8> {
    let mut b = vec![0u8; 4];
    b.extend_from_slice(&[TAG_SERIES, 0, 0, 0]);
    b.extend_from_slice(&family_off.to_ne_bytes());
    b.extend_from_slice(&(n as u32).to_ne_bytes());
    b.extend_from_slice(&[0; 4]);
    for v in values {
        put_str(&mut b, v);
    }
    pad8(&mut b);
    b
}

/// Reads the label values of the series record at `rec` (this process's own memory).
fn record_values(rec: *const u8) -> impl Iterator<Item = &'static str> {
    // SAFETY: `rec` is a complete series record written by `append`, never moved or freed
    // while a family's mirror refers to it.
    let n = unsafe { (rec.add(16) as *const u32).read() } as usize;
    let mut p = unsafe { rec.add(24) };
    (0..n).map(move |_| unsafe {
        let len = (p as *const u32).read_unaligned() as usize;
        let s = std::slice::from_raw_parts(p.add(4), len);
        p = p.add(4 + len);
        std::str::from_utf8_unchecked(s)
    })
}

// ---------------------------------------------------------------------------------------
// The mode of one registry.

/// Multiprocess mode of a registry: the directory, the owner, and this process's file.
pub(crate) struct Multiproc {
    dir: PathBuf,
    owner: u32,
    /// This process's file, made at the first write; `None` again in a forked child.
    file: RwLock<Option<Arc<ProcFile>>>,
    /// Bumped when the file changes (in a forked child), so mirrors start again.
    generation: AtomicU64,
    /// Whether the mode made a temporary directory (the owner removes it at
    /// [`Multiproc::remove_dir`]); a directory the application named stays.
    made_dir: bool,
    /// The pid this state was made in: a forked child sees another.
    pid: std::sync::atomic::AtomicU32,
}

impl Multiproc {
    /// Turns the mode on with `dir` (made if missing; a fresh temporary directory if
    /// `None`). The calling process is the owner unless `owner` names another.
    pub(crate) fn new(dir: Option<&Path>, owner: Option<u32>) -> Result<Multiproc> {
        let pid = std::process::id();
        let (dir, made_dir) = match dir {
            Some(d) => {
                if d.as_os_str().is_empty() {
                    return Err(Error::InvalidConfig(format!(
                        "{DIR_ENV} is empty: name a directory"
                    )));
                }
                std::fs::create_dir_all(d).map_err(|e| io("cannot create directory", d, e))?;
                (d.to_path_buf(), false)
            }
            None => {
                let d = std::env::temp_dir()
                    .join(format!("pushmetrics-{pid}-{:08x}", random_token() as u32));
                std::fs::create_dir_all(&d).map_err(|e| io("cannot create directory", &d, e))?;
                (d, true)
            }
        };
        if !dir.is_dir() {
            return Err(io(
                "not a directory:",
                &dir,
                std::io::Error::from(std::io::ErrorKind::NotADirectory),
            ));
        }
        let owner = owner.unwrap_or(pid);
        let mp = Multiproc {
            dir,
            owner,
            file: RwLock::new(None),
            generation: AtomicU64::new(1),
            made_dir,
            pid: std::sync::atomic::AtomicU32::new(pid),
        };
        if mp.is_owner() {
            mp.remove_dead_files();
        }
        Ok(mp)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn owner(&self) -> u32 {
        self.owner
    }

    /// Whether this process pushes (reads every file) rather than only writing its own.
    pub(crate) fn is_owner(&self) -> bool {
        std::process::id() == self.owner
    }

    /// Changes whenever this process's file does: in a forked child at once (the fork
    /// handler counts forks), before the child writes anything, so that no mirror of the
    /// child ever writes into its parent's file, whose mapping the child shares.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
            .load(Acquire)
            .wrapping_add(FORKS.load(Acquire) << 32)
    }

    /// This process's file, made on first use. In a forked child the parent's is dropped
    /// (its lock stays with the parent) and a new one made.
    pub(crate) fn file(&self) -> Result<Arc<ProcFile>> {
        let pid = std::process::id();
        {
            let f = self.file.read().unwrap_or_else(|e| e.into_inner());
            if let (Some(f), true) = (&*f, self.pid.load(Acquire) == pid) {
                return Ok(f.clone());
            }
        }
        let mut f = self.file.write().unwrap_or_else(|e| e.into_inner());
        if self.pid.load(Acquire) != pid {
            // The parent's mapping and descriptor are this process's copies: let them go.
            *f = None;
            self.pid.store(pid, Release);
            self.generation.fetch_add(1, AcqRel);
        }
        if let Some(f) = &*f {
            return Ok(f.clone());
        }
        let new = Arc::new(ProcFile::create(&self.dir)?);
        *f = Some(new.clone());
        Ok(new)
    }

    /// The lock taken before a fork.
    pub(crate) fn hold(&self) -> std::sync::RwLockWriteGuard<'_, Option<Arc<ProcFile>>> {
        self.file.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Files of processes that have ended, from an earlier run: their numbers are not
    /// this job's.
    fn remove_dead_files(&self) {
        for (path, file) in self.files() {
            if try_lock(&file, false) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }

    fn files(&self) -> Vec<(PathBuf, File)> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(PathBuf, File)> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "pmdb"))
            .filter_map(|p| File::open(&p).ok().map(|f| (p, f)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Removes the directory if this process made it; for the owner at the very end.
    pub(crate) fn remove_dir(&self) {
        if self.made_dir && self.is_owner() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// Every family in every file, summed as each type and gauge mode says.
    pub(crate) fn aggregate(&self) -> Vec<FamilySnapshot> {
        let own = self
            .file
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|_| self.pid.load(Acquire) == std::process::id())
            .map(|f| f.path.clone());
        let mut agg: BTreeMap<String, AggFamily> = BTreeMap::new();
        for (path, file) in self.files() {
            let live = Some(&path) == own.as_ref() || !try_lock(&file, false);
            let pid = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split('-').next())
                .unwrap_or("")
                .to_owned();
            if let Err(e) = read_file(&file, live, &pid, &mut agg) {
                log::warn!(
                    target: "pushmetrics",
                    "multiprocess: skipped part of {}: {e}",
                    path.display()
                );
            }
            // A lock taken to test liveness goes with the descriptor.
        }
        agg.into_iter()
            .filter_map(|(name, f)| f.build(&name))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Reading: every file of the directory.

enum AggValue {
    Counter(f64),
    Gauge { v: f64, t: f64 },
    Histogram { counts: Vec<u64>, sum: f64 },
    Summary { count: u64, sum: f64 },
}

struct AggFamily {
    help: String,
    kind: MetricType,
    mode: GaugeMode,
    labels: Vec<String>,
    bounds: Vec<f64>,
    series: BTreeMap<Vec<String>, AggValue>,
}

impl AggFamily {
    fn build(self, name: &str) -> Option<FamilySnapshot> {
        let mut labels = self.labels.clone();
        if self.kind == MetricType::Gauge
            && matches!(self.mode, GaugeMode::All | GaugeMode::LiveAll)
        {
            labels.push("pid".into());
        }
        let mut b = FamilySnapshot::builder(name, &self.help, self.kind, &labels).ok()?;
        let bounds: Arc<[f64]> = self.bounds.into();
        for (values, v) in self.series {
            let value = match v {
                AggValue::Counter(x) => Value::Counter(x),
                AggValue::Gauge { v, .. } => Value::Gauge(v),
                AggValue::Histogram { counts, sum } => {
                    let mut cumulative = Vec::with_capacity(counts.len());
                    let mut acc = 0u64;
                    for c in counts {
                        acc += c;
                        cumulative.push(acc);
                    }
                    Value::Histogram(Box::new(HistogramValue {
                        bounds: bounds.clone(),
                        count: acc,
                        cumulative,
                        sum,
                    }))
                }
                AggValue::Summary { count, sum } => Value::Summary(Box::new(SummaryValue {
                    quantiles: Vec::new(),
                    sum,
                    count,
                })),
            };
            let _ = b.add(&values, value);
        }
        Some(b.build())
    }
}

/// A read-only map of another process's file.
struct Mapped {
    ptr: *const u8,
    len: usize,
}

impl Drop for Mapped {
    fn drop(&mut self) {
        #[cfg(unix)]
        unmap(self.ptr as *mut u8, self.len);
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let s = self.b.get(self.at..self.at + 4)?;
        self.at += 4;
        Some(u32::from_ne_bytes(s.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        let s = self.b.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(u64::from_ne_bytes(s.try_into().ok()?))
    }
    fn str(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        String::from_utf8(s.to_vec()).ok()
    }
    fn align(&mut self) {
        self.at = self.at.next_multiple_of(8);
    }
}

fn read_file(
    file: &File,
    live: bool,
    pid: &str,
    agg: &mut BTreeMap<String, AggFamily>,
) -> std::result::Result<(), String> {
    let size = file.metadata().map_err(|e| e.to_string())?.len() as usize;
    if size < HEADER {
        return Ok(()); // being made
    }
    let ptr = map(file, 0, size, false).map_err(|e| e.to_string())?;
    let m = Mapped { ptr, len: size };
    // SAFETY: the map covers `size` bytes; the header's length word is 8-aligned.
    let (magic, used) = unsafe {
        (
            std::slice::from_raw_parts(m.ptr, 8),
            (*(m.ptr.add(8) as *const AtomicU64)).load(Acquire) as usize,
        )
    };
    if magic != MAGIC {
        return Err("not a pushmetrics file".into());
    }
    let used = used.min(size);
    // SAFETY: bytes below `used` are complete records that no longer change, apart from
    // value words, which are read through atomics below.
    let bytes = unsafe { std::slice::from_raw_parts(m.ptr, used) };
    let mut families: HashMap<usize, (String, MetricType, GaugeMode, usize)> = HashMap::new();
    let mut at = HEADER;
    while at + 8 <= used {
        let len = u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if len < 8 || at + len > used || len % 8 != 0 {
            return Err(format!("bad record length {len} at {at}"));
        }
        let (tag, tc, mode) = (bytes[at + 4], bytes[at + 5], bytes[at + 6]);
        let rec = &bytes[at..at + len];
        let mut r = Reader { b: rec, at: 8 };
        match tag {
            TAG_FAMILY => {
                let kind = type_of(tc).ok_or("bad metric type")?;
                let mode = GaugeMode::from_code(mode);
                let (nl, nb) = (r.u32().ok_or("short")?, r.u32().ok_or("short")?);
                let name = r.str().ok_or("bad name")?;
                let help = r.str().ok_or("bad help")?;
                let labels = (0..nl)
                    .map(|_| r.str())
                    .collect::<Option<Vec<_>>>()
                    .ok_or("bad label name")?;
                r.align();
                let bounds = (0..nb)
                    .map(|_| r.u64().map(f64::from_bits))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("bad bounds")?;
                let entry = agg.entry(name.clone()).or_insert_with(|| AggFamily {
                    help,
                    kind,
                    mode,
                    labels: labels.clone(),
                    bounds: bounds.clone(),
                    series: BTreeMap::new(),
                });
                // A family another process defined differently is left out of this file.
                if entry.kind == kind && entry.labels == labels && entry.bounds == bounds {
                    families.insert(at, (name, kind, entry.mode, bounds.len()));
                }
            }
            TAG_SERIES => {
                let fam = r.u64().ok_or("short")? as usize;
                let n = r.u32().ok_or("short")?;
                r.u32();
                let Some((name, kind, mode, nb)) = families.get(&fam) else {
                    at += len;
                    continue;
                };
                let mut values = (0..n)
                    .map(|_| r.str())
                    .collect::<Option<Vec<_>>>()
                    .ok_or("bad label value")?;
                r.align();
                let nw = words_of(*kind, *nb);
                if r.at + 8 * nw > len {
                    return Err("short series record".into());
                }
                // SAFETY: the words are 8-aligned inside the map and written only atomically.
                let w = unsafe {
                    std::slice::from_raw_parts(m.ptr.add(at + r.at) as *const AtomicU64, nw)
                };
                let f = agg.get_mut(name).expect("families hold known names");
                merge(f, *kind, *mode, &mut values, w, live, pid);
            }
            _ => {}
        }
        at += len;
    }
    Ok(())
}

fn merge(
    f: &mut AggFamily,
    kind: MetricType,
    mode: GaugeMode,
    values: &mut Vec<String>,
    w: &[AtomicU64],
    live: bool,
    pid: &str,
) {
    let load = |i: usize| w[i].load(Relaxed);
    let fl = |i: usize| f64::from_bits(w[i].load(Relaxed));
    match kind {
        MetricType::Counter => {
            let e = f
                .series
                .entry(std::mem::take(values))
                .or_insert(AggValue::Counter(0.0));
            if let AggValue::Counter(x) = e {
                *x += fl(0);
            }
        }
        MetricType::Histogram => {
            let nb = w.len() - 1;
            let e = f
                .series
                .entry(std::mem::take(values))
                .or_insert_with(|| AggValue::Histogram {
                    counts: vec![0; nb],
                    sum: 0.0,
                });
            if let AggValue::Histogram { counts, sum } = e {
                for (i, c) in counts.iter_mut().enumerate() {
                    *c += load(i);
                }
                *sum += fl(nb);
            }
        }
        MetricType::Summary => {
            let e = f
                .series
                .entry(std::mem::take(values))
                .or_insert(AggValue::Summary { count: 0, sum: 0.0 });
            if let AggValue::Summary { count, sum } = e {
                *count += load(0);
                *sum += fl(1);
            }
        }
        MetricType::Gauge => {
            if mode.live_only() && !live {
                return;
            }
            let (v, t) = (fl(0), fl(1));
            if matches!(mode, GaugeMode::All | GaugeMode::LiveAll) {
                values.push(pid.to_owned());
            }
            let key = std::mem::take(values);
            match f.series.get_mut(&key) {
                None => {
                    f.series.insert(key, AggValue::Gauge { v, t });
                }
                Some(AggValue::Gauge { v: cur, t: ct }) => match mode {
                    GaugeMode::Sum | GaugeMode::LiveSum => *cur += v,
                    GaugeMode::Max | GaugeMode::LiveMax => *cur = cur.max(v),
                    GaugeMode::Min | GaugeMode::LiveMin => *cur = cur.min(v),
                    GaugeMode::MostRecent | GaugeMode::LiveMostRecent => {
                        if t > *ct {
                            (*cur, *ct) = (v, t);
                        }
                    }
                    // One series per process: a second one with the same pid is a restart
                    // of a recycled pid; the later file wins.
                    GaugeMode::All | GaugeMode::LiveAll => (*cur, *ct) = (v, t),
                },
                Some(_) => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The mirror of one family: where its series live in this process's file.

/// The slots of one family's series in this process's file.
pub(crate) struct Slots {
    generation: u64,
    file: Option<Arc<ProcFile>>,
    family: u64,
    /// By hash of the label values: (series record, value words).
    map: HashMap<u64, Vec<(usize, usize)>>,
}

/// A family's link to the mode: the description to write and its series' slots.
pub(crate) struct Mirror {
    pub(crate) mp: Arc<Multiproc>,
    pub(crate) slots: RwLock<Slots>,
    /// The label names a file records: the series' own, then the constant labels', whose
    /// values [`Mirror::const_values`] gives, so that the sums keep them.
    pub(crate) labels: Vec<String>,
    pub(crate) const_values: Vec<String>,
}

impl Mirror {
    pub(crate) fn new(
        mp: Arc<Multiproc>,
        exposed: &[String],
        consts: &[(String, String)],
    ) -> Mirror {
        Mirror {
            labels: exposed
                .iter()
                .cloned()
                .chain(consts.iter().map(|(n, _)| n.clone()))
                .collect(),
            const_values: consts.iter().map(|(_, v)| v.clone()).collect(),
            mp,
            slots: RwLock::new(Slots {
                generation: 0,
                file: None,
                family: 0,
                map: HashMap::new(),
            }),
        }
    }

    /// Runs `f` on the value words of the series with label values `values` (hash `h`),
    /// made in this process's file if new: zeroed, or filled by `init` (which then says
    /// whether it already counts the update). Errors (a full disk) are logged, once a
    /// while; the update then counts in this process only.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn with_words<'v>(
        &self,
        fam: &FamilyRecord<'_>,
        h: u64,
        values: impl Iterator<Item = &'v str> + Clone,
        n: usize,
        nwords: usize,
        init: impl FnOnce(&[AtomicU64]) -> bool,
        f: impl FnOnce(&[AtomicU64]),
    ) {
        let gen = self.mp.generation();
        let find = |s: &Slots| -> Option<*const AtomicU64> {
            s.map.get(&h)?.iter().find_map(|&(rec, w)| {
                record_values(rec as *const u8)
                    .eq(values.clone())
                    .then_some(w as *const AtomicU64)
            })
        };
        let words = |w: *const AtomicU64| {
            // SAFETY: `w` points at `nwords` value words of a record in a mapping of the
            // current file, which lives while the slots name it.
            unsafe { std::slice::from_raw_parts(w, nwords) }
        };
        {
            let s = self.slots.read().unwrap_or_else(|e| e.into_inner());
            if s.generation == gen && gen == self.mp.generation() {
                if let Some(w) = find(&s) {
                    f(words(w));
                    return;
                }
            }
        }
        let file = match self.mp.file() {
            Ok(file) => file,
            Err(e) => {
                log::warn!(target: "pushmetrics", "multiprocess: {e}");
                return;
            }
        };
        let gen = self.mp.generation();
        let mut s = self.slots.write().unwrap_or_else(|e| e.into_inner());
        if s.generation != gen || !s.file.as_ref().is_some_and(|f| Arc::ptr_eq(f, &file)) {
            s.map.clear();
            s.family = 0;
            s.file = Some(file.clone());
            s.generation = gen;
        }
        if let Some(w) = find(&s) {
            f(words(w));
            return;
        }
        let made = (|| -> Result<*const AtomicU64> {
            if s.family == 0 {
                let (off, _, _) = file.append(&family_bytes(fam), 0)?;
                s.family = off as u64;
            }
            let (_, rec, w) = file.append(&series_bytes(s.family, values.clone(), n), nwords)?;
            s.map.entry(h).or_default().push((rec as usize, w as usize));
            Ok(w)
        })();
        match made {
            Ok(w) => {
                let w = words(w);
                if !init(w) {
                    f(w);
                }
            }
            Err(e) => log::warn!(target: "pushmetrics", "multiprocess: {e}"),
        }
    }

    /// Takes the slots' lock before a fork.
    pub(crate) fn hold(&self) -> std::sync::RwLockWriteGuard<'_, Slots> {
        self.slots.write().unwrap_or_else(|e| e.into_inner())
    }
}
