"""Proof 2: a strided convolution is a matrix-vector product (the lecture's 3 x 7 example).

Lecture: the signal f = (1, 0, -2, 3, 1, 2, -1), the kernel k = (0.5, 1, 0.5), a valid
convolution with stride 2 gives (-0.5, 2.5, 2), and it is the product with the 3 x 7 matrix
whose rows are (k0, k1, k2, 0, 0, 0, 0), (0, 0, k0, k1, k2, 0, 0), (0, 0, 0, 0, k0, k1, k2).

Run: python proofs/02_matrix_vector.py   (exit status 0 when proved)
"""

import sys

import sympy

from linop import symbolic
from linop.symbolic.certificate import print_certificate
from linop.symbolic.exact_checks import check_matrix_equals, check_matrix_vector_product

A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
k0, k1, k2 = A.kernel
lecture_matrix = sympy.Matrix(
    [
        [k0, k1, k2, 0, 0, 0, 0],
        [0, 0, k0, k1, k2, 0, 0],
        [0, 0, 0, 0, k0, k1, k2],
    ]
)

# The lecture's numbers, exactly: 0.5 is the rational 1/2.
numbers = symbolic.Convolution([sympy.Rational(1, 2), 1, sympy.Rational(1, 2)], 7, stride=2)
f = [1, 0, -2, 3, 1, 2, -1]
expected_output = sympy.Matrix([sympy.Rational(-1, 2), sympy.Rational(5, 2), 2])

sys.exit(
    print_certificate(
        "Proof 2: a strided convolution is a matrix-vector product",
        "The valid convolution with stride 2 of a signal of length 7 with a kernel of length 3 is the product "
        "with a $3 \\times 7$ matrix, and for $f = (1, 0, -2, 3, 1, 2, -1)$, $k = (0.5, 1, 0.5)$ it gives "
        "$(-0.5, 2.5, 2)$.",
        [
            check_matrix_equals(A.matrix, lecture_matrix, name="A", expected_name="the lecture's 3 x 7 matrix"),
            check_matrix_vector_product(A.apply, A.matrix, A.input_shape, A.output_shape),
            check_matrix_equals(
                numbers.matrix * sympy.Matrix(f),
                expected_output,
                name="A f",
                expected_name="the lecture's (-0.5, 2.5, 2)",
            ),
        ],
        [
            f"**The matrix** (symbols $k_0, k_1, k_2$):\n\n$$\nA = {sympy.latex(A.matrix)}\n$$",
            f"**Forward formula:**\n\n$$\n{A.forward_formula.latex()}\n$$",
            f"**With the lecture's kernel:** $A f = {sympy.latex(numbers.matrix)} "
            f"{sympy.latex(sympy.Matrix(f))} = {sympy.latex(numbers.matrix * sympy.Matrix(f))}$",
        ],
    )
)
