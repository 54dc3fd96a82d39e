"""Hypothesis strategies for random index formulas: strides, offsets, taps, conditions, several terms."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


@st.composite
def affine_formulas(draw):
    """``(text, input_shape, arrays)``: a random linear map of 1-D or 2-D arrays.

    Each of 1-3 terms reads ``x`` at ``s*i + d*m + o`` per axis (stride ``s`` of either sign,
    dilation ``d``, offset ``o``, an optional sum over 1-3 taps ``m``), guarded by the Iverson
    bracket that keeps the read inside ``x``, with an optional extra condition on the output
    index (an inequality or a divisibility), and a coefficient that is a number, a coefficient
    array ``k_t[m]`` or an expression of the indices (possibly complex).
    """
    ndim = draw(st.integers(1, 2))
    free = ["i", "j"][:ndim]
    n = [draw(st.integers(2, 7)) for _ in range(ndim)]
    out = [draw(st.integers(1, 6)) for _ in range(ndim)]
    arrays: dict[str, np.ndarray] = {}
    terms = []
    for t in range(draw(st.integers(1, 3))):
        indices, guards, sums = [], [], []
        for a, v in enumerate(free):
            s = draw(st.sampled_from([-2, -1, 1, 2, 3]))
            o = draw(st.integers(0, n[a] - 1))  # the first read lies inside x: most terms contribute
            index = f"{s}*{v} + {o}"
            if draw(st.booleans()):
                m = f"m{t}{a}"
                taps, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
                sums.append(f"{m}=0..{taps - 1}")
                index += f" + {d}*{m}"
            indices.append(index)
            guards.append(f"[0 <= {index} < {n[a]}]")
        extra = draw(st.sampled_from(["", "ineq", "div"]))
        v = draw(st.sampled_from(free))
        size = out[free.index(v)]
        if extra == "ineq":
            guards.append(f"[{v} >= {draw(st.integers(0, min(2, size - 1)))}]")
        elif extra == "div":
            guards.append(f"[({v} + {draw(st.integers(0, min(1, size - 1)))}) % 2 == 0]")
        kind = draw(st.sampled_from(["number", "array", "expression", "complex"]))
        if kind == "number":
            coefficient = draw(st.sampled_from(["2", "(-1)", "1/2", "3/4"]))
        elif kind == "array" and sums:
            name = f"k{t}"
            taps = [int(s.split("..")[1]) + 1 for s in sums]
            arrays[name] = np.random.default_rng(t).standard_normal(taps)
            coefficient = f"{name}[{', '.join(s.split('=')[0] for s in sums)}]"
        elif kind == "complex":
            coefficient = f"exp(I*pi*{free[0]}/3)"
        else:
            coefficient = f"({free[-1]} + 1)/2"
        body = f"{' '.join(guards)} {coefficient} * x[{', '.join(indices)}]"
        terms.append(f"sum({', '.join(sums)}) {body}" if sums else body)
    ranges = ", ".join(f"{v} = 0..{m - 1}" for v, m in zip(free, out))
    text = f"y[{', '.join(free)}] = " + " + ".join(terms) + f" for {ranges}"
    return text, tuple(n), arrays
