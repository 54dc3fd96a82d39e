"""The convolution in exact arithmetic: its matrix with the kernel's symbols, its formulas, its proofs.

``Convolution(input_shape=7, kernel_shape=3, stride=2)`` is the lecture's example: a
3 x 7 matrix with rows ``(k_0, k_1, k_2, 0, 0, 0, 0)``, ``(0, 0, k_0, k_1, k_2, 0, 0)``,
``(0, 0, 0, 0, k_0, k_1, k_2)``, the forward formula

.. math::

    y[j] = \\sum_{m=0}^{2} k[m]\\, x[2 j + m]

and the adjoint derived from it (not typed in),

.. math::

    x[i] = \\sum_{j=\\max(0, \\lceil i/2 \\rceil - 1)}^{\\min(2, \\lfloor i/2 \\rfloor)}
        \\overline{k[i - 2j]}\\, y[j] .

The keywords are resolved by :meth:`linop.geometry.ConvRecord.resolve`, as for the numeric
:class:`linop.Convolution`, so keywords, layouts and error messages are the same; the
exact twin of a numeric operator is made from its record (:meth:`Convolution.from_record`),
and its numeric view from the same record.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from ..arguments import as_shape
from ..geometry import ConvGeometry, ConvParameters, ConvRecord, PaddingSpec
from .affine_sum import AffineSum
from .derive import derive_adjoint
from .evaluate import formula_entries, sparse_entries
from .exact_checks import (
    ProofReport,
    ProofResult,
    check_adjoint_formula,
    check_adjoint_identity,
    check_linearity,
    check_shape_reversal,
)
from .formulas import convolution_formula, kernel_operator_formula
from .kernels import exact_kernel, exact_number, kernel_symbols
from .limits import check_size
from .matrix import SparseEntries, conjugate_transpose, convolution_entries, matrix_entries, to_matrix

__all__ = ["Convolution"]


class Convolution(ConvParameters):
    """A convolution layer without bias in exact arithmetic.

    Parameters
    ----------
    kernel : array_like, optional
        Exact numbers, floats (taken as the exact rational they store), or any SymPy
        expressions, in the layout of :class:`linop.Convolution`: ``(k_1..k_d)`` for an input
        ``(n_1..n_d)``, ``(k_1..k_d, c_in/groups, c_out)`` for an input ``(n_1..n_d, c_in)``.
        Leave it out and give ``kernel_shape`` for a kernel of symbols.
    input_shape : int or tuple of int
        Shape of the images the layer maps.
    kernel_shape : int or tuple of int, optional
        Shape of a kernel of symbols ``k_0, k_1, ...`` (``k_0,1`` ... for several axes).
    stride, padding, dilation, groups, boundary, flip
        As for :class:`linop.Convolution`.
    real : bool, default False
        Declare the generated kernel symbols real (otherwise they are complex and the
        adjoint shows their conjugates).
    naming : {"subscript", "indexed"}
        Generated symbols as ``k_0`` or as ``k[0]`` (an ``IndexedBase``).
    symbol : str, default "k"
        Name of the kernel (its symbols and the ``k[...]`` of the formulas).
    max_entries : int, optional
        Override :data:`linop.symbolic.MAX_SYMBOLIC_ENTRIES`.

    Attributes
    ----------
    kernel : ndarray of SymPy expressions (read-only)
    geometry : ConvGeometry
    matrix, adjoint_matrix : sympy.ImmutableSparseMatrix
        The operator (C-order flattening) and its conjugate transpose.
    forward_formula, adjoint_formula : AffineSum
        The defining sum and the adjoint derived from it by :func:`derive_adjoint`.

    Raises
    ------
    TypeError, ValueError
        For invalid parameters (the messages of :class:`linop.Convolution`).
    SymbolicSizeError
        From the matrix and the checks when the operator has more structural entries
        than the limit (the formulas have no size limit).

    Examples
    --------
    >>> from linop import symbolic
    >>> A = symbolic.Convolution(input_shape=7, kernel_shape=3, stride=2)
    >>> A.matrix.shape
    (3, 7)
    >>> print(A.adjoint_formula)
    Eq(x[i], Sum(conjugate(k[i - 2*j])*y[j], (j, Max(0, ceiling(i/2) - 1), Min(2, floor(i/2)))))
    >>> A.prove().holds
    True
    """

    def __init__(
        self,
        kernel: object = None,
        input_shape: int | Sequence[int] | None = None,
        *,
        kernel_shape: int | Sequence[int] | None = None,
        stride: int | Sequence[int] = 1,
        padding: PaddingSpec = "valid",
        dilation: int | Sequence[int] = 1,
        groups: int = 1,
        boundary: str = "constant",
        flip: bool = False,
        real: bool = False,
        naming: str = "subscript",
        symbol: str = "k",
        max_entries: int | None = None,
    ):
        if input_shape is None:
            raise TypeError("input_shape is required (the shape of the images the layer maps)")
        if kernel is None:
            if kernel_shape is None:
                raise TypeError("give a kernel (numbers or SymPy expressions) or a kernel_shape for symbols")
            kernel_array = kernel_symbols(as_shape(kernel_shape, "kernel_shape"), symbol, real=real, naming=naming)
        else:
            if kernel_shape is not None:
                raise TypeError("give either a kernel or a kernel_shape, not both")
            if real:
                raise TypeError("real=True declares generated symbols real; declare your own symbols with real=True")
            kernel_array = exact_kernel(kernel)
        record = ConvRecord.resolve(
            kernel_array.shape,
            input_shape,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            boundary=boundary,
            flip=flip,
        )
        self._set_up(kernel_array, record, symbol, max_entries)

    def _set_up(self, kernel: np.ndarray, record: ConvRecord, symbol: str, max_entries: int | None) -> None:
        """The one constructor body: the exact kernel and the resolved record."""
        if not isinstance(symbol, str) or not symbol.isidentifier():
            raise ValueError(f"symbol must be an identifier; got {symbol!r}")
        self.kernel = kernel
        self.record = record
        self.symbol = symbol
        self.max_entries = max_entries
        g = record.geometry
        weights = kernel[(slice(None, None, -1),) * g.ndim] if record.flip else kernel
        self._weights = weights.reshape(g.kernel_size + (g.in_per_group, g.out_channels))
        self.kernel_is_real = all(e.is_real is True for e in kernel.flat)

    @classmethod
    def from_record(
        cls,
        kernel: object,
        record: ConvRecord,
        *,
        symbols: bool = False,
        symbol: str = "k",
        max_entries: int | None = None,
    ) -> Convolution:
        """The exact convolution of a resolved parameter record (the numeric operator's ``record``).

        Parameters
        ----------
        kernel : array_like
            The kernel (numbers, or SymPy expressions), of shape ``record.kernel_shape``.
        record : linop.geometry.ConvRecord
            The resolved parameters.
        symbols : bool, default False
            ``False``: ``kernel`` as exact numbers (a float is the dyadic rational it
            stores); ``True``: kernel symbols of the same shape instead, real when
            ``kernel`` is real.
        symbol : str, default "k"
            Name of the kernel.
        max_entries : int, optional
            Override :data:`linop.symbolic.MAX_SYMBOLIC_ENTRIES`.

        Returns
        -------
        Convolution
            The exact operator, with ``record``'s geometry and flip.

        Examples
        --------
        >>> from linop import symbolic
        >>> A = linop.Convolution([0.5, 1, 0.5], (7,), stride=2)
        >>> print(symbolic.Convolution.from_record(A.kernel, A.record).matrix.row(0))
        Matrix([[1/2, 1, 1/2, 0, 0, 0, 0]])
        """
        if not isinstance(record, ConvRecord):
            raise TypeError(f"record must be a ConvRecord; got {type(record).__name__}")
        array = np.asarray(kernel)
        if array.shape != record.kernel_shape:
            raise ValueError(f"kernel must have the record's shape {record.kernel_shape}; got {array.shape}")
        if symbols:
            real = not np.iscomplexobj(array)
            exact = kernel_symbols(record.kernel_shape, symbol, real=real, naming="subscript")
        else:
            exact = exact_kernel(array)
        self = cls.__new__(cls)
        self._set_up(exact, record, symbol, max_entries)
        return self

    @classmethod
    def from_numeric(cls, operator: Any, *, symbols: bool = False) -> Convolution:
        """The exact twin of a numeric :class:`linop.Convolution`: :meth:`from_record` of its kernel and record.

        ``symbols=False``: its kernel as exact rationals; ``symbols=True``: symbols of the
        same shape, real when the numeric kernel is real.
        """
        return cls.from_record(operator.kernel, operator.record, symbols=symbols)

    @property
    def geometry(self) -> ConvGeometry:
        """The index arithmetic (:class:`~linop.geometry.ConvGeometry`), the numeric operator's."""
        return self.record.geometry

    @property
    def flip(self) -> bool:
        """Whether the kernel is reversed along every spatial axis."""
        return self.record.flip

    # -- parameters ----------------------------------------------------------------------
    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.geometry.input_shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.geometry.output_shape

    @property
    def shape(self) -> tuple[int, int]:
        """``(prod(output_shape), prod(input_shape))``: the matrix's shape."""
        return math.prod(self.output_shape), math.prod(self.input_shape)

    @property
    def structural_entries(self) -> int:
        """Multiply-adds of one forward application: ``prod(m) * prod(k) * c_in/G * c_out``."""
        return self.geometry.flops_per_sample

    def _require_small(self, what: str) -> None:
        check_size(self.structural_entries, f"{what} of {self!r}", self.max_entries)

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The coefficient arrays of the formulas: ``{symbol: kernel}``."""
        return {self.symbol: self.kernel}

    # -- matrices ------------------------------------------------------------------------
    @cached_property
    def entries(self) -> SparseEntries:
        """Non-zero entries ``{(row, column): value}`` of the matrix, from the index map."""
        self._require_small("the matrix")
        return convolution_entries(self.geometry, self._weights)

    @cached_property
    def matrix(self) -> sympy.ImmutableSparseMatrix:
        """The operator as a SymPy matrix (C-order flattening of input and output)."""
        return to_matrix(self.entries, self.shape)

    @cached_property
    def adjoint_matrix(self) -> sympy.ImmutableSparseMatrix:
        """``matrix.H``: the conjugate transpose."""
        return to_matrix(conjugate_transpose(self.entries), self.shape[::-1])

    @property
    def transpose_matrix(self) -> sympy.ImmutableSparseMatrix:
        """``matrix.T`` (no conjugation): the transposed convolution of a real kernel."""
        return self.matrix.T

    # -- formulas ------------------------------------------------------------------------
    @cached_property
    def forward_formula(self) -> AffineSum:
        """``y[j] = sum_m k[m] x[s j + d m - p]`` in this operator's dimensions and channels."""
        return convolution_formula(self.geometry, flip=self.flip, kernel_real=self.kernel_is_real, kernel=self.symbol)

    @cached_property
    def adjoint_formula(self) -> AffineSum:
        """The adjoint, derived from :attr:`forward_formula` by :func:`derive_adjoint`."""
        return derive_adjoint(self.forward_formula)

    @cached_property
    def kernel_forward_formula(self) -> AffineSum:
        """The same sum as a linear map of the kernel (the image ``x`` as coefficient)."""
        return kernel_operator_formula(self.geometry, flip=self.flip, kernel=self.symbol)

    @cached_property
    def kernel_adjoint_formula(self) -> AffineSum:
        """The adjoint of the kernel map, derived: the kernel gradient of backpropagation."""
        return derive_adjoint(self.kernel_forward_formula)

    @cached_property
    def _forward_entries(self) -> SparseEntries:
        self._require_small("the forward formula's entries")
        return sparse_entries(self.forward_formula, self.arrays)

    @cached_property
    def _adjoint_entries(self) -> SparseEntries:
        self._require_small("the adjoint formula's entries")
        return sparse_entries(self.adjoint_formula, self.arrays)

    # -- exact application ---------------------------------------------------------------
    def _apply(
        self, entries: SparseEntries, values: object, shape_in: tuple, shape_out: tuple, name: str
    ) -> np.ndarray:
        arr = np.array(values, dtype=object)
        if arr.shape != shape_in:
            raise ValueError(f"{name} must have shape {shape_in}; got {arr.shape}")
        flat = [exact_number(v) for v in arr.reshape(-1)]
        rows: dict[int, list] = {}
        for (r, c), v in entries.items():
            rows.setdefault(r, []).append(v * flat[c])
        out = np.empty(math.prod(shape_out), dtype=object)
        for r in range(out.size):
            out[r] = sympy.Add(*rows.get(r, ()))
        return out.reshape(shape_out)

    def apply(self, x: object) -> np.ndarray:
        """``A x`` exactly, by the forward formula, for ``x`` of ``input_shape`` (numbers or expressions)."""
        return self._apply(self._forward_entries, x, self.input_shape, self.output_shape, "x")

    def apply_adjoint(self, y: object) -> np.ndarray:
        """``A^H y`` exactly, by the derived adjoint formula, for ``y`` of ``output_shape``."""
        return self._apply(self._adjoint_entries, y, self.output_shape, self.input_shape, "y")

    # -- numeric twin --------------------------------------------------------------------
    def numeric_kernel(self, values: Mapping[sympy.Basic, complex] | None = None, seed: int = 0) -> np.ndarray:
        """The kernel as a NumPy array: symbols replaced by ``values`` or by random numbers
        (real for real symbols, complex otherwise)."""
        rng = np.random.default_rng(seed)
        atoms: set[sympy.Basic] = set()
        for e in self.kernel.flat:
            labels = {b.label for b in e.atoms(sympy.IndexedBase)}
            atoms |= {a for a in e.atoms(sympy.Symbol, sympy.Indexed) if a not in labels}
        values = dict(values or {})
        for atom in sorted(atoms - set(values), key=sympy.default_sort_key):
            re = rng.standard_normal()
            values[atom] = re if atom.is_real else re + 1j * rng.standard_normal()
        out = np.array([complex(sympy.N(e.xreplace(values))) for e in self.kernel.flat]).reshape(self.kernel.shape)
        return out.real.copy() if not np.any(out.imag) else out

    def numeric(self, values: Mapping[sympy.Basic, complex] | None = None, seed: int = 0):
        """A numeric :class:`linop.Convolution` with this record and :meth:`numeric_kernel`
        (:meth:`linop.geometry.ConvRecord.numeric_operator`)."""
        return self.record.numeric_operator(self.numeric_kernel(values, seed))

    # -- proofs --------------------------------------------------------------------------
    def check_linearity(self) -> ProofResult:
        """``A(a x + b y) = a A x + b A y`` with symbolic ``a, b, x, y`` (the forward formula applied)."""
        return check_linearity(self._forward_entries, self.input_shape, self.output_shape)

    def check_adjoint_identity(self, adjoint: AffineSum | sympy.MatrixBase | Mapping | None = None) -> ProofResult:
        """``<A x, y> = <x, A^H y>`` as a polynomial identity in ``x``, ``conj(y)`` and the kernel.

        ``A`` is the forward formula (checked against :attr:`matrix`); ``A^H`` is
        :attr:`adjoint_formula` unless ``adjoint`` gives another candidate: a formula, a
        SymPy matrix or sparse entries ``{(row, column): value}``.
        """
        self._require_small("the adjoint identity")
        if adjoint is None:
            entries, source = self._adjoint_entries, "the derived adjoint formula"
        elif isinstance(adjoint, AffineSum):
            entries, source = sparse_entries(adjoint, self.arrays), "the given formula"
        elif isinstance(adjoint, sympy.MatrixBase):
            if adjoint.shape != self.shape[::-1]:
                raise ValueError(f"adjoint must be a {self.shape[1]} x {self.shape[0]} matrix; got {adjoint.shape}")
            entries, source = matrix_entries(adjoint), "the given matrix"
        elif isinstance(adjoint, Mapping):
            entries, source = dict(adjoint), "the given entries"
        else:
            raise TypeError(
                f"adjoint must be an AffineSum, a SymPy matrix or a dict of entries; got {type(adjoint).__name__}"
            )
        return check_adjoint_identity(
            self._forward_entries,
            entries,
            self.input_shape,
            self.output_shape,
            adjoint_source=source,
            reference=self.entries,
            reference_source="the matrix built from the index map",
        )

    def check_adjoint_formula(self, formula: AffineSum | None = None, *, seed: int = 0) -> ProofResult:
        """The adjoint formula (derived, or ``formula``) against :attr:`adjoint_matrix` entry by
        entry, and lambdified against the numeric ``linop.Convolution(...).H`` on random values."""
        self._require_small("the adjoint formula check")
        formula = self.adjoint_formula if formula is None else formula
        if not isinstance(formula, AffineSum):
            raise TypeError(f"formula must be an AffineSum; got {type(formula).__name__}")
        numeric = self.numeric(seed=seed)
        rng = np.random.default_rng(seed + 1)
        y = rng.standard_normal(self.output_shape)
        if np.iscomplexobj(numeric.kernel):
            y = y + 1j * rng.standard_normal(self.output_shape)
        return check_adjoint_formula(
            formula,
            conjugate_transpose(self.entries),
            self.arrays,
            numeric=(numeric.H.apply, {self.symbol: numeric.kernel}, y),
        )

    def check_shape_reversal(self) -> ProofResult:
        """``A: C^N -> C^M`` and ``A^H: C^M -> C^N`` with the shapes, from the matrices and the formula."""
        self._require_small("the shape check")
        entries = formula_entries(self.adjoint_formula, self.arrays)
        return check_shape_reversal(
            self.matrix.shape,
            self.adjoint_matrix.shape,
            self.adjoint_formula,
            self.input_shape,
            self.output_shape,
            entries,
            spatial_axes=self.geometry.ndim,
        )

    def check_backpropagation(self) -> ProofResult:
        """The gradients of ``<A X, G>`` (``sympy.diff``) are the adjoints: see
        ``linop.symbolic.layer_checks.check_backpropagation``."""
        from .layer_checks import check_backpropagation

        return check_backpropagation(self)

    def check_transposed_convolution(self) -> ProofResult:
        """``A^H`` is a convolution of the zero-inserted output with the reversed kernel: see
        ``linop.symbolic.layer_checks.check_transposed_convolution``."""
        from .layer_checks import check_transposed_convolution

        return check_transposed_convolution(self)

    def prove(self) -> ProofReport:
        """Linearity, shape reversal, the adjoint identity and the adjoint formula, all exact."""
        return ProofReport(
            f"Proofs for {self.describe()}",
            (
                self.check_linearity(),
                self.check_shape_reversal(),
                self.check_adjoint_identity(),
                self.check_adjoint_formula(),
            ),
        )

    # -- display -------------------------------------------------------------------------
    def describe(self) -> str:
        """One line: shapes and keywords."""
        g = self.geometry
        parts = [
            f"{'x'.join(map(str, self.input_shape))} -> {'x'.join(map(str, self.output_shape))}",
            f"kernel {'x'.join(map(str, self.kernel.shape))}",
        ]
        if any(s != 1 for s in g.stride):
            parts.append(f"stride {_axes(g.stride)}")
        if any(d != 1 for d in g.dilation):
            parts.append(f"dilation {_axes(g.dilation)}")
        if g.has_padding:
            parts.append(f"padding {_axes(g.padding)}, {g.boundary}")
        if g.groups != 1:
            parts.append(f"groups {g.groups}")
        if self.flip:
            parts.append("flipped")
        return "convolution " + ", ".join(parts)

    def __repr__(self) -> str:
        g = self.geometry
        return (
            f"symbolic.Convolution(kernel shape {self.kernel.shape}, input_shape={self.input_shape}, "
            f"output_shape={self.output_shape}, stride={g.stride}, padding={g.padding}, "
            f"dilation={g.dilation}, groups={g.groups}, boundary={g.boundary!r}, flip={self.flip})"
        )

    def pretty(self) -> str:
        """Matrix, transpose and both formulas, rendered with ``sympy.pretty``."""
        from .render import convolution_text

        return convolution_text(self)

    def latex(self) -> str:
        """Matrix, transpose and both formulas as LaTeX display math."""
        from .render import convolution_latex

        return convolution_latex(self)

    def markdown(self) -> str:
        """Matrix, transpose and both formulas as Markdown with LaTeX math."""
        from .render import convolution_markdown

        return convolution_markdown(self)


def _axes(values: tuple) -> str:
    return str(values[0]) if len(set(values)) == 1 else str(values)
