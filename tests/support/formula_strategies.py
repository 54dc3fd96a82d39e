"""Hypothesis strategies for random index formulas: strides, offsets, taps, conditions, several terms,
fractional and inferred ranges."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tests.support.formula_brute_force import Affine, Coefficient, Described, Guard, Read


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


def _bound(draw, sizes: dict, variables: tuple = ()) -> Affine:
    """A range bound: an integer, a fraction, or an (integer or fractional) affine form in a size or
    an outer variable (``n/2``, ``(n - 1)/3``, ``-1/2``, ``(i + 1)/2``)."""
    names = [*sizes, *variables]
    use = draw(st.sampled_from([None, *names]))
    coeffs = ((use, draw(st.sampled_from([1, 1, 2]))),) if use else ()
    return Affine(draw(st.integers(-2, 4)), coeffs, draw(st.sampled_from([1, 1, 2, 3])))


@st.composite
def described_formulas(draw):
    """A :class:`~tests.formula_brute_force.Described` formula of 1-D or 2-D arrays with fractional
    ``for`` bounds and sum bounds, free ranges inferred from ``input_shape`` or ``output_shape``,
    guarded and unguarded reads of either slope, and number, complex, index and array coefficients."""
    ndim = draw(st.integers(1, 2))
    free = ("i", "j")[:ndim]
    sizes = {"n": draw(st.integers(2, 6))}
    extents = tuple(draw(st.integers(2, 7)) for _ in free)
    input_shape = extents if draw(st.booleans()) else None
    output_shape = None
    ranges = {}
    for v in free:
        if input_shape is None or draw(st.booleans()):
            lo = draw(st.sampled_from([Affine(0), Affine(1), Affine(-1, (), 2), Affine(0, (("n", 1),), 2)]))
            hi = draw(
                st.sampled_from(
                    [
                        Affine(-1, (("n", 1),)),
                        Affine(0, (("n", 1),), 2),
                        Affine(7, (), 3),
                        Affine(2),
                        Affine(1, (("n", 2),), 3),
                        Affine(-1, (), 2),
                    ]
                )
            )
            ranges[v] = (lo, hi)
    if input_shape is not None and not ranges and draw(st.integers(0, 4)) == 0:
        output_shape = tuple(draw(st.integers(1, 5)) for _ in free)
    arrays: dict = {}
    reads = []
    for t in range(draw(st.integers(1, 3))):
        index, sums, guards = [], [], []
        for a, v in enumerate(free):
            slope = draw(st.sampled_from([-2, -1, 1, 1, 2]))
            offset = draw(st.integers(0, extents[a] - 1))
            coeffs = [(v, slope)]
            if draw(st.booleans()):
                m = f"m{t}{a}"
                outer = (v,) if draw(st.integers(0, 3)) == 0 else ()
                sums.append(
                    (
                        m,
                        _bound(draw, {}, outer) if outer else draw(st.sampled_from([Affine(0), Affine(1, (), 2)])),
                        _bound(draw, sizes, outer),
                    )
                )
                coeffs.append((m, draw(st.sampled_from([1, 2]))))
            e = Affine(offset, tuple(coeffs))
            index.append(e)
            if draw(st.integers(0, 2)) == 0:  # a guard that keeps the read inside x
                guards.append(
                    Guard(f"[0 <= {e.text()} < {extents[a]}]", lambda env, e=e, size=extents[a]: 0 <= e(env) < size)
                )
        extra = draw(st.sampled_from(["", "", "ineq", "div"]))
        v = draw(st.sampled_from(free))
        c = draw(st.integers(0, 2))
        if extra == "ineq":
            guards.append(Guard(f"[{v} >= {c}]", lambda env, v=v, c=c: env[v] >= c))
        elif extra == "div":
            guards.append(Guard(f"[({v} + {c}) % 2 == 0]", lambda env, v=v, c=c: (env[v] + c) % 2 == 0))
        kind = draw(st.sampled_from(["number", "complex", "index", "array"]))
        constant = [m for m, lo, hi in sums if not (lo.names() | hi.names()) and lo(sizes) >= 0]
        if kind == "array" and constant:
            m = constant[0]
            hi = next(h for name, _, h in sums if name == m)
            name = f"k{t}"
            arrays[name] = np.random.default_rng(t).standard_normal(max(1, int(np.floor(hi({})))) + 1)
            coefficient = Coefficient(f"{name}[{m}]", lambda env, a=arrays[name], m=m: a[env[m]])
        elif kind == "complex":
            coefficient = Coefficient("(1 + I)", lambda env: 1 + 1j)
        elif kind == "index":
            coefficient = Coefficient(f"({free[0]} + 1)/2", lambda env: (env[free[0]] + 1) / 2)
        else:
            text, value = draw(st.sampled_from([("2", 2), ("(-1)", -1), ("1/2", 0.5), ("3/4", 0.75)]))
            coefficient = Coefficient(text, lambda env, value=value: value)
        reads.append(Read(draw(st.sampled_from([1, -1])), tuple(sums), tuple(guards), coefficient, tuple(index)))
    return Described(free, ranges, tuple(reads), sizes, arrays, input_shape, output_shape)
