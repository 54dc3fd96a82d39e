"""Hypothesis strategies for convolutions and their test vectors, for users' own test suites.

``conv_configs()`` draws every keyword of :class:`~linop.Convolution` (1-D to 3-D,
single channel and channels last, stride, every padding form, dilation, groups, every
boundary mode and alias, flip, method, four dtypes) and only ever produces valid
configurations: the input length of each axis is raised until the output is non-empty
and the pad fits the boundary mode (``reflect`` pads at most ``n - 1``, ``symmetric``
at most ``n``), using the limits of :mod:`linop.geometry`::

    from hypothesis import given
    from linop.testing import strategies, assert_adjoint

    @given(strategies.convolutions(dtypes=("float32",)))
    def test_my_solver_sees_a_correct_adjoint(A):
        assert_adjoint(A)

Requires ``hypothesis`` (the ``test`` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..arguments import check_choice
from ..backends import METHODS
from ..geometry import (
    BOUNDARY_ALIASES,
    BOUNDARY_MODES,
    AxisGeometry,
    canonical_boundary,
    max_pad_width,
    resolve_padding,
)
from ..operators import Convolution
from ..verification.operands import declared_shapes
from ..verification.tolerance import vector_dtype

__all__ = ["BOUNDARIES", "DTYPES", "PADDING_FORMS", "ConvConfig", "conv_configs", "convolutions", "vectors_for"]

#: The dtypes drawn by default.
DTYPES: tuple[str, ...] = ("float32", "float64", "complex64", "complex128")
#: Every boundary name :class:`~linop.Convolution` accepts, aliases included.
BOUNDARIES: tuple[str, ...] = BOUNDARY_MODES + tuple(BOUNDARY_ALIASES)
#: The forms of the ``padding`` keyword: the three names, one int for all axes, one int
#: per axis, one ``(low, high)`` pair per axis, and a mix of ints and pairs.
PADDING_FORMS: tuple[str, ...] = ("valid", "same", "full", "int", "ints", "pairs", "mixed")


@dataclass(frozen=True)
class ConvConfig:
    """One valid :class:`~linop.Convolution` configuration: the kernel, the input shape, the keywords.

    ``build()`` makes the operator; ``keywords`` are exactly the arguments after
    ``input_shape``, in the form they were drawn (e.g. ``stride=2`` or ``stride=(1, 2)``).

    Parameters
    ----------
    kernel : ndarray
        The kernel.
    input_shape : tuple of int
        The input shape.
    stride, dilation : int or tuple of int, default 1
        As drawn.
    padding : object, default "valid"
        As drawn, in any of its forms.
    groups : int, default 1
        The number of groups.
    boundary : str, default "constant"
        As drawn (aliases included).
    flip : bool, default False
        Whether the kernel is reversed.
    method : str, default "auto"
        The backend.

    Examples
    --------
    >>> from linop.testing.strategies import ConvConfig
    >>> config = ConvConfig(np.ones(3), (7,), stride=2)
    >>> config.build().output_shape
    (3,)
    """

    kernel: np.ndarray = field(repr=False)
    input_shape: tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: object = "valid"
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    boundary: str = "constant"
    flip: bool = False
    method: str = "auto"

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        return tuple(self.kernel.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.kernel.dtype

    @property
    def keywords(self) -> dict:
        return dict(
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            boundary=self.boundary,
            flip=self.flip,
            method=self.method,
        )

    def build(self) -> Convolution:
        """``Convolution(kernel, input_shape, **keywords)``."""
        return Convolution(self.kernel, self.input_shape, **self.keywords)

    def __repr__(self) -> str:
        kw = ", ".join(f"{k}={v!r}" for k, v in self.keywords.items())
        return f"ConvConfig(kernel shape {self.kernel_shape} {self.dtype}, input_shape={self.input_shape}, {kw})"


def _axis_is_valid(n: int, k: int, s: int, d: int, pad_spec: object, mode: str) -> bool:
    """Whether one axis of length ``n`` gives a non-empty output with a pad the mode allows,
    and (for zero padding) reads the input at all: an operator that only ever meets zero
    padding is zero, and an FFT computes it as rounding noise that no check can tell from
    a defect."""
    ((lo, hi),) = resolve_padding(pad_spec, [n], [k], [s], [d])  # type: ignore[arg-type]
    axis = AxisGeometry(n, k, s, d, lo, hi)
    limit = max_pad_width(n, mode)
    if axis.output_size < 1 or (limit is not None and max(lo, hi) > limit):
        return False
    return mode != "constant" or axis.reads_input


def _per_axis_form(draw, values: list[int]) -> int | tuple[int, ...]:
    """An int when all axes agree and the draw says so, otherwise one int per axis."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


