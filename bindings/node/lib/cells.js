'use strict';
// Slots of native memory for held counter children: `inc()` on a held child is an integer
// add in an Int32Array, `inc(v)` a float add in a Float64Array, and the addon moves the
// increments into the core (see src/cells.rs). A slot is handed back when its child is
// collected.
const CHUNK = 512;
const native = require('./native.js');

let current = null; // { id, floats, ones }
let next = 0;
const free = [];

const released = new FinalizationRegistry((slot) => {
  native.releaseCell(slot.id, slot.index);
  free.push(slot);
});

/**
 * A slot `{ id, floats, ones, index }` for `owner`, handed to `attachTo(chunk, index)` so the addon
 * drains it into the owner's series; released when `owner` is collected.
 */
function attach(owner, attachTo) {
  let slot = free.pop();
  if (slot === undefined) {
    if (current === null || next === CHUNK) {
      const { id, buffer } = native.newCellChunk();
      current = { id, floats: new Float64Array(buffer, 0, CHUNK), ones: new Int32Array(buffer, CHUNK * 8, CHUNK) };
      next = 0;
    }
    slot = { id: current.id, floats: current.floats, ones: current.ones, index: next++ };
  }
  attachTo(slot.id, slot.index);
  released.register(owner, slot);
  return slot;
}

module.exports = { attach };
