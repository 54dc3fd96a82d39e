"""``linop derive --formula``: an index formula, its derived adjoint, the compiled operator and exact proofs.

``linop derive --formula "y[i] = x[i + 1] - x[i] for i = 0..n-2" --sizes n=7`` prints the
forward formula, the adjoint formula derived from it (sizes kept as symbols where the
shapes follow from them), what the operator compiles to, and the verdict of each exact
proof (at the given sizes). ``--catalogue NAME`` does the same for a formula of
:mod:`linop.formula.catalogue`; ``--catalogue list`` lists them.
"""

from __future__ import annotations

import argparse
from fractions import Fraction

import numpy as np

__all__ = ["parse_arrays", "parse_sizes", "run_formula"]


def parse_sizes(items: list[str]) -> dict[str, int]:
    """``["n=7,k=3"]`` -> ``{"n": 7, "k": 3}``.

    Raises
    ------
    ValueError
        For an item that is not ``name=int``.
    """
    out: dict[str, int] = {}
    for item in items:
        for part in item.split(","):
            name, sep, value = part.partition("=")
            try:
                if not sep or not name.strip().isidentifier():
                    raise ValueError
                out[name.strip()] = int(value)
            except ValueError:
                raise ValueError(f"--sizes takes name=int pairs such as n=7,k=3; got {part!r}") from None
    return out


def parse_arrays(items: list[str]) -> dict[str, np.ndarray]:
    """``["k=1/2,1,1/2"]`` -> ``{"k": array([0.5, 1, 0.5])}``.

    Raises
    ------
    ValueError
        For an item that is not ``name=v,v,...`` with numbers or fractions.
    """
    out: dict[str, np.ndarray] = {}
    for item in items:
        name, sep, values = item.partition("=")
        try:
            if not sep or not name.strip().isidentifier():
                raise ValueError
            out[name.strip()] = np.array([float(Fraction(v.strip())) for v in values.split(",")])
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"--array takes name=v,v,... such as k=1/2,1,1/2; got {item!r}") from None
    return out


def _shape(text: str | None, name: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--{name} must be comma-separated integers; got {text!r}") from None


def _ranges(formula) -> str:
    """``for i = 0..n - 2``: the ranges of the free variables (the sums show their own)."""
    return "for " + ", ".join(f"{v} = {lo}..{hi}" for v, lo, hi in formula.free)


def run_formula(args: argparse.Namespace) -> int:
    """Handle ``linop derive --formula`` / ``--catalogue``; returns the exit status."""
    from ..formula import catalogue, from_formula
    from ..symbolic import SymbolicSizeError

    if args.catalogue == "list":
        for e in catalogue.catalogue():
            print(f"{e.name}: {e.description}\n    {e.formula}")
        return 0
    if args.catalogue:
        if args.formula is not None:
            raise ValueError("give either --formula or --catalogue, not both")
        e = catalogue.entry(args.catalogue)
        title = f"{e.name}: {e.description}"
        op = e.build()
    else:
        title = args.formula
        op = from_formula(
            args.formula,
            sizes=parse_sizes(args.sizes),
            arrays=parse_arrays(args.array),
            input_shape=_shape(args.input, "input"),
            output_shape=_shape(args.output, "output"),
        )
    fmt = "latex" if args.latex else "markdown" if args.markdown else "text"
    forward, adjoint = op.forward_formula, op.adjoint_formula
    steps = op.steps
    summary = (
        f"A: {'x'.join(map(str, op.input_shape))} -> {'x'.join(map(str, op.output_shape))}, {op.dtype}; "
        f"compiled to {steps[0]} forward and {steps[1]} adjoint multiply-add steps"
    )
    if fmt == "text":
        print(title)
        print(f"\nforward formula:\n{forward.pretty()}\n{_ranges(forward)}")
        print(f"\nadjoint formula (derived):\n{adjoint.pretty()}\n{_ranges(adjoint)}")
        if args.details:
            print("\nderivation:")
            for n, step in enumerate(adjoint.steps, start=1):
                print(f"  {n}. {step.text()}")
        print(f"\n{summary}")
    elif fmt == "markdown":
        print(
            f"## {title}\n\n**Forward formula.**\n\n$$ {forward.latex()} $$\n\n"
            f"**Adjoint formula (derived).**\n\n$$ {adjoint.latex()} $$\n\n{summary}"
        )
    else:
        print(rf"\paragraph{{Forward formula.}} \[ {forward.latex()} \]")
        print(rf"\paragraph{{Adjoint formula (derived).}} \[ {adjoint.latex()} \]")
    if args.no_proofs:
        return 0
    try:
        results = list(op.symbolic().prove().results)
    except SymbolicSizeError as exc:
        print(f"linop derive: {exc}")
        return 2
    print()
    for r in results:
        if fmt == "text":
            print(r.text() if args.details else f"  {r.name}: {r.verdict} ({r.seconds:.2f} s)")
        elif fmt == "markdown":
            print(r.markdown() if args.details else f"- **{r.name}**: {r.verdict} ({r.seconds:.2f} s)")
        else:
            print(rf"{r.name}: {r.verdict}\\")
    return 0 if all(r.holds for r in results) else 1
