"""Operators defined by their forward index formula alone: pooling, upsampling, differences, DFT, ...

Every entry is a ``FormulaEntry``: a formula, the sizes and coefficient arrays it
names, and nothing else; ``FormulaEntry.build`` gives the operator (adjoint derived,
compiled) and ``linop derive --catalogue NAME`` shows both formulas with their proofs.
Boundary modes of the finite differences and the gradient are written from
:func:`linop.geometry.fold_pieces` (one term per stretch on which the fold is affine), the
pooling's output size from :class:`linop.geometry.AxisGeometry`: the formulas state the
same index arithmetic as the convolutions.

Nothing here imports SymPy; building an entry does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..deprecation import renamed_keyword
from ..geometry import AxisGeometry, canonical_boundary, fold_pieces

__all__ = [
    "DIFFERENCE_MODES",
    "DIVERGENCE_MODES",
    "FormulaEntry",
    "average_pooling",
    "catalogue",
    "dft",
    "divergence",
    "entry",
    "finite_difference",
    "gradient",
    "hankel",
    "lecture_convolution",
    "linear_upsampling",
    "nearest_upsampling",
    "prove_divergence",
    "strided_crop",
    "toeplitz",
    "transpose",
]

#: Boundary modes of the differences: the padding modes, and ``valid`` (one output fewer).
DIFFERENCE_MODES = ("constant", "wrap", "reflect", "symmetric", "edge", "valid")
#: Modes with a divergence formula of its own (proved to be ``-gradient^H``).
DIVERGENCE_MODES = ("constant", "edge", "wrap")


@dataclass(frozen=True)
class FormulaEntry:
    """An operator given by its forward formula: text, sizes, coefficient arrays, shapes.

    Parameters
    ----------
    name, description : str
        A short name and one line on what it is.
    formula : str
        The forward formula (grammar: :mod:`linop.formula.grammar`).
    sizes : dict, optional
        Values of the size names.
    arrays : dict, optional
        Coefficient arrays by name.
    input_shape, output_shape : tuple of int or None
        Given where the formula does not imply them.

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> e = cat.FormulaEntry("shift", "a shift", "y[i] = x[i + 1] for i = 0..n-2", {"n": 5})
    >>> e.build().shape
    (4, 5)
    """

    name: str
    description: str
    formula: str
    sizes: Mapping[str, int] = field(default_factory=dict)
    arrays: Mapping[str, Any] = field(default_factory=dict)
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None

    def build(self, dtype: Any = None):
        """The operator (:func:`linop.from_formula`); ``dtype`` as there.

        Parameters
        ----------
        dtype : numpy dtype, optional

        Returns
        -------
        FormulaOperator
        """
        from . import from_formula

        return from_formula(
            self.formula,
            sizes=dict(self.sizes),
            arrays=dict(self.arrays),
            input_shape=self.input_shape,
            output_shape=self.output_shape,
            dtype=dtype,
        )


# -- text helpers -------------------------------------------------------------------------
def _linear_text(terms: Sequence[tuple[int, str]], constant: int) -> str:
    """``sum(c * name) + constant`` written the way a person would (``i - n + 1``, ``2*n - 3 - i``)."""
    out = ""
    for c, name in [t for t in terms if t[0] > 0] + [t for t in terms if t[0] < 0]:
        body = name if abs(c) == 1 else f"{abs(c)}*{name}"
        out += (body if c > 0 else f"-{body}") if not out else (f" + {body}" if c > 0 else f" - {body}")
    if constant or not out:
        out += str(constant) if not out else (f" + {constant}" if constant > 0 else f" - {-constant}")
    return out


def _fit(value_n: int, value_next: int, n: int) -> tuple[int, int]:
    """``(a, b)`` with ``value = a*n + b`` from the values at ``n`` and ``n + 1``."""
    a = value_next - value_n
    return a, value_n - a * n


def _extended_reads(
    array: str, indices: Sequence[str], axis: int, shift: int, n: int, size: str, boundary: str
) -> list[str]:
    """``x~[..., i + shift, ...]``, ``x`` extended along ``axis`` by a boundary boundary, as one
    Iverson-guarded read per fold piece of :func:`linop.geometry.fold_pieces`, ``i = 0..n-1``.

    The pieces' ends and offsets are affine in ``n``; they are read off the pieces at ``n`` and
    ``n + 1`` and written with the size's name, so the formula holds for every ``n`` (numbers
    are kept when the two lists of pieces do not match, for very short axes)."""
    var = indices[axis]
    pieces = fold_pieces(n, boundary, shift, n - 1 + shift)
    following = fold_pieces(n + 1, boundary, shift, n + shift)
    symbolic = len(pieces) == len(following) and all(p.sign == q.sign for p, q in zip(pieces, following))
    reads = []
    for number, piece in enumerate(pieces):
        first, last = piece.first - shift, piece.last - shift  # the stretch of the variable
        constant = piece.sign * shift + piece.offset
        if symbolic:
            other = following[number]
            first_t = _linear_text(
                [(_fit(first, other.first - shift, n)[0], size)], _fit(first, other.first - shift, n)[1]
            )
            last_t = _linear_text([(_fit(last, other.last - shift, n)[0], size)], _fit(last, other.last - shift, n)[1])
            a, b = _fit(constant, other.sign * shift + other.offset, n)
        else:
            first_t, last_t, (a, b) = str(first), str(last), (0, constant)
        conditions = ""
        if first > 0 and last < n - 1:
            conditions = f"[{first_t} <= {var} <= {last_t}] "
        elif first > 0:
            conditions = f"[{var} >= {first_t}] "
        elif last < n - 1:
            conditions = f"[{var} <= {last_t}] "
        index = _linear_text([(piece.sign, var), (a, size)], b)
        parts = list(indices)
        parts[axis] = index
        reads.append(f"{conditions}{array}[{', '.join(parts)}]")
    return reads


def _sum(reads: Sequence[str], sign: str = "+") -> str:
    if not reads:
        return "0"
    text = f" {sign} ".join(reads)
    return f"({text})" if len(reads) > 1 else text


def _difference(kind: str, array: str, indices: Sequence[str], axis: int, n: int, size: str, boundary: str) -> str:
    """The difference along ``axis`` as a right-hand side (``boundary`` a padding boundary)."""
    here = f"{array}[{', '.join(indices)}]"
    if kind == "forward":
        return f"{_sum(_extended_reads(array, indices, axis, 1, n, size, boundary))} - {here}"
    if kind == "backward":
        return f"{here} - {_sum(_extended_reads(array, indices, axis, -1, n, size, boundary))}"
    if kind == "central":
        ahead = _sum(_extended_reads(array, indices, axis, 1, n, size, boundary))
        behind = _sum(_extended_reads(array, indices, axis, -1, n, size, boundary))
        return f"({ahead} - {behind}) / 2"
    raise ValueError(f"kind must be 'forward', 'backward' or 'central'; got {kind!r}")


def _check_boundary(boundary: str, allowed: Sequence[str]) -> str:
    if boundary != "valid":
        with contextlib.suppress(ValueError):
            boundary = canonical_boundary(boundary)
    if boundary not in allowed:
        raise ValueError(f"boundary must be one of {', '.join(map(repr, allowed))}; got {boundary!r}")
    return boundary


# -- the entries ----------------------------------------------------------------------------
def average_pooling(
    k: int = 2, stride: int | None = None, padding: int = 0, shape: tuple[int, int] = (8, 8)
) -> FormulaEntry:
    """``k x k`` average pooling with stride ``s`` and zero padding ``p`` (zeros count in the mean):

    .. math::

        y[i, j] = \\frac{1}{k^2} \\sum_{m, n < k} [0 \\le s i + m - p < H]\\,[0 \\le s j + n - p < W]\\;
            x[s i + m - p,\\; s j + n - p]

    Parameters
    ----------
    k : int
        Window size.
    stride : int, optional
        ``s`` (default ``k``: non-overlapping windows).
    padding : int
        Zero padding ``p`` on every side (the output size is :class:`linop.geometry.AxisGeometry`'s).
    shape : (int, int)
        The input's shape ``(H, W)``.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> cat.average_pooling(2, shape=(4, 4)).build().output_shape
    (2, 2)
    """
    s = k if stride is None else stride
    H, W = shape
    M = AxisGeometry(H, k, s, 1, padding, padding).output_size
    N = AxisGeometry(W, k, s, 1, padding, padding).output_size
    guards = "[0 <= s*i + m - p < H] [0 <= s*j + n - p < W] " if padding else ""
    text = f"y[i, j] = sum(m=0..k-1, n=0..k-1) {guards}x[s*i + m - p, s*j + n - p] / k**2 for i = 0..M-1, j = 0..N-1"
    return FormulaEntry(
        f"average pooling {k}x{k} stride {s} padding {padding}",
        f"{k} x {k} average pooling, stride {s}, zero padding {padding}, {H} x {W} -> {M} x {N}",
        text,
        dict(k=k, s=s, p=padding, H=H, W=W, M=M, N=N),
        input_shape=(H, W),
    )


def nearest_upsampling(factor: int = 2, shape: tuple[int, int] = (4, 5)) -> FormulaEntry:
    """Nearest-neighbour upsampling by ``f``: ``y[f i + r, f j + q] = x[i, j]`` (adjoint: block sums).

    Parameters
    ----------
    factor : int
        ``f``.
    shape : (int, int)
        The input's shape.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> import numpy as np
    >>> cat.nearest_upsampling(2, (1, 2)).build().apply(np.array([[1.0, 2.0]]))
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    return FormulaEntry(
        f"nearest upsampling x{factor}",
        f"nearest-neighbour upsampling by {factor}, {shape[0]} x {shape[1]}",
        "y[f*i + r, f*j + q] = x[i, j] for r = 0..f-1, q = 0..f-1",
        dict(f=factor),
        input_shape=tuple(shape),
    )


def linear_upsampling(factor: int = 2, shape: tuple[int, int] = (4, 5)) -> FormulaEntry:
    """Bilinear upsampling by ``f`` through the samples (corners aligned), ``(H-1) f + 1`` rows:

    .. math::

        y[f i + r, f j + q] = \\frac{1}{f^2}\\big((f-r)(f-q) x[i,j] + (f-r) q\\, x[i,j+1]
            + r (f-q)\\, x[i+1,j] + r q\\, x[i+1,j+1]\\big)

    Parameters
    ----------
    factor : int
        ``f``.
    shape : (int, int)
        The input's shape ``(H, W)``; the output is ``((H-1) f + 1, (W-1) f + 1)``.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> import numpy as np
    >>> cat.linear_upsampling(2, (2, 2)).build().apply(np.array([[0.0, 2.0], [4.0, 6.0]]))
    array([[0., 1., 2.],
           [2., 3., 4.],
           [4., 5., 6.]])
    """
    H, W = shape
    text = (
        "y[f*i + r, f*j + q] = [f*i + r <= f*(H - 1)] [f*j + q <= f*(W - 1)] "
        "((f - r) * ((f - q) * x[i, j] + [q >= 1] q * x[i, j + 1]) "
        "+ [r >= 1] r * ((f - q) * x[i + 1, j] + [q >= 1] q * x[i + 1, j + 1])) / f**2 "
        "for i = 0..H-1, j = 0..W-1, r = 0..f-1, q = 0..f-1"
    )
    return FormulaEntry(
        f"bilinear upsampling x{factor}",
        f"bilinear upsampling by {factor} (corners aligned), {H} x {W}",
        text,
        dict(f=factor, H=H, W=W),
        input_shape=(H, W),
        output_shape=((H - 1) * factor + 1, (W - 1) * factor + 1),
    )


@renamed_keyword("mode", "boundary")
def finite_difference(kind: str = "forward", boundary: str = "constant", n: int = 8) -> FormulaEntry:
    """A forward, backward or central difference on ``n`` samples, ``x`` extended by ``boundary``.

    ``y[i] = x~[i+1] - x[i]``, ``x[i] - x~[i-1]`` or ``(x~[i+1] - x~[i-1])/2`` with ``x~`` the
    extension of :func:`linop.geometry.fold_pieces` (``valid``: only where no extension is
    needed, fewer outputs).

    Parameters
    ----------
    kind : {"forward", "backward", "central"}
    boundary : {"constant", "wrap", "reflect", "symmetric", "edge", "valid"}
        Or an alias of :mod:`linop.geometry` (``zeros``, ``circular``, ``replicate``).
    n : int
        Number of samples.

    Returns
    -------
    FormulaEntry

    Raises
    ------
    ValueError
        For an unknown kind or boundary.

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> print(cat.finite_difference("forward", "wrap", 6).formula)
    y[i] = ([i <= n - 2] x[i + 1] + [i >= n - 1] x[i - n + 1]) - x[i] for i = 0..n-1
    """
    boundary = _check_boundary(boundary, DIFFERENCE_MODES)
    if boundary == "valid":
        texts = {
            "forward": "y[i] = x[i + 1] - x[i] for i = 0..n-2",
            "backward": "y[i] = x[i + 1] - x[i] for i = 0..n-2",
            "central": "y[i] = (x[i + 2] - x[i]) / 2 for i = 0..n-3",
        }
        if kind not in texts:
            raise ValueError(f"kind must be 'forward', 'backward' or 'central'; got {kind!r}")
        text = texts[kind]
    else:
        text = f"y[i] = {_difference(kind, 'x', ['i'], 0, n, 'n', boundary)} for i = 0..n-1"
    return FormulaEntry(
        f"{kind} difference {boundary}",
        f"{kind} difference on {n} samples, boundary {boundary}",
        text,
        dict(n=n),
        input_shape=(n,),
    )


@renamed_keyword("mode", "boundary")
def gradient(boundary: str = "edge", shape: tuple[int, int] = (5, 6)) -> FormulaEntry:
    """The image gradient by forward differences, ``y[0] = D_i x``, ``y[1] = D_j x``, ``x`` extended by ``boundary``.

    Parameters
    ----------
    boundary : {"constant", "wrap", "reflect", "symmetric", "edge"}
    shape : (int, int)
        The image's shape ``(H, W)``; the output is ``(2, H, W)``.

    Returns
    -------
    FormulaEntry

    Raises
    ------
    ValueError
        For another boundary.

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> import numpy as np
    >>> cat.gradient("edge", (2, 2)).build().apply(np.array([[1.0, 2.0], [4.0, 8.0]]))
    array([[[3., 6.],
            [0., 0.]],
    <BLANKLINE>
           [[1., 0.],
            [4., 0.]]])
    """
    boundary = _check_boundary(boundary, DIFFERENCE_MODES[:-1])
    H, W = shape
    rows = _difference("forward", "x", ["i", "j"], 0, H, "H", boundary)
    cols = _difference("forward", "x", ["i", "j"], 1, W, "W", boundary)
    text = f"y[c, i, j] = [c == 0] ({rows}) + [c == 1] ({cols}) for c = 0..1, i = 0..H-1, j = 0..W-1"
    return FormulaEntry(
        f"gradient {boundary}",
        f"image gradient (forward differences), {H} x {W}, boundary {boundary}",
        text,
        dict(H=H, W=W),
        input_shape=(H, W),
    )


@renamed_keyword("mode", "boundary")
def divergence(boundary: str = "edge", shape: tuple[int, int] = (5, 6)) -> FormulaEntry:
    """The divergence of a vector field ``x[c, i, j]`` by backward differences, written so that
    ``div = -gradient^H`` for the same boundary (:func:`linop.formula.catalogue.prove_divergence` proves it):

    * ``edge`` (Neumann): ``[i <= H-2] x[0,i,j] - [i >= 1] x[0,i-1,j] + (the same along j)``;
    * ``constant``: ``x[0,i,j] - [i >= 1] x[0,i-1,j] + ...``;
    * ``wrap``: ``x[0,i,j] - x[0,(i-1) mod H,j] + ...``.

    Parameters
    ----------
    boundary : {"constant", "edge", "wrap"}
    shape : (int, int)
        The image's shape ``(H, W)``; the input is ``(2, H, W)``.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> cat.divergence("edge", (3, 4)).build().input_shape
    (2, 3, 4)
    """
    boundary = _check_boundary(boundary, DIVERGENCE_MODES)
    H, W = shape

    def axis(c: int, var: str, size: str) -> str:
        here = ["i", "j"]
        back = list(here)
        back[c] = f"{var} - 1"
        last = list(here)
        last[c] = f"{size} - 1"
        at = f"x[{c}, {', '.join(here)}]"
        behind = f"[{var} >= 1] x[{c}, {', '.join(back)}]"
        if boundary == "edge":
            return f"[{var} <= {size} - 2] {at} - {behind}"
        if boundary == "constant":
            return f"{at} - {behind}"
        return f"{at} - {behind} - [{var} == 0] x[{c}, {', '.join(last)}]"

    text = f"y[i, j] = {axis(0, 'i', 'H')} + {axis(1, 'j', 'W')} for i = 0..H-1, j = 0..W-1"
    return FormulaEntry(
        f"divergence {boundary}",
        f"divergence (backward differences), {H} x {W}, boundary {boundary}",
        text,
        dict(H=H, W=W),
        input_shape=(2, H, W),
    )


@renamed_keyword("mode", "boundary")
def prove_divergence(boundary: str = "edge", shape: tuple[int, int] = (4, 5)):
    """Prove exactly that the divergence formula is minus the adjoint of the gradient formula.

    Parameters
    ----------
    boundary : {"constant", "edge", "wrap"}
    shape : (int, int)
        The image's shape.

    Returns
    -------
    linop.symbolic.ProofResult
        ``div = -grad^H``, compared entry by entry (imports SymPy).

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> cat.prove_divergence("edge", (3, 3)).holds
    True
    """
    from .exact_twin import check_negative_adjoint

    grad = gradient(boundary, shape).build()
    div = divergence(boundary, shape).build()
    return check_negative_adjoint(
        div._formulas["forward_numeric"], grad._formulas["forward_numeric"], first_name="div", second_name="grad"
    )


def _seeded(shape: tuple[int, ...], seed: int, complex_: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if complex_ else a


def toeplitz(m: int = 6, n: int = 5, seed: int = 0, complex_: bool = False) -> FormulaEntry:
    """``y[i] = sum_j t[i - j + n - 1] x[j]``: the Toeplitz matrix of ``t`` (length ``m + n - 1``).

    Parameters
    ----------
    m, n : int
        Rows and columns.
    seed : int
        Seed of the random ``t``.
    complex_ : bool
        A complex ``t``.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> cat.toeplitz(4, 3).build().shape
    (4, 3)
    """
    return FormulaEntry(
        "Toeplitz" + (" complex" if complex_ else ""),
        f"Toeplitz product, {m} x {n}",
        "y[i] = sum(j=0..n-1) t[i - j + n - 1] * x[j] for i = 0..m-1",
        dict(m=m, n=n),
        {"t": _seeded((m + n - 1,), seed, complex_)},
    )


def hankel(m: int = 6, n: int = 5, seed: int = 1) -> FormulaEntry:
    """``y[i] = sum_j h[i + j] x[j]``: the Hankel matrix of ``h`` (length ``m + n - 1``).

    Parameters
    ----------
    m, n : int
        Rows and columns.
    seed : int
        Seed of the random ``h``.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> cat.hankel(4, 3).build().shape
    (4, 3)
    """
    return FormulaEntry(
        "Hankel",
        f"Hankel product, {m} x {n}",
        "y[i] = sum(j=0..n-1) h[i + j] * x[j] for i = 0..m-1",
        dict(m=m, n=n),
        {"h": _seeded((m + n - 1,), seed)},
    )


def dft(N: int = 8) -> FormulaEntry:
    """The DFT matrix, ``y[k] = sum_m exp(-2 pi i k m / N) x[m]``; its adjoint is ``N`` times the inverse DFT.

    Parameters
    ----------
    N : int
        Number of samples.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> import numpy as np
    >>> A = cat.dft(4).build()
    >>> np.allclose(A @ np.arange(4.0), np.fft.fft(np.arange(4.0)))
    True
    """
    return FormulaEntry(
        "DFT",
        f"discrete Fourier transform on {N} samples (complex coefficients)",
        "y[k] = sum(m=0..N-1) exp(-2*pi*I*k*m/N) * x[m] for k = 0..N-1",
        dict(N=N),
    )


def strided_crop(
    shape: tuple[int, int] = (9, 8), start: tuple[int, int] = (1, 2), stride: int = 2, size: tuple[int, int] = (4, 3)
) -> FormulaEntry:
    """``y[i, j] = x[a + s i, b + s j]``: a strided crop (adjoint: zero insertion into the window).

    Parameters
    ----------
    shape : (int, int)
        The input's shape.
    start : (int, int)
        ``(a, b)``.
    stride : int
        ``s``.
    size : (int, int)
        The output's shape.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> cat.strided_crop().build().output_shape
    (4, 3)
    """
    return FormulaEntry(
        "strided crop",
        f"crop from {start} with stride {stride}, {shape} -> {size}",
        "y[i, j] = x[a + s*i, b + s*j] for i = 0..M-1, j = 0..N-1",
        dict(a=start[0], b=start[1], s=stride, M=size[0], N=size[1]),
        input_shape=tuple(shape),
    )


def transpose(shape: tuple[int, int] = (4, 6)) -> FormulaEntry:
    """``y[i, j] = x[j, i]``: the transpose of two axes (its adjoint is the transpose back).

    Parameters
    ----------
    shape : (int, int)
        The input's shape.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> cat.transpose((2, 3)).build().output_shape
    (3, 2)
    """
    return FormulaEntry(
        "transpose", f"transpose of a {shape[0]} x {shape[1]} array", "y[i, j] = x[j, i]", input_shape=tuple(shape)
    )


def lecture_convolution() -> FormulaEntry:
    """The lecture's convolution: ``y[j] = sum_{m<3} k[m] x[2 j + m]`` on 7 samples, ``k = (1/2, 1, 1/2)``.

    Returns
    -------
    FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> print(cat.lecture_convolution().build().adjoint_formula)
    Eq(x[i], Sum(k[i - 2*j]*y[j], (j, Max(0, ceiling(i/2) - 1), Min(2, floor(i/2)))))
    """
    return FormulaEntry(
        "convolution 3 taps stride 2",
        "the lecture's convolution: 3 taps, stride 2, 7 -> 3",
        "y[j] = sum(m=0..2) k[m] * x[2*j + m] for j = 0..2",
        arrays={"k": np.array([0.5, 1.0, 0.5])},
    )


def catalogue() -> tuple[FormulaEntry, ...]:
    """Every operator of the catalogue at small sizes (names are unique).

    Returns
    -------
    tuple of FormulaEntry

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> len(cat.catalogue()), cat.catalogue()[0].name
    (38, 'average pooling 2x2 stride 2 padding 0')
    """
    entries = [
        average_pooling(2, 2, 0, (8, 6)),
        average_pooling(3, 2, 1, (7, 8)),
        nearest_upsampling(2, (4, 5)),
        linear_upsampling(2, (4, 5)),
        linear_upsampling(3, (3, 4)),
    ]
    entries += [
        finite_difference(kind, boundary, 7)
        for kind in ("forward", "backward", "central")
        for boundary in DIFFERENCE_MODES
    ]
    entries += [gradient(boundary, (4, 5)) for boundary in DIFFERENCE_MODES[:-1]]
    entries += [divergence(boundary, (4, 5)) for boundary in DIVERGENCE_MODES]
    entries += [
        toeplitz(6, 5),
        toeplitz(4, 5, 2, complex_=True),
        hankel(6, 5),
        dft(8),
        strided_crop(),
        transpose(),
        lecture_convolution(),
    ]
    return tuple(entries)


def entry(name: str) -> FormulaEntry:
    """The catalogue entry called ``name``.

    Parameters
    ----------
    name : str
        As listed by ``linop derive --catalogue list``.

    Returns
    -------
    FormulaEntry

    Raises
    ------
    ValueError
        For an unknown name (the message lists the names).

    Examples
    --------
    >>> from linop.formula import catalogue as cat
    >>> cat.entry("transpose").formula
    'y[i, j] = x[j, i]'
    """
    for e in catalogue():
        if e.name == name:
            return e
    raise ValueError(f"no catalogue formula named {name!r}; have: {', '.join(e.name for e in catalogue())}")
