'use strict';
// Slots of native memory for held counter children: `inc()` on a held child is a store into
// a Float64Array, and the addon moves the increments into the core (see src/cells.rs).
// A slot is handed back when its child is collected.
const native = require('./native.js');

let current = null; // { id, array }
let next = 0;
const free = [];

const released = new FinalizationRegistry((slot) => {
  native.releaseCell(slot.id, slot.index);
  free.push(slot);
});

/**
 * A slot `{ id, array, index }` for `owner`, handed to `attachTo(chunk, index)` so the addon
 * drains it into the owner's series; released when `owner` is collected.
 */
function attach(owner, attachTo) {
  let slot = free.pop();
  if (slot === undefined) {
    if (current === null || next === current.array.length) {
      const { id, buffer } = native.newCellChunk();
      current = { id, array: new Float64Array(buffer) };
      next = 0;
    }
    slot = { id: current.id, array: current.array, index: next++ };
  }
  attachTo(slot.id, slot.index);
  released.register(owner, slot);
  return slot;
}

module.exports = { attach };
