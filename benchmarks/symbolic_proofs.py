"""Benchmark: wall time of the full exact proof (linop.symbolic) for the issue's two targets.

Targets (issue 3): the lecture example (7 -> 3, kernel 3, stride 2) in under 1 s, and a 2-D
convolution 16 x 16 x 4 -> 8 filters, 3 x 3, stride 2, "same" padding, reflect boundary in
under 10 s. "Full proof" = building the operator, its matrix, the forward formula, deriving
the adjoint, and the four checks of ``prove()`` (linearity, shape reversal, the adjoint
identity as a polynomial identity, the derived formula entry by entry and lambdified against
the numeric adjoint). Also times the transposed-convolution identity, the backpropagation
proof and the all-sizes proof. Each case is timed on a fresh object (nothing cached).

Run: python benchmarks/symbolic_proofs.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time

t0 = time.perf_counter()
from linop import symbolic  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - t0

CASES = {
    "lecture: 7 -> 3, kernel 3, stride 2": (dict(input_shape=7, kernel_shape=3, stride=2), 1.0),
    "2-D: 16x16x4 -> 8x8x8, 3x3, stride 2, same, reflect": (
        dict(input_shape=(16, 16, 4), kernel_shape=(3, 3, 4, 8), stride=2, padding="same", boundary="reflect"),
        10.0,
    ),
}


def full_proof(keywords: dict) -> tuple[float, bool, dict[str, float]]:
    start = time.perf_counter()
    conv = symbolic.Convolution(**keywords)
    _ = conv.matrix, conv.adjoint_formula  # build both before the proof (their time is part of a full proof)
    report = conv.prove()
    total = time.perf_counter() - start
    return total, report.holds, {r.name: r.seconds for r in report}


def timed(label: str, fn) -> None:
    start = time.perf_counter()
    result = fn()
    print(f"  {label:<58s} {time.perf_counter() - start:7.2f} s   {result.verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per target (the median is reported)")
    args = parser.parse_args()
    print(f"import linop.symbolic: {IMPORT_SECONDS:.2f} s (SymPy included)\n")
    print("full proof (construction, matrix, derivation, prove()):")
    for label, (keywords, target) in CASES.items():
        runs = [full_proof(keywords) for _ in range(args.repeat)]
        seconds = [r[0] for r in runs]
        median = statistics.median(seconds)
        holds = all(r[1] for r in runs)
        status = "within" if median < target else "ABOVE"
        print(
            f"  {label:<58s} median {median:6.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}) "
            f"target < {target:g} s: {status}; all statements {'hold' if holds else 'DO NOT hold'}"
        )
        parts = ", ".join(f"{name} {s:.2f} s" for name, s in runs[-1][2].items())
        print(f"    checks of the last run: {parts}")
    print("\nother proofs:")
    lecture = dict(input_shape=7, kernel_shape=3, stride=2)
    big = CASES["2-D: 16x16x4 -> 8x8x8, 3x3, stride 2, same, reflect"][0]
    timed("transposed convolution, lecture", lambda: symbolic.Convolution(**lecture).check_transposed_convolution())
    timed(
        "transposed convolution, 16x16x4 -> 8x8x8", lambda: symbolic.Convolution(**big).check_transposed_convolution()
    )
    timed(
        "backpropagation, 5x5x2 -> 3x3x3 (real)",
        lambda: symbolic.Convolution(
            input_shape=(5, 5, 2), kernel_shape=(3, 3, 2, 3), stride=2, padding=1, real=True
        ).check_backpropagation(),
    )
    timed("adjoint formula for all sizes (symbolic n, K, s, d, p)", lambda: symbolic.prove_all_sizes())


if __name__ == "__main__":
    main()
