"""Probing the adjoint where bugs live: sparse dot tests on corners, edges, high-side ends and channels.

A dense dot test dilutes a wrong entry: one wrong corner entry of a ``1024 x 1024``
convolution moves ``<A x, y>`` by about ``1/sqrt(N)`` of its size. The probes compare
*sampled entries* of ``A`` and ``A^H`` instead. Applying ``A`` to one unit vector costs
as much as applying it to any vector, so the samples are combined: a probe is a sparse
vector

.. math::

    x = \\sum_{j \\in J} w_j e_j, \\qquad y = \\sum_{i \\in I} v_i e_i

with random weights of modulus in ``[0.5, 1.5]`` on sampled positions, and

.. math::

    \\langle A x, y\\rangle - \\langle x, A^H y\\rangle
        = \\sum_{i \\in I,\\, j \\in J} \\overline{v_i}\\,\\bigl(A_{ij} - \\overline{(A^H)_{ji}}\\bigr)\\, w_j

involves exactly the entries ``(i, j)`` of ``I x J``, each with a weight of order one.
Its normalised error is ``|<Ax, y> - <x, A^H y>| / (||(Ax) * y|| + ||x * (A^H y)||)``
(``*`` elementwise: the size of the terms actually summed, not of whole vectors), and
the tolerance is the model's ``tau = C eps sqrt(n)`` (:mod:`linop.verification.tolerance`).

Positions
---------
``J`` and ``I`` hold, for shaped operators, the corners (every combination of the first
two and last two indices of each axis), points on every edge and on the high-side end
of every axis (where the last partial window lives), every channel of the last axis at
the two extreme corners, the centre and random positions; for a flat operator, the
first two, the last two and random positions. A second round adds the *support* of the
first round's results (``A x`` for the outputs that the sampled inputs reach, ``A^H y``
for the inputs the adjoint claims), so an entry that only one side has is sampled too.
Four sparse dot tests (first/second round on either side) cost two applications of
``A`` and two of ``A^H``, whatever the number of positions.

Localisation
------------
A test above tolerance is repeated with the probes perturbed by a relative ``sqrt(eps)``
(:mod:`linop.verification.reproducibility`); only a reproducible discrepancy fails.
Then the wrong entry is isolated: reweighting the failing probe by a
position code ``phi_k = 1 + k/|J|`` multiplies the error of a single wrong entry by the
code of its position, so one more application of ``A`` and of ``A^H`` names it; unit
vectors ``A e_j`` and ``A^H e_i`` then read both values. When several entries are wrong
the code is ambiguous and a bisection over the probe's positions (one application per
halving) finds one of them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .operands import OperatorUnderTest, double, inner
from .reproducibility import REROLLS, is_reproducible, perturb

__all__ = ["ProbeOutcome", "hot_positions", "position_label", "probe_adjoint"]

#: Random positions added on each side.
RANDOM_POSITIONS = 16
#: Most positions taken from the support of a first-round result.
SUPPORT_CAP = 4096
#: Most positions of the corner block (every combination of the two first and two last indices).
CORNER_CAP = 1024
#: Largest last axis whose every channel is probed.
CHANNEL_CAP = 64


def _axis_ends(n: int) -> list[int]:
    return sorted({v for v in (0, 1, n - 2, n - 1) if 0 <= v < n})


def hot_positions(shape: tuple[int, ...], rng: np.random.Generator, n_random: int = RANDOM_POSITIONS) -> np.ndarray:
    """Flat indices (sorted, unique) of the positions of an array of ``shape`` where bugs live.

    Corners (combinations of the first two and last two indices of each axis), points on
    the low and high edges of every axis, every channel of the last axis at the two
    extreme corners (when it has at most 64 entries), the centre, and ``n_random``
    uniformly random positions.
    """
    shape = tuple(int(s) for s in shape)
    size = math.prod(shape)
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    ends = [_axis_ends(n) for n in shape]
    coords: list[tuple[int, ...]] = []
    corner_count = math.prod(len(e) for e in ends)
    if corner_count <= CORNER_CAP:
        coords.extend(itertools.product(*ends))
    else:
        coords.extend(itertools.product(*[(0, n - 1) for n in shape]))
        picks = rng.integers(0, [len(e) for e in ends], size=(CORNER_CAP, len(shape)))
        coords.extend(tuple(ends[a][p] for a, p in enumerate(row)) for row in picks)
    middle = tuple(n // 2 for n in shape)
    coords.append(middle)
    for a, _ in enumerate(shape):
        for v in ends[a]:
            on_edge = list(middle)
            on_edge[a] = v
            coords.append(tuple(on_edge))
            for _ in range(2):
                point = [int(rng.integers(0, m)) for m in shape]
                point[a] = v
                coords.append(tuple(point))
    if len(shape) >= 2 and shape[-1] <= CHANNEL_CAP:
        low = tuple(0 for _ in shape[:-1])
        high = tuple(n - 1 for n in shape[:-1])
        for c in range(shape[-1]):
            coords.append(low + (c,))
            coords.append(high + (c,))
    flat = np.ravel_multi_index(tuple(np.array(coords, dtype=np.int64).T), shape)
    extra = rng.integers(0, size, size=n_random)
    return np.unique(np.concatenate([flat, extra]).astype(np.int64))


def position_label(index: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """Where a multi-index lies: ``corner``, ``high-side end of axis a``, ``low edge of axis a``, ``interior``."""
    low = [c <= 1 for c in index]
    high = [c >= n - 2 for c, n in zip(index, shape)]
    at_end = [lo or hi for lo, hi in zip(low, high)]
    if len(shape) == 1:
        if high[0]:
            return "high end"
        return "low end" if low[0] else "interior"
    if all(at_end):
        return "corner"
    for a in range(len(shape)):
        if high[a] and not low[a]:
            return f"high-side end of axis {a}"
    for a in range(len(shape)):
        if low[a]:
            return f"low edge of axis {a}"
    return "interior"


def _sparse_probe(size: int, positions: np.ndarray, ut: OperatorUnderTest) -> np.ndarray:
    """A vector with random weights of modulus in ``[0.5, 1.5]`` on ``positions``, zero elsewhere."""
    v = np.zeros(size, dtype=ut.dtype)
    k = len(positions)
    modulus = ut.rng.uniform(0.5, 1.5, size=k)
    if ut.is_complex:
        v[positions] = modulus * np.exp(1j * ut.rng.uniform(0, 2 * np.pi, size=k))
    else:
        v[positions] = modulus * ut.rng.choice([-1.0, 1.0], size=k)
    return v


def _support(v: np.ndarray, relative: float, cap: int) -> np.ndarray:
    """Positions where ``|v|`` exceeds ``relative * max|v|`` (above rounding noise), at most ``cap``, largest first."""
    mag = np.abs(double(v))
    top = float(mag.max()) if mag.size else 0.0
    if top == 0.0:
        return np.zeros(0, dtype=np.int64)
    idx = np.flatnonzero(mag > relative * top)
    if len(idx) > cap:
        idx = idx[np.argsort(mag[idx])[::-1][:cap]]
    return np.sort(idx).astype(np.int64)


def _discrepancy(F: np.ndarray, y: np.ndarray, x: np.ndarray, R: np.ndarray) -> tuple[complex, float]:
    """``<Ax, y> - <x, A^H y>`` and the size ``||Ax * y|| + ||x * A^H y||`` of its terms."""
    d = inner(F, y) - inner(x, R)
    scale = float(np.linalg.norm(double(F) * double(y).conj()) + np.linalg.norm(double(x) * double(R).conj()))
    return d, scale


def _normalised(d: complex, scale: float) -> float:
    if scale == 0.0:
        return 0.0 if d == 0 else math.inf
    return abs(d) / scale


@dataclass
class ProbeOutcome:
    """What the probes measured.

    ``error`` is the largest normalised sparse-dot-test error, ``entry`` the isolated
    wrong entry (``row``, ``column``, ``forward`` value ``A[row, column]``, ``adjoint``
    value ``A^H[column, row]``) when a test failed and one was found.
    """

    error: float
    tolerance: float
    input_positions: int
    output_positions: int
    applications: int
    pairs: list[dict] = field(default_factory=list)
    entry: dict | None = None
    note: str = ""
    reproducible: bool = True

    @property
    def passed(self) -> bool:
        """No test above tolerance, or only rounding noise (not reproducible) above it."""
        return self.error <= self.tolerance or not self.reproducible


class _Prober:
    """Runs the sparse dot tests and, on failure, the localisation (counts operator applications)."""

    def __init__(self, ut: OperatorUnderTest):
        self.ut = ut
        self.applications = 0

    def forward(self, v: np.ndarray, what: str) -> np.ndarray:
        """``A v`` for one vector ``v``, or ``A V`` for the columns of a matrix."""
        self.applications += 1 if v.ndim == 1 else v.shape[1]
        return self.ut.forward(v[:, None], what)[:, 0] if v.ndim == 1 else self.ut.forward(v, what)

    def adjoint(self, v: np.ndarray, what: str) -> np.ndarray:
        """``A^H v`` for one vector ``v``, or ``A^H V`` for the columns of a matrix."""
        self.applications += 1 if v.ndim == 1 else v.shape[1]
        return self.ut.adjoint(v[:, None], what)[:, 0] if v.ndim == 1 else self.ut.adjoint(v, what)

    def unit(self, size: int, k: int) -> np.ndarray:
        e = np.zeros(size, dtype=self.ut.dtype)
        e[k] = 1
        return e


def probe_adjoint(ut: OperatorUnderTest) -> ProbeOutcome:
    """Sparse dot tests of ``A`` against ``A^H`` on sampled positions; localise a failure.

    Raises
    ------
    OperatorFailure
        When the operator raises or returns a wrong shape or non-finite values.
    """
    p = _Prober(ut)
    M, N = ut.rows, ut.cols
    J0 = hot_positions(ut.input_shape, ut.rng)
    I0 = hot_positions(ut.output_shape, ut.rng)
    x0, y0 = _sparse_probe(N, J0, ut), _sparse_probe(M, I0, ut)
    F0 = p.forward(x0, "A x for a sparse probe x (matmat)")
    R0 = p.adjoint(y0, "A^H y for a sparse probe y (rmatmat)")
    tau = ut.tolerance(F0.dtype, R0.dtype)
    I1 = np.union1d(I0, _support(F0, tau, SUPPORT_CAP))
    J1 = np.union1d(J0, _support(R0, tau, SUPPORT_CAP))
    x1, y1 = _sparse_probe(N, J1, ut), _sparse_probe(M, I1, ut)
    F1 = p.forward(x1, "A x for a sparse probe x (matmat)")
    R1 = p.adjoint(y1, "A^H y for a sparse probe y (rmatmat)")
    tau = ut.tolerance(F0.dtype, R0.dtype, F1.dtype, R1.dtype)

    xs = {"sampled": (x0, F0, J0), "sampled + support": (x1, F1, J1)}
    ys = {"sampled": (y0, R0, I0), "sampled + support": (y1, R1, I1)}
    pairs, tests = [], []
    for (yname, (y, R, Iy)), (xname, (x, F, J)) in itertools.product(ys.items(), xs.items()):
        d, scale = _discrepancy(F, y, x, R)
        e = _normalised(d, scale)
        pairs.append(
            {"outputs": yname, "inputs": xname, "output_positions": len(Iy), "input_positions": len(J), "error": e}
        )
        tests.append((e, d, y, R, x, F))
    tests.sort(key=lambda t: -t[0] if not math.isnan(t[0]) else -math.inf)
    outcome = ProbeOutcome(
        error=tests[0][0],
        tolerance=tau,
        input_positions=len(J1),
        output_positions=len(I1),
        applications=p.applications,
        pairs=pairs,
    )
    failing = None
    for e, d, y, R, x, F in tests:
        if e <= tau:
            break
        if _reproducible(p, d, y, x):
            failing = (d, y, R, x, F)
            break
    if failing is None and not outcome.error <= tau:
        outcome.reproducible = False
        outcome.note = (
            f"a sparse dot test differs by {outcome.error:.3g}, rounding noise (it changes when the "
            "probes move by sqrt(eps))"
        )
    if failing is not None:
        outcome.entry, outcome.note = _localise(p, *failing, tau)
    outcome.applications = p.applications
    return outcome


def _reproducible(p: _Prober, d: complex, y: np.ndarray, x: np.ndarray) -> bool:
    """Whether a sparse dot test's discrepancy survives probes perturbed by a relative sqrt(eps)."""
    X = np.stack([perturb(x, p.ut.rng) for _ in range(REROLLS)], axis=1)
    Y = np.stack([perturb(y, p.ut.rng) for _ in range(REROLLS)], axis=1)
    F, R = p.forward(X, "A x for perturbed probes (matmat)"), p.adjoint(Y, "A^H y for perturbed probes (rmatmat)")
    again = [_discrepancy(F[:, r], Y[:, r], X[:, r], R[:, r])[0] for r in range(REROLLS)]
    return is_reproducible(d, again)


