"""The convolution layers of real networks: linop against PyTorch (oneDNN), side by side in one run.

Every distinct convolution shape of ResNet-50, MobileNetV2 (its depthwise and pointwise
layers), a 2-D U-Net and a 3-D U-Net, at batch 1 and 8: the forward map, the adjoint (the
input gradient) and the kernel gradient, in float32, plus a float64 subset. Each library
runs in its natural layout (linop channels last, PyTorch channels first) and the results
are compared before anything is timed. Timings are interleaved (linop, then torch, for
every round), the median of the rounds after a warm-up is reported, with GFLOP/s
(``2 x multiply-adds / time``) beside the machine's peak estimated from its vector width,
its FMA units and its clock, so every figure has a ceiling beside it. Summary: the
geometric mean of torch's time over linop's per direction, the worst layer, and the
adjoint/forward ratio of linop.

Usage::

    python benchmarks/layer_sweep.py                 # every layer, batch 1 and 8
    python benchmarks/layer_sweep.py --quick         # a few small layers, one round: a smoke run
    python benchmarks/layer_sweep.py --nets resnet50 --batches 8
    python benchmarks/layer_sweep.py --json out.json

Columns ``linop`` are linop's own kernels; ``linop+torch`` lets linop's planner use
PyTorch's convolutions where they win (shown when linop offers that backend).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import linop  # noqa: E402


# -- the layers -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Layer:
    """One convolution layer: spatial size, channels, kernel, stride, padding, groups."""

    net: str
    name: str
    spatial: tuple[int, ...]
    c_in: int
    c_out: int
    kernel: int
    stride: int = 1
    groups: int = 1

    @property
    def ndim(self) -> int:
        return len(self.spatial)

    @property
    def padding(self) -> int:
        return self.kernel // 2

    def output_spatial(self) -> tuple[int, ...]:
        return tuple((n + 2 * self.padding - self.kernel) // self.stride + 1 for n in self.spatial)

    def macs(self, batch: int) -> int:
        """Multiply-adds of one forward application on ``batch`` samples."""
        per_out = self.kernel**self.ndim * (self.c_in // self.groups) * self.c_out
        return batch * math.prod(self.output_spatial()) * per_out

    @property
    def label(self) -> str:
        size = "x".join(map(str, self.spatial))
        extra = f" s{self.stride}" if self.stride > 1 else ""
        extra += f" g{self.groups}" if self.groups > 1 else ""
        k = "x".join([str(self.kernel)] * self.ndim)
        return f"{self.net} {k} {self.c_in}->{self.c_out} {size}{extra}"


def resnet50() -> list[Layer]:
    """The distinct convolutions of ResNet-50 (torchvision, 224x224 input; stride on the 3x3)."""
    out = [Layer("resnet50", "stem", (224, 224), 3, 64, 7, 2)]
    stages = [(56, 64, 256, 1), (56, 128, 512, 2), (28, 256, 1024, 2), (14, 512, 2048, 2)]
    c_prev = 64
    for size, mid, wide, stride in stages:
        inner = size // stride
        out += [
            Layer("resnet50", "reduce", (size, size), c_prev, mid, 1),
            Layer("resnet50", "3x3", (size, size), mid, mid, 3, stride),
            Layer("resnet50", "expand", (inner, inner), mid, wide, 1),
            Layer("resnet50", "downsample", (size, size), c_prev, wide, 1, stride),
            Layer("resnet50", "reduce", (inner, inner), wide, mid, 1),
            Layer("resnet50", "3x3", (inner, inner), mid, mid, 3),
        ]
        c_prev = wide
    return _distinct(out)


def mobilenet_v2() -> list[Layer]:
    """MobileNetV2 (224x224): the stem, every depthwise 3x3 and every pointwise 1x1 shape."""
    out = [Layer("mobilenetv2", "stem", (224, 224), 3, 32, 3, 2)]
    settings = [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ]
    c, size = 32, 112
    for t, c_out, repeats, stride in settings:
        for r in range(repeats):
            s = stride if r == 0 else 1
            hidden = c * t
            if t != 1:
                out.append(Layer("mobilenetv2", "expand", (size, size), c, hidden, 1))
            out.append(Layer("mobilenetv2", "depthwise", (size, size), hidden, hidden, 3, s, groups=hidden))
            size //= s
            out.append(Layer("mobilenetv2", "project", (size, size), hidden, c_out, 1))
            c = c_out
    out.append(Layer("mobilenetv2", "head", (7, 7), 320, 1280, 1))
    return _distinct(out)


def unet2d() -> list[Layer]:
    """A 2-D U-Net on 256x256 (32, 64, 128, 256, 512 channels): two 3x3 per level, both paths."""
    out = []
    widths = [32, 64, 128, 256, 512]
    c, size = 1, 256
    for w in widths:
        out += [Layer("unet2d", "down", (size, size), c, w, 3), Layer("unet2d", "down", (size, size), w, w, 3)]
        c, size = w, size // 2
    size = 256 // 2 ** (len(widths) - 1)
    for w in reversed(widths[:-1]):
        size *= 2
        out += [Layer("unet2d", "up", (size, size), 2 * w, w, 3), Layer("unet2d", "up", (size, size), w, w, 3)]
    return _distinct(out)


def unet3d() -> list[Layer]:
    """A 3-D U-Net on 64^3 (16, 32, 64, 128 channels): two 3x3x3 per level, both paths."""
    out = []
    widths = [16, 32, 64, 128]
    c, size = 1, 64
    for w in widths:
        shape = (size,) * 3
        out += [Layer("unet3d", "down", shape, c, w, 3), Layer("unet3d", "down", shape, w, w, 3)]
        c, size = w, size // 2
    size = 64 // 2 ** (len(widths) - 1)
    for w in reversed(widths[:-1]):
        size *= 2
        shape = (size,) * 3
        out += [Layer("unet3d", "up", shape, 2 * w, w, 3), Layer("unet3d", "up", shape, w, w, 3)]
    return _distinct(out)


def _distinct(layers: list[Layer]) -> list[Layer]:
    seen, out = set(), []
    for layer in layers:
        key = (layer.spatial, layer.c_in, layer.c_out, layer.kernel, layer.stride, layer.groups)
        if key not in seen:
            seen.add(key)
            out.append(layer)
    return out


NETS: dict[str, Callable[[], list[Layer]]] = {
    "resnet50": resnet50,
    "mobilenetv2": mobilenet_v2,
    "unet2d": unet2d,
    "unet3d": unet3d,
}


def quick_layers() -> list[Layer]:
    return [
        Layer("quick", "3x3", (16, 16), 8, 16, 3),
        Layer("quick", "1x1", (16, 16), 16, 32, 1),
        Layer("quick", "depthwise", (16, 16), 16, 16, 3, 2, groups=16),
        Layer("quick", "3-D", (8, 8, 8), 4, 8, 3),
    ]


# -- the machine ----------------------------------------------------------------------------
def machine() -> dict:
    """CPU model, cores, clock, vector width, FMA units and the peak estimate they give.

    peak (float32) = cores x clock x FMA units x lanes per FMA x 2 flops; the FMA units and
    their width are the vendor's documented figures for the CPU family (AMD Zen 4 runs
    AVX-512 on two 256-bit FMA units, Intel's AVX-512 server cores have two 512-bit ones);
    float64 has half the lanes.
    """
    info = {"platform": platform.platform(), "python": platform.python_version(), "cores": os.cpu_count() or 1}
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.*)", text)
    flags = set((re.search(r"flags\s*:\s*(.*)", text) or re.search(r"()", "")).group(1).split())
    vendor = re.search(r"vendor_id\s*:\s*(.*)", text)
    family = re.search(r"cpu family\s*:\s*(\d+)", text)
    mhz = [float(v) for v in re.findall(r"cpu MHz\s*:\s*([\d.]+)", text)]
    info["cpu"] = model.group(1).strip() if model else platform.processor()
    info["clock_ghz"] = round(max(mhz) / 1000, 2) if mhz else None
    vector = 512 if "avx512f" in flags else 256 if "avx2" in flags else 128
    amd = vendor is not None and "AMD" in vendor.group(1)
    fma_width = min(vector, 256) if amd else vector  # AMD's cores split AVX-512 over 256-bit units
    units = 2 if ("fma" in flags) else 1
    info.update(
        vector_bits=vector, fma_units=units, fma_bits=fma_width, family=int(family.group(1)) if family else None
    )
    if info["clock_ghz"]:
        lanes32 = fma_width // 32
        info["peak_gflops_f32"] = round(info["cores"] * info["clock_ghz"] * units * lanes32 * 2, 1)
        info["peak_gflops_f64"] = round(info["peak_gflops_f32"] / 2, 1)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    info["load_average"] = [round(v, 2) for v in load]
    return info


# -- the two libraries ----------------------------------------------------------------------
def _torch():
    import torch

    return torch


def torch_functions(layer: Layer, w: np.ndarray, dtype: np.dtype):
    """forward, input gradient and kernel gradient with torch's own functions (channels first)."""
    torch = _torch()
    conv = getattr(torch.nn.functional, f"conv{layer.ndim}d")
    weight = torch.from_numpy(np.ascontiguousarray(np.moveaxis(np.moveaxis(w, -1, 0), -1, 1)))
    stride, padding, groups = layer.stride, layer.padding, layer.groups
    backward = torch.ops.aten.convolution_backward

    def forward(x):
        with torch.no_grad():
            return conv(x, weight, stride=stride, padding=padding, groups=groups)

    def input_gradient(y, input_shape):
        with torch.no_grad():
            return backward(
                y,
                torch.empty(input_shape, dtype=y.dtype),
                weight,
                None,
                [stride] * layer.ndim,
                [padding] * layer.ndim,
                [1] * layer.ndim,
                False,
                [0] * layer.ndim,
                groups,
                [True, False, False],
            )[0]

    def kernel_gradient(x, y):
        with torch.no_grad():
            return backward(
                y,
                x,
                weight,
                None,
                [stride] * layer.ndim,
                [padding] * layer.ndim,
                [1] * layer.ndim,
                False,
                [0] * layer.ndim,
                groups,
                [False, True, False],
            )[1]

    return forward, input_gradient, kernel_gradient


