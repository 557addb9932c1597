"""Writes the fuzz targets' seed corpora, `crate/fuzz/corpus/<target>/`, from
the repository's small test fixtures and shipped data, plus a few tiny files
made here (ONNX graphs, images in every decoded format, zips, a TFLite-less
`.mat`): each a valid or nearly valid input, which libFuzzer then mutates.

    python3 crate/fuzz/seed.py        # from the repository root

Stdlib only, except the tiny ONNX graphs, which need the `onnx` package
(`models/requirements.txt`, in `target/py` once `./build.sh test` ran); without
it the ONNX seeds already committed are kept. Existing corpus files (what
`./build.sh fuzz` found and `cargo fuzz cmin` kept) are left in place.
"""

import hashlib
import io
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "crate", "fuzz", "corpus")


def put(target, data, name=None):
    """Adds `data` to a target's corpus under its sha1 (libFuzzer's naming)."""
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def copy(target, *paths):
    for p in paths:
        with open(os.path.join(ROOT, p), "rb") as f:
            put(target, f.read())


def png(w, h, color_type=2, depth=8):
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = bytes(range(w * channels * depth // 8))
    raw = b"".join(b"\x00" + row for _ in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def bmp(w, h):
    row = bytes((x * 40) % 256 for x in range(w * 3))
    row += b"\x00" * ((4 - len(row) % 4) % 4)
    pixels = row * h
    header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def gif(w, h):
    # A 2-colour image, one LZW code stream of clear codes and a stop code.
    head = b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, w, h, 0)
    data = bytes([2, 2, 0x4C, 0x01, 0x00])
    return head + image + data + b"\x3b"


def zip_of(entries, deflate=True):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def onnx_seeds():
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError:
        print("seed.py: no onnx package; ONNX seeds left as they are", file=sys.stderr)
        return
    import random

    rng = random.Random(0)

    def weights(name, shape):
        n = 1
        for s in shape:
            n *= s
        return helper.make_tensor(name, TensorProto.FLOAT, shape, [rng.uniform(-1, 1) for _ in range(n)])

    def model(nodes, inits, out_shape, meta=True, side=8, op_set=13):
        g = helper.make_graph(
            nodes,
            "tiny",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, side, side])],
            [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, out_shape)],
            inits,
        )
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", op_set)], producer_name="idlab-fuzz-seed")
        if meta:
            helper.set_model_props(m, {"idlab.input_size": str(side), "idlab.mean": "[0.5,0.5,0.5]", "idlab.std": "[0.25,0.25,0.25]"})
        return m.SerializeToString()

    conv = helper.make_node("Conv", ["input", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    relu = helper.make_node("Relu", ["c"], ["r"], name="relu")
    pool = helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool")
    flat = helper.make_node("Flatten", ["p"], ["f"], name="flat")
    gemm = helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["logits"], name="fc", transB=1)
    inits = [weights("w", [4, 3, 3, 3]), weights("fc_w", [5, 4]), weights("fc_b", [5])]
    put("onnx", model([conv, relu, pool, flat, gemm], inits, ["N", 5]))
    put("onnx", model([conv, relu, pool, flat, gemm], inits, ["N", 5], meta=False))
    add = helper.make_node("Add", ["r", "c"], ["a"], name="add")
    put("onnx", model([conv, relu, add], [inits[0]], ["N", 4, 8, 8], side=8))
    odd = helper.make_node("NotAnOp", ["input"], ["o"], name="odd")
    put("onnx", model([odd], [], ["N", 3, 8, 8]))


def main():
    fx = "tests/fixtures"
    data = f"{fx}/data"
    onnx_seeds()

    weights = [f"{fx}/weights/{n}" for n in sorted(os.listdir(os.path.join(ROOT, fx, "weights"))) if n.endswith((".pth", ".safetensors"))]
    copy("weights", *weights)

    copy("tflite", f"{fx}/tflite/unsupported_op.tflite")

    names = sorted(os.listdir(os.path.join(ROOT, data)))
    copy("npy", *[f"{data}/{n}" for n in names if n.endswith(".npy")])
    copy("npz", *[f"{data}/{n}" for n in names if n.endswith(".npz")])
    copy("csv", *[f"{data}/{n}" for n in names if n.endswith(".csv")])
    copy("mat", *[f"{data}/{n}" for n in names if n.endswith(".mat")])

    copy("image", "www/data/cowley-v4/images/image0660.jpg")
    put("image", png(3, 2))
    put("image", png(2, 3, color_type=6))
    put("image", png(2, 2, color_type=0, depth=16))
    put("image", bmp(3, 2))
    put("image", gif(2, 2))

    copy("archive", f"{data}/images.zip", f"{data}/no_images.zip")
    put("archive", zip_of([("set/b10.png", png(2, 2)), ("set/b2.bmp", bmp(2, 2)), ("__MACOSX/._b2.png", b"x")]))
    put("archive", zip_of([("a.gif", gif(2, 2)), ("notes.txt", b"hello")], deflate=False))

    presets = sorted(n for n in os.listdir(os.path.join(ROOT, "www/presets")) if n.endswith(".json") and n != "index.json")
    copy("spec", *[f"www/presets/{n}" for n in presets], f"{fx}/session-alexnet-6.spec.json")
    for a in ("identifiability", "rsa-noise-ceiling"):
        copy("spec", f"www/assignments/{a}/specs/run-1.json")
    # A version 1 spec, upgraded on the way in.
    put("spec", json.dumps({"idlab": 1, "source": {"arch": "alexnet", "seed": 0}, "target": {"arch": "alexnet", "seed": 1},
                            "metric": "cka", "stimuli": {"set": "kriegeskorte92", "limit": 4}}).encode())

    for a in ("identifiability", "rsa-noise-ceiling"):
        src = os.path.join(ROOT, "dist", "assignments", f"{a}.idlab.zip")
        if os.path.exists(src):
            copy("assignment", os.path.relpath(src, ROOT))
        else:
            print(f"seed.py: {src} missing (./build.sh site packs it); assignment seed kept as is", file=sys.stderr)


if __name__ == "__main__":
    main()
