"""The syntax tree of an awk program: expressions, statements, rules, functions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "Assign",
    "Binary",
    "Block",
    "Break",
    "Builtin",
    "Call",
    "Compare",
    "Concat",
    "Cond",
    "Continue",
    "Delete",
    "DoWhile",
    "Exit",
    "Expr",
    "ExprStmt",
    "Field",
    "For",
    "ForIn",
    "Function",
    "Getline",
    "Group",
    "If",
    "In",
    "IncDec",
    "Index",
    "Local",
    "Logical",
    "Match",
    "NFVar",
    "Name",
    "Next",
    "NextFile",
    "Not",
    "Num",
    "Print",
    "Program",
    "Regex",
    "Return",
    "Rule",
    "Stmt",
    "Str",
    "Unary",
    "While",
]


class Expr:
    """An expression node."""

    __slots__ = ()


class Stmt:
    """A statement node."""

    __slots__ = ()


@dataclass(slots=True)
class Num(Expr):
    value: float


@dataclass(slots=True)
class Str(Expr):
    value: str


@dataclass(slots=True)
class Regex(Expr):
    """``/re/``: alone it means ``$0 ~ /re/``."""

    source: str
    rx: re.Pattern[str]


@dataclass(slots=True)
class Group(Expr):
    """A parenthesized expression (kept so ``print (a)(b) > f`` parses as awk does)."""

    expr: Expr


@dataclass(slots=True)
class Name(Expr):
    """A global variable (or array, by context)."""

    name: str


@dataclass(slots=True)
class Local(Expr):
    """A function parameter, by position in the frame."""

    index: int
    name: str


@dataclass(slots=True)
class NFVar(Expr):
    """``NF``: reading it splits the record, assigning it rebuilds ``$0``."""


@dataclass(slots=True)
class Field(Expr):
    expr: Expr


@dataclass(slots=True)
class Index(Expr):
    array: Name | Local
    subs: list[Expr]


@dataclass(slots=True)
class Assign(Expr):
    op: str  # "=", "+=", ...
    target: Expr
    value: Expr


@dataclass(slots=True)
class Cond(Expr):
    test: Expr
    yes: Expr
    no: Expr


@dataclass(slots=True)
class Logical(Expr):
    op: str  # "&&" or "||"
    left: Expr
    right: Expr


@dataclass(slots=True)
class Not(Expr):
    expr: Expr


@dataclass(slots=True)
class Binary(Expr):
    op: str  # + - * / % ^
    left: Expr
    right: Expr


@dataclass(slots=True)
class Unary(Expr):
    op: str  # "-" or "+"
    expr: Expr


@dataclass(slots=True)
class Compare(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(slots=True)
class Match(Expr):
    negate: bool
    left: Expr
    regex: Expr


@dataclass(slots=True)
class Concat(Expr):
    parts: list[Expr]


@dataclass(slots=True)
class IncDec(Expr):
    op: str  # "++" or "--"
    prefix: bool
    target: Expr


@dataclass(slots=True)
class In(Expr):
    subs: list[Expr]
    array: Name | Local


@dataclass(slots=True)
class Call(Expr):
    name: str
    args: list[Expr]
    line: int


@dataclass(slots=True)
class Builtin(Expr):
    name: str
    args: list[Expr]


@dataclass(slots=True)
class Getline(Expr):
    """``getline [var]``, ``getline [var] < file``, ``cmd | getline [var]``."""

    kind: str  # "main", "file" or "cmd"
    target: Expr | None
    source: Expr | None


@dataclass(slots=True)
class ExprStmt(Stmt):
    expr: Expr


@dataclass(slots=True)
class Print(Stmt):
    printf: bool
    args: list[Expr]
    mode: str  # "", ">", ">>" or "|"
    dest: Expr | None


@dataclass(slots=True)
class Block(Stmt):
    body: list[Stmt]


@dataclass(slots=True)
class If(Stmt):
    test: Expr
    then: Stmt
    orelse: Stmt | None


@dataclass(slots=True)
class While(Stmt):
    test: Expr
    body: Stmt


@dataclass(slots=True)
class DoWhile(Stmt):
    body: Stmt
    test: Expr


@dataclass(slots=True)
class For(Stmt):
    init: Expr | None
    test: Expr | None
    step: Expr | None
    body: Stmt


@dataclass(slots=True)
class ForIn(Stmt):
    var: Expr
    array: Name | Local
    body: Stmt


@dataclass(slots=True)
class Delete(Stmt):
    array: Name | Local
    subs: list[Expr] | None


@dataclass(slots=True)
class Next(Stmt):
    pass


@dataclass(slots=True)
class NextFile(Stmt):
    pass


@dataclass(slots=True)
class Break(Stmt):
    pass


@dataclass(slots=True)
class Continue(Stmt):
    pass


@dataclass(slots=True)
class Exit(Stmt):
    value: Expr | None


@dataclass(slots=True)
class Return(Stmt):
    value: Expr | None


@dataclass(slots=True)
class Rule:
    """``pattern { action }``, ``p1, p2 { action }``; no action means ``print``."""

    pattern: Expr | None
    end_pattern: Expr | None
    action: Block | None
    in_range: bool = False


@dataclass(slots=True)
class Function:
    name: str
    params: list[str]
    body: Block


@dataclass
class Program:
    begin: list[Block] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    end: list[Block] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)
