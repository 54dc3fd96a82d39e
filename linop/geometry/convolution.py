"""The geometry of a whole convolution: spatial axes, channels, groups, padding and boundary.

:class:`ConvGeometry` combines one :class:`~linop.geometry.AxisGeometry` per spatial
axis with the channels (channels last, as an image ``n_y x n_x x n_c``) and the boundary
mode; :meth:`ConvGeometry.build` checks the keywords of a convolution and resolves its
padding (:func:`resolve_padding`), and :func:`conv_geometry` reads the layout from the
kernel's and the input's shapes. A geometry is frozen and hashable: the backends key their
plans and caches on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..arguments import as_int, as_shape, is_integer, per_axis
from .axis import AxisGeometry, kernel_extent
from .boundary import canonical_boundary, max_pad_width

__all__ = ["MAX_SAMPLES", "ConvGeometry", "PaddingSpec", "conv_geometry", "pad_geometry", "resolve_padding"]

#: Largest number of samples an axis or an array may have (``numpy.intp``).
MAX_SAMPLES: int = int(np.iinfo(np.intp).max)
#: The padded grid "dominates" when it holds more than this many times the samples of
#: the input and output grids together (plus :data:`PADDING_SLACK`).
PADDING_DOMINANCE: int = 4
#: Samples of slack in :attr:`ConvGeometry.padding_dominates`, so that small layers keep their usual path.
PADDING_SLACK: int = 2**14

#: The forms the ``padding`` keyword takes: ``"valid"``, ``"same"``, ``"full"``, an int,
#: one int per axis, or one ``(low, high)`` pair per axis (:func:`resolve_padding`).
PaddingSpec = str | int | Sequence[int] | Sequence[Sequence[int]]


def resolve_padding(
    padding: PaddingSpec,
    input_size: Sequence[int],
    kernel_size: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
) -> tuple[tuple[int, int], ...]:
    """Turn a padding specification into one ``(low, high)`` pair per axis.

    * ``"valid"``: no padding.
    * ``"same"``: output length ``ceil(n / s)``; the total pad
      ``max((ceil(n/s) - 1)*s + d*(k-1) + 1 - n, 0)`` is split with
      ``low = total // 2`` and the extra one on the high side.
    * ``"full"``: ``d*(k-1)`` on both sides (every partial overlap).
    * an int ``p``: ``(p, p)`` on every axis; a sequence of ints: ``(p_i, p_i)``;
      a sequence of pairs: ``(low_i, high_i)``.

    Parameters
    ----------
    padding : str, int or sequence
        ``"valid"``, ``"same"``, ``"full"``, an int, one int per axis, or one ``(low, high)``
        pair per axis.
    input_size, kernel_size, stride, dilation : sequence of int
        One entry per spatial axis.

    Returns
    -------
    tuple of (int, int)
        ``(low, high)`` per axis.

    Raises
    ------
    ValueError
        For an unknown name, a negative pad or a sequence of the wrong length.

    Examples
    --------
    >>> from linop.geometry import resolve_padding
    >>> resolve_padding("same", (16, 15), (3, 4), (2, 1), (1, 1))
    ((0, 1), (1, 2))
    >>> resolve_padding([(1, 0)], (7,), (3,), (1,), (1,))
    ((1, 0),)
    """
    ndim = len(input_size)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * ndim
        if padding == "same":
            pads = []
            for n, k, s, d in zip(input_size, kernel_size, stride, dilation):
                out = -(-n // s)
                total = max((out - 1) * s + kernel_extent(k, d) - n, 0)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        if padding == "full":
            return tuple((d * (k - 1),) * 2 for k, d in zip(kernel_size, dilation))
        raise ValueError(
            f"padding must be 'valid', 'same', 'full', an int, one int per axis or one (low, high) "
            f"pair per axis; got {padding!r}"
        )
    if is_integer(padding):
        p = per_axis(int(padding), ndim, "padding", minimum=0)
        return tuple((v, v) for v in p)
    items: list[int | Sequence[int]]
    try:
        items = list(padding)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"padding must be a string, an int or a sequence; got {padding!r}") from None
    if len(items) != ndim:
        raise ValueError(f"padding must have one entry per spatial axis ({ndim}); got {padding!r}")
    pairs: list[tuple[int, int]] = []
    for item in items:
        pair: tuple[int, ...]
        if is_integer(item):
            pair = (int(item), int(item))
        else:
            try:
                pair = tuple(as_int(v, "padding") for v in item)  # type: ignore[union-attr]
            except TypeError:
                raise TypeError(f"padding entries must be ints or (low, high) pairs; got {padding!r}") from None
            if len(pair) != 2:
                raise ValueError(f"padding pairs must be (low, high); got {padding!r}")
        if min(pair) < 0:
            raise ValueError(f"padding must be >= 0; got {padding!r}")
        pairs.append((pair[0], pair[1]))  # one (low, high) pair, its length checked above
    return tuple(pairs)


@dataclass(frozen=True)
class ConvGeometry:
    """The full geometry of a channels-last convolution.

    Shapes (channels last, as an image ``n_y x n_x x n_c``):

    * input ``(n_1, ..., n_d, c_in)``, output ``(m_1, ..., m_d, c_out)``;
    * kernel ``(k_1, ..., k_d, c_in / groups, c_out)``;
    * output channel ``o`` belongs to group ``g = o // (c_out / groups)`` and reads
      input channels ``g*c_in/groups ... (g+1)*c_in/groups - 1``.

    ``channels=False`` describes the single-channel layout with no channel axis
    (``c_in == c_out == groups == 1``).

    Parameters
    ----------
    axes : tuple of AxisGeometry
        One per spatial axis.
    in_channels, out_channels : int, default 1
        ``c_in`` and ``c_out``.
    groups : int, default 1
        Divides both channel counts.
    boundary : str, default "constant"
        The :func:`numpy.pad` name of the boundary mode.
    channels : bool, default True
        Whether the arrays have a channel axis (last).

    Examples
    --------
    >>> from linop.geometry import ConvGeometry
    >>> geom = ConvGeometry.build((16, 16), (3, 3), stride=2, padding="same", in_channels=4, out_channels=8)
    >>> geom.input_shape, geom.output_shape, geom.kernel_shape
    ((16, 16, 4), (8, 8, 8), (3, 3, 4, 8))
    >>> geom.padding
    ((0, 1), (0, 1))
    """

    axes: tuple[AxisGeometry, ...]
    in_channels: int = 1
    out_channels: int = 1
    groups: int = 1
    boundary: str = "constant"
    channels: bool = True

    @classmethod
    def build(
        cls,
        input_size: Sequence[int],
        kernel_size: Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: PaddingSpec = "valid",
        dilation: int | Sequence[int] = 1,
        in_channels: int = 1,
        out_channels: int = 1,
        groups: int = 1,
        boundary: str = "constant",
        channels: bool = True,
    ) -> ConvGeometry:
        """Check every parameter and resolve the padding.

        Raises
        ------
        ValueError
            Stride or dilation below 1, groups not dividing the channels, a pad
            wider than the boundary mode allows, or an output length below 1.
        """
        ndim = len(input_size)
        if len(kernel_size) != ndim:
            raise ValueError(
                f"kernel has {len(kernel_size)} spatial axes but the input has {ndim} "
                f"(input spatial shape {tuple(input_size)}, kernel spatial shape {tuple(kernel_size)})"
            )
        for n in input_size:
            if n < 1:
                raise ValueError(f"input_shape must have positive sizes; got {tuple(input_size)}")
        for k in kernel_size:
            if k < 1:
                raise ValueError(f"kernel must have positive sizes; got {tuple(kernel_size)}")
        strides = per_axis(stride, ndim, "stride")
        dilations = per_axis(dilation, ndim, "dilation")
        groups = as_int(groups, "groups")
        if groups < 1:
            raise ValueError(f"groups must be >= 1; got {groups}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups must divide both channel counts; got groups={groups}, "
                f"in_channels={in_channels}, out_channels={out_channels}"
            )
        canonical = canonical_boundary(boundary)
        pads = resolve_padding(padding, input_size, kernel_size, strides, dilations)
        axes = tuple(
            AxisGeometry(int(n), int(k), s, d, lo, hi)
            for n, k, s, d, (lo, hi) in zip(input_size, kernel_size, strides, dilations, pads)
        )
        for a, ax in enumerate(axes):
            limit = max_pad_width(ax.n, canonical)
            if limit is not None and max(ax.pad_low, ax.pad_high) > limit:
                raise ValueError(
                    f"boundary={canonical!r} allows a pad of at most {limit} on an axis of length {ax.n}; "
                    f"axis {a} has padding ({ax.pad_low}, {ax.pad_high})"
                )
            if ax.output_size < 1:
                raise ValueError(
                    f"output size on axis {a} would be {ax.output_size}: the kernel span "
                    f"dilation*(k-1)+1 = {ax.extent} exceeds the padded input length {ax.padded_size} "
                    f"(n={ax.n}, padding=({ax.pad_low}, {ax.pad_high}))"
                )
        outputs = math.prod(ax.output_size for ax in axes) * int(out_channels)
        if outputs > MAX_SAMPLES:
            raise ValueError(
                f"padding={padding!r} with dilation={dilation!r} and stride={stride!r} gives an output of "
                f"{'x'.join(str(ax.output_size) for ax in axes)} samples ({outputs:.3g} with the channels), "
                f"more than an array can hold ({MAX_SAMPLES}); use a smaller padding or dilation, or a larger stride"
            )
        return cls(axes, int(in_channels), int(out_channels), groups, canonical, channels)

    # -- derived sizes -------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.axes)

    @property
    def input_size(self) -> tuple[int, ...]:
        return tuple(a.n for a in self.axes)

    @property
    def kernel_size(self) -> tuple[int, ...]:
        return tuple(a.k for a in self.axes)

    @property
    def output_size(self) -> tuple[int, ...]:
        return tuple(a.output_size for a in self.axes)

    @property
    def padded_size(self) -> tuple[int, ...]:
        return tuple(a.padded_size for a in self.axes)

    @property
    def stride(self) -> tuple[int, ...]:
        return tuple(a.stride for a in self.axes)

    @property
    def dilation(self) -> tuple[int, ...]:
        return tuple(a.dilation for a in self.axes)

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        return tuple((a.pad_low, a.pad_high) for a in self.axes)

    @property
    def in_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def out_per_group(self) -> int:
        return self.out_channels // self.groups

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of the arrays the convolution maps from."""
        return self.input_size + ((self.in_channels,) if self.channels else ())

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of the arrays the convolution maps to."""
        return self.output_size + ((self.out_channels,) if self.channels else ())

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        """Shape of the kernel: ``(k_1..k_d, c_in/groups, c_out)``, or ``(k_1..k_d)``."""
        return self.kernel_size + ((self.in_per_group, self.out_channels) if self.channels else ())

    @property
    def has_padding(self) -> bool:
        return any(a.pad_low or a.pad_high for a in self.axes)

    @property
    def padding_dominates(self) -> bool:
        """Whether the padded grid is far larger than what the convolution reads and writes:
        ``prod(P) > PADDING_DOMINANCE * (prod(n) + prod(m) + PADDING_SLACK)``.

        Then the operators compute only the taps that reach the input
        (:meth:`AxisGeometry.tap_sources`) instead of building the padded signal, whose
        size is unbounded in the dilation and padding (a dilation of ``10**7`` on eight
        samples would pad them to twenty million).
        """
        padded = math.prod(self.padded_size)
        return padded > PADDING_DOMINANCE * (math.prod(self.input_size) + math.prod(self.output_size) + PADDING_SLACK)

    def tap_input_indices(self, tap: Sequence[int]) -> np.ndarray:
        """For tap ``tap`` (one index per axis), the flat (C-order) index of the input sample
        each output meets, shape ``output_size`` (``-1``: a zero of ``constant`` padding);
        :meth:`AxisGeometry.tap_sources` per axis, combined."""
        flat = np.zeros(self.output_size, dtype=np.int64)
        outside = np.zeros(self.output_size, dtype=bool)
        for a, ax in enumerate(self.axes):
            shape = [1] * self.ndim
            shape[a] = ax.output_size
            src = ax.tap_sources(tap[a], self.boundary).reshape(shape)
            flat = flat * ax.n + src
            outside = outside | (src < 0)
        return np.where(outside, -1, flat)

    def unpadded(self) -> ConvGeometry:
        """The same convolution on the already padded input (``padding='valid'``): the
        geometry the numeric backends compute.

        A one-tap axis gets dilation 1 here: its span ``d*(k-1)`` is 0 for every ``d``, so the
        map is the same, and no backend multiplies an index step by a dilation that is never
        used (and may not fit in a C integer).
        """
        axes = tuple(AxisGeometry(a.padded_size, a.k, a.stride, a.dilation if a.k > 1 else 1, 0, 0) for a in self.axes)
        return ConvGeometry(axes, self.in_channels, self.out_channels, self.groups, "constant", self.channels)

    def input_channel(self, out_channel: int, c: int) -> int:
        """Input channel that kernel channel ``c`` of output channel ``out_channel`` reads:
        ``(out_channel // (c_out/groups)) * (c_in/groups) + c``."""
        return (out_channel // self.out_per_group) * self.in_per_group + c

    def source_indices(self) -> tuple[np.ndarray, ...]:
        """Per axis, the input index each padded position copies (``-1`` for a zero)."""
        return tuple(a.source_index(self.boundary) for a in self.axes)

    def taps(self) -> list[tuple[int, ...]]:
        """All kernel tap multi-indices in C order."""
        return [tuple(int(v) for v in t) for t in np.ndindex(*self.kernel_size)]

    @property
    def flops_per_sample(self) -> int:
        """Multiply-adds of one forward application: ``prod(m) * prod(k) * c_in/groups * c_out``."""
        return math.prod(self.output_size) * math.prod(self.kernel_size) * self.in_per_group * self.out_channels


def conv_geometry(
    kernel_shape: Sequence[int],
    input_shape: Sequence[int],
    *,
    stride: int | Sequence[int] = 1,
    padding: PaddingSpec = "valid",
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    boundary: str = "constant",
    kernel_name: str = "kernel",
    input_name: str = "input_shape",
) -> ConvGeometry:
    """The geometry of a convolution from the kernel's and the input's shapes.

    Layouts (channels last):

    * single channel: ``kernel (k_1..k_d)``, ``input (n_1..n_d)``;
    * multi channel: ``kernel (k_1..k_d, c_in/groups, c_out)``, ``input (n_1..n_d, c_in)``.

    Parameters
    ----------
    kernel_shape, input_shape : sequence of int
        The shapes, in one of the two layouts.
    stride, padding, dilation, groups, boundary
        The keywords of :class:`linop.Convolution`.
    kernel_name : str, default "kernel"
        How error messages call the kernel (``"kernel_shape"`` for a kernel operator).
    input_name : str, default "input_shape"
        How error messages call the input (``"x"`` for a kernel operator's image).

    Returns
    -------
    ConvGeometry
        The checked geometry, padding resolved.

    Raises
    ------
    ValueError, TypeError
        For shapes that fit neither layout and every invalid keyword.

    Examples
    --------
    >>> from linop.geometry import conv_geometry
    >>> conv_geometry((3, 3, 2, 8), (16, 16, 4), groups=2, padding="same").output_shape
    (16, 16, 8)
    """
    kshape, ishape = tuple(kernel_shape), tuple(input_shape)
    if is_integer(groups) and groups < 1:
        raise ValueError(f"groups must be >= 1; got {groups}")
    if len(kshape) == len(ishape):
        if groups != 1:
            raise ValueError(
                f"groups={groups!r} needs channels: a multi-channel {kernel_name} "
                f"(k_1..k_d, c_in/groups, c_out) and input (n_1..n_d, c_in)"
            )
        return ConvGeometry.build(
            ishape,
            kshape,
            stride=stride,
            padding=padding,
            dilation=dilation,
            boundary=boundary,
            channels=False,
        )
    if len(kshape) == len(ishape) + 1 and len(ishape) >= 2:
        spatial_k, c_per_group, c_out = kshape[:-2], kshape[-2], kshape[-1]
        spatial_n, c_in = ishape[:-1], ishape[-1]
        if is_integer(groups) and groups >= 1 and c_per_group * groups != c_in:
            raise ValueError(
                f"channel mismatch: the input has c_in={c_in} channels, the {kernel_name} has "
                f"c_in/groups={c_per_group} with groups={groups} (needs {kernel_name}.shape[-2] * groups == c_in)"
            )
        return ConvGeometry.build(
            spatial_n,
            spatial_k,
            stride=stride,
            padding=padding,
            dilation=dilation,
            in_channels=c_in,
            out_channels=c_out,
            groups=groups,
            boundary=boundary,
            channels=True,
        )
    raise ValueError(
        f"{kernel_name} of shape {kshape} does not fit {input_name} {ishape}: use a single-channel "
        f"{kernel_name} (k_1..k_d) with {input_name} (n_1..n_d), or a multi-channel {kernel_name} "
        f"(k_1..k_d, c_in/groups, c_out) with {input_name} (n_1..n_d, c_in)"
    )


def pad_geometry(input_shape: int | Sequence[int], pad_width: object, boundary: str = "constant") -> ConvGeometry:
    """The geometry of padding an array: a one-tap convolution whose padding is ``pad_width``.

    :class:`linop.Pad` and :func:`linop.symbolic.padding_formula` read their sizes, pads
    and boundary from it, so a padding is checked exactly as a convolution's padding is
    (:meth:`ConvGeometry.build`: the pad widths each boundary mode allows included).

    Parameters
    ----------
    input_shape : int or sequence of int
        The shape of the array to pad (every axis is padded; no channel axis).
    pad_width : int, sequence of int, or sequence of (int, int)
        One entry per axis (an int pads every axis by that on both sides).
    boundary : str, default "constant"
        The boundary mode (a :func:`numpy.pad` name or a PyTorch alias).

    Returns
    -------
    ConvGeometry
        ``input_size`` is the array's shape, ``padded_size`` the padded one, ``padding``
        one ``(low, high)`` pair per axis, ``boundary`` the :func:`numpy.pad` name.

    Raises
    ------
    TypeError, ValueError
        For a shape or pad width that is not ints, a string ``pad_width``, a negative or
        wrongly sized ``pad_width``, an unknown boundary, or a pad wider than ``reflect``
        (``n - 1``) or ``symmetric`` (``n``) allows.

    Examples
    --------
    >>> from linop.geometry import pad_geometry
    >>> g = pad_geometry((4,), 2, "reflect")
    >>> g.padded_size, g.padding, g.boundary
    ((8,), ((2, 2),), 'reflect')
    """
    shape = as_shape(input_shape, "input_shape")
    if isinstance(pad_width, str):
        raise TypeError(f"pad_width must be an int or a sequence; got {pad_width!r}")
    return ConvGeometry.build(shape, (1,) * len(shape), padding=pad_width, boundary=boundary, channels=False)  # type: ignore[arg-type]
