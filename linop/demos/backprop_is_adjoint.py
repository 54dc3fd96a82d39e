"""Backpropagation is the adjoint: the gradients of a convolution layer are ``A^H`` applied to ``g``.

For a convolution layer ``y = A_w x`` (kernel ``w``, input ``x``, no bias) and a loss that
depends on ``y``, the chain rule needs the vector-Jacobian products with the upstream
gradient ``g = dL/dy``. The layer is linear in ``x`` and linear in ``w``, so

.. math::

    \\nabla_x L = A_w^H\\, g, \\qquad \\nabla_w L = K_x^H\\, g

where ``K_x = KernelConvolution(x, w.shape)`` is the same convolution seen as a linear
map of its kernel. For ``L(x, w) = <A_w x, g>`` the upstream gradient is ``g`` itself; for
``L(x, w) = sum(softplus(A_w x))`` it is ``sigmoid(A_w x)``.

The demo checks both formulas for a small multi-channel strided layer (stride 2,
padding 1, ``c_in = 3``, ``c_out = 4``) against central finite differences

.. math::

    \\frac{\\partial L}{\\partial x_i} \\approx \\frac{L(x + h e_i) - L(x - h e_i)}{2h}

(every entry of ``x`` and of ``w``), and against PyTorch's autograd when PyTorch is
installed (``torch.nn.functional.conv2d`` in float64; skipped with a note otherwise).
The relative errors it prints are ``||a - b|| / ||b||``.

Run it as ``python examples/backprop_is_adjoint.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..operators import Convolution, KernelConvolution
from .figures import figures_wanted, save_into_report
from .findings import DemoReport
from .script import Log, run_script

NAME = "backprop_is_adjoint"
TITLE = "Backpropagation through a convolution layer applies the adjoint"

#: Relative error below which a gradient counts as confirmed by central differences.
FINITE_DIFFERENCE_TOLERANCE = 1e-6

#: Relative error below which PyTorch's float64 autograd counts as agreeing.
AUTOGRAD_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Setting:
    """Sizes and parameters of one run."""

    image_size: tuple[int, int]
    in_channels: int = 3
    out_channels: int = 4
    kernel_size: int = 3
    stride: int = 2
    padding: int = 1
    step: float = 1e-5  # h of the central differences
    seed: int = 6


FULL = Setting(image_size=(12, 12))
QUICK = Setting(image_size=(7, 7))


def softplus(y: np.ndarray) -> np.ndarray:
    """``log(1 + exp(y))``, computed without overflow."""
    return np.logaddexp(0.0, y)


def sigmoid(y: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-y))``, the derivative of :func:`softplus`."""
    return np.exp(-np.logaddexp(0.0, -y))


def relative_error(estimate: np.ndarray, reference: np.ndarray) -> float:
    """``||estimate - reference|| / ||reference||``."""
    return float(np.linalg.norm(estimate - reference) / np.linalg.norm(reference))


def _layer(setting: Setting) -> dict:
    return dict(stride=setting.stride, padding=setting.padding)


def _central_differences(loss: Callable[[np.ndarray], np.ndarray], point: np.ndarray, h: float) -> np.ndarray:
    """``(L(p + h e_i) - L(p - h e_i)) / 2h`` for every entry ``i``; ``loss`` takes a batch of points."""
    basis = np.eye(point.size).reshape((point.size,) + point.shape)
    return ((loss(point + h * basis) - loss(point - h * basis)) / (2 * h)).reshape(point.shape)


