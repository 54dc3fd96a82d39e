"""Checks of the arguments users pass: integers, shapes, per-axis values, flags, choices, arrays.

Every public entry point of linop normalises its arguments with these functions, so
that one kind of argument is checked one way everywhere and a bad one gets the same
clear error: the parameter's name, the value received and what is allowed. Nothing
here changes what it is given; array arguments are copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeGuard

import numpy as np

from .immutable import immutable

__all__ = [
    "as_finite_array",
    "check_operand",
    "as_int",
    "as_shape",
    "check_choice",
    "check_flag",
    "is_integer",
    "per_axis",
]


def is_integer(value: object) -> TypeGuard[int | np.integer]:
    """Whether ``value`` is an integer: a Python or NumPy int, but not a bool.

    Parameters
    ----------
    value : object
        Anything.

    Returns
    -------
    bool
        ``True`` for ``3`` and ``np.int64(3)``; ``False`` for ``True``, ``np.bool_(True)``,
        ``3.0`` and strings.

    Examples
    --------
    >>> from linop.arguments import is_integer
    >>> is_integer(3), is_integer(np.int8(3)), is_integer(True), is_integer(3.0)
    (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def as_int(value: object, name: str) -> int:
    """``value`` as a Python int; ``TypeError`` naming ``name`` when it is not an integer.

    Parameters
    ----------
    value : object
        The value received.
    name : str
        The parameter's name, for the error message.

    Returns
    -------
    int
        ``int(value)``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (:func:`is_integer`).

    Examples
    --------
    >>> from linop.arguments import as_int
    >>> as_int(np.int64(4), "groups")
    4
    """
    if not is_integer(value):
        raise TypeError(f"{name} must be an int, got {value!r}")
    return int(value)


def per_axis(value: int | Sequence[int], ndim: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """Broadcast an int, or check a sequence of ``ndim`` ints, each ``>= minimum``.

    Parameters
    ----------
    value : int or sequence of int
        One int for every axis, or one per axis.
    ndim : int
        The number of axes.
    name : str
        The keyword's name, for the error message.
    minimum : int, default 1
        The smallest value allowed.

    Returns
    -------
    tuple of int
        One value per axis.

    Raises
    ------
    ValueError
        If the sequence has the wrong length or an entry is below ``minimum``.
    TypeError
        If an entry is not an integer.

    Examples
    --------
    >>> from linop.arguments import per_axis
    >>> per_axis(2, 3, "stride"), per_axis((1, 2), 2, "stride")
    ((2, 2, 2), (1, 2))
    """
    if is_integer(value):
        values = (int(value),) * ndim
    else:
        try:
            values = tuple(as_int(v, name) for v in value)  # type: ignore[union-attr]
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of {ndim} ints, got {value!r}") from None
        if len(values) != ndim:
            raise ValueError(
                f"{name} must be an int or a sequence of {ndim} ints (one per spatial axis); got {value!r}"
            )
    for v in values:
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum} on every axis; got {value!r}")
    return values


def check_flag(value: object, name: str) -> bool:
    """A keyword that must be ``True`` or ``False`` (``flip``, ``real``, ...).

    Parameters
    ----------
    value : object
        The value received.
    name : str
        The keyword's name, for the error message.

    Returns
    -------
    bool
        ``value`` as a Python bool.

    Raises
    ------
    TypeError
        If ``value`` is not a bool.

    Examples
    --------
    >>> from linop.arguments import check_flag
    >>> check_flag(True, "flip")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_choice(value: object, allowed: Sequence[str], name: str) -> str:
    """A keyword that must be one of a few names (``method``, ``boundary``, ...).

    Parameters
    ----------
    value : object
        The value received.
    allowed : sequence of str
        The names allowed.
    name : str
        The keyword's name, for the error message.

    Returns
    -------
    str
        ``value``.

    Raises
    ------
    ValueError
        If ``value`` is not one of ``allowed``.

    Examples
    --------
    >>> from linop.arguments import check_choice
    >>> check_choice("fft", ("auto", "gemm", "fft"), "method")
    'fft'
    """
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def as_shape(shape: int | Sequence[int], name: str) -> tuple[int, ...]:
    """Check a shape argument: an int or a non-empty sequence of positive ints.

    Parameters
    ----------
    shape : int or sequence of int
        The value received.
    name : str
        The parameter's name, for the error message.

    Returns
    -------
    tuple of int
        The shape.

    Raises
    ------
    TypeError
        If ``shape`` is neither an int nor a sequence.
    ValueError
        If it is empty or holds an entry that is not a positive int.

    Examples
    --------
    >>> from linop.arguments import as_shape
    >>> as_shape(7, "input_shape"), as_shape((3, np.int64(4)), "input_shape")
    ((7,), (3, 4))
    """
    if is_integer(shape):
        shape = (int(shape),)
    try:
        out = tuple(int(s) for s in shape)  # type: ignore[union-attr]
        ok = all(is_integer(s) for s in shape)  # type: ignore[union-attr]
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints; got {shape!r}") from None
    if not ok or not out or any(s < 1 for s in out):
        raise ValueError(f"{name} must be a non-empty sequence of positive ints; got {shape!r}")
    return out


def as_finite_array(value: object, name: str) -> np.ndarray:
    """An immutable copy of ``value`` as a float or complex array, checked finite.

    The kernels of convolutions and the fixed images of kernel operators are taken this
    way: integer and boolean arrays become float64, float16 becomes float32; float32,
    float64 and complex arrays keep their dtype. The copy's memory can never change
    (:func:`linop.immutable.immutable`), so the backends may cache transforms of it.

    Parameters
    ----------
    value : array_like
        The array received.
    name : str
        The parameter's name, for the error message.

    Returns
    -------
    ndarray
        The immutable copy.

    Raises
    ------
    TypeError
        If ``value`` is not numeric.
    ValueError
        If it is a scalar, empty, or holds NaN or inf.

    Examples
    --------
    >>> from linop.arguments import as_finite_array
    >>> k = as_finite_array([1, 2, 1], "kernel")
    >>> k.dtype, k.flags.writeable
    (dtype('float64'), False)
    """
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis; got a scalar")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.inexact):
        arr = arr.astype(np.float64)
    elif arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; it contains NaN or inf")
    return immutable(arr)


def check_operand(shape: tuple[int, ...], dtype: np.dtype, expected: Sequence[int], name: str) -> tuple[int, ...]:
    """Check an operand of an operator: numeric, of shape ``(..., *expected)``; return its batch shape.

    Every way an array reaches an operator (NumPy, Dask, JAX, the solvers) is checked by
    this one function, so the same mistake gets the same message everywhere.

    Parameters
    ----------
    shape : tuple of int
        The operand's shape.
    dtype : numpy.dtype
        The operand's dtype.
    expected : sequence of int
        The operator's ``input_shape`` (or ``output_shape`` for an adjoint).
    name : str
        The operand's name, for the error message (``"x"``, ``"y"``, ``"b"``).

    Returns
    -------
    tuple of int
        The leading batch axes, ``shape[:-len(expected)]``.

    Raises
    ------
    TypeError
        If ``dtype`` is not numeric (or bool).
    ValueError
        If ``shape`` does not end with ``expected``.

    Examples
    --------
    >>> from linop.arguments import check_operand
    >>> check_operand((5, 3, 4), np.dtype(np.float32), (3, 4), "x")
    (5,)
    """
    dtype = np.dtype(dtype)
    if dtype == np.object_ or not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric array; got dtype {dtype}")
    expected = tuple(expected)
    nd = len(expected)
    shape = tuple(shape)
    if len(shape) < nd or shape[len(shape) - nd :] != expected:
        raise ValueError(
            f"{name} must have shape (..., {', '.join(map(str, expected))}) (leading batch axes allowed); got {shape}"
        )
    return shape[: len(shape) - nd]
