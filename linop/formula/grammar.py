"""The index-formula grammar: a tokenizer and a recursive-descent parser with located errors.

A formula states one linear map ``y = A x`` entry by entry::

    y[i, j] = sum(m=0..1, n=0..1) x[2*i + m, 2*j + n] / 4
    y[i] = [i >= 1] (x[i] - x[i-1]) for i = 0..n-1
    y[2*i + r] = x[i] for r = 0..1

Grammar (EBNF; ``a..b`` ranges are inclusive)::

    statement  = target "=" expr [ "for" range { "," range } ]
    target     = NAME "[" expr { "," expr } "]"
    range      = NAME "=" expr ".." expr
    expr       = term { ("+" | "-") term }                              (one flat Addition node)
    term       = unary { ("*" | "/" | "%") unary | juxtaposed }
    juxtaposed = iverson | "(" expr ")" | sum | (after an iverson, signed or not: any unary)
    unary      = ("+" | "-") unary | sum | power
    sum        = "sum" "(" range { "," range } ")" term                 (the sum extends over the term)
    power      = atom [ "**" unary ]
    atom       = NUMBER | NAME | NAME "[" expr { "," expr } "]"
               | NAME "(" expr { "," expr } ")" | "(" expr ")" | iverson
    iverson    = "[" condition { "and" condition } "]"
    condition  = expr relation expr { relation expr }                   (chained: 0 <= k < n)
    relation   = "<" | "<=" | ">" | ">=" | "==" | "!="

A ``NUMBER`` is written with ASCII digits (``3``, ``0.25``, ``1.5e-3``) and lies between
``1e-308`` and ``1e308`` (or is zero); a ``NAME`` is a Python identifier (Unicode letters
allowed). ``...`` is an error, not ``.. .``.

Nothing here imports SymPy: the parser builds a small syntax tree whose every node knows
the columns it spans, so that later stages can point at the offending part of the text.
The work is bounded before anything is evaluated: brackets, sums, signs and powers nest at
most :data:`~linop.formula.limits.MAX_NESTING` levels deep, a product has at most
:data:`~linop.formula.limits.MAX_FACTORS` factors and the tree at most
:data:`~linop.formula.limits.MAX_DEPTH` levels (a flat sum of any number of terms is one
level), so that no later stage recurses deeper than Python allows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import LinopError
from .limits import MAX_DEPTH, MAX_FACTORS, MAX_NESTING

__all__ = [
    "Addition",
    "Call",
    "Condition",
    "FormulaError",
    "Index",
    "Iverson",
    "Name",
    "Node",
    "Number",
    "Operation",
    "RangeSpec",
    "Statement",
    "SumNode",
    "Token",
    "check_confusable",
    "children",
    "parse",
    "tokenize",
]

_OPERATORS = ("**", "..", "<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "<", ">", "=", "[", "]", "(", ")", ",")
_CLOSING = {"[": "]", "(": ")"}
RELATIONS = ("<", "<=", ">", ">=", "==", "!=")
KEYWORDS = ("for", "and", "sum")

#: Largest and smallest magnitude of a number (float64's range).
_MAX_EXPONENT = 308
#: Most significant digits of a number.
_MAX_DIGITS = 100
_DIGITS = "0123456789"


class FormulaError(LinopError, ValueError):
    """A formula that cannot be read or is not an affine-index linear map, with where it goes wrong.

    The message is the reason, the column (1-based) and the formula with a caret line under
    the offending part.

    Parameters
    ----------
    reason : str
        What is wrong, without the location.
    formula : str
        The text of the formula.
    column : int
        0-based column of the offending part (``-1``: the formula as a whole).
    end : int, optional
        0-based column just after it (default: one character).

    Examples
    --------
    >>> from linop import FormulaError
    >>> error = FormulaError("the index i*i of x is not affine", "y[i] = x[i*i]", 9, 12)
    >>> print(error)
    the index i*i of x is not affine (column 10)
      y[i] = x[i*i]
               ^^^
    >>> error.column, error.reason
    (9, 'the index i*i of x is not affine')
    """

    def __init__(self, reason: str, formula: str, column: int = -1, end: int | None = None):
        self.reason = reason
        self.formula = formula
        self.column = column
        self.end = column + 1 if end is None or end <= column else end
        super().__init__(self._message())

    def _message(self) -> str:
        shown = "".join(_shown(ch) for ch in self.formula)
        if self.column < 0:
            return f"{self.reason}\n  {shown}"
        # the caret line repeats the formula's tabs and counts wide (CJK) characters twice, so
        # that the carets stand under the part they mark in a terminal
        pad = "".join(_blank(ch) for ch in self.formula[: self.column])
        width = sum(_width(ch) for ch in self.formula[self.column : self.end])
        return f"{self.reason} (column {self.column + 1})\n  {shown}\n  {pad}{'^' * max(1, width)}"


def _shown(ch: str) -> str:
    """A character as the one-line display of a formula shows it (line breaks as spaces)."""
    if ch != "\t" and unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
        return " "
    return ch


def _width(ch: str) -> int:
    """Columns a character takes in a terminal: 2 for wide East Asian ones, 0 for combining marks."""
    if ch == "\t":
        return 1
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _blank(ch: str) -> str:
    """What stands under a character in the caret line: a tab under a tab, spaces of its width."""
    return "\t" if ch == "\t" else " " * _width(_shown(ch))


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ``"number"``, ``"name"``, ``"op"`` or ``"end"``; columns are 0-based."""

    kind: str
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split a formula into tokens; brackets are checked to pair up.

    Raises
    ------
    FormulaError
        For a character that belongs to no token, ``...``, or unbalanced brackets.
    """
    tokens: list[Token] = []
    stack: list[Token] = []
    pos = 0

    def digit(at: int) -> bool:
        return at < len(text) and text[at] in _DIGITS

    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        if text.startswith("...", pos):
            raise FormulaError("'...' is not an operator: a range is written lo..hi (two dots)", text, pos, pos + 3)
        if digit(pos) or (ch == "." and digit(pos + 1)):
            end = pos
            while digit(end):
                end += 1
            # a decimal point, but not the range operator ".."
            if end < len(text) and text[end] == "." and not text.startswith("..", end):
                end += 1
                while digit(end):
                    end += 1
            exponent = end + 1 + (end + 1 < len(text) and text[end + 1] in "+-")
            if end < len(text) and text[end] in "eE" and digit(exponent):
                end = exponent  # scientific notation: 1.5e3, 2E-1
                while digit(end):
                    end += 1
            tokens.append(Token("number", text[pos:end], pos, end))
            pos = end
            continue
        if ch.isidentifier():
            end = pos + 1
            while end < len(text) and ("a" + text[end]).isidentifier():
                end += 1
            tokens.append(Token("name", text[pos:end], pos, end))
            pos = end
            continue
        for op in _OPERATORS:
            if text.startswith(op, pos):
                token = Token("op", op, pos, pos + len(op))
                if op in _CLOSING:
                    stack.append(token)
                elif op in ("]", ")"):
                    if not stack:
                        raise FormulaError(f"unbalanced brackets: {op!r} closes nothing", text, pos)
                    opener = stack.pop()
                    if _CLOSING[opener.text] != op:
                        raise FormulaError(
                            f"unbalanced brackets: {opener.text!r} at column {opener.start + 1} is closed by {op!r}",
                            text,
                            pos,
                        )
                tokens.append(token)
                pos += len(op)
                break
        else:
            what = f"unexpected character {ch!r}"
            if ch.isdigit() or ch.isnumeric():
                what += " (numbers are written with the digits 0-9)"
            elif unicodedata.category(ch).startswith(("L", "N", "M")):
                what += " (names are identifiers: letters, digits and _, not starting with a digit)"
            raise FormulaError(what, text, pos)
    if stack:
        opener = stack[-1]
        raise FormulaError(f"unbalanced brackets: {opener.text!r} is never closed", text, opener.start)
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


# -- syntax tree --------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    """A part of the formula spanning columns ``start`` (inclusive) to ``end`` (exclusive)."""

    start: int
    end: int


@dataclass(frozen=True)
class Number(Node):
    value: Fraction = Fraction(0)


@dataclass(frozen=True)
class Name(Node):
    name: str = ""


@dataclass(frozen=True)
class Index(Node):
    """``name[i_1, ..., i_r]``: an entry of an array."""

    name: str = ""
    indices: tuple[Node, ...] = ()
    name_end: int = 0


@dataclass(frozen=True)
class Call(Node):
    """``f(a, ...)``: a function of scalars (``exp``, ``cos``, ``conj``, ...)."""

    function: str = ""
    args: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Addition(Node):
    """``t_0 + t_1 - t_2 ...``: a flat chain of terms, each with its sign (``+1`` or ``-1``)."""

    operands: tuple[Node, ...] = ()
    signs: tuple[int, ...] = ()


@dataclass(frozen=True)
class Operation(Node):
    """A binary (``* / % **``) or unary (``neg``) operation."""

    op: str = ""
    operands: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Condition(Node):
    """``left relation right`` (one link of a chained comparison)."""

    relation: str = ""
    # every parsed node has its parts: required, by keyword (the base's fields come first)
    left: Node = field(kw_only=True)
    right: Node = field(kw_only=True)


@dataclass(frozen=True)
class Iverson(Node):
    """``[c_1 and c_2 ...]``: 1 where every condition holds, 0 elsewhere."""

    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class RangeSpec(Node):
    """``v = lo..hi`` (inclusive)."""

    variable: str = ""
    lower: Node = field(kw_only=True)
    upper: Node = field(kw_only=True)


@dataclass(frozen=True)
class SumNode(Node):
    """``sum(v = lo..hi, ...) body``: the ranges outermost first."""

    ranges: tuple[RangeSpec, ...] = ()
    body: Node = field(kw_only=True)


@dataclass(frozen=True)
class Statement(Node):
    """``target = rhs for ranges``: the whole formula."""

    target: Index = field(kw_only=True)
    rhs: Node = field(kw_only=True)
    ranges: tuple[RangeSpec, ...] = field(default=())


def children(node: Node) -> list[Node]:
    """The parts of a node (the bounds of a sum's ranges, then its body)."""
    if isinstance(node, Index):
        return list(node.indices)
    if isinstance(node, Call):
        return list(node.args)
    if isinstance(node, (Operation, Addition)):
        return list(node.operands)
    if isinstance(node, Iverson):
        return [c for cond in node.conditions for c in (cond.left, cond.right)]
    if isinstance(node, SumNode):
        return [x for r in node.ranges for x in (r.lower, r.upper)] + [node.body]
    if isinstance(node, Statement):
        return [node.target, node.rhs] + [x for r in node.ranges for x in (r.lower, r.upper)]
    return []


def _normal(name: str) -> str:
    return unicodedata.normalize("NFKC", name)


def check_confusable(text: str, tokens: Iterable[Token], known: Iterable[str] = ()) -> None:
    """Refuse two different names that read the same after Unicode normalisation (NFKC).

    Python normalises identifiers with NFKC, and so do readers: ``i`` and the fullwidth
    ``ｉ`` would be two variables that look alike (and one name in generated code).

    Raises
    ------
    FormulaError
        At the later of the two names, naming both.
    """
    seen: dict[str, tuple[str, int | None]] = {}
    for name in known:
        seen.setdefault(_normal(name), (name, None))
    for token in tokens:
        if token.kind != "name":
            continue
        first = seen.setdefault(_normal(token.text), (token.text, token.start))
        if first[0] != token.text:
            where = f"the name {first[0]!r} at column {first[1] + 1}" if first[1] is not None else repr(first[0])
            raise FormulaError(
                f"the name {token.text!r} differs from {where} but reads the same after Unicode normalisation "
                f"(NFKC); spell them alike or name them differently",
                text,
                token.start,
                token.end,
            )


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        check_confusable(text, self.tokens, KEYWORDS)
        self.pos = 0
        self.nesting = 0

    # -- token helpers ---------------------------------------------------------------------
    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def at(self, text: str, kind: str = "op") -> bool:
        return self.current.kind == kind and self.current.text == text

    def advance(self) -> Token:
        token = self.current
        self.pos += 1
        return token

    def error(self, reason: str, token: Token | None = None) -> FormulaError:
        token = token or self.current
        return FormulaError(reason, self.text, token.start, token.end)

    def nested(self, token: Token) -> _Nesting:
        """Context of one more level of nesting (a bracket, a sum, a sign, a power)."""
        return _Nesting(self, token)

    def expect(self, text: str, what: str) -> Token:
        if not self.at(text):
            found = "the end of the formula" if self.current.kind == "end" else repr(self.current.text)
            raise self.error(f"expected {text!r} {what}; found {found}")
        return self.advance()

    # -- grammar ---------------------------------------------------------------------------
    def statement(self) -> Statement:
        if self.current.kind != "name" or not self.peek().text == "[":
            raise self.error("a formula starts with the output entry, e.g. y[i] = ...")
        target = self.atom()
        assert isinstance(target, Index)
        self.expect("=", "after the output entry (y[...] = ...)")
        rhs = self.expr()
        ranges: tuple[RangeSpec, ...] = ()
        if self.at("for", "name"):
            self.advance()
            ranges = self.ranges()
        if self.current.kind != "end":
            raise self.error(f"unexpected {self.current.text!r}: expected an operator or the end of the formula")
        return Statement(0, len(self.text), target=target, rhs=rhs, ranges=ranges)

    def ranges(self) -> tuple[RangeSpec, ...]:
        """``v = lo..hi {, v = lo..hi}``: each variable at most once."""
        out = [self.range_spec()]
        while self.at(","):
            self.advance()
            out.append(self.range_spec())
        for n, spec in enumerate(out):
            earlier = next((r for r in out[:n] if r.variable == spec.variable), None)
            if earlier is not None:
                raise FormulaError(
                    f"{spec.variable!r} has two ranges (the first at column {earlier.start + 1}); give one",
                    self.text,
                    spec.start,
                    spec.end,
                )
        return tuple(out)

    def range_spec(self) -> RangeSpec:
        if self.current.kind != "name":
            raise self.error("expected a range 'v = lo..hi'")
        var = self.advance()
        self.expect("=", f"after {var.text!r} in a range 'v = lo..hi'")
        lower = self.expr()
        self.expect("..", "between the bounds of a range 'v = lo..hi'")
        upper = self.expr()
        return RangeSpec(var.start, upper.end, variable=var.text, lower=lower, upper=upper)

    def expr(self) -> Node:
        operands, signs = [self.term()], [1]
        while self.at("+") or self.at("-"):
            signs.append(1 if self.advance().text == "+" else -1)
            operands.append(self.term())
        if len(operands) == 1:
            return operands[0]
        return Addition(operands[0].start, operands[-1].end, operands=tuple(operands), signs=tuple(signs))

    def _starts_factor(self) -> bool:
        """A bracket or a sum right after a factor multiplies it: ``[i >= 1] x[i]``, ``2 sum(...)``."""
        return (
            self.at("[")
            or self.at("(")
            or (self.current.kind == "name" and self.current.text == "sum" and self.peek().text == "(")
        )

    def term(self) -> Node:
        node = last = self.unary()
        factors = 1
        while True:
            token = self.current
            if self.at("*") or self.at("/") or self.at("%"):
                op = self.advance().text
                right = self.unary()
            elif self._starts_factor() or (_ends_in_iverson(last) and self.current.kind in ("name", "number")):
                op, right = "*", self.unary()
            else:
                return node
            factors += 1
            if factors > MAX_FACTORS:
                raise self.error(f"a product of more than {MAX_FACTORS} factors; write it with fewer", token)
            last = right
            node = Operation(node.start, right.end, op=op, operands=(node, right))

    def unary(self) -> Node:
        if self.at("-") or self.at("+"):
            sign = self.advance()
            with self.nested(sign):
                operand = self.unary()
            if sign.text == "+":
                return operand
            return Operation(sign.start, operand.end, op="neg", operands=(operand,))
        if self.current.kind == "name" and self.current.text == "sum" and self.peek().text == "(":
            return self.sum_node()
        return self.power()

    def sum_node(self) -> SumNode:
        start = self.advance()
        with self.nested(start):
            self.expect("(", "after 'sum'")
            ranges = self.ranges()
            self.expect(")", "after the ranges of the sum")
            if self.current.kind == "end" or self.at(")") or self.at(","):
                raise self.error("a sum needs a summand after its ranges: sum(m=0..2) k[m] * x[i + m]")
            body = self.term()
        return SumNode(start.start, body.end, ranges=ranges, body=body)

    def power(self) -> Node:
        base = self.atom()
        if self.at("**"):
            with self.nested(self.advance()):
                exponent = self.unary()
            return Operation(base.start, exponent.end, op="**", operands=(base, exponent))
        return base

    def number(self, token: Token) -> Number:
        """A number token's exact value, refused before it is computed when it lies outside float64."""
        mantissa, _, exponent = token.text.lower().partition("e")
        whole, _, fraction = mantissa.partition(".")
        digits = (whole + fraction).lstrip("0")
        if len(digits.rstrip("0")) > _MAX_DIGITS or len(exponent.lstrip("+-").lstrip("0")) > 4:
            raise self.error(
                f"the number {token.text} has too many digits (at most {_MAX_DIGITS} significant ones)", token
            )
        if digits:
            # the decimal exponent of the leading digit: 1 for 12.5, -2 for 0.01
            lead = len(whole.lstrip("0")) - 1 if whole.lstrip("0") else -(len(fraction) - len(fraction.lstrip("0"))) - 1
            magnitude = lead + int(exponent or 0)
            if not -_MAX_EXPONENT <= magnitude < _MAX_EXPONENT:
                raise self.error(
                    f"the number {token.text} lies outside the range of float64 numbers (1e-{_MAX_EXPONENT} to "
                    f"1e{_MAX_EXPONENT})",
                    token,
                )
        return Number(token.start, token.end, value=Fraction(token.text))

    def atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            return self.number(token)
        if token.kind == "name":
            if token.text in KEYWORDS:
                raise self.error(f"{token.text!r} cannot stand here")
            self.advance()
            if self.at("["):
                with self.nested(self.advance()):
                    indices = [self.expr()]
                    while self.at(","):
                        self.advance()
                        indices.append(self.expr())
                    close = self.expect("]", f"to close the index of {token.text!r}")
                return Index(token.start, close.end, name=token.text, indices=tuple(indices), name_end=token.end)
            if self.at("("):
                with self.nested(self.advance()):
                    args = [self.expr()]
                    while self.at(","):
                        self.advance()
                        args.append(self.expr())
                    close = self.expect(")", f"to close the arguments of {token.text!r}")
                return Call(token.start, close.end, function=token.text, args=tuple(args))
            return Name(token.start, token.end, name=token.text)
        if self.at("("):
            open_ = self.advance()
            with self.nested(open_):
                inner = self.expr()
                close = self.expect(")", f"to close the '(' at column {open_.start + 1}")
            return _respan(inner, open_.start, close.end)
        if self.at("["):
            with self.nested(self.current):
                return self.iverson()
        if token.kind == "end":
            raise self.error("the formula ends where a value is expected")
        raise self.error(f"unexpected {token.text!r} where a value is expected")

    def iverson(self) -> Iverson:
        open_ = self.advance()
        conditions = list(self.condition_chain())
        while self.at("and", "name"):
            self.advance()
            conditions += self.condition_chain()
        close = self.expect("]", "to close the Iverson bracket [condition]")
        return Iverson(open_.start, close.end, conditions=tuple(conditions))

    def condition_chain(self) -> list[Condition]:
        left = self.expr()
        if not (self.current.kind == "op" and self.current.text in RELATIONS):
            raise self.error("an Iverson bracket holds comparisons, e.g. [0 <= i + m - 1 < n]")
        out = []
        while self.current.kind == "op" and self.current.text in RELATIONS:
            relation = self.advance().text
            right = self.expr()
            out.append(Condition(left.start, right.end, relation=relation, left=left, right=right))
            left = right
        return out


class _Nesting:
    """One level deeper in the parser; refuses nesting beyond :data:`MAX_NESTING` where it starts."""

    def __init__(self, parser: _Parser, token: Token):
        self.parser, self.token = parser, token

    def __enter__(self) -> None:
        self.parser.nesting += 1
        if self.parser.nesting > MAX_NESTING:
            raise self.parser.error(
                f"brackets, sums, signs and powers nest more than {MAX_NESTING} levels deep here; simplify the formula",
                self.token,
            )

    def __exit__(self, *exc: object) -> None:
        self.parser.nesting -= 1


def _ends_in_iverson(node: Node) -> bool:
    """Whether a factor is an Iverson bracket, possibly signed (``-[i >= 1]``): a factor may follow it."""
    while isinstance(node, Operation) and node.op == "neg":
        node = node.operands[0]
    return isinstance(node, Iverson)


def _check_depth(tree: Statement, text: str) -> None:
    """Refuse a syntax tree deeper than :data:`MAX_DEPTH`, at the part that is too deep (no recursion)."""
    stack: list[tuple[Node, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"the formula nests more than {MAX_DEPTH} operations deep here; simplify it", text, node.start, node.end
            )
        stack.extend((child, depth + 1) for child in children(node) if child is not None)


def _respan(node: Node, start: int, end: int) -> Node:
    """The node with its span widened to include the parentheses around it."""
    values = {k: getattr(node, k) for k in node.__dataclass_fields__}
    values.update(start=start, end=end)
    return type(node)(**values)


def parse(text: str) -> Statement:
    """Parse a formula into its syntax tree.

    Parameters
    ----------
    text : str
        ``"y[i, j] = sum(m=0..1, n=0..1) x[2*i + m, 2*j + n] / 4"`` (grammar in the module
        docstring).

    Returns
    -------
    Statement
        The output entry, the right-hand side and the ``for`` ranges, with columns.

    Raises
    ------
    FormulaError
        With the column of the first token that does not fit the grammar.

    Examples
    --------
    >>> tree = parse("y[i] = x[i + 1] - x[i] for i = 0..5")
    >>> tree.target.name, [r.variable for r in tree.ranges]
    ('y', ['i'])
    """
    if not isinstance(text, str):
        raise TypeError(f"formula must be a string; got {type(text).__name__}")
    if not text.strip():
        raise FormulaError(
            "the formula is empty: write the output entry, '=', the right-hand side and the ranges, e.g. "
            "y[i] = x[i + 1] - x[i] for i = 0..n-2",
            text,
            len(text),
        )
    tree = _Parser(text).statement()
    _check_depth(tree, text)
    return tree