def _input_loss(A: Convolution, objective: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``x -> objective(A x)`` for a batch of inputs."""
    return lambda xs: objective(A.apply(xs))


def _kernel_loss(x: np.ndarray, objective: Callable[[np.ndarray], np.ndarray], setting: Setting):
    """``w -> objective(Convolution(w) x)`` for a batch of kernels, one layer per kernel."""

    def loss(kernels: np.ndarray) -> np.ndarray:
        return np.array([objective(Convolution(w, x.shape, **_layer(setting)).apply(x)) for w in kernels])

    return loss


def _torch_gradients(x: np.ndarray, w: np.ndarray, g: np.ndarray, setting: Setting, torch) -> dict:
    """Forward output and autograd gradients of both losses with ``torch.nn.functional.conv2d``.

    PyTorch is channels-first (``(N, C, H, W)``, weights ``(c_out, c_in, k, k)``); the
    arrays are transposed on the way in and back on the way out.
    """
    functional = torch.nn.functional
    results = {}
    for name in ("linear", "softplus"):
        xt = torch.tensor(x.transpose(2, 0, 1)[None], dtype=torch.float64, requires_grad=True)
        wt = torch.tensor(w.transpose(3, 2, 0, 1), dtype=torch.float64, requires_grad=True)
        yt = functional.conv2d(xt, wt, stride=setting.stride, padding=setting.padding)
        if name == "linear":
            loss = (yt * torch.tensor(g.transpose(2, 0, 1)[None], dtype=torch.float64)).sum()
        else:
            loss = functional.softplus(yt).sum()
        loss.backward()
        results[name] = {
            "y": yt.detach().numpy()[0].transpose(1, 2, 0),
            "x": xt.grad.numpy()[0].transpose(1, 2, 0),
            "w": wt.grad.numpy().transpose(2, 3, 1, 0),
        }
    return results


def _kernel_mosaic(w: np.ndarray) -> np.ndarray:
    """A ``(k, k, c_in, c_out)`` kernel as one picture: a ``k x k`` tile per (input, output)
    channel pair, input channels down, output channels across, a blank line between tiles."""
    k0, k1, c_in, c_out = w.shape
    mosaic = np.full((c_in * (k0 + 1) - 1, c_out * (k1 + 1) - 1), np.nan)
    for r in range(c_in):
        for o in range(c_out):
            mosaic[r * (k0 + 1) : r * (k0 + 1) + k0, o * (k1 + 1) : o * (k1 + 1) + k1] = w[:, :, r, o]
    return mosaic


def run(*, quick: bool = False, out_dir: Path | None = None, log: Log | None = None) -> DemoReport:
    """Compute both gradients with the adjoints, check them by finite differences and autograd."""
    log = log or (lambda message: None)
    setting = QUICK if quick else FULL
    report = DemoReport(NAME, TITLE)
    rng = np.random.default_rng(setting.seed)
    k = setting.kernel_size
    x = rng.standard_normal(setting.image_size + (setting.in_channels,))
    w = rng.standard_normal((k, k, setting.in_channels, setting.out_channels)) / k
    A = Convolution(w, x.shape, **_layer(setting))
    K = KernelConvolution(x, w.shape, **_layer(setting))
    g = rng.standard_normal(A.output_shape)
    report.details += [
        f"layer: A = Convolution(w, input {x.shape}, stride={setting.stride}, padding={setting.padding}), "
        f"w {w.shape} -> output {A.output_shape}",
        f"kernel operator: K = KernelConvolution(x, {w.shape}, ...), K w = A x",
        f"finite differences: central, step h = {setting.step:g}, every entry of x ({x.size}) and w ({w.size})",
    ]

    objectives = {
        "linear": (lambda y: np.sum(y * g, axis=tuple(range(-3, 0))), g),
        "softplus": (lambda y: np.sum(softplus(y), axis=tuple(range(-3, 0))), sigmoid(A.apply(x))),
    }
    names = {"linear": "<A x, g>", "softplus": "sum softplus(A x)"}
    adjoint_gradients = {}
    for name, (objective, upstream) in objectives.items():
        log(f"gradients of L = {names[name]}: adjoints and central differences")
        grad_x = A.H.apply(upstream)
        grad_w = K.H.apply(upstream)
        fd_x = _central_differences(_input_loss(A, objective), x, setting.step)
        fd_w = _central_differences(_kernel_loss(x, objective, setting), w, setting.step)
        adjoint_gradients[name] = (grad_x, grad_w, fd_x, fd_w)
        report.measure(
            f"fd_error_x_{name}", f"L = {names[name]}: dL/dx = A.H g vs differences", relative_error(grad_x, fd_x)
        )
        report.measure(
            f"fd_error_w_{name}", f"L = {names[name]}: dL/dw = K.H g vs differences", relative_error(grad_w, fd_w)
        )
    report.measure(
        "adjoint_identity",
        "|<A x, g> - <x, A.H g>| / |<A x, g>|",
        abs(np.vdot(A.apply(x), g) - np.vdot(x, A.H.apply(g))) / abs(np.vdot(A.apply(x), g)),
    )
    report.measure(
        "kernel_identity",
        "|<K w, g> - <w, K.H g>| / |<K w, g>|",
        abs(np.vdot(K.apply(w), g) - np.vdot(w, K.H.apply(g))) / abs(np.vdot(K.apply(w), g)),
    )
    fd_errors = [float(m.value) for m in report.measurements if m.key.startswith("fd_error")]
    report.claim(
        f"every gradient matches central differences (relative error < {FINITE_DIFFERENCE_TOLERANCE:g})",
        max(fd_errors) < FINITE_DIFFERENCE_TOLERANCE,
    )

    try:
        torch = importlib.import_module("torch")
    except ImportError:
        torch = None
        report.notes.append("PyTorch is not installed: the autograd comparison was skipped (pip install torch)")
    if torch is not None:
        log("gradients by PyTorch's autograd")
        reference = _torch_gradients(x, w, g, setting, torch)
        report.measure("torch_version", "PyTorch version", str(torch.__version__))
        report.measure("torch_error_y", "A x vs torch conv2d", relative_error(A.apply(x), reference["linear"]["y"]))
        torch_errors = [float(report.value("torch_error_y"))]
        for name in objectives:
            grad_x, grad_w = adjoint_gradients[name][:2]
            torch_errors.append(
                report.measure(
                    f"torch_error_x_{name}",
                    f"L = {names[name]}: A.H g vs autograd",
                    relative_error(grad_x, reference[name]["x"]),
                )
            )
            torch_errors.append(
                report.measure(
                    f"torch_error_w_{name}",
                    f"L = {names[name]}: K.H g vs autograd",
                    relative_error(grad_w, reference[name]["w"]),
                )
            )
        report.claim(
            f"PyTorch's autograd gives the same output and gradients (relative error < {AUTOGRAD_TOLERANCE:g})",
            max(torch_errors) < AUTOGRAD_TOLERANCE,
        )

    if out_dir is not None and figures_wanted(report, out_dir):
        log("drawing the figure")
        from .. import plot

        grad_x, grad_w, fd_x, fd_w = adjoint_gradients["softplus"]
        fig, axes = plot.new_figure(
            2,
            3,
            panel_size=3.2,
            title=("L = sum softplus(A x): backpropagation = adjoint, checked by central differences"),
        )
        rows = (
            (grad_x[..., 0], fd_x[..., 0], "dL/dx, input channel 0", "A.H g"),
            (_kernel_mosaic(grad_w), _kernel_mosaic(fd_w), "dL/dw (tiles: c_in down, c_out across)", "K.H g"),
        )
        for row, (adjoint, differences, what, formula) in enumerate(rows):
            panels = axes[3 * row : 3 * row + 3]
            scale = float(np.nanmax(np.abs(adjoint)))
            plot.plot_images(
                [adjoint, differences],
                [f"{what}\nadjoint {formula}", f"{what}\ncentral differences"],
                axes=panels[:2],
                value_range=(-scale, scale),
                cmap="RdBu_r",
            )
            difference = adjoint - differences
            largest = float(np.nanmax(np.abs(difference))) or 1.0
            plot.plot_images(
                [difference],
                [f"adjoint - differences (own scale)\nmax |.| = {largest:.1e}"],
                axes=panels[2:],
                value_range=(-largest, largest),
                cmap="RdBu_r",
            )
        save_into_report(report, fig, out_dir, "backprop_is_adjoint.png")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo from the command line; returns the exit status."""
    return run_script(run, __doc__, argv, prog="backprop_is_adjoint.py")


if __name__ == "__main__":
    sys.exit(main())