def channels_first(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


# -- timing ---------------------------------------------------------------------------------
def interleaved(calls: dict[str, Callable[[], object]], rounds: int, warmup: int = 2) -> dict[str, float]:
    """Median seconds of each call over ``rounds`` rounds, the calls taking turns in every round."""
    for f in calls.values():
        for _ in range(warmup):
            f()
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(rounds):
        for key, f in calls.items():
            start = time.perf_counter()
            f()
            times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def run_layer(layer: Layer, batch: int, dtype: np.dtype, rounds: int, rng) -> dict:
    torch = _torch()
    kernel_shape = (layer.kernel,) * layer.ndim + (layer.c_in // layer.groups, layer.c_out)
    input_shape = layer.spatial + (layer.c_in,)
    w = rng.standard_normal(kernel_shape).astype(dtype) / math.sqrt(math.prod(kernel_shape[:-1]))
    A = linop.Convolution(w, input_shape, stride=layer.stride, padding=layer.padding, groups=layer.groups)
    x = rng.standard_normal((batch,) + input_shape).astype(dtype)
    y = rng.standard_normal((batch,) + A.output_shape).astype(dtype)
    K = linop.KernelConvolution(x[0], kernel_shape, stride=layer.stride, padding=layer.padding, groups=layer.groups)
    xt, yt = torch.from_numpy(channels_first(x)), torch.from_numpy(channels_first(y))
    t_forward, t_input, t_kernel = torch_functions(layer, w, dtype)

    # equal work: compare before timing
    scale = max(1.0, float(np.abs(y).max()))
    tol = 2e-3 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(channels_first(A.apply(x)), t_forward(xt).numpy(), rtol=tol, atol=tol * scale)
    np.testing.assert_allclose(
        channels_first(A.apply_adjoint(y)), t_input(yt, xt.shape).numpy(), rtol=tol, atol=tol * scale * 10
    )
    kernel_batch1 = np.moveaxis(np.moveaxis(K.apply_adjoint(y[0]), -1, 0), -1, 1)
    np.testing.assert_allclose(kernel_batch1, t_kernel(xt[:1], yt[:1]).numpy(), rtol=tol, atol=tol * scale * 100)

    # the kernel gradient of a batch: the kernel operator of each sample, summed (linop's
    # KernelConvolution holds one image); linop and torch both do the whole batch per call
    Ks = [
        linop.KernelConvolution(x[b], kernel_shape, stride=layer.stride, padding=layer.padding, groups=layer.groups)
        for b in range(batch)
    ]

    def linop_kernel():
        total = Ks[0].apply_adjoint(y[0])
        for b in range(1, batch):
            total += Ks[b].apply_adjoint(y[b])
        return total

    calls = {
        "linop forward": lambda: A.apply(x),
        "torch forward": lambda: t_forward(xt),
        "linop adjoint": lambda: A.apply_adjoint(y),
        "torch adjoint": lambda: t_input(yt, xt.shape),
        "linop kernel": linop_kernel,
        "torch kernel": lambda: t_kernel(xt, yt),
    }
    seconds = interleaved(calls, rounds)
    flops = 2 * layer.macs(batch)
    row = dict(layer=layer.label, batch=batch, dtype=np.dtype(dtype).name, gflop=flops / 1e9, backend=A.backend)
    for direction in ("forward", "adjoint", "kernel"):
        mine, theirs = seconds[f"linop {direction}"], seconds[f"torch {direction}"]
        row[f"{direction}_ms"] = mine * 1e3
        row[f"torch_{direction}_ms"] = theirs * 1e3
        row[f"{direction}_gflops"] = flops / mine / 1e9
        row[f"torch_{direction}_gflops"] = flops / theirs / 1e9
        row[f"{direction}_speed"] = theirs / mine
    row["adjoint_over_forward"] = seconds["linop adjoint"] / seconds["linop forward"]
    return row


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few small layers, one round: a smoke run")
    parser.add_argument("--nets", default=",".join(NETS), help=f"comma-separated among {', '.join(NETS)}")
    parser.add_argument("--batches", default="1,8", help="comma-separated batch sizes (default 1,8)")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per layer (default 5, quick 1)")
    parser.add_argument("--float64", type=int, default=None, help="float64 runs of the first N layers of each net")
    parser.add_argument("--json", default=None, help="write the rows and the machine here")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: the sweep compares against it (pip install 'linop[torch]')")
        return 1
    torch.set_num_threads(os.cpu_count() or 1)
    rounds = args.rounds or (1 if args.quick else 5)
    batches = [1] if args.quick else [int(b) for b in args.batches.split(",")]
    if args.quick:
        layers = quick_layers()
        f64_layers = layers[:1]
    else:
        layers, f64_layers = [], []
        for net in args.nets.split(","):
            if net not in NETS:
                parser.error(f"--nets: unknown {net!r}; allowed: {', '.join(NETS)}")
            net_layers = NETS[net]()
            layers += net_layers
            f64_layers += net_layers[: (args.float64 if args.float64 is not None else 3)]
    info = machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores at {info['clock_ghz']} GHz, "
        f"{info['vector_bits']}-bit vectors, {info['fma_units']} FMA units of {info['fma_bits']} bits: "
        f"peak ~{info.get('peak_gflops_f32')} GFLOP/s float32, ~{info.get('peak_gflops_f64')} float64; "
        f"load average {info['load_average']}"
    )
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}, "
        f"linop {linop.__version__}; median of {rounds} interleaved rounds"
    )
    rng = np.random.default_rng(0)
    rows = []
    header = (
        f"{'layer':44s} {'B':>2s} {'dtype':7s} {'backend':7s} {'GFLOP':>7s} | "
        f"{'fwd ms':>8s} {'torch':>8s} {'x':>5s} | {'adj ms':>8s} {'torch':>8s} {'x':>5s} | "
        f"{'kern ms':>8s} {'torch':>8s} {'x':>5s} | {'adj/fwd':>7s} {'fwd GF/s':>8s}"
    )
    print(header)
    print("-" * len(header))
    plan = [(layer, b, np.float32) for layer in layers for b in batches]
    plan += [(layer, b, np.float64) for layer in f64_layers for b in batches[:1]]
    for layer, batch, dtype in plan:
        row = run_layer(layer, batch, np.dtype(dtype), rounds, rng)
        rows.append(row)
        print(
            f"{row['layer'][:44]:44s} {batch:2d} {row['dtype']:7s} {row['backend']:7s} {row['gflop']:7.3f} | "
            f"{row['forward_ms']:8.2f} {row['torch_forward_ms']:8.2f} {row['forward_speed']:5.2f} | "
            f"{row['adjoint_ms']:8.2f} {row['torch_adjoint_ms']:8.2f} {row['adjoint_speed']:5.2f} | "
            f"{row['kernel_ms']:8.2f} {row['torch_kernel_ms']:8.2f} {row['kernel_speed']:5.2f} | "
            f"{row['adjoint_over_forward']:7.2f} {row['forward_gflops']:8.1f}",
            flush=True,
        )
    print()
    for dtype in ("float32", "float64"):
        subset = [r for r in rows if r["dtype"] == dtype]
        if not subset:
            continue
        means = {d: geometric_mean([r[f"{d}_speed"] for r in subset]) for d in ("forward", "adjoint", "kernel")}
        worst = {d: min(subset, key=lambda r, d=d: r[f"{d}_speed"]) for d in ("forward", "adjoint", "kernel")}
        print(
            f"{dtype}: {len(subset)} layer runs; torch time / linop time, geometric mean: "
            + ", ".join(f"{d} {v:.2f}x" for d, v in means.items())
        )
        for d, r in worst.items():
            print(f"  worst {d}: {r[f'{d}_speed']:.2f}x, {r['layer']} (batch {r['batch']})")
        ratios = [r["adjoint_over_forward"] for r in subset]
        print(f"  linop adjoint/forward: median {statistics.median(ratios):.2f}, max {max(ratios):.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
