"""Generate tests/data/torch_opinfo_conv_samples.json.

The configurations of PyTorch's own OpInfo samples for its convolutions.

PyTorch tests each operator on the sample inputs of its OpInfo
(``torch.testing._internal.common_methods_invocations.op_db``). This script records,
for ``nn.functional.conv1d/2d/3d`` and ``nn.functional.conv_transpose1d/2d/3d`` in
complex128 and float64, the configuration of every sample: the input and weight shapes,
whether it has a bias, and the keyword arguments (stride, padding, output_padding,
dilation, groups). ``tests/interop/test_torch_opinfo.py`` rebuilds each sample from its
configuration (random values, fixed seed), converts it to a linop operator where linop
can express it, and compares with ``torch.nn.functional`` at test time.

The parameters are stored as data because importing ``op_db`` needs PyTorch's testing
internals and their extra dependency (``expecttest``) and takes several seconds; the
test needs neither. Regenerate after a PyTorch upgrade, from the repository root:

    pip install expecttest
    python tests/data/make_torch_opinfo_samples.py
"""

from __future__ import annotations

import json
import pathlib

import torch
from torch.testing._internal.common_methods_invocations import op_db

HERE = pathlib.Path(__file__).resolve().parent
OUTPUT = HERE / "torch_opinfo_conv_samples.json"
OPERATORS = tuple(f"nn.functional.{kind}{d}d" for kind in ("conv", "conv_transpose") for d in (1, 2, 3))
DTYPES = (torch.complex128, torch.float64)


def plain(value):
    """A keyword value as JSON: tuples as lists, ints and strings as they are."""
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"unexpected keyword value {value!r}")


def configuration(name: str, dtype: torch.dtype, sample) -> dict:
    weight, *rest = sample.args
    bias = rest[0] if rest else sample.kwargs.get("bias")
    keywords = {key: plain(value) for key, value in sample.kwargs.items() if key != "bias"}
    return {
        "operator": name.rpartition(".")[2],
        "dtype": str(dtype).rpartition(".")[2],
        "input_shape": list(sample.input.shape),
        "weight_shape": list(weight.shape),
        "bias": bias is not None,
        "keywords": keywords,
    }


def main() -> None:
    samples = []
    for op in op_db:
        if op.name not in OPERATORS:
            continue
        for dtype in DTYPES:
            samples += [configuration(op.name, dtype, sample) for sample in op.sample_inputs("cpu", dtype)]
    missing = set(n.rpartition(".")[2] for n in OPERATORS) - {s["operator"] for s in samples}
    if missing:
        raise SystemExit(f"op_db has no samples for {sorted(missing)}")
    rows = ",\n".join(json.dumps(sample) for sample in samples)  # one sample per line
    OUTPUT.write_text(f'{{"torch_version": {json.dumps(torch.__version__)},\n "samples": [\n{rows}\n]}}\n')
    print(f"wrote {len(samples)} samples to {OUTPUT.name} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
