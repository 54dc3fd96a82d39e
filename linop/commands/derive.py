"""``linop derive``: a convolution's matrix with symbols, its transpose, both formulas, and exact proofs.

With ``--formula "y[i] = ..."`` (or ``--catalogue NAME``) it derives the adjoint of any
index formula instead (:mod:`linop.commands.derive_formula`).

``linop derive --input 7 --kernel 3 --stride 2`` prints the lecture's 3 x 7 matrix with
``k_0, k_1, k_2``, its (conjugate) transpose mapping 3 entries to 7, the forward formula,
the adjoint formula derived from it, and the verdict of each exact proof. Every keyword of
:class:`linop.Convolution` has an option; ``--latex`` and ``--markdown`` change the output.
SymPy is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "derive",
        help="derive a convolution's adjoint symbolically: matrix, transpose, formulas, exact proofs",
        description="Show a convolution as a matrix of kernel symbols, its (conjugate) transpose, the forward "
        "formula and the adjoint formula derived from it, and prove in exact arithmetic that the adjoint is "
        "right. Example (the lecture): linop derive --input 7 --kernel 3 --stride 2",
    )
    p.add_argument(
        "--input",
        metavar="N[,N...]",
        help="spatial input size, one int per axis (e.g. 7 or 16,16); with --formula: the shape of x",
    )
    p.add_argument("--kernel", metavar="K[,K...]", help="spatial kernel size, one int per axis (e.g. 3 or 3,3)")
    p.add_argument(
        "--values",
        metavar="V[,V...]",
        help="exact kernel values in C order instead of symbols, e.g. 1/2,1,1/2 (the kernel shape "
        "follows from --kernel and the channels; 1-D single channel: from the number of values)",
    )
    p.add_argument("--in-channels", type=int, metavar="C", help="input channels (switches to the channels-last layout)")
    p.add_argument("--out-channels", type=int, metavar="C", help="output channels (filters)")
    p.add_argument("--stride", default="1", metavar="S[,S...]", help="stride, one int or one per axis (default 1)")
    p.add_argument("--dilation", default="1", metavar="D[,D...]", help="dilation, one int or one per axis (default 1)")
    p.add_argument(
        "--padding",
        default="valid",
        metavar="P",
        help="valid, same, full, an int, one int per axis (1,2) or low:high pairs per axis (1:0,2:1)",
    )
    p.add_argument("--groups", type=int, default=1, help="groups (must divide both channel counts)")
    p.add_argument(
        "--boundary",
        default="constant",
        help="constant, wrap, reflect, symmetric, edge (or zeros, circular, replicate)",
    )
    p.add_argument("--flip", action="store_true", help="reverse the kernel (mathematical convolution)")
    p.add_argument("--real", action="store_true", help="declare the kernel symbols real (A^H = A^T)")
    p.add_argument("--indexed", action="store_true", help="name kernel symbols k[0] instead of k_0")
    p.add_argument("--details", action="store_true", help="print every proof's steps, not only its verdict")
    p.add_argument(
        "--all-sizes",
        action="store_true",
        help="also prove the 1-D adjoint formula for symbolic sizes, stride, dilation and padding",
    )
    p.add_argument("--no-proofs", action="store_true", help="print the matrices and formulas only")
    p.add_argument(
        "--formula",
        metavar="TEXT",
        help="derive the adjoint of an index formula instead of a convolution, e.g. "
        '"y[i] = x[i + 1] - x[i] for i = 0..n-2" (see docs/guide/formulas.md)',
    )
    p.add_argument(
        "--sizes",
        action="append",
        default=[],
        metavar="NAME=INT[,...]",
        help="values of the formula's sizes, e.g. n=7 or n=7,k=3 (repeatable)",
    )
    p.add_argument(
        "--array",
        action="append",
        default=[],
        metavar="NAME=V[,V...]",
        help="a 1-D coefficient array of the formula, e.g. k=1/2,1,1/2 (repeatable)",
    )
    p.add_argument("--output", metavar="N[,N...]", help="with --formula: the shape of y")
    p.add_argument(
        "--catalogue",
        metavar="NAME",
        help="show a formula of linop's catalogue (pooling, upsampling, differences, DFT, ...); 'list' lists them",
    )
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="LaTeX output")
    fmt.add_argument("--markdown", action="store_true", help="Markdown output with LaTeX math")
    p.set_defaults(handler=run)


def _ints(text: str, name: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--{name} must be comma-separated integers; got {text!r}") from None
    return values


def _per_axis(text: str, name: str) -> int | tuple[int, ...]:
    values = _ints(text, name)
    return values[0] if len(values) == 1 else values


def _padding(text: str):
    """``valid``/``same``/``full``, ints (one for all axes or one per axis) or ``low:high`` pairs per axis."""
    if text in ("valid", "same", "full"):
        return text
    if ":" not in text:
        values = _ints(text, "padding")
        return values[0] if len(values) == 1 else list(values)
    pairs = []
    for part in text.split(","):
        fields = part.split(":")
        try:
            if len(fields) != 2:
                raise ValueError
            pairs.append((int(fields[0]), int(fields[1])))
        except ValueError:
            raise ValueError(
                f"--padding must be valid, same, full, comma-separated integers or comma-separated "
                f"low:high pairs (one per axis); got {text!r}"
            ) from None
    return pairs


def _exact_values(text: str):
    import sympy

    out = []
    for part in text.split(","):
        try:
            fraction = Fraction(part.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"--values must be comma-separated numbers or fractions like 1/2; got {part!r}") from None
        out.append(sympy.Rational(fraction.numerator, fraction.denominator))
    return out


def build(args: argparse.Namespace):
    """The :class:`linop.symbolic.Convolution` the options describe."""
    import numpy as np

    from .. import symbolic

    spatial = _ints(args.input, "input")
    channels = args.in_channels is not None or args.out_channels is not None
    groups = args.groups
    if groups < 1:
        raise ValueError(f"--groups must be >= 1; got {groups}")
    channel_shape: tuple[int, ...]
    if channels:
        c_in = args.in_channels if args.in_channels is not None else 1
        c_out = args.out_channels if args.out_channels is not None else 1
        if c_in < 1 or c_out < 1:
            raise ValueError(f"--in-channels and --out-channels must be >= 1; got {c_in} and {c_out}")
        if c_in % groups:
            raise ValueError(f"--groups must divide --in-channels; got groups={groups}, in-channels={c_in}")
        input_shape = spatial + (c_in,)
        channel_shape = (c_in // groups, c_out)
    else:
        input_shape = spatial
        channel_shape = ()
    values = _exact_values(args.values) if args.values else None
    if args.kernel:
        kernel_spatial = _ints(args.kernel, "kernel")
    elif values is not None and not channels and len(spatial) == 1:
        kernel_spatial = (len(values),)
    else:
        raise ValueError("give --kernel (the spatial kernel size), or --values for a 1-D single-channel kernel")
    kernel_shape = kernel_spatial + channel_shape
    keywords = dict(
        stride=_per_axis(args.stride, "stride"),
        dilation=_per_axis(args.dilation, "dilation"),
        padding=_padding(args.padding),
        groups=groups,
        boundary=args.boundary,
        flip=args.flip,
    )
    if values is not None:
        size = int(np.prod(kernel_shape))
        if len(values) != size:
            raise ValueError(f"--values has {len(values)} numbers but the kernel {kernel_shape} has {size} entries")
        if args.real or args.indexed:
            raise ValueError("--real and --indexed apply to kernel symbols, not to --values")
        kernel = np.array(values, dtype=object).reshape(kernel_shape)
        return symbolic.Convolution(kernel, input_shape, **keywords)
    return symbolic.Convolution(
        input_shape=input_shape,
        kernel_shape=kernel_shape,
        real=args.real,
        naming="indexed" if args.indexed else "subscript",
        **keywords,
    )


def _verdict_line(result) -> str:
    return f"  {result.name}: {result.verdict} ({result.seconds:.2f} s)" + (
        f"\n    counterexample {result.counterexample.text()}" if result.counterexample is not None else ""
    )


def run(args: argparse.Namespace) -> int:
    from .. import symbolic

    if args.formula is not None or args.catalogue:  # an empty --formula "" is a formula, with its own error
        from .derive_formula import run_formula

        return run_formula(args)
    if not args.input:
        raise ValueError("give --input (the spatial input size), or --formula / --catalogue")
    conv = build(args)
    fmt = "latex" if args.latex else "markdown" if args.markdown else "text"
    body = {"text": conv.pretty, "latex": conv.latex, "markdown": conv.markdown}[fmt]()
    print(body)
    if args.no_proofs and not args.all_sizes:
        return 0
    results = []
    try:
        if not args.no_proofs:
            report = conv.prove()
            results += list(report.results) + [conv.check_transposed_convolution()]
    except symbolic.SymbolicSizeError as exc:
        print(f"linop derive: {exc}", file=sys.stderr)
        return 2
    if args.all_sizes:
        results.append(symbolic.prove_all_sizes())
    print()
    if fmt == "text":
        print("proofs (exact arithmetic):")
        for r in results:
            print(r.text() if args.details else _verdict_line(r))
    elif fmt == "markdown":
        print("## Proofs\n")
        for r in results:
            print(r.markdown() if args.details else f"- **{r.name}**: {r.verdict} ({r.seconds:.2f} s)")
            if args.details:
                print()
    else:
        print(r"\paragraph{Proofs (exact arithmetic).}")
        if args.details:
            print("\n\n".join(r.latex() for r in results))
        else:
            print(r"\begin{itemize}")
            for r in results:
                print(rf"  \item {r.name}: {r.verdict} ({r.seconds:.2f} s)")
            print(r"\end{itemize}")
    return 0 if all(r.holds for r in results) else 1
