// onnxruntime-web (wasm backend: SIMD, threads when cross-origin isolated) on an ONNX file, timed
// as tests/bench/peers.mjs asks: cold (session created + first image) and warm images per second
// after `warm` images. The inputs are fixed pseudo-random tensors (onnxruntime is handed tensors:
// no decoding or preprocessing). numThreads is fixed once per page, so each call is a fresh page.
import * as ort from './ort.wasm.min.mjs';

function inputs(size) {
  return [1, 2, 3, 4].map((k) => {
    const a = new Float32Array(3 * size * size);
    let x = k;
    for (let i = 0; i < a.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      a[i] = x / 4294967296 - 0.5;
    }
    return new ort.Tensor('float32', a, [1, 3, size, size]);
  });
}

window.benchOrt = async ({ url, threads, size, warm, images }) => {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = new URL('./', location.href).href;
  const xs = inputs(size);
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(url, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const t1 = performance.now();
  await session.run({ input: xs[0] });
  const t2 = performance.now();
  for (let i = 0; i < warm; i++) await session.run({ input: xs[i % 4] });
  const t3 = performance.now();
  for (let i = 0; i < images; i++) await session.run({ input: xs[i % 4] });
  const t4 = performance.now();
  await session.release();
  return {
    create_s: (t1 - t0) / 1000,
    cold_s: (t2 - t0) / 1000,
    images_per_s: images / ((t4 - t3) / 1000),
    isolated: self.crossOriginIsolated,
    version: ort.env.versions ? ort.env.versions.web : null,
  };
};
document.getElementById('state').textContent = 'ready';
