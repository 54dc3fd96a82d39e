"""The lecture's matrix: a strided convolution is a matrix, its transpose maps back to the larger space.

The lecture convolves the signal ``f = (1, 0, -2, 3, 1, 2, -1)`` with the kernel
``k = (0.5, 1, 0.5)``, valid, stride 2, and gets ``(-0.5, 2.5, 2)``: a 3 x 7 matrix

.. math::

    A = \\begin{pmatrix}
        0.5 & 1 & 0.5 & 0 & 0 & 0 & 0 \\\\
        0 & 0 & 0.5 & 1 & 0.5 & 0 & 0 \\\\
        0 & 0 & 0 & 0 & 0.5 & 1 & 0.5
    \\end{pmatrix}, \\qquad A_{ji} = k_{i - 2j}

whose transpose (7 x 3) maps three entries to seven. This demo draws both matrices
with the kernel values written in the cells, and the matrix of a 2-D multi-channel
strided convolution (input 8 x 8 x 2, kernel 3 x 3 x 2 x 3, stride 2, padding 1): each
row holds one output pixel's ``3*3*2 = 18`` weights, rows of neighbouring outputs are
shifted by ``stride * c_in`` columns, and the channels form small blocks.

Run it as ``python examples/lecture_matrix.py [--quick] [--out DIR]`` (both sizes are
the same: the matrices are small).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..operators import Convolution
from .figures import figures_wanted, save_into_report
from .findings import DemoReport
from .script import Log, run_script

NAME = "lecture_matrix"
TITLE = "The lecture's matrix: a stride-2 convolution as a 3 x 7 matrix, and its transpose"

#: The lecture's signal, kernel, stride and result.
SIGNAL = (1.0, 0.0, -2.0, 3.0, 1.0, 2.0, -1.0)
KERNEL = (0.5, 1.0, 0.5)
STRIDE = 2
RESULT = (-0.5, 2.5, 2.0)

#: The 2-D multi-channel example: spatial input size, kernel (k, k, c_in, c_out), stride, padding.
IMAGE_SIZE = (8, 8)
KERNEL_2D_SHAPE = (3, 3, 2, 3)
STRIDE_2D = 2
PADDING_2D = 1


def _by(shape: Sequence[int]) -> str:
    return " x ".join(map(str, shape))


def _matrix_text(matrix: np.ndarray) -> list[str]:
    return ["    [" + " ".join(f"{v:5g}" for v in row) + " ]" for row in matrix]


def run(*, quick: bool = False, out_dir: Path | None = None, log: Log | None = None) -> DemoReport:
    """Build the lecture's operator and a 2-D multi-channel one; measure, check, draw.

    ``quick`` changes nothing here (everything is small); it is accepted so every demo
    has the same signature.
    """
    log = log or (lambda message: None)
    report = DemoReport(NAME, TITLE)

    log("building the lecture's operator")
    A = Convolution(KERNEL, input_shape=(len(SIGNAL),), stride=STRIDE)
    matrix = A.to_dense()
    adjoint_matrix = A.H.to_dense()
    Af = A.apply(np.array(SIGNAL))
    report.measure("matrix_shape", "matrix of A (lecture)", f"{matrix.shape[0]} x {matrix.shape[1]}")
    report.measure(
        "adjoint_shape",
        "matrix of A.H (the transposed convolution)",
        f"{adjoint_matrix.shape[0]} x {adjoint_matrix.shape[1]}",
    )
    report.measure("A_f", "A f", str([float(v) for v in Af]))
    report.measure("AH_y", "A.H (A f), back in 7 entries", str([float(v) for v in A.H.apply(Af)]))
    report.claim(f"A f equals the lecture's result {list(RESULT)}", np.allclose(Af, RESULT))
    report.claim("the matrix of A.H is the transpose of the matrix of A", np.array_equal(adjoint_matrix, matrix.T))
    stride_shift = all(
        np.array_equal(matrix[j, STRIDE * j : STRIDE * j + len(KERNEL)], KERNEL) for j in range(matrix.shape[0])
    )
    report.claim("row j of A holds the kernel starting at column stride * j", stride_shift)
    report.details += ["A =", *_matrix_text(matrix), "A.H =", *_matrix_text(adjoint_matrix)]

    log("building a 2-D multi-channel strided convolution and its sparse matrix")
    rng = np.random.default_rng(6)
    kernel = np.round(rng.uniform(-1, 1, KERNEL_2D_SHAPE), 1)
    kernel[kernel == 0] = 0.1  # every weight non-zero, so the pattern shows the full footprint
    conv = Convolution(kernel, IMAGE_SIZE + (KERNEL_2D_SHAPE[2],), stride=STRIDE_2D, padding=PADDING_2D)
    sparse = conv.to_sparse()
    per_row = np.diff(sparse.indptr)
    report.measure("conv2d", "2-D convolution", f"{conv.input_shape} -> {conv.output_shape}")
    report.measure("conv2d_matrix_shape", "its matrix", f"{sparse.shape[0]} x {sparse.shape[1]}")
    report.measure("conv2d_nnz", "non-zeros", int(sparse.nnz))
    report.measure(
        "conv2d_density", "fraction of entries that are non-zero", sparse.nnz / (sparse.shape[0] * sparse.shape[1])
    )
    report.measure("conv2d_max_per_row", "most non-zeros in a row (k*k*c_in)", int(per_row.max()))
    report.claim(
        "an interior output pixel's row holds all k*k*c_in kernel weights",
        per_row.max() == np.prod(KERNEL_2D_SHAPE[:3]),
    )
    report.claim(
        "the sparse matrix of A.H is the transpose of that of A",
        (conv.H.to_sparse() != sparse.T).nnz == 0,
    )

    if out_dir is not None and figures_wanted(report, out_dir):
        log("drawing the figures")
        from .. import plot

        fig, axes = plot.new_figure(
            1,
            2,
            panel_size=(4.0, 3.6),
            width_ratios=(7, 3.5),
            title="Lecture: valid convolution with k = (0.5, 1, 0.5), stride 2",
        )
        plot.plot_matrix(A, ax=axes[0], title="A: 3 x 7 (7 inputs -> 3 outputs)")
        plot.plot_matrix(A.H, ax=axes[1], title="A.H: 7 x 3 (3 -> 7)")
        save_into_report(report, fig, out_dir, "lecture_matrix.png")

        fig, axes = plot.new_figure(1, 1, panel_size=(9.0, 4.6))
        plot.plot_matrix(
            conv,
            ax=axes[0],
            annotate=False,
            title=(
                f"2-D convolution, input {_by(conv.input_shape)}, kernel {_by(KERNEL_2D_SHAPE)}, "
                f"stride {STRIDE_2D}, padding {PADDING_2D}\n"
                f"{sparse.shape[0]} x {sparse.shape[1]} matrix, {sparse.nnz} non-zeros; lines separate image rows"
            ),
        )
        save_into_report(report, fig, out_dir, "conv2d_matrix.png")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo from the command line; returns the exit status."""
    return run_script(run, __doc__, argv, prog="lecture_matrix.py")


if __name__ == "__main__":
    sys.exit(main())
