"""Convolution and its adjoint, the transposed convolution.

With stride ``s``, dilation ``d``, low padding ``p`` and boundary mode ``b``, the
forward map (``flip=False``, cross-correlation as in deep learning) is

.. math::

    y[j, o] = \\sum_{t} \\sum_{r < c_{in}/G}
        k[t, r, o]\\; \\tilde x[s j + d t - p,\\; g(o)\\,c_{in}/G + r]

where ``x~`` is ``x`` extended by the boundary mode and ``g(o) = o // (c_out/G)`` is the
group of output channel ``o``. ``flip=True`` reverses the kernel along every spatial
axis (the mathematical convolution). The adjoint (the transposed convolution) is

.. math::

    (A^H y)[i, c] = \\sum_{(j, t, o):\\ \\mathrm{fold}(s j + d t - p) = i}
        \\overline{k[t, c - g(o) c_{in}/G, o]}\\; y[j, o]

computed by the same plan as the forward (:meth:`linop.backends.ConvolutionPlan.adjoint`):
the transposed correlation on the padded grid, then the padded border folded back (or,
for zero padding, never computed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from ..arguments import as_finite_array
from ..backends import ConvolutionPlan, plan_convolution
from ..deprecation import moved_names
from ..geometry import ConvGeometry, ConvParameters, ConvRecord, PaddingSpec, block_bounds, register_numeric_view
from ..immutable import immutable
from .base import AdjointOperator, ShapedOperator
from .blocking import ChannelPlan, Stencil, numerics_inherited

__all__ = ["ConvTranspose", "Convolution", "ConvolutionBlocks"]

#: Helpers that moved: ``as_kernel`` is :func:`linop.arguments.as_finite_array`, ``conv_geometry``
#: is :func:`linop.geometry.conv_geometry`.
__getattr__ = moved_names(
    __name__, {"as_kernel": "linop.arguments:as_finite_array", "conv_geometry": "linop.geometry:conv_geometry"}
)


class Convolution(ConvParameters, ShapedOperator):
    """A convolution layer without bias, as a linear operator (channels last).

    Parameters
    ----------
    kernel : array_like
        ``(k_1..k_d)`` for a single-channel image ``(n_1..n_d)``, or
        ``(k_1..k_d, c_in/groups, c_out)`` for an image ``(n_1..n_d, c_in)``.
    input_shape : int or tuple of int
        Shape of the images the layer maps.
    stride, dilation : int or one int per spatial axis, default 1
        The step between outputs and between kernel taps, ``>= 1``.
    padding : "valid", "same", "full", int, one int per axis, or one (low, high) pair per axis
        ``"same"`` gives output size ``ceil(n/stride)``, the extra pad on the high side;
        ``"full"`` pads ``dilation*(k-1)`` on both sides.
    groups : int, default 1
        Must divide ``c_in`` and ``c_out``; ``groups == c_in`` is depthwise.
    boundary : str, default "constant"
        What the padded values are: ``"constant"`` (zeros), ``"wrap"``, ``"reflect"``,
        ``"symmetric"``, ``"edge"`` (``numpy.pad`` names), or ``"zeros"``, ``"circular"``,
        ``"replicate"`` (PyTorch names).
    flip : bool, default False
        ``False``: cross-correlation (deep learning); ``True``: the kernel is reversed
        along every spatial axis (the mathematical convolution).
    method : {"auto", "gemm", "fft", "direct"}, default "auto"
        The numeric backend (:mod:`linop.backends`): ``"gemm"`` (matrix products on
        sliding windows, for channels), ``"fft"`` (large kernels), ``"direct"`` (tiny
        kernels, long signals); ``"auto"`` lets the cost model choose
        (:func:`linop.backends.plan_convolution`, the choice is :attr:`backend`). Every
        method gives the same result up to rounding, and the same NaN/inf pattern: a
        NaN or inf makes non-finite exactly the outputs the defining sum reaches with
        it (the FFT method computes non-finite input on the exact gemm path).

    Notes
    -----
    Output size per axis: ``floor((n + p_lo + p_hi - d*(k-1) - 1) / s) + 1``.
    When the padded signal would be far larger than the input and output
    (:attr:`~linop.geometry.ConvGeometry.padding_dominates`, e.g. a dilation far beyond
    the input), the operator computes only the taps that reach the input
    (:mod:`linop.backends.reaching_taps`, :attr:`backend` ``"reach"``) in memory bounded by the
    input and output sizes, whatever ``method`` says.
    ``A.H`` is the :class:`ConvTranspose` that maps back to exactly ``input_shape``.
    The keywords are resolved once into ``record`` (a
    :class:`~linop.geometry.ConvRecord`) and the numerics planned once into a
    :class:`~linop.backends.ConvolutionPlan`; the adjoint, the transposed convolution, the
    exact twin (:meth:`symbolic`), the PyTorch layer (:meth:`to_torch`) and the blocks of a
    Dask array are all made from them.
    Float32 kernels give float32 operators, complex kernels complex ones, integer
    kernels float64.

    Raises
    ------
    ValueError, TypeError
        For every invalid parameter, naming it and what is allowed.

    Examples
    --------
    >>> A = linop.Convolution([0.5, 1, 0.5], input_shape=(7,), stride=2)
    >>> A.apply(np.array([1, 0, -2, 3, 1, 2, -1.0]))
    array([-0.5,  2.5,  2. ])
    >>> A.H.apply([1.0, 2.0, 3.0]).shape
    (7,)
    >>> rng = np.random.default_rng(0)
    >>> layer = linop.Convolution(
    ...     rng.standard_normal((3, 3, 4, 8)), (16, 16, 4), stride=2, padding="same", boundary="reflect"
    ... )
    >>> layer.output_shape
    (8, 8, 8)
    """

    def __init__(
        self,
        kernel: object,
        input_shape: int | Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: PaddingSpec = "valid",
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        boundary: str = "constant",
        flip: bool = False,
        method: str = "auto",
    ):
        kernel = as_finite_array(kernel, "kernel")
        record = ConvRecord.resolve(
            kernel.shape,
            input_shape,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            boundary=boundary,
            flip=flip,
            method=method,
        )
        self._set_up(kernel, record)

    @classmethod
    def from_record(cls, kernel: object, record: ConvRecord, plan: ConvolutionPlan | None = None) -> Convolution:
        """The convolution of a resolved parameter record: nothing is parsed again.

        Parameters
        ----------
        kernel : array_like
            The kernel, of shape ``record.kernel_shape`` (checked and copied unless it is
            already an immutable finite array).
        record : ConvRecord
            The resolved parameters (:meth:`linop.geometry.ConvRecord.resolve`).
        plan : ConvolutionPlan, optional
            The numerics, when they are already planned (a block of a chunked array
            runs its parent's plan); by default :func:`linop.backends.plan_convolution`.

        Returns
        -------
        Convolution
            The operator.

        Raises
        ------
        ValueError
            If ``kernel`` does not have the record's kernel shape.

        Examples
        --------
        >>> from linop.geometry import ConvRecord
        >>> record = ConvRecord.resolve((3,), (7,), stride=2)
        >>> linop.Convolution.from_record([0.5, 1, 0.5], record).apply(np.array([1, 0, -2, 3, 1, 2, -1.0]))
        array([-0.5,  2.5,  2. ])
        """
        if not isinstance(record, ConvRecord):
            raise TypeError(f"record must be a ConvRecord; got {type(record).__name__}")
        if not (isinstance(kernel, np.ndarray) and not kernel.flags.writeable and kernel.dtype.kind in "fc"):
            kernel = as_finite_array(kernel, "kernel")
        if kernel.shape != record.kernel_shape:
            raise ValueError(f"kernel must have the record's shape {record.kernel_shape}; got {kernel.shape}")
        self = cls.__new__(cls)
        self._set_up(kernel, record, plan)
        return self

    def _set_up(
        self,
        kernel: np.ndarray,
        record: ConvRecord,
        plan: ConvolutionPlan | None = None,
        weights: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """The one constructor body: the kernel (immutable), the record, the weights the kernels
        read and the plan, each made once."""
        g = record.geometry
        self.kernel = kernel
        self.record = record
        if weights is None:
            flipped = kernel[(slice(None, None, -1),) * g.ndim] if record.flip else kernel
            # the kernels work on the (k..., c_in/G, c_out) layout in every case; immutable so
            # that the backends may cache their transforms
            w = immutable(flipped.reshape(g.kernel_size + (g.in_per_group, g.out_channels)))
            weights = (w, immutable(w.conj()) if np.iscomplexobj(w) else w)
        self._weights, self._weights_conj = weights
        self._plan = plan if plan is not None else plan_convolution(g, kernel.dtype, record.method)
        ShapedOperator.__init__(self, g.input_shape, g.output_shape, kernel.dtype)

    @property
    def geometry(self) -> ConvGeometry:
        """The index arithmetic of this convolution (:class:`~linop.geometry.ConvGeometry`)."""
        return self.record.geometry

    @property
    def flip(self) -> bool:
        """Whether the kernel is reversed along every spatial axis (the mathematical convolution)."""
        return self.record.flip

    @property
    def method(self) -> str:
        """The ``method`` keyword as given (:attr:`backend` is what it resolved to)."""
        return self.record.method

    @property
    def plan(self) -> ConvolutionPlan:
        """How this convolution runs (:class:`~linop.backends.ConvolutionPlan`), planned once."""
        return self._plan

    @property
    def backend(self) -> str:
        """The numeric method that runs this operator (``method="auto"`` resolved by the cost
        model; ``"reach"`` when the padding dominates)."""
        return self._plan.method

    # -- numerics -----------------------------------------------------------------------
    _numeric_hooks = ShapedOperator._numeric_hooks + ("_with_channel_axis", "_without_channel_axis", "geometry")

    def _with_channel_axis(self, a: np.ndarray) -> np.ndarray:
        return a if self.geometry.channels else a[..., None]

    def _without_channel_axis(self, a: np.ndarray) -> np.ndarray:
        return a if self.geometry.channels else a[..., 0]

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self._without_channel_axis(self._plan.forward(self._with_channel_axis(x), self._weights))

    def _backward(self, y: np.ndarray) -> np.ndarray:
        return self._without_channel_axis(self._plan.adjoint(self._with_channel_axis(y), self._weights_conj))

    def _adjoint(self) -> ConvTranspose:
        return ConvTranspose._of(self)

    def block_structure(self) -> Stencil | None:
        """Blocks of a chunked array: a :class:`~linop.operators.blocking.Stencil` whose block
        operators run this convolution's kernel and plan (``None`` for a subclass that
        replaces the numerics)."""
        if not numerics_inherited(self, Convolution):
            return None
        g = self.geometry
        blocks = ConvolutionBlocks(self.kernel, self.record, self._plan, (self._weights, self._weights_conj))
        return Stencil(g.axes, g.boundary, blocks, int(g.channels))

    # -- other views of the same record ---------------------------------------------------
    @classmethod
    def from_torch(cls, layer: object, input_size: int | Sequence[int], *, ignore_bias: bool = False) -> Convolution:
        """The convolution of a ``torch.nn.Conv1d/2d/3d`` on inputs of spatial size ``input_size`` (channels last).

        The layer's kernel and parameter record
        (:func:`linop.interop.torch_conversion.convolution_record`) make the operator.
        PyTorch is imported here only.
        """
        from ..interop.torch_conversion import convolution_record

        return cls.from_record(*convolution_record(layer, input_size, ignore_bias=ignore_bias))

    def to_torch(self):
        """The ``torch.nn.Conv1d/2d/3d`` (no bias, channels first) computing this convolution.

        Made from the kernel and the record (:func:`linop.interop.torch_conversion.convolution_layer`,
        which raises ``TorchCannotExpress`` naming what PyTorch lacks, e.g. the ``symmetric``
        boundary or asymmetric padding).
        """
        from ..interop.torch_conversion import convolution_layer

        return convolution_layer(self.kernel, self.record)

    def symbolic(self, symbols: bool = False):
        """This convolution in exact arithmetic: a :class:`linop.symbolic.Convolution`.

        ``symbols=False``: the kernel's values as exact rationals (a float is the dyadic
        rational it stores); ``symbols=True``: kernel symbols ``k_...`` of the same shape,
        real when this kernel is real. SymPy is imported here, not with :mod:`linop`.

        Raises
        ------
        linop.symbolic.SymbolicSizeError
            From the matrix and the proofs when the operator is above the symbolic size limit.
        """
        from ..symbolic.operators import Convolution as SymbolicConvolution

        return SymbolicConvolution.from_record(self.kernel, self.record, symbols=symbols)

    # -- explicit matrix ----------------------------------------------------------------
    def to_sparse(self) -> sp.csr_array:
        """The exact matrix in CSR form, built tap by tap from the index map (no loop over entries).

        Entry ``(row(j, o), col(fold(s j + d t - p), g(o) c_in/G + r)) += k[t, r, o]``;
        folded boundary entries that land on the same column are summed, and exact zeros
        are not stored.
        """
        g = self.geometry
        o = np.arange(g.out_channels)
        r = np.arange(g.in_per_group)
        in_channel = (o // g.out_per_group)[None, :] * g.in_per_group + r[:, None]  # (c, o)
        rows_all, cols_all, vals_all = [], [], []
        for tap in g.taps():
            flat = g.tap_input_indices(tap).reshape(-1)  # folded; -1 where the tap meets zero padding
            keep = flat >= 0
            pix_in = flat[keep]
            pix_out = np.flatnonzero(keep)
            w = self._weights[tap]  # (c, o)
            rows = pix_out[:, None, None] * g.out_channels + o[None, None, :]
            cols = pix_in[:, None, None] * g.in_channels + in_channel[None, :, :]
            rows, cols = np.broadcast_arrays(rows, cols)
            rows_all.append(rows.ravel())
            cols_all.append(cols.ravel())
            vals_all.append(np.broadcast_to(w[None], rows.shape).ravel())
        coo = sp.coo_array(
            (np.concatenate(vals_all), (np.concatenate(rows_all), np.concatenate(cols_all))),
            shape=self.shape,
        )
        csr = coo.tocsr()
        csr.eliminate_zeros()  # zero kernel taps and boundary terms that cancel store nothing
        return csr

    def __repr__(self) -> str:
        g = self.geometry
        return (
            f"Convolution(kernel shape {self.kernel.shape}, input_shape={self.input_shape}, "
            f"output_shape={self.output_shape}, stride={g.stride}, padding={g.padding}, "
            f"dilation={g.dilation}, groups={g.groups}, boundary={g.boundary!r}, flip={self.flip}, "
            f"dtype={self.dtype})"
        )


@dataclass(frozen=True)
class ConvolutionBlocks:
    """The block operators of a :class:`Convolution` on a chunked array (a picklable factory).

    A block holds its own samples, its halo and the folded boundary; it is padded by the
    zeros of ``constant`` padding only. Its operator is made from the parent's record
    (:meth:`~linop.geometry.ConvRecord.block`), reads the parent's weights and runs the
    parent's plan (:meth:`~linop.backends.ConvolutionPlan.for_geometry`): no keyword is
    parsed, no kernel copied and no cost model run per block.

    Parameters
    ----------
    kernel : ndarray
        The kernel as the user gave it (immutable).
    record : ConvRecord
        The parent's parameter record (its channels: this factory's).
    plan : ConvolutionPlan
        The parent's plan.
    weights : (ndarray, ndarray)
        The weights the kernels read and their conjugate.
    """

    kernel: np.ndarray = field(repr=False)
    record: ConvRecord
    plan: ConvolutionPlan = field(repr=False)
    weights: tuple[np.ndarray, np.ndarray] = field(repr=False)

    def build(self, spatial: tuple[int, ...], zeros: tuple[tuple[int, int], ...]) -> Convolution:
        """The convolution of one block of ``spatial`` samples padded by ``zeros`` zeros."""
        record = self.record.block(spatial, zeros)
        op = Convolution.__new__(Convolution)
        op._set_up(self.kernel, record, self.plan.for_geometry(record.geometry), self.weights)
        return op

    def _part(
        self, out_lo: int, out_hi: int, in_lo: int = 0, in_hi: int | None = None, groups: int = 1
    ) -> ConvolutionBlocks:
        """The factory of a channel chunk: ``kernel[..., in_lo:in_hi, out_lo:out_hi]`` with ``groups`` groups."""
        index = (Ellipsis, slice(in_lo, in_hi), slice(out_lo, out_hi))
        kernel = immutable(self.kernel[index])
        weights, conj = (immutable(w[index]) for w in self.weights)
        g = self.record.geometry
        geometry = replace(g, in_channels=kernel.shape[-2] * groups, out_channels=kernel.shape[-1], groups=groups)
        return ConvolutionBlocks(kernel, replace(self.record, geometry=geometry), self.plan, (weights, conj))

    def forward_plan(self, chunks: Sequence[int]) -> ChannelPlan:
        """Channel chunks of the input: a dense convolution sums one partial convolution per
        input chunk (``kernel[..., c_lo:c_hi, :]``) into one output chunk; a grouped one runs
        each chunk of whole groups on its own (chunks are moved to group boundaries)."""
        g = self.record.geometry
        c_out = g.out_channels
        if g.groups == 1:
            bounds = block_bounds(chunks)
            links = tuple((i, 0, self._part(0, c_out, a, b)) for i, (a, b) in enumerate(_spans(bounds)))
            return ChannelPlan(tuple(chunks), (c_out,), links)
        per_in, per_out = g.in_per_group, g.out_per_group
        bounds = _aligned_bounds(block_bounds(chunks), per_in)
        grouped: list[tuple[int, int, ConvolutionBlocks]] = []
        out: list[int] = []
        for i, (a, b) in enumerate(_spans(bounds)):
            g0, g1 = a // per_in, b // per_in
            grouped.append((i, i, self._part(g0 * per_out, g1 * per_out, groups=g1 - g0)))
            out.append((g1 - g0) * per_out)
        return ChannelPlan(tuple(b - a for a, b in _spans(bounds)), tuple(out), tuple(grouped))

    def adjoint_plan(self, chunks: Sequence[int]) -> ChannelPlan:
        """Channel chunks of the output: a dense convolution adds every output chunk's
        adjoint (``kernel[..., :, o_lo:o_hi]``) into one input chunk; a grouped one maps each
        chunk of whole groups back to its groups' input channels."""
        g = self.record.geometry
        c_in = g.in_channels
        if g.groups == 1:
            bounds = block_bounds(chunks)
            links = tuple((d, 0, self._part(a, b)) for d, (a, b) in enumerate(_spans(bounds)))
            return ChannelPlan(tuple(chunks), (c_in,), links)
        per_in, per_out = g.in_per_group, g.out_per_group
        bounds = _aligned_bounds(block_bounds(chunks), per_out)
        grouped: list[tuple[int, int, ConvolutionBlocks]] = []
        out: list[int] = []
        for d, (a, b) in enumerate(_spans(bounds)):
            groups = (b - a) // per_out
            grouped.append((d, d, self._part(a, b, groups=groups)))
            out.append(groups * per_in)
        return ChannelPlan(tuple(b - a for a, b in _spans(bounds)), tuple(out), tuple(grouped))


