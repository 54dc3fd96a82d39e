"""Deblurring a photograph: LSQR with damping on a Convolution operator, and on its sparse matrix.

The measurement is a motion-blurred, noisy photograph

.. math::

    b = A x + n, \\qquad A = \\text{Convolution}(k, \\text{padding="same"}, \\text{boundary="reflect"})

with ``k`` a diagonal streak (the camera moved while the shutter was open), reflecting
boundaries (the photograph continues as its mirror image, so the edges are not dark) and
Gaussian noise ``n``. The blur is undone by damped least squares

.. math::

    \\hat x = \\arg\\min_x \\|A x - b\\|_2^2 + \\lambda^2 \\|x\\|_2^2

solved by :func:`scipy.sparse.linalg.lsqr`, which touches ``A`` only through ``A x``
and ``A^H y``: the adjoint is what makes the iterative method possible. The damping
``lambda`` keeps the noise from being amplified where the blur removed information.

The same solve with the explicit sparse matrix ``A.to_sparse()`` (its stored zeros
removed) gives the same image; the demo prints the time and memory of both. The figure shows the original, blurred
and recovered images, the blur kernel, and the residual norms and PSNR per iteration
(LSQR rerun with ``iter_lim = k``: its first ``k`` iterations are the same ones).

Run it as ``python examples/deblurring.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from ..operators import Convolution
from .figures import figures_wanted, save_into_report
from .findings import DemoReport
from .images import load_image, motion_blur_kernel, psnr
from .script import Log, run_script

NAME = "deblurring"
TITLE = "Deblurring a photograph with LSQR on a Convolution operator (boundary='reflect')"


@dataclass(frozen=True)
class Setting:
    """Sizes and parameters of one run."""

    downscale: int  # block-average factor of the 600 x 512 photograph
    blur_length: int  # length of the diagonal motion streak, in pixels
    noise: float = 0.005  # standard deviation of the added Gaussian noise (image values in [0, 1])
    damp: float = 0.05  # lambda of the damped least-squares problem
    tolerance: float = 1e-6  # lsqr's atol and btol
    max_iterations: int = 400
    checkpoints: int = 12  # iteration counts at which the convergence curve is measured
    timing_repeats: int = 3  # solves are timed as the best of this many runs (the machine may be busy)
    seed: int = 6


FULL = Setting(downscale=2, blur_length=9)
QUICK = Setting(downscale=5, blur_length=5, checkpoints=6, timing_repeats=1)


def _solve(operator: object, b: np.ndarray, setting: Setting, iter_lim: int | None = None) -> tuple:
    return lsqr(
        operator,
        b,
        damp=setting.damp,
        atol=setting.tolerance,
        btol=setting.tolerance,
        iter_lim=iter_lim or setting.max_iterations,
    )


T = TypeVar("T")


def _timed(function: Callable[[], T], repeats: int = 1) -> tuple[T, float]:
    """``function()`` and its wall-clock time, the best of ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return value, best


def _explicit_matrix(A: Convolution) -> Callable[[], sp.csr_array]:
    """``A.to_sparse()`` without the entries of zero kernel weights (it keeps one per tap)."""

    def build() -> sp.csr_array:
        matrix = A.to_sparse()
        matrix.eliminate_zeros()
        return matrix

    return build