def _localise(p: _Prober, d: complex, y, R, x, F, tau: float) -> tuple[dict | None, str]:
    """Name one wrong entry behind a failing sparse dot test (``None`` when none is isolated)."""
    J, Iy = np.flatnonzero(x), np.flatnonzero(y)
    candidate = _decode(p, d, y, R, x, F, Iy, J)
    if candidate is not None:
        entry = _read_entry(p, *candidate, tau)
        if entry is not None:
            return entry, "isolated by position code"
    j0, column = _bisect_inputs(p, d, y, R, x, J)
    i0 = _bisect_outputs(p, y, R, column, j0, Iy)
    entry = _read_entry(p, i0, j0, tau, column=column)
    if entry is not None:
        return entry, "isolated by bisection"
    return None, (
        f"no single wrong entry isolated: the disagreement is spread over several small entries "
        f"among {len(Iy)} outputs and {len(J)} inputs"
    )


def _decode(p: _Prober, d: complex, y, R, x, F, Iy: np.ndarray, J: np.ndarray) -> tuple[int, int] | None:
    """Candidate ``(i0, j0)`` from position-coded probes, if the error behaves as one wrong entry."""
    if d == 0:
        return None
    code_j = np.zeros(p.ut.cols)
    code_j[J] = 1.0 + np.arange(len(J)) / len(J)
    code_i = np.zeros(p.ut.rows)
    code_i[Iy] = 1.0 + np.arange(len(Iy)) / len(Iy)
    x_coded = (x * code_j).astype(x.dtype)
    y_coded = (y * code_i).astype(y.dtype)
    F_coded = p.forward(x_coded, "A x for a position-coded probe (matmat)")
    R_coded = p.adjoint(y_coded, "A^H y for a position-coded probe (rmatmat)")
    ratio_j = (inner(F_coded, y) - inner(x_coded, R)) / d
    ratio_i = (inner(F, y_coded) - inner(x, R_coded)) / d
    found = []
    for ratio, positions in ((ratio_i, Iy), (ratio_j, J)):
        k = int(round((ratio.real - 1.0) * len(positions)))
        if not (0 <= k < len(positions)) or abs(ratio - (1.0 + k / len(positions))) > 0.25 / len(positions):
            return None
        found.append(int(positions[k]))
    return found[0], found[1]


