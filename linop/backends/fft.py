"""FFT: the convolution as a product of spectra, for large kernels.

On a periodic grid of length ``L >= P`` per axis (``P`` the padded length, ``L`` the next
fast FFT length, :func:`scipy.fft.next_fast_len`), place the dilated kernel
``w_d[d t] = w[t]``. Valid outputs read ``s j + d t <= P - 1 < L``, so nothing wraps and
the correlation is exact:

.. math::

    y[j] = \\sum_u w_d[u]\\, x_p[j + u]
    \\quad\\Longleftrightarrow\\quad
    \\hat y[f] = \\hat x_p[f]\\; \\overline{\\widehat{\\overline{w_d}}[f]}

and the stride keeps every ``s``-th sample of the stride-1 result. Channels are mixed
per frequency, ``Y[f, g o + q] = sum_r X[f, g c + r] H[f, r, g o + q]``.

The adjoint is the convolution with the upsampled ``y`` (``y_s[s j] = y[j]``, zeros
between): ``x_p[i] = sum_u w_d[u] y_s[i - u]``, exact on the same grid because ``y_s``
vanishes beyond ``P - e`` (``e`` the kernel extent) so the wrapped indices
``i - u < 0`` land on zeros when ``L >= P``. The kernel adjoint is the correlation of
``x_p`` with ``y_s`` at the lags ``u = d t``.

Non-finite data: one NaN or inf in a spectrum spreads over the whole periodic grid, so
an FFT would make every output NaN where the defining sum has NaN only where a tap
meets it. The planner (:mod:`linop.backends.planner`) therefore checks the operands
first with :func:`all_finite` (one pass: a sum is finite when every entry is, and
overflow only sends finite data down the exact path too) and hands non-finite data to
the exact sliding-window products of :mod:`linop.backends.gemm`, which give the NaN/inf
pattern of the defining sum.

Real data use real transforms (:func:`scipy.fft.rfftn`); float32 stays float32
(complex64 spectra); both cores work through ``workers``. The spectra of immutable operands
(an operator's kernel, a kernel operator's fixed image) are cached (:mod:`linop.backends.cache`).
"""

from __future__ import annotations

import functools
import os

import numpy as np
import scipy.fft as sfft

from ..geometry import ConvGeometry
from . import cache, workspace

__all__ = ["correlate", "correlate_adjoint", "correlate_kernel_adjoint", "fft_shape", "scratch_bytes"]

#: Threads for scipy.fft (all cores).
WORKERS: int = os.cpu_count() or 1


@functools.lru_cache(maxsize=256)
def fft_shape(geom: ConvGeometry, real: bool = True) -> tuple[int, ...]:
    """``L_a = next_fast_len(P_a)`` per axis: the smallest fast length with no wrap-around (memoised)."""
    return tuple(sfft.next_fast_len(a.padded_size, real=real) for a in geom.axes)


def _spectrum_length(shape: tuple[int, ...], real: bool) -> int:
    """Number of stored frequencies (the last axis is halved for real transforms)."""
    n = 1
    for v in shape[:-1]:
        n *= v
    return n * (shape[-1] // 2 + 1 if real else shape[-1])


def scratch_bytes(geom: ConvGeometry, batch: int, dtype: np.dtype | type = np.float64) -> int:
    """Scratch memory of one call: the zero-padded input, both spectra, one temporary
    spectrum of the channel mixing and the periodic result."""
    dtype = np.dtype(dtype)
    real = dtype.kind != "c"
    complex_item = 2 * dtype.itemsize if real else dtype.itemsize
    shape = fft_shape(geom, real)
    spectrum = _spectrum_length(shape, real)
    grid = 1
    for v in shape:
        grid *= v
    c_in, c_out = geom.in_channels, geom.out_channels
    per_sample = spectrum * (c_in + 2 * c_out) * complex_item + grid * (c_in + c_out) * dtype.itemsize
    return batch * per_sample


def all_finite(*arrays: np.ndarray) -> bool:
    """Whether every entry of ``arrays`` is finite, in one pass without temporaries:
    ``sum(a)`` is finite when every entry is (a sum that overflows gives a false
    "not finite", which only costs the exact path)."""
    with np.errstate(all="ignore"):
        return all(a.size == 0 or bool(np.isfinite(a.sum())) for a in arrays)


def _spatial_axes(geom: ConvGeometry) -> tuple[int, ...]:
    return tuple(range(1, geom.ndim + 1))


def _dilated(w: np.ndarray, geom: ConvGeometry, shape: tuple[int, ...]) -> np.ndarray:
    """``w`` placed at ``d t`` on the periodic grid: ``(L_1..L_d, c, c_out)``."""
    wd = np.zeros(shape + w.shape[geom.ndim :], dtype=w.dtype)
    wd[tuple(slice(0, a.extent, a.dilation) for a in geom.axes)] = w
    return wd


def _forward_transform(a: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], real: bool) -> np.ndarray:
    if real:
        return sfft.rfftn(a, s=shape, axes=axes, workers=WORKERS)
    return sfft.fftn(a, s=shape, axes=axes, workers=WORKERS)


