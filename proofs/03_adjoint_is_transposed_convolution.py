"""Proof 3: the adjoint of a multi-channel, strided, dilated, padded convolution is the transposed convolution.

Lecture: by the Riesz representation theorem a convolution layer has an adjoint A* with
<k * X, Y> = <X, A*(Y)>; it is the "transposed convolution". Here the adjoint's formula is
derived (not typed in) from the forward formula, checked against the conjugate transpose of
the matrix and numerically against linop's ConvTranspose, the identity <A x, y> = <x, A^H y>
is checked as a polynomial identity, and A^H is shown to be a convolution of the zero-inserted
output with the reversed, conjugated kernel (channels swapped).

Run: python proofs/03_adjoint_is_transposed_convolution.py   (exit status 0 when proved)
"""

import sys

from linop import symbolic
from linop.symbolic.certificate import print_certificate

A = symbolic.Convolution(
    input_shape=(6, 6, 2),
    kernel_shape=(3, 3, 2, 3),
    stride=2,
    dilation=2,
    padding=2,
)
steps = "\n".join(f"{n}. {s.markdown()}" for n, s in enumerate(A.adjoint_formula.steps, start=1))

sys.exit(
    print_certificate(
        "Proof 3: the adjoint of a convolution is the transposed convolution",
        f"For the {A.describe()} (kernel of {A.kernel.size} complex symbols), the adjoint $A^H$ "
        "derived from the forward formula satisfies $\\langle A x, y\\rangle = \\langle x, A^H y\\rangle$ "
        "for all $x$, $y$ and kernels, equals the conjugate transpose of the matrix, and is a convolution "
        "applied to the zero-inserted output (the transposed convolution).",
        [A.check_adjoint_formula(), A.check_adjoint_identity(), A.check_transposed_convolution()],
        [
            f"**Forward formula:**\n\n$$\n{A.forward_formula.latex()}\n$$",
            f"**Derivation of the adjoint** (`derive_adjoint`):\n\n{steps}",
            f"**Derived adjoint formula:**\n\n$$\n{A.adjoint_formula.latex()}\n$$",
        ],
    )
)
