"""Every kind of operator linop builds, from one convolution configuration (test support).

The tests of pickling and of empty batches run each property on all of
them: the convolution and its adjoint, the transposed convolution, the kernel operator,
the building blocks, and the compositions, sums, scalings and transposes of them.
"""

from __future__ import annotations

import numpy as np

import linop
from linop.testing.strategies import ConvConfig

#: The names :func:`operator_family` builds, in a fixed order (for ``sampled_from``).
KINDS: tuple[str, ...] = (
    "convolution",
    "adjoint",
    "conv_transpose",
    "kernel_convolution",
    "pad",
    "subsample",
    "identity",
    "composition",
    "sum",
    "scaled",
    "transpose",
    "normal",
)


def build(kind: str, config: ConvConfig, seed: int = 0) -> linop.ShapedOperator:
    """The operator of ``kind`` built around ``config``'s convolution."""
    A = config.build()
    if kind == "convolution":
        return A
    if kind == "adjoint":
        return A.H
    if kind == "conv_transpose":
        return linop.ConvTranspose(config.kernel, config.input_shape, **config.keywords)
    if kind == "kernel_convolution":
        image = np.random.default_rng(seed).standard_normal(config.input_shape).astype(config.dtype)
        return linop.KernelConvolution(image, config.kernel_shape, **config.keywords)
    if kind == "pad":
        return linop.Pad(A.input_shape, 1, boundary="reflect" if min(A.input_shape) > 1 else "edge", dtype=A.dtype)
    if kind == "subsample":
        return linop.Subsample(A.input_shape, 2, dtype=A.dtype)
    if kind == "identity":
        return linop.Identity(A.input_shape, dtype=A.dtype)
    if kind == "composition":
        return A @ linop.Subsample(A.input_shape, 1, dtype=A.dtype) @ A.H
    if kind == "sum":
        return A + 2.5 * A
    if kind == "scaled":
        return -1.5 * A
    if kind == "transpose":
        return A.T
    if kind == "normal":
        return A.H @ A + linop.Identity(A.input_shape, dtype=A.dtype)
    raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")


def random_input(
    op: linop.ShapedOperator, seed: int, *, adjoint: bool = False, batch: tuple[int, ...] = ()
) -> np.ndarray:
    """A random array ``op`` (``adjoint=True``: ``op.H``) applies to, in ``op``'s dtype."""
    rng = np.random.default_rng(seed)
    shape = batch + (op.output_shape if adjoint else op.input_shape)
    x = rng.standard_normal(shape)
    if np.iscomplexobj(np.empty(0, op.dtype)):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(op.dtype)
