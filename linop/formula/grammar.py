"""The index-formula grammar: a tokenizer and a recursive-descent parser with located errors.

A formula states one linear map ``y = A x`` entry by entry::

    y[i, j] = sum(m=0..1, n=0..1) x[2*i + m, 2*j + n] / 4
    y[i] = [i >= 1] (x[i] - x[i-1]) for i = 0..n-1
    y[2*i + r] = x[i] for r = 0..1

Grammar (EBNF; ``a..b`` ranges are inclusive)::

    statement  = target "=" expr [ "for" range { "," range } ]
    target     = NAME "[" expr { "," expr } "]"
    range      = NAME "=" expr ".." expr
    expr       = term { ("+" | "-") term }
    term       = unary { ("*" | "/" | "%") unary | juxtaposed }
    juxtaposed = iverson | "(" expr ")" | sum | (after an iverson: any unary)   (multiplies)
    unary      = ("+" | "-") unary | sum | power
    sum        = "sum" "(" range { "," range } ")" term                 (the sum extends over the term)
    power      = atom [ "**" unary ]
    atom       = NUMBER | NAME | NAME "[" expr { "," expr } "]"
               | NAME "(" expr { "," expr } ")" | "(" expr ")" | iverson
    iverson    = "[" condition { "and" condition } "]"
    condition  = expr relation expr { relation expr }                   (chained: 0 <= k < n)
    relation   = "<" | "<=" | ">" | ">=" | "==" | "!="

Nothing here imports SymPy: the parser builds a small syntax tree whose every node knows
the columns it spans, so that later stages can point at the offending part of the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

__all__ = [
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
    "parse",
    "tokenize",
]

_OPERATORS = ("**", "..", "<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "<", ">", "=", "[", "]", "(", ")", ",")
_CLOSING = {"[": "]", "(": ")"}
RELATIONS = ("<", "<=", ">", ">=", "==", "!=")


class FormulaError(ValueError):
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
        if self.column < 0:
            return f"{self.reason}\n  {self.formula}"
        marks = " " * self.column + "^" * max(1, min(self.end, len(self.formula) + 1) - self.column)
        return f"{self.reason} (column {self.column + 1})\n  {self.formula}\n  {marks}"


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
        For a character that belongs to no token, or unbalanced brackets.
    """
    tokens: list[Token] = []
    stack: list[Token] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        if ch.isdigit() or (ch == "." and pos + 1 < len(text) and text[pos + 1].isdigit()):
            end = pos
            while end < len(text) and text[end].isdigit():
                end += 1
            # a decimal point, but not the range operator ".."
            if end < len(text) and text[end] == "." and not text.startswith("..", end):
                end += 1
                while end < len(text) and text[end].isdigit():
                    end += 1
            exponent = end + 1 + (end + 1 < len(text) and text[end + 1] in "+-")
            if end < len(text) and text[end] in "eE" and exponent < len(text) and text[exponent].isdigit():
                end = exponent  # scientific notation: 1.5e3, 2E-1
                while end < len(text) and text[end].isdigit():
                    end += 1
            tokens.append(Token("number", text[pos:end], pos, end))
            pos = end
            continue
        if ch.isalpha() or ch == "_":
            end = pos
            while end < len(text) and (text[end].isalnum() or text[end] == "_"):
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
                            text, pos,
                        )
                tokens.append(token)
                pos += len(op)
                break
        else:
            raise FormulaError(f"unexpected character {ch!r}", text, pos)
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
class Operation(Node):
    """A binary (``+ - * / % **``) or unary (``neg``) operation."""

    op: str = ""
    operands: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Condition(Node):
    """``left relation right`` (one link of a chained comparison)."""

    relation: str = ""
    left: Node | None = None
    right: Node | None = None


@dataclass(frozen=True)
class Iverson(Node):
    """``[c_1 and c_2 ...]``: 1 where every condition holds, 0 elsewhere."""

    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class RangeSpec(Node):
    """``v = lo..hi`` (inclusive)."""

    variable: str = ""
    lower: Node | None = None
    upper: Node | None = None


