"""Super-resolution with a strided convolution: the transposed convolution maps back to full size.

The measurement is a strided convolution of a high-resolution RGB photograph: each
colour channel is blurred by a Gaussian and every ``s``-th pixel kept,

.. math::

    y = A x, \\qquad A = \\text{Convolution}(k, \\text{stride}=s, \\text{padding="same"},
        \\text{groups}=3, \\text{boundary="reflect"})

with a depthwise kernel ``k`` of shape ``(5, 5, 1, 3)`` (the same Gaussian for R, G and B,
``groups = c_in = 3``). ``A`` maps ``(H, W, 3)`` to ``(H/s, W/s, 3)``: it lowers the
resolution. Its adjoint ``A^H``, the transposed convolution, maps ``(H/s, W/s, 3)`` back to
exactly ``(H, W, 3)``:

.. math::

    (A^H y)[i, c] = \\sum_{j, t:\\ s j + t - p = i} k[t, c]\\, y[j, c]

It spreads every low-resolution pixel over the footprint of the kernel, so ``A^H y`` is
full size but blurry (and about ``1/s^2`` as bright: each high-resolution pixel
receives ``sum(k) / s^2`` of weight on average); the demo compares it after dividing
by ``A^H 1``, the weight each pixel received. Least squares with
:func:`scipy.sparse.linalg.lsqr` on ``A`` finds the minimum-norm ``x`` with ``A x = y``,
which also lies in the range of ``A^H`` but undoes the blur: a sharper image.

Run it as ``python examples/super_resolution.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse.linalg import lsqr

from ..operators import Convolution
from .figures import figures_wanted, save_into_report
from .findings import DemoReport
from .images import gaussian_kernel, load_image, mean_abs_gradient, psnr
from .script import Log, run_script

NAME = "super_resolution"
TITLE = "Super-resolution: a stride-2 convolution lowers the resolution, its transpose restores the size"


@dataclass(frozen=True)
class Setting:
    """Sizes and parameters of one run."""

    downscale: int  # block-average factor of the 600 x 512 photograph (the high-resolution image)
    stride: int = 2
    kernel_size: int = 5
    sigma: float = 1.0  # of the Gaussian blur, in high-resolution pixels
    noise: float = 0.002  # standard deviation of the noise on the measurement
    tolerance: float = 1e-6  # lsqr's atol and btol
    max_iterations: int = 300
    seed: int = 6


FULL = Setting(downscale=2)
QUICK = Setting(downscale=6)


def _by(shape: Sequence[int]) -> str:
    return " x ".join(map(str, shape))


#: The detail shown enlarged, as fractions of the image height and width: (top, bottom), (left, right).
DETAIL = ((0.28, 0.53), (0.33, 0.63))


def _detail(panel: np.ndarray, full_shape: Sequence[int]) -> np.ndarray:
    """The :data:`DETAIL` region of an image of any resolution (the same part of the scene)."""
    (top, bottom), (left, right) = DETAIL
    rows, cols = panel.shape[:2]
    return panel[int(top * rows) : int(bottom * rows), int(left * cols) : int(right * cols)]


def run(*, quick: bool = False, out_dir: Path | None = None, log: Log | None = None) -> DemoReport:
    """Measure a low-resolution image, map it back with ``A.H`` and with lsqr; measure, check, draw."""
    log = log or (lambda message: None)
    setting = QUICK if quick else FULL
    report = DemoReport(NAME, TITLE)

    log("loading the photograph")
    image, source = load_image(setting.downscale, color=True)
    blur = gaussian_kernel(setting.kernel_size, setting.sigma)
    kernel = np.repeat(blur[:, :, None, None], 3, axis=3)  # (k, k, c_in/groups = 1, c_out = 3)
    A = Convolution(kernel, image.shape, stride=setting.stride, padding="same", groups=3, boundary="reflect")
    rng = np.random.default_rng(setting.seed)
    low = A.apply(image) + setting.noise * rng.standard_normal(A.output_shape)

    log("mapping back with the transposed convolution A.H")
    back = A.H.apply(low)
    weight = A.H.apply(np.ones(A.output_shape))
    normalized = back / weight

    log(f"solving with lsqr ({_by(image.shape)} unknowns from {_by(low.shape)} measurements)")
    start = time.perf_counter()
    solution = lsqr(A, low.ravel(), atol=setting.tolerance, btol=setting.tolerance, iter_lim=setting.max_iterations)
    seconds = time.perf_counter() - start
    recovered = solution[0].reshape(image.shape)

    report.details += [
        f"image: {source}, RGB",
        f"A = Convolution(kernel {_by(kernel.shape)}, input {_by(A.input_shape)}, stride={setting.stride}, "
        f"padding='same', groups=3, boundary='reflect'): a {A.shape[0]} x {A.shape[1]} matrix",
        f"shapes: x {_by(image.shape)} -> y = A x {_by(low.shape)} -> A.H y {_by(back.shape)}",
    ]
    report.measure("x_shape", "high-resolution image x", _by(image.shape))
    report.measure("y_shape", "measurement y = A x", _by(low.shape))
    report.measure("AHy_shape", "transposed convolution A.H y", _by(back.shape))
    report.measure("lsqr_shape", "lsqr solution", _by(recovered.shape))
    report.measure(
        "brightness_ratio", "mean of A.H y / mean of x (about sum(k)/stride^2)", float(back.mean() / image.mean())
    )
    report.measure("psnr_adjoint", "PSNR of A.H y / A.H 1", psnr(normalized, image), "dB")
    report.measure("psnr_lsqr", "PSNR of the lsqr solution", psnr(recovered, image), "dB")
    report.measure("sharpness_original", "sharpness mean|grad| of x", mean_abs_gradient(image))
    report.measure("sharpness_adjoint", "sharpness mean|grad| of A.H y / A.H 1", mean_abs_gradient(normalized))
    report.measure("sharpness_lsqr", "sharpness mean|grad| of the lsqr solution", mean_abs_gradient(recovered))
    report.measure("iterations", "lsqr iterations", int(solution[2]))
    report.measure("lsqr_seconds", "lsqr time", seconds, "s")
    report.measure(
        "relative_residual", "relative residual ||A x - y|| / ||y||", float(solution[3] / np.linalg.norm(low))
    )

    report.claim("A.H maps the low-resolution measurement back to the full image shape", back.shape == image.shape)
    report.claim(
        "lsqr on A recovers a higher PSNR than the transposed convolution alone",
        float(report.value("psnr_lsqr")) > float(report.value("psnr_adjoint")),
    )
    report.claim(
        "lsqr's image is sharper than that of the transposed convolution",
        float(report.value("sharpness_lsqr")) > float(report.value("sharpness_adjoint")),
    )

    if out_dir is not None and figures_wanted(report, out_dir):
        log("drawing the figure")
        from .. import plot

        fig, axes = plot.new_figure(
            2,
            4,
            panel_size=3.0,
            title=(
                f"Super-resolution: A = stride-{setting.stride} convolution (Gaussian {setting.kernel_size} x "
                f"{setting.kernel_size}, depthwise over RGB); bottom row: a detail"
            ),
        )
        panels = [low, normalized, recovered, image]
        plot.plot_images(
            panels,
            [
                "measurement y = A x",
                f"transposed convolution A.H y / A.H 1\nPSNR {report.value('psnr_adjoint'):.2f} dB",
                f"lsqr on A\nPSNR {report.value('psnr_lsqr'):.2f} dB",
                "original x",
            ],
            axes=axes[:4],
            value_range=(0.0, 1.0),
            show_shape=True,
        )
        plot.plot_images([_detail(panel, image.shape) for panel in panels], axes=axes[4:], value_range=(0.0, 1.0))
        save_into_report(report, fig, out_dir, "super_resolution.png")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo from the command line; returns the exit status."""
    return run_script(run, __doc__, argv, prog="super_resolution.py")


if __name__ == "__main__":
    sys.exit(main())
