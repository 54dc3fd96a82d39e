"""Backpropagation is the adjoint: a convolution layer's gradients are A.H g and
KernelConvolution(x, ...).H g, checked by central differences and PyTorch's autograd.

Usage::

    python examples/backprop_is_adjoint.py [--quick] [--out DIR] [--no-figures]

Prints what it measured and writes backprop_is_adjoint.png to DIR (default ./linop-figures).
The code of the story is ``linop/demos/backprop_is_adjoint.py``, inside the package, so that
``linop demo`` runs it from an installed linop; this script runs it.
"""

import sys
from pathlib import Path

# From a source checkout, use the checkout's linop rather than an installed one.
_CHECKOUT = Path(__file__).resolve().parents[1]
if (_CHECKOUT / "linop" / "__init__.py").exists():
    sys.path.insert(0, str(_CHECKOUT))

from linop.demos.backprop_is_adjoint import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
