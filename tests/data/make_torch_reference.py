"""Generate tests/data/torch_reference.npz: convolution results from PyTorch (CPU).

PyTorch is an independent implementation used once to produce reference vectors; it
is not a dependency of linop. Run from the repository root (needs torch installed):

    python tests/data/make_torch_reference.py

For each case it stores the kernel, an input x, an output-space vector g and

* ``y  = conv(pad(x))``                       (torch.nn.functional.pad + convNd)
* ``xg = d<conv(pad(x)), g>/dx``  = A^H g     (autograd: the input gradient)
* ``kg = d<conv(pad(x)), g>/dk``              (autograd: the kernel gradient)
* ``xt = conv_transposeNd(g)`` for zero padding (PyTorch's transposed convolution)

in float64. Layout converted to linop's channels-last convention.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # the repository root, for ``tests``
from tests.support.brute_force import resolve_pads  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent

TORCH_MODE = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}

#: (name, input_shape, kernel_shape, keywords) with linop's channels-last layout.
CASES = [
    ("lecture", (7,), (3,), dict(stride=2)),
    ("1d_channels_same_reflect", (20, 3), (5, 3, 4), dict(padding="same", boundary="reflect")),
    ("1d_dilated_strided_wrap", (23, 2), (3, 2, 2), dict(stride=3, dilation=2, padding=[(3, 1)], boundary="wrap")),
    ("2d_single_valid", (9, 11), (3, 4), dict()),
    ("2d_stride2_pad1", (16, 16, 4), (3, 3, 4, 8), dict(stride=2, padding=1)),
    ("2d_same_stride2_edge", (15, 13, 3), (3, 3, 3, 5), dict(stride=2, padding="same", boundary="edge")),
    ("2d_groups_dilation", (12, 10, 4), (3, 2, 2, 6), dict(groups=2, dilation=(2, 1), padding=[(2, 1), (0, 2)])),
    ("2d_depthwise_reflect", (10, 10, 3), (3, 3, 1, 3), dict(groups=3, padding=1, boundary="reflect")),
    ("2d_flip_full", (7, 6, 2), (3, 2, 2, 3), dict(flip=True, padding="full")),
    ("2d_circular_stride3", (14, 9, 2), (4, 3, 2, 2), dict(stride=(3, 2), padding=2, boundary="circular")),
    ("3d_channels_same", (6, 7, 5, 2), (3, 3, 2, 2, 3), dict(padding="same", stride=(1, 2, 1))),
    ("3d_replicate_dilated", (8, 6, 6, 1), (2, 2, 3, 1, 2), dict(dilation=(3, 1, 2), padding=1, boundary="replicate")),
]


def _canonical(boundary: str) -> str:
    return {"zeros": "constant", "circular": "wrap", "replicate": "edge"}.get(boundary, boundary)


def _torch_case(x, kernel, kw):
    single = kernel.ndim == x.ndim
    if single:
        x, kernel = x[..., None], kernel[..., None, None]
    d = x.ndim - 1
    stride = kw.get("stride", 1)
    dilation = kw.get("dilation", 1)
    stride = (stride,) * d if isinstance(stride, int) else tuple(stride)
    dilation = (dilation,) * d if isinstance(dilation, int) else tuple(dilation)
    groups = kw.get("groups", 1)
    pads = resolve_pads(kw.get("padding", "valid"), x.shape[:d], kernel.shape[:d], stride, dilation)
    mode = TORCH_MODE[_canonical(kw.get("boundary", "constant"))]
    # channels last -> (N, C, spatial...); kernel (k..., cin/g, cout) -> (cout, cin/g, k...)
    xt = torch.tensor(np.moveaxis(x, -1, 0)[None], requires_grad=True)
    kt = torch.tensor(np.moveaxis(np.moveaxis(kernel, -1, 0), -1, 1).copy(), requires_grad=True)
    weight = torch.flip(kt, dims=list(range(2, 2 + d))) if kw.get("flip") else kt
    flat_pads = [p for pair in reversed(pads) for p in pair]
    xp = F.pad(xt, flat_pads, mode=mode) if any(flat_pads) else xt
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[d]
    y = conv(xp, weight, stride=stride, dilation=dilation, groups=groups)
    g = torch.tensor(np.random.default_rng(7).standard_normal(tuple(y.shape)))
    (y * g).sum().backward()
    out = {
        "y": np.moveaxis(y.detach().numpy()[0], 0, -1),
        "g": np.moveaxis(g.numpy()[0], 0, -1),
        "xg": np.moveaxis(xt.grad.numpy()[0], 0, -1),
        "kg": np.moveaxis(np.moveaxis(kt.grad.numpy(), 1, -1), 0, -1),
    }
    if mode == "constant":
        # PyTorch's transposed convolution needs output_padding to reach the input size exactly.
        convt = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[d]
        lo = [p[0] for p in pads]
        target = x.shape[:d]
        base = convt(g, weight.detach(), stride=stride, dilation=dilation, groups=groups)
        # conv_transpose with padding=0 gives the padded grid (minus unread high samples); crop/extend
        full = base[0].numpy()
        res = np.zeros((full.shape[0],) + tuple(t + p0 + p1 for t, (p0, p1) in zip(target, pads)))
        res[(slice(None),) + tuple(slice(0, s) for s in full.shape[1:])] = full
        crop = res[(slice(None),) + tuple(slice(low, low + t) for low, t in zip(lo, target))]
        out["xt"] = np.moveaxis(crop, 0, -1)
    if single:
        out = {k: (v[..., 0, 0] if k == "kg" else v[..., 0]) for k, v in out.items()}
    return out


def main() -> None:
    rng = np.random.default_rng(2026)
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for name, ishape, kshape, kw in CASES:
        x = rng.standard_normal(ishape)
        kernel = rng.standard_normal(kshape)
        if name == "lecture":
            x = np.array([1, 0, -2, 3, 1, 2, -1.0])
            kernel = np.array([0.5, 1, 0.5])
        res = _torch_case(x, kernel, kw)
        arrays[f"{name}/x"] = x
        arrays[f"{name}/kernel"] = kernel
        for key, value in res.items():
            arrays[f"{name}/{key}"] = value
        meta.append({"name": name, "keywords": kw})
    arrays["cases"] = np.array(json.dumps(meta))
    arrays["torch_version"] = np.array(torch.__version__)
    np.savez_compressed(HERE / "torch_reference.npz", **arrays)
    print(f"wrote {len(CASES)} cases with torch {torch.__version__}")


if __name__ == "__main__":
    main()
