'use strict';
// Slots of native memory for counter children: `inc()` is an integer add in an Int32Array,
// `inc(v)` a float add in a Float64Array, and the addon moves the increments into the core
// (see src/cells.rs). A slot goes back when its owner is collected: a child made for one
// call, or the metric whose kept children share it.
const CHUNK = 512;
const native = require('./native.js');

let current = null; // { id, floats, ones }
let next = 0;
const free = [];

function release(slot) {
  native.releaseCell(slot.id, slot.index);
  free.push(slot);
}

const released = new FinalizationRegistry(release);
const releasedAll = new FinalizationRegistry((slots) => slots.forEach(release));

/** A slot `{ id, floats, ones, index }` not yet attached to a series. */
function take() {
  const slot = free.pop();
  if (slot !== undefined) return slot;
  if (current === null || next === CHUNK) {
    const { id, buffer } = native.newCellChunk();
    current = { id, floats: new Float64Array(buffer, 0, CHUNK), ones: new Int32Array(buffer, CHUNK * 8, CHUNK) };
    next = 0;
  }
  return { id: current.id, floats: current.floats, ones: current.ones, index: next++ };
}

/** Hands back a slot from `take()` that was never attached. */
function putBack(slot) {
  free.push(slot);
}

/**
 * A slot for `owner`, handed to `attachTo(chunk, index)` so the addon drains it into the
 * owner's series; released when `owner` is collected.
 */
function attach(owner, attachTo) {
  const slot = take();
  try {
    attachTo(slot.id, slot.index);
  } catch (e) {
    putBack(slot);
    throw e;
  }
  released.register(owner, slot);
  return slot;
}

/**
 * Hands `slot`, one of a metric's shared slots, to `owner` alone: a child dropped from the
 * metric's kept children (by `remove()` or `reset()`) that the application may still hold.
 */
function adopt(owner, slot) {
  released.register(owner, slot);
}

/** An array for the slots `owner` attaches: each is released when `owner` is collected. */
function slotsOf(owner) {
  const slots = [];
  releasedAll.register(owner, slots);
  return slots;
}

module.exports = { take, putBack, attach, adopt, slotsOf };
