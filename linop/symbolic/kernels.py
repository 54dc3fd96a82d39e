"""Kernels for exact arithmetic: arrays of SymPy symbols, exact rationals or expressions.

* :func:`kernel_symbols` makes ``k_0, k_1, ...`` (one axis), ``k_0,1`` style names
  (several axes; LaTeX ``k_{0,1}``) or indexed entries ``k[0, 1]``;
* :func:`exact_kernel` turns numbers into exact SymPy numbers: a float is the dyadic
  rational it stores (``0.5 -> 1/2``, ``0.1 -> 3602879701896397/36028797018963968``),
  a complex number ``a + b i`` with both parts exact; SymPy expressions are kept.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import sympy

__all__ = ["exact_kernel", "exact_number", "kernel_symbols"]

NAMINGS = ("subscript", "indexed")


def kernel_symbols(
    shape: Sequence[int], name: str = "k", *, real: bool = False, naming: str = "subscript"
) -> np.ndarray:
    """An object array of kernel symbols.

    Parameters
    ----------
    shape : tuple of int
        The kernel's shape.
    name : str
        The symbol stem.
    real : bool
        Declare the symbols real (otherwise complex, and conjugates stay visible).
    naming : {"subscript", "indexed"}
        ``"subscript"``: ``Symbol("k_0")``, ``Symbol("k_0,1")``; ``"indexed"``: ``k[0, 1]``
        of an ``IndexedBase``.

    Returns
    -------
    ndarray of object
        The symbols, in the kernel's shape.

    Raises
    ------
    ValueError
        For an unknown ``naming``, an empty shape or a non-positive size.

    Examples
    --------
    >>> from linop import symbolic
    >>> symbolic.kernel_symbols((2, 2), real=True)
    array([[k_0,0, k_0,1],
           [k_1,0, k_1,1]], dtype=object)
    """
    if naming not in NAMINGS:
        raise ValueError(f"naming must be one of {NAMINGS}; got {naming!r}")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier; got {name!r}")
    shape = tuple(int(s) for s in shape)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"shape must be a non-empty tuple of positive sizes; got {shape}")
    out = np.empty(shape, dtype=object)
    assumptions = {"real": True} if real else {}
    base = sympy.IndexedBase(name, **assumptions)
    for index in np.ndindex(*shape):
        if naming == "indexed":
            out[index] = base[index]
        else:
            out[index] = sympy.Symbol(f"{name}_{','.join(map(str, index))}", **assumptions)
    return out


def exact_number(value: object, what: str = "kernel entries") -> sympy.Expr:
    """A number or SymPy expression as an exact SymPy value: the one rule of the symbolic layer.

    Integers and booleans become SymPy integers; a float (NumPy's, Python's or a SymPy
    ``Float``) becomes the dyadic rational it stores, exactly; a complex number the sum of
    two such rationals; a fraction its rational; a SymPy expression is kept.

    Parameters
    ----------
    value : number or sympy.Basic
        The value.
    what : str, default "kernel entries"
        What the values are, for the error messages.

    Returns
    -------
    sympy.Expr
        The exact value.

    Raises
    ------
    TypeError
        For strings and other objects that are neither numbers nor SymPy expressions.
    ValueError
        For NaN or infinity.

    Examples
    --------
    >>> from linop.symbolic import exact_number
    >>> exact_number(0.1), exact_number(np.int8(3)), exact_number(0.5 - 2j)
    (3602879701896397/36028797018963968, 3, 1/2 - 2*I)
    """
    if isinstance(value, sympy.Basic):
        if isinstance(value, sympy.Float):
            return sympy.Rational(value)
        if value.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            raise ValueError(f"{what} must be finite; got {value}")
        return value
    if isinstance(value, (bool, np.bool_)):
        return sympy.Integer(int(value))
    if isinstance(value, (int, np.integer)):
        return sympy.Integer(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise ValueError(f"{what} must be finite; got {value}")
        return sympy.Rational(float(value))
    if isinstance(value, (complex, np.complexfloating)):
        if not np.isfinite(value):
            raise ValueError(f"{what} must be finite; got {value}")
        return sympy.Rational(float(value.real)) + sympy.I * sympy.Rational(float(value.imag))
    if isinstance(value, numbers.Rational):
        return sympy.Rational(value.numerator, value.denominator)
    raise TypeError(f"{what} must be numbers or SymPy expressions; got {value!r} ({type(value).__name__})")


def exact_kernel(kernel: object) -> np.ndarray:
    """A read-only object array of exact SymPy entries with the kernel's shape.

    Accepts nested lists, NumPy arrays, SymPy matrices and N-dim arrays.

    Parameters
    ----------
    kernel : array_like
        Numbers (floats become the exact rational they store) or SymPy expressions.

    Returns
    -------
    ndarray of object
        The exact entries, read-only.

    Raises
    ------
    TypeError, ValueError
        For entries that are not numbers or expressions, a ragged or empty kernel.

    Examples
    --------
    >>> from linop import symbolic
    >>> symbolic.exact_kernel([0.5, 1, 0.25])
    array([1/2, 1, 1/4], dtype=object)
    """
    if isinstance(kernel, (sympy.MatrixBase, sympy.NDimArray)):
        arr = np.array(kernel.tolist(), dtype=object)
    else:
        try:
            arr = np.array(kernel, dtype=object)
        except ValueError:
            raise ValueError("kernel must be a rectangular array (all rows of equal length)") from None
    if arr.ndim == 0:
        raise ValueError("kernel must have at least one axis; got a scalar")
    if arr.size == 0:
        raise ValueError(f"kernel must not be empty; got shape {arr.shape}")
    out = np.empty(arr.shape, dtype=object)
    for index in np.ndindex(*arr.shape):
        out[index] = exact_number(arr[index])
    out.setflags(write=False)
    return out
