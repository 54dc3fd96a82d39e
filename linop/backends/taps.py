"""Tap-major GEMM: one matrix product per kernel tap.

All functions work on the *padded* input (the boundary mode has already been
applied), channels last, batch first, and on the unpadded geometry
(``geometry.unpadded()``: padding 0, so padded index ``s*j + d*t`` is the input index).
With ``G = groups``, ``c = c_in/G`` and ``o = c_out/G``, output channel ``g*o + q``
reads input channels ``g*c ... g*c + c - 1``:

.. math::

    y[b, j, g o + q] = \\sum_t \\sum_{r<c} w[t, r, g o + q]\\, x_p[b, s j + d t, g c + r]

The loop runs over the ``prod(k)`` kernel taps only, never over pixels or samples;
each tap is a strided slice of the padded input times a ``c x o`` matrix per group.
The adjoint adds one strided slice per tap (no scatter), the kernel adjoint
contracts over batch and output positions.
"""

from __future__ import annotations

import numpy as np

from ..geometry import ConvGeometry

__all__ = ["correlate", "correlate_adjoint", "correlate_kernel_adjoint"]


def _tap_index(geom: ConvGeometry, tap: tuple[int, ...]) -> tuple[slice, ...]:
    return (slice(None),) + tuple(ax.tap_slice(t) for ax, t in zip(geom.axes, tap))


def _grouped_weights(w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """``(k..., c, G*o) -> (k..., G, c, o)``."""
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    w = w.reshape(geom.kernel_size + (c, G, o))
    return np.moveaxis(w, -2, -3)


def correlate(xp: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Strided, dilated, grouped cross-correlation of a padded batch.

    ``xp``: ``(B, P_1..P_d, c_in)``; ``w``: ``(k_1..k_d, c_in/G, c_out)``;
    returns ``(B, m_1..m_d, c_out)``.
    """
    B = xp.shape[0]
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    dtype = np.result_type(xp.dtype, w.dtype)
    wg = _grouped_weights(w, geom).astype(dtype, copy=False)
    xg = xp.reshape(xp.shape[:-1] + (G, c))
    y = np.zeros((B,) + geom.output_size + (G, o), dtype=dtype)
    for tap in geom.taps():
        xs = xg[_tap_index(geom, tap)]
        if G == 1:
            y[..., 0, :] += xs[..., 0, :] @ wg[tap][0]
        else:
            y += (xs[..., None, :] @ wg[tap])[..., 0, :]
    return y.reshape((B,) + geom.output_size + (G * o,))


def correlate_adjoint(y: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its input.

    ``y``: ``(B, m_1..m_d, c_out)``; returns ``(B, P_1..P_d, c_in)`` with
    ``x_p[b, s j + d t, g c + r] += w[t, r, g o + q] y[b, j, g o + q]``.
    """
    B = y.shape[0]
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    dtype = np.result_type(y.dtype, w.dtype)
    wg = np.swapaxes(_grouped_weights(w, geom), -1, -2).astype(dtype, copy=False)  # (k..., G, o, c)
    yg = y.reshape(y.shape[:-1] + (G, o))
    xg = np.zeros((B,) + geom.padded_size + (G, c), dtype=dtype)
    for tap in geom.taps():
        idx = _tap_index(geom, tap)
        if G == 1:
            xg[idx + (0,)] += yg[..., 0, :] @ wg[tap][0]
        else:
            xg[idx] += (yg[..., None, :] @ wg[tap])[..., 0, :]
    return xg.reshape((B,) + geom.padded_size + (G * c,))


def correlate_kernel_adjoint(xp: np.ndarray, y: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its kernel, for a fixed input.

    ``xp``: ``(B, P..., c_in)``; ``y``: ``(B, m..., c_out)``; returns
    ``w[t, r, g o + q] = sum_{b, j} x_p[b, s j + d t, g c + r] y[b, j, g o + q]``.
    """
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    dtype = np.result_type(xp.dtype, y.dtype)
    xg = xp.reshape(xp.shape[:-1] + (G, c))
    yg = y.reshape(-1, G, o)
    w = np.zeros(geom.kernel_size + (G, c, o), dtype=dtype)
    for tap in geom.taps():
        xs = xg[_tap_index(geom, tap)].reshape(-1, G, c)
        # (G, c, N) @ (G, N, o) -> (G, c, o)
        w[tap] = np.transpose(xs, (1, 2, 0)) @ np.transpose(yg, (1, 0, 2))
    return np.moveaxis(w, -3, -2).reshape(geom.kernel_size + (c, G * o))
