"""Benchmark of the verification suite: how fast the probes find one wrong entry in a large operator.

Run from the repository root::

    python benchmarks/bench_verification.py [--repeat 3]

For each case it prints the best wall time over the repeats, the number of operator
applications (one application = one vector through ``A`` or ``A^H``) and the verdict.
The cost of a probe run is dominated by those applications, so the time per
application of the convolution backend is printed too.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import linop  # noqa: E402
from linop.operators.base import ShapedOperator  # noqa: E402


class WrongCorner(ShapedOperator):
    """A 2-D convolution whose adjoint is off by 0.5 at the entry (input (0, 0), output (0, 0))."""

    def __init__(self, A: linop.Convolution):
        self.A = A
        super().__init__(A.input_shape, A.output_shape, A.dtype)

    def _forward(self, x):
        return self.A._forward(x)

    def _backward(self, y):
        x = self.A._backward(y)
        x[:, 0, 0] += 0.5 * y[:, 0, 0]
        return x


class WrongLastSample(ShapedOperator):
    """A 1-D convolution whose forward map halves its last output sample."""

    def __init__(self, A: linop.Convolution):
        self.A = A
        super().__init__(A.input_shape, A.output_shape, A.dtype)

    def _forward(self, x):
        y = self.A._forward(x)
        y[:, -1] *= 0.5
        return y

    def _backward(self, y):
        return self.A._backward(y)


def _best(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for dtype in (np.float64, np.float32):
        A = linop.Convolution(
            rng.standard_normal((3, 3)).astype(dtype), (1024, 1024), padding="same", boundary="reflect"
        )
        x = rng.standard_normal((1024, 1024)).astype(dtype)
        per_application, _ = _best(lambda A=A, x=x: A.apply(x), args.repeat)
        rows.append((f"one application, 1024^2 {np.dtype(dtype).name}", per_application, 1, "-"))
        for label, op in (("correct", A), ("wrong corner", WrongCorner(A))):
            seconds, report = _best(lambda op=op: linop.verify(op, checks="probes", seed=0), args.repeat)
            result = report["probes"]
            rows.append(
                (
                    f"probes, 1024^2 {np.dtype(dtype).name}, {label}",
                    seconds,
                    result.details["applications"],
                    result.status,
                )
            )
    A = linop.Convolution(rng.standard_normal(5), (10**6,))
    for label, op in (("correct", A), ("wrong last sample", WrongLastSample(A))):
        seconds, report = _best(lambda op=op: linop.verify(op, checks="probes", seed=0), args.repeat)
        rows.append(
            (
                f"probes, 1-D 10^6 float64, {label}",
                seconds,
                report["probes"].details["applications"],
                report["probes"].status,
            )
        )
    A = linop.Convolution(rng.standard_normal((3, 3)).astype(np.float32), (1024, 1024), padding="same")
    seconds, report = _best(lambda: linop.verify(A, seed=0), 1)
    rows.append(("all checks, 1024^2 float32, correct", seconds, "-", "passed" if report.passed else "FAILED"))

    width = max(len(r[0]) for r in rows)
    print(f"{'case':{width}}  {'seconds':>8}  {'applications':>12}  result")
    for name, seconds, applications, status in rows:
        print(f"{name:{width}}  {seconds:8.3f}  {applications!s:>12}  {status}")


if __name__ == "__main__":
    main()
