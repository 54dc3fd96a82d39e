"""The forward formulas of linop's operators as affine-index sums.

Every index comes from :mod:`linop.geometry`: a convolution reads input
``i = s*j + d*m - p_lo`` (:meth:`~linop.geometry.AxisGeometry.input_index`) and a boundary
mode folds an out-of-range ``i`` back piece by piece (:func:`~linop.geometry.fold_pieces`),
so a boundary mode contributes one term per combination of pieces.

* :func:`convolution_formula`: ``y[j, o] = sum_{m, c} k[m, c, o] x[s j + d m - p, c]``
  (multi-dimensional, grouped, any boundary mode, optionally flipped);
* :func:`kernel_operator_formula`: the same sum as a linear map of the kernel;
* :func:`padding_formula`, :func:`subsampling_formula`, :func:`zero_insertion_formula`,
  :func:`finite_difference_formula`: the building blocks.

Sizes may be SymPy symbols (declare them ``integer=True, positive=True``) for the
constant boundary; then every condition is kept because none can be decided.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TypeGuard

import numpy as np
import sympy
from sympy import Expr, IndexedBase, Symbol

from ..arguments import as_shape, per_axis
from ..deprecation import renamed_keyword
from ..geometry import AxisGeometry, ConvGeometry, canonical_boundary, fold_pieces, pad_geometry
from .affine_sum import AffineSum, SumTerm, index_symbols

__all__ = [
    "convolution_formula",
    "finite_difference_formula",
    "kernel_operator_formula",
    "padding_formula",
    "subsampling_formula",
    "zero_insertion_formula",
]


def _names(prefix: str, count: int) -> tuple[Symbol, ...]:
    if count == 1:
        return index_symbols([prefix])
    return index_symbols([f"{prefix}_{a + 1}" for a in range(count)])


def _is_number(value: object) -> TypeGuard[int | np.integer | sympy.Integer]:
    return isinstance(value, (int, np.integer)) or (isinstance(value, sympy.Basic) and value.is_Integer)


def _axis_pieces(q: Expr, n: object, low: object, high: object, mode: str) -> list[tuple[Expr, list[sympy.Basic]]]:
    """``x~[q]`` on one axis as pieces ``(folded coordinate, conditions on q)``.

    ``low..high`` is the range ``q`` can take; conditions that this range already
    guarantees are left out.
    """
    if _is_number(n) and _is_number(low) and _is_number(high):
        pieces = fold_pieces(int(n), mode, int(low), int(high))
        out = []
        for piece in pieces:
            conds = []
            if piece.first > int(low):
                conds.append(sympy.Ge(q, piece.first))
            if piece.last < int(high):
                conds.append(sympy.Le(q, piece.last))
            out.append((piece.sign * q + piece.offset, conds))
        if not out:  # every index read lies in a zero pad: the map is zero
            out.append((q, [sympy.false]))
        return out
    if mode != "constant":
        raise ValueError(f"symbolic sizes need boundary='constant'; got boundary={mode!r}")
    conds = []
    if (sympy.sympify(low) >= 0) is not sympy.true:
        conds.append(sympy.Ge(q, 0))
    if (sympy.sympify(high) <= sympy.sympify(n) - 1) is not sympy.true:
        conds.append(sympy.Le(q, sympy.sympify(n) - 1))
    return [(q, conds)]


def _input_index(axis: AxisGeometry, j: Symbol, m: Symbol) -> Expr:
    """The geometry's index map ``s*j + d*m - p_lo`` as a SymPy expression."""
    return sympy.sympify(axis.input_index(j, m))


