"""``linop verify``: run the verification suite on the built-in catalogue or on the user's operators.

``linop verify`` checks every operator of :mod:`linop.verification.builtin`;
``linop verify package.module:name`` or ``linop verify path/to/file.py:name`` checks the
user's own: ``name`` (dotted attributes allowed) is a LinearOperator, a matrix, an
operator of PyTorch, JAX, PyLops, ODL or SigPy, a physics object (``A``/``A_adjoint``),
a pair ``(forward, adjoint)`` of functions, a callable returning one of these, or an
iterable (a dict: labelled) of them. ``--domain-weight``, ``--range-weight``,
``--real-domain``, ``--real-range`` and ``--scalars`` declare the inner products of the
spaces (see :mod:`linop.verification.spaces`). Progress and a table go to the terminal,
then the inner products used where they are not Euclidean; ``--json FILE`` (``-`` for
standard output) writes every report.
Exit status: 0 when every check passes, 1 when any fails, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from scipy.sparse.linalg import LinearOperator

from ..interop.detect import kind_of
from ..verification import CHECK_NAMES, VerificationReport, verify
from ..verification.api import resolve_checks
from ..verification.spaces import Space
from ..verification.tolerance import check_rtol

__all__ = ["load_target", "register", "run"]

_SYMBOLS = {"passed": ("✓", "green"), "failed": ("✗", "bold red"), "skipped": ("–", "dim")}


class UsageError(ValueError):
    """A target or option ``linop verify`` cannot use (exit status 2)."""


@dataclass
class _Subject:
    label: str
    description: str
    build: object  # a callable returning the operator (catalogue) or the operator itself


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="verify linearity, shapes and adjoints: the built-in catalogue or your own operators",
        description="Verify linear operators: linearity, shape reversal, the adjoint identity, explicit matrices "
        "(small operators), probes at corners and edges (any size), symbolic proofs, purity. Without a target, "
        "checks linop's built-in catalogue.",
    )
    p.add_argument(
        "targets",
        nargs="*",
        metavar="TARGET",
        help="package.module:name or path/to/file.py:name; name is a LinearOperator, a matrix, a PyTorch, JAX, "
        "PyLops, ODL or SigPy operator, a physics object (A, A_adjoint), a pair (forward, adjoint) of functions, "
        "a callable returning one, or an iterable of them",
    )
    p.add_argument(
        "--checks", default="all", help=f"comma-separated checks to run (default: all): {', '.join(CHECK_NAMES)}"
    )
    p.add_argument("--trials", type=int, default=3, help="random trials of the dot-test-like checks (default 3)")
    p.add_argument("--seed", type=int, default=None, help="seed of the random vectors (default: fresh, reported)")
    p.add_argument("--rtol", type=float, default=None, help="replace the derived tolerance 10 eps sqrt(n)")
    p.add_argument(
        "--input-shape",
        metavar="N,N,...",
        default=None,
        help="shape of one input of a PyTorch module/Function, JAX function, physics object (batch axis included) "
        "or pair of functions, e.g. 1,3,32,32",
    )
    p.add_argument(
        "--dtype",
        default=None,
        help="dtype to verify a PyTorch, JAX, SigPy, physics or pair target in: float32, float64, complex64 or "
        "complex128",
    )
    for side in ("domain", "range"):
        p.add_argument(
            f"--{side}-weight",
            metavar="W",
            default=None,
            help=f"the {side}'s inner product: a positive weight (a cell volume), or module:name of weights "
            "(an array of the space's shape), a Gram operator (a sparse matrix or LinearOperator) or a "
            "linop.verification.Space (for a dense Gram matrix)",
        )
        p.add_argument(f"--real-{side}", action="store_true", help=f"the {side} holds real vectors (real-linear map)")
    p.add_argument(
        "--scalars",
        choices=("complex", "real"),
        default=None,
        help="real: check a complex operator as a real-linear map (Re<Ax, y> = <x, A* y>)",
    )
    p.add_argument(
        "--only", metavar="TEXT", default=None, help="run only the catalogue entries whose name contains TEXT"
    )
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.add_argument("--json", metavar="FILE", default=None, help="write all reports as JSON to FILE ('-': stdout)")
    p.set_defaults(handler=run)


# -- targets ----------------------------------------------------------------------------
def _is_operator(value: object) -> bool:
    """An operator ``verify`` takes: scipy's, a matrix, a framework's object (known by its type's module),
    a physics object or a pair of functions (known by their shape)."""
    return (
        isinstance(value, LinearOperator)
        or sp.issparse(value)
        or (isinstance(value, np.ndarray) and value.ndim == 2)
        or kind_of(value) is not None
    )


def _import_target(module_part: str) -> object:
    looks_like_file = module_part.endswith(".py") or os.sep in module_part or "/" in module_part
    if looks_like_file:
        path = Path(module_part)
        if not path.is_file():
            raise UsageError(f"no such file: {module_part}")
        module_name = f"_linop_verify_target_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise UsageError(f"cannot load {module_part} as a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.resolve().parent))
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise UsageError(f"running {module_part} raised {type(exc).__name__}: {exc}") from exc
        finally:
            sys.path.remove(str(path.resolve().parent))
        return module
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(module_part)
    except Exception as exc:
        raise UsageError(f"cannot import module {module_part!r} ({type(exc).__name__}: {exc})") from exc


def load_target(spec: str) -> list[tuple[str, object]]:
    """The ``(label, operator)`` pairs named by ``module:name`` or ``file.py:name``.

    Raises
    ------
    UsageError
        The module or file cannot be imported, ``name`` is missing, or it is not an
        operator, a callable returning operators, or an iterable of operators.
    """
    module_part, sep, name = spec.rpartition(":")
    if not sep or not module_part or not name:
        raise UsageError(
            f"target {spec!r} must be package.module:name or path/to/file.py:name "
            "(name: a LinearOperator, a callable returning one, or an iterable of them)"
        )
    value = _import_target(module_part)
    for part in name.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise UsageError(f"{module_part} has no attribute {name!r}") from None
    if not _is_operator(value) and callable(value):
        try:
            value = value()
        except Exception as exc:
            raise UsageError(f"calling {spec}() raised {type(exc).__name__}: {exc}") from exc
    if _is_operator(value):
        return [(spec, value)]
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, object]] = ((f"{spec}[{k!r}]", v) for k, v in value.items())
    elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        items = ((f"{spec}[{i}]", v) for i, v in enumerate(value))
    else:
        raise UsageError(
            f"{spec} is of type {type(value).__name__}; expected a LinearOperator, a matrix, a callable returning one, "
            "or an iterable of them"
        )
    pairs = list(items)
    for label, v in pairs:
        if not _is_operator(v):
            raise UsageError(f"{label} is of type {type(v).__name__}, not a LinearOperator")
    if not pairs:
        raise UsageError(f"{spec} holds no operators")
    return pairs


def _subjects(args: argparse.Namespace) -> list[_Subject]:
    if args.targets:
        if args.only is not None:
            raise UsageError("--only selects catalogue entries; it cannot be combined with targets")
        subjects = []
        for spec in args.targets:
            subjects += [_Subject(label, "", op) for label, op in load_target(spec)]
        return subjects
    from ..verification.builtin import catalogue

    entries = [e for e in catalogue() if args.only is None or args.only.lower() in e.name.lower()]
    if not entries:
        raise UsageError(f"no catalogue entry matches --only {args.only!r}; see linop verify --list")
    return [_Subject(e.name, e.description, e.build) for e in entries]


# -- running and reporting --------------------------------------------------------------
def _options(args: argparse.Namespace) -> dict:
    try:
        checks = resolve_checks([c.strip() for c in args.checks.split(",") if c.strip()] or ["all"])
        rtol = check_rtol(args.rtol) if args.rtol is not None else None
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from exc
    if args.trials < 1:
        raise UsageError(f"--trials must be >= 1; got {args.trials}")
    if args.seed is not None and args.seed < 0:
        raise UsageError(f"--seed must be >= 0; got {args.seed}")
    if args.json is not None and args.json != "-":
        _check_writable(Path(args.json))
    options = dict(checks=checks, trials=args.trials, seed=args.seed, rtol=rtol)
    if args.input_shape is not None:
        try:
            options["input_shape"] = tuple(int(s) for s in args.input_shape.replace("x", ",").split(",") if s.strip())
        except ValueError:
            raise UsageError(
                f"--input-shape must be sizes separated by commas (e.g. 1,3,32,32); got {args.input_shape!r}"
            ) from None
    if args.dtype is not None:
        options["dtype"] = args.dtype
    for side in ("domain", "range"):
        weight, real = getattr(args, f"{side}_weight"), getattr(args, f"real_{side}")
        if weight is not None or real:
            options[side] = _space(side, weight, real)
    if args.scalars is not None:
        options["scalars"] = args.scalars
    return options


def _space(side: str, weight: str | None, real: bool) -> Space:
    """The space ``--{side}-weight`` and ``--real-{side}`` describe."""
    if weight is None:
        return Space(real=real)
    try:
        value: object = float(weight)
    except ValueError:
        if ":" not in weight:
            raise UsageError(
                f"--{side}-weight must be a positive number or module:name of weights, a Gram matrix or a Space; "
                f"got {weight!r}"
            ) from None
        module_part, _, name = weight.rpartition(":")
        value = _import_target(module_part)
        for part in name.split("."):
            try:
                value = getattr(value, part)
            except AttributeError:
                raise UsageError(f"{module_part} has no attribute {name!r}") from None
    try:
        if isinstance(value, Space):
            return Space(value.weights, value.gram, True, value.name) if real and not value.real else value
        if isinstance(value, float):
            return Space(weights=value, real=real, name=f"--{side}-weight")
        if isinstance(value, LinearOperator) or sp.issparse(value):
            return Space(gram=value, real=real, name=f"--{side}-weight {weight}")
        return Space(weights=value, real=real, name=f"--{side}-weight {weight}")
    except (TypeError, ValueError) as exc:
        raise UsageError(f"--{side}-weight {weight}: {exc}") from exc


def _check_writable(path: Path) -> None:
    """Fail before any check runs when the ``--json`` report could not be written at the end."""
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write --json {path}: the directory {folder} does not exist")
    if path.is_dir():
        raise UsageError(f"cannot write --json {path}: it is a directory")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise UsageError(f"cannot write --json {path}: permission denied")


def _verify_all(
    subjects: list[_Subject], options: dict, console: Console
) -> list[tuple[_Subject, VerificationReport, float]]:
    results = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("verifying", total=len(subjects))
        for s in subjects:
            progress.update(task, description=f"verifying {s.label}")
            start = time.perf_counter()
            if callable(s.build) and not _is_operator(s.build):
                try:
                    op = s.build()
                except Exception as exc:
                    raise UsageError(f"building {s.label} raised {type(exc).__name__}: {exc}") from exc
            else:
                op = s.build
            try:
                report = verify(op, **options)
            except (TypeError, ValueError) as exc:  # the target or --input-shape/--dtype, not a failed check
                raise UsageError(f"{s.label}: {exc}") from exc
            results.append((s, report, time.perf_counter() - start))
            progress.advance(task)
    return results


def _table(results, checks: tuple[str, ...]) -> Table:
    table = Table(title="linop verify", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("operator", overflow="fold", ratio=1)
    for name in checks:
        table.add_column(name, justify="center", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    for s, report, seconds in results:
        cells = []
        for name in checks:
            symbol, style = _SYMBOLS[report[name].status]
            cells.append(f"[{style}]{symbol}[/]")
        table.add_row(s.label, *cells, f"{seconds:.2f}s")
    return table


def _json_document(results, options: dict) -> dict:
    return {
        "passed": all(r.passed for _, r, _ in results),
        "checks": list(options["checks"]),
        "operators": [
            {"name": s.label, "description": s.description, "seconds": round(seconds, 4), "report": r.to_dict()}
            for s, r, seconds in results
        ],
    }


def _console(to_stderr: bool) -> Console:
    """A console for progress and tables; at least 120 columns when the output is not a terminal (logs, pipes)."""
    console = Console(stderr=to_stderr, highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=to_stderr, highlight=False, width=max(console.width, 120))
    return console


def _print_error(message: str) -> None:
    """An error goes to standard error (as ``linop derive`` and argparse put theirs)."""
    Console(stderr=True, highlight=False).print(
        f"linop verify: error: {message}", style="red", markup=False, soft_wrap=True
    )


def run(args: argparse.Namespace) -> int:
    console = _console(to_stderr=args.json == "-")
    try:
        if args.list:
            from ..verification.builtin import catalogue

            for e in catalogue():
                console.print(f"[bold]{e.name}[/]: {e.description}", soft_wrap=True)
            return 0
        options = _options(args)
        subjects = _subjects(args)
        start = time.perf_counter()
        results = _verify_all(subjects, options, console)
    except UsageError as exc:
        _print_error(str(exc))
        return 2
    elapsed = time.perf_counter() - start
    console.print(_table(results, options["checks"]))
    for s, r, _ in results:
        spaces = r.inner_products or {}
        if spaces.get("source", "default") != "default" or spaces.get("adjoint") == "A*":
            console.print(f"inner products of {s.label}: {spaces['text']}", markup=False, soft_wrap=True)
    failed = [(s, r) for s, r, _ in results if not r.passed]
    for s, r in failed:
        for c in r.failed:
            console.print(f"✗ {s.label} [{c.name}]: {c.message}", style="red", markup=False, soft_wrap=True)
        if not any(not c.skipped for c in r.checks):
            console.print(f"✗ {s.label}: no check ran", style="red", markup=False, soft_wrap=True)
    if failed:
        console.print(
            f"{len(failed)} of {len(results)} operators failed verification ({elapsed:.1f} s; "
            f"seeds are in the JSON report)",
            style="bold red",
            soft_wrap=True,
        )
    else:
        subject = "the operator" if len(results) == 1 else f"all {len(results)} operators"
        console.print(
            f"{subject} passed every check that applies ({elapsed:.1f} s)", style="bold green", soft_wrap=True
        )
    if args.json is not None:
        document = json.dumps(_json_document(results, options), indent=2)
        if args.json == "-":
            sys.stdout.write(document + "\n")
        else:
            try:
                Path(args.json).write_text(document + "\n")
            except OSError as exc:
                _print_error(f"cannot write {args.json}: {exc}")
                return 2
    return 1 if failed else 0
