"""From the text of an index formula to an :class:`~linop.symbolic.AffineSum`, with located errors.

The syntax tree of :mod:`linop.formula.grammar` is expanded into terms

.. math::

    y[t(f)] \\mathrel{+}= \\sum_{s} [\\text{conditions}]\\; c(f, s)\\; x[a(f, s)]

one per product of the right-hand side that reads the input ``x`` (the one indexed
array that is neither the output nor a coefficient array). Every check that can fail
points at the part of the text it is about: an index that is not affine, a name that
is not defined, an array read or written outside its declared shape, a part of the
right-hand side that does not read ``x`` (the map would not be linear), a product of
two entries of ``x``.

Sizes are SymPy symbols (``integer=True`` and ``positive=True`` when their value is
positive) so that formulas can be shown and derived with them; the numbers are
substituted for the numeric operator and the exact proofs.

A range ``v = lo..hi`` is the integers ``v`` with ``lo <= v <= hi``: a bound that may not be
an integer (``n/2``) becomes ``ceiling(lo)`` and ``floor(hi)`` here, once, and every later
stage (the derivation, the compiler, the proofs) reads that one integer range.

The work is bounded before SymPy or NumPy does it (:mod:`linop.formula.limits`): a power
whose value would have more than ``MAX_POWER_BITS`` bits, a constant part that is not a
finite float64 number (``log(0)``, ``exp(1000)``), more than ``MAX_TERMS`` terms, more than
``MAX_VARIABLES`` index variables in one term, and arrays of more than ``MAX_ENTRIES``
entries are refused with the part of the text they come from.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy import Expr, IndexedBase, Symbol

from ..symbolic.affine_sum import AffineSum, SumTerm, is_affine
from .grammar import (
    KEYWORDS,
    Addition,
    Call,
    Condition,
    FormulaError,
    Index,
    Iverson,
    Name,
    Node,
    Number,
    Operation,
    RangeSpec,
    Statement,
    SumNode,
    check_confusable,
    parse,
    tokenize,
)
from .grammar import children as _children
from .limits import MAX_ENTRIES, MAX_POWER_BITS, MAX_TERMS, MAX_VARIABLES

__all__ = ["ParsedFormula", "build_formula"]

_FUNCTIONS = {
    "exp": sympy.exp,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "sqrt": sympy.sqrt,
    "log": sympy.log,
    "conj": sympy.conjugate,
    "conjugate": sympy.conjugate,
    "re": sympy.re,
    "im": sympy.im,
}
_CONSTANTS = {"pi": sympy.pi, "I": sympy.I, "E": sympy.E}
_RELATIONS = {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge}


@dataclass
class _Part:
    """One product of the right-hand side: sums, conditions, coefficient and (maybe) an entry of x."""

    coefficient: Expr
    sums: tuple = ()
    conditions: tuple = ()
    source: Index | None = None
    source_index: tuple = ()
    node: Node | None = None


@dataclass
class ParsedFormula:
    """A formula read from text: its symbolic and numeric affine sums and where each part came from.

    Attributes
    ----------
    text : str
    symbolic : AffineSum
        With the sizes as symbols (shapes symbolic where they follow from the ranges).
    numeric : AffineSum
        With the sizes' values.
    sizes : dict
        ``{Symbol: int}``.
    arrays : dict
        ``{name: ndarray}``: the coefficient arrays.
    source_nodes : list of Index
        Per term, the entry of ``x`` it reads (for errors).
    target_node : Index
    coefficient_nodes : dict
        ``{array name: first Index node that reads it}``.
    rhs_node : Node
        The right-hand side (where errors of the derived adjoint point).
    programs : list of TermProgram
        The compiled terms of ``numeric`` (compiled once, here).
    """

    text: str
    symbolic: AffineSum
    numeric: AffineSum
    sizes: dict
    arrays: dict
    source_nodes: list
    target_node: Index
    coefficient_nodes: dict = field(default_factory=dict)
    rhs_node: Node | None = None
    programs: list = field(default_factory=list)


class _Builder:
    def __init__(
        self,
        text: str,
        sizes: Mapping[str, int],
        arrays: Mapping[str, np.ndarray],
        input_shape: Sequence[int] | None,
        output_shape: Sequence[int] | None,
    ):
        self.text = text
        self.tree: Statement = parse(text)
        check_confusable(text, tokenize(text), [*sizes, *arrays, *_FUNCTIONS, *_CONSTANTS, *KEYWORDS])
        self.size_values = dict(sizes)
        self.sizes: dict[str, Symbol] = {}
        for name, value in sizes.items():
            if value > 0:
                self.sizes[name] = Symbol(name, integer=True, positive=True)
            elif value == 0:
                self.sizes[name] = Symbol(name, integer=True, nonnegative=True)
            else:
                self.sizes[name] = Symbol(name, integer=True)
        self.arrays = dict(arrays)
        self.bases = {
            name: IndexedBase(name, real=True if not np.iscomplexobj(a) else None) for name, a in self.arrays.items()
        }
        self.input_shape = input_shape
        self.output_shape = output_shape
        self.coefficient_nodes: dict[str, Index] = {}
        self.values = {self.sizes[k]: sympy.Integer(v) for k, v in self.size_values.items()}
        self.target_name = self.tree.target.name
        self.source_name = self._find_source()

    def error(self, reason: str, node: Node | None) -> FormulaError:
        if node is None:
            return FormulaError(reason, self.text)
        return FormulaError(reason, self.text, node.start, node.end)

    # -- names ---------------------------------------------------------------------------
    def _indexed_nodes(self, node: Node | None) -> list[Index]:
        if node is None:
            return []
        out = [node] if isinstance(node, Index) else []
        for child in _children(node):
            out += self._indexed_nodes(child)
        return out

    def _find_source(self) -> str:
        others = [n for n in self._indexed_nodes(self.tree.rhs) if n.name not in self.arrays]
        for n in others:
            if n.name == self.target_name:
                raise self.error(f"the output {n.name!r} cannot appear on the right-hand side", n)
        if not others:
            raise self.error(
                "the right-hand side reads no input array: name the input (x[...]) and pass coefficient arrays "
                "with arrays={...}",
                self.tree.rhs,
            )
        names = [n.name for n in others]
        source = "x" if "x" in names else names[0]
        for n in others:
            if n.name != source:
                raise self.error(
                    f"unknown array {n.name!r}: the input is {source!r}; pass coefficient arrays as "
                    f"arrays={{{n.name!r}: values}}",
                    _name_span(n),
                )
        return source

    def _check_new_name(self, name: str, node: Node, scope: Mapping[str, Symbol]) -> None:
        reserved = {self.target_name, self.source_name, *self.arrays, *_FUNCTIONS, *_CONSTANTS, "sum", "for", "and"}
        if name in reserved or name in self.sizes:
            raise self.error(
                f"{name!r} is already a size, array, function or constant; name the variable otherwise", node
            )
        if name in scope:
            raise self.error(f"the variable {name!r} is already in use", node)

    # -- scalar expressions (indices, bounds, conditions, coefficients) ------------------
    def value(self, node: Node, scope: Mapping[str, Symbol]) -> Expr:
        """A node that must be a plain scalar expression (no x, no sum, no bracket); it is refused
        where it is not a finite number (``log(0)``) or SymPy would raise."""
        try:
            expr = self._value(node, scope)
        except FormulaError:
            raise
        except (ArithmeticError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            raise self.error(f"cannot evaluate this part ({type(exc).__name__}: {exc})", node) from None
        if isinstance(expr, sympy.Basic) and expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
            raise self.error(f"{self.text[node.start : node.end]} is not a finite number", node)
        return expr

    def _numeric(self, expr: Expr) -> Expr | None:
        """``expr`` with the sizes' values when that is a number (no index variable), else ``None``."""
        expr = sympy.sympify(expr).xreplace(self.values)
        return expr if expr.is_number else None

    def _finite(self, expr: Expr, node: Node) -> None:
        """Refuse a constant part whose value is not a finite float64 number (before SymPy computes with it)."""
        number = self._numeric(expr)
        if number is None:
            return
        try:
            value = complex(number.evalf(20))
        except (ArithmeticError, TypeError, ValueError):
            value = complex(math.inf)
        if not cmath.isfinite(value):
            raise self.error(f"{self.text[node.start : node.end]} is not a finite float64 number", node)

    def _check_power(self, base: Expr, exponent: Expr, node: Operation) -> None:
        """Refuse a power whose exact value would be too large to compute (``9**9**9``) before SymPy tries."""
        e = self._numeric(exponent)
        if e is None:
            return
        b = self._numeric(base)
        try:
            size = abs(float(sympy.Abs(e).evalf(20)))
            if b is not None:
                magnitude = float(sympy.Abs(b).evalf(20))
                size *= abs(math.log2(magnitude)) if magnitude > 0 else 0.0
        except (ArithmeticError, TypeError, ValueError):
            size = math.inf
        if not size <= MAX_POWER_BITS:
            shown = self.text[node.start : node.end]
            if b is None:  # a variable to a huge power: its exact values would be as large
                reason = f"the power {shown} has an exponent above {MAX_POWER_BITS} (linop.formula.MAX_POWER_BITS)"
            else:
                reason = (
                    f"the power {shown} has a value of more than {MAX_POWER_BITS} bits; numbers in a formula are "
                    f"limited to {MAX_POWER_BITS}-bit powers"
                )
            raise self.error(reason, node)

    def _divisor(self, divisor: Expr, node: Node) -> None:
        number = self._numeric(divisor)
        if divisor == 0 or (number is not None and number == 0):
            shown = self.text[node.start : node.end]
            raise self.error("division by zero" + ("" if divisor == 0 else f": {shown} is 0 at the given sizes"), node)

    def _value(self, node: Node, scope: Mapping[str, Symbol]) -> Expr:
        if isinstance(node, Number):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, Name):
            if node.name in scope:
                return scope[node.name]
            if node.name in self.sizes:
                return self.sizes[node.name]
            if node.name in _CONSTANTS:
                return _CONSTANTS[node.name]
            if node.name in self.arrays:
                raise self.error(f"{node.name!r} is an array: index it, {node.name}[...]", node)
            if node.name in (self.source_name, self.target_name):
                raise self.error(f"{node.name!r} is an array: index it, {node.name}[...]", node)
            raise self.error(
                f"unknown name {node.name!r}: not an index variable, a size (sizes={{{node.name!r}: ...}}) or a "
                f"constant (pi, I, E)",
                node,
            )
        if isinstance(node, Index):
            if node.name in self.arrays:
                self.coefficient_nodes.setdefault(node.name, node)
                ndim = np.ndim(self.arrays[node.name])
                if len(node.indices) != ndim:
                    raise self.error(
                        f"{node.name!r} has {ndim} axes but is indexed with {len(node.indices)}",
                        node,
                    )
                indices = [self.index(i, scope, node.name) for i in node.indices]
                return self.bases[node.name][tuple(indices)]
            if node.name == self.source_name:
                raise self.error(f"the input {node.name!r} can appear only as a factor of a term, not here", node)
            raise self.error(f"unknown array {node.name!r}", _name_span(node))
        if isinstance(node, Call):
            if node.function not in _FUNCTIONS:
                raise self.error(f"unknown function {node.function!r}; known: {', '.join(sorted(_FUNCTIONS))}", node)
            counts = (1, 2) if node.function == "log" else (1,)
            if len(node.args) not in counts:
                wanted = "1 or 2 arguments (log(v), log(v, base))" if len(counts) == 2 else "1 argument"
                raise self.error(f"{node.function} takes {wanted}; got {len(node.args)}", node)
            result = _FUNCTIONS[node.function](*(self.value(a, scope) for a in node.args))
            self._finite(result, node)
            return result
        if isinstance(node, Addition):
            return sympy.Add(*(sign * self.value(a, scope) for sign, a in zip(node.signs, node.operands)))
        if isinstance(node, Operation):
            args = [self.value(a, scope) for a in node.operands]
            if node.op == "neg":
                return -args[0]
            a, b = args
            if node.op == "*":
                return a * b
            if node.op == "/":
                self._divisor(b, node.operands[1])
                return a / b
            if node.op == "%":
                self._divisor(b, node.operands[1])
                return sympy.Mod(a, b)
            self._check_power(a, b, node)
            result = a**b
            self._finite(result, node)
            return result
        if isinstance(node, (Iverson, SumNode)):
            raise self.error("a bracket or a sum cannot stand inside an index, a bound or a condition", node)
        raise self.error("unexpected expression", node)  # pragma: no cover

    def index(self, node: Node, scope: Mapping[str, Symbol], array: str) -> Expr:
        """An index expression: affine in the variables in scope."""
        expr = self.value(node, scope)
        variables = list(scope.values())
        if not is_affine(expr, variables):
            culprit = _non_affine_part(node, set(scope)) or node
            raise self.error(
                f"the index {self.text[node.start : node.end]} of {array} is not affine in the index variables "
                f"(a sum of integer multiples of variables plus a constant)",
                culprit,
            )
        self._real(expr, node)
        return expr

    def _real(self, expr: Expr, node: Node) -> None:
        """Indices, bounds and compared values are real (``x[I]`` and ``[i >= I]`` mean nothing)."""
        if expr.is_extended_real is False or sympy.sympify(expr).xreplace(self.values).is_extended_real is False:
            raise self.error(f"{self.text[node.start : node.end]} is not a real number", node)

    def condition(self, cond: Condition, scope: Mapping[str, Symbol]) -> sympy.Basic:
        try:
            return self._condition(cond, scope)
        except FormulaError:
            raise
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise self.error(f"cannot read this condition ({type(exc).__name__}: {exc})", cond) from None

    def _condition(self, cond: Condition, scope: Mapping[str, Symbol]) -> sympy.Basic:
        left, right = self.value(cond.left, scope), self.value(cond.right, scope)
        self._real(left, cond.left)
        self._real(right, cond.right)
        variables = list(scope.values())
        if cond.relation == "!=":
            raise self.error("'!=' is not an interval condition; write it as two brackets with < and >", cond)
        if cond.relation == "==" and isinstance(left, sympy.Mod):
            if not is_affine(left.args[0], variables) or left.args[0].has(sympy.Mod):
                raise self.error("the condition is not affine in the index variables", cond)
            return sympy.Eq(sympy.Mod(left.args[0] - right, left.args[1]), 0)
        for side, node in ((left, cond.left), (right, cond.right)):
            if not is_affine(side, variables):
                raise self.error(
                    "the condition is not affine in the index variables",
                    _non_affine_part(node, set(scope)) or node,
                )
        if cond.relation == "==":
            return sympy.Eq(left, right)
        return _RELATIONS[cond.relation](left, right)

    def ranges(self, spec: RangeSpec, scope: Mapping[str, Symbol]) -> tuple[Symbol, Expr, Expr]:
        """``(v, lower, upper)``: the integers ``v`` with ``lo <= v <= hi``, so ``ceiling(lo)..floor(hi)``
        where a bound may not be an integer (the one meaning of a range, for every later stage)."""
        lower = self.index(spec.lower, scope, f"the range of {spec.variable}")
        upper = self.index(spec.upper, scope, f"the range of {spec.variable}")
        if lower.is_integer is not True:
            lower = sympy.ceiling(lower)
        if upper.is_integer is not True:
            upper = sympy.floor(upper)
        return Symbol(spec.variable, integer=True), lower, upper

    # -- right-hand side -----------------------------------------------------------------
    def expand(self, node: Node, scope: dict[str, Symbol]) -> list[_Part]:
        """The products of the right-hand side (parts without ``source`` are scalars)."""
        if not _reads(node, self.source_name) and not _has_structure(node):
            return [_Part(self.value(node, scope), node=node)]
        if isinstance(node, Index):  # the input
            indices = tuple(self.index(i, scope, node.name) for i in node.indices)
            return [_Part(sympy.Integer(1), source=node, source_index=indices, node=node)]
        if isinstance(node, Iverson):
            conditions = tuple(self.condition(c, scope) for c in node.conditions)
            return [_Part(sympy.Integer(1), conditions=conditions, node=node)]
        if isinstance(node, SumNode):
            inner = dict(scope)
            sums = []
            for spec in node.ranges:
                self._check_new_name(spec.variable, spec, inner)
                if len(inner) >= MAX_VARIABLES:
                    raise self.error(
                        f"a term with more than {MAX_VARIABLES} index variables (output and summation variables); "
                        f"write the formula with fewer sums",
                        spec,
                    )
                var, lo, hi = self.ranges(spec, inner)
                inner[spec.variable] = var
                sums.append((var, lo, hi))
            return [
                _Part(p.coefficient, tuple(sums) + p.sums, p.conditions, p.source, p.source_index, p.node)
                for p in self.expand(node.body, inner)
            ]
        if isinstance(node, Call):
            raise self.error(f"{node.function}(...) of the input is not linear", node)
        if isinstance(node, Addition):
            parts: list[_Part] = []
            for sign, operand in zip(node.signs, node.operands):
                expanded = self.expand(operand, scope)
                parts += expanded if sign > 0 else [_scaled(p, -1) for p in expanded]
                self._check_terms(len(parts), node)
            return parts
        if isinstance(node, Operation):
            if node.op == "neg":
                return [_scaled(p, -1) for p in self.expand(node.operands[0], scope)]
            if node.op == "*":
                return self._product(node, scope)
            if node.op == "/":
                if _reads(node.operands[1], self.source_name) or _has_structure(node.operands[1]):
                    raise self.error("divide only by numbers and coefficient expressions", node.operands[1])
                divisor = self.value(node.operands[1], scope)
                self._divisor(divisor, node.operands[1])
                return [_scaled(p, 1 / divisor) for p in self.expand(node.operands[0], scope)]
            raise self.error(f"'{node.op}' of the input is not linear", node)
        raise self.error("unexpected expression", node)  # pragma: no cover

    def _check_terms(self, count: int, node: Node) -> None:
        if count > MAX_TERMS:
            raise self.error(f"the formula expands to more than {MAX_TERMS} terms here; write it with fewer", node)

    def _product(self, node: Operation, scope: dict[str, Symbol]) -> list[_Part]:
        left = self.expand(node.operands[0], scope)
        right = self.expand(node.operands[1], scope)
        self._check_terms(len(left) * len(right), node)
        out = []
        for a in left:
            for b in right:
                if a.source is not None and b.source is not None:
                    raise self.error("a product of two entries of the input is not linear", node)
                names = [str(v) for v, _, _ in a.sums] + [str(v) for v, _, _ in b.sums]
                if len(set(names)) != len(names):
                    raise self.error("two sums in one product use the same variable", node)
                if len(names) + len(scope) > MAX_VARIABLES:
                    raise self.error(
                        f"a term with more than {MAX_VARIABLES} index variables (output and summation variables); "
                        f"write the formula with fewer sums",
                        node,
                    )
                src = a if a.source is not None else b
                out.append(
                    _Part(
                        a.coefficient * b.coefficient,
                        a.sums + b.sums,
                        a.conditions + b.conditions,
                        src.source,
                        src.source_index,
                        node,
                    )
                )
        return out

    # -- the whole statement -------------------------------------------------------------
    def build(self) -> ParsedFormula:
        target = self.tree.target
        free_names: list[str] = []
        for idx in target.indices:
            for n in _names_in(idx):
                if n.name in self.sizes or n.name in _CONSTANTS or n.name in free_names:
                    continue
                if n.name in self.arrays or n.name in (self.source_name,):
                    raise self.error(f"{n.name!r} is an array and cannot index the output", n)
                free_names.append(n.name)
        scope = {name: Symbol(name, integer=True) for name in free_names}
        for name in free_names:
            if name in self.sizes or name in self.arrays:  # pragma: no cover - filtered above
                raise self.error(f"{name!r} is already a size or an array", target)
        target_index = tuple(self.index(i, scope, self.target_name) for i in target.indices)
        if self.output_shape is not None and len(self.output_shape) != len(target_index):
            raise self.error(
                f"output_shape {self.output_shape} has {len(self.output_shape)} axes but the output is indexed with "
                f"{len(target_index)}",
                target,
            )
        declared: dict[str, tuple[Expr, Expr]] = {}
        for spec in self.tree.ranges:
            if spec.variable not in scope:
                raise self.error(
                    f"'for {spec.variable} = ...' names no index variable of the output entry "
                    f"(those are {', '.join(free_names) or 'none'})",
                    spec,
                )
            _, lo, hi = self.ranges(spec, {})
            self._check_range(spec.variable, lo, hi, spec)
            declared[spec.variable] = (lo, hi)
        parts = self.expand(self.tree.rhs, dict(scope))
        for p in parts:
            if p.source is None:
                raise self.error(
                    f"this part of the right-hand side does not read the input {self.source_name!r}: the map would "
                    f"not be linear",
                    p.node,
                )
        n_axes = {len(p.source_index) for p in parts}
        for p in parts:
            if self.input_shape is not None and len(p.source_index) != len(self.input_shape):
                raise self.error(
                    f"input_shape {self.input_shape} has {len(self.input_shape)} axes but "
                    f"{self.source_name!r} is indexed with {len(p.source_index)}",
                    p.source,
                )
            if len(n_axes) > 1:
                raise self.error(f"{self.source_name!r} is indexed with different numbers of axes", p.source)
        free = []
        for name in free_names:
            var = scope[name]
            if name in declared:
                lo, hi = declared[name]
            else:
                lo, hi = self._implied_range(var, target_index, parts, target)
            free.append((var, lo, hi))
        self._check_box(free, target)
        y, x = IndexedBase(self.target_name), IndexedBase(self.source_name)
        try:
            terms = tuple(
                SumTerm(y, target_index, x, p.source_index, p.coefficient, tuple(free), p.sums, p.conditions)
                for p in parts
            )
        except (TypeError, ValueError) as exc:
            raise self.error(str(exc), self.tree) from None
        return self._shaped(terms, parts)

    def _check_range(self, name: str, lo: Expr, hi: Expr, spec: RangeSpec) -> None:
        """A ``for`` range must hold at least one and at most ``MAX_ENTRIES`` integers."""
        low, high = int(lo.xreplace(self.values)), int(hi.xreplace(self.values))
        if low > high:
            raise self.error(
                f"the range {self.text[spec.start : spec.end]} holds no integer ({name} would run from {low} to "
                f"{high})",
                spec,
            )
        if high - low + 1 > MAX_ENTRIES:
            raise self.error(
                f"the range {self.text[spec.start : spec.end]} holds {high - low + 1:,} values, above the limit of "
                f"{MAX_ENTRIES:,} entries per array (linop.formula.MAX_ENTRIES)",
                spec,
            )

    def _check_box(self, free: list, target: Index) -> None:
        """The output index variables together take at most ``MAX_ENTRIES`` values (checked before compiling)."""
        count = 1
        for _, lo, hi in free:
            count *= max(0, int(hi.xreplace(self.values)) - int(lo.xreplace(self.values)) + 1)
        if count > MAX_ENTRIES:
            names = ", ".join(str(v) for v, _, _ in free)
            raise self.error(
                f"the output index variables {names} take {count:,} values together, above the limit of "
                f"{MAX_ENTRIES:,} entries per array (linop.formula.MAX_ENTRIES)",
                target,
            )

    def _implied_range(self, var: Symbol, target_index: tuple, parts: list[_Part], target: Index) -> tuple:
        """The range of a free variable without ``for``: from ``output_shape`` when it indexes an output
        axis alone; else from ``input_shape``, the largest ``U`` such that for ``var = 0..U`` every
        unguarded read (one not multiplied by an Iverson bracket) stays inside ``x`` for every value of
        its sums; when no unguarded read depends on ``var``, the size of an input axis it indexes alone."""
        for a, e in enumerate(target_index):
            if e == var and self.output_shape is not None:
                return sympy.Integer(0), sympy.Integer(self.output_shape[a] - 1)
        reason = ""
        if self.input_shape is not None:
            upper = self._valid_upper(var, parts)
            if upper is None:
                direct = [self.input_shape[a] for p in parts for a, e in enumerate(p.source_index) if e == var]
                upper = min(direct) - 1 if direct else None
            if upper is not None and upper >= 0:
                return sympy.Integer(0), sympy.Integer(upper)
            if upper is not None:
                reason = f" (already {var} = 0 reads {self.source_name} outside input_shape {self.input_shape})"
        node = next((n for i in target.indices for n in _names_in(i) if n.name == str(var)), target)
        raise self.error(
            f"the range of {var} is unknown{reason}: add 'for {var} = 0..N' or give the "
            f"{'output_shape' if any(e == var for e in target_index) else 'shapes'}",
            node,
        )

    def _valid_upper(self, var: Symbol, parts: list[_Part]) -> int | None:
        """The largest ``U`` with every unguarded read inside ``x`` for ``var = 0..U`` (``-1``: not even 0);
        ``None`` when no unguarded read that can be bounded depends on ``var``."""
        assert self.input_shape is not None, "called with an input_shape only"
        uppers = []
        for p in parts:
            if p.conditions:
                continue
            sums = {v: (lo.xreplace(self.values), hi.xreplace(self.values)) for v, lo, hi in p.sums}
            if not all(lo.is_Integer and hi.is_Integer for lo, hi in sums.values()):
                continue  # a sum whose bounds depend on a variable: not a fixed window
            if any(lo > hi for lo, hi in sums.values()):
                continue  # an empty sum reads nothing
            for a, e in enumerate(p.source_index):
                e = sympy.expand(e.xreplace(self.values))
                slope = sympy.diff(e, var)
                rest = sympy.expand(e - slope * var)
                if slope == 0 or not slope.is_Integer or not rest.free_symbols <= set(sums):
                    continue
                low = high = rest.xreplace({v: 0 for v in sums})
                for v in rest.free_symbols:
                    c = sympy.diff(rest, v)
                    if not c.is_Integer:
                        break
                    lo, hi = sums[v]
                    low, high = low + c * (lo if c > 0 else hi), high + c * (hi if c > 0 else lo)
                else:
                    if not (low.is_Integer and high.is_Integer):
                        continue
                    last = self.input_shape[a] - 1
                    if slope > 0:  # reads low + slope*var .. high + slope*var
                        upper = (last - int(high)) // int(slope) if low >= 0 else -1
                    else:  # reads low - |slope|*var .. high - |slope|*var
                        upper = int(low) // int(-slope) if high <= last else -1
                    uppers.append(upper)
        return min(uppers) if uppers else None

    def _shaped(self, terms: tuple[SumTerm, ...], parts: list[_Part]) -> ParsedFormula:
        from .compiler import CoefficientRangeError, compile_term

        values = self.values
        numeric_terms = [t.subs(values) for t in terms]
        programs = []
        for t, p in zip(numeric_terms, parts):
            try:
                programs.append(compile_term(t, self.arrays))
            except CoefficientRangeError as exc:
                node: Node | None = self.coefficient_nodes.get(exc.name)
                raise self.error(
                    f"the coefficient array {exc.name!r} is read at index {exc.value} on axis {exc.axis}, outside "
                    f"its size {exc.size}",
                    node,
                ) from None
            except ValueError as exc:
                raise self.error(str(exc), p.node) from None
        reads = [pr.source_extent for pr in programs if pr.source_extent is not None]
        writes = [pr.target_extent for pr in programs if pr.target_extent is not None]
        if not reads:
            raise self.error("no term of the formula ever contributes (the map is zero)", self.tree.rhs)
        n_out, n_in = len(terms[0].target_index), len(terms[0].source_index)
        # an inferred output spans the whole box of its index variables (rows no term reaches are zero)
        box = numeric_terms[0]
        highs = [e.subs({v: (hi if sympy.diff(e, v) >= 0 else lo) for v, lo, hi in box.free}) for e in box.target_index]
        if self.output_shape is None:  # a declared shape only has to hold the actual writes
            writes = writes + [[(0, int(high)) for high in highs]]
        out_shape = self._checked_shape(
            self.output_shape,
            writes,
            n_out,
            self.tree.target,
            self.target_name,
            [self.tree.target] * len(programs),
            programs,
            "target_extent",
        )
        in_shape = self._checked_shape(
            self.input_shape, reads, n_in, None, self.source_name, [p.source for p in parts], programs, "source_extent"
        )
        for shape, name, node in (
            (out_shape, self.target_name, self.tree.target),
            (in_shape, self.source_name, self.tree.rhs),
        ):
            if math.prod(shape) > MAX_ENTRIES:
                raise self.error(
                    f"{name} would have shape {shape}: {math.prod(shape):,} entries, above the limit of "
                    f"{MAX_ENTRIES:,} entries per array (linop.formula.MAX_ENTRIES)",
                    node,
                )
        numeric = AffineSum(tuple(numeric_terms), out_shape, in_shape)
        sym_out = self._symbolic_shape(terms, out_shape, "target")
        sym_in = self._symbolic_shape(terms, in_shape, "source")
        symbolic = AffineSum(terms, sym_out, sym_in)
        return ParsedFormula(
            self.text,
            symbolic,
            numeric,
            values,
            self.arrays,
            [p.source for p in parts],
            self.tree.target,
            dict(self.coefficient_nodes),
            self.tree.rhs,
            programs,
        )

    def _checked_shape(self, declared, extents, ndim, node, name, nodes, programs, attr) -> tuple[int, ...]:
        shape = []
        for a in range(ndim):
            low = min(e[a][0] for e in extents)
            high = max(e[a][1] for e in extents)
            limit = declared[a] if declared is not None else high + 1
            if low < 0 or high >= limit:
                bad = low if low < 0 else high
                culprit = next(
                    (
                        n
                        for n, pr in zip(nodes, programs)
                        if getattr(pr, attr) is not None
                        and not 0 <= getattr(pr, attr)[a][0] <= getattr(pr, attr)[a][1] < limit
                    ),
                    node,
                )
                raise self.error(
                    f"index out of declared range: {name} is {'written' if attr == 'target_extent' else 'read'} at "
                    f"index {bad} on axis {a}, outside 0..{limit - 1}"
                    + ("; guard it with a condition such as [0 <= ... < n]" if attr == "source_extent" else ""),
                    culprit,
                )
            shape.append(int(limit))
        return tuple(shape)

    def _symbolic_shape(self, terms: tuple[SumTerm, ...], numeric: tuple[int, ...], which: str) -> tuple:
        """Each axis as ``upper + 1`` in the sizes when the formula's own bounds give the numeric size."""
        values = self.values
        out = []
        for a, n in enumerate(numeric):
            candidate = None
            for t in terms:
                e = (t.target_index if which == "target" else t.source_index)[a]
                ranges = {v: (lo, hi) for v, lo, hi in t.free + t.sums}
                if any(lo.has(*ranges) or hi.has(*ranges) for lo, hi in ranges.values()):
                    continue
                high = e.subs({v: (hi if sympy.diff(e, v).is_nonnegative else lo) for v, (lo, hi) in ranges.items()})
                candidate = sympy.expand(high + 1)
                if candidate.subs(values) == n:
                    break
                candidate = None
            out.append(candidate if candidate is not None else sympy.Integer(n))
        return tuple(out)


