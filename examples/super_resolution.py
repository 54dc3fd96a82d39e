"""Super-resolution: a stride-2 convolution lowers the resolution, its transpose A.H maps back
to full size, LSQR on A recovers the sharper image.

Usage::

    python examples/super_resolution.py [--quick] [--out DIR] [--no-figures]

Prints what it measured and writes super_resolution.png to DIR (default ./linop-figures).
The code of the story is ``linop/demos/super_resolution.py``, inside the package, so that
``linop demo`` runs it from an installed linop; this script runs it.
"""

import sys
from pathlib import Path

# From a source checkout, use the checkout's linop rather than an installed one.
_CHECKOUT = Path(__file__).resolve().parents[1]
if (_CHECKOUT / "linop" / "__init__.py").exists():
    sys.path.insert(0, str(_CHECKOUT))

from linop.demos.super_resolution import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
