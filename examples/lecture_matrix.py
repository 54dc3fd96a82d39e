"""
The lecture's matrix
====================

A convolution *is* a matrix. ``python examples/lecture_matrix.py`` draws the matrix of the
lecture's valid, stride-2 convolution of a signal of length 7 with a kernel of length 3,
and of its transpose, which maps 3 entries back to 7.

It also draws the matrix of a 2-D convolution with channels (input 8 x 8 x 2, kernel
3 x 3 x 2 x 3, stride 2, padding 1): 48 x 128, 726 non-zeros, at most ``3*3*2 = 18`` in a
row. The grey lines separate image rows, which shows the block-Toeplitz structure; the
stride shifts each row of blocks by two input rows.

:mod:`linop.plot` draws any operator this way (:func:`linop.plot.plot_matrix`), and any
images side by side (:func:`linop.plot.plot_images`).

Usage::

    python examples/lecture_matrix.py [--quick] [--out DIR] [--no-figures]

The code of the story is ``linop/demos/lecture_matrix.py``, inside the package, so that
``linop demo`` runs it from an installed linop; this script runs it.
"""

import sys
from pathlib import Path

# From a source checkout, use the checkout's linop rather than an installed one (the docs
# build runs this file without __file__ and puts the checkout on the path itself).
if "__file__" in globals():
    _CHECKOUT = Path(__file__).resolve().parents[1]
    if (_CHECKOUT / "linop" / "__init__.py").exists():
        sys.path.insert(0, str(_CHECKOUT))

from linop.demos.lecture_matrix import main  # noqa: E402

# %%
# The script prints each step, then its measurements and whether each claim holds; the
# figures follow. It exits with status 1 when a claim fails.

if __name__ == "__main__":
    status = main()
    if status:
        sys.exit(status)
