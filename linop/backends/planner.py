r"""The planner: the one place that decides how a convolution runs.

:func:`plan_convolution` takes a convolution's geometry (padding and boundary included),
the dtype of its data and the ``method`` keyword, and returns a
:class:`ConvolutionPlan`. Every choice is made here, once:

* **the method**: ``"gemm"``, ``"fft"`` or ``"direct"`` as asked, or for
  ``method="auto"`` the one the cost model (:mod:`linop.backends.cost`) estimates
  fastest; ``"reach"`` (:mod:`linop.backends.reaching_taps`) whatever was asked when the padding
  dominates the geometry (a dilation or padding far beyond the input, whose padded
  signal could not even be allocated);
* **the window ordering** of the gemm method (:mod:`linop.backends.gemm`), per
  direction: the compiled ``"implicit"`` kernel where it can run the dtype, else the
  cheapest NumPy ordering;
* **the cropped adjoint**: with ``constant`` padding the adjoint drops the padded
  border; the gemm kernels never compute it, the others drop it afterwards;
* **the boundary**: the other modes pad the input before the forward kernel and fold
  the padded border back after the adjoint kernel;
* **the non-finite fallback**: the FFT spreads one NaN or inf over the whole output, so
  the FFT plan runs non-finite operands through the exact gemm plan (one ``sum`` pass
  tells them).

The kernels only execute what the plan says. A plan is frozen and pickles by value
(a Dask worker receives its parent's plan, never re-plans), and
:meth:`ConvolutionPlan.for_geometry` carries its choices over to the blocks of a chunked
array or to a batch of stacked kernels without running the cost model again.

The instruction set of the compiled kernels is the one thing not fixed in the plan:
:mod:`linop.backends.compiled` chooses it where the kernel runs, from the CPU there (a
plan may be made on one machine and run on another).

Shapes (batch first, channels last): ``x (B, n..., c_in)``, ``y (B, m..., c_out)``,
kernel ``w (k..., c_in/G, c_out)``. The forward is the cross-correlation

.. math::

    y[b, j, g o + q] = \sum_t \sum_{r < c_{in}/G} w[t, r, g o + q]\;
        \tilde x[b, s j + d t - p, g c + r]

(``x~`` is ``x`` extended by the boundary mode); the adjoint and the kernel adjoint are
its transposes in ``x`` and in ``w``. Callers conjugate the fixed operand for ``A^H``.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from ..arguments import check_choice
from ..geometry import ConvGeometry
from ..geometry.record import METHODS
from . import compiled, cost, direct, fft, gemm, padding, reaching_taps, workspace

__all__ = ["METHODS", "ConvolutionPlan", "cheapest_method", "plan_convolution"]

#: The numeric methods a plan can run, by name.
_KERNELS = {"gemm": gemm, "fft": fft, "direct": direct}


def cheapest_method(geometry: ConvGeometry, dtype: np.dtype | type = np.float64) -> str:
    """The method with the lowest estimated cost (:func:`linop.backends.method_costs`).

    Parameters
    ----------
    geometry : ConvGeometry
        The convolution's geometry without its padding (:meth:`linop.geometry.ConvGeometry.unpadded`).
    dtype : dtype, default float64
        The dtype of the data.

    Returns
    -------
    str
        ``"gemm"``, ``"fft"`` or ``"direct"``.

    Examples
    --------
    >>> from linop.backends.planner import cheapest_method
    >>> from linop.geometry import ConvGeometry
    >>> cheapest_method(ConvGeometry.build((64, 64), (3, 3), in_channels=32, out_channels=64), np.float32)
    'gemm'
    >>> cheapest_method(ConvGeometry.build((1024, 1024), (31, 31), channels=False))
    'fft'
    """
    costs = cost.method_costs(geometry, dtype)
    return min(costs, key=costs.__getitem__)


@functools.lru_cache(maxsize=1024)
def _cheapest_ordering(core: ConvGeometry, direction: str, dtype: np.dtype, with_implicit: bool) -> str:
    names = gemm.ORDERINGS if with_implicit else gemm.NUMPY_ORDERINGS
    costs = {name: cost.gemm_ordering_cost(core, name, direction, dtype.itemsize, dtype.kind == "c") for name in names}
    return min(costs, key=costs.__getitem__)


@dataclasses.dataclass(frozen=True)
class ConvolutionPlan:
    """How one convolution runs: the method, its window orderings, and the geometry it runs on.

    Made by :func:`plan_convolution`; frozen and picklable.

    Parameters
    ----------
    geometry : ConvGeometry
        The convolution's geometry, padding and boundary included.
    dtype : numpy.dtype
        The dtype of the data the plan was made for.
    method : str
        ``"gemm"``, ``"fft"``, ``"direct"`` or ``"reach"``.
    orderings : tuple of str, optional
        The gemm window orderings ``(forward, adjoint, kernel adjoint)``; ``None`` for the
        other methods.
    requested : str, default "auto"
        The ``method`` keyword this plan resolves.

    Examples
    --------
    >>> from linop.backends import plan_convolution
    >>> from linop.geometry import ConvGeometry
    >>> geom = ConvGeometry.build((7,), (3,), stride=2, channels=True)
    >>> plan = plan_convolution(geom, np.float64, "direct")
    >>> w = np.array([0.5, 1.0, 0.5]).reshape(3, 1, 1)
    >>> plan.forward(np.array([1, 0, -2, 3, 1, 2, -1.0]).reshape(1, 7, 1), w)[0, :, 0]
    array([-0.5,  2.5,  2. ])
    >>> plan.adjoint(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1), w)[0, :, 0]
    array([0.5, 1. , 1.5, 2. , 2.5, 3. , 1.5])
    """

    geometry: ConvGeometry
    dtype: np.dtype
    method: str
    orderings: tuple[str, str, str] | None = None
    requested: str = "auto"

    # -- the geometry the kernels see ----------------------------------------------------
    @functools.cached_property
    def core(self) -> ConvGeometry:
        """The geometry on the padded input (``padding="valid"``): what the kernels compute.
        The reach method works on the unpadded input and takes the whole geometry."""
        return self.geometry if self.method == "reach" else self.geometry.unpadded()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("core", None)  # a cached property, recomputed on the other side
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    # -- derived plans ---------------------------------------------------------------------
    def for_geometry(self, geometry: ConvGeometry) -> ConvolutionPlan:
        """The same choices on another geometry of the same kernel: a block of a chunked array,
        or a batch of kernels stacked along the output channels.

        The method and the window orderings carry over; the cost model does not run again
        (the orderings are chosen afresh only where the method changes to gemm, or where a
        compiled ordering cannot run the new geometry).
        ``"reach"`` stays only while the padding still dominates (a block padded by its
        neighbours' zeros is an ordinary convolution), and a compiled ordering the new
        geometry cannot run is replaced by the cheapest NumPy one.

        Parameters
        ----------
        geometry : ConvGeometry
            The new geometry (padding and boundary included).

        Returns
        -------
        ConvolutionPlan
            The plan on ``geometry``.
        """
        if geometry == self.geometry:
            return self
        method = self.method
        if method == "reach" and not geometry.padding_dominates:
            method = "gemm"
        elif method != "reach" and geometry.padding_dominates:
            method = "reach"
        if method != "gemm":
            return ConvolutionPlan(geometry, self.dtype, method, None, self.requested)
        if self.orderings is None or (
            "implicit" in self.orderings and not compiled.available(self.dtype, geometry.unpadded())
        ):
            return _plan_method(geometry, self.dtype, method, self.requested)
        return ConvolutionPlan(geometry, self.dtype, method, self.orderings, self.requested)

    def for_dtype(self, dtype: np.dtype | type) -> ConvolutionPlan:
        """The plan with this plan's method for data of ``dtype`` (float32 operators meet
        float64 or complex data): the window orderings are chosen for that dtype."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        return _plan_method(self.geometry, dtype, self.method, self.requested)

    def _runnable(self, dtype: np.dtype) -> ConvolutionPlan:
        """The plan that runs data of ``dtype`` now: the dtype's own orderings, and NumPy ones
        where the compiled kernel has been switched off since this plan was made."""
        plan = self.for_dtype(dtype)
        if plan.orderings is not None and "implicit" in plan.orderings and not compiled.available(dtype, plan.core):
            return _plan_method(plan.geometry, dtype, plan.method, plan.requested)
        return plan

    def _exact(self, dtype: np.dtype) -> ConvolutionPlan:
        """The plan for non-finite operands: the FFT's is the gemm method's (exact NaN/inf pattern)."""
        if self.method != "fft":
            return self
        return _plan_method(self.geometry, dtype, "gemm", self.requested)

    # -- execution -----------------------------------------------------------------------
    def _dtype(self, *arrays: np.ndarray) -> np.dtype:
        return np.result_type(*arrays)

    def forward(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """``y = A x``: the strided, dilated, grouped correlation of the unpadded batch ``x``.

        Parameters
        ----------
        x : ndarray
            ``(B, n..., c_in)``.
        w : ndarray
            ``(k..., c_in/G, c_out)``.

        Returns
        -------
        ndarray
            ``(B, m..., c_out)``.
        """
        dtype = self._dtype(x, w)
        if self.method == "reach":  # padding applied by index, never built
            return reaching_taps.correlate(x, w, self.geometry)
        plan = self._runnable(dtype)
        g = plan.geometry
        xp = padding.pad_array(x, g.padding, g.boundary)
        return plan._correlate(xp, w, dtype)

    def correlate(self, xp: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The forward kernel on an input that is already padded (``xp (B, P..., c_in)``;
        unpadded for ``"reach"``): what a kernel operator with a fixed padded image runs."""
        dtype = self._dtype(xp, w)
        if self.method == "reach":
            return reaching_taps.correlate(xp, w, self.geometry)
        return self._runnable(dtype)._correlate(xp, w, dtype)

    def _correlate(self, xp: np.ndarray, w: np.ndarray, dtype: np.dtype) -> np.ndarray:
        if self.method == "fft" and not fft.all_finite(xp, w):
            return self._exact(dtype)._correlate(xp, w, dtype)
        if self.method == "gemm":
            return gemm.correlate(xp, w, self.core, ordering=self._ordering(0))
        return _KERNELS[self.method].correlate(xp, w, self.core)

    def adjoint(self, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The transpose of :meth:`forward` in ``x`` (no conjugation: pass ``conj(w)`` for ``A^H``).

        With ``constant`` padding the padded border is dropped (the gemm kernels never
        compute it); the other boundary modes fold it back onto the samples it copied.

        Parameters
        ----------
        y : ndarray
            ``(B, m..., c_out)``.
        w : ndarray
            ``(k..., c_in/G, c_out)``.

        Returns
        -------
        ndarray
            ``(B, n..., c_in)``.
        """
        dtype = self._dtype(y, w)
        g = self.geometry
        if self.method == "reach":
            return reaching_taps.correlate_adjoint(y, w, g)
        plan = self._runnable(dtype)
        if plan.method == "fft" and not fft.all_finite(y, w):
            plan = plan._exact(dtype)
        core = plan.core
        if g.boundary == "constant":
            if plan.method == "gemm":
                return gemm.correlate_adjoint(y, w, core, ordering=plan._ordering(1), crop=g.padding)
            return workspace.interior(_KERNELS[plan.method].correlate_adjoint(y, w, core), core, g.padding)
        if plan.method == "gemm":
            xp = gemm.correlate_adjoint(y, w, core, ordering=plan._ordering(1))
        else:
            xp = _KERNELS[plan.method].correlate_adjoint(y, w, core)
        return padding.fold_array(xp, g.padding, g.boundary, overwrite=True)

    def kernel_adjoint(self, xp: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The transpose of :meth:`correlate` in the kernel, for a fixed padded input ``xp``
        (no conjugation: pass ``conj(xp)`` for the kernel gradient).

        Parameters
        ----------
        xp : ndarray
            ``(B, P..., c_in)`` (unpadded, ``(B, n..., c_in)``, for ``"reach"``).
        y : ndarray
            ``(B, m..., c_out)``.

        Returns
        -------
        ndarray
            ``(k..., c_in/G, c_out)``, summed over the batch.
        """
        dtype = self._dtype(xp, y)
        if self.method == "reach":
            return reaching_taps.correlate_kernel_adjoint(xp, y, self.geometry)
        plan = self._runnable(dtype)
        if plan.method == "fft" and not fft.all_finite(xp, y):
            plan = plan._exact(dtype)
        if plan.method == "gemm":
            return gemm.correlate_kernel_adjoint(xp, y, plan.core, ordering=plan._ordering(2))
        return _KERNELS[plan.method].correlate_kernel_adjoint(xp, y, plan.core)

    def _ordering(self, which: int) -> str:
        """Window ordering ``which`` (0: forward, 1: adjoint, 2: kernel adjoint) of a gemm plan."""
        assert self.orderings is not None, "a gemm plan has its window orderings"
        return self.orderings[which]

    def scratch_bytes(self, batch: int) -> int:
        """Scratch memory of one forward call on ``batch`` samples (before chunking)."""
        if self.method == "reach":
            return 0
        if self.method == "gemm":
            return gemm.scratch_bytes(self.core, batch, self.dtype, self._ordering(0))
        return _KERNELS[self.method].scratch_bytes(self.core, batch, self.dtype)

    @property
    def macs_per_sample(self) -> int:
        """Multiply-adds of one forward application on one sample."""
        return self.geometry.flops_per_sample

    def __repr__(self) -> str:
        ordering = f", orderings={self.orderings}" if self.orderings else ""
        samples = math.prod(self.geometry.input_size)
        return f"ConvolutionPlan(method={self.method!r}{ordering}, dtype={self.dtype}, {samples} samples)"


def plan_convolution(
    geometry: ConvGeometry, dtype: np.dtype | type = np.float64, method: str = "auto"
) -> ConvolutionPlan:
    """The plan of a convolution with ``geometry`` on data of ``dtype``.

    Parameters
    ----------
    geometry : ConvGeometry
        The convolution's geometry, padding and boundary included.
    dtype : dtype, default float64
        The dtype of the data (the kernel's, for an operator).
    method : {"auto", "gemm", "fft", "direct"}, default "auto"
        The ``method`` keyword of the operators.

    Returns
    -------
    ConvolutionPlan
        The plan (memoised: the same arguments give the same plan).

    Raises
    ------
    ValueError
        If ``method`` is not one of :data:`METHODS`.

    Examples
    --------
    >>> from linop.backends import plan_convolution
    >>> from linop.geometry import ConvGeometry
    >>> plan_convolution(ConvGeometry.build((1024, 1024), (31, 31), channels=False)).method
    'fft'
    >>> geom = ConvGeometry.build((8,), (3,), dilation=10**30, padding="same", channels=False)
    >>> plan_convolution(geom, np.float64, "gemm").method    # only the taps that reach the input
    'reach'
    """
    check_choice(method, METHODS, "method")
    dtype = np.dtype(dtype)
    if geometry.padding_dominates:
        return _plan_method(geometry, dtype, "reach", method)
    name = cheapest_method(geometry.unpadded(), dtype) if method == "auto" else method
    return _plan_method(geometry, dtype, name, method)


def _plan_method(geometry: ConvGeometry, dtype: np.dtype, method: str, requested: str) -> ConvolutionPlan:
    """The plan running ``method`` (already chosen), orderings chosen for ``dtype`` and for
    whether the compiled kernel can run now."""
    implicit = method == "gemm" and compiled.available(dtype, geometry.unpadded())
    return _memoised_plan(geometry, dtype, method, requested, implicit)


@functools.lru_cache(maxsize=1024)
def _memoised_plan(
    geometry: ConvGeometry, dtype: np.dtype, method: str, requested: str, implicit: bool
) -> ConvolutionPlan:
    if method == "gemm":
        core = geometry.unpadded()
        forward = _cheapest_ordering(core, "forward", dtype, implicit)
        adjoint = _cheapest_ordering(core, "adjoint", dtype, implicit)
        kernel = "row" if forward in ("full", "implicit") else forward
        return ConvolutionPlan(geometry, dtype, method, (forward, adjoint, kernel), requested)
    return ConvolutionPlan(geometry, dtype, method, None, requested)
