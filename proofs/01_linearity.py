"""Proof 1: a convolution layer without bias is linear.

Lecture: "A convolution layer k (without bias) is a linear operator, k * (X + Y) = k * X + k * Y
and k * (alpha X) = alpha k * X." Checked exactly, with symbolic scalars a, b and symbolic
images X, Y, for a 2-D multi-channel layer with stride, "same" padding and a reflecting
boundary, and for the lecture's 1-D example.

Run: python proofs/01_linearity.py   (exit status 0 when proved)
"""

import sys

from linop import symbolic
from linop.symbolic.certificate import print_certificate

layer = symbolic.Convolution(
    input_shape=(6, 6, 3), kernel_shape=(3, 3, 3, 4), stride=2, padding="same", boundary="reflect"
)
lecture = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)

sys.exit(
    print_certificate(
        "Proof 1: a convolution layer without bias is linear",
        "For a layer $A X = k * X$ without bias, $A(aX + bY) = a\\,AX + b\\,AY$ for all images $X, Y$ and "
        f"scalars $a, b$. Checked for the {layer.describe()} (kernel of 108 complex symbols) and for the "
        f"lecture's {lecture.describe()}.",
        [layer.check_linearity(), lecture.check_linearity()],
        [
            f"**Forward formula of the layer** (the reflecting boundary folds indices back piece by piece):\n\n"
            f"$$\n{layer.forward_formula.latex()}\n$$"
        ],
    )
)
