// The machine's limit for the peers benchmark: a wasm SIMD128 f32 multiply-add loop, the kind of
// work a convolution or matrix-product kernel does at best, timed on one thread and on N at once
// (one worker each), plain (f32x4.mul then f32x4.add) and relaxed-SIMD (f32x4.relaxed_madd, a
// fused multiply-add where the CPU has one). The module is written here byte by byte (no
// assembler is installed): 12 independent accumulators, so the loop is bound by throughput, not
// latency; each iteration is 12 x 4 multiply-adds = 96 flops.

const ACC = 12;
const FLOPS_PER_ITER = ACC * 4 * 2;

function leb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function f32x4(v) {
  const b = new Uint8Array(16);
  const d = new DataView(b.buffer);
  for (let i = 0; i < 4; i++) d.setFloat32(i * 4, v, true);
  return [0xfd, 0x0c, ...b];
}

function section(id, bytes) {
  return [id, ...leb(bytes.length), ...bytes];
}

/** `run(n)`: n iterations of the loop; returns a sum of the accumulators (so nothing is dead code). */
function moduleBytes(relaxed) {
  const X = ACC + 1;
  const Y = ACC + 2;
  const code = [];
  for (let k = 1; k <= ACC; k++) code.push(...f32x4(1), 0x21, k);
  code.push(...f32x4(0.9999), 0x21, X, ...f32x4(0.0001), 0x21, Y);
  code.push(0x02, 0x40, 0x03, 0x40, 0x20, 0, 0x45, 0x0d, 1);
  for (let k = 1; k <= ACC; k++) {
    if (relaxed) code.push(0x20, k, 0x20, X, 0x20, Y, 0xfd, ...leb(0x105), 0x21, k);
    else code.push(0x20, k, 0x20, X, 0xfd, ...leb(230), 0x20, Y, 0xfd, ...leb(228), 0x21, k);
  }
  code.push(0x20, 0, 0x41, 1, 0x6b, 0x21, 0, 0x0c, 0, 0x0b, 0x0b);
  code.push(0x20, 1, 0xfd, 0x1f, 0);
  for (let k = 2; k <= ACC; k++) code.push(0x20, k, 0xfd, 0x1f, 0, 0x92);
  code.push(0x0b);
  const body = [1, ACC + 2, 0x7b, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]),
    ...section(3, [1, 0]),
    ...section(7, [1, 3, 0x72, 0x75, 0x6e, 0x00, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

const WORKER = `
onmessage = async (e) => {
  const { bytes, iters, reps } = e.data;
  const { instance } = await WebAssembly.instantiate(bytes);
  instance.exports.run(iters); // tier-up
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    instance.exports.run(iters);
    best = Math.min(best, performance.now() - t);
  }
  postMessage(best);
};`;

/** GFLOP/s of `threads` workers running the loop at once (each its best of `reps`). */
async function measure(relaxed, threads, iters = 20_000_000, reps = 5) {
  const bytes = moduleBytes(relaxed);
  if (!WebAssembly.validate(bytes)) return null; // relaxed SIMD unsupported
  const url = URL.createObjectURL(new Blob([WORKER], { type: 'text/javascript' }));
  const workers = Array.from({ length: threads }, () => new Worker(url));
  const times = await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.onmessage = (e) => resolve(e.data);
    w.postMessage({ bytes, iters, reps });
  })));
  workers.forEach((w) => w.terminate());
  URL.revokeObjectURL(url);
  return times.reduce((sum, ms) => sum + (iters * FLOPS_PER_ITER) / (ms / 1000) / 1e9, 0);
}

window.benchPeak = async (threads) => ({
  plain: { one: await measure(false, 1), all: await measure(false, threads) },
  relaxed: { one: await measure(true, 1), all: await measure(true, threads) },
  threads,
});
