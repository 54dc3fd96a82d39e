"""Benchmark: operators generated from index formulas against the hand-written NumPy for the same map.

Run from the repository root::

    python benchmarks/formulas.py            # 10^6 - 10^7 entries per case, then the derivation times
    python benchmarks/formulas.py --quick    # small sizes, one round: a smoke run
    python benchmarks/formulas.py --cases pool,diff --repeat 7

Each case builds the operator with :func:`linop.from_formula` from its formula alone (the
adjoint is derived and compiled), checks that its forward equals the hand-written
reference, and times, in one process, best of ``--repeat`` runs:

* ``forward``: ``A.apply(x)``; ``adjoint``: ``A.apply_adjoint(y)`` (the derived formula's code);
* ``hand``: the NumPy / SciPy a user would write for the forward map.

The ratios ``forward / hand`` and ``adjoint / hand`` are the figures of merit (target: <= 2).
A second table gives, per catalogue operator, the time of derivation + code generation
(``from_formula``) and of the exact proof (``A.symbolic().prove()``) at the catalogue's sizes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.ndimage
import scipy.signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import linop  # noqa: E402
from linop.formula import catalogue as cat  # noqa: E402


@dataclass
class Case:
    """One map: the catalogue entry that defines it, a sample input and the hand-written forward."""

    key: str
    label: str
    entry: cat.FormulaEntry
    hand: Callable[[np.ndarray], np.ndarray]
    hand_label: str


def _cases(quick: bool) -> list[Case]:
    big = 256 if quick else 2048  # 2-D side: 2048^2 = 4.2e6 entries
    long = 20_000 if quick else 10_000_000
    mat = 64 if quick else 2000  # matrices of mat^2 = 4e6 entries
    rng = np.random.default_rng(0)
    t = rng.standard_normal(2 * mat - 1)
    h = rng.standard_normal(2 * mat - 1)
    k = np.array([0.25, 0.5, 0.25])

    def pooled_padded(x: np.ndarray) -> np.ndarray:
        p = np.pad(x, 1)
        n = (x.shape[0] + 2 - 3) // 2 + 1
        m = (x.shape[1] + 2 - 3) // 2 + 1
        return sum(p[a : a + 2 * n - 1 : 2, b : b + 2 * m - 1 : 2] for a in range(3) for b in range(3)) / 9

    def bilinear(x: np.ndarray) -> np.ndarray:
        H, W = x.shape
        return scipy.ndimage.zoom(x, ((2 * H - 1) / H, (2 * W - 1) / W), order=1)

    cases = [
        Case(
            "pool",
            f"average pooling 2x2, {big}x{big}",
            cat.average_pooling(2, 2, 0, (big, big)),
            lambda x: x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2).mean(axis=(1, 3)),
            "x.reshape(n/2, 2, m/2, 2).mean((1, 3))",
        ),
        Case(
            "pool3",
            f"average pooling 3x3 stride 2 pad 1, {big}x{big}",
            cat.average_pooling(3, 2, 1, (big, big)),
            pooled_padded,
            "np.pad + 9 strided slices / 9",
        ),
        Case(
            "nearest",
            f"nearest upsampling x2, {big // 2}x{big // 2}",
            cat.nearest_upsampling(2, (big // 2, big // 2)),
            lambda x: np.repeat(np.repeat(x, 2, axis=0), 2, axis=1),
            "np.repeat twice",
        ),
        Case(
            "bilinear",
            f"bilinear upsampling x2, {big // 2}x{big // 2}",
            cat.linear_upsampling(2, (big // 2, big // 2)),
            bilinear,
            "scipy.ndimage.zoom(order=1)",
        ),
        Case(
            "diff",
            f"forward difference (valid), 1-D {long:.0e}",
            cat.finite_difference("forward", "valid", long),
            np.diff,
            "np.diff",
        ),
        Case(
            "central",
            f"central difference (wrap), 1-D {long:.0e}",
            cat.finite_difference("central", "wrap", long),
            lambda x: (np.roll(x, -1) - np.roll(x, 1)) / 2,
            "(np.roll(x,-1) - np.roll(x,1)) / 2",
        ),
        Case(
            "gradient",
            f"image gradient (edge), {big}x{big}",
            cat.gradient("edge", (big, big)),
            lambda x: np.stack([np.diff(x, axis=0, append=x[-1:]), np.diff(x, axis=1, append=x[:, -1:])]),
            "np.stack of two np.diff(append=)",
        ),
        Case(
            "toeplitz",
            f"Toeplitz product {mat}x{mat}",
            cat.FormulaEntry(
                "Toeplitz", "", "y[i] = sum(j=0..n-1) t[i - j + n - 1] * x[j] for i = 0..n-1", {"n": mat}, {"t": t}
            ),
            lambda x: scipy.linalg.matmul_toeplitz((t[mat - 1 :], t[mat - 1 :: -1]), x),
            "scipy.linalg.matmul_toeplitz",
        ),
        Case(
            "hankel",
            f"Hankel product {mat}x{mat}",
            cat.FormulaEntry("Hankel", "", "y[i] = sum(j=0..n-1) h[i + j] * x[j] for i = 0..n-1", {"n": mat}, {"h": h}),
            lambda x: scipy.linalg.hankel(h[:mat], h[mat - 1 :]) @ x,
            "scipy.linalg.hankel(...) @ x",
        ),
        Case("dft", f"DFT, N = {mat}", cat.dft(mat), np.fft.fft, "np.fft.fft"),
        Case(
            "crop",
            f"strided crop (stride 2), {2 * big}x{2 * big}",
            cat.strided_crop((2 * big, 2 * big), (1, 2), 2, (big - 2, big - 2)),
            lambda x: x[1::2, 2::2][: big - 2, : big - 2].copy(),
            "x[1::2, 2::2][:M, :N].copy()",
        ),
        Case("transpose", f"transpose, {big}x{big}", cat.transpose((big, big)), lambda x: x.T.copy(), "x.T.copy()"),
        Case(
            "conv",
            f"3-tap convolution stride 2, 1-D {long:.0e}",
            cat.FormulaEntry(
                "conv", "", "y[j] = sum(m=0..2) k[m] * x[2*j + m] for j = 0..(n-3)/2", {"n": long + 1}, {"k": k}
            ),
            lambda x: scipy.signal.correlate(x, k, mode="valid")[::2],
            "scipy.signal.correlate(valid)[::2]",
        ),
    ]
    return cases


def _best(fn: Callable[[], object], repeat: int) -> float:
    fn()
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_speed(cases: list[Case], repeat: int) -> list[dict]:
    rows = []
    for case in cases:
        start = time.perf_counter()
        A = case.entry.build()
        build = time.perf_counter() - start
        rng = np.random.default_rng(1)
        x = rng.standard_normal(A.input_shape).astype(A.dtype)
        y = A.apply(x)
        expected = case.hand(x)
        if not np.allclose(y, expected, rtol=1e-9, atol=1e-9):
            raise SystemExit(f"{case.key}: the generated forward differs from {case.hand_label}")
        forward = _best(lambda A=A, x=x: A.apply(x), repeat)
        adjoint = _best(lambda A=A, y=y: A.apply_adjoint(y), repeat)
        hand = _best(lambda case=case, x=x: case.hand(x), repeat)
        rows.append(
            dict(
                case=case.label,
                entries=A.shape[0] * A.shape[1] if case.key in ("toeplitz", "hankel", "dft") else max(A.shape),
                hand_label=case.hand_label,
                forward=forward,
                adjoint=adjoint,
                hand=hand,
                build=build,
                steps=A.steps,
            )
        )
    return rows


def run_derivation(quick: bool) -> list[dict]:
    rows = []
    entries = cat.catalogue()[:4] if quick else cat.catalogue()
    for entry in entries:
        start = time.perf_counter()
        A = entry.build()
        build = time.perf_counter() - start
        start = time.perf_counter()
        holds = A.symbolic().prove().holds
        prove = time.perf_counter() - start
        rows.append(dict(name=entry.name, build=build, prove=prove, holds=holds, steps=A.steps))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and one round (a smoke run)")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per measurement (best is kept)")
    parser.add_argument("--cases", default=None, help="comma-separated case keys (default: all)")
    parser.add_argument("--no-derivation", action="store_true", help="skip the derivation/proof table")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 5)
    cases = _cases(args.quick)
    if args.cases:
        keys = args.cases.split(",")
        unknown = set(keys) - {c.key for c in cases}
        if unknown:
            parser.error(f"unknown cases {sorted(unknown)}; have {', '.join(c.key for c in cases)}")
        cases = [c for c in cases if c.key in keys]
    print(f"linop {linop.__version__}, NumPy {np.__version__}; best of {repeat}\n")
    print(
        "| map | hand-written forward | hand (ms) | forward (ms) | adjoint (ms) | forward / hand | adjoint / hand "
        "| steps (fwd, adj) | build (s) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|---:|")
    worst = 0.0
    for r in run_speed(cases, repeat):
        f, a = r["forward"] / r["hand"], r["adjoint"] / r["hand"]
        worst = max(worst, f, a)
        print(
            f"| {r['case']} | `{r['hand_label']}` | {1e3 * r['hand']:.2f} | {1e3 * r['forward']:.2f} | "
            f"{1e3 * r['adjoint']:.2f} | {f:.2f} | {a:.2f} | {r['steps']} | {r['build']:.2f} |"
        )
    if not args.no_derivation:
        print("\n| catalogue operator | derive + compile (s) | exact proof (s) | proved | steps (fwd, adj) |")
        print("|---|---:|---:|---|---|")
        slowest = 0.0
        for r in run_derivation(args.quick):
            slowest = max(slowest, r["build"] + r["prove"])
            print(
                f"| {r['name']} | {r['build']:.2f} | {r['prove']:.2f} | {'yes' if r['holds'] else 'NO'} | "
                f"{r['steps']} |"
            )
        print(f"\nslowest derivation + compilation + proof: {slowest:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