def _inverse_transform(a: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], real: bool) -> np.ndarray:
    """Inverse transform of a scratch spectrum (which it may overwrite)."""
    if real:
        return sfft.irfftn(a, s=shape, axes=axes, workers=WORKERS, overwrite_x=True)
    return sfft.ifftn(a, s=shape, axes=axes, workers=WORKERS, overwrite_x=True)


def _kernel_spectrum(
    w: np.ndarray, geom: ConvGeometry, shape: tuple[int, ...], real: bool, correlation: bool
) -> np.ndarray:
    """``H = conj(FFT(conj(w_d)))`` (correlation) or ``FFT(w_d)`` (convolution), ``(F..., c, c_out)``."""

    def compute() -> np.ndarray:
        axes = tuple(range(geom.ndim))
        wd = _dilated(w, geom, shape)
        if correlation:
            return np.conj(_forward_transform(np.conj(wd), shape, axes, real))
        return _forward_transform(wd, shape, axes, real)

    return cache.cached(w, ("fft-kernel", geom.kernel_size, geom.dilation, shape, real, correlation), compute)


def _input_spectrum(xp: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], real: bool) -> np.ndarray:
    """The input's spectrum, cached when the input is immutable (the fixed image of a
    :class:`~linop.operators.kernel_convolution.KernelConvolution`)."""
    return cache.cached_view(xp, ("fft-input", shape, axes, real), lambda: _forward_transform(xp, shape, axes, real))


def _mix(X: np.ndarray, H: np.ndarray, geom: ConvGeometry, transpose: bool) -> np.ndarray:
    """Per-frequency channel mixing.

    ``transpose=False``: ``Y[..., g o + q] = sum_r X[..., g c + r] H[..., r, g o + q]``;
    ``transpose=True``: ``Y[..., g c + r] = sum_q X[..., g o + q] H[..., r, g o + q]``.
    """
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    lead = X.shape[:-1]
    Hg = H.reshape(H.shape[:-2] + (c, G, o))  # [f, r, g, q]
    if not transpose:
        Xg = X.reshape(lead + (G, c))
        Y = np.empty(lead + (G, o), dtype=np.result_type(X, H))
        np.multiply(Xg[..., 0:1], Hg[..., 0, :, :], out=Y)
        for r in range(1, c):
            Y += Xg[..., r : r + 1] * Hg[..., r, :, :]
        return Y.reshape(lead + (G * o,))
    Xg = X.reshape(lead + (G, o))
    Y = np.empty(lead + (G, c), dtype=np.result_type(X, H))
    for r in range(c):
        Y[..., r] = np.einsum("...gq,...gq->...g", Xg, Hg[..., r, :, :]) if o > 1 else Xg[..., 0] * Hg[..., r, :, 0]
    return Y.reshape(lead + (G * c,))


def _scratch(dtype: np.dtype):
    return lambda geom, batch: scratch_bytes(geom, batch, dtype)