def _scaled(p: _Part, factor: Expr) -> _Part:
    return _Part(p.coefficient * factor, p.sums, p.conditions, p.source, p.source_index, p.node)


def _names_in(node: Node) -> list[Name]:
    out = [node] if isinstance(node, Name) else []
    for c in _children(node):
        out += _names_in(c)
    return out


def _reads(node: Node, source: str) -> bool:
    if isinstance(node, Index) and node.name == source:
        return True
    return any(_reads(c, source) for c in _children(node))


def _has_structure(node: Node) -> bool:
    """Whether the node holds a sum or an Iverson bracket (it cannot be a plain scalar)."""
    if isinstance(node, (SumNode, Iverson)):
        return True
    return any(_has_structure(c) for c in _children(node) if not isinstance(node, Index))


def _name_span(node: Index) -> Node:
    return Name(node.start, node.name_end, name=node.name)


def _depends(node: Node, variables: set[str]) -> bool:
    return any(n.name in variables for n in _names_in(node))


def _non_affine_part(node: Node, variables: set[str]) -> Node | None:
    """The smallest part of an index that makes it non-affine (a product of variables, ...)."""
    for child in _children(node):
        found = _non_affine_part(child, variables)
        if found is not None:
            return found
    if isinstance(node, Operation):
        deps = [_depends(a, variables) for a in node.operands]
        if node.op == "*" and all(deps):
            return node
        if node.op in ("/", "%") and deps[-1]:
            return node
        if node.op == "%" and deps[0]:
            return node
        if node.op == "**" and any(deps):
            return node
    if isinstance(node, (Call, Index)) and _depends(node, variables):
        return node
    return None


def build_formula(
    text: str,
    *,
    sizes: Mapping[str, int] | None = None,
    arrays: Mapping[str, np.ndarray] | None = None,
    input_shape: Sequence[int] | None = None,
    output_shape: Sequence[int] | None = None,
) -> ParsedFormula:
    """Read a formula: its symbolic and numeric affine sums (see :func:`linop.from_formula`).

    Raises
    ------
    FormulaError
        With the column of the offending part.
    """
    return _Builder(text, dict(sizes or {}), dict(arrays or {}), input_shape, output_shape).build()
