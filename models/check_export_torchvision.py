"""Self-check of export_torchvision.py for people with PyTorch (not run by the test suite,
which has no PyTorch). For each architecture it loads idlab's SEEDED zoo weights (from
`idlab export`) into the torchvision model, then checks two things on the images idlab
preprocessed (`idlab activations --save-input`):

1. the export script's hooks record what the zoo records: PyTorch's values for every layer and
   `:pre` equal idlab's zoo model (tract) on the same weights;
2. the exported ONNX file drops in: idlab (tract) reading it by the zoo's layer names gives the
   same numbers as the zoo model.

    python models/check_export_torchvision.py --idlab target/release/idlab --arch resnet18 vgg13_bn

Exit status 0 when every layer agrees to relative 1e-4.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))
import export_torchvision as ex  # noqa: E402


def zoo_weights_into(model, onnx_file):
    import onnx  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from onnx import numpy_helper  # noqa: PLC0415

    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(onnx_file)).graph.initializer}
    state = model.state_dict()
    missing = [k for k in state if k not in inits and not k.endswith("num_batches_tracked")]
    if missing:
        sys.exit(f"the zoo export lacks {len(missing)} torchvision parameters, e.g. {missing[:3]}")
    model.load_state_dict({k: torch.from_numpy(np.array(inits[k])).reshape(v.shape) if k in inits else v
                           for k, v in state.items()})


def worst(a, b):
    return float(np.abs(a - b).max() / max(1e-6, np.abs(b).max()))


def check(idlab, arch, images, tmp):
    import torch  # noqa: PLC0415

    m = ex.entry(arch)
    names = [l["name"] for l in m["layers"]] + [l["name"] + ex.PRE for l in m["layers"] if l["pre"]]
    run = lambda *a: subprocess.run([idlab, *a], check=True, capture_output=True)  # noqa: E731
    zoo_onnx, zoo_npz, user_npz = tmp / f"{arch}-zoo.onnx", tmp / f"{arch}-zoo.npz", tmp / f"{arch}-user.npz"
    run("export", "--arch", arch, "--seed", "0", "-o", str(zoo_onnx))
    run("activations", "--model", f"{arch}:0", "--stimuli", str(images), "--layers", ",".join(names),
        "--save-input", "-o", str(zoo_npz))
    zoo = np.load(zoo_npz)
    model = ex.load_trained(arch, "none").eval()
    zoo_weights_into(model, zoo_onnx)
    rec = ex.Recorded(model, m["layers"])
    x = torch.from_numpy(zoo["input"].astype(np.float32))
    errors = {n: 0.0 for n in names}
    for i in range(x.shape[0]):
        with torch.no_grad():
            model(x[i : i + 1])
        for n in names:
            errors[n] = max(errors[n], worst(rec.values[n].detach().numpy().reshape(-1), zoo[n][i]))
    bad = {n: e for n, e in errors.items() if e > 1e-4}
    if bad:
        print(f"{arch}: PyTorch hooks differ from the zoo: {bad}")
        return False
    user_onnx = tmp / f"{arch}-user.onnx"
    ex.export(arch, "zoo seed 0", str(user_onnx), 17, model=model)
    run("activations", "--model", str(user_onnx), "--stimuli", str(images), "--layers", ",".join(names), "-o", str(user_npz))
    user = np.load(user_npz)
    drop_in = max(worst(user[n], zoo[n]) for n in names)
    if drop_in > 1e-4:
        print(f"{arch}: the exported file differs from the zoo model (relative {drop_in:.1e})")
        return False
    print(f"{arch}: {len(names)} layers x {x.shape[0]} images: hooks = zoo (worst {max(errors.values()):.1e}), "
          f"export = zoo (worst {drop_in:.1e})")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--idlab", required=True)
    ap.add_argument("--arch", nargs="+", default=["alexnet", "vgg13_bn", "resnet18", "resnet50", "squeezenet1_0",
                                                  "densenet121", "mobilenet_v2", "vit_b_32"])
    ap.add_argument("--images", default=str(HERE.parent / "www/data/kriegeskorte92/images"))
    ap.add_argument("--limit", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        images = tmp / "images"
        images.mkdir()
        for p in sorted(pathlib.Path(a.images).glob("*.png"))[: a.limit]:
            (images / p.name).write_bytes(p.read_bytes())
        ok = [check(a.idlab, arch, images, tmp) for arch in a.arch]
    sys.exit(0 if all(ok) else 1)


if __name__ == "__main__":
    main()
