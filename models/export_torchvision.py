"""Exports TRAINED torchvision (timm for the Mixer) weights of a zoo architecture as an ONNX
file that idlab takes in place of the seeded model: the recorded layers are graph outputs
named exactly as the zoo names them (`features.0`, `layer1.0`, `encoder.layers.encoder_layer_3`,
`blocks.5.token_mixing`, ... plus `NAME:pre` for the value before the nonlinearity), and the
preprocessing is in the file's idlab.* metadata.

Needs PyTorch, torchvision (timm for mixer_b16_224), onnx, and internet access for the weights
(none of which idlab itself needs):

    pip install torch torchvision onnx timm
    python models/export_torchvision.py --arch resnet18 -o resnet18-imagenet.onnx
    python models/export_torchvision.py --list          # what each architecture records

Then use it as a side of an experiment: {"onnx": "resnet18-imagenet.onnx", "layers": [...]} with
the zoo's layer names (see `idlab zoo`), or choose "Your model (ONNX)" in the page.

How a layer is read, as idlab's zoo defines it (models/zoo.json "recorded"): a forward hook on
the module with that name; torchvision's ReLUs are in place, so a reference kept by the hook
holds the value after the ReLU once the forward pass is done, and a clone taken in the hook is
the value before it (`:pre`). The Mixer's `blocks.i.token_mixing` is the input of
`blocks.i.norm2` (a forward pre-hook). This script is not run by the test suite (no PyTorch
here); it only uses public torchvision / timm / torch.onnx API.
"""
import argparse
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
ZOO = json.loads((HERE / "zoo.json").read_text())
PRE = ":pre"


def entry(arch):
    for m in ZOO["models"]:
        if m["arch"] == arch:
            return m
    names = ", ".join(m["arch"] for m in ZOO["models"])
    sys.exit(f"unknown architecture {arch!r}; the zoo has: {names}")


def list_layers():
    for m in ZOO["models"]:
        names = [l["name"] + (f" (+{PRE})" if l["pre"] else "") for l in m["layers"]]
        print(f"{m['arch']} ({m['source']}, {m['parameters']:,} parameters): {', '.join(names)}")


def load_trained(arch, weights):
    if arch == "mixer_b16_224":
        import timm  # noqa: PLC0415 (only this architecture needs timm)

        return timm.create_model("mixer_b16_224", pretrained=True)
    import torchvision  # noqa: PLC0415

    # "none": torchvision's own random initialisation (no download; what the self-check uses).
    return torchvision.models.get_model(arch, weights=None if weights.lower() == "none" else weights)


class Recorded:
    """Hooks that keep each recorded layer's value as idlab's zoo defines it (models/zoo.json:
    `tensor` and `pre_tensor` name the torchvision module whose output it is).

    - value: the output of module `tensor`, kept by reference, so an in-place ReLU applied
      afterwards (torchvision's) is in it; where `tensor` is not a module (DenseNet's final
      functional in-place ReLU) the layer's own module output, by reference;
    - `:pre`: a clone of module `pre_tensor`'s output (taken before any in-place ReLU), or for a
      residual block (`<block>.add`, the sum before the block's last ReLU) the input of the
      block's `relu` at its last call;
    - the Mixer's `blocks.i.token_mixing`: the input of `blocks.i.norm2` (a forward pre-hook).
    """

    def __init__(self, model, layers):
        self.values = {}
        self.modules = dict(model.named_modules())
        for layer in layers:
            name = layer["name"]
            if name.endswith(".token_mixing"):
                block = self.module(name[: -len(".token_mixing")])
                block.norm2.register_forward_pre_hook(self._input(name))
                continue
            tensor = layer.get("tensor") or name
            self.module(tensor if tensor in self.modules else name).register_forward_hook(self._output(name, clone=False))
            if not layer["pre"]:
                continue
            pre = layer.get("pre_tensor") or name
            if pre.endswith(".add"):
                self.module(pre[: -len(".add")] + ".relu").register_forward_pre_hook(self._input(name + PRE, clone=True))
            else:
                self.module(pre).register_forward_hook(self._output(name + PRE, clone=True))

    def module(self, name):
        if name not in self.modules:
            sys.exit(f"{name} is not a module of this model; its modules include {list(self.modules)[:8]}...")
        return self.modules[name]

    def _output(self, key, clone):
        def hook(_module, _inputs, output):
            self.values[key] = output.clone() if clone else output

        return hook

    def _input(self, key, clone=False):
        def hook(_module, inputs):
            # a module called more than once (a block's shared ReLU) keeps its last call
            self.values[key] = inputs[0].clone() if clone else inputs[0]

        return hook


def export(arch, weights, out, opset, model=None):
    """Writes `model` (default: the trained torchvision/timm model) as ONNX with the layers as outputs."""
    import torch  # noqa: PLC0415

    m = entry(arch)
    model = (model if model is not None else load_trained(arch, weights)).eval()
    recorded = Recorded(model, m["layers"])
    names = []
    for layer in m["layers"]:
        names.append(layer["name"])
        if layer["pre"]:
            names.append(layer["name"] + PRE)

    class WithLayers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            logits = self.model(x)
            return (logits, *[recorded.values[n] for n in names])

    size = m["input"]["size"]
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(
        WithLayers().eval(),
        (dummy,),
        out,
        input_names=["input"],
        output_names=["logits", *names],
        opset_version=opset,
        dynamo=False,
    )
    import onnx  # noqa: PLC0415

    proto = onnx.load(out)
    meta = {
        "idlab.input_size": json.dumps(size),
        "idlab.mean": json.dumps([round(v, 6) for v in m["input"]["mean"]]),
        "idlab.std": json.dumps([round(v, 6) for v in m["input"]["std"]]),
        "idlab.channels": "rgb",
        "idlab.arch": arch,
        "idlab.weights": f"{m['source']} {weights}",
    }
    for k, v in meta.items():
        p = proto.metadata_props.add()
        p.key, p.value = k, v
    onnx.save(proto, out)
    print(f"wrote {out}: {arch} with trained weights ({weights}), {len(names)} recorded outputs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", help="zoo architecture (see --list)")
    ap.add_argument("--weights", default="DEFAULT",
                    help="torchvision weights enum name, or none for torchvision's random init [DEFAULT]")
    ap.add_argument("-o", "--out", help="output .onnx file")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--list", action="store_true", help="print each architecture's recorded layers and exit")
    a = ap.parse_args()
    if a.list:
        list_layers()
        return
    if not a.arch or not a.out:
        ap.error("--arch and -o are required (or --list)")
    entry(a.arch)
    export(a.arch, a.weights, a.out, a.opset)


if __name__ == "__main__":
    main()
