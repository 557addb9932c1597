"""Independent check of the zoo: every recorded layer, as tract computes it in
idlab, against onnxruntime on the same exported ONNX file and the same input.

For each architecture: `idlab export` writes the seeded ONNX model,
`idlab activations --save-input` records every layer (and its `:pre` value)
with tract on a few stimuli and saves the exact input tensors; this script then
adds those tensors as graph outputs, runs onnxruntime on the saved inputs and
compares: max |tract - ort| / max |ort| must be under 1e-4 for every layer.

    python3 models/check_onnxruntime.py [--idlab target/release/idlab]
        [--arch alexnet,resnet18] [--images 2]

Needs the packages in models/requirements.txt. `./build.sh test` runs it.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOLERANCE = 1e-4
DEFAULT_ARCHS = "alexnet,alexnet_deepcluster,vgg13_bn,resnet18,resnet50,squeezenet1_0,densenet121,mobilenet_v2,efficientnet_lite0,vit_b_32,mixer_b16_224"


def check(idlab, entry, stimuli, work):
    arch = entry["arch"]
    onnx_path = work / f"{arch}.onnx"
    npz_path = work / f"{arch}.npz"
    subprocess.run([idlab, "export", "--arch", arch, "--seed", "0", "-o", onnx_path], check=True)
    labels, tensors = [], []
    for layer in entry["layers"]:
        labels.append(layer["name"])
        tensors.append(layer["tensor"])
        if layer["pre"]:
            labels.append(layer["name"] + ":pre")
            tensors.append(layer["pre_tensor"])
    subprocess.run(
        [idlab, "activations", "--model", f"{arch}:0", "--stimuli", stimuli,
         "--layers", ",".join(labels), "-o", npz_path, "--save-input"],
        check=True,
    )
    recorded = np.load(npz_path)
    model = onnx.load(onnx_path)
    known = {o.name for o in model.graph.output}
    for t in tensors:
        if t not in known:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(t))
            known.add(t)  # a tensor recorded twice (SqueezeNet's features.0 and .1) is one output
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    inputs = recorded["input"]
    worst = 0.0
    failures = []
    for label, tensor in zip(labels, tensors):
        expected = np.stack([
            session.run([tensor], {"input": inputs[i : i + 1]})[0].reshape(-1)
            for i in range(inputs.shape[0])
        ])
        got = recorded[label]
        if got.shape != expected.shape:
            failures.append(f"{arch} {label}: shape {got.shape} vs onnxruntime {expected.shape}")
            continue
        scale = float(np.abs(expected).max()) or 1.0
        rel = float(np.abs(got.astype(np.float64) - expected).max()) / scale
        worst = max(worst, rel)
        if not rel < TOLERANCE:
            failures.append(f"{arch} {label} ({tensor}): relative error {rel:.2e}")
    print(f"{arch}: {len(labels)} recorded values, worst relative error {worst:.2e}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idlab", default=str(ROOT / "target/release/idlab"))
    ap.add_argument("--arch", default=DEFAULT_ARCHS, help="comma-separated zoo names")
    ap.add_argument("--images", type=int, default=2)
    args = ap.parse_args()
    manifest = json.loads(subprocess.run([args.idlab, "zoo", "--json"], check=True, capture_output=True).stdout)
    entries = {m["arch"]: m for m in manifest["models"]}
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        stimuli = work / "stimuli"
        stimuli.mkdir()
        images = sorted((ROOT / "www/data/kriegeskorte92/images").glob("*.png"))[: args.images]
        for img in images:
            (stimuli / img.name).write_bytes(img.read_bytes())
        for arch in args.arch.split(","):
            if arch not in entries:
                sys.exit(f"unknown architecture {arch}; the zoo has {', '.join(entries)}")
            failures += check(args.idlab, entries[arch], stimuli, work)
            for f in work.glob(f"{arch}.*"):
                f.unlink()
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("onnxruntime agrees with tract on every recorded layer")


if __name__ == "__main__":
    main()
