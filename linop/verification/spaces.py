"""The spaces an operator maps between: their inner products (weights or a Gram operator), real or complex.

By default :func:`linop.verify` checks the adjoint for the Euclidean inner product
``<u, v> = sum_i u_i conj(v_i)``. Many operators are adjoint in *other* inner products:
a discretised ``L^2`` space weights each entry by its cell volume or quadrature weight,
a finite-element space by its mass matrix. A :class:`Space` describes one such space:

.. math::

    \\langle u, v\\rangle_W = \\sum_i u_i\\, \\overline{(W v)_i} = v^H W u,

with ``W`` a diagonal of positive weights ``w`` (``(W v)_i = w_i v_i``) or a Hermitian
positive-definite Gram operator ``G``. The adjoint of ``A`` from a domain weighted by
``W_dom`` to a range weighted by ``W_ran`` is the map ``A*`` with
``<A x, y>_{W_ran} = <x, A* y>_{W_dom}`` for all ``x``, ``y``:

.. math::

    A^* = W_{dom}^{-1} A^H W_{ran}
    \\quad\\Longleftrightarrow\\quad
    W_{dom} A^* = (W_{ran} A)^H .

The checks use the form on the right: they verify the pair ``(W_ran A, W_dom A*)`` with
the Euclidean checks, so no weight is ever inverted and every check (the dot test, the
explicit matrices, the probes, the tolerance) carries over.

A *real* space holds real vectors. A map with a real domain or range (``rfft``, the real
part, a complex-to-real pair) is only *real-linear*, ``A(a x) = a A x`` for real ``a``,
and its adjoint is defined by the real inner product

.. math::

    \\operatorname{Re}\\langle A x, y\\rangle_{W_{ran}} = \\langle x, A^* y\\rangle_{W_{dom}},

for which complex vectors count as pairs of real coordinates (real and imaginary part):
the checks then verify the real matrix of the map, with real and imaginary parts as
separate rows and columns. A map between complex spaces can be declared real-linear too
(``scalars="real"``: the complex conjugate, the real part kept as a complex array).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..arguments import check_flag
from ..immutable import immutable

__all__ = ["InnerProducts", "Space", "as_space", "inner_products"]

#: Largest dense Gram matrix whose positive definiteness is proved by a Cholesky factorisation.
CHOLESKY_MAX_SIZE = 2048


def _positive_weights(value: object) -> float | np.ndarray:
    """``value`` as a positive finite scalar (float) or an immutable float64 array of them."""
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"weights must be a positive number or an array of positive numbers; got {value!r}")
    if np.iscomplexobj(arr):
        raise TypeError(f"weights must be real and positive; got complex values of dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.size == 0:
        raise ValueError(f"weights must not be empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or not np.all(arr > 0):
        bad = arr[~(np.isfinite(arr) & (arr > 0))].ravel()[0]
        raise ValueError(f"weights must be finite and positive; got a weight of {bad!r}")
    if arr.ndim == 0:
        return float(arr)
    return immutable(arr.copy())


def _gram(value: object, real: bool) -> Any:
    """``value`` checked as a square matrix, sparse matrix or LinearOperator (a real one for a real space)."""
    gram: Any
    if isinstance(value, LinearOperator) or sp.issparse(value):
        gram = value
    else:
        arr = np.asarray(value)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"gram must be a matrix, a sparse matrix or a LinearOperator; got {type(value).__name__}")
        if arr.ndim != 2:
            raise ValueError(f"gram must be a square matrix; got an array of shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("gram must be finite; it contains NaN or inf")
        gram = immutable(arr.astype(np.result_type(arr.dtype, np.float64)))
    rows, cols = (int(s) for s in gram.shape)
    if rows != cols:
        raise ValueError(f"gram must be square; got shape {gram.shape}")
    if real and np.issubdtype(np.dtype(gram.dtype), np.complexfloating):
        raise ValueError(f"gram of a real space must be real; got dtype {gram.dtype}")
    return gram


@dataclass(frozen=True, eq=False)
class Space:
    """One space of an operator: its inner product and whether its vectors are real.

    Parameters
    ----------
    weights : float or array_like, optional
        Positive weights ``w`` of the inner product ``<u, v>_w = sum_i w_i u_i conj(v_i)``:
        one number (a constant cell volume) or an array of the space's shape (or of its
        flattened size): cell volumes, quadrature weights.
    gram : array_like, sparse matrix or LinearOperator, optional
        A Hermitian positive-definite Gram (mass) operator ``G``, ``n x n`` for a space of
        ``n`` entries: ``<u, v>_G = v^H G u``. Not together with ``weights``.
    real : bool, default False
        The space holds real vectors (the domain of ``rfft``, the range of the real part):
        the operator is then checked as a real-linear map, with the real inner product.
    name : str, optional
        Where the space comes from, for the report (``"ODL uniform_discr, cell volume 0.25"``).

    Raises
    ------
    TypeError
        ``weights`` or ``gram`` are not numbers or operators, ``real`` is not a bool,
        ``name`` is not a string.
    ValueError
        A weight that is not finite and positive, a non-square or complex (for a real
        space) ``gram``, or both ``weights`` and ``gram``.

    Notes
    -----
    With ``W`` the weights' diagonal or ``G``, the adjoint in these spaces is
    ``A* = W_dom^{-1} A^H W_ran``; a user's operator supplies ``A*`` as its ``rmatvec``.
    Whether ``G`` is Hermitian positive definite is checked when the space is bound to an
    operator (:func:`linop.verification.spaces.inner_products`): exactly for a dense matrix of at most 2048 rows,
    on random vectors otherwise.

    Examples
    --------
    >>> import numpy as np, linop
    >>> from linop.verification import Space
    >>> fine, coarse = Space(weights=0.25), Space(weights=1.0)  # cell volumes of a 4 x 4 and a 2 x 2 grid
    >>> def average(x):  # 2 x 2 block average
    ...     return x.reshape(2, 2, 2, 2).mean(axis=(1, 3)).ravel()
    >>> def copy_back(y):  # its adjoint in these inner products: the plain copy
    ...     return np.repeat(np.repeat(y.reshape(2, 2), 2, axis=0), 2, axis=1).ravel()
    >>> from scipy.sparse.linalg import LinearOperator
    >>> A = LinearOperator((4, 16), matvec=average, rmatvec=copy_back, dtype=np.float64)
    >>> linop.verify(A, domain=fine, range=coarse, seed=0).passed
    True
    >>> linop.verify(A, seed=0).passed  # in the Euclidean inner product, the copy is not the adjoint
    False
    """

    weights: Any = None
    gram: Any = None
    real: bool = False
    name: str | None = None

    def __post_init__(self) -> None:
        real = check_flag(self.real, "real")
        object.__setattr__(self, "real", real)
        if self.weights is not None and self.gram is not None:
            raise ValueError("a Space has weights or a gram operator, not both")
        if self.weights is not None:
            object.__setattr__(self, "weights", _positive_weights(self.weights))
        if self.gram is not None:
            object.__setattr__(self, "gram", _gram(self.gram, real))
        if self.name is not None and not isinstance(self.name, str):
            raise TypeError(f"name must be a string or None; got {self.name!r}")

    @property
    def euclidean(self) -> bool:
        """No weights and no Gram operator: ``<u, v> = sum_i u_i conj(v_i)``."""
        return self.gram is None and (self.weights is None or (np.ndim(self.weights) == 0 and self.weights == 1.0))

    def describe_inner_product(self) -> str:
        """The inner product in words: ``Euclidean``, ``weights w = 0.25``, ``weights w: array ...``, ``Gram ...``."""
        if self.gram is not None:
            kind = "matrix" if isinstance(self.gram, np.ndarray) else type(self.gram).__name__
            return f"Gram operator G ({self.gram.shape[0]} x {self.gram.shape[1]} {kind})"
        if self.weights is None or self.euclidean:
            return "Euclidean"
        if np.ndim(self.weights) == 0:
            return f"weights w = {self.weights:.6g}"
        w = self.weights
        return f"weights w: array of shape {w.shape} from {w.min():.6g} to {w.max():.6g}"

    def describe(self, real_values: bool | None = None) -> str:
        """``real``/``complex``, the inner product and where the space comes from."""
        real = self.real if real_values is None else real_values
        text = f"{'real' if real else 'complex'}, {self.describe_inner_product()}"
        return f"{text} ({self.name})" if self.name else text

    def to_dict(self) -> dict:
        """The space as JSON-ready data (the weights' range, not the weights)."""
        if self.gram is not None:
            kind = "gram"
        elif self.euclidean:
            kind = "euclidean"
        else:
            kind = "weights"
        data: dict[str, Any] = {"inner_product": kind, "real": self.real, "name": self.name}
        if kind == "weights":
            w = np.asarray(self.weights)
            data["weights"] = float(w) if w.ndim == 0 else {"shape": list(w.shape), "min": w.min(), "max": w.max()}
        if kind == "gram":
            data["gram_shape"] = [int(s) for s in self.gram.shape]
        return data


def as_space(value: object, name: str) -> Space | None:
    """``value`` as a :class:`Space`: a Space, a mapping of its fields, a positive number (its weight), or ``None``.

    Parameters
    ----------
    value : Space, mapping, positive number or None
        What was passed for a space.
    name : str
        The parameter's name (``"domain"``, ``"range"``), for the error message.

    Returns
    -------
    Space or None
        ``None`` for ``None``.

    Raises
    ------
    TypeError
        Anything else (the message names ``name``).

    Examples
    --------
    >>> from linop.verification.spaces import as_space
    >>> as_space(0.25, "domain").weights, as_space({"real": True}, "range").real
    (0.25, True)
    """
    if value is None or isinstance(value, Space):
        return value
    if isinstance(value, Mapping):
        unknown = set(value) - {"weights", "gram", "real", "name"}
        if unknown:
            raise TypeError(f"{name}: unknown Space fields {sorted(unknown)}; allowed: weights, gram, real, name")
        try:
            return Space(**value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{name}: {exc}") from None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        try:
            return Space(weights=value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{name}: {exc}") from None
    raise TypeError(
        f"{name} must be a linop.verification.Space, a mapping of its fields (weights, gram, real, name), "
        f"a positive weight or None; got {type(value).__name__}"
    )


class Weighting:
    """A space's weighting bound to an operator's side: ``apply(U) = W U`` for columns ``U`` of ``n`` entries."""

    def __init__(self, space: Space, shape: tuple[int, ...], side: str):
        self.space = space
        self.size = math.prod(shape)
        self.diagonal: np.ndarray | float | None = None
        self.gram: Any = None
        if space.gram is not None:
            if tuple(space.gram.shape) != (self.size, self.size):
                raise ValueError(
                    f"{side}: the gram operator has shape {tuple(space.gram.shape)}, but the {side} has "
                    f"{self.size} entries (shape {shape}); expected ({self.size}, {self.size})"
                )
            self.gram = space.gram
            _check_hermitian_positive(space.gram, side)
        elif space.weights is not None and not space.euclidean:
            w = space.weights
            if np.ndim(w) == 0:
                self.diagonal = float(w)
            elif tuple(w.shape) == tuple(shape) or tuple(w.shape) == (self.size,):
                self.diagonal = np.ravel(w)
            else:
                raise ValueError(
                    f"{side}: weights of shape {w.shape} do not fit the {side}'s shape {shape} "
                    f"(give one number, an array of shape {shape}, or one of {self.size} entries)"
                )

    @property
    def identity(self) -> bool:
        return self.gram is None and self.diagonal is None

    @property
    def precision(self) -> np.dtype:
        """The dtype a Gram operator computes in (float64 for weights, which are applied in double precision)."""
        if self.gram is not None and not isinstance(self.gram, np.ndarray) and not sp.issparse(self.gram):
            return np.dtype(self.gram.dtype)
        return np.dtype(np.float64)

    def apply(self, U: np.ndarray) -> np.ndarray:
        """``W U`` for ``U`` of shape ``(n, k)``, in double precision."""
        if self.identity:
            return U
        D = U.astype(np.complex128 if np.iscomplexobj(U) else np.float64, copy=False)
        if self.diagonal is not None:
            w = self.diagonal
            return D * (w if np.ndim(w) == 0 else np.asarray(w)[:, None])
        if isinstance(self.gram, LinearOperator):
            out = np.asarray(self.gram.matmat(D))
        else:
            out = np.asarray(self.gram @ D)
        if out.shape != D.shape:
            raise ValueError(f"the gram operator returned shape {out.shape} for columns of shape {D.shape}")
        return out


def _check_hermitian_positive(gram: Any, side: str) -> None:
    """Refuse a Gram operator that is not Hermitian positive definite (exactly for small dense ones)."""
    n = int(gram.shape[0])
    if isinstance(gram, np.ndarray) and n <= CHOLESKY_MAX_SIZE:
        G = gram
        scale = float(np.abs(G).max())
        if float(np.abs(G - G.conj().T).max()) > 1e-12 * scale:
            raise ValueError(f"{side}: the gram matrix is not Hermitian (G != G^H)")
        try:
            np.linalg.cholesky(G)
        except np.linalg.LinAlgError:
            raise ValueError(
                f"{side}: the gram matrix is not positive definite (its Cholesky factorisation fails)"
            ) from None
        return
    rng = np.random.default_rng(0)
    U = rng.standard_normal((n, 2))
    GU = np.asarray(gram @ U) if not isinstance(gram, LinearOperator) else np.asarray(gram.matmat(U))
    u, v = U[:, 0], U[:, 1]
    gu, gv = GU[:, 0], GU[:, 1]
    asym = abs(np.vdot(v, gu) - np.vdot(gv, u))
    if asym > 1e-6 * (np.linalg.norm(gu) * np.linalg.norm(v) + np.linalg.norm(gv) * np.linalg.norm(u)):
        raise ValueError(f"{side}: the gram operator is not Hermitian (<G u, v> != <u, G v> for random u, v)")
    if not (np.vdot(u, gu).real > 0 and np.vdot(v, gv).real > 0):
        raise ValueError(f"{side}: the gram operator is not positive definite (<G u, u> <= 0 for a random u)")


@dataclass(frozen=True)
class InnerProducts:
    """The inner products a verification uses: the domain's, the range's, and the field of scalars.

    Parameters
    ----------
    domain, range : Space
        The spaces (Euclidean ones by default).
    real_linear : bool
        The map is checked as real-linear (real scalars, the real inner product).
    domain_real, range_real : bool
        Whether the vectors of each space are real (a real operator's always are).
    complex_operator : bool
        Whether the operator's dtype is complex.
    source : str
        ``"default"``, ``"declared"`` (keywords of :func:`linop.verify`), ``"detected"``
        (from the object: ODL's spaces, PyLops' real FFTs) or ``"declared and detected"``.

    Examples
    --------
    >>> from linop.verification.spaces import Space, inner_products
    >>> spaces = inner_products(None, True, domain=Space(real=True))
    >>> spaces.real_linear, spaces.adjoint_name, spaces.describe()
    (True, 'A*', 'domain real, Euclidean; range complex, Euclidean; real-linear, Re<u, v> (declared)')
    """

    domain: Space
    range: Space
    real_linear: bool
    domain_real: bool
    range_real: bool
    complex_operator: bool
    source: str = "default"

    @property
    def euclidean(self) -> bool:
        """Euclidean on both sides and, for complex operators, complex-linear: nothing to transform."""
        return self.domain.euclidean and self.range.euclidean and not (self.complex_operator and self.real_linear)

    @property
    def adjoint_name(self) -> str:
        """``A^H`` for the Euclidean adjoint, ``A*`` for the adjoint in other inner products."""
        return "A^H" if self.euclidean else "A*"

    def inner_name(self, left: str, right: str) -> str:
        """How the report writes an inner product: ``<Ax, y>``, ``<Ax, y>_W``, ``Re<Ax, y>``."""
        weighted = "" if self.domain.euclidean and self.range.euclidean else "_W"
        real = "Re" if self.real_linear and self.complex_operator else ""
        return f"{real}<{left}, {right}>{weighted}"

    def linearity_text(self) -> str:
        weighted = "" if self.domain.euclidean and self.range.euclidean else "_W"
        if not self.complex_operator:
            return f"real operator, <u, v>{weighted}"
        if self.real_linear:
            return f"real-linear, Re<u, v>{weighted}"
        return f"complex-linear, <u, v>{weighted}"

    def describe(self) -> str:
        """One line for the report: each space, then the linearity and the inner product's form."""
        text = (
            f"domain {self.domain.describe(self.domain_real)}; range {self.range.describe(self.range_real)}; "
            f"{self.linearity_text()}"
        )
        return text if self.source == "default" else f"{text} ({self.source})"

    def to_dict(self) -> dict:
        domain, range_ = self.domain.to_dict(), self.range.to_dict()
        domain["real"], range_["real"] = self.domain_real, self.range_real
        return {
            "domain": domain,
            "range": range_,
            "scalars": "real" if self.real_linear or not self.complex_operator else "complex",
            "adjoint": self.adjoint_name,
            "source": self.source,
            "text": self.describe(),
        }


def _detected(op: object) -> Mapping:
    """What the operator says about its spaces (``op.inner_product_spaces``: a mapping), or nothing."""
    told = getattr(op, "inner_product_spaces", None)
    if told is None:
        return {}
    if callable(told):
        told = told()
    if not isinstance(told, Mapping):
        raise TypeError(
            f"the operator's inner_product_spaces must be a mapping with keys domain, range, scalars; "
            f"got {type(told).__name__}"
        )
    return told


def inner_products(
    op: object,
    complex_operator: bool,
    domain: object = None,
    range: object = None,  # noqa: A002 - the mathematical name, as in verify()
    scalars: object = None,
) -> InnerProducts:
    """The inner products to verify ``op`` in: the declared ones, else those the operator tells, else Euclidean.

    Parameters
    ----------
    op : object
        The operator; an attribute ``inner_product_spaces`` (a mapping with optional keys
        ``domain``, ``range`` (each a :class:`Space` or a mapping of its fields) and
        ``scalars``) tells its spaces (linop's adapters of ODL and PyLops set it).
    complex_operator : bool
        Whether the operator's dtype is complex.
    domain, range : Space, mapping, positive number or None
        Declared spaces; they replace the detected ones.
    scalars : {"complex", "real"} or None
        ``"real"`` checks a map between complex spaces as real-linear. By default the map
        is real-linear when a space is real (or the operator says so), complex-linear otherwise.

    Returns
    -------
    InnerProducts

    Raises
    ------
    TypeError, ValueError
        A space or ``scalars`` that cannot be used (the message names which).

    Examples
    --------
    >>> from linop.verification.spaces import inner_products
    >>> class Told:  # an operator that tells its spaces, as linop's ODL adapter does
    ...     inner_product_spaces = {"domain": {"weights": 0.25}, "range": {"weights": 1.0}}
    >>> inner_products(Told(), False).describe()
    'domain real, weights w = 0.25; range real, Euclidean; real operator, <u, v>_W (detected)'
    >>> inner_products(Told(), False, domain=0.5).domain.weights  # a declared space replaces a detected one
    0.5
    """
    told = _detected(op)
    declared_domain, declared_range = as_space(domain, "domain"), as_space(range, "range")
    sources = set()
    dom = declared_domain
    if dom is None and told.get("domain") is not None:
        dom = as_space(told["domain"], "the operator's domain space")
        sources.add("detected")
    elif dom is not None:
        sources.add("declared")
    ran = declared_range
    if ran is None and told.get("range") is not None:
        ran = as_space(told["range"], "the operator's range space")
        sources.add("detected")
    elif ran is not None:
        sources.add("declared")
    if scalars is not None:
        if scalars not in ("real", "complex"):
            raise ValueError(f"scalars must be 'real', 'complex' or None; got {scalars!r}")
        sources.add("declared")
    elif told.get("scalars") is not None:
        scalars = told["scalars"]
        if scalars not in ("real", "complex"):
            raise ValueError(
                f"the operator's inner_product_spaces has scalars={scalars!r}; expected 'real' or 'complex'"
            )
        sources.add("detected")
    dom = dom if dom is not None else Space()
    ran = ran if ran is not None else Space()
    domain_real = dom.real or not complex_operator
    range_real = ran.real or not complex_operator
    if scalars == "complex" and complex_operator and (dom.real or ran.real):
        side = "domain" if dom.real else "range"
        raise ValueError(
            f"scalars='complex' but the {side} is a real space: a map from or to a real space can only be real-linear"
        )
    real_linear = (not complex_operator) or dom.real or ran.real or scalars == "real"
    source = " and ".join(sorted(sources)) if sources else "default"
    return InnerProducts(dom, ran, bool(real_linear), domain_real, range_real, complex_operator, source)
