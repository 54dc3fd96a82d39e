"""A scipy LinearOperator whose every product runs as a Dask graph (to verify the blocked path).

``DaskBackedOperator(A, input_chunks, output_chunks)`` has ``A``'s shape and dtype; its
``matvec`` puts the vector into a Dask array with the given chunks, builds the graph of
``A.apply`` on it and computes it, and ``rmatvec`` does the same for ``A.H``. Handing it
to :func:`linop.verify` checks the distributed adjoint with the same checks as any other
operator: the dot test, the explicit matrices, the probes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dask.array as da
import numpy as np
from scipy.sparse.linalg import LinearOperator

from ..operators import ShapedOperator
from .dispatch import apply, apply_adjoint
from .validation import check_batch_chunks, check_chunks, check_operator, check_scheduler

__all__ = ["DaskBackedOperator"]

Chunks = int | str | Sequence[int | str | Sequence[int]] | Mapping[int, int | str | Sequence[int]]


class DaskBackedOperator(LinearOperator):
    """``A`` computed through Dask with fixed chunkings of its input and output arrays.

    Parameters
    ----------
    op : ShapedOperator
        The operator to run blocked.
    input_chunks, output_chunks : int, str, sequence or dict
        Chunks of ``A.input_shape`` and ``A.output_shape`` arrays, in these forms of
        :func:`dask.array.from_array`: one entry for every axis, a sequence of one entry
        per axis, or a dict ``{axis: entry}`` (axes not named: one chunk), where an entry
        is a positive chunk size, ``-1`` (the whole axis), ``"auto"`` or a sequence of
        positive chunk sizes that add up to the axis length. ``output_chunks`` defaults
        to the chunks the forward produces. Stored resolved, as one tuple of chunk sizes
        per axis.
    batch_chunks : int, default -1
        Chunk size along the batch axis of ``matmat`` / ``rmatmat`` products (a positive
        int, or -1: one chunk).
    scheduler : str, Client or None, default "sync"
        Passed to ``compute``: the name of a Dask scheduler (``"sync"``, ``"threads"``,
        ``"processes"``, ...), a ``distributed.Client``, or ``None`` for the current
        default (e.g. a running ``Client``).

    Raises
    ------
    TypeError, ValueError
        Before any computation, for an ``op`` that is not a :class:`~linop.ShapedOperator`
        or a chunks, ``batch_chunks`` or ``scheduler`` value outside the forms above,
        naming the parameter (and axis), the value received and what is allowed.

    Examples
    --------
    >>> import linop
    >>> from linop.dask import DaskBackedOperator
    >>> A = linop.Convolution([1.0, 2.0, 1.0], input_shape=(10,), padding="same", boundary="reflect")
    >>> linop.verify(DaskBackedOperator(A, input_chunks=(3,)), seed=0).passed
    True
    """

    def __init__(
        self,
        op: ShapedOperator,
        input_chunks: Chunks,
        output_chunks: Chunks | None = None,
        *,
        batch_chunks: int = -1,
        scheduler: str | None = "sync",
    ):
        self.op = check_operator(op)
        self.input_chunks = check_chunks(input_chunks, op.input_shape, "input_chunks", op.dtype)
        self.output_chunks = (
            None if output_chunks is None else check_chunks(output_chunks, op.output_shape, "output_chunks", op.dtype)
        )
        self.batch_chunks = check_batch_chunks(batch_chunks)
        self.scheduler = check_scheduler(scheduler)
        super().__init__(op.dtype, op.shape)

    def _compute(self, a: da.Array) -> np.ndarray:
        kw = {} if self.scheduler is None else {"scheduler": self.scheduler}
        return np.asarray(a.compute(**kw))

    def _forward(self, x: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
        chunks = (self.batch_chunks,) * len(batch) + self.input_chunks
        return self._compute(apply(self.op, da.from_array(x, chunks=chunks)))

    def _backward(self, y: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
        if self.output_chunks is None:  # the chunks the forward produces
            spatial = apply(self.op, da.zeros(self.op.input_shape, chunks=self.input_chunks)).chunks
        else:
            spatial = self.output_chunks
        chunks = (self.batch_chunks,) * len(batch) + tuple(spatial)
        return self._compute(apply_adjoint(self.op, da.from_array(y, chunks=chunks)))

    def _matvec(self, x):
        return self._forward(np.reshape(x, self.op.input_shape), ()).reshape(-1)

    def _rmatvec(self, y):
        return self._backward(np.reshape(y, self.op.output_shape), ()).reshape(-1)

    def _matmat(self, X):
        X = np.asarray(X)
        out = self._forward(X.T.reshape((X.shape[1],) + self.op.input_shape), (X.shape[1],))
        return out.reshape(X.shape[1], -1).T

    def _rmatmat(self, Y):
        Y = np.asarray(Y)
        out = self._backward(Y.T.reshape((Y.shape[1],) + self.op.output_shape), (Y.shape[1],))
        return out.reshape(Y.shape[1], -1).T

    def _adjoint(self):
        return _AdjointOf(self)

    def __repr__(self) -> str:
        return f"<DaskBackedOperator of {self.op!r}, input chunks {self.input_chunks}>"


class _AdjointOf(LinearOperator):
    def __init__(self, parent: DaskBackedOperator):
        self.parent = parent
        super().__init__(parent.dtype, (parent.shape[1], parent.shape[0]))

    def _matvec(self, y):
        return self.parent._rmatvec(y)

    def _rmatvec(self, x):
        return self.parent._matvec(x)

    def _matmat(self, Y):
        return self.parent._rmatmat(Y)

    def _rmatmat(self, X):
        return self.parent._matmat(X)

    def _adjoint(self):
        return self.parent
