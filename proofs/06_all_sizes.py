"""Proof 6: the adjoint formula holds for all sizes, strides, dilations and paddings.

The derived formula (A^H y)[i] = sum_j [d | i + p - s j] conj(k[(i + p - s j)/d]) y[j], with
max(0, ceil((i + p - d(K-1))/s)) <= j <= min(M-1, floor((i + p)/s)), is proved for symbolic
n, K, s, d, p_lo, p_hi by re-indexing the double sum: the map (j, m) -> (s j + d m - p, j) is a
bijection between the index sets of <A x, y> and <x, A^H y>, with every step checked by SymPy.
Not a loop over sizes (a loop over small sizes is reported separately, as corroboration only).

Run: python proofs/06_all_sizes.py   (exit status 0 when proved)
"""

import sys

from linop import symbolic
from linop.symbolic.certificate import print_certificate

result = symbolic.prove_all_sizes()

sys.exit(
    print_certificate(
        "Proof 6: the adjoint formula holds for all sizes",
        "For all input lengths $n$, kernel lengths $K$, strides $s$, dilations $d$ and paddings "
        "$p_{lo}, p_{hi}$, the derived adjoint formula satisfies "
        "$\\langle A x, y\\rangle = \\langle x, A^H y\\rangle$ for all $x$, $y$, $k$. A multi-dimensional, "
        "multi-channel layer sums over a product of such index sets (one per axis) and finite channel "
        "ranges, so the same re-indexing applies axis by axis.",
        [result],
    )
)
