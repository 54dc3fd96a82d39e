"""The verification checks: one function per law a linear operator and its adjoint must obey.

Each check takes an :class:`~linop.verification.operands.OperatorUnderTest` and returns a
:class:`~linop.verification.report.CheckResult`. The tolerance ``tau = C eps sqrt(n)``
and its reasoning are in :mod:`linop.verification.tolerance`; each check states the
identity, the normalised error it measures and the scale it divides by. A check that
does not apply returns a skipped result with the reason; none passes without having
measured something.

Every check works on a plain :class:`scipy.sparse.linalg.LinearOperator` through
``matvec``/``matmat``/``rmatvec``/``rmatmat``/``H``; shaped operators (with
``input_shape``/``output_shape``, and ``apply``/``apply_adjoint`` when present) get
the shaped extras by duck typing.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .operands import OperatorFailure, OperatorUnderTest, double, inner, norm, relative_difference
from .probes import probe_adjoint
from .report import CheckResult
from .reproducibility import REROLLS, SYSTEMATIC_FRACTION, is_reproducible, perturb

__all__ = [
    "CHECKS",
    "MATRIX_MAX_ENTRIES",
    "MATRIX_MAX_SIZE",
    "adjoint_identity",
    "linearity",
    "matrix_agreement",
    "probe_agreement",
    "purity",
    "shape_reversal",
    "symbolic_proof",
]

#: Largest ``M * N`` for which ``matrix`` builds both explicit matrices.
MATRIX_MAX_ENTRIES = 1_000_000
#: Largest ``M`` or ``N`` for which ``matrix`` builds both explicit matrices.
MATRIX_MAX_SIZE = 4096


def _fmt(v: complex | float) -> str:
    v = complex(v)
    if v.imag == 0:
        return f"{v.real:.6g}"
    return f"{v.real:.6g}{v.imag:+.6g}j"


def _rank(error: float) -> float:
    """Sort key of a normalised error: NaN (an unusable result) ranks above everything."""
    return math.inf if math.isnan(error) else error


# -- shapes -----------------------------------------------------------------------------
def shape_reversal(ut: OperatorUnderTest) -> CheckResult:
    """Shape reversal: ``A^H`` maps the output space back to the input space.

    * ``A.H.shape == A.shape[::-1]``; ``matvec``/``rmatvec``/``matmat``/``rmatmat`` return
      ``(M,)``, ``(N,)``, ``(M, k)``, ``(N, k)``;
    * the interfaces agree: ``matmat`` columns equal ``matvec`` of each column,
      ``rmatmat`` columns equal ``rmatvec``, ``A.H.matvec == A.rmatvec`` and
      ``A.H.rmatvec == A.matvec``;
    * shaped operators: ``prod(input_shape) == N``, ``prod(output_shape) == M``,
      ``A.H`` swaps ``input_shape``/``output_shape`` (when it declares them),
      ``apply``/``apply_adjoint`` return ``output_shape``/``input_shape`` (with leading
      batch axes) and agree with ``matvec``/``rmatvec``.

    Agreement is ``||a - b|| / (||a|| + ||b||) <= tau``.
    """
    name = "shapes"
    op, M, N = ut.op, ut.rows, ut.cols
    if ut.shape_problem:
        return CheckResult(
            name, False, message=f"declared shapes do not match A.shape = {op.shape}: {ut.shape_problem}"
        )
    try:
        H = op.H
    except Exception as exc:
        return CheckResult(name, False, message=f"A.H raised {type(exc).__name__}: {exc}")
    if tuple(H.shape) != (N, M):
        return CheckResult(
            name, False, message=f"A.H.shape is {tuple(H.shape)} but A.shape is {op.shape}; expected {(N, M)}"
        )
    if ut.shaped:
        h_in, h_out = getattr(H, "input_shape", None), getattr(H, "output_shape", None)
        if (
            h_in is not None
            and h_out is not None
            and (tuple(h_in) != ut.output_shape or tuple(h_out) != ut.input_shape)
        ):
            return CheckResult(
                name,
                False,
                message=f"A maps {ut.input_shape} -> {ut.output_shape} but A.H maps "
                f"{tuple(h_in)} -> {tuple(h_out)}; expected {ut.output_shape} -> {ut.input_shape}",
            )

    def agreement_pairs(x, y, X, Y) -> tuple[list[tuple[str, np.ndarray, np.ndarray]], list[str]]:
        """Pairs of results that must agree, computed from the test vectors through every interface."""
        ax = ut.expect_shape("A x (matvec)", ut.call("A x (matvec)", op.matvec, x), (M,))
        ahy = ut.expect_shape("A^H y (rmatvec)", ut.call("A^H y (rmatvec)", op.rmatvec, y), (N,))
        hint = "; scipy passes (N, 1) columns to matvec (its default matmat does): accept (N,) and (N, 1)"
        for what, fn, v, shape in (
            ("A x for a column x (matvec)", op.matvec, x, (M, 1)),
            ("A^H y for a column y (rmatvec)", op.rmatvec, y, (N, 1)),
        ):
            try:
                ut.expect_shape(what, ut.call(what, fn, v[:, None]), shape)
            except OperatorFailure as failure:
                raise OperatorFailure(failure.what, failure.problem + hint) from failure
        AX, AHY = ut.forward(X), ut.adjoint(Y)
        pairs = []
        for k in range(X.shape[1]):
            pairs.append(
                (
                    f"column {k} of A X (matmat) vs A x (matvec)",
                    AX[:, k],
                    ut.expect_shape("A x (matvec)", ut.call("A x (matvec)", op.matvec, X[:, k]), (M,)),
                )
            )
            pairs.append(
                (
                    f"column {k} of A^H Y (rmatmat) vs A^H y (rmatvec)",
                    AHY[:, k],
                    ut.expect_shape("A^H y (rmatvec)", ut.call("A^H y (rmatvec)", op.rmatvec, Y[:, k]), (N,)),
                )
            )
        h_mv = ut.expect_shape("A.H.matvec(y)", ut.call("A.H.matvec(y)", H.matvec, y), (N,))
        h_rmv = ut.expect_shape("A.H.rmatvec(x)", ut.call("A.H.rmatvec(x)", H.rmatvec, x), (M,))
        pairs.append(("A.H.matvec(y) vs A.rmatvec(y)", h_mv, ahy))
        pairs.append(("A.H.rmatvec(x) vs A.matvec(x)", h_rmv, ax))
        checked = ["A.H.shape", "matvec", "rmatvec", "matmat", "rmatmat", "A.H.matvec", "A.H.rmatvec"]
        if ut.shaped and callable(getattr(op, "apply", None)) and callable(getattr(op, "apply_adjoint", None)):
            k = X.shape[1]
            out = ut.expect_shape(
                "A.apply(x)", ut.call("A.apply(x)", op.apply, x.reshape(ut.input_shape)), ut.output_shape
            )
            back = ut.expect_shape(
                "A.apply_adjoint(y)",
                ut.call("A.apply_adjoint(y)", op.apply_adjoint, y.reshape(ut.output_shape)),
                ut.input_shape,
            )
            outs = ut.expect_shape(
                f"A.apply on a batch of {k}",
                ut.call(f"A.apply on a batch of {k}", op.apply, X.T.reshape((k,) + ut.input_shape)),
                (k,) + ut.output_shape,
            )
            backs = ut.expect_shape(
                f"A.apply_adjoint on a batch of {k}",
                ut.call(f"A.apply_adjoint on a batch of {k}", op.apply_adjoint, Y.T.reshape((k,) + ut.output_shape)),
                (k,) + ut.input_shape,
            )
            pairs.append(("A.apply(x) vs A.matvec(x)", out.ravel(), ax))
            pairs.append(("A.apply_adjoint(y) vs A.rmatvec(y)", back.ravel(), ahy))
            for j in range(k):
                pairs.append((f"sample {j} of A.apply(batch) vs matmat", outs[j].ravel(), AX[:, j]))
                pairs.append((f"sample {j} of A.apply_adjoint(batch) vs rmatmat", backs[j].ravel(), AHY[:, j]))
            checked += ["apply", "apply_adjoint", "batched apply"]
        return pairs, checked

    vectors = (ut.random_input(), ut.random_output(), ut.random_input(2), ut.random_output(2))
    pairs, checked = agreement_pairs(*vectors)
    tau = ut.tolerance(*(a.dtype for _, a, _ in pairs), *(b.dtype for _, _, b in pairs))
    errors = [relative_difference(a, b) for _, a, b in pairs]
    worst_k = max(range(len(pairs)), key=lambda k: _rank(errors[k]))
    worst = errors[worst_k]
    note = ""
    if not worst <= tau:
        label = pairs[worst_k][0]
        reruns = [agreement_pairs(*(perturb(v, ut.rng) for v in vectors))[0] for _ in range(REROLLS)]
        d = double(pairs[worst_k][1]) - double(pairs[worst_k][2])
        if is_reproducible(d, [double(r[worst_k][1]) - double(r[worst_k][2]) for r in reruns]):
            return CheckResult(
                name,
                False,
                error=worst,
                tolerance=tau,
                message=f"{label} disagree: ||a - b|| / (||a|| + ||b||) = {worst:.3g} > {tau:.3g}",
                details={"worst": label},
            )
        note = f"; {label} differ by {worst:.3g}, rounding noise (it changes when the inputs move by sqrt(eps))"
    shapes_text = (
        f"{ut.input_shape} -> {ut.output_shape}, adjoint {ut.output_shape} -> {ut.input_shape}"
        if ut.shaped
        else f"{N} -> {M}, adjoint {M} -> {N}"
    )
    return CheckResult(
        name,
        True,
        error=worst,
        tolerance=tau,
        message=f"{shapes_text}; {', '.join(checked)} agree{note}",
        details={"checked": checked},
    )


# -- linearity --------------------------------------------------------------------------
def _linearity_laws(
    ut: OperatorUnderTest, side: str, pairs: list[tuple[np.ndarray, np.ndarray]], scalars: list[list[complex]]
) -> list[tuple[str, np.ndarray, float]]:
    """Every law's deviation vector and scale, for the random pairs ``(x, z)`` and scalars of each trial.

    With ``F`` the map (``A`` or ``A^H``) and ``nu = max_c ||F c|| / ||c||`` over the random
    vectors ``c`` (a lower estimate of the operator's norm):

    * additivity: ``F(x + z) - F x - F z``, scale ``||F(x + z)|| + ||F x|| + ||F z|| + nu (||x|| + ||z||)``;
    * homogeneity: ``F(a x) - a F x``, scale ``||F(a x)|| + |a| ||F x|| + nu |a| ||x||`` for each scalar ``a``;
    * zero: ``F 0``, scale ``nu ||x||``.

    The ``nu`` terms keep the scale honest when ``F x`` happens to be small through
    cancellation (an operator with one row has ``F x`` near zero for some ``x``). All
    vectors go through one ``matmat``/``rmatmat`` call.
    """
    apply = ut.forward if side == "A" else ut.adjoint
    dtype = ut.space_dtype(side)
    columns: list[np.ndarray] = []
    # Each law: (name, column of F(combination), [(coefficient, column of F(part))]).
    laws: list[tuple[str, int, list[tuple[complex, int]]]] = []
    random_columns: list[int] = []
    for (x, z), trial_scalars in zip(pairs, scalars):
        ix = len(columns)
        random_columns += [ix, ix + 1]
        columns += [x, z, x + z, np.zeros_like(x, dtype=dtype)]
        laws.append(("additivity", ix + 2, [(1, ix), (1, ix + 1)]))
        laws.append(("zero", ix + 3, [(1, ix)]))
        for a in trial_scalars:
            columns.append((a * x).astype(dtype))
            kind = "complex a" if isinstance(a, complex) else "a"
            laws.append((f"homogeneity ({kind} = {_fmt(a)})", len(columns) - 1, [(a, ix)]))
    out = apply(np.stack(columns, axis=1), f"{side} applied to the linearity test vectors", copy=False)
    in_norms = [norm(c) for c in columns]
    out_norms = [norm(out[:, k]) for k in range(len(columns))]
    nu = max((out_norms[k] / in_norms[k] for k in random_columns if in_norms[k] > 0), default=0.0)
    result = []
    for law, combined, parts in laws:
        operator_scale = nu * sum(abs(coef) * in_norms[col] for coef, col in parts)
        if law == "zero":
            deviation, scale = double(out[:, combined]), operator_scale
        else:
            deviation = double(out[:, combined]) - sum(coef * double(out[:, col]) for coef, col in parts)
            scale = out_norms[combined] + sum(abs(coef) * out_norms[col] for coef, col in parts) + operator_scale
        result.append((law, deviation, scale))
    return result


def _normalised(deviation: np.ndarray, scale: float) -> float:
    size = norm(deviation)
    if size == 0.0:
        return 0.0
    return math.inf if scale == 0.0 else size / scale


def linearity(ut: OperatorUnderTest) -> CheckResult:
    """Linearity of ``A`` and of ``A^H``: ``F(x + z) = F x + F z``, ``F(a x) = a F x``, ``F 0 = 0``.

    For ``trials`` random pairs ``x``, ``z`` of the operator's dtype, a real scalar ``a``
    of either sign and, for complex operators, a complex one. Each normalised error
    ``||deviation|| / scale`` (see :func:`_linearity_laws`) must stay below ``tau``: rounding
    perturbs each computed vector by about ``eps sqrt(n)`` of its norm. A law above
    ``tau`` fails only if its deviation is reproducible
    (:mod:`linop.verification.reproducibility`): a bias or a non-linearity is, rounding
    noise is not.
    """
    name = "linearity"
    if ut.rows * ut.cols == 0:
        return CheckResult.skip(name, f"the operator has no entries ({ut.rows} x {ut.cols}): nothing to check")
    tau = ut.tolerance()
    details, worst, failures, notes = {}, 0.0, [], []
    for side in ("A", "A^H"):
        draw = ut.random_input if side == "A" else ut.random_output
        pairs = [(draw(), draw()) for _ in range(ut.trials)]
        scalars = [
            [ut.random_scalar()] + ([ut.random_scalar(complex_=True)] if ut.complex_scalars else [])
            for _ in range(ut.trials)
        ]
        laws = _linearity_laws(ut, side, pairs, scalars)
        errors = [_normalised(dev, scale) for _, dev, scale in laws]
        k = max(range(len(laws)), key=lambda i: _rank(errors[i]))
        details[f"{side} worst law"] = laws[k][0]
        worst = max(worst, _rank(errors[k]))
        above = [i for i, e in enumerate(errors) if not e <= tau]
        if not above:
            continue
        reruns = [
            _linearity_laws(ut, side, [(perturb(x, ut.rng), perturb(z, ut.rng)) for x, z in pairs], scalars)
            for _ in range(REROLLS)
        ]
        reproducible = [i for i in above if is_reproducible(laws[i][1], [r[i][1] for r in reruns])]
        if reproducible:
            i = max(reproducible, key=lambda i: _rank(errors[i]))
            failures.append((side, errors[i], laws[i][0]))
        else:
            notes.append(
                f"{side}: {laws[k][0]} off by {errors[k]:.3g}, rounding noise (it changes when the "
                "inputs move by sqrt(eps))"
            )
    if ut.complex_scalars:
        scalars_text = "real and complex scalars"
    elif ut.is_complex:
        scalars_text = "real scalars: a real-linear map"
    else:
        scalars_text = "real scalars"
    adjoint = ut.adjoint_name
    kind = "real-linear" if ut.is_complex and not ut.complex_scalars else "linear"
    if failures:
        side, e, law = max(failures, key=lambda f: _rank(f[1]))
        side = "A" if side == "A" else adjoint
        if law == "additivity":
            what = f"{side}(x + z) != {side} x + {side} z"
        elif law == "zero":
            what = f"{side} 0 != 0 (an affine map: it adds a constant)"
        else:
            what = f"{side}(a x) != a {side} x, {law}"
        return CheckResult(
            name,
            False,
            error=worst,
            tolerance=tau,
            message=f"{side} is not {kind}: {what}; normalised error {e:.3g} > {tau:.3g}",
            details=details,
        )
    note = f"; {'; '.join(notes)}" if notes else ""
    return CheckResult(
        name,
        True,
        error=worst,
        tolerance=tau,
        message=f"additivity, homogeneity ({scalars_text}) and F 0 = 0 hold for A and {adjoint} ({ut.trials} trials)"
        f"{note}",
        details=details,
    )


# -- the adjoint identity ---------------------------------------------------------------
def _dot_tests(
    ut: OperatorUnderTest, X: np.ndarray, Y: np.ndarray
) -> tuple[list[tuple[complex, complex, float]], tuple[np.dtype, np.dtype]]:
    """``(<A x_k, y_k>, <x_k, A^H y_k>, ||A x_k|| ||y_k|| + ||x_k|| ||A^H y_k||)`` for the columns of ``X``, ``Y``,
    and the dtypes of ``A X`` and ``A^H Y``."""
    AX, AHY = ut.forward(X), ut.adjoint(Y)
    tests = [
        (
            inner(AX[:, k], Y[:, k]),
            inner(X[:, k], AHY[:, k]),
            norm(AX[:, k]) * norm(Y[:, k]) + norm(X[:, k]) * norm(AHY[:, k]),
        )
        for k in range(X.shape[1])
    ]
    return tests, (AX.dtype, AHY.dtype)


def adjoint_identity(ut: OperatorUnderTest) -> CheckResult:
    """The dot test ``<A x, y> = <x, A^H y>`` for ``trials`` random pairs.

    Normalised error

    .. math::

        e = \\frac{|\\langle Ax, y\\rangle - \\langle x, A^H y\\rangle|}
                 {\\|Ax\\|\\,\\|y\\| + \\|x\\|\\,\\|A^H y\\|} \\in [0, 1]

    (the denominator bounds both inner products by Cauchy-Schwarz, so ``e`` never goes
    negative or above one), against ``tau = C eps sqrt(n)``: a correct float32 operator
    passes, a relative adjoint error of ``1e-4`` in float64 fails (see
    :mod:`linop.verification.tolerance` for the derivation and what it cannot see). A
    trial above ``tau`` fails only if its discrepancy is reproducible
    (:mod:`linop.verification.reproducibility`).

    In other inner products (:mod:`linop.verification.spaces`) the identity is
    ``<A x, y>_{W_ran} = <x, A* y>_{W_dom}`` (its real part for a real-linear map),
    measured as the Euclidean identity of the pair ``(W_ran A, W_dom A*)``, with
    ``||W_ran A x|| ||y|| + ||x|| ||W_dom A* y||`` in the denominator.
    """
    name = "adjoint"
    if ut.rows * ut.cols == 0:
        return CheckResult.skip(name, f"the operator has no entries ({ut.rows} x {ut.cols}): nothing to check")
    ut = ut.euclidean()
    adj = ut.adjoint_name
    lhs_name, rhs_name = ut.inner_name("Ax", "y"), ut.inner_name("x", f"{adj} y")
    if adj == "A^H":
        denominator = "||Ax|| ||y|| + ||x|| ||A^H y||"
    else:
        denominator = f"||W_ran Ax|| ||y|| + ||x|| ||W_dom {adj} y||"
    X, Y = ut.random(ut.cols, ut.trials), ut.random(ut.rows, ut.trials)
    tests, result_dtypes = _dot_tests(ut, X, Y)
    tau = ut.tolerance(*result_dtypes)
    rows, errors = [], []
    for lhs, rhs, scale in tests:
        diff = abs(lhs - rhs)
        e = 0.0 if diff == 0.0 else (math.inf if scale == 0.0 else diff / scale)
        errors.append(e)
        rows.append({"<Ax, y>": lhs, "<x, A^H y>": rhs, "error": e})
    worst_k = max(range(ut.trials), key=lambda k: _rank(errors[k]))
    worst = errors[worst_k]
    above = [k for k in range(ut.trials) if not errors[k] <= tau]
    note = ""
    if above:
        Xr = np.stack([perturb(X[:, k], ut.rng) for k in above for _ in range(REROLLS)], axis=1)
        Yr = np.stack([perturb(Y[:, k], ut.rng) for k in above for _ in range(REROLLS)], axis=1)
        rerun, _ = _dot_tests(ut, Xr, Yr)
        reproducible = []
        for n_, k in enumerate(above):
            d = tests[k][0] - tests[k][1]
            again = [lhs - rhs for lhs, rhs, _ in rerun[n_ * REROLLS : (n_ + 1) * REROLLS]]
            if is_reproducible(d, again):
                reproducible.append(k)
        if reproducible:
            k = max(reproducible, key=lambda k: _rank(errors[k]))
            w = rows[k]
            return CheckResult(
                name,
                False,
                error=worst,
                tolerance=tau,
                message=f"the adjoint identity fails: {lhs_name} = {_fmt(w['<Ax, y>'])} but {rhs_name} = "
                f"{_fmt(w['<x, A^H y>'])}; |difference| / ({denominator}) = {errors[k]:.3g} > {tau:.3g}",
                details={"trials": rows},
            )
        note = f"; a difference of {worst:.3g} is rounding noise (it changes when the inputs move by sqrt(eps))"
    w = rows[worst_k]
    text = f"{lhs_name} = {_fmt(w['<Ax, y>'])}, {rhs_name} = {_fmt(w['<x, A^H y>'])}"
    zero = all(t[2] == 0 for t in tests)
    zero_note = f" (A x = 0 and {adj} y = 0: the zero operator)" if zero else ""
    return CheckResult(
        name,
        True,
        error=worst,
        tolerance=tau,
        message=f"{lhs_name} = {rhs_name} in {ut.trials} random trials{zero_note}; worst {text}{note}",
        details={"trials": rows},
    )


# -- explicit matrices ------------------------------------------------------------------
def _dense(ut: OperatorUnderTest, side: str, diagonal: np.ndarray | None = None) -> np.ndarray:
    """The explicit matrix of ``A`` (side ``"A"``, ``M x N``) or ``A^H`` (``N x M``), in column blocks.

    With ``diagonal``, column ``j`` is ``F(c_j e_j) / c_j`` (unit vectors scaled by ``c_j``),
    the same matrix under different rounding.
    """
    cols = ut.cols if side == "A" else ut.rows
    rows = ut.rows if side == "A" else ut.cols
    apply = ut.forward if side == "A" else ut.adjoint
    block = max(1, min(cols, 4_000_000 // max(rows, 1)))
    parts = []
    for start in range(0, cols, block):
        stop = min(cols, start + block)
        eye = np.zeros((cols, stop - start), dtype=ut.dtype)
        scale = 1 if diagonal is None else diagonal[start:stop]
        eye[np.arange(start, stop), np.arange(stop - start)] = scale
        part = apply(eye, f"{side} applied to unit vectors (the explicit matrix of {side})", copy=False)
        parts.append(part if diagonal is None else double(part) / diagonal[start:stop])
    return np.concatenate(parts, axis=1)


def _nearly_one(size: int, ut: OperatorUnderTest) -> np.ndarray:
    """Scales ``1 + delta``, ``|delta| <= sqrt(eps)``, in the operator's real precision (returned as float64)."""
    ones = np.ones(size, dtype=np.finfo(ut.dtype).dtype)
    return perturb(ones, ut.rng).astype(np.float64)


def matrix_agreement(ut: OperatorUnderTest) -> CheckResult:
    """The explicit matrices agree entry by entry: ``(A^H)_{ji} = conj(A_{ij})`` for all ``i, j``.

    Both matrices are built from unit vectors (``A e_j`` and ``A^H e_i``). Normalised
    error ``max_{ij} |A_{ij} - conj((A^H)_{ji})| / max(max|A|, max|A^H|)`` against
    ``tau``; entries above it count only if their difference is reproducible (rebuilt
    from unit vectors scaled by ``1 +- sqrt(eps)``: see
    :mod:`linop.verification.reproducibility`). A failure names the worst entry (row,
    column, both values; the multi-indices for shaped operators) and counts the wrong
    entries. Only for operators with at most ``MATRIX_MAX_ENTRIES`` entries and
    ``MATRIX_MAX_SIZE`` rows and columns.

    In other inner products the matrices compared are those of ``W_ran A`` and
    ``W_dom A*`` (``A* = W_dom^{-1} A^H W_ran`` exactly when ``W_dom A* = (W_ran A)^H``),
    of the realified map for a real-linear one; a failure with diagonal weights names
    the entry of ``A*`` and the value it should have, ``conj(A_ij) w_ran[i] / w_dom[j]``.
    """
    name = "matrix"
    ut = ut.euclidean()
    M, N = ut.rows, ut.cols
    if M * N > MATRIX_MAX_ENTRIES or max(M, N) > MATRIX_MAX_SIZE:
        return CheckResult.skip(
            name,
            f"the operator is too large for explicit matrices ({M} x {N}; limit {MATRIX_MAX_ENTRIES:.0e} "
            f"entries and {MATRIX_MAX_SIZE} rows or columns); the probes check samples its entries",
        )
    if M * N == 0:
        return CheckResult.skip(name, f"the operator has no entries ({M} x {N})")
    A = _dense(ut, "A")
    AH = _dense(ut, "A^H")
    tau = ut.tolerance(A.dtype, AH.dtype)
    gaps = double(A) - double(AH).T.conj()  # A minus what the adjoint says A is
    diff = np.abs(gaps)
    scale = max(float(np.abs(double(A)).max()), float(np.abs(double(AH)).max()))
    wrong_mask = diff > tau * scale
    note = ""
    if np.any(wrong_mask):
        reruns = [
            double(_dense(ut, "A", _nearly_one(N, ut))) - double(_dense(ut, "A^H", _nearly_one(M, ut))).T.conj()
            for _ in range(REROLLS)
        ]
        stable = np.ones_like(wrong_mask)
        for again in reruns:
            stable &= np.abs(gaps - again) <= SYSTEMATIC_FRACTION * diff
        if not np.any(wrong_mask & stable):
            note = (
                f"; {int(wrong_mask.sum())} entries differ by up to {diff.max() / scale:.3g} of max|entry|, "
                "rounding noise (it changes when the unit vectors are scaled by 1 +- sqrt(eps))"
            )
        wrong_mask &= stable
    ranked = np.where(wrong_mask, diff, -1.0) if np.any(wrong_mask) else diff
    i, j = divmod(int(np.argmax(ranked)), N)
    gap = float(diff[i, j])
    err = 0.0 if gap == 0.0 else (math.inf if scale == 0.0 else gap / scale)
    wrong = int(np.count_nonzero(wrong_mask))
    row, out_index, _, out_part = ut.place(i, "output")
    column, in_index, _, in_part = ut.place(j, "input")
    details = {
        "row": row,
        "column": column,
        "forward": A[i, j].item(),
        "adjoint": AH[j, i].item(),
        "wrong_entries": wrong,
        "entries": M * N,
        "max_abs_entry": scale,
    }
    if out_part or in_part:
        details["output_part"], details["input_part"] = out_part, in_part
    if ut.shaped:
        details["output_index"] = out_index
        details["input_index"] = in_index
    if wrong:
        first = np.argwhere(wrong_mask)[:10]
        details["first_wrong"] = [
            {
                "row": ut.place(a, "output")[0],
                "column": ut.place(b, "input")[0],
                "forward": A[a, b].item(),
                "adjoint": AH[b, a].item(),
            }
            for a, b in first
        ]
        return CheckResult(
            name,
            False,
            error=err,
            tolerance=tau,
            message=(
                f"A and {ut.adjoint_name} disagree at {wrong} of {M * N} entries; worst at "
                f"{ut.describe_entry(i, j)}: {ut.entry_text(i, j, A[i, j].item(), AH[j, i].item())}; "
                f"|difference| / max|entry| = {err:.3g} > {tau:.3g}"
            ),
            details=details,
        )
    err = float(diff.max()) / scale if scale > 0 else 0.0
    return CheckResult(
        name,
        True,
        error=err,
        tolerance=tau,
        message=f"all {M * N} entries of A and {ut.adjoint_name} agree ({_matrix_law(ut)}){note}",
        details=details,
    )


def _matrix_law(ut: OperatorUnderTest) -> str:
    """The law the explicit matrices obey, as the report states it."""
    if ut.adjoint_name == "A^H":
        return "A^H = conj(A)^T"
    weighted = not ut.inner.domain.euclidean or not ut.inner.range.euclidean
    if getattr(ut, "realified", False):
        law = "W_dom A* = (W_ran A)^T" if weighted else "A* = A^T"
        return law + " for the real matrices, real and imaginary parts as separate coordinates"
    return "W_dom A* = (W_ran A)^H"


# -- probes -----------------------------------------------------------------------------
def probe_agreement(ut: OperatorUnderTest) -> CheckResult:
    """Sampled entries of ``A`` and ``A^H`` agree where bugs live (corners, edges, high-side ends, channels).

    Sparse dot tests ``<A x, y> = <x, A^H y>`` with ``x``, ``y`` supported on sampled
    positions and their supports (see :mod:`linop.verification.probes`), normalised by the
    size of the terms summed, ``||(A x) * y|| + ||x * (A^H y)||``, against ``tau``. Works
    for operators of any size with four applications (two of ``A``, two of ``A^H``); a
    failure is localised to one wrong entry. In other inner products the probes compare
    ``W_ran A`` with ``W_dom A*`` (realified for a real-linear map), as ``matrix`` does.
    """
    name = "probes"
    if ut.rows * ut.cols == 0:
        return CheckResult.skip(name, f"the operator has no entries ({ut.rows} x {ut.cols})")
    ut = ut.euclidean()
    outcome = probe_adjoint(ut)
    details = {
        "input_positions": outcome.input_positions,
        "output_positions": outcome.output_positions,
        "applications": outcome.applications,
        "tests": outcome.pairs,
    }
    where = "corners, edges, high-side ends, channels and random" if ut.shaped else "both ends and random"
    if outcome.passed:
        return CheckResult(
            name,
            True,
            error=outcome.error,
            tolerance=outcome.tolerance,
            message=(
                f"sparse dot tests on {outcome.input_positions} input and {outcome.output_positions} output "
                f"positions ({where}, with their supports) agree" + (f"; {outcome.note}" if outcome.note else "")
            ),
            details=details,
        )
    head = (
        f"sparse dot test on {outcome.output_positions} output and {outcome.input_positions} input positions "
        f"fails: error {outcome.error:.3g} > {outcome.tolerance:.3g}"
    )
    entry = outcome.entry
    if entry is None:
        return CheckResult(
            name,
            False,
            error=outcome.error,
            tolerance=outcome.tolerance,
            message=f"{head}; {outcome.note}",
            details=details,
        )
    details["entry"] = entry
    i, j = entry["row"], entry["column"]
    out_part = f" ({entry['output_part']})" if entry.get("output_part") else ""
    in_part = f" ({entry['input_part']})" if entry.get("input_part") else ""
    place = f"row {i}{out_part}, column {j}{in_part}"
    if ut.shaped:
        place += (
            f" (output index {entry['output_index']} [{entry['output_position']}], "
            f"input index {entry['input_index']} [{entry['input_position']}])"
        )
    else:
        place += f" (output {entry['output_position']}, input {entry['input_position']})"
    return CheckResult(
        name,
        False,
        error=outcome.error,
        tolerance=outcome.tolerance,
        message=f"A and {ut.adjoint_name} disagree at {place}: {entry['text']}; {head}",
        details=details,
    )


# -- symbolic ---------------------------------------------------------------------------
def symbolic_proof(ut: OperatorUnderTest) -> CheckResult:
    """The exact proof of the adjoint identity by the operator's symbolic twin.

    Protocol: ``op.symbolic()`` returns a twin whose ``check_adjoint_identity()`` returns
    a result with ``.holds`` (bool) and ``.text()``. No ``symbolic`` method: skipped. A
    ``ValueError`` from either call (``linop.symbolic.SymbolicSizeError``: the operator is
    too large for an exact proof): skipped with its message. Any other exception fails
    the check. Exact: no tolerance.
    """
    name = "symbolic"
    make_twin = getattr(ut.op, "symbolic", None)
    if make_twin is None or not callable(make_twin):
        return CheckResult.skip(name, "no symbolic twin (the operator has no symbolic() method)")
    try:
        twin = make_twin()
        result = twin.check_adjoint_identity()
        holds = bool(result.holds)
        text = str(result.text())
    except ValueError as exc:
        return CheckResult.skip(name, f"no exact proof: {exc}")
    except Exception as exc:
        return CheckResult(name, False, message=f"the symbolic proof raised {type(exc).__name__}: {exc}")
    if holds:
        return CheckResult(name, True, message=f"exact: {text}")
    return CheckResult(name, False, message=f"the symbolic adjoint identity does not hold: {text}")


# -- purity -----------------------------------------------------------------------------
def _changed(before: np.ndarray, after: np.ndarray) -> str | None:
    if before.shape == after.shape and np.array_equal(before, after, equal_nan=True):
        return None
    if before.shape != after.shape:
        return f"its shape changed from {before.shape} to {after.shape}"
    where = np.argwhere(before != after)
    first = tuple(int(v) for v in where[0])
    return (
        f"{len(where)} of {before.size} entries changed (first at {first if len(first) > 1 else first[0]}: "
        f"{_fmt(before[first].item())} -> {_fmt(after[first].item())})"
    )


def purity(ut: OperatorUnderTest) -> CheckResult:
    """The operator does not modify its input arrays, and gives the same result twice.

    Calls ``matvec``, ``rmatvec``, ``matmat``, ``rmatmat`` (and ``apply``/``apply_adjoint``
    for shaped operators) on writable arrays, compares each input with a copy taken
    before, and repeats ``matvec``/``rmatvec``: the repeats must agree bit for bit or,
    for a multithreaded reduction, within ``||a - b|| / (||a|| + ||b||) <= tau``.
    """
    name = "purity"
    op = ut.op
    calls = [
        ("matvec(x)", op.matvec, ut.random_input()),
        ("rmatvec(y)", op.rmatvec, ut.random_output()),
        ("matmat(X)", op.matmat, ut.random_input(2)),
        ("rmatmat(Y)", op.rmatmat, ut.random_output(2)),
    ]
    if ut.shaped and callable(getattr(op, "apply", None)) and callable(getattr(op, "apply_adjoint", None)):
        calls.append(("apply(x)", op.apply, ut.random_input().reshape(ut.input_shape)))
        calls.append(("apply_adjoint(y)", op.apply_adjoint, ut.random_output().reshape(ut.output_shape)))
    results, refused = {}, []
    for label, fn, arg in calls:
        before = arg.copy()
        try:
            results[label] = ut.call(label, fn, arg, copy=False)
        except OperatorFailure as failure:
            refused.append(f"{label} raised ({failure.problem})")
        change = _changed(before, arg)
        if change is not None:
            return CheckResult(name, False, message=f"{label} modified its input: {change}")
    if not results:
        return CheckResult(name, False, message="every call raised: " + "; ".join(refused))
    tau = ut.tolerance(*(r.dtype for r in results.values()))
    worst, notes = 0.0, []
    for label, fn, arg in calls[:2]:
        if label not in results:
            continue
        again = ut.call(label, fn, arg.copy())
        first = results[label]
        if first.shape == again.shape and np.array_equal(first, again, equal_nan=True):
            continue
        err = relative_difference(first, again) if first.shape == again.shape else math.inf
        worst = max(worst, _rank(err))
        notes.append(f"{label} repeated differs by {err:.3g}")
    non_finite = [label for label, r in results.items() if not np.all(np.isfinite(r))]
    if non_finite:  # NaN differs from itself: say what happened, not "not deterministic"
        repeats = "repeated calls agree, NaN for NaN" if not notes else "repeated calls differ too"
        return CheckResult(
            name,
            False,
            message=f"{', '.join(non_finite)} returned NaN or inf for finite input (inputs untouched; {repeats})",
        )
    if not worst <= tau:
        return CheckResult(
            name, False, error=worst, tolerance=tau, message=f"not deterministic: {'; '.join(notes)} > {tau:.3g}"
        )
    repeat = "bit for bit" if not notes else f"within tolerance ({'; '.join(notes)})"
    untouched = ", ".join(label for label, _, _ in calls if label in results)
    skipped = f" ({'; '.join(refused)}: the shapes check reports it)" if refused else ""
    return CheckResult(
        name,
        True,
        error=worst,
        tolerance=tau,
        message=f"inputs untouched by {untouched}; repeated results agree {repeat}{skipped}",
    )


#: The checks in the order they run, by name.
CHECKS: dict[str, Callable[[OperatorUnderTest], CheckResult]] = {
    "shapes": shape_reversal,
    "linearity": linearity,
    "adjoint": adjoint_identity,
    "matrix": matrix_agreement,
    "probes": probe_agreement,
    "symbolic": symbolic_proof,
    "purity": purity,
}


def run_check(name: str, ut: OperatorUnderTest) -> CheckResult:
    """Run one check; an :class:`OperatorFailure` (the operator raised or returned garbage) fails it."""
    try:
        return CHECKS[name](ut)
    except OperatorFailure as failure:
        return CheckResult(name, False, message=str(failure), details={"call": failure.what})