def _spans(bounds: Sequence[int]) -> list[tuple[int, int]]:
    return list(zip(bounds, bounds[1:]))


def _aligned_bounds(bounds: Sequence[int], unit: int) -> tuple[int, ...]:
    """Chunk boundaries moved down to multiples of ``unit`` (whole groups of channels), duplicates dropped."""
    return tuple(sorted({(b // unit) * unit for b in bounds} | {bounds[-1]}))


# the numeric view of a record, for the layers above that must not import this module back
register_numeric_view(Convolution.from_record)


class ConvTranspose(AdjointOperator):
    """The transposed convolution: the operator that increases resolution.

    ``ConvTranspose(kernel, output_shape, **kw)`` is ``Convolution(kernel, output_shape, **kw).H``:
    it maps arrays of the convolution's output shape back to exactly ``output_shape``
    (no ``output_padding`` ambiguity). Use it as a decoder layer; its adjoint is the
    convolution again.

    Parameters
    ----------
    kernel : array_like
        As for :class:`Convolution` (``(k..., c_out_of_this_layer/groups, c_in_of_this_layer)``
        in the multi-channel case: the kernel of the convolution it transposes).
    output_shape : tuple of int
        Shape this operator produces (the input shape of the convolution).
    **keywords
        ``stride``, ``padding``, ``dilation``, ``groups``, ``boundary``, ``flip``, ``method``,
        as for :class:`Convolution`.

    Examples
    --------
    >>> T = linop.ConvTranspose([0.5, 1, 0.5], output_shape=(7,), stride=2)
    >>> T.input_shape, T.output_shape
    ((3,), (7,))
    >>> T.apply([1.0, 2.0, 3.0])
    array([0.5, 1. , 1.5, 2. , 2.5, 3. , 1.5])
    >>> np.allclose(T.to_dense(), linop.Convolution([0.5, 1, 0.5], (7,), stride=2).to_dense().T)
    True
    """

    def __init__(self, kernel: object, output_shape: int | Sequence[int], **keywords):
        super().__init__(Convolution(kernel, output_shape, **keywords))

    @classmethod
    def _of(cls, conv: Convolution) -> ConvTranspose:
        self = cls.__new__(cls)
        AdjointOperator.__init__(self, conv)
        return self

    @classmethod
    def from_torch(cls, layer: object, input_size: int | Sequence[int], *, ignore_bias: bool = False) -> ConvTranspose:
        """The transposed convolution of a ``torch.nn.ConvTranspose1d/2d/3d`` on inputs of spatial size ``input_size``.

        The kernel and record of the convolution the layer transposes
        (:func:`linop.interop.torch_conversion.conv_transpose_record`, ``output_padding``
        included) make the operator. The kernel is the conjugate of the layer's weight:
        PyTorch's layer is the transpose, not the adjoint, of the convolution with its weight.
        """
        from ..interop.torch_conversion import conv_transpose_record

        return cls._of(Convolution.from_record(*conv_transpose_record(layer, input_size, ignore_bias=ignore_bias)))

    def to_torch(self):
        """The ``torch.nn.ConvTranspose1d/2d/3d`` (no bias, channels first) with the ``output_padding``
        that makes the sizes meet.

        Made from the convolution's kernel and record
        (:func:`linop.interop.torch_conversion.conv_transpose_layer`); the layer's weight is
        the conjugate of this operator's kernel.
        """
        from ..interop.torch_conversion import conv_transpose_layer

        return conv_transpose_layer(self.kernel, self.record)

    @property
    def convolution(self) -> Convolution:
        """The convolution this operator is the adjoint of."""
        return self.op

    @property
    def kernel(self) -> np.ndarray:
        """The kernel of the convolution this operator transposes."""
        return self.op.kernel

    @property
    def record(self) -> ConvRecord:
        """The parameter record of the convolution this operator transposes."""
        return self.op.record

    @property
    def geometry(self) -> ConvGeometry:
        """The geometry of the convolution this operator transposes."""
        return self.op.geometry

    @property
    def backend(self) -> str:
        """The numeric backend of the convolution (and so of this adjoint)."""
        return self.op.backend

    def __repr__(self) -> str:
        return f"ConvTranspose({self.op!r}.H: {self.input_shape} -> {self.output_shape})"