def _random_kernel(shape: tuple[int, ...], dtype: np.dtype, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        k = k + 1j * rng.standard_normal(shape)
    return k.astype(dtype)


def conv_configs(
    *,
    ndims: Sequence[int] = (1, 2, 3),
    max_size: int = 8,
    max_kernel: int = 3,
    max_stride: int = 3,
    max_dilation: int = 2,
    max_pad: int = 2,
    max_channels: int = 4,
    channels: bool | None = None,
    dtypes: Sequence[str | type] = DTYPES,
    boundaries: Sequence[str] = BOUNDARIES,
    paddings: Sequence[str] = PADDING_FORMS,
    flip: bool | None = None,
    methods: Sequence[str] = METHODS,
) -> st.SearchStrategy[ConvConfig]:
    """Valid :class:`ConvConfig` s covering every keyword of :class:`~linop.Convolution`.

    Parameters
    ----------
    ndims : sequence of int
        Spatial dimensions to draw from.
    max_size : int
        Largest drawn input length per axis (raised when the kernel, dilation and padding
        need more, so the configuration is valid).
    max_kernel, max_stride, max_dilation, max_pad : int
        Bounds of the kernel length, stride, dilation and explicit pads per axis.
    max_channels : int
        Bound of the channel counts; groups divide both.
    channels : bool, optional
        ``True``: channels-last kernels ``(k..., c_in/groups, c_out)``; ``False``: single
        channel; ``None``: either.
    dtypes, boundaries, paddings, methods : sequences
        What to draw from (:data:`DTYPES`, :data:`BOUNDARIES`, :data:`PADDING_FORMS`,
        :data:`linop.backends.METHODS`).
    flip : bool, optional
        Fix ``flip`` or draw it (``None``).

    Returns
    -------
    hypothesis strategy of ConvConfig
        Valid configurations; ``config.build()`` makes the operator.

    Raises
    ------
    ValueError
        For empty choices or bounds below 1 (``max_pad`` below 0).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from linop.testing import strategies
    >>> @settings(max_examples=5, deadline=None)
    ... @given(strategies.conv_configs(ndims=(2,), dtypes=("float64",)))
    ... def test_output_is_not_empty(config):
    ...     assert min(config.build().output_shape) >= 1
    ...
    >>> test_output_is_not_empty()
    """
    for name, value in (
        ("max_size", max_size),
        ("max_kernel", max_kernel),
        ("max_stride", max_stride),
        ("max_dilation", max_dilation),
        ("max_channels", max_channels),
    ):
        if value < 1:
            raise ValueError(f"{name} must be >= 1; got {value}")
    if max_pad < 0:
        raise ValueError(f"max_pad must be >= 0; got {max_pad}")
    for name, choices in (
        ("ndims", ndims),
        ("dtypes", dtypes),
        ("boundaries", boundaries),
        ("paddings", paddings),
        ("methods", methods),
    ):
        if len(choices) == 0:
            raise ValueError(f"{name} must not be empty")
    unknown = [p for p in paddings if p not in PADDING_FORMS]
    if unknown:
        raise ValueError(f"paddings: unknown forms {unknown}; allowed: {PADDING_FORMS}")
    if any(not isinstance(d, int) or d < 1 for d in ndims):
        raise ValueError(f"ndims must hold positive ints; got {tuple(ndims)}")
    for b in boundaries:
        canonical_boundary(b)
    for m in methods:
        check_choice(m, METHODS, "method")
    resolved = tuple(np.dtype(d) for d in dtypes)
    bad = [d for d in resolved if not np.issubdtype(d, np.inexact)]
    if bad:
        raise ValueError(f"dtypes must be floating or complex; got {bad}")
    return _conv_configs(
        ndims=tuple(ndims),
        max_size=max_size,
        max_kernel=max_kernel,
        max_stride=max_stride,
        max_dilation=max_dilation,
        max_pad=max_pad,
        max_channels=max_channels,
        channels=channels,
        dtypes=resolved,
        boundaries=tuple(boundaries),
        paddings=tuple(paddings),
        flip=flip,
        methods=tuple(methods),
    )


@st.composite
def _conv_configs(
    draw,
    *,
    ndims,
    max_size,
    max_kernel,
    max_stride,
    max_dilation,
    max_pad,
    max_channels,
    channels,
    dtypes,
    boundaries,
    paddings,
    flip,
    methods,
) -> ConvConfig:
    """The drawing behind :func:`conv_configs` (arguments already checked)."""
    ndim = draw(st.sampled_from(list(ndims)))
    boundary = draw(st.sampled_from(list(boundaries)))
    mode = canonical_boundary(boundary)
    k = [draw(st.integers(1, max_kernel)) for _ in range(ndim)]
    s = [draw(st.integers(1, max_stride)) for _ in range(ndim)]
    d = [draw(st.integers(1, max_dilation)) for _ in range(ndim)]
    form = draw(st.sampled_from(list(paddings)))
    # ``axis_specs[a]`` is the padding of axis ``a`` alone, as resolve_padding takes it for one axis.
    if form in ("valid", "same", "full"):
        padding: object = form
        axis_specs: list[object] = [form] * ndim
    elif form == "int":
        p = draw(st.integers(0, max_pad))
        padding, axis_specs = p, [[p]] * ndim
    elif form == "ints":
        ints = [draw(st.integers(0, max_pad)) for _ in range(ndim)]
        padding, axis_specs = tuple(ints), [[v] for v in ints]
    else:
        entries: list[object] = []
        for _ in range(ndim):
            if form == "mixed" and draw(st.booleans()):
                entries.append(draw(st.integers(0, max_pad)))
            else:
                entries.append((draw(st.integers(0, max_pad)), draw(st.integers(0, max_pad))))
        padding = entries if draw(st.booleans()) else tuple(entries)
        axis_specs = [[e] for e in entries]
    n = []
    for a in range(ndim):
        length = draw(st.integers(1, max_size))
        while not _axis_is_valid(length, k[a], s[a], d[a], axis_specs[a], mode):
            length += 1
        n.append(length)

    use_channels = draw(st.booleans()) if channels is None else bool(channels)
    groups = 1
    if use_channels:
        groups = draw(st.integers(1, max_channels))
        c_in = groups * draw(st.integers(1, max(1, max_channels // groups)))
        c_out = groups * draw(st.integers(1, max(1, max_channels // groups)))
        kernel_shape = tuple(k) + (c_in // groups, c_out)
        input_shape = tuple(n) + (c_in,)
    else:
        kernel_shape, input_shape = tuple(k), tuple(n)
    dtype = np.dtype(draw(st.sampled_from(list(dtypes))))
    kernel = _random_kernel(kernel_shape, dtype, draw(st.integers(0, 2**32 - 1)))
    return ConvConfig(
        kernel=kernel,
        input_shape=input_shape,
        stride=_per_axis_form(draw, s),
        padding=padding,
        dilation=_per_axis_form(draw, d),
        groups=groups,
        boundary=boundary,
        flip=draw(st.booleans()) if flip is None else bool(flip),
        method=draw(st.sampled_from(list(methods))),
    )


def convolutions(**config_bounds) -> st.SearchStrategy[Convolution]:
    """Valid :class:`~linop.Convolution` operators; keywords as for :func:`conv_configs`.

    Parameters
    ----------
    **config_bounds
        Keywords of :func:`conv_configs` (``ndims``, ``max_size``, ``dtypes``, ...).

    Returns
    -------
    hypothesis strategy of Convolution
        Built operators.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from linop.testing import assert_adjoint, strategies
    >>> @settings(max_examples=5, deadline=None)
    ... @given(strategies.convolutions(dtypes=("complex64",), max_size=6))
    ... def test_adjoint(A):
    ...     assert_adjoint(A)
    ...
    >>> test_adjoint()
    """
    return conv_configs(**config_bounds).map(ConvConfig.build)


def vectors_for(op, *, adjoint: bool = False, max_magnitude: float = 1e3) -> st.SearchStrategy[np.ndarray]:
    """Finite arrays ``op`` can be applied to (``adjoint=True``: ``op.H``), in its dtype.

    Shaped operators get arrays of ``input_shape`` (or ``output_shape``); any other
    LinearOperator gets vectors ``(N,)`` (or ``(M,)``). Entries are finite, with modulus
    at most ``max_magnitude``; complex operators get complex entries.

    Parameters
    ----------
    op : scipy.sparse.linalg.LinearOperator
        The operator.
    adjoint : bool, default False
        Draw arrays for ``op.H`` (the output shape) instead.
    max_magnitude : float, default 1000.0
        Bound of the modulus of every entry.

    Returns
    -------
    hypothesis strategy of ndarray
        Arrays of the right shape and dtype.

    Raises
    ------
    TypeError
        ``op`` has no 2-D ``shape``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from linop.testing import strategies
    >>> A = linop.Convolution(np.ones((3, 3), np.float32), (6, 6))
    >>> @settings(max_examples=5, deadline=None)
    ... @given(strategies.vectors_for(A))
    ... def test_linear_in_scale(x):
    ...     np.testing.assert_allclose(A.apply(2 * x), 2 * A.apply(x), rtol=1e-5, atol=1e-3)
    ...
    >>> test_linear_in_scale()
    """
    shape = getattr(op, "shape", None)
    if shape is None or len(shape) != 2:
        raise TypeError(f"op must be a LinearOperator with a 2-D shape; got {type(op).__name__}")
    ishape, oshape, _ = declared_shapes(op)
    if ishape is None or oshape is None:  # None together
        ishape, oshape = (int(shape[1]),), (int(shape[0]),)
    dtype = vector_dtype(getattr(op, "dtype", None))
    width = dtype.itemsize * 8
    if np.issubdtype(dtype, np.complexfloating):
        # width: the dtype's bits; hypothesis refuses those it has no strategy for (long double)
        elements = st.complex_numbers(
            max_magnitude=max_magnitude,
            allow_nan=False,
            allow_infinity=False,
            width=width,  # type: ignore[arg-type]
        )
    else:
        elements = st.floats(
            -max_magnitude,
            max_magnitude,
            allow_nan=False,
            allow_infinity=False,
            width=width,  # type: ignore[arg-type]
        )
    return hnp.arrays(dtype, oshape if adjoint else ishape, elements=elements)