def _convolution_terms(
    geometry: ConvGeometry,
    flip: bool,
    image: IndexedBase,
    kernel: IndexedBase,
    output: IndexedBase,
    kernel_is_source: bool,
) -> tuple[SumTerm, ...]:
    g = geometry
    j = _names("j", g.ndim)
    m = _names("m", g.ndim)
    free = [(j[a], 0, ax.output_size - 1) for a, ax in enumerate(g.axes)]
    sums = [(m[a], 0, ax.k - 1) for a, ax in enumerate(g.axes)]
    kernel_spatial = [ax.k - 1 - m[a] if flip else m[a] for a, ax in enumerate(g.axes)]
    out_channel: list[Expr] = []
    in_channel: list[Expr] = []
    kernel_channels: list[Expr] = []
    if g.channels:
        group, o, c = index_symbols("g o c")
        group_value: Expr = group if g.groups > 1 else sympy.Integer(0)
        o_value: Expr = o if g.out_per_group > 1 else sympy.Integer(0)
        c_value: Expr = c if g.in_per_group > 1 else sympy.Integer(0)
        if g.groups > 1:
            free.append((group, 0, g.groups - 1))
        if g.out_per_group > 1:
            free.append((o, 0, g.out_per_group - 1))
        if g.in_per_group > 1:
            sums.append((c, 0, g.in_per_group - 1))
        out_channel = [group_value * g.out_per_group + o_value]
        in_channel = [group_value * g.in_per_group + c_value]
        kernel_channels = [c_value, out_channel[0]]
    per_axis_pieces = []
    for a, ax in enumerate(g.axes):
        q = _input_index(ax, j[a], m[a])
        low, high = ax.index_range()
        per_axis_pieces.append(_axis_pieces(q, ax.n, low, high, g.boundary))
    target_index = tuple(j) + tuple(out_channel)
    kernel_index = tuple(kernel_spatial) + tuple(kernel_channels)
    terms = []
    for combination in itertools.product(*per_axis_pieces):
        image_index = tuple(coord for coord, _ in combination) + tuple(in_channel)
        conditions = [c for _, conds in combination for c in conds]
        if kernel_is_source:
            source, source_index, coefficient = kernel, kernel_index, image[image_index]
        else:
            source, source_index, coefficient = image, image_index, kernel[kernel_index]
        terms.append(
            SumTerm(
                output, target_index, source, source_index, coefficient, tuple(free), tuple(sums), tuple(conditions)
            )
        )
    return tuple(terms)


def convolution_formula(
    geometry: ConvGeometry,
    *,
    flip: bool = False,
    kernel_real: bool = False,
    image: str = "x",
    kernel: str = "k",
    output: str = "y",
) -> AffineSum:
    """The forward formula of a convolution as an affine-index sum.

    .. math::

        y[j, g O + o] = \\sum_{m} \\sum_{c < C} k[m, c, g O + o]\\;
            \\tilde x[s j + d m - p,\\; g C + c]

    with ``C = c_in/G``, ``O = c_out/G`` per group ``g``; ``x~`` is ``x`` extended by the
    boundary mode, written as one term per combination of fold pieces (with Iverson
    brackets for the stretch each piece covers). ``flip=True`` reads ``k[K-1-m]``.
    Channel variables of a single value (one group, one channel) are left out; the
    single-channel layout has none.

    Parameters
    ----------
    geometry : ConvGeometry
        From :func:`linop.geometry.conv_geometry` (or with symbolic sizes).
    flip : bool
        Reverse the kernel along every spatial axis.
    kernel_real : bool
        Declare the kernel entries real (their conjugates simplify away).
    image, kernel, output : str
        Names of the arrays.

    Returns
    -------
    AffineSum
        ``y[j] = sum ... k[m] x~[s j + d m - p]`` with the shapes of ``geometry``.

    Examples
    --------
    >>> from linop import symbolic
    >>> from linop.geometry import ConvGeometry
    >>> print(symbolic.convolution_formula(ConvGeometry.build((7,), (3,), stride=2, channels=False)))
    Eq(y[j], Sum(k[m]*x[2*j + m], (m, 0, 2)))
    """
    x, k, y = IndexedBase(image), IndexedBase(kernel, real=kernel_real or None), IndexedBase(output)
    terms = _convolution_terms(geometry, flip, x, k, y, kernel_is_source=False)
    return AffineSum(terms, geometry.output_shape, geometry.input_shape)


