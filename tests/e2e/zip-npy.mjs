// Reading what the page downloads, in the tests: its .zip files and the .npy files in them
// (the formats the core writes; the tests read them independently, with node's zlib only).

import assert from 'node:assert/strict';
import zlib from 'node:zlib';

/** The entries of a .zip (stored or deflated, no zip64) as [name, bytes] in archive order. */
export function unzip(buf) {
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end -= 1;
  assert.ok(end >= 0, 'a zip end-of-central-directory record');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const out = [];
  for (let k = 0; k < count; k++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, `central header ${k}`);
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const skip = nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    const data = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(data, data + size);
    assert.ok(method === 0 || method === 8, `${name}: stored or deflated, not method ${method}`);
    out.push([name, method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw)]);
    at += 46 + skip;
  }
  return out;
}

/** An .npy file's header bytes (magic to the data) and its values as numbers. */
export function npy(bytes, name) {
  assert.equal(bytes.toString('latin1', 0, 8), '\x93NUMPY\x01\x00', `${name}: npy format 1.0`);
  const start = 10 + bytes.readUInt16LE(8);
  const header = bytes.toString('latin1', 10, start);
  const descr = /'descr': '([<>|][a-z]\d)'/.exec(header)[1];
  const size = descr === '<f4' ? 4 : 8;
  assert.ok(descr === '<f4' || descr === '<f8', `${name}: little-endian float, not ${descr}`);
  const values = new Float64Array((bytes.length - start) / size);
  for (let k = 0; k < values.length; k++) {
    values[k] = size === 4 ? bytes.readFloatLE(start + 4 * k) : bytes.readDoubleLE(start + 8 * k);
  }
  return { header: bytes.subarray(0, start), values };
}
