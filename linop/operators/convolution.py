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

computed as the transposed correlation on the padded grid followed by folding the pad
back (:func:`linop.operators.pad.fold_array`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .. import backends
from ..backends import reach
from ..backends.cache import immutable
from ..geometry import ConvGeometry, ConvParameters, PaddingSpec, check_flag
from .base import AdjointOperator, ShapedOperator, as_shape
from .pad import fold_array, pad_array

__all__ = ["ConvTranspose", "Convolution", "as_kernel", "conv_geometry"]


def as_kernel(kernel: object, name: str = "kernel") -> np.ndarray:
    """An immutable copy of ``kernel`` as a float or complex array, checked finite.

    Integer and boolean kernels become float64, float16 becomes float32; float32,
    float64 and complex kernels keep their dtype.
    """
    arr = np.asarray(kernel)
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


def _frozen(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``array`` whose values can never change (:func:`~linop.backends.cache.immutable`)."""
    return immutable(array)


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
) -> ConvGeometry:
    """The geometry of a convolution from the kernel's and the input's shapes.

    Layouts (channels last):

    * single channel: ``kernel (k_1..k_d)``, ``input (n_1..n_d)``;
    * multi channel: ``kernel (k_1..k_d, c_in/groups, c_out)``, ``input (n_1..n_d, c_in)``.
    """
    kshape, ishape = tuple(kernel_shape), tuple(input_shape)
    if isinstance(groups, (int, np.integer)) and not isinstance(groups, (bool, np.bool_)) and groups < 1:
        raise ValueError(f"groups must be >= 1; got {groups}")
    if len(kshape) == len(ishape):
        if groups != 1:
            raise ValueError(
                f"groups={groups!r} needs channels: a multi-channel {kernel_name} "
                f"(k_1..k_d, c_in/groups, c_out) and input (n_1..n_d, c_in)"
            )
        return ConvGeometry.build(
            ishape, kshape, stride=stride, padding=padding, dilation=dilation,
            boundary=boundary, channels=False,
        )
    if len(kshape) == len(ishape) + 1 and len(ishape) >= 2:
        spatial_k, c_per_group, c_out = kshape[:-2], kshape[-2], kshape[-1]
        spatial_n, c_in = ishape[:-1], ishape[-1]
        if isinstance(groups, (int, np.integer)) and not isinstance(groups, bool) and groups >= 1:
            if c_per_group * groups != c_in:
                raise ValueError(
                    f"channel mismatch: the input has c_in={c_in} channels, the {kernel_name} has "
                    f"c_in/groups={c_per_group} with groups={groups} (needs {kernel_name}.shape[-2] * groups == c_in)"
                )
        return ConvGeometry.build(
            spatial_n, spatial_k, stride=stride, padding=padding, dilation=dilation,
            in_channels=c_in, out_channels=c_out, groups=groups, boundary=boundary, channels=True,
        )
    raise ValueError(
        f"{kernel_name} of shape {kshape} does not fit input_shape {ishape}: use a single-channel "
        f"{kernel_name} (k_1..k_d) with input (n_1..n_d), or a multi-channel {kernel_name} "
        f"(k_1..k_d, c_in/groups, c_out) with input (n_1..n_d, c_in)"
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
        (:func:`linop.backends.choose_method`, the choice is :attr:`backend`). Every
        method gives the same result up to rounding, and the same NaN/inf pattern: a
        NaN or inf makes non-finite exactly the outputs the defining sum reaches with
        it (the FFT method computes non-finite input on the exact gemm path).

    Notes
    -----
    Output size per axis: ``floor((n + p_lo + p_hi - d*(k-1) - 1) / s) + 1``.
    When the padded signal would be far larger than the input and output
    (:attr:`~linop.geometry.ConvGeometry.padding_dominates`, e.g. a dilation far beyond
    the input), the operator computes only the taps that reach the input
    (:mod:`linop.backends.reach`, :attr:`backend` ``"reach"``) in memory bounded by the
    input and output sizes, whatever ``method`` says.
    ``A.H`` is the :class:`ConvTranspose` that maps back to exactly ``input_shape``.
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
    >>> layer = linop.Convolution(rng.standard_normal((3, 3, 4, 8)), (16, 16, 4), stride=2, padding="same", boundary="reflect")
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
        self.kernel = as_kernel(kernel)
        shape = as_shape(input_shape, "input_shape")
        self.flip = check_flag(flip, "flip")
        self.geometry = conv_geometry(
            self.kernel.shape, shape, stride=stride, padding=padding, dilation=dilation,
            groups=groups, boundary=boundary,
        )
        self.method = backends.check_method(method)
        g = self.geometry
        weights = self.kernel
        if self.flip:
            weights = weights[(slice(None, None, -1),) * g.ndim]
        # The backends work on the (k..., c_in/G, c_out) layout in every case; frozen
        # (read-only) so that the backends may cache their transforms.
        self._weights = _frozen(weights.reshape(g.kernel_size + (g.in_per_group, g.out_channels)))
        self._weights_conj = _frozen(self._weights.conj()) if np.iscomplexobj(self._weights) else self._weights
        self._core = g.unpadded()
        # the backend by name (a module cannot be pickled), looked up at every call
        self._backend_name = backends.resolve_backend(method, g, self.kernel.dtype)
        super().__init__(g.input_shape, g.output_shape, self.kernel.dtype)

    @property
    def backend(self) -> str:
        """The numeric backend that runs this operator (``method="auto"`` resolved by the cost model)."""
        return self._backend_name

    @property
    def _backend(self):
        return backends.backend_module(self._backend_name)

    # -- numerics -----------------------------------------------------------------------
    def _with_channel_axis(self, a: np.ndarray) -> np.ndarray:
        return a if self.geometry.channels else a[..., None]

    def _without_channel_axis(self, a: np.ndarray) -> np.ndarray:
        return a if self.geometry.channels else a[..., 0]

    def _forward(self, x: np.ndarray) -> np.ndarray:
        if self._backend_name == "reach":  # padding applied by index, never built
            return self._without_channel_axis(reach.correlate(self._with_channel_axis(x), self._weights, self.geometry))
        xp = pad_array(self._with_channel_axis(x), self.geometry.padding, self.geometry.boundary)
        y = self._backend.correlate(xp, self._weights, self._core)
        return self._without_channel_axis(y)

    def _backward(self, y: np.ndarray) -> np.ndarray:
        y = self._with_channel_axis(y)
        if self._backend_name == "reach":
            x = reach.correlate_adjoint(y, self._weights_conj, self.geometry)
        elif self.geometry.boundary == "constant":  # the adjoint of zero padding drops the border
            x = backends.correlate_adjoint_interior(self._backend, y, self._weights_conj, self._core, self.geometry.padding)
        else:
            xp = self._backend.correlate_adjoint(y, self._weights_conj, self._core)
            x = fold_array(xp, self.geometry.padding, self.geometry.boundary, overwrite=True)
        return self._without_channel_axis(x)

    def _adjoint(self) -> "ConvTranspose":
        return ConvTranspose._of(self)

    # -- PyTorch ------------------------------------------------------------------------
    @classmethod
    def from_torch(cls, layer: object, input_size: int | Sequence[int], *, ignore_bias: bool = False) -> "Convolution":
        """The convolution of a ``torch.nn.Conv1d/2d/3d`` on inputs of spatial size ``input_size`` (channels last).

        See :func:`linop.interop.torch_layers.conv_from_torch`; PyTorch is imported here only.
        """
        from ..interop.torch_layers import conv_from_torch

        return conv_from_torch(layer, input_size, ignore_bias=ignore_bias)

    def to_torch(self):
        """The ``torch.nn.Conv1d/2d/3d`` (no bias, channels first) computing this convolution.

        See :func:`linop.interop.torch_layers.conv_to_torch`, which raises ``TorchCannotExpress``
        naming what PyTorch lacks (e.g. the ``symmetric`` boundary or asymmetric padding).
        """
        from ..interop.torch_layers import conv_to_torch

        return conv_to_torch(self)

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
        from ..symbolic import Convolution as SymbolicConvolution

        return SymbolicConvolution.from_numeric(self, symbols=symbols)

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
    def _of(cls, conv: Convolution) -> "ConvTranspose":
        self = cls.__new__(cls)
        AdjointOperator.__init__(self, conv)
        return self

    @classmethod
    def from_torch(cls, layer: object, input_size: int | Sequence[int], *, ignore_bias: bool = False) -> "ConvTranspose":
        """The transposed convolution of a ``torch.nn.ConvTranspose1d/2d/3d`` on inputs of spatial size ``input_size``.

        See :func:`linop.interop.torch_layers.conv_transpose_from_torch` (``output_padding`` included).
        The kernel is the conjugate of the layer's weight: PyTorch's layer is the transpose,
        not the adjoint, of the convolution with its weight.
        """
        from ..interop.torch_layers import conv_transpose_from_torch

        return conv_transpose_from_torch(layer, input_size, ignore_bias=ignore_bias)

    def to_torch(self):
        """The ``torch.nn.ConvTranspose1d/2d/3d`` (no bias, channels first) with the ``output_padding`` that makes the sizes meet.

        See :func:`linop.interop.torch_layers.conv_transpose_to_torch`; the layer's weight is
        the conjugate of this operator's kernel.
        """
        from ..interop.torch_layers import conv_transpose_to_torch

        return conv_transpose_to_torch(self)

    @property
    def convolution(self) -> Convolution:
        """The convolution this operator is the adjoint of."""
        return self.op  # type: ignore[return-value]

    @property
    def kernel(self) -> np.ndarray:
        return self.op.kernel  # type: ignore[attr-defined]

    @property
    def geometry(self) -> ConvGeometry:
        return self.op.geometry  # type: ignore[attr-defined]

    @property
    def backend(self) -> str:
        """The numeric backend of the convolution (and so of this adjoint)."""
        return self.op.backend  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"ConvTranspose({self.op!r}.H: {self.input_shape} -> {self.output_shape})"
