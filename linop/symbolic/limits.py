"""How large an operator linop.symbolic handles, and the error beyond that."""

from __future__ import annotations

from ..errors import LinopError

__all__ = ["MAX_SYMBOLIC_ENTRIES", "SymbolicSizeError", "check_size"]

#: Largest number of structural matrix entries (multiply-adds of one forward application)
#: of an operator whose matrix and proofs linop.symbolic builds. The benchmark's 2-D
#: convolution 16 x 16 x 4 -> 8 x 8 x 8 (3 x 3 kernel) has 18,432 and its full proof takes
#: about 4 s; the time grows linearly, so the limit keeps a full proof under about half a minute.
MAX_SYMBOLIC_ENTRIES = 100_000


class SymbolicSizeError(LinopError, ValueError):
    """The operator is too large for exact symbolic work; use the numeric checks.

    Examples
    --------
    >>> from linop import symbolic
    >>> try:
    ...     symbolic.Convolution(input_shape=(64, 64, 16), kernel_shape=(3, 3, 16, 16)).matrix
    ... except symbolic.SymbolicSizeError as error:
    ...     print(isinstance(error, ValueError), isinstance(error, linop.LinopError))
    ...
    True True
    """


def check_size(entries: int, what: str, limit: int | None = None) -> None:
    """Raise :class:`SymbolicSizeError` if ``entries`` exceeds the limit.

    The message names the limit and points to :mod:`linop.verify`, which checks adjoints
    numerically at any size.
    """
    limit = MAX_SYMBOLIC_ENTRIES if limit is None else limit
    if entries > limit:
        raise SymbolicSizeError(
            f"{what} has {entries:,} structural matrix entries, above the symbolic limit of "
            f"{limit:,} (linop.symbolic.MAX_SYMBOLIC_ENTRIES); exact proofs at this size would "
            f"take too long. Check it numerically with linop.verify (adjoint identity, linearity, "
            f"matrix transpose on random vectors), or prove a smaller instance of the same "
            f"configuration symbolically"
        )