def correlate(xp: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Strided, dilated, grouped cross-correlation of a padded batch.

    ``xp``: ``(B, P_1..P_d, c_in)``; ``w``: ``(k_1..k_d, c_in/G, c_out)``; returns ``(B, m_1..m_d, c_out)``.
    A NaN or inf spreads over the whole output here: the planner gives non-finite operands
    to the exact gemm kernels instead (:func:`all_finite` tells them).
    """
    dtype = np.result_type(xp, w)
    w = w.astype(dtype, copy=False)
    step = lambda piece, g, out: _forward(piece, w, g, out)  # noqa: E731
    return workspace.run_chunked(step, xp.astype(dtype, copy=False), geom, _scratch(dtype), dtype, adjoint=False)


def _forward(xp: np.ndarray, w: np.ndarray, geom: ConvGeometry, out: np.ndarray) -> None:
    real = not np.iscomplexobj(xp)
    shape = fft_shape(geom, real)
    axes = _spatial_axes(geom)
    H = _kernel_spectrum(w, geom, shape, real, correlation=True)
    X = _input_spectrum(xp, shape, axes, real)
    Y = _mix(X, H, geom, transpose=False)
    del X
    full = _inverse_transform(Y, shape, axes, real)
    del Y
    keep = (slice(None),) + tuple(slice(0, a.stride * (a.output_size - 1) + 1, a.stride) for a in geom.axes)
    out[...] = full[keep]


def correlate_adjoint(y: np.ndarray, w: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its input: ``(B, m..., c_out) -> (B, P..., c_in)``."""
    dtype = np.result_type(y, w)
    w = w.astype(dtype, copy=False)
    y = y.astype(dtype, copy=False)
    if scratch_bytes(geom, y.shape[0], dtype) <= workspace.get_workspace_limit():
        # one chunk: write the result instead of adding it to zeros
        out = np.empty((y.shape[0],) + geom.padded_size + (geom.in_channels,), dtype=dtype)
        _adjoint(y, w, geom, out, accumulate=False)
        return out
    step = lambda piece, g, out: _adjoint(piece, w, g, out)  # noqa: E731
    return workspace.run_chunked(step, y, geom, _scratch(dtype), dtype, adjoint=True)


def _upsampled(y: np.ndarray, geom: ConvGeometry, shape: tuple[int, ...]) -> np.ndarray:
    """``y_s[s j] = y[j]`` on the periodic grid, zeros elsewhere."""
    if all(a.stride == 1 for a in geom.axes):
        return y  # the transforms zero-pad to ``shape`` themselves
    up = np.zeros((y.shape[0],) + shape + y.shape[-1:], dtype=y.dtype)
    up[(slice(None),) + tuple(slice(0, a.stride * (a.output_size - 1) + 1, a.stride) for a in geom.axes)] = y
    return up


def _adjoint(y: np.ndarray, w: np.ndarray, geom: ConvGeometry, out: np.ndarray, accumulate: bool = True) -> None:
    real = not np.iscomplexobj(y)
    shape = fft_shape(geom, real)
    axes = _spatial_axes(geom)
    H = _kernel_spectrum(w, geom, shape, real, correlation=False)
    Yup = _forward_transform(_upsampled(y, geom, shape), shape, axes, real)
    X = _mix(Yup, H, geom, transpose=True)
    del Yup
    full = _inverse_transform(X, shape, axes, real)
    del X
    result = full[(slice(None),) + tuple(slice(0, a.padded_size) for a in geom.axes)]
    if accumulate:
        out += result
    else:
        out[...] = result


def correlate_kernel_adjoint(xp: np.ndarray, y: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Transpose (no conjugation) of :func:`correlate` in its kernel:
    ``w[t, r, g o + q] = sum_{b, j} x_p[b, s j + d t, g c + r] y[b, j, g o + q]``."""
    dtype = np.result_type(xp, y)
    xp = xp.astype(dtype, copy=False)
    y = y.astype(dtype, copy=False)
    B = xp.shape[0]
    w = np.zeros(geom.kernel_size + (geom.in_per_group, geom.out_channels), dtype=dtype)
    for chunk in workspace.chunks(geom, B, _scratch(dtype)):
        w += _kernel(xp[chunk.batch, chunk.in_rows], y[chunk.batch, chunk.out_rows], chunk.geometry)
    return w


def _kernel(xp: np.ndarray, y: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    real = not np.iscomplexobj(xp)
    shape = fft_shape(geom, real)
    axes = _spatial_axes(geom)
    G, c, o = geom.groups, geom.in_per_group, geom.out_per_group
    X = _input_spectrum(xp, shape, axes, real)  # (B, F..., c_in)
    Ys = np.conj(_forward_transform(np.conj(_upsampled(y, geom, shape)), shape, axes, real))  # (B, F..., c_out)
    Xg = X.reshape(X.shape[:-1] + (G, c))
    Yg = Ys.reshape(Ys.shape[:-1] + (G, o))
    # per frequency: sum over the batch of the outer product X[r] Y[q], group by group
    C = np.einsum("b...gr,b...gq->...rgq", Xg, Yg)
    del X, Ys
    lags = _inverse_transform(C, shape, tuple(range(geom.ndim)), real)  # (L..., c, G, o)
    w = lags[tuple(slice(0, a.extent, a.dilation) for a in geom.axes)]
    return w.reshape(geom.kernel_size + (c, G * o))