def _bisect_inputs(p: _Prober, d: complex, y, R, x, J: np.ndarray) -> tuple[int, np.ndarray]:
    """An input position ``j0`` carrying the disagreement, and the column ``A e_j0``."""
    S, dS = J, d
    column = None
    while len(S) > 1:
        left = S[: len(S) // 2]
        xL = np.zeros_like(x)
        xL[left] = x[left]
        FL = p.forward(xL, "A x for half of a failing probe (matmat)")
        dL = inner(FL, y) - inner(xL, R)
        dR = dS - dL
        if abs(dL) >= abs(dR):
            S, dS = left, dL
            column = FL / x[left[0]] if len(left) == 1 else None
        else:
            S, dS = S[len(S) // 2 :], dR
            column = None
    j0 = int(S[0])
    if column is None:
        column = p.forward(p.unit(p.ut.cols, j0), "A e_j (matmat)")
    return j0, column


def _bisect_outputs(p: _Prober, y, R, column: np.ndarray, j0: int, Iy: np.ndarray) -> int:
    """An output position ``i0`` where ``A e_j0`` disagrees with the adjoint.

    The discrepancy of ``e_j0`` against the probe ``y`` restricted to ``S`` is
    ``<A e_j0, y_S> - conj((A^H y_S)_j0)``; by linearity the other half's is the
    difference, so each halving costs one application of ``A^H``.
    """
    S = Iy
    dS = inner(column, y) - np.conj(double(R[j0]))
    while len(S) > 1:
        left = S[: len(S) // 2]
        yL = np.zeros_like(y)
        yL[left] = y[left]
        RL = p.adjoint(yL, "A^H y for half of a failing probe (rmatmat)")
        dL = inner(column, yL) - np.conj(double(RL[j0]))
        dR = dS - dL
        if abs(dL) >= abs(dR):
            S, dS = left, dL
        else:
            S, dS = S[len(S) // 2 :], dR
    return int(S[0])


def _read_entry(p: _Prober, i0: int, j0: int, tau: float, column: np.ndarray | None = None) -> dict | None:
    """Read ``A[i0, j0]`` (from ``A e_j0``) and ``A^H[j0, i0]`` (from ``A^H e_i0``); the entry if they disagree."""
    ut = p.ut
    if column is None:
        column = p.forward(p.unit(ut.cols, j0), "A e_j (matmat)")
    row = p.adjoint(p.unit(ut.rows, i0), "A^H e_i (rmatmat)")
    forward_value = complex(double(column[i0]))
    adjoint_value = complex(double(row[j0]))
    scale = max(float(np.abs(double(column)).max()), float(np.abs(double(row)).max()))
    gap = abs(forward_value - adjoint_value.conjugate())
    if scale == 0.0 or gap <= tau * scale:
        return None
    forward_value = forward_value if ut.is_complex else forward_value.real
    adjoint_value = adjoint_value if ut.is_complex else adjoint_value.real
    out_row, out_idx, out_shape, out_part = ut.place(i0, "output")
    in_column, in_idx, in_shape, in_part = ut.place(j0, "input")
    entry: dict[str, Any] = {
        "row": out_row,
        "column": in_column,
        "forward": forward_value,
        "adjoint": adjoint_value,
        "difference": gap,
        "relative_difference": gap / scale,
        "text": ut.entry_text(i0, j0, forward_value, adjoint_value),
    }
    if out_part or in_part:
        entry.update(output_part=_PARTS.get(out_part or ""), input_part=_PARTS.get(in_part or ""))
    if ut.shaped:
        entry.update(
            output_index=out_idx,
            input_index=in_idx,
            output_position=position_label(out_idx, out_shape),
            input_position=position_label(in_idx, in_shape),
        )
    else:
        entry.update(
            output_position=position_label((out_row,), (math.prod(out_shape),)),
            input_position=position_label((in_column,), (math.prod(in_shape),)),
        )
    return entry


_PARTS = {"re": "real part", "im": "imaginary part"}
