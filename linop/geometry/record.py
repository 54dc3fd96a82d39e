"""The parameter record of a convolution: its keywords resolved once, from which every view is made.

A convolution's keywords (kernel and input layout, stride, padding, dilation, groups,
boundary, flip, method) are parsed in one place, :meth:`ConvRecord.resolve`, into a
frozen, hashable, picklable :class:`ConvRecord`. The numeric :class:`linop.Convolution`,
its adjoint, :class:`linop.ConvTranspose`, :class:`linop.KernelConvolution`, the exact
twin of :mod:`linop.symbolic`, the PyTorch layer of :mod:`linop.interop` and the blocks of
a chunked array (:meth:`ConvRecord.block`) are all made from a record, never from the
keywords again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..arguments import as_shape, check_choice, check_flag
from .axis import AxisGeometry
from .convolution import ConvGeometry, PaddingSpec, conv_geometry

__all__ = ["METHODS", "ConvParameters", "ConvRecord", "register_numeric_view"]

#: Names accepted by the ``method`` keyword (:func:`linop.backends.plan_convolution`).
METHODS: tuple[str, ...] = ("auto", "gemm", "fft", "direct")

#: How a record becomes a numeric operator (:meth:`ConvRecord.numeric_operator`):
#: :mod:`linop.operators` registers ``Convolution.from_record`` when it is imported, which
#: ``import linop`` always does. The layers above the operators (the exact twin of
#: :mod:`linop.symbolic`) make the numeric view of a record through it, so that they never
#: import the operators back.
_numeric_view: list[Callable[[Any, ConvRecord], Any]] = []


def register_numeric_view(build: Callable[[Any, ConvRecord], Any]) -> None:
    """Register how a record becomes a numeric operator: ``build(kernel, record)``.

    :mod:`linop.operators` registers :meth:`linop.Convolution.from_record`; registering
    again replaces it.

    Parameters
    ----------
    build : callable
        ``build(kernel, record)`` returns the operator.

    Examples
    --------
    >>> from linop.geometry import ConvRecord
    >>> ConvRecord.resolve((3,), (7,), stride=2).numeric_operator([0.5, 1, 0.5]).output_shape
    (3,)
    """
    _numeric_view[:] = [build]


class ConvParameters:
    """Mixin: the resolved keywords of anything that holds a :class:`ConvGeometry` as ``geometry``.

    Shared by the numeric operators and the symbolic layer, so both report the parameters
    as the geometry resolved them (one ``(low, high)`` pair per axis for ``padding``, the
    numpy name for ``boundary``).

    Examples
    --------
    >>> A = linop.Convolution(np.ones((3, 3)), (8, 8), stride=2, padding="same", boundary="circular")
    >>> A.stride, A.padding, A.boundary
    ((2, 2), ((0, 1), (0, 1)), 'wrap')
    """

    if TYPE_CHECKING:
        # read-only: the operators derive it from their record (a property), the record
        # holds it as a frozen field; declared only for type checkers, so that the
        # dataclass below does not take a class attribute for its field's default

        @property
        def geometry(self) -> ConvGeometry: ...

    @property
    def stride(self) -> tuple[int, ...]:
        return self.geometry.stride

    @property
    def dilation(self) -> tuple[int, ...]:
        return self.geometry.dilation

    @property
    def padding(self) -> tuple[tuple[int, int], ...]:
        return self.geometry.padding

    @property
    def groups(self) -> int:
        return self.geometry.groups

    @property
    def boundary(self) -> str:
        return self.geometry.boundary


@dataclasses.dataclass(frozen=True)
class ConvRecord(ConvParameters):
    """One convolution's parameters, resolved: its geometry, whether the kernel is flipped, the method asked for.

    Parameters
    ----------
    geometry : ConvGeometry
        Sizes, channels, groups, padding and boundary (:mod:`linop.geometry`).
    flip : bool, default False
        Whether the kernel is reversed along every spatial axis (the mathematical
        convolution) instead of used as given (cross-correlation).
    method : str, default "auto"
        The ``method`` keyword (``METHODS``); the backends resolve it into a plan.

    Examples
    --------
    >>> from linop.geometry import ConvRecord
    >>> record = ConvRecord.resolve((3,), (7,), stride=2)
    >>> record.output_shape, record.padding, record.flip
    ((3,), ((0, 0),), False)
    >>> A = linop.Convolution([0.5, 1, 0.5], (7,), stride=2)
    >>> A.record == record
    True
    """

    geometry: ConvGeometry
    flip: bool = False
    method: str = "auto"

    @classmethod
    def resolve(
        cls,
        kernel_shape: int | Sequence[int],
        input_shape: int | Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        padding: PaddingSpec = "valid",
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        boundary: str = "constant",
        flip: bool = False,
        method: str = "auto",
        kernel_name: str = "kernel",
        input_name: str = "input_shape",
    ) -> ConvRecord:
        """Check every keyword of a convolution once and resolve it.

        Layouts (channels last): a single-channel kernel ``(k_1..k_d)`` with an input
        ``(n_1..n_d)``, or a multi-channel kernel ``(k_1..k_d, c_in/groups, c_out)`` with an
        input ``(n_1..n_d, c_in)`` (:func:`~linop.geometry.conv_geometry`).

        Parameters
        ----------
        kernel_shape, input_shape : int or sequence of int
            The kernel's and the input's shapes.
        stride, padding, dilation, groups, boundary, flip, method
            The keywords of :class:`linop.Convolution`.
        kernel_name : str, default "kernel"
            How error messages call the kernel (``"kernel_shape"`` for a kernel operator).
        input_name : str, default "input_shape"
            How error messages call the input (``"x"``: a kernel operator's image).

        Returns
        -------
        ConvRecord
            The resolved record.

        Raises
        ------
        ValueError, TypeError
            For every invalid keyword, naming it and what is allowed.

        Examples
        --------
        >>> from linop.geometry import ConvRecord
        >>> ConvRecord.resolve((3, 3, 4, 8), (16, 16, 4), stride=2, padding="same").output_shape
        (8, 8, 8)
        """
        kshape = as_shape(kernel_shape, f"{kernel_name}.shape" if kernel_name == "kernel" else kernel_name)
        ishape = as_shape(input_shape, input_name)
        flip = check_flag(flip, "flip")
        method = check_choice(method, METHODS, "method")
        geometry = conv_geometry(
            kshape,
            ishape,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            boundary=boundary,
            kernel_name=kernel_name,
            input_name=input_name,
        )
        return cls(geometry, flip, method)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of the arrays the convolution maps from."""
        return self.geometry.input_shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of the arrays the convolution maps to."""
        return self.geometry.output_shape

    @property
    def kernel_shape(self) -> tuple[int, ...]:
        """Shape of the kernel: ``(k_1..k_d, c_in/groups, c_out)``, or ``(k_1..k_d)``."""
        return self.geometry.kernel_shape

    def keywords(self) -> dict[str, object]:
        """The keyword block, resolved, as :class:`linop.Convolution` takes it.

        Returns
        -------
        dict
            ``stride``, ``padding`` (one ``(low, high)`` pair per axis), ``dilation``,
            ``groups``, ``boundary`` (the :func:`numpy.pad` name), ``flip``, ``method``.

        Examples
        --------
        >>> from linop.geometry import ConvRecord
        >>> ConvRecord.resolve((3,), (8,), padding="same", boundary="circular").keywords()["padding"]
        ((1, 1),)
        """
        return dict(
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            boundary=self.boundary,
            flip=self.flip,
            method=self.method,
        )

    def numeric_operator(self, kernel: Any) -> Any:
        """The numeric :class:`linop.Convolution` of this record with ``kernel``.

        Parameters
        ----------
        kernel : array_like
            The kernel, of shape :attr:`kernel_shape`.

        Returns
        -------
        linop.Convolution
            The operator (the view :func:`register_numeric_view` registered).

        Examples
        --------
        >>> from linop.geometry import ConvRecord
        >>> A = ConvRecord.resolve((3,), (7,), stride=2).numeric_operator([0.5, 1, 0.5])
        >>> A.apply(np.array([1, 0, -2, 3, 1, 2, -1.0]))
        array([-0.5,  2.5,  2. ])
        """
        if not _numeric_view:  # pragma: no cover - linop.operators is imported with linop
            raise RuntimeError("no numeric view is registered: import linop first")
        return _numeric_view[0](kernel, self)

    def block(
        self,
        spatial: Sequence[int],
        zeros: Sequence[tuple[int, int]],
        *,
        in_channels: int | None = None,
        out_channels: int | None = None,
        groups: int | None = None,
    ) -> ConvRecord:
        """The record of one block of a chunked array, derived without parsing anything again.

        The block holds ``spatial`` samples per axis (its own and its halo, the boundary
        mode already applied) and is padded by ``zeros`` zeros; the kernel taps, stride,
        dilation and flip stay. A block of channel chunks keeps ``in_channels``,
        ``out_channels`` and ``groups`` of its own.

        Parameters
        ----------
        spatial : sequence of int
            The block's length per spatial axis.
        zeros : sequence of (int, int)
            Zero samples before and after the block per axis.
        in_channels, out_channels, groups : int, optional
            The block's channels and groups (default: this record's).

        Returns
        -------
        ConvRecord
            The block's record (``constant`` boundary).

        Examples
        --------
        >>> from linop.geometry import ConvRecord
        >>> record = ConvRecord.resolve((3,), (100,), padding="same", boundary="reflect")
        >>> record.block((12,), ((0, 0),)).output_shape
        (10,)
        """
        g = self.geometry
        axes = tuple(
            AxisGeometry(int(n), a.k, a.stride, a.dilation, int(lo), int(hi))
            for n, a, (lo, hi) in zip(spatial, g.axes, zeros)
        )
        geometry = ConvGeometry(
            axes,
            g.in_channels if in_channels is None else in_channels,
            g.out_channels if out_channels is None else out_channels,
            g.groups if groups is None else groups,
            "constant",
            g.channels,
        )
        return dataclasses.replace(self, geometry=geometry)
