//! Counter cells shared with JavaScript. A counter child adds into a slot of native memory
//! (a JIT-compiled store, no native call), and `drain` moves what was added since the last
//! drain into the core counter. Each slot has two halves: an `Int32Array` cell that `inc()`
//! bumps by one (an integer add, about twice as fast as a float add) and a `Float64Array`
//! cell for any other increment. Every registry drains at the start of each of its
//! snapshots (`Registry::on_snapshot`), so a push, a scheduled one included, carries every
//! increment made before it.
//!
//! The integer cell wraps, and a drain takes its difference modulo 2^32, which is exact as
//! long as fewer than 2^32 increments land between two drains. Snapshots may be hours apart
//! (or never come, without a pusher), so a thread of this module also drains every cell each
//! [`DRAIN_EVERY`]: JavaScript needs seconds for 2^32 increments even in a loop that does
//! nothing else. A check for the wrap in `inc()` itself would cost a quarter of its time.

use napi::bindgen_prelude::*;
use napi::{Env, JsObject};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Once};
use std::time::Duration;

/// How often every cell is drained besides snapshots: 2^32 increments of one cell take
/// JavaScript 13 s at the 3 ns of a held child's `inc()` (bench/node), and more than 4 s at
/// one increment per nanosecond.
const DRAIN_EVERY: Duration = Duration::from_secs(1);

/// Slots per chunk: one allocation per 512 held children. A chunk is `CHUNK` f64 cells
/// followed by `CHUNK` i32 cells.
const CHUNK: usize = 512;
const BYTES: usize = CHUNK * 8 + CHUNK * 4;

/// One block of slots. JS writes a slot only from the thread that owns its child (plain
/// aligned stores, never torn); Rust only reads them, with atomic loads.
struct Chunk(Box<[AtomicU64]>);

impl Chunk {
    fn float(&self, index: usize) -> f64 {
        f64::from_bits(self.0[index].load(Relaxed))
    }
    fn int(&self, index: usize) -> u32 {
        // SAFETY: the i32 cells fill words CHUNK.. of the allocation, two per word, aligned.
        let cells = unsafe { &*(self.0.as_ptr().add(CHUNK) as *const [AtomicU32; CHUNK]) };
        cells[index].load(Relaxed)
    }
    fn zero(&self, index: usize) {
        self.0[index].store(0, Relaxed);
        // SAFETY: as in `int`.
        let cells = unsafe { &*(self.0.as_ptr().add(CHUNK) as *const [AtomicU32; CHUNK]) };
        cells[index].store(0, Relaxed);
    }
}

struct Attached {
    chunk: u32,
    index: u32,
    counter: pushmetrics::Counter,
    /// The slot's values at the last drain.
    drained: f64,
    drained_ones: u32,
}

#[derive(Default)]
struct Cells {
    /// By id; `None` once the environment (thread) that used it has ended.
    chunks: Vec<Option<Arc<Chunk>>>,
    /// By `chunk << 32 | index`.
    attached: HashMap<u64, Attached>,
}

static CELLS: LazyLock<Mutex<Cells>> = LazyLock::new(Mutex::default);

fn cells() -> MutexGuard<'static, Cells> {
    CELLS.lock().unwrap_or_else(|e| e.into_inner())
}

impl Attached {
    fn drain(&mut self, chunks: &[Option<Arc<Chunk>>]) {
        let Some(chunk) = &chunks[self.chunk as usize] else {
            return;
        };
        let ones = chunk.int(self.index as usize);
        if ones != self.drained_ones {
            let _ = self
                .counter
                .inc_by(f64::from(ones.wrapping_sub(self.drained_ones)));
            self.drained_ones = ones;
        }
        let now = chunk.float(self.index as usize);
        if now != self.drained {
            // The JS side only adds finite values >= 0, so the difference is a valid
            // increment; an invalid one is refused by the core and never recorded.
            let _ = self.counter.inc_by(now - self.drained);
            self.drained = now;
        }
    }
}