def kernel_operator_formula(
    geometry: ConvGeometry,
    *,
    flip: bool = False,
    image_real: bool = False,
    image: str = "x",
    kernel: str = "k",
    output: str = "y",
) -> AffineSum:
    """The convolution as a linear map of its kernel, for a fixed image ``x`` (the kernel
    gradient's operator): the sum of :func:`convolution_formula` with ``k`` as the source
    and ``x~[...]`` as the coefficient.

    Parameters
    ----------
    geometry : ConvGeometry
        The convolution's geometry.
    flip : bool, default False
        Reverse the kernel along every spatial axis.
    image_real : bool, default False
        Declare the image entries real.
    image, kernel, output : str
        Names of the arrays.

    Returns
    -------
    AffineSum
        ``y = K k`` with the image as coefficients.

    Examples
    --------
    >>> from linop import symbolic
    >>> from linop.geometry import ConvGeometry
    >>> print(symbolic.kernel_operator_formula(ConvGeometry.build((4,), (2,), channels=False)))
    Eq(y[j], Sum(k[m]*x[j + m], (m, 0, 1)))
    """
    x, k, y = IndexedBase(image, real=image_real or None), IndexedBase(kernel), IndexedBase(output)
    terms = _convolution_terms(geometry, flip, x, k, y, kernel_is_source=True)
    return AffineSum(terms, geometry.output_shape, geometry.kernel_shape)


@renamed_keyword("mode", "boundary")
def padding_formula(input_shape: int | Sequence[int], pad_width: object, boundary: str = "constant") -> AffineSum:
    """``y[j] = x[fold(j - lo)]`` on every axis: one term per combination of fold pieces.

    ``pad_width`` as for :class:`linop.Pad` (an int, one int per axis or ``(lo, hi)`` pairs).

    Parameters
    ----------
    input_shape : int or tuple of int
        The shape of ``x``.
    pad_width : int, sequence of int or sequence of (int, int)
        As for :class:`linop.Pad`.
    boundary : str, default "constant"
        A boundary mode (checked as for :class:`linop.Pad`, :func:`linop.geometry.pad_geometry`).

    Returns
    -------
    AffineSum
        The padding as a sum over fold pieces.

    Examples
    --------
    >>> from linop import symbolic
    >>> print(symbolic.derive_adjoint(symbolic.padding_formula(4, 1, "edge")))
    Eq(x[i], Piecewise((y[0], Eq(i, 0)), (0, True)) + Piecewise((y[5], Eq(i, 3)), (0, True)) + y[i + 1])
    """
    geometry = pad_geometry(input_shape, pad_width, boundary)
    shape, pads, mode = geometry.input_size, geometry.padding, geometry.boundary
    j = _names("j", len(shape))
    x, y = IndexedBase("x"), IndexedBase("y")
    out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(shape, pads))
    free = tuple((j[a], 0, out_shape[a] - 1) for a in range(len(shape)))
    pieces = [_axis_pieces(j[a] - lo, n, -lo, n - 1 + hi, mode) for a, (n, (lo, hi)) in enumerate(zip(shape, pads))]
    terms = []
    for combination in itertools.product(*pieces):
        terms.append(
            SumTerm(
                y,
                j,
                x,
                tuple(coord for coord, _ in combination),
                1,
                free,
                (),
                tuple(c for _, conds in combination for c in conds),
            )
        )
    return AffineSum(tuple(terms), out_shape, shape)


