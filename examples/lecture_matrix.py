"""The lecture's matrix: a stride-2 convolution as a 3 x 7 matrix, its transpose, and a 2-D multi-channel one.

Usage::

    python examples/lecture_matrix.py [--quick] [--out DIR] [--no-figures]

Prints what it measured and writes lecture_matrix.png, conv2d_matrix.png to DIR (default ./linop-figures).
The code of the story is ``linop/demos/lecture_matrix.py``, inside the package, so that
``linop demo`` runs it from an installed linop; this script runs it.
"""

import sys
from pathlib import Path

# From a source checkout, use the checkout's linop rather than an installed one.
_CHECKOUT = Path(__file__).resolve().parents[1]
if (_CHECKOUT / "linop" / "__init__.py").exists():
    sys.path.insert(0, str(_CHECKOUT))

from linop.demos.lecture_matrix import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