/// Moves every slot's new increments into its counter.
pub fn drain() {
    let mut c = cells();
    let Cells { chunks, attached } = &mut *c;
    for a in attached.values_mut() {
        a.drain(chunks);
    }
}

/// Starts the thread that drains every cell each [`DRAIN_EVERY`], once per process. It
/// does not keep the process alive: Node ends it with the process.
fn start_draining() {
    static STARTED: Once = Once::new();
    STARTED.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("pushmetrics-cells".into())
            .spawn(|| loop {
                std::thread::sleep(DRAIN_EVERY);
                drain();
            });
        if let Err(e) = spawned {
            // Snapshots still drain; only a cell left alone for 2^32 increments could wrap.
            eprintln!("pushmetrics: cannot start the thread that drains counter cells: {e}");
        }
    });
}

/// A new chunk of slots for the calling environment: `{ id, buffer }`, `CHUNK` f64 cells
/// then `CHUNK` i32 cells.
#[napi(
    js_name = "newCellChunk",
    ts_return_type = "{ id: number, buffer: ArrayBuffer }"
)]
pub fn new_cell_chunk(mut env: Env) -> napi::Result<JsObject> {
    start_draining();
    let chunk = Arc::new(Chunk((0..BYTES / 8).map(|_| AtomicU64::new(0)).collect()));
    let ptr = chunk.0.as_ptr() as *mut u8;
    let id = {
        let mut c = cells();
        c.chunks.push(Some(chunk.clone()));
        (c.chunks.len() - 1) as u32
    };
    // When a worker thread ends, its children are gone: drain their slots a last time and
    // let go of the series and the memory.
    env.add_env_cleanup_hook(id, release_chunk)?;
    // SAFETY: the memory is owned by `chunk`, kept alive by the registry of chunks for the
    // life of the process and by the buffer's own hint until the buffer is collected.
    let buf = unsafe { env.create_arraybuffer_with_borrowed_data(ptr, BYTES, chunk, |_, _| {})? };
    let mut out = env.create_object()?;
    out.set_named_property("id", id)?;
    out.set_named_property("buffer", buf.into_raw())?;
    Ok(out)
}

/// Starts draining slot `index` of chunk `chunk` into `counter`.
pub fn attach(chunk: u32, index: u32, counter: pushmetrics::Counter) -> napi::Result<()> {
    let mut c = cells();
    let ch = c
        .chunks
        .get(chunk as usize)
        .and_then(Option::as_ref)
        .filter(|_| (index as usize) < CHUNK)
        .ok_or_else(|| Error::from_reason(format!("no cell {chunk}:{index}")))?;
    let (drained, drained_ones) = (ch.float(index as usize), ch.int(index as usize));
    let key = u64::from(chunk) << 32 | u64::from(index);
    c.attached.insert(
        key,
        Attached {
            chunk,
            index,
            counter,
            drained,
            drained_ones,
        },
    );
    Ok(())
}

/// Drains slot `index` of chunk `chunk` a last time, detaches it and zeroes it for reuse
/// (its child was collected).
#[napi(js_name = "releaseCell")]
pub fn release_cell(chunk: u32, index: u32) {
    let mut c = cells();
    let Cells { chunks, attached } = &mut *c;
    if let Some(mut a) = attached.remove(&(u64::from(chunk) << 32 | u64::from(index))) {
        a.drain(chunks);
        if let Some(ch) = &chunks[chunk as usize] {
            ch.zero(index as usize);
        }
    }
}

fn release_chunk(chunk: u32) {
    let mut c = cells();
    let Cells { chunks, attached } = &mut *c;
    attached.retain(|_, a| {
        if a.chunk != chunk {
            return true;
        }
        a.drain(chunks);
        false
    });
    chunks[chunk as usize] = None;
}

/// Drains every slot now.
#[napi(js_name = "drainCells")]
pub fn drain_cells() {
    drain();
}

/// Does nothing: the cost of one native call, for the benchmarks.
#[napi(js_name = "noop")]
pub fn noop() {}
