//! node_exporter's textfile collector: the core's `write_to_textfile` (the registry written
//! atomically to a file) as an `AsyncTask`, so the write and its fsyncs run on a libuv worker
//! thread, never on the event loop.

use crate::cells;
use crate::errors;
use crate::registry::NativeRegistry;
use napi::bindgen_prelude::*;
use napi::{Env, JsUnknown};
use pushmetrics::Registry;

/// One write of a registry to a file, on a libuv worker thread.
pub struct WriteTextfile {
    registry: Registry,
    path: String,
}

impl Task for WriteTextfile {
    type Output = pushmetrics::Result<()>;
    type JsValue = JsUnknown;
    fn compute(&mut self) -> napi::Result<Self::Output> {
        cells::drain();
        Ok(pushmetrics::write_to_textfile(&self.path, &self.registry))
    }
    fn resolve(&mut self, env: Env, out: Self::Output) -> napi::Result<JsUnknown> {
        match out {
            Ok(()) => Ok(env.get_null()?.into_unknown()),
            Err(e) => errors::value(env, e),
        }
    }
}

/// Writes `registry` to the file at `path` in the text format 0.0.4, atomically; resolves
/// with null, or with the core's error (an `ERR_IO` naming the path and the reason).
#[napi(ts_return_type = "Promise<null | Error>")]
pub fn write_to_textfile(registry: &NativeRegistry, path: String) -> AsyncTask<WriteTextfile> {
    AsyncTask::new(WriteTextfile {
        registry: registry.inner.clone(),
        path,
    })
}
