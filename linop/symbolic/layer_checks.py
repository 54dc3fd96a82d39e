"""Exact statements about a convolution *layer*: backpropagation, and the transposed convolution.

* :func:`check_backpropagation`: for ``L(X, k) = <k * X, G> = sum_r (A X)_r conj(G_r)``,
  ``sympy.diff`` gives ``dL/dX_c = conj((A^H G)_c)`` and ``dL/dk_t = conj((K_X^H G)_t)``,
  where ``A^H`` and ``K_X^H`` (the adjoint of ``k -> k * X``) are the *derived* adjoint
  formulas; for real tensors the conjugates vanish: the gradients are ``A^T G`` and
  ``K_X^T G``, the backward pass of a convolution layer.
* :func:`check_transposed_convolution`: ``A^H = Pad_b^H C Z`` exactly, where ``Z`` inserts
  ``s - 1`` zeros between outputs, ``C`` is a stride-1 convolution with the reversed,
  conjugated kernel (input and output channels swapped) at the same dilation, padded by
  :attr:`linop.geometry.AxisGeometry.transposed_padding`, and ``Pad_b^H`` folds the
  boundary back: the adjoint *is* a convolution that increases resolution.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
import sympy

from .evaluate import sparse_entries
from .exact_checks import Counterexample, ProofResult, index_text, vector_symbols
from .formulas import padding_formula, zero_insertion_formula
from .limits import check_size
from .matrix import conjugate_transpose, first_difference, multiply
from .steps import Formula, Step

if TYPE_CHECKING:  # pragma: no cover
    from .operators import Convolution

__all__ = ["MAX_BACKPROPAGATION_ENTRIES", "check_backpropagation", "check_transposed_convolution"]

#: Largest layer (structural entries) for :func:`check_backpropagation`, which builds the
#: loss as one expression so that ``sympy.diff`` differentiates it.
MAX_BACKPROPAGATION_ENTRIES = 5_000


def _with_symbol_kernel(conv: Convolution) -> Convolution:
    """``conv`` itself when its kernel entries are distinct symbols, else a twin with symbols."""
    from .operators import Convolution

    flat = list(conv.kernel.flat)
    if all(isinstance(e, (sympy.Symbol, sympy.Indexed)) for e in flat) and len(set(flat)) == len(flat):
        return conv
    return Convolution(
        input_shape=conv.input_shape,
        kernel_shape=conv.kernel.shape,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        boundary=conv.boundary,
        flip=conv.flip,
        real=conv.kernel_is_real,
        symbol=conv.symbol,
    )


def check_backpropagation(conv: Convolution) -> ProofResult:
    """Gradients of ``<A X, G>`` by ``sympy.diff`` equal the derived adjoints applied to ``G``.

    The kernel is made of symbols (a twin with symbols is used if it holds numbers); the
    image ``X`` and the upstream gradient ``G`` are symbols too, real when the kernel is.

    Raises
    ------
    SymbolicSizeError
        Above :data:`MAX_BACKPROPAGATION_ENTRIES` structural entries.
    """
    start = time.perf_counter()
    check_size(conv.structural_entries, f"the backpropagation proof of {conv!r}", MAX_BACKPROPAGATION_ENTRIES)
    layer = _with_symbol_kernel(conv)
    real = layer.kernel_is_real
    X = vector_symbols("X", layer.input_shape, real=real)
    G = vector_symbols("G", layer.output_shape, real=real)
    AX = layer.apply(X).reshape(-1)
    Gflat = G.reshape(-1)
    loss = sympy.Add(*(AX[r] * sympy.conjugate(Gflat[r]) for r in range(AX.size)))
    bar = (lambda e: e) if real else sympy.conjugate
    field_ = "R" if real else "C"
    statement = Formula(
        "d/dX <k * X, G> = A^T G and d/dk <k * X, G> = K_X^T G (real tensors)"
        if real
        else "d/dX <k * X, G> = conj(A^H G) and d/dk <k * X, G> = conj(K_X^H G)",
        (
            r"\nabla_X \langle k * X, G\rangle = A^{T} G,\quad \nabla_k \langle k * X, G\rangle = K_X^{T} G"
            if real
            else r"\frac{\partial}{\partial X}\langle k * X, G\rangle = \overline{A^{H} G},\quad "
            r"\frac{\partial}{\partial k}\langle k * X, G\rangle = \overline{K_X^{H} G}"
        ),
    )
    steps = [
        Step(
            f"loss L = <k * X, G> = sum_r (A X)_r {'G_r' if real else 'conj(G_r)'} with symbols X in "
            f"{field_}^{X.size}, G in {field_}^{G.size} and the kernel's {layer.kernel.size} symbols: "
            f"{len(sympy.Add.make_args(loss))} terms",
        )
    ]
    # Input gradient: sympy.diff against the derived adjoint formula applied to G.
    AHG = layer.apply_adjoint(G).reshape(-1)
    Xflat = X.reshape(-1)
    for c in range(Xflat.size):
        grad = sympy.diff(loss, Xflat[c])
        expected = bar(AHG[c])
        if sympy.expand(grad - expected) != 0:
            ce = Counterexample(
                f"dL/dX[{index_text(c, layer.input_shape)}]", grad, expected, "sympy.diff", "adjoint applied to G"
            )
            return ProofResult("backpropagation", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(
        Step(
            f"sympy.diff(L, X_c) for all {Xflat.size} entries of X equals "
            f"{'(A^T G)_c' if real else 'conj((A^H G)_c)'}, with A^H G from the derived adjoint formula",
            layer.adjoint_formula.equation if len(str(layer.adjoint_formula)) < 200 else None,
        )
    )
    # Kernel gradient: against the derived adjoint of the kernel operator k -> k * X.
    kernel_adjoint = layer.kernel_adjoint_formula
    entries = sparse_entries(kernel_adjoint, {"x": X})
    rows: dict[int, list] = {}
    for (t, r), v in entries.items():
        rows.setdefault(t, []).append(v * Gflat[r])
    kflat = layer.kernel.reshape(-1)
    for t in range(kflat.size):
        grad = sympy.diff(loss, kflat[t])
        expected = bar(sympy.Add(*rows.get(t, ())))
        if sympy.expand(grad - expected) != 0:
            ce = Counterexample(
                f"dL/dk[{index_text(t, layer.kernel.shape)}]",
                grad,
                expected,
                "sympy.diff",
                "kernel adjoint applied to G",
            )
            return ProofResult("backpropagation", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(
        Step(
            f"sympy.diff(L, k_t) for all {kflat.size} kernel entries equals "
            f"{'(K_X^T G)_t' if real else 'conj((K_X^H G)_t)'}, with K_X^H derived from the kernel map",
            kernel_adjoint.equation if len(str(kernel_adjoint)) < 200 else None,
        )
    )
    steps.append(
        Step("so the backward pass of a convolution layer applies the adjoint (the transposed convolution) to G")
    )
    return ProofResult("backpropagation", statement, True, tuple(steps), None, time.perf_counter() - start)


def _transposed_kernel(conv: Convolution) -> np.ndarray:
    """``kt[m', q, g C + c] = conj(w[K-1-m', c, g Co + q])``: reversed, conjugated, channels swapped."""
    g = conv.geometry
    w = conv._weights[(slice(None, None, -1),) * g.ndim]
    G, C, Co = g.groups, g.in_per_group, g.out_per_group
    w = w.reshape(g.kernel_size + (C, G, Co))
    kt = np.moveaxis(w, -3, -1)  # (k..., G, Co, C)
    kt = np.moveaxis(kt, -3, -2)  # (k..., Co, G, C)
    kt = kt.reshape(g.kernel_size + (Co, G * C))
    out = np.empty(kt.shape, dtype=object)
    for index in np.ndindex(*kt.shape):
        out[index] = sympy.conjugate(kt[index])
    return out if g.channels else out.reshape(g.kernel_size)


def check_transposed_convolution(conv: Convolution) -> ProofResult:
    """``A^H == Pad_b^H @ C @ Z`` as exact sparse matrices (see the module docstring)."""
    from .operators import Convolution

    start = time.perf_counter()
    conv._require_small("the transposed-convolution proof")
    g = conv.geometry
    strides = g.stride + ((1,) if g.channels else ())
    Z = zero_insertion_formula(conv.output_shape, strides)
    inserted = tuple(int(n) for n in Z.target_shape)
    pads = tuple(ax.transposed_padding for ax in g.axes)
    C = Convolution(
        _transposed_kernel(conv),
        inserted,
        padding=pads,
        dilation=g.dilation,
        groups=g.groups,
        max_entries=conv.max_entries,
    )
    padded = g.padded_size + ((g.in_channels,) if g.channels else ())
    if C.output_shape != padded:
        raise AssertionError(f"transposed convolution returns {C.output_shape}, expected the padded shape {padded}")
    fold = padding_formula(conv.input_shape, g.padding + (((0, 0),) if g.channels else ()), g.boundary)
    fold_entries = conjugate_transpose(sparse_entries(fold))
    product = multiply(fold_entries, multiply(C.entries, sparse_entries(Z)))
    expected = conjugate_transpose(conv.entries)
    m, n = conv.shape
    statement = Formula(
        "A^H = Pad^H C Z: zero insertion, a stride-1 convolution with the reversed conjugate kernel, "
        "and folding the padding back",
        r"A^{H} = \mathrm{Pad}_b^{H}\, C_{\overline{\tilde k}}\, Z_s",
    )
    steps = [
        Step(f"Z inserts stride - 1 zeros between outputs: {conv.output_shape} -> {inserted}"),
        Step(
            f"C: stride-1 convolution, kernel k~[m, q, g C + c] = conj(k[K-1-m, c, g O + q]) "
            f"(reversed{', conjugated' if not conv.kernel_is_real else ''}, in/out channels swapped), "
            f"dilation {g.dilation}, zero padding {pads} = (d(K-1), d(K-1) + P - used) per axis: {inserted} -> {padded}"
        ),
        Step(f"Pad^H folds the {g.boundary} padding {g.padding} back: {padded} -> {conv.input_shape}"),
    ]
    diff = first_difference(product, expected)
    if diff is not None:
        (r, c), lv, rv = diff
        ce = Counterexample(
            f"entry (row {index_text(r, conv.input_shape)}, column {index_text(c, conv.output_shape)})",
            lv,
            rv,
            "Pad^H C Z",
            "A^H",
        )
        return ProofResult("transposed convolution", statement, False, tuple(steps), ce, time.perf_counter() - start)
    steps.append(
        Step(
            f"the exact product Pad^H C Z ({n} x {m}) equals the conjugate transpose of A's matrix "
            f"in all {len(expected)} non-zero entries"
        )
    )
    spatial_in = math.prod(g.input_size)
    spatial_out = math.prod(g.output_size)
    if spatial_out < spatial_in:
        steps.append(
            Step(
                f"so A^H is itself a convolution, applied after zero insertion: it maps {spatial_out} "
                f"positions to {spatial_in} (it increases resolution)"
            )
        )
    return ProofResult("transposed convolution", statement, True, tuple(steps), None, time.perf_counter() - start)
