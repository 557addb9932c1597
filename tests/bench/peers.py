"""The peers benchmark's models and its native half (a benchmark, not a test).

Writes, for each architecture, the seeded model as ONNX (`idlab export`) and two variants of it
for onnxruntime: A-final.onnx, whose one output is the last Table 1 layer (the zoo's last
recorded layer, `models/zoo.json`: what idlab computes when it records only that layer), and
A-layers.onnx, whose outputs are every Table 1 layer (what idlab records by default). Then times, on the same
files and the same threads (1 and 2):

- onnxruntime (PyPI, CPU provider): cold = session created + first image; warm = images per
  second over RUNS_IMAGES images after WARM warm-up images, on one fixed input tensor per image
  (onnxruntime is handed tensors: no decoding or preprocessing);
- idlab natively: `idlab --threads T activations --model FILE.onnx --layers ...` on a folder of
  the 92 photographs' first 1 and 1 + IMAGES images, the command's path (decode, preprocess,
  record, write the .npz); images per second from the difference of the two wall times, cold =
  the 1-image command.

Each figure is the median of RUNS runs with min and max. Writes OUT/native.json and
OUT/models/ (which tests/bench/peers.mjs serves to the browser).

    target/py/bin/python tests/bench/peers.py [--archs alexnet,resnet18,vit_b_32,vgg11] [--runs 3] [--models-only]
"""
import argparse
import json
import pathlib
import shutil
import statistics
import subprocess
import time

import numpy as np
import onnx
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
WARM = 3
IMAGES = 10


def multiply_adds(path, upto=()):
    """Multiply-adds of one image through the graph: its convolutions and matrix products (shapes
    from onnx's shape inference), the work a peak GFLOP/s is compared with. With `upto` (tensor
    names), also a dict of each tensor's share: the multiply-adds of the nodes it is computed from
    (what a run recording only that tensor does, tract pruning the rest)."""
    m = onnx.shape_inference.infer_shapes(onnx.load(path))
    shapes = {}
    for vi in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else 1 for d in vi.type.tensor_type.shape.dim]
    for init in m.graph.initializer:
        shapes[init.name] = list(init.dims)
    cost = []
    for n in m.graph.node:
        c = 0
        if n.op_type == "Conv":
            c = int(np.prod(shapes[n.output[0]])) * int(np.prod(shapes[n.input[1]][1:]))
        elif n.op_type in ("Gemm", "MatMul"):
            a = shapes[n.input[0]]
            trans = any(at.name == "transA" and at.i for at in n.attribute)
            c = int(np.prod(shapes[n.output[0]])) * (a[-2] if trans else a[-1])
        cost.append(c)
    total = sum(cost)
    if not upto:
        return total
    producer = {o: i for i, n in enumerate(m.graph.node) for o in n.output}
    shares = {}
    for t in upto:
        seen, todo = set(), [t]
        while todo:
            i = producer.get(todo.pop())
            if i is None or i in seen:
                continue
            seen.add(i)
            todo.extend(m.graph.node[i].input)
        shares[t] = sum(cost[i] for i in seen)
    return total, shares


def models(idlab, archs, out):
    """A.onnx (as exported), A-final.onnx and A-layers.onnx per arch, and layers.json."""
    zoo = {m["arch"]: m for m in json.loads((ROOT / "models/zoo.json").read_text())["models"]}
    layers = {}
    for arch in archs:
        plain = out / f"{arch}.onnx"
        if not plain.exists():
            subprocess.run([idlab, "export", "--arch", arch, "--seed", "0", "-o", plain], check=True)
        tensors = []
        for layer in zoo[arch]["layers"]:
            if layer["tensor"] not in tensors:
                tensors.append(layer["tensor"])
        for variant, outputs in (("final", tensors[-1:]), ("layers", tensors)):
            path = out / f"{arch}-{variant}.onnx"
            if path.exists():
                continue
            m = onnx.load(plain)
            del m.graph.output[:]
            for t in outputs:
                m.graph.output.append(onnx.helper.make_empty_tensor_value_info(t))
            onnx.save(m, path)
        total, shares = multiply_adds(plain, tensors)
        layers[arch] = {
            "final": tensors[-1:],
            "layers": tensors,
            "final_layer": zoo[arch]["layers"][-1]["name"],
            "size": zoo[arch]["input"]["size"],
            "multiply_adds": total,
            # Each Table 1 layer, with the multiply-adds up to it (tests/bench/layers.mjs).
            "per_layer": [{"name": l["name"], "tensor": l["tensor"], "multiply_adds": shares[l["tensor"]]} for l in zoo[arch]["layers"]],
        }
    (out / "layers.json").write_text(json.dumps(layers, indent=1))
    return layers


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def bench_ort(path, threads, size, runs):
    cold, ips = [], []
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((1, 3, size, size), dtype=np.float32) for _ in range(4)]
    for _ in range(runs):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        t = time.perf_counter()
        s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        s.run(None, {"input": inputs[0]})
        cold.append(time.perf_counter() - t)
        for i in range(WARM):
            s.run(None, {"input": inputs[i % 4]})
        t = time.perf_counter()
        for i in range(IMAGES):
            s.run(None, {"input": inputs[i % 4]})
        ips.append(IMAGES / (time.perf_counter() - t))
    return {"cold_s": summary(cold), "images_per_s": summary(ips)}


