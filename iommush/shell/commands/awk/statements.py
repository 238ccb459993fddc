"""The statements of the interpreter: print/printf, control flow, delete, and the
exceptions that carry ``next``, ``exit``, ``break``, ``continue`` and ``return``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import ast as A
from .format import sprintf
from .streams import Outputs, to_bytes
from .values import UNINIT, Value, strnum, to_bool, to_int, to_num

if TYPE_CHECKING:
    from iommush.shell.command import CommandContext

    from .record import Record

__all__ = ["ExitProgram", "StatementMixin"]


class ExitProgram(Exception):
    """``exit [status]``."""

    def __init__(self, status: int | None) -> None:
        super().__init__(status)
        self.status = status


class _Next(Exception):
    pass


class _NextFile(Exception):
    pass


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Value) -> None:
        super().__init__()
        self.value = value


class StatementMixin:
    """Executing statements: the part of :class:`~.interp.Interpreter` that does it."""

    ctx: CommandContext
    out: Outputs
    record: Record
    ex: dict[type, Callable[[Any], None]]

    def eval(self, node: A.Expr) -> Value:
        raise NotImplementedError

    def exec(self, node: A.Stmt) -> None:
        raise NotImplementedError

    def tostr(self, v: Value) -> str:
        raise NotImplementedError

    def output_str(self, v: Value) -> str:
        raise NotImplementedError

    def var(self, name: str) -> str:
        raise NotImplementedError

    @property
    def convfmt(self) -> str:
        raise NotImplementedError

    def assign(self, target: A.Expr, value: Value) -> Value:
        raise NotImplementedError

    def array(self, node: A.Name | A.Local) -> dict[str, Value]:
        raise NotImplementedError

    def subscript(self, subs: list[A.Expr]) -> str:
        raise NotImplementedError

    def s_expr(self, node: A.ExprStmt) -> None:
        self.eval(node.expr)

    def s_print(self, node: A.Print) -> None:
        if node.printf:
            vals = [self.eval(a) for a in node.args]
            text = sprintf(self.tostr(vals[0]), vals[1:], self.convfmt)
        elif not node.args:
            text = self.tostr(self.record.text) + self.var("ORS")
        else:
            text = self.var("OFS").join(
                [self.output_str(self.eval(a)) for a in node.args]
            ) + self.var("ORS")
        data = to_bytes(text)
        if node.dest is None:
            self.ctx.stdout.write(data)
        else:
            self.out.write(node.mode, self.tostr(self.eval(node.dest)), data)

    def s_block(self, node: A.Block) -> None:
        ex = self.ex
        for stmt in node.body:
            ex[type(stmt)](stmt)

    def s_if(self, node: A.If) -> None:
        if to_bool(self.eval(node.test)):
            self.exec(node.then)
        elif node.orelse is not None:
            self.exec(node.orelse)

    def s_while(self, node: A.While) -> None:
        while to_bool(self.eval(node.test)):
            try:
                self.exec(node.body)
            except _Break:
                break
            except _Continue:
                continue

    def s_do(self, node: A.DoWhile) -> None:
        while True:
            try:
                self.exec(node.body)
            except _Break:
                break
            except _Continue:
                pass
            if not to_bool(self.eval(node.test)):
                break

    def s_for(self, node: A.For) -> None:
        if node.init is not None:
            self.eval(node.init)
        while node.test is None or to_bool(self.eval(node.test)):
            try:
                self.exec(node.body)
            except _Break:
                break
            except _Continue:
                pass
            if node.step is not None:
                self.eval(node.step)

    def s_forin(self, node: A.ForIn) -> None:
        arr = self.array(node.array)
        for key in list(arr):
            if key not in arr:
                continue
            self.assign(node.var, strnum(key))
            try:
                self.exec(node.body)
            except _Break:
                break
            except _Continue:
                pass

    def s_delete(self, node: A.Delete) -> None:
        arr = self.array(node.array)
        if node.subs is None:
            arr.clear()
        else:
            arr.pop(self.subscript(node.subs), None)

    def s_next(self, node: A.Next) -> None:
        raise _Next

    def s_nextfile(self, node: A.NextFile) -> None:
        raise _NextFile

    def s_break(self, node: A.Break) -> None:
        raise _Break

    def s_continue(self, node: A.Continue) -> None:
        raise _Continue

    def s_exit(self, node: A.Exit) -> None:
        status = None
        if node.value is not None:
            status = to_int(to_num(self.eval(node.value))) & 0xFF
        raise ExitProgram(status)

    def s_return(self, node: A.Return) -> None:
        raise _Return(UNINIT if node.value is None else self.eval(node.value))
