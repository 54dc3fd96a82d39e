"""Proof 4: the adjoint reverses the change of image size (the transposed convolution increases resolution).

Lecture: for X in R^(n_y1 x n_x1 x n_c1), k * X lies in R^(n_y2 x n_x2 x n_c2), and for Y of the
second shape A*(Y) has the first; "the transpose of this matrix maps a vector with three entries
to a vector with seven entries".

Run: python proofs/04_shape_reversal.py   (exit status 0 when proved)
"""

import sys

import sympy

from linop import symbolic
from linop.symbolic.certificate import print_certificate

lecture = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
layer = symbolic.Convolution(
    input_shape=(16, 16, 4), kernel_shape=(3, 3, 4, 8), stride=2, padding="same", boundary="reflect"
)

sys.exit(
    print_certificate(
        "Proof 4: the adjoint reverses the change of image size",
        "If $A$ maps images of shape $n_1$ to shape $n_2$, then $A^H$ maps shape $n_2$ back to shape $n_1$: "
        "a strided convolution lowers the resolution and its adjoint, the transposed convolution, raises it. "
        f"Checked for the lecture's {lecture.describe()} and for the {layer.describe()}.",
        [lecture.check_shape_reversal(), lecture.check_transposed_convolution(), layer.check_shape_reversal()],
        [f"**The lecture's transpose** maps 3 entries to 7:\n\n$$\nA^H = {sympy.latex(lecture.adjoint_matrix)}\n$$"],
    )
)
