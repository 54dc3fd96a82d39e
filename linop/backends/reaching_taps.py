"""Convolutions whose padding dwarfs the input: only the taps that reach the input are computed.

With a dilation or padding far beyond the input (``dilation=10**7`` on eight samples),
the padded signal the other backends work on would be mostly zeros (or folded copies)
and could be too large to allocate. Here each tap ``t`` is one gather: the input sample
every output meets through it, ``fold(s j + d t - p)`` per axis
(:meth:`linop.geometry.ConvGeometry.tap_input_indices`, exact for any size), so

.. math::

    y[j, g o + q] = \\sum_t \\sum_{r < c_{in}/G} w[t, r, g o + q]\\; x[\\mathrm{fold}(s j + d t - p), g c + r]

with the terms that meet a zero of ``constant`` padding left out (they are zero). A
tap whose every output meets padding costs nothing. Memory is ``O(B (M c_in + M c_out + N c_in))``
per tap (``M`` outputs, ``N`` inputs), whatever the dilation and padding; work is
``O(B M K c_in c_out / G)`` for ``K`` taps. The adjoint scatters the same terms back
(folded samples that land on one input are summed), the kernel adjoint correlates the
gathered input with ``y`` tap by tap.

Non-finite data: a left-out term is ``0 * v``, which is NaN when ``v`` is NaN or inf.
Where the left-out factor is the operand itself (the kernel of
:class:`~linop.operators.kernel_convolution.KernelConvolution` in :func:`correlate`, ``y``
in :func:`correlate_kernel_adjoint`) the outputs it reaches are set to NaN, as the
defining sum makes them.

Unlike the other backends these functions take the *unpadded* input and the full
geometry (padding and boundary mode included), channels last with a channel axis.
"""

from __future__ import annotations

import math

import numpy as np

from ..geometry import ConvGeometry

__all__ = ["correlate", "correlate_adjoint", "correlate_kernel_adjoint"]


def _taps(geom: ConvGeometry):
    """``(tap, flat input indices of the outputs that reach the input, their output positions,
    the output positions that meet only padding)`` for every tap that reaches the input at all
    (or meets padding somewhere)."""
    for tap in geom.taps():
        idx = geom.tap_input_indices(tap).reshape(-1)
        hit = idx >= 0
        if hit.all():
            yield tap, idx, slice(None), None
        else:
            where = np.flatnonzero(hit)
            yield tap, idx[where], where, np.flatnonzero(~hit)


def _non_finite_columns(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Mask of the trailing (group, channel) columns of ``a`` holding a NaN or inf."""
    with np.errstate(all="ignore"):
        return ~np.isfinite(a).all(axis=axes)


def correlate(x: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """``(B, n..., c_in)`` -> ``(B, m..., c_out)``, the forward map of ``geom`` with ``w``
    ``(k..., c_in/G, c_out)``, padding and boundary applied by index."""
    B, G, c, o = x.shape[0], geom.groups, geom.in_per_group, geom.out_per_group
    M = math.prod(geom.output_size)
    dtype = np.result_type(x, w)
    xf = x.reshape(B, -1, G, c)
    y = np.zeros((B, M, G, o), dtype=dtype)
    w_finite = bool(np.isfinite(w).all())
    for tap, idx, where, missed in _taps(geom):
        wt = w[tap].reshape(c, G, o)
        if idx.size:
            y[:, where] += np.einsum("bmgc,cgo->bmgo", xf[:, idx], wt)
        if missed is not None and not w_finite:  # 0 * (NaN or inf) is NaN
            y[:, missed] += np.where(_non_finite_columns(wt, (0,)), np.nan, 0).astype(dtype)
    return y.reshape((B,) + geom.output_size + (geom.out_channels,))


def correlate_adjoint(y: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its input, the boundary folded:
    ``(B, m..., c_out)`` -> ``(B, n..., c_in)``. Terms that meet zero padding are dropped
    (the adjoint of zero padding drops them too)."""
    B, G, c, o = y.shape[0], geom.groups, geom.in_per_group, geom.out_per_group
    N = math.prod(geom.input_size)
    dtype = np.result_type(y, w)
    yf = y.reshape(B, -1, G, o)
    x = np.zeros((B, N, G, c), dtype=dtype)
    unique = geom.boundary == "constant"  # in range, s j + d t - p is one-to-one in j
    for tap, idx, where, _ in _taps(geom):
        if not idx.size:
            continue
        part = np.einsum("bmgo,cgo->bmgc", yf[:, where], w[tap].reshape(c, G, o))
        if unique:
            x[:, idx] += part
        else:  # folded outputs may land on the same input sample
            np.add.at(x, (slice(None), idx), part)  # type: ignore[arg-type]  # NumPy's stubs omit slices in ufunc.at
    return x.reshape((B,) + geom.input_size + (geom.in_channels,))


def correlate_kernel_adjoint(x: np.ndarray, y: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its kernel:
    ``w[t, r, g o + q] = sum_{b, j} x~[b, s j + d t - p, g c + r] y[b, j, g o + q]``."""
    B, G, c, o = x.shape[0], geom.groups, geom.in_per_group, geom.out_per_group
    dtype = np.result_type(x, y)
    xf = x.reshape(B, -1, G, c)
    yf = y.reshape(B, -1, G, o)
    w = np.zeros(geom.kernel_size + (c, G, o), dtype=dtype)
    y_finite = bool(np.isfinite(y).all())
    for tap, idx, where, missed in _taps(geom):
        if idx.size:
            w[tap] = np.einsum("bmgc,bmgo->cgo", xf[:, idx], yf[:, where])
        if missed is not None and not y_finite:  # 0 * (NaN or inf) is NaN
            w[tap] += np.where(_non_finite_columns(yf[:, missed], (0, 1)), np.nan, 0).astype(dtype)
    return w.reshape(geom.kernel_size + (c, G * o))
