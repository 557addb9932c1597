"""The torch reference for the zoo's EfficientNet-Lite0 with trained weights
(`crate/tests/trained.rs` compares against it).

NEEDS TORCH: run by hand, never by the tests, which read only what it writes.
Environment: torch (CPU), numpy, Pillow, and the definition of the trained
file, the PyPI package `efficientnet-lite-pytorch` 0.1.0:

    pip install torch numpy pillow efficientnet-lite-pytorch==0.1.0
    python3 models/trained/make_reference.py [--accuracy]

It builds `EfficientNet.from_name("efficientnet-lite0")`, loads
`models/trained/efficientnet-lite0-57934424.pth` (strict: every key), and runs
two images of the 92 shipped with the site, `www/data/kriegeskorte92/images/`
(000.png, a body part, and 060.png), resized to 224 x 224 with Pillow's bilinear filter. The pixels are
stored as `inputs_u8.npy` (2 x 224 x 224 x 3, uint8) and normalised with the
transform of the zoo, `(x / 255 - 127/255) / (128/255)` in float32, the very
float operations of `idlab::stimuli::Preprocess::normalise`, so the Rust test
feeds bit-identical inputs (it also checks the input sums written here).

For each recorded layer of the zoo (`idlab zoo`), read with forward hooks:
`_conv_stem:pre` (the output of `_bn0`), `_conv_stem` (ReLU6 of it, the
value the package's `_swish` returns), every block `_blocks.N` (the block
module's output), `_conv_head:pre` (`_bn1`), `_conv_head` (ReLU6 of it),
`_avg_pooling`; `reference.json` holds per image and layer the shape, the
float64 sum and sum of squares, the largest |value|, and 256 values at fixed
pseudo-random indices (numpy's PCG64 seeded with 12), and the logits in full.

`--accuracy` also prints top-1 on the 1,000 images of
`../shared/data/imagenet-sample/` with the TensorFlow-Lite transform above and
with torchvision's ImageNet mean/std: the evidence for the zoo's choice of
transform (the package documents none).
"""
import argparse
import csv
import json
import pathlib

import numpy as np
import torch
from PIL import Image
from efficientnet_lite_pytorch import EfficientNet

ROOT = pathlib.Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "models/trained/efficientnet-lite0-57934424.pth"
SHARED = ROOT.parent / "shared/data"
OUT = ROOT / "tests/fixtures/efficientnet"
IMAGES = ["000.png", "060.png"]
SAMPLES = 256
# The zoo's transform (crate/src/zoo/mod.rs, EFFICIENTNET_LITE_224).
MEAN = np.float32(127.0 / 255.0)
STD = np.float32(128.0 / 255.0)
IMAGENET = (np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32))


def pixels(path):
    """224 x 224 x 3 uint8 (the sources are square, so no crop is needed)."""
    return np.asarray(Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.uint8)


def normalise(px, mean=MEAN, std=STD):
    """HWC uint8 -> CHW float32, each step a float32 operation as in Rust."""
    x = px.astype(np.float32) / np.float32(255.0)
    return np.ascontiguousarray(((x - mean) / std).transpose(2, 0, 1), dtype=np.float32)


def model():
    m = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
    m.load_state_dict(state, strict=True)
    return m.eval()


def record(m, x):
    """Every recorded layer's value for one CHW image, and the logits."""
    seen = {}

    def hook(name):
        def f(_module, _inputs, output):
            seen[name] = output.detach().clone()
        return f

    handles = [m._bn0.register_forward_hook(hook("_conv_stem:pre")),
               m._bn1.register_forward_hook(hook("_conv_head:pre")),
               m._avg_pooling.register_forward_hook(hook("_avg_pooling"))]
    handles += [b.register_forward_hook(hook(f"_blocks.{i}")) for i, b in enumerate(m._blocks)]
    with torch.no_grad():
        logits = m(torch.from_numpy(x)[None])[0]
    for h in handles:
        h.remove()
    seen["_conv_stem"] = torch.clamp(seen["_conv_stem:pre"], 0.0, 6.0)
    seen["_conv_head"] = torch.clamp(seen["_conv_head:pre"], 0.0, 6.0)
    order = ["_conv_stem", "_conv_stem:pre"] + [f"_blocks.{i}" for i in range(len(m._blocks))] + \
        ["_conv_head", "_conv_head:pre", "_avg_pooling"]
    return [(name, seen[name][0].numpy()) for name in order], logits.numpy()


def summary(name, v, rng):
    flat = v.reshape(-1).astype(np.float32)
    idx = np.sort(rng.choice(flat.size, size=min(SAMPLES, flat.size), replace=False))
    return {
        "layer": name,
        "shape": list(v.shape),
        "sum": float(flat.astype(np.float64).sum()),
        "sum_sq": float((flat.astype(np.float64) ** 2).sum()),
        "max_abs": float(np.abs(flat).max()),
        "indices": idx.tolist(),
        "values": [float(flat[i]) for i in idx],
    }


def accuracy(m):
    rows = list(csv.DictReader(open(SHARED / "imagenet-sample/stimuli.csv")))
    px = np.stack([pixels(SHARED / "imagenet-sample" / r["file"]) for r in rows])
    truth = np.array([int(r["index"]) for r in rows])
    for name, (mean, std) in [("tensorflow-lite (x*255-127)/128", (MEAN, STD)), ("torchvision imagenet mean/std", IMAGENET)]:
        hits = 0
        for i in range(0, len(rows), 50):
            x = torch.from_numpy(np.stack([normalise(p, mean, std) for p in px[i:i + 50]]))
            with torch.no_grad():
                hits += int((m(x).argmax(1).numpy() == truth[i:i + 50]).sum())
        print(f"top-1 with {name}: {hits} / {len(rows)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accuracy", action="store_true", help="also print top-1 on the ImageNet sample for both transforms")
    args = ap.parse_args()
    m = model()
    OUT.mkdir(parents=True, exist_ok=True)
    px = np.stack([pixels(ROOT / "www/data/kriegeskorte92/images" / f) for f in IMAGES])
    np.save(OUT / "inputs_u8.npy", px)
    rng = np.random.Generator(np.random.PCG64(12))
    images = []
    for f, p in zip(IMAGES, px):
        x = normalise(p)
        layers, logits = record(m, x)
        images.append({
            "image": f"kriegeskorte92/images/{f}",
            "input_sum": float(x.astype(np.float64).sum()),
            "input_sum_sq": float((x.astype(np.float64) ** 2).sum()),
            "layers": [summary(n, v, rng) for n, v in layers],
            "logits": [float(v) for v in logits],
        })
    doc = {
        "what": "EfficientNet-Lite0 (efficientnet_lite_pytorch 0.1.0) with efficientnet-lite0-57934424.pth, torch "
                + torch.__version__ + " CPU, eval mode; written by models/trained/make_reference.py",
        "weights": "models/trained/efficientnet-lite0-57934424.pth",
        "inputs": "inputs_u8.npy: images x 224 x 224 x 3 uint8, normalised as (x / 255 - 127/255) / (128/255) in float32",
        "images": images,
    }
    (OUT / "reference.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT / 'reference.json'} and inputs_u8.npy")
    if args.accuracy:
        accuracy(m)


if __name__ == "__main__":
    main()