def bench_idlab(idlab, path, tensors, threads, dirs, work, runs):
    cold, ips = [], []
    for _ in range(runs):
        walls = []
        for d in dirs:
            t = time.perf_counter()
            subprocess.run(
                [idlab, "--threads", str(threads), "activations", "--model", path, "--layers", ",".join(tensors),
                 "--stimuli", d, "-o", work / "x.npz"],
                check=True, stderr=subprocess.DEVNULL,
            )
            walls.append(time.perf_counter() - t)
        cold.append(walls[0])
        ips.append(IMAGES / (walls[1] - walls[0]))
    return {"cold_s": summary(cold), "images_per_s": summary(ips)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idlab", default=str(ROOT / "target/release/idlab"))
    ap.add_argument("--archs", default="alexnet,resnet18,vit_b_32,vgg11")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "tests/out/bench/peers"))
    ap.add_argument("--models-only", action="store_true", help="write the models and layers.json, time nothing")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    (out / "models").mkdir(parents=True, exist_ok=True)
    archs = a.archs.split(",")
    layers = models(a.idlab, archs, out / "models")
    if a.models_only:
        return
    photos = sorted((ROOT / "www/data/kriegeskorte92/images").glob("*.png"))
    dirs = []
    for n in (1, 1 + IMAGES):
        d = out / f"stimuli-{n}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        for p in photos[:n]:
            shutil.copy(p, d / p.name)
        dirs.append(d)
    rows = []
    for arch in archs:
        for variant in ("final", "layers"):
            tensors = layers[arch][variant]
            path = out / "models" / f"{arch}-{variant}.onnx"
            for threads in (1, 2):
                row = {"arch": arch, "variant": variant, "threads": threads}
                row["onnxruntime"] = bench_ort(path, threads, layers[arch]["size"], a.runs)
                row["idlab"] = bench_idlab(a.idlab, out / "models" / f"{arch}.onnx", tensors, threads, dirs, out, a.runs)
                rows.append(row)
                print(f"native {arch} {variant} {threads} thread(s): idlab {row['idlab']['images_per_s']['median']:.2f} img/s, "
                      f"onnxruntime {row['onnxruntime']['images_per_s']['median']:.2f} img/s", flush=True)
    doc = {"onnxruntime": ort.__version__, "warm_images": WARM, "timed_images": IMAGES, "runs": a.runs, "rows": rows}
    (out / "native.json").write_text(json.dumps(doc, indent=1))
    f = lambda s: f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"
    print(f"\nonnxruntime {ort.__version__}; {a.runs} runs each, median (min–max); {WARM} warm-up images, then {IMAGES} timed.\n")
    print("| model | recorded | threads | idlab, images/s | onnxruntime, images/s | idlab / ort | idlab cold (s) | ort cold (s) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        what = f"last layer ({layers[r['arch']]['final_layer']})" if r["variant"] == "final" else f"every Table 1 layer ({len(layers[r['arch']]['layers'])})"
        ratio = r["idlab"]["images_per_s"]["median"] / r["onnxruntime"]["images_per_s"]["median"]
        print(f"| {r['arch']} | {what} | {r['threads']} | {f(r['idlab']['images_per_s'])} | {f(r['onnxruntime']['images_per_s'])} | "
              f"{ratio:.2f} | {f(r['idlab']['cold_s'])} | {f(r['onnxruntime']['cold_s'])} |")


if __name__ == "__main__":
    main()