def _peak_bytes(function: Callable[[], object]) -> int:
    """Peak of the memory allocated while ``function`` runs (NumPy reports its arrays to tracemalloc)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(*, quick: bool = False, out_dir: Path | None = None, log: Log | None = None) -> DemoReport:
    """Blur, add noise, recover with lsqr on the operator and on the sparse matrix; measure, check, draw."""
    log = log or (lambda message: None)
    setting = QUICK if quick else FULL
    report = DemoReport(NAME, TITLE)

    log("loading the photograph")
    image, source = load_image(setting.downscale)
    kernel = motion_blur_kernel(setting.blur_length)
    A = Convolution(kernel, image.shape, padding="same", boundary="reflect")
    rng = np.random.default_rng(setting.seed)
    blurred = A.apply(image) + setting.noise * rng.standard_normal(A.output_shape)
    b = blurred.ravel()
    report.details += [
        f"image: {source}, {image.shape[0]} x {image.shape[1]} grayscale",
        f"blur: diagonal streak of {setting.blur_length} pixels, padding='same', boundary='reflect'; "
        f"noise sigma {setting.noise}",
        f"solver: scipy.sparse.linalg.lsqr, damp={setting.damp}, atol=btol={setting.tolerance:g}",
    ]

    log(f"solving with lsqr on the operator ({image.shape[0]} x {image.shape[1]})")
    solution, operator_seconds = _timed(lambda: _solve(A, b, setting), setting.timing_repeats)
    recovered = solution[0].reshape(image.shape)
    iterations = int(solution[2])
    report.measure("psnr_blurred", "PSNR of the blurred, noisy image", psnr(blurred, image), "dB")
    report.measure("psnr_recovered", "PSNR of the recovered image", psnr(recovered, image), "dB")
    report.measure("iterations", "lsqr iterations", iterations)
    report.measure("residual", "residual norm ||A x - b||", float(solution[3]))
    report.measure("noise_norm", "noise norm ||n|| (what the residual can reach)", setting.noise * np.sqrt(image.size))

    log("measuring the convergence curve")
    counts = np.unique(np.round(np.geomspace(1, iterations, setting.checkpoints)).astype(int))
    history: dict[str, list[float]] = {"r1": [], "r2": [], "psnr": []}
    for count in counts:
        partial = solution if count == iterations else _solve(A, b, setting, iter_lim=int(count))
        history["r1"].append(float(partial[3]))
        history["r2"].append(float(partial[4]))
        history["psnr"].append(psnr(partial[0].reshape(image.shape), image))

    log("building the explicit sparse matrix")
    S, build_seconds = _timed(_explicit_matrix(A))
    log(f"solving with lsqr on the sparse matrix ({S.shape[0]} x {S.shape[1]}, {S.nnz} non-zeros)")
    sparse_solution, sparse_seconds = _timed(lambda: _solve(S, b, setting), setting.timing_repeats)
    sparse_recovered = sparse_solution[0].reshape(image.shape)
    difference = float(np.linalg.norm(sparse_recovered - recovered) / np.linalg.norm(recovered))
    sparse_bytes = S.data.nbytes + S.indices.nbytes + S.indptr.nbytes
    x = image.ravel()
    best_of = f" (best of {setting.timing_repeats})" if setting.timing_repeats > 1 else ""
    report.measure("operator_seconds", f"lsqr time, operator{best_of}", operator_seconds, "s")
    report.measure("sparse_seconds", f"lsqr time, sparse matrix{best_of}", sparse_seconds, "s")
    report.measure("sparse_build_seconds", "time to build the sparse matrix", build_seconds, "s")
    report.measure("operator_bytes", "memory stored, operator (its kernel)", A.kernel.nbytes, "bytes")
    report.measure("sparse_bytes", "memory stored, sparse matrix (data+indices+indptr)", sparse_bytes, "bytes")
    report.measure("operator_peak_bytes", "memory allocated by one A x, operator", _peak_bytes(lambda: A @ x), "bytes")
    report.measure(
        "sparse_peak_bytes", "memory allocated by one A x, sparse matrix", _peak_bytes(lambda: S @ x), "bytes"
    )
    report.measure("sparse_iterations", "lsqr iterations, sparse matrix", int(sparse_solution[2]))
    report.measure("relative_difference", "relative difference of the two solutions", difference)

    report.claim(
        "the recovered image has a higher PSNR than the blurred one",
        float(report.value("psnr_recovered")) > float(report.value("psnr_blurred")),
    )
    report.claim(
        "the damped residual never increases from one iteration count to the next",
        bool(np.all(np.diff(history["r2"]) <= 1e-12 * history["r2"][0])),
    )
    report.claim("the sparse matrix gives the same solution (relative difference < 1e-6)", difference < 1e-6)
    report.claim("the operator stores fewer bytes than the sparse matrix", A.kernel.nbytes < sparse_bytes)

    if out_dir is not None and figures_wanted(report, out_dir):
        log("drawing the figure")
        from .. import plot

        fig, axes = plot.new_figure(
            2, 3, panel_size=3.4, title="Deblurring with lsqr on Convolution(k, boundary='reflect')"
        )
        plot.plot_images(
            [image, blurred, recovered],
            [
                "original",
                f"blurred + noise, PSNR {report.value('psnr_blurred'):.2f} dB",
                f"recovered, PSNR {report.value('psnr_recovered'):.2f} dB",
            ],
            axes=axes[:3],
            value_range=(0.0, 1.0),
        )
        plot.plot_images(
            [kernel], [f"blur kernel k ({setting.blur_length} x {setting.blur_length})"], axes=axes[3:4], cmap="gray_r"
        )
        plot.plot_convergence(
            counts,
            {"||A x_k - b||": history["r1"], "sqrt(||A x_k - b||^2 + damp^2 ||x_k||^2)": history["r2"]},
            ax=axes[4],
            ylabel="residual norm",
            title="lsqr residual per iteration",
        )
        axes[4].axhline(report.value("noise_norm"), color="0.5", linestyle="--", linewidth=1, label="noise norm")
        axes[4].legend(fontsize=7)
        plot.plot_convergence(
            counts, {"": history["psnr"]}, ax=axes[5], log_scale=False, ylabel="PSNR (dB)", title="PSNR of the iterate"
        )
        axes[5].axhline(report.value("psnr_blurred"), color="0.5", linestyle="--", linewidth=1)
        axes[5].annotate(
            "blurred", (counts[-1], report.value("psnr_blurred")), ha="right", va="bottom", fontsize=8, color="0.4"
        )
        save_into_report(report, fig, out_dir, "deblurring.png")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo from the command line; returns the exit status."""
    return run_script(run, __doc__, argv, prog="deblurring.py")


if __name__ == "__main__":
    sys.exit(main())
