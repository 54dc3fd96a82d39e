"""The built-in catalogue that ``linop verify`` checks: every kind of operator linop builds.

The lecture's example, 1-D/2-D/3-D convolutions, channels, stride, dilation, groups,
every boundary mode and its alias, flip, complex and float32 kernels, large operators
(where only the probes can look at the boundary), the building blocks, compositions,
transposed and kernel convolutions, plain scipy operators, and operators defined by an
index formula (:mod:`linop.formula.catalogue`: pooling, upsampling, differences, DFT, ...). Kernels are drawn from a
fixed seed, so the catalogue is the same on every run. The whole catalogue verifies in
a few seconds on two cores.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from ..formula import catalogue as formulas
from ..geometry import BOUNDARY_ALIASES, BOUNDARY_MODES
from ..operators import Convolution, ConvTranspose, Identity, KernelConvolution, Pad, Subsample

__all__ = ["CatalogueEntry", "catalogue"]


@dataclass(frozen=True)
class CatalogueEntry:
    """One operator of the catalogue: a short ``name``, what it shows, and how to build it."""

    name: str
    description: str
    build: Callable[[], LinearOperator]


def _random(shape: tuple[int, ...], dtype: type = np.float64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _lecture() -> Convolution:
    return Convolution([0.5, 1.0, 0.5], input_shape=(7,), stride=2)


def _finite_differences(n: int) -> LinearOperator:
    """The forward difference ``(D x)_i = x_{i+1} - x_i`` as a scipy sparse matrix."""
    return aslinearoperator(sp.diags([-np.ones(n - 1), np.ones(n - 1)], [0, 1], shape=(n - 1, n), format="csr"))


def _entries() -> list[CatalogueEntry]:
    E = CatalogueEntry
    k2 = _random((3, 3), seed=1)
    entries = [
        E(
            "lecture",
            "the lecture's example: k = [0.5, 1, 0.5] on 7 samples, valid, stride 2 (a 3 x 7 matrix)",
            _lecture,
        ),
        E(
            "1-D same reflect",
            "1-D, 5 taps, 'same' padding, reflect boundary",
            lambda: Convolution(_random((5,), seed=2), (40,), padding="same", boundary="reflect"),
        ),
        E(
            "1-D full dilated",
            "1-D, 'full' padding, dilation 2",
            lambda: Convolution(_random((3,), seed=3), (25,), padding="full", dilation=2),
        ),
        E(
            "1-D stride 3 pads (1, 2) wrap",
            "1-D, stride 3, explicit (low, high) padding, wrap boundary",
            lambda: Convolution(_random((4,), seed=4), (29,), stride=3, padding=[(1, 2)], boundary="wrap"),
        ),
        E(
            "2-D valid stride 2",
            "2-D, valid, stride 2 on odd sizes: the last partial window is dropped",
            lambda: Convolution(k2, (15, 12), stride=2),
        ),
        E(
            "2-D dilation (2, 3) stride (2, 1)",
            "2-D, per-axis dilation and stride, 'same' padding, symmetric",
            lambda: Convolution(k2, (14, 17), stride=(2, 1), dilation=(2, 3), padding="same", boundary="symmetric"),
        ),
        E(
            "2-D even kernel same",
            "2-D, 4 x 2 kernel: 'same' puts the extra pad on the high side",
            lambda: Convolution(_random((4, 2), seed=5), (11, 9), padding="same", boundary="edge"),
        ),
    ]
    for b in BOUNDARY_MODES + tuple(BOUNDARY_ALIASES):
        entries.append(
            E(
                f"2-D same {b}",
                f"2-D, 'same' padding, boundary={b!r}",
                functools.partial(Convolution, k2, (12, 10), padding="same", boundary=b),
            )
        )
    entries += [
        E(
            "2-D channels 3 -> 4",
            "2-D, channels last: 3 input channels, 4 output channels, reflect",
            lambda: Convolution(_random((3, 3, 3, 4), seed=6), (10, 9, 3), padding="same", boundary="reflect"),
        ),
        E(
            "2-D groups 2",
            "2-D, 4 -> 6 channels in 2 groups",
            lambda: Convolution(_random((3, 3, 2, 6), seed=7), (9, 8, 4), padding=1, groups=2),
        ),
        E(
            "2-D depthwise",
            "2-D, depthwise: groups = c_in = 3, two filters per channel",
            lambda: Convolution(_random((3, 3, 1, 6), seed=8), (8, 8, 3), padding="same", groups=3, boundary="wrap"),
        ),
        E(
            "3-D channels",
            "3-D, 2 -> 3 channels, stride 2, 'same', symmetric",
            lambda: Convolution(
                _random((3, 3, 3, 2, 3), seed=9), (7, 6, 5, 2), stride=2, padding="same", boundary="symmetric"
            ),
        ),
        E(
            "2-D flip",
            "2-D, flip=True: the mathematical convolution",
            lambda: Convolution(_random((3, 2), seed=10), (10, 10), padding="full", flip=True),
        ),
        E(
            "2-D complex128",
            "2-D, complex kernel: the adjoint conjugates it",
            lambda: Convolution(_random((3, 3), np.complex128, 11), (9, 11), padding="same", boundary="wrap"),
        ),
        E(
            "1-D complex64",
            "1-D, complex64 kernel, stride 2, reflect",
            lambda: Convolution(_random((5,), np.complex64, 12), (33,), stride=2, padding="same", boundary="reflect"),
        ),
        E(
            "2-D float32",
            "2-D, float32 kernel: float32 tolerance",
            lambda: Convolution(_random((5, 5), np.float32, 13), (30, 20), padding="same", boundary="edge"),
        ),
        E(
            "512 x 512 float32 reflect",
            "large: 512 x 512 image, float32, reflect (matrix skipped, probes at the boundary)",
            lambda: Convolution(_random((3, 3), np.float32, 14), (512, 512), padding="same", boundary="reflect"),
        ),
        E(
            "1-D 10^5 stride 2",
            "large: 100000 samples, 7 taps, stride 2, symmetric",
            lambda: Convolution(_random((7,), seed=15), (100_000,), stride=2, padding="same", boundary="symmetric"),
        ),
    ]
    for mode in BOUNDARY_MODES:
        entries.append(
            E(
                f"Pad {mode}",
                f"padding by (2, 1) and (1, 3) with boundary={mode!r}",
                functools.partial(Pad, (6, 5), [(2, 1), (1, 3)], mode),
            )
        )
    entries += [
        E(
            "Subsample",
            "keep every 2nd / 3rd sample from offset (1, 0); adjoint: zero insertion",
            lambda: Subsample((11, 10), (2, 3), (1, 0)),
        ),
        E("Identity", "the identity on (4, 3) arrays", lambda: Identity((4, 3))),
        E(
            "Subsample @ same conv",
            "stride as subsampling of a 'same' convolution (the lecture's stride 2)",
            lambda: Subsample((7,), 2, 1) @ Convolution([0.5, 1.0, 0.5], (7,), padding="same"),
        ),
        E(
            "A^H A",
            "the normal operator of a reflect convolution",
            lambda: (lambda A: A.H @ A)(Convolution(k2, (10, 8), padding="same", boundary="reflect")),
        ),
        E(
            "conv @ conv",
            "two convolutions in a row (channels 2 -> 3 -> 1)",
            lambda: (
                Convolution(_random((2, 2, 3, 1), seed=16), (8, 7, 3), padding="same")
                @ Convolution(_random((3, 3, 2, 3), seed=17), (10, 9, 2))
            ),
        ),
        E(
            "A + B",
            "sum of a wrap and a reflect convolution",
            lambda: (
                Convolution(k2, (9, 9), padding="same", boundary="wrap")
                + Convolution(k2.T.copy(), (9, 9), padding="same", boundary="reflect")
            ),
        ),
        E(
            "(1 - 2j) A",
            "complex multiple of a real convolution: the adjoint conjugates the scalar",
            lambda: (1 - 2j) * Convolution(k2, (8, 8), padding=1),
        ),
        E(
            "A.T",
            "transpose (no conjugation) of a complex convolution",
            lambda: Convolution(_random((3,), np.complex128, 18), (12,), stride=2).T,
        ),
        E(
            "ConvTranspose stride 2",
            "transposed convolution, 3 -> 2 channels, stride 2: doubles the resolution",
            lambda: ConvTranspose(_random((4, 4, 2, 3), seed=19), (16, 16, 2), stride=2, padding=1),
        ),
        E(
            "ConvTranspose lecture",
            "the lecture's transpose: 3 entries -> 7",
            lambda: ConvTranspose([0.5, 1.0, 0.5], (7,), stride=2),
        ),
        E(
            "KernelConvolution 1-D",
            "the convolution as a map of its kernel (adjoint: the kernel gradient)",
            lambda: KernelConvolution(_random((20,), seed=20), (5,), stride=2, padding="same", boundary="reflect"),
        ),
        E(
            "KernelConvolution 2-D groups",
            "kernel map with channels and 2 groups",
            lambda: KernelConvolution(_random((9, 8, 4), seed=21), (3, 3, 2, 4), padding="same", groups=2),
        ),
        E(
            "scipy dense matrix",
            "a plain scipy operator: aslinearoperator of a 30 x 20 matrix",
            lambda: aslinearoperator(_random((30, 20), seed=22)),
        ),
        E(
            "scipy finite differences",
            "a plain scipy operator: sparse forward differences on 1000 samples",
            lambda: _finite_differences(1000),
        ),
    ]
    # operators defined by their forward index formula alone (adjoint derived and compiled)
    for f in (
        formulas.average_pooling(3, 2, 1, (9, 8)),
        formulas.nearest_upsampling(2, (5, 4)),
        formulas.linear_upsampling(2, (5, 4)),
        formulas.finite_difference("central", "reflect", 12),
        formulas.finite_difference("forward", "wrap", 12),
        formulas.gradient("edge", (6, 7)),
        formulas.divergence("edge", (6, 7)),
        formulas.toeplitz(7, 6, complex_=True),
        formulas.hankel(6, 7),
        formulas.dft(16),
        formulas.strided_crop(),
        formulas.transpose((5, 7)),
        formulas.lecture_convolution(),
    ):
        entries.append(E(f"formula {f.name}", f"{f.description}, defined by its formula: {f.formula}", f.build))
    return entries


def catalogue() -> tuple[CatalogueEntry, ...]:
    """The catalogue entries, in the order ``linop verify`` runs them (names are unique)."""
    return tuple(_entries())
