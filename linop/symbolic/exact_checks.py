"""Exact checks of the lecture's statements, each returning a :class:`ProofResult`.

Every check works in exact arithmetic with sparse bookkeeping (coefficient dicts keyed
by matrix entry or monomial; no giant expression is ever expanded) and raises nothing
when its statement is false: the result says ``holds=False`` and carries a
:class:`Counterexample` (the first entry where the two sides differ).

* :func:`check_linearity`: ``A(a x + b y) - a A x - b A y = 0`` with symbolic ``a, b, x, y``;
* :func:`check_adjoint_identity`: ``<A x, y> = <x, B y>`` as a polynomial identity in
  ``x``, ``conj(y)`` and the kernel: the coefficient of every monomial ``x_c conj(y_r)``
  is ``A[r, c]`` on the left and ``conj(B[c, r])`` on the right;
* :func:`check_adjoint_formula`: a formula for ``A^H`` against the conjugate transpose of
  the matrix, entry by entry, and its lambdified form against a numeric adjoint;
* :func:`check_shape_reversal`: ``A: C^N -> C^M`` and ``A^H: C^M -> C^N``, with the shapes.

The inner product is ``<u, v> = sum_i u_i conj(v_i)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy import Expr

from .affine_sum import AffineSum
from .evaluate import lambdify_formula, sparse_entries
from .matrix import first_difference
from .steps import Formula, Step, latex_text

__all__ = [
    "Counterexample",
    "ProofReport",
    "ProofResult",
    "check_adjoint_formula",
    "check_adjoint_identity",
    "check_linearity",
    "check_matrix_equals",
    "check_matrix_vector_product",
    "check_shape_reversal",
    "index_text",
    "vector_symbols",
]


@dataclass(frozen=True)
class Counterexample:
    """Where a statement fails: the entry (or monomial) and the value each side has there.

    Parameters
    ----------
    location : str
        Where the statement fails (an entry, a monomial).
    left, right : object
        The value of each side there.
    left_name, right_name : str
        What the two sides are called (``"<A x, y>"``).

    Examples
    --------
    >>> import dataclasses, sympy
    >>> from linop import symbolic
    >>> A = symbolic.Convolution(input_shape=3, kernel_shape=2)
    >>> wrong = dataclasses.replace(A.adjoint_formula, terms=tuple(
    ...     dataclasses.replace(t, coefficient=t.coefficient.replace(sympy.conjugate, lambda e: e))
    ...     for t in A.adjoint_formula.terms))                  # forgot the conjugation
    >>> print(A.check_adjoint_identity(wrong).counterexample.text())
    at coefficient of x[0]*conj(y[0]): <A x, y> = k_0, <x, A^H y> = conjugate(k_0)
    """

    location: str
    left: object
    right: object
    left_name: str = "left"
    right_name: str = "right"

    def text(self) -> str:
        return f"at {self.location}: {self.left_name} = {_sstr(self.left)}, {self.right_name} = {_sstr(self.right)}"

    def latex(self) -> str:
        return (
            f"at {latex_text(self.location)}: {latex_text(self.left_name)} $= {_latex(self.left)}$, "
            f"{latex_text(self.right_name)} $= {_latex(self.right)}$"
        )

    def markdown(self) -> str:
        return (
            f"at `{self.location}`: {self.left_name} $= {_latex(self.left)}$, "
            f"{self.right_name} $= {_latex(self.right)}$"
        )


def _sstr(value: object) -> str:
    return value if isinstance(value, str) else sympy.sstr(value)


def _latex(value: object) -> str:
    return r"\text{" + latex_text(value) + "}" if isinstance(value, str) else sympy.latex(value)


@dataclass(frozen=True)
class ProofResult:
    """The outcome of one exact check.

    Parameters
    ----------
    name : str
        Short name of the statement (``"adjoint identity"``).
    statement : Formula
        The statement in plain text and LaTeX.
    holds : bool
        Whether it was verified.
    steps : tuple of Step
        What was computed and compared, in order.
    counterexample : Counterexample or None
        The first entry where it fails (``None`` when it holds).
    seconds : float
        Wall time of the check.

    Examples
    --------
    >>> from linop import symbolic
    >>> result = symbolic.Convolution(input_shape=5, kernel_shape=2).check_linearity()
    >>> result.name, result.holds, result.counterexample
    ('linearity', True, None)
    """

    name: str
    statement: Formula
    holds: bool
    steps: tuple[Step, ...] = ()
    counterexample: Counterexample | None = None
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.holds

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "FAILS"

    def text(self) -> str:
        """Plain-text certificate: statement, numbered steps, verdict."""
        lines = [f"{self.name}: {self.verdict}", f"  statement: {self.statement.text}"]
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"  {number}. {step.text()}")
        if self.counterexample is not None:
            lines.append(f"  counterexample: {self.counterexample.text()}")
        lines.append(f"  verdict: {self.verdict} ({self.seconds:.2f} s)")
        return "\n".join(lines)

    def markdown(self) -> str:
        """Markdown certificate with LaTeX math (``$...$``)."""
        lines = [
            f"### {self.name[:1].upper() + self.name[1:]}: {self.verdict}",
            "",
            f"**Statement.** ${self.statement.latex}$",
            "",
        ]
        if self.steps:
            lines.append("**Steps.**")
            lines.append("")
            lines += [f"{n}. {s.markdown()}" for n, s in enumerate(self.steps, start=1)]
            lines.append("")
        if self.counterexample is not None:
            lines += [f"**Counterexample.** {self.counterexample.markdown()}", ""]
        lines.append(f"**Verdict.** {self.verdict} (checked in exact arithmetic, {self.seconds:.2f} s).")
        return "\n".join(lines)

    def latex(self) -> str:
        """A LaTeX fragment: a paragraph with the statement, the steps as a list, the verdict."""
        lines = [
            rf"\paragraph{{{latex_text(self.name[:1].upper() + self.name[1:])} ({self.verdict}).}}",
            rf"${self.statement.latex}$",
        ]
        if self.steps:
            lines.append(r"\begin{enumerate}")
            lines += [rf"  \item {s.latex()}" for s in self.steps]
            lines.append(r"\end{enumerate}")
        if self.counterexample is not None:
            lines.append(rf"Counterexample: {self.counterexample.latex()}.")
        lines.append(rf"Verdict: {self.verdict}.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class ProofReport:
    """Several :class:`ProofResult` s; holds when all of them hold.

    Parameters
    ----------
    title : str
        What was proved.
    results : tuple of ProofResult
        The checks.

    Examples
    --------
    >>> from linop import symbolic
    >>> report = symbolic.Convolution(input_shape=5, kernel_shape=2).prove()
    >>> report.holds, len(report.results)
    (True, 4)
    """

    title: str
    results: tuple[ProofResult, ...] = field(default=())

    @property
    def holds(self) -> bool:
        return all(r.holds for r in self.results)

    def __bool__(self) -> bool:
        return self.holds

    def __iter__(self):
        return iter(self.results)

    def __getitem__(self, name: str) -> ProofResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"no check named {name!r}; have {[r.name for r in self.results]}")

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.results)

    def text(self) -> str:
        head = f"{self.title}: {'all statements hold' if self.holds else 'SOME STATEMENTS FAIL'}"
        return "\n\n".join([head] + [r.text() for r in self.results])

    def markdown(self) -> str:
        head = f"## {self.title}\n\n**Verdict:** {'all statements hold' if self.holds else 'some statements fail'}."
        return "\n\n".join([head] + [r.markdown() for r in self.results])

    def latex(self) -> str:
        return "\n\n".join([rf"\subsection*{{{latex_text(self.title)}}}"] + [r.latex() for r in self.results])

    def __str__(self) -> str:
        return self.text()


# -- helpers -------------------------------------------------------------------------------
def vector_symbols(name: str, shape: Sequence[int], *, real: bool = False) -> np.ndarray:
    """An object array of symbols ``x_0``, ``x_0,1,2`` ... with the given shape."""
    out = np.empty(tuple(shape), dtype=object)
    assumptions = {"real": True} if real else {}
    for index in np.ndindex(*shape):
        out[index] = sympy.Symbol(f"{name}_{','.join(map(str, index))}", **assumptions)
    return out


def _space(shape: Sequence[int], real: bool = False) -> Formula:
    dims = r" \times ".join(str(int(n)) for n in shape)
    field_ = "R" if real else "C"
    return Formula(f"{field_}^({' x '.join(str(int(n)) for n in shape)})", rf"\mathbb{{{field_}}}^{{{dims}}}")


def index_text(flat: int, shape: Sequence[int]) -> str:
    """A C-order flat index as ``"i,j,c"`` (or a note when it lies outside the shape)."""
    shape = tuple(int(n) for n in shape)
    size = math.prod(shape)
    if 0 <= flat < size:
        return ",".join(map(str, np.unravel_index(flat, shape)))
    return f"(flat {flat}, outside the shape {shape})"


def _rows(entries: Mapping[tuple[int, int], Expr]) -> dict[int, list[tuple[int, Expr]]]:
    rows: dict[int, list[tuple[int, Expr]]] = {}
    for (r, c), v in entries.items():
        rows.setdefault(r, []).append((c, v))
    return rows


# -- linearity -----------------------------------------------------------------------------
def _apply_to_forms(rows: Mapping[int, list[tuple[int, Expr]]], vector: Sequence[dict]) -> dict[int, dict]:
    """Apply a sparse matrix to a vector of linear forms ``{monomial: coefficient}``; the
    coefficients of each monomial are collected as lists (added up once, at the end)."""
    out: dict[int, dict] = {}
    one = sympy.Integer(1)
    for r, items in rows.items():
        acc: dict = {}
        for c, a in items:
            for mono, coef in vector[c].items():
                acc.setdefault(mono, []).append(a if coef is one else a * coef)
        out[r] = acc
    return out


def check_linearity(
    operator: Mapping[tuple[int, int], Expr] | Callable[[np.ndarray], object],
    input_shape: Sequence[int],
    output_shape: Sequence[int],
    *,
    name: str = "A",
) -> ProofResult:
    """Check ``A(a x + b y) - a A(x) - b A(y) = 0`` for symbolic scalars ``a, b`` and vectors ``x, y``.

    Parameters
    ----------
    operator : dict or callable
        Either the exact sparse entries ``{(row, col): value}`` of the map as it acts
        (bookkeeping per monomial ``a x_c``, ``b y_c``: no expansion of large expressions),
        or any function taking an object array of ``input_shape`` and returning one of
        ``output_shape`` (then each output entry of the residual is expanded).
    input_shape, output_shape : tuple of int
    name : str
        How the operator is called in the statement.

    Returns
    -------
    ProofResult
        With the first non-zero residual entry as counterexample when the map is not linear.
    """
    start = time.perf_counter()
    input_shape, output_shape = tuple(input_shape), tuple(output_shape)
    a, b = sympy.symbols("a b")
    statement = Formula(
        f"{name}(a x + b y) = a {name}(x) + b {name}(y) for all x, y in {_space(input_shape).text} "
        f"and all scalars a, b",
        rf"{name}(a x + b y) = a\, {name}(x) + b\, {name}(y) "
        rf"\quad \forall\, x, y \in {_space(input_shape).latex},\ a, b \in \mathbb{{C}}",
    )
    n_in, n_out = math.prod(input_shape), math.prod(output_shape)
    steps = [Step(f"symbols: scalars a, b and vectors x, y with {n_in} entries each")]
    if callable(operator):
        x = vector_symbols("x", input_shape)
        y = vector_symbols("y", input_shape)
        combo = np.empty(input_shape, dtype=object)
        for idx in np.ndindex(*input_shape):
            combo[idx] = a * x[idx] + b * y[idx]
        outs = [np.asarray(operator(v), dtype=object).reshape(-1) for v in (combo, x, y)]
        if any(o.size != n_out for o in outs):
            raise ValueError(f"operator must return {n_out} entries (shape {output_shape})")
        steps.append(
            Step(f"applied {name} to a x + b y, to x and to y and expanded each of the {n_out} residual entries")
        )
        for r in range(n_out):
            residual = sympy.expand(outs[0][r] - a * outs[1][r] - b * outs[2][r])
            if residual != 0:
                ce = Counterexample(f"output entry {index_text(r, output_shape)}", residual, 0, "residual", "expected")
                return ProofResult("linearity", statement, False, tuple(steps), ce, time.perf_counter() - start)
        steps.append(Step("every residual entry expands to zero"))
        return ProofResult("linearity", statement, True, tuple(steps), None, time.perf_counter() - start)
    rows = _rows(operator)
    one = sympy.Integer(1)
    # Monomials are keyed by tuples (scalar, vector, index); SymPy monomials are built only
    # for a counterexample.
    combo_forms = [{("a", "x", c): one, ("b", "y", c): one} for c in range(n_in)]
    left = _apply_to_forms(rows, combo_forms)
    ax = _apply_to_forms(rows, [{("x", c): one} for c in range(n_in)])
    by = _apply_to_forms(rows, [{("y", c): one} for c in range(n_in)])
    steps.append(
        Step(
            f"applied {name} to a x + b y, x and y, keeping each output entry as a sum of monomials "
            f"a x_c, b y_c with coefficients in the kernel ({len(operator)} matrix entries)"
        )
    )
    monomials = 0
    for r in sorted(set(left) | set(ax) | set(by)):
        right: dict = {}
        for (vec, c), coefs in ax.get(r, {}).items():
            right.setdefault(("a", vec, c), []).extend(coefs)
        for (vec, c), coefs in by.get(r, {}).items():
            right.setdefault(("b", vec, c), []).extend(coefs)
        lhs = {m: sympy.Add(*c) for m, c in left.get(r, {}).items()}
        rhs = {m: sympy.Add(*c) for m, c in right.items()}
        monomials += len(set(lhs) | set(rhs))
        diff = first_difference(lhs, rhs)
        if diff is not None:
            (scalar, vec, c), lv, rv = diff
            mono = sympy.Symbol(scalar) * sympy.Symbol(f"{vec}_{index_text(c, input_shape)}")
            ce = Counterexample(
                f"output entry {index_text(r, output_shape)}, coefficient of {mono}",
                lv,
                rv,
                f"{name}(a x + b y)",
                f"a {name}(x) + b {name}(y)",
            )
            return ProofResult("linearity", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(
        Step(
            f"compared the two sides monomial by monomial in all {n_out} output entries "
            f"({monomials} monomials): every coefficient agrees, so the residual is the zero polynomial"
        )
    )
    return ProofResult("linearity", statement, True, tuple(steps), None, time.perf_counter() - start)


# -- adjoint identity ----------------------------------------------------------------------
def check_adjoint_identity(
    forward: Mapping[tuple[int, int], Expr],
    adjoint: Mapping[tuple[int, int], Expr],
    input_shape: Sequence[int],
    output_shape: Sequence[int],
    *,
    forward_source: str = "the forward formula",
    adjoint_source: str = "the derived adjoint formula",
    reference: Mapping[tuple[int, int], Expr] | None = None,
    reference_source: str = "the matrix",
    real: bool = False,
) -> ProofResult:
    """Check ``<A x, y> = <x, B y>`` for all ``x``, ``y`` and all kernel values, exactly.

    Both sides are polynomials in ``x``, ``conj(y)`` and the kernel symbols: ``<A x, y> =
    sum_{r,c} A[r, c] x_c conj(y_r)`` and ``<x, B y> = sum_{c,r} conj(B[c, r]) x_c conj(y_r)``.
    Two polynomials are equal exactly when the coefficients of every monomial
    ``x_c conj(y_r)`` are equal; these are compared one by one (each a small polynomial in
    the kernel, expanded only when the two are not already identical).

    Parameters
    ----------
    forward, adjoint : dict
        Exact sparse entries of ``A`` (``M x N``) and of the candidate ``B`` (``N x M``).
    input_shape, output_shape : tuple of int
        Shapes of ``x`` and ``y`` (for the statement and the counterexample's indices).
    forward_source, adjoint_source : str
        Where the entries came from (for the steps).
    reference : dict, optional
        Entries ``A`` must also agree with (the operator's matrix), so the identity is
        about this operator and not only about its formula.
    real : bool
        State the identity over the reals (all symbols real).
    """
    start = time.perf_counter()
    input_shape, output_shape = tuple(input_shape), tuple(output_shape)
    xs, ys = _space(input_shape, real), _space(output_shape, real)
    conj_text = "y" if real else "conj(y)"
    statement = Formula(
        f"<A x, y> = <x, A^H y> for all x in {xs.text}, y in {ys.text} and every kernel: "
        f"a polynomial identity in x, {conj_text} and the kernel",
        rf"\langle A x, y \rangle = \langle x, A^{{H}} y \rangle \quad \forall\, x \in {xs.latex},\ y \in {ys.latex}",
    )
    steps: list[Step] = []
    if reference is not None:
        diff = first_difference(forward, reference)
        steps.append(
            Step(f"{forward_source} reproduces {reference_source} entry by entry ({len(reference)} entries)")
            if diff is None
            else Step(f"{forward_source} differs from {reference_source}")
        )
        if diff is not None:
            (r, c), lv, rv = diff
            ce = Counterexample(
                f"matrix entry (row {index_text(r, output_shape)}, column {index_text(c, input_shape)})",
                lv,
                rv,
                forward_source,
                reference_source,
            )
            return ProofResult("adjoint identity", statement, False, tuple(steps), ce, time.perf_counter() - start)
    left = {(c, r): v for (r, c), v in forward.items()}
    right = {(c, r): sympy.conjugate(v) for (c, r), v in adjoint.items()}
    steps.append(
        Step(
            f"<A x, y> = sum A[r,c] x_c {conj_text.replace('y', 'y_r')} with A from {forward_source}: "
            f"{len(left)} monomials",
            Formula(
                "<A x, y> = sum_{r,c} A[r,c] x_c conj(y_r)",
                r"\langle A x, y\rangle = \sum_{r,c} A_{rc}\, x_c\, \overline{y_r}",
            ),
        )
    )
    steps.append(
        Step(
            f"<x, A^H y> = sum x_c conj((A^H y)_c) = sum conj(A^H[c,r]) x_c {conj_text.replace('y', 'y_r')} "
            f"with A^H from {adjoint_source}: {len(right)} monomials",
            Formula(
                "<x, A^H y> = sum_{c,r} conj(A^H[c,r]) x_c conj(y_r)",
                r"\langle x, A^{H} y\rangle = \sum_{c,r} \overline{(A^{H})_{cr}}\, x_c\, \overline{y_r}",
            ),
        )
    )
    diff = first_difference(left, right)
    if diff is not None:
        (c, r), lv, rv = diff
        ce = Counterexample(
            f"coefficient of x[{index_text(c, input_shape)}]*{'' if real else 'conj'}"
            f"(y[{index_text(r, output_shape)}])",
            lv,
            rv,
            "<A x, y>",
            "<x, A^H y>",
        )
        steps.append(Step("compared the coefficients of every monomial: they differ"))
        return ProofResult("adjoint identity", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(
        Step(
            f"compared the coefficients of all {len(set(left) | set(right))} monomials "
            f"x_c {conj_text.replace('y', 'y_r')} "
            f"(polynomials in the kernel): all equal, so the two sides are the same polynomial"
        )
    )
    return ProofResult("adjoint identity", statement, True, tuple(steps), None, time.perf_counter() - start)


# -- adjoint formula -----------------------------------------------------------------------
def check_adjoint_formula(
    formula: AffineSum,
    adjoint_matrix: Mapping[tuple[int, int], Expr],
    arrays: Mapping[str, object],
    *,
    numeric: tuple[Callable[[np.ndarray], np.ndarray], Mapping[str, np.ndarray], np.ndarray] | None = None,
    tolerance: float = 1e-9,
) -> ProofResult:
    """Check a formula for ``A^H`` entry by entry against the conjugate transpose of the matrix,
    and its lambdified form against a numeric adjoint.

    Parameters
    ----------
    formula : AffineSum
        The candidate adjoint formula (``x[i] = ...``).
    adjoint_matrix : dict
        Exact entries of ``A^H`` (the conjugate transpose of the operator's matrix).
    arrays : mapping
        Coefficient arrays for the exact evaluation (``{"k": kernel symbols}``).
    numeric : (apply_adjoint, numeric arrays, y), optional
        A numeric adjoint ``apply_adjoint(y)``, the numeric coefficient arrays for the
        lambdified formula (``{"k": kernel values}``) and a test vector ``y``.
    tolerance : float
        Relative tolerance of the numeric comparison (max error / max magnitude).
    """
    start = time.perf_counter()
    target, source = tuple(formula.target_shape), tuple(formula.source_shape)
    short = len(str(formula)) <= 160
    statement = Formula(
        f"the adjoint formula {formula if short else ''}{' ' if short else ''}"
        f"gives A^H, entry by entry and numerically",
        (
            rf"{sympy.latex(formula.equation)} \quad\text{{is }} A^{{H}}"
            if short
            else r"\text{the derived formula for } A^{H} y \text{ is } A^{H}"
        ),
    )
    entries = sparse_entries(formula, arrays)
    steps = [Step(f"evaluated the formula exactly at every output index: {len(entries)} non-zero entries")]
    diff = first_difference(entries, adjoint_matrix)
    if diff is not None:
        (r, c), lv, rv = diff
        ce = Counterexample(
            f"entry (row {index_text(r, target)}, column {index_text(c, source)}) of A^H",
            lv,
            rv,
            "formula",
            "conjugate transpose of the matrix",
        )
        steps.append(Step("compared with the conjugate transpose of the matrix: they differ"))
        return ProofResult("adjoint formula", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(Step(f"equal to the conjugate transpose of the matrix in all {len(adjoint_matrix)} non-zero entries"))
    if numeric is not None:
        apply_adjoint, values, y = numeric
        got = lambdify_formula(formula)(y, **values)
        expected = np.asarray(apply_adjoint(y))
        scale = max(float(np.max(np.abs(expected), initial=0.0)), 1.0)
        error = np.abs(got - expected)
        worst = float(np.max(error, initial=0.0))
        if not worst <= tolerance * scale:
            where = np.unravel_index(int(np.argmax(error)), error.shape)
            ce = Counterexample(
                f"output entry {','.join(map(str, where))} on a random y",
                sympy.sympify(complex(got[where])),
                sympy.sympify(complex(expected[where])),
                "lambdified formula",
                "numeric A^H",
            )
            steps.append(Step(f"lambdified formula vs the numeric adjoint on random values: max error {worst:.3g}"))
            return ProofResult("adjoint formula", statement, False, tuple(steps), ce, time.perf_counter() - start)
        steps.append(
            Step(
                f"lambdified with sympy.lambdify and evaluated on random kernel values and a random y: "
                f"agrees with the numeric adjoint to {worst / scale:.1e} (relative; tolerance {tolerance:g})"
            )
        )
    return ProofResult("adjoint formula", statement, True, tuple(steps), None, time.perf_counter() - start)


# -- shape reversal ------------------------------------------------------------------------
def check_shape_reversal(
    matrix_shape: tuple[int, int],
    adjoint_matrix_shape: tuple[int, int],
    formula: AffineSum,
    input_shape: Sequence[int],
    output_shape: Sequence[int],
    entries: Mapping[tuple[tuple[int, ...], tuple[int, ...]], Expr] | None = None,
    *,
    spatial_axes: int | None = None,
) -> ProofResult:
    """Check that ``A: C^N -> C^M`` has ``A^H: C^M -> C^N`` with the shapes reversed.

    Compares the matrix shape ``(M, N)``, the adjoint matrix shape ``(N, M)``, the shapes
    the adjoint formula writes and reads, and (with ``entries`` from
    :func:`~linop.symbolic.evaluate.formula_entries`) that every entry of the formula lies
    inside those shapes. With ``spatial_axes`` (the number of leading spatial axes of both
    shapes) it also states how the spatial size changes.
    """
    start = time.perf_counter()
    input_shape, output_shape = tuple(int(n) for n in input_shape), tuple(int(n) for n in output_shape)
    n_in, n_out = math.prod(input_shape), math.prod(output_shape)
    xs, ys = _space(input_shape), _space(output_shape)
    statement = Formula(
        f"A maps {xs.text} to {ys.text}; A^H maps {ys.text} back to {xs.text}",
        rf"A: {xs.latex} \to {ys.latex}, \qquad A^{{H}}: {ys.latex} \to {xs.latex}",
    )
    steps: list[Step] = []
    failure: Counterexample | None = None

    def expect(what: str, got: object, wanted: object) -> None:
        nonlocal failure
        if got == wanted:
            steps.append(Step(f"{what}: {got}"))
        elif failure is None:
            failure = Counterexample(what, str(got), str(wanted), "got", "expected")
            steps.append(Step(f"{what}: {got}, expected {wanted}"))

    expect("matrix of A (rows = output entries, columns = input entries)", tuple(matrix_shape), (n_out, n_in))
    expect("matrix of A^H", tuple(adjoint_matrix_shape), (n_in, n_out))
    expect("the adjoint formula writes arrays of shape", tuple(int(n) for n in formula.target_shape), input_shape)
    expect("the adjoint formula reads arrays of shape", tuple(int(n) for n in formula.source_shape), output_shape)
    if entries is not None and failure is None:
        outside = [
            (t, s)
            for (t, s) in entries
            if any(not 0 <= a < n for a, n in zip(t, input_shape))
            or any(not 0 <= a < n for a, n in zip(s, output_shape))
        ]
        if outside:
            t, s = outside[0]
            failure = Counterexample(
                "an entry of the adjoint formula", f"x{list(t)} from y{list(s)}", "inside the shapes"
            )
            steps.append(Step("the adjoint formula reaches outside the shapes"))
        else:
            steps.append(Step(f"all {len(entries)} entries of the adjoint formula stay inside these shapes"))
    spatial_in, spatial_out = input_shape[:spatial_axes], output_shape[:spatial_axes]
    if spatial_axes and math.prod(spatial_out) < math.prod(spatial_in):
        steps.append(
            Step(
                f"A reduces the spatial size {'x'.join(map(str, spatial_in))} to {'x'.join(map(str, spatial_out))}; "
                f"A^H increases it back from {'x'.join(map(str, spatial_out))} to {'x'.join(map(str, spatial_in))} "
                f"(the transposed convolution increases resolution)"
            )
        )
    holds = failure is None
    return ProofResult("shape reversal", statement, holds, tuple(steps), failure, time.perf_counter() - start)


# -- matrices ------------------------------------------------------------------------------
def check_matrix_equals(
    matrix: sympy.MatrixBase, expected: sympy.MatrixBase, *, name: str = "A", expected_name: str = "the expected matrix"
) -> ProofResult:
    """Check that a SymPy matrix equals an expected one exactly (shape and every entry)."""
    start = time.perf_counter()
    statement = Formula(
        f"the matrix of {name} is {expected_name}",
        rf"{name} = {sympy.latex(sympy.Matrix(expected))}"
        if expected.rows * expected.cols <= 400
        else rf"{name} = \text{{{latex_text(expected_name)}}}",
    )
    steps = [
        Step(f"the matrix of {name} has shape {tuple(matrix.shape)}; {expected_name} has shape {tuple(expected.shape)}")
    ]
    if matrix.shape != expected.shape:
        ce = Counterexample("the shape", str(tuple(matrix.shape)), str(tuple(expected.shape)), name, expected_name)
        return ProofResult("matrix", statement, False, tuple(steps), ce, time.perf_counter() - start)
    diff = first_difference(
        {(r, c): matrix[r, c] for r in range(matrix.rows) for c in range(matrix.cols)},
        {(r, c): expected[r, c] for r in range(expected.rows) for c in range(expected.cols)},
    )
    if diff is not None:
        (r, c), lv, rv = diff
        ce = Counterexample(f"entry ({r}, {c})", lv, rv, name, expected_name)
        return ProofResult("matrix", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(Step(f"all {matrix.rows * matrix.cols} entries are equal (exact comparison)"))
    return ProofResult("matrix", statement, True, tuple(steps), None, time.perf_counter() - start)


def check_matrix_vector_product(
    apply: Callable[[np.ndarray], np.ndarray],
    matrix: sympy.MatrixBase,
    input_shape: Sequence[int],
    output_shape: Sequence[int],
    *,
    name: str = "A",
) -> ProofResult:
    """Check that applying the operator (its defining sum) to a vector of symbols ``x`` equals
    the matrix-vector product ``M vec(x)`` entry by entry (C-order flattening)."""
    start = time.perf_counter()
    input_shape, output_shape = tuple(input_shape), tuple(output_shape)
    x = vector_symbols("x", input_shape)
    statement = Formula(
        f"{name} x = M vec(x) for every x in {_space(input_shape).text}: the operator is a matrix-vector product",
        rf"\operatorname{{vec}}({name} x) = M \operatorname{{vec}}(x) "
        rf"\quad \forall\, x \in {_space(input_shape).latex}",
    )
    got = np.asarray(apply(x), dtype=object).reshape(-1)
    product = matrix * sympy.Matrix(x.reshape(-1).tolist())
    steps = [
        Step(f"applied the defining sum of {name} to symbols x ({x.size} entries)"),
        Step(f"multiplied the {matrix.rows} x {matrix.cols} matrix M by vec(x)"),
    ]
    for r in range(matrix.rows):
        if sympy.expand(got[r] - product[r]) != 0:
            ce = Counterexample(
                f"output entry {index_text(r, output_shape)}", got[r], product[r], f"({name} x)", "(M vec(x))"
            )
            return ProofResult("matrix-vector product", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(Step(f"all {matrix.rows} entries agree as polynomials in x and the kernel"))
    return ProofResult("matrix-vector product", statement, True, tuple(steps), None, time.perf_counter() - start)
