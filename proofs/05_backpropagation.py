"""Proof 5: backpropagation through a convolution layer applies the adjoint.

Lecture: "Did you ever wonder how to compute the backpropagation through a convolution layer?
The answer is applying the adjoint operator." For the loss L = <k * X, G>, sympy.diff gives
the gradient with respect to X, which equals A^T G (A^H G for real tensors: the adjoint
applied to the upstream gradient G), and the gradient with respect to the kernel k, which
equals the adjoint of the kernel operator k -> k * X applied to G; both adjoints are derived
by derive_adjoint and compared exactly.

Run: python proofs/05_backpropagation.py   (exit status 0 when proved)
"""

import sys

from linop import symbolic
from linop.symbolic.certificate import print_certificate

layer = symbolic.Convolution(input_shape=(5, 5, 2), kernel_shape=(3, 3, 2, 3), stride=2, padding=1, real=True)
lecture = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2, real=True)

sys.exit(
    print_certificate(
        "Proof 5: backpropagation through a convolution layer applies the adjoint",
        "For $L(X, k) = \\langle k * X, G\\rangle$: $\\nabla_X L = A^T G$ (the transposed convolution of the "
        "upstream gradient) and $\\nabla_k L = K_X^T G$ with $K_X: k \\mapsto k * X$. "
        f"Checked with real symbols for the {layer.describe()} and for the lecture's {lecture.describe()}.",
        [layer.check_backpropagation(), lecture.check_backpropagation()],
        [
            f"**Input gradient, derived:**\n\n$$\n{lecture.adjoint_formula.latex()}\n$$",
            "**Kernel gradient, derived** (the adjoint of $k \\mapsto k * x$):\n\n"
            f"$$\n{lecture.kernel_adjoint_formula.latex()}\n$$",
        ],
    )
)
