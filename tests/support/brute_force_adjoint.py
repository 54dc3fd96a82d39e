"""Brute-force references for the adjoint and the kernel operator: explicit loops over the defining sums.

Independent of linop's index arithmetic like :mod:`brute_force`: the padding is resolved
by :func:`brute_force.resolve_pads` and which input sample a padded position copies comes
from ``numpy.pad`` applied to the input's indices. The sums run over every (output,
tap) pair that the definition connects, whatever the kernel's value, so they also give
the exact NaN/inf pattern of non-finite data.
"""

from __future__ import annotations

import itertools

import numpy as np

from tests.support.brute_force import NP_MODE, resolve_pads


def _layout(kernel: np.ndarray, input_shape: tuple[int, ...], flip: bool):
    single = kernel.ndim == len(input_shape)
    if single:
        kernel = kernel[..., None, None]
        input_shape = tuple(input_shape) + (1,)
    d = len(input_shape) - 1
    if flip:
        kernel = kernel[(slice(None, None, -1),) * d]
    return single, kernel, input_shape, d


def _sources(n: tuple[int, ...], pads, boundary: str) -> tuple[np.ndarray, ...]:
    """Per axis: the input index each padded position copies (-1: a zero of constant padding)."""
    mode = NP_MODE.get(boundary, boundary)
    out = []
    for a, (lo, hi) in enumerate(pads):
        if mode == "constant":
            out.append(np.pad(np.arange(n[a]), (lo, hi), mode="constant", constant_values=-1))
        else:
            out.append(np.pad(np.arange(n[a]), (lo, hi), mode=mode))
    return tuple(out)


def brute_force_adjoint(
    y,
    kernel,
    input_shape,
    *,
    stride=1,
    padding="valid",
    dilation=1,
    groups=1,
    boundary="constant",
    flip=False,
    method=None,
):
    """``x[fold(s*j + d*t - p), g(o)*cpg + r] += conj(k[t, r, o]) * y[j, o]`` with explicit loops."""
    y = np.asarray(y)
    single, kernel, shape, d = _layout(np.asarray(kernel), tuple(input_shape), flip)
    if single:
        y = y[..., None]
    n, k = shape[:d], kernel.shape[:d]
    s = (stride,) * d if isinstance(stride, int) else tuple(stride)
    dil = (dilation,) * d if isinstance(dilation, int) else tuple(dilation)
    cpg, cout = kernel.shape[-2], kernel.shape[-1]
    opg = cout // groups
    src = _sources(n, resolve_pads(padding, n, k, s, dil), boundary)
    x = np.zeros(shape, dtype=np.result_type(y, kernel))
    for j in itertools.product(*[range(v) for v in y.shape[:d]]):
        for t in itertools.product(*[range(v) for v in k]):
            i = tuple(src[a][s[a] * j[a] + dil[a] * t[a]] for a in range(d))
            if min(i) < 0:
                continue
            for o in range(cout):
                for r in range(cpg):
                    c = (o // opg) * cpg + r
                    x[i + (c,)] = x[i + (c,)] + np.conj(kernel[t + (r, o)]) * y[j + (o,)]
    return x[..., 0] if single else x


def brute_force_kernel_adjoint(
    image,
    y,
    kernel_shape,
    *,
    stride=1,
    padding="valid",
    dilation=1,
    groups=1,
    boundary="constant",
    flip=False,
    method=None,
):
    """``w[t, r, o] = sum_j conj(x~[s*j + d*t - p, g(o)*cpg + r]) * y[j, o]`` with explicit loops
    (``x~`` the padded image, zeros of constant padding included)."""
    image, y = np.asarray(image), np.asarray(y)
    single = len(kernel_shape) == image.ndim
    if single:
        image, y, kshape = image[..., None], y[..., None], tuple(kernel_shape) + (1, 1)
    else:
        kshape = tuple(kernel_shape)
    d = image.ndim - 1
    n, k = image.shape[:d], kshape[:d]
    s = (stride,) * d if isinstance(stride, int) else tuple(stride)
    dil = (dilation,) * d if isinstance(dilation, int) else tuple(dilation)
    cpg, cout = kshape[-2], kshape[-1]
    opg = cout // groups
    pads = resolve_pads(padding, n, k, s, dil)
    xp = np.pad(image, list(pads) + [(0, 0)], mode=NP_MODE.get(boundary, boundary))
    w = np.zeros(kshape, dtype=np.result_type(image, y))
    for t in itertools.product(*[range(v) for v in k]):
        for o in range(cout):
            for r in range(cpg):
                acc = 0
                for j in itertools.product(*[range(v) for v in y.shape[:d]]):
                    idx = tuple(s[a] * j[a] + dil[a] * t[a] for a in range(d))
                    acc = acc + np.conj(xp[idx + ((o // opg) * cpg + r,)]) * y[j + (o,)]
                w[t + (r, o)] = acc
    if flip:
        w = w[(slice(None, None, -1),) * d]
    return w[..., 0, 0] if single else w