@dataclass(frozen=True)
class SumNode(Node):
    """``sum(v = lo..hi, ...) body``: the ranges outermost first."""

    ranges: tuple[RangeSpec, ...] = ()
    body: Node | None = None


@dataclass(frozen=True)
class Statement(Node):
    """``target = rhs for ranges``: the whole formula."""

    target: Index | None = None
    rhs: Node | None = None
    ranges: tuple[RangeSpec, ...] = field(default=())


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

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
        ranges: list[RangeSpec] = []
        if self.at("for", "name"):
            self.advance()
            ranges.append(self.range_spec())
            while self.at(","):
                self.advance()
                ranges.append(self.range_spec())
        if self.current.kind != "end":
            raise self.error(f"unexpected {self.current.text!r}: expected an operator or the end of the formula")
        return Statement(0, len(self.text), target=target, rhs=rhs, ranges=tuple(ranges))

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
        node = self.term()
        while self.at("+") or self.at("-"):
            op = self.advance().text
            right = self.term()
            node = Operation(node.start, right.end, op=op, operands=(node, right))
        return node

    def _starts_factor(self) -> bool:
        """A bracket or a sum right after a factor multiplies it: ``[i >= 1] x[i]``, ``2 sum(...)``."""
        return self.at("[") or self.at("(") or (self.current.kind == "name" and self.current.text == "sum"
                                                and self.peek().text == "(")

    def term(self) -> Node:
        node = last = self.unary()
        while True:
            if self.at("*") or self.at("/") or self.at("%"):
                op = self.advance().text
                right = self.unary()
            elif self._starts_factor() or (isinstance(last, Iverson) and self.current.kind in ("name", "number")):
                op, right = "*", self.unary()
            else:
                return node
            last = right
            node = Operation(node.start, right.end, op=op, operands=(node, right))

    def unary(self) -> Node:
        if self.at("-") or self.at("+"):
            sign = self.advance()
            operand = self.unary()
            if sign.text == "+":
                return operand
            return Operation(sign.start, operand.end, op="neg", operands=(operand,))
        if self.current.kind == "name" and self.current.text == "sum" and self.peek().text == "(":
            return self.sum_node()
        return self.power()

    def sum_node(self) -> SumNode:
        start = self.advance()
        self.expect("(", "after 'sum'")
        ranges = [self.range_spec()]
        while self.at(","):
            self.advance()
            ranges.append(self.range_spec())
        self.expect(")", "after the ranges of the sum")
        if self.current.kind == "end" or self.at(")") or self.at(","):
            raise self.error("a sum needs a summand after its ranges: sum(m=0..2) k[m] * x[i + m]")
        body = self.term()
        return SumNode(start.start, body.end, ranges=tuple(ranges), body=body)

    def power(self) -> Node:
        base = self.atom()
        if self.at("**"):
            self.advance()
            exponent = self.unary()
            return Operation(base.start, exponent.end, op="**", operands=(base, exponent))
        return base

    def atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Number(token.start, token.end, value=Fraction(token.text))
        if token.kind == "name":
            if token.text in ("for", "and", "sum"):
                raise self.error(f"{token.text!r} cannot stand here")
            self.advance()
            if self.at("["):
                self.advance()
                indices = [self.expr()]
                while self.at(","):
                    self.advance()
                    indices.append(self.expr())
                close = self.expect("]", f"to close the index of {token.text!r}")
                return Index(token.start, close.end, name=token.text, indices=tuple(indices), name_end=token.end)
            if self.at("("):
                self.advance()
                args = [self.expr()]
                while self.at(","):
                    self.advance()
                    args.append(self.expr())
                close = self.expect(")", f"to close the arguments of {token.text!r}")
                return Call(token.start, close.end, function=token.text, args=tuple(args))
            return Name(token.start, token.end, name=token.text)
        if self.at("("):
            open_ = self.advance()
            inner = self.expr()
            close = self.expect(")", f"to close the '(' at column {open_.start + 1}")
            return _respan(inner, open_.start, close.end)
        if self.at("["):
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
        raise FormulaError("the formula is empty", text)
    return _Parser(text).statement()
