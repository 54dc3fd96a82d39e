"""Worked examples that run from an installed package: each prints what it measured and draws figures.

* :mod:`~linop.demos.lecture_matrix`: the lecture's 3 x 7 matrix, its transpose, and the
  matrix of a 2-D multi-channel strided convolution;
* :mod:`~linop.demos.deblurring`: LSQR with damping on a ``Convolution`` with reflecting
  boundaries undoes motion blur on a photograph, and matches the explicit sparse matrix;
* :mod:`~linop.demos.super_resolution`: the transposed convolution maps a strided
  measurement back to full size; LSQR gives the sharper image;
* :mod:`~linop.demos.backprop_is_adjoint`: a layer's input and kernel gradients are
  ``A.H g`` and ``KernelConvolution(x, ...).H g`` (central differences, PyTorch autograd).

Every demo module has ``run(quick=False, out_dir=None, log=None) -> DemoReport`` and
``main(argv)``; ``python examples/NAME.py`` and ``python -m linop.demos.NAME`` call
``main``, ``linop demo`` calls ``run`` on all of them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .findings import Claim, DemoReport, Measurement, format_report

__all__ = ["DEMOS", "Claim", "DemoReport", "Measurement", "format_report", "load_demo"]

#: The demos, in the order ``linop demo`` runs them.
DEMOS: tuple[str, ...] = ("lecture_matrix", "deblurring", "super_resolution", "backprop_is_adjoint")


def load_demo(name: str) -> ModuleType:
    """The module of the demo ``name`` (one of :data:`DEMOS`).

    Parameters
    ----------
    name : str
        One of :data:`DEMOS`.

    Returns
    -------
    module
        The demo's module (``run``, ``main``).

    Raises
    ------
    ValueError
        For an unknown name.

    Examples
    --------
    >>> from linop.demos import DEMOS, load_demo
    >>> [load_demo(name).__name__ for name in DEMOS][:2]
    ['linop.demos.lecture_matrix', 'linop.demos.deblurring']
    """
    if name not in DEMOS:
        raise ValueError(f"unknown demo {name!r}; the demos are {', '.join(DEMOS)}")
    return importlib.import_module(f"{__name__}.{name}")
