// How long a figure's run takes "here", before it runs: per architecture, the seconds to build
// and load one model and to record one image, in the page's own worker, threaded and single-
// threaded. The numbers are BENCHMARKS.md's "Zoo, wasm" table (tests/bench/zoo-wasm.mjs, headless
// Chromium on this project's 2-core machine, measured 2026-11-23; alexnet_deepcluster and
// efficientnet_lite0 by the same script on 2026-12-02, alexnet then again within 0.1 s of the
// table's); they are copied here, not measured on the reader's machine, so the estimate is rough.

/** arch -> [build + load threaded (s), 1 image threaded (s), build + load single (s), 1 image single (s)] */
const WASM_SECONDS = {
  alexnet: [0.95, 0.084, 0.67, 0.063],
  alexnet_deepcluster: [6.83, 0.148, 6.66, 0.116],
  efficientnet_lite0: [0.38, 0.069, 0.44, 0.063],
  vgg11: [11.15, 0.321, 10.12, 0.470],
  vgg13: [10.50, 0.447, 10.61, 0.748],
  vgg16: [11.39, 0.719, 10.94, 1.009],
  vgg13_bn: [10.97, 0.422, 10.87, 0.747],
  resnet18: [1.12, 0.138, 1.09, 0.142],
  resnet34: [2.02, 0.267, 1.98, 0.252],
  resnet50: [2.24, 0.188, 2.17, 0.279],
  wide_resnet50_2: [6.20, 0.437, 5.73, 0.727],
  squeezenet1_0: [0.21, 0.064, 0.22, 0.077],
  densenet121: [1.12, 0.196, 1.01, 0.225],
  mobilenet_v2: [0.58, 0.048, 0.53, 0.039],
  vit_b_32: [1.63, 0.274, 1.30, 0.350],
  vit_b_16: [1.33, 0.728, 1.20, 1.064],
  vit_l_16: [5.89, 2.557, 5.57, 4.188],
  vit_l_32: [4.66, 0.774, 4.83, 1.172],
  mixer_b16_224: [0.90, 0.409, 0.88, 0.774],
};

export const TIMING_SOURCE = 'Estimated from BENCHMARKS.md ("Zoo, wasm": each architecture\'s build time and ' +
  'seconds per image in this lab\'s worker, headless Chromium on a 2-core machine) times the images and ' +
  'models of this spec. Not counted: the metrics, downloads, the first start of the WebAssembly module, ' +
  'TFLite and your own models, and how much faster or slower this machine is.';

/**
 * {seconds, counted, missing}: the estimated run time of `archs` (one entry per model, its
 * architecture or null) on `images` images with the given build; `missing` counts the models the
 * table does not hold (not in the estimate).
 */
export function estimateSeconds(archs, images, flavor) {
  const threaded = flavor === 'threads';
  let seconds = 0;
  let counted = 0;
  let missing = 0;
  for (const arch of archs) {
    const row = arch && WASM_SECONDS[arch];
    if (!row) {
      missing += 1;
      continue;
    }
    const [build, perImage] = threaded ? row.slice(0, 2) : row.slice(2, 4);
    seconds += build + images * perImage;
    counted += 1;
  }
  return { seconds, counted, missing };
}
