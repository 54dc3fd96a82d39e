"""Benchmark of linop with PyTorch tensors: what going through linop costs next to torch's own layer.

Run from the repository root::

    python benchmarks/bench_interop.py [--quick] [--repeat 5] [--threads N]

One 2-D convolution layer (channels, 3x3, padding 1, float32), a batch of images, and
side by side in one run:

* ``torch layer``: ``nn.Conv2d`` on a channels-first tensor (the reference);
* ``linop numpy``: ``A.apply`` on a channels-last NumPy array;
* ``linop tensor``: ``A.apply`` on a channels-last torch tensor (through NumPy, result a
  tensor: the conversion and autograd wrapper on top of ``linop numpy``);
* ``torch_map``: the path GPU tensors take, torch's own ``F.pad`` + ``conv2d``, here on the
  CPU;

each for the forward map and for the forward plus the gradient of ``<A x, g>`` (torch
autograd for the torch rows, the adjoint for linop). Then the time of
``linop.verify`` on a small layer adapted by ``from_torch``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import linop  # noqa: E402


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs after one warm-up, in milliseconds."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (a smoke run)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per row (median reported)")
    parser.add_argument("--threads", type=int, default=None, help="torch and linop threads (default: torch's)")
    args = parser.parse_args(argv)

    import torch

    from linop.interop import from_torch
    from linop.interop.torch_layers import torch_map

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    batch, size, c_in, c_out = (2, 32, 4, 8) if args.quick else (8, 64, 16, 32)
    repeat = 2 if args.quick else args.repeat
    torch.manual_seed(0)
    layer = torch.nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
    A = linop.Convolution.from_torch(layer, (size, size))
    x_last = torch.randn(batch, size, size, c_in)
    x_first = x_last.permute(0, 3, 1, 2).contiguous()
    x_numpy = x_last.numpy()
    g_last = torch.randn(batch, size, size, c_out)
    g_first = g_last.permute(0, 3, 1, 2).contiguous()
    native = torch_map(A)

    def torch_backward():
        x = x_first.clone().requires_grad_(True)
        (layer(x) * g_first).sum().backward()

    def linop_tensor_backward():
        x = x_last.clone().requires_grad_(True)
        (A.apply(x) * g_last).sum().backward()

    def native_backward():
        x = x_last.clone().requires_grad_(True)
        (native(x) * g_last).sum().backward()

    rows = [
        ("torch layer", lambda: layer(x_first), torch_backward),
        ("linop numpy", lambda: A.apply(x_numpy), lambda: (A.apply(x_numpy), A.H.apply(g_last.numpy()))),
        ("linop tensor", lambda: A.apply(x_last), linop_tensor_backward),
        ("torch_map", lambda: native(x_last), native_backward),
    ]
    print(
        f"Conv2d {c_in} -> {c_out}, 3x3, padding 1, float32, batch {batch} of {size}x{size} "
        f"(torch {torch.__version__}, {torch.get_num_threads()} threads, backend {A.backend}); median of {repeat}"
    )
    print(f"{'path':<14}{'forward ms':>12}{'fwd + grad ms':>16}")
    with torch.no_grad():
        forwards = [best_of(forward, repeat) for _, forward, _ in rows]
    for (name, _, backward), forward_ms in zip(rows, forwards):
        print(f"{name:<14}{forward_ms:>12.2f}{best_of(backward, repeat):>16.2f}")

    small = torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect", bias=False, dtype=torch.float64)
    start = time.perf_counter()
    report = linop.verify(from_torch(small, (2, 8, 8)), seed=0)
    print(
        f"linop.verify(from_torch(Conv2d 2 -> 3 on 8x8)): {'passed' if report.passed else 'FAILED'} "
        f"in {time.perf_counter() - start:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