def subsampling_formula(
    input_shape: int | Sequence[int], stride: int | Sequence[int], offset: int | Sequence[int] = 0
) -> AffineSum:
    """``y[j] = x[s j + offset]`` per axis (the sizes of :class:`linop.Subsample`).

    Parameters
    ----------
    input_shape : int or tuple of int
        The shape of ``x``.
    stride : int or tuple of int
        ``s`` per axis.
    offset : int or tuple of int, default 0
        The first sample kept per axis.

    Returns
    -------
    AffineSum
        The subsampling.

    Examples
    --------
    >>> from linop import symbolic
    >>> print(symbolic.subsampling_formula(8, stride=3, offset=1))
    Eq(y[j], x[3*j + 1])
    """
    shape = as_shape(input_shape, "input_shape")
    strides = per_axis(stride, len(shape), "stride", minimum=1)
    offsets = per_axis(offset, len(shape), "offset", minimum=0)
    if any(o >= n for n, o in zip(shape, offsets)):
        raise ValueError(f"offset must be < the axis length; got offset={offset!r} for shape {shape}")
    out = tuple(-(-(n - o) // s) for n, s, o in zip(shape, strides, offsets))
    j = _names("j", len(shape))
    free = tuple((j[a], 0, m - 1) for a, m in enumerate(out))
    index = tuple(s * j[a] + o for a, (s, o) in enumerate(zip(strides, offsets)))
    term = SumTerm(IndexedBase("y"), j, IndexedBase("x"), index, 1, free)
    return AffineSum((term,), out, shape)


def zero_insertion_formula(
    input_shape: int | Sequence[int], stride: int | Sequence[int], output_shape: int | Sequence[int] | None = None
) -> AffineSum:
    """``y[s u] = x[u]`` per axis, zeros in between: ``s - 1`` zeros between neighbours.

    The output has ``s*(n-1) + 1`` samples per axis unless ``output_shape`` asks for more
    (trailing zeros).

    Parameters
    ----------
    input_shape : int or tuple of int
        The shape of ``x``.
    stride : int or tuple of int
        ``s`` per axis.
    output_shape : int or tuple of int, optional
        At least ``s*(n-1) + 1`` per axis.

    Returns
    -------
    AffineSum
        The zero insertion.

    Raises
    ------
    ValueError
        If ``output_shape`` is too short to hold ``s*(n-1) + 1`` samples.

    Examples
    --------
    >>> from linop import symbolic
    >>> print(symbolic.zero_insertion_formula(3, stride=2))
    Eq(y[2*u], x[u])
    """
    shape = as_shape(input_shape, "input_shape")
    strides = per_axis(stride, len(shape), "stride")
    needed = tuple(s * (n - 1) + 1 for n, s in zip(shape, strides))
    out = needed if output_shape is None else as_shape(output_shape, "output_shape")
    if len(out) != len(shape) or any(o < w for o, w in zip(out, needed)):
        raise ValueError(f"output_shape must have {len(shape)} axes of at least {needed}; got {output_shape!r}")
    u = _names("u", len(shape))
    free = tuple((u[a], 0, n - 1) for a, n in enumerate(shape))
    term = SumTerm(IndexedBase("y"), tuple(s * u[a] for a, s in enumerate(strides)), IndexedBase("x"), u, 1, free)
    return AffineSum((term,), out, shape)


def finite_difference_formula(input_shape: int | Sequence[int], axis: int = 0, boundary: str = "constant") -> AffineSum:
    """The forward difference ``y[j] = x[j + e_axis] - x[j]`` along ``axis``.

    ``boundary="constant"``: only where ``j + e_axis`` is inside (one sample fewer along
    ``axis``); ``"wrap"``: periodic, ``x[j + e_axis]`` folded back (same shape).

    Parameters
    ----------
    input_shape : int or tuple of int
        The shape of ``x``.
    axis : int, default 0
        The axis of the difference.
    boundary : {"constant", "wrap"}, default "constant"
        Drop the last sample (``"constant"``) or wrap around.

    Returns
    -------
    AffineSum
        The forward difference.

    Raises
    ------
    ValueError
        For an axis out of range, a boundary other than these two, or an axis of length 1
        with ``"constant"``.

    Examples
    --------
    >>> from linop import symbolic
    >>> print(symbolic.finite_difference_formula(5))
    Eq(y[j], x[j + 1] - x[j])
    """
    shape = as_shape(input_shape, "input_shape")
    if not 0 <= axis < len(shape):
        raise ValueError(f"axis must be in [0, {len(shape)}); got {axis}")
    boundary = canonical_boundary(boundary)
    if boundary not in ("constant", "wrap"):
        raise ValueError(f"boundary must be 'constant' or 'wrap' for finite differences; got {boundary!r}")
    n = shape[axis]
    if boundary == "constant" and n < 2:
        raise ValueError(f"axis {axis} has length {n}: a forward difference needs at least 2 samples")
    out = tuple(s - 1 if a == axis and boundary == "constant" else s for a, s in enumerate(shape))
    j = _names("j", len(shape))
    free = tuple((j[a], 0, out[a] - 1) for a in range(len(shape)))
    x, y = IndexedBase("x"), IndexedBase("y")
    terms = []
    for coord, conds in _axis_pieces(j[axis] + 1, n, 1, out[axis], boundary):
        index = tuple(coord if a == axis else j[a] for a in range(len(shape)))
        terms.append(SumTerm(y, j, x, index, 1, free, (), tuple(conds)))
    terms.append(SumTerm(y, j, x, j, -1, free))
    return AffineSum(tuple(terms), out, shape)
