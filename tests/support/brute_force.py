"""Brute-force reference convolution: explicit loops over the defining sum.

Deliberately independent of linop's index arithmetic: the padding is resolved here
from the definitions, and the boundary values come from numpy.pad.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

NP_MODE = {"zeros": "constant", "circular": "wrap", "replicate": "edge"}


def resolve_pads(padding, n, k, stride, dilation):
    d = len(n)
    if padding == "valid":
        return [(0, 0)] * d
    if padding == "full":
        return [(dilation[a] * (k[a] - 1),) * 2 for a in range(d)]
    if padding == "same":
        pads = []
        for a in range(d):
            out = math.ceil(n[a] / stride[a])
            total = max((out - 1) * stride[a] + dilation[a] * (k[a] - 1) + 1 - n[a], 0)
            pads.append((total // 2, total - total // 2))
        return pads
    if isinstance(padding, (int, np.integer)):
        return [(int(padding), int(padding))] * d
    return [(p, p) if isinstance(p, int) else tuple(p) for p in padding]


def brute_force_conv(
    x, kernel, *, stride=1, padding="valid", dilation=1, groups=1, boundary="constant", flip=False, method=None
):
    """y[j, o] = sum_t sum_r k[t, r, o] * xpad[s*j + d*t, g(o)*cpg + r] with explicit loops.

    ``method`` is accepted and ignored (the reference has one method), so that a
    Convolution's keywords can be passed as they are."""
    x = np.asarray(x)
    kernel = np.asarray(kernel)
    single = kernel.ndim == x.ndim
    if single:
        x = x[..., None]
        kernel = kernel[..., None, None]
    d = x.ndim - 1
    n = x.shape[:d]
    k = kernel.shape[:d]
    s = (stride,) * d if isinstance(stride, int) else tuple(stride)
    dil = (dilation,) * d if isinstance(dilation, int) else tuple(dilation)
    if flip:
        kernel = kernel[(slice(None, None, -1),) * d]
    cpg, cout = kernel.shape[-2], kernel.shape[-1]
    opg = cout // groups
    pads = resolve_pads(padding, n, k, s, dil)
    mode = NP_MODE.get(boundary, boundary)
    xp = np.pad(x, list(pads) + [(0, 0)], mode=mode)
    m = [(xp.shape[a] - dil[a] * (k[a] - 1) - 1) // s[a] + 1 for a in range(d)]
    y = np.zeros(tuple(m) + (cout,), dtype=np.result_type(x, kernel))
    for j in itertools.product(*[range(v) for v in m]):
        for o in range(cout):
            g = o // opg
            acc = 0
            for t in itertools.product(*[range(v) for v in k]):
                idx = tuple(s[a] * j[a] + dil[a] * t[a] for a in range(d))
                for r in range(cpg):
                    acc = acc + kernel[t + (r, o)] * xp[idx + (g * cpg + r,)]
            y[j + (o,)] = acc
    return y[..., 0] if single else y
