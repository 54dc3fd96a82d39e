"""``linop lecture``: the lecture's example, a strided convolution as a 3 x 7 matrix."""

from __future__ import annotations

import argparse

import numpy as np

from ..operators import Convolution

#: The lecture's signal, kernel and stride.
SIGNAL = (1.0, 0.0, -2.0, 3.0, 1.0, 2.0, -1.0)
KERNEL = (0.5, 1.0, 0.5)
STRIDE = 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lecture",
        help="show the lecture's example: a stride-2 convolution as a matrix, and its transpose",
        description="The lecture's example: f = [1, 0, -2, 3, 1, 2, -1], k = [0.5, 1, 0.5], "
        "valid convolution with stride 2, as a 3 x 7 matrix, and its transpose mapping 3 entries to 7.",
    )
    p.set_defaults(handler=run)


def _matrix_text(m: np.ndarray) -> str:
    return "\n".join("  [" + " ".join(f"{v:5g}" for v in row) + " ]" for row in m)


def run(args: argparse.Namespace) -> int:
    A = Convolution(KERNEL, input_shape=(len(SIGNAL),), stride=STRIDE)
    f = np.array(SIGNAL)
    y = A.apply(f)
    print(f"input signal f = {list(SIGNAL)}")
    print(f"kernel k       = {list(KERNEL)}, valid, stride {STRIDE}")
    print(f"\nA = Convolution(k, input_shape=(7,), stride=2) is a {A.shape[0]} x {A.shape[1]} matrix:")
    print(_matrix_text(A.to_dense()))
    print(f"\nA f = {y.tolist()}")
    print(f"\nIts transpose A.H is a {A.H.shape[0]} x {A.H.shape[1]} matrix (3 entries -> 7):")
    print(_matrix_text(A.H.to_dense()))
    print(f"\nA.H (A f) = {A.H.apply(y).tolist()}")
    return 0
