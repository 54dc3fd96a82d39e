"""
Backpropagation is the adjoint
==============================

``python examples/backprop_is_adjoint.py`` takes a layer with 3 input and 4 output
channels, kernel 3 x 3, stride 2, padding 1, on a 12 x 12 x 3 input. For a loss
``L(A_w x)`` with upstream gradient ``g = dL/dy``, the input gradient is ``A.H g`` and the
kernel gradient is ``KernelConvolution(x, w.shape, ...).H g``. Both are checked for
``L = <A x, g>`` and for ``L = sum softplus(A x)`` (where ``g = sigmoid(A x)``), against
central differences in every entry of ``x`` and ``w`` (h = 1e-5) and against PyTorch's
autograd (``conv2d`` in float64; skipped with a note when PyTorch is not installed).

Measured in a full run:

.. list-table::
   :header-rows: 1

   * - relative error
     - vs central differences
     - vs PyTorch autograd
   * - ``dL/dx = A.H g``
     - 1.8e-10 (linear), 1.2e-9 (softplus)
     - 2.6e-17, 2.0e-16
   * - ``dL/dw = K.H g``
     - 3.9e-11 (linear), 2.2e-10 (softplus)
     - 1.2e-16, 2.2e-16

Usage::

    python examples/backprop_is_adjoint.py [--quick] [--out DIR] [--no-figures]

The code of the story is ``linop/demos/backprop_is_adjoint.py``, inside the package, so
that ``linop demo`` runs it from an installed linop; this script runs it.
"""

import sys
from pathlib import Path

# From a source checkout, use the checkout's linop rather than an installed one (the docs
# build runs this file without __file__ and puts the checkout on the path itself).
if "__file__" in globals():
    _CHECKOUT = Path(__file__).resolve().parents[1]
    if (_CHECKOUT / "linop" / "__init__.py").exists():
        sys.path.insert(0, str(_CHECKOUT))

from linop.demos.backprop_is_adjoint import main  # noqa: E402

# %%
# The script prints each step, then its measurements and whether each claim holds; the
# figures follow. It exits with status 1 when a claim fails.

if __name__ == "__main__":
    status = main()
    if status:
        sys.exit(status)
