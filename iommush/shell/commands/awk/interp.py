"""The awk interpreter: runs a parsed :class:`~.ast.Program` over its input.

Evaluation follows POSIX awk: values are numbers, strings or strnums; arrays are
dicts keyed by strings; scalars are passed to functions by value and arrays by
reference (an unset argument becomes an array in the caller when the function uses
it as one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import ast as A
from .errors import AwkRuntimeError
from .inputs import InputMixin
from .record import Record
from .regex import compile_ere
from .statements import (
    ExitProgram,
    StatementMixin,
    _Break,
    _Continue,
    _Next,
    _NextFile,
    _Return,
)
from .streams import Outputs, RecordReader, to_bytes
from .values import (
    UNINIT,
    Value,
    compare,
    format_number,
    to_bool,
    to_num,
    to_str,
)

if TYPE_CHECKING:
    from iommush.shell.command import CommandContext

__all__ = ["ExitProgram", "Interpreter"]

#: The largest field number (mawk's limit).
MAX_FIELD = 32767


class LazyArray:
    """An unset variable passed to a function: it becomes an array in the caller's
    scope if the function uses the parameter as an array."""

    __slots__ = ("scope", "key")

    def __init__(self, scope: dict[str, Any] | list[Any], key: str | int) -> None:
        self.scope = scope
        self.key = key

    def bind(self) -> dict[str, Value]:
        scope, key = self.scope, self.key
        if isinstance(scope, dict):
            current = scope.get(str(key))
        else:
            current = scope[int(key)]
        if isinstance(current, dict):
            return current
        arr: dict[str, Value]
        if isinstance(current, LazyArray):
            arr = current.bind()
        elif current is None or current is UNINIT:
            arr = {}
        else:
            raise AwkRuntimeError(f"can't use scalar {key} as array")
        if isinstance(scope, dict):
            scope[str(key)] = arr
        else:
            scope[int(key)] = arr
        return arr


class Interpreter(StatementMixin, InputMixin):
    """One run of one program."""

    def __init__(self, prog: A.Program, ctx: CommandContext) -> None:
        self.prog = prog
        self.ctx = ctx
        self.g: dict[str, Any] = {
            "FS": " ",
            "OFS": " ",
            "ORS": "\n",
            "RS": "\n",
            "NR": 0.0,
            "FNR": 0.0,
            "NF": 0.0,
            "SUBSEP": "\x1c",
            "CONVFMT": "%.6g",
            "OFMT": "%.6g",
            "RSTART": 0.0,
            "RLENGTH": -1.0,
            "FILENAME": "",
        }
        self.record = Record()
        self.frame: list[Any] = []
        self.out = Outputs(ctx)
        self.inputs: dict[str, tuple[RecordReader | None, int]] = {}
        self.main: RecordReader | None = None
        self.argi = 1
        self.used_file = False
        self.stdin_read = False
        self.exit_status = 0
        self.seed = 0.0
        self.prev_seed = 0.0
        import random

        self.rng = random.Random(0)
        self.depth = 0
        self.ev: dict[type, Callable[[Any], Value]] = {
            A.Num: self.e_num,
            A.Str: self.e_str,
            A.Regex: self.e_regex,
            A.Group: self.e_group,
            A.Name: self.e_name,
            A.Local: self.e_local,
            A.NFVar: self.e_nf,
            A.Field: self.e_field,
            A.Index: self.e_index,
            A.Assign: self.e_assign,
            A.Cond: self.e_cond,
            A.Logical: self.e_logical,
            A.Not: self.e_not,
            A.Binary: self.e_binary,
            A.Unary: self.e_unary,
            A.Compare: self.e_compare,
            A.Match: self.e_match,
            A.Concat: self.e_concat,
            A.IncDec: self.e_incdec,
            A.In: self.e_in,
            A.Call: self.e_call,
            A.Builtin: self.e_builtin,
            A.Getline: self.e_getline,
        }
        self.ex: dict[type, Callable[[Any], None]] = {
            A.ExprStmt: self.s_expr,
            A.Print: self.s_print,
            A.Block: self.s_block,
            A.If: self.s_if,
            A.While: self.s_while,
            A.DoWhile: self.s_do,
            A.For: self.s_for,
            A.ForIn: self.s_forin,
            A.Delete: self.s_delete,
            A.Next: self.s_next,
            A.NextFile: self.s_nextfile,
            A.Break: self.s_break,
            A.Continue: self.s_continue,
            A.Exit: self.s_exit,
            A.Return: self.s_return,
        }
        from .builtins import BUILTIN_FUNCTIONS

        self.builtins = BUILTIN_FUNCTIONS

    # -- helpers ---------------------------------------------------------------------
    def eval(self, node: A.Expr) -> Value:
        return self.ev[type(node)](node)

    def exec(self, node: A.Stmt) -> None:
        self.ex[type(node)](node)

    def var(self, name: str) -> str:
        """A special variable's string value (FS, OFS, SUBSEP...)."""
        v = self.g.get(name, UNINIT)
        return v if isinstance(v, str) else to_str(v, self.convfmt)

    @property
    def convfmt(self) -> str:
        v = self.g.get("CONVFMT", "%.6g")
        return v if isinstance(v, str) else "%.6g"

    def tostr(self, v: Value) -> str:
        return v if isinstance(v, str) else format_number(v, self.convfmt)

    def output_str(self, v: Value) -> str:
        if isinstance(v, str):
            return v
        ofmt = self.g.get("OFMT", "%.6g")
        return format_number(v, ofmt if isinstance(ofmt, str) else "%.6g")

    def subscript(self, subs: list[A.Expr]) -> str:
        if len(subs) == 1:
            return self.tostr(self.eval(subs[0]))
        return self.var("SUBSEP").join(self.tostr(self.eval(s)) for s in subs)

    def array(self, node: A.Name | A.Local) -> dict[str, Value]:
        """The array ``node`` names (created on first use)."""
        if isinstance(node, A.Name):
            v = self.g.get(node.name)
            if isinstance(v, dict):
                return v
            if v is None:
                arr: dict[str, Value] = {}
                self.g[node.name] = arr
                return arr
            raise AwkRuntimeError(f"can't use scalar {node.name} as array")
        v = self.frame[node.index]
        if isinstance(v, dict):
            return v
        if isinstance(v, LazyArray):
            arr = v.bind()
            self.frame[node.index] = arr
            return arr
        if v is UNINIT:
            arr = {}
            self.frame[node.index] = arr
            return arr
        raise AwkRuntimeError(f"can't use scalar {node.name} as array")

    def regex_of(self, node: A.Expr) -> re.Pattern[str]:
        if isinstance(node, A.Regex):
            return node.rx
        return compile_ere(self.tostr(self.eval(node)))

    def assign(self, target: A.Expr, value: Value) -> Value:
        """Store ``value`` into lvalue ``target``."""
        t = type(target)
        if t is A.Name:
            name = target.name  # type: ignore[attr-defined]
            if isinstance(self.g.get(name), dict):
                raise AwkRuntimeError(f"can't assign to {name}; it's an array name.")
            self.g[name] = value
        elif t is A.Local:
            idx = target.index  # type: ignore[attr-defined]
            if isinstance(self.frame[idx], dict):
                raise AwkRuntimeError(
                    f"can't assign to {target.name}; it's an array name."  # type: ignore[attr-defined]
                )
            self.frame[idx] = value
        elif t is A.Index:
            arr = self.array(target.array)  # type: ignore[attr-defined]
            arr[self.subscript(target.subs)] = value  # type: ignore[attr-defined]
        elif t is A.Field:
            i = self.field_index(target.expr)  # type: ignore[attr-defined]
            if i == 0:
                self.set_record(self.tostr(value))
            else:
                self.record.assign(i, value, self.var("OFS"), self.convfmt)
        elif t is A.NFVar:
            self.record.set_nf(self.checked_field(to_num(value)), self.var("OFS"), self.convfmt)
            self.g["NF"] = float(self.record.nf)
        elif t is A.Group:
            return self.assign(target.expr, value)  # type: ignore[attr-defined]
        else:
            raise AwkRuntimeError("assignment to a non-lvalue")
        return value

    def field_index(self, node: A.Expr) -> int:
        return self.checked_field(to_num(self.eval(node)))

    def checked_field(self, n: float) -> int:
        """A field number (or NF value) within awk's limits."""
        if n != n or n > MAX_FIELD:
            raise AwkRuntimeError(f"${self.tostr(n)} exceeds maximum field({MAX_FIELD})")
        if n < 0:
            raise AwkRuntimeError(f"trying to access out of range field {self.tostr(n)}")
        return int(n)

    def set_record(self, text: str) -> None:
        rs = self.g.get("RS", "\n")
        self.record.set(text, self.var("FS"), rs == "")

    # -- expressions -----------------------------------------------------------------
    def e_num(self, node: A.Num) -> Value:
        return node.value

    def e_str(self, node: A.Str) -> Value:
        return node.value

    def e_regex(self, node: A.Regex) -> Value:
        return 1.0 if node.rx.search(self.tostr(self.record.text)) else 0.0

    def e_group(self, node: A.Group) -> Value:
        return self.eval(node.expr)

    def e_name(self, node: A.Name) -> Value:
        v = self.g.get(node.name, UNINIT)
        if isinstance(v, dict):
            raise AwkRuntimeError(f"can't use array {node.name} in scalar context")
        return v

    def e_local(self, node: A.Local) -> Value:
        v = self.frame[node.index]
        if isinstance(v, dict):
            raise AwkRuntimeError(f"can't use array {node.name} in scalar context")
        if isinstance(v, LazyArray):
            return UNINIT
        return v

    def e_nf(self, node: A.NFVar) -> Value:
        return float(self.record.nf)

    def e_field(self, node: A.Field) -> Value:
        return self.record.get(self.field_index(node.expr))

    def e_index(self, node: A.Index) -> Value:
        arr = self.array(node.array)
        key = self.subscript(node.subs)
        v = arr.get(key)
        if v is None:
            arr[key] = v = UNINIT
        return v

    def e_assign(self, node: A.Assign) -> Value:
        if node.op == "=":
            return self.assign(node.target, self.eval(node.value))
        right = to_num(self.eval(node.value))
        left = to_num(self.eval(node.target))
        return self.assign(node.target, self.arith(node.op[0], left, right))

    def arith(self, op: str, a: float, b: float) -> float:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:
                raise AwkRuntimeError("division by zero")
            return a / b
        if op == "%":
            if b == 0:
                raise AwkRuntimeError("division by zero in %")
            return math.fmod(a, b)
        try:
            r = math.pow(a, b)
        except OverflowError:
            r = math.inf
        except ValueError:
            r = math.nan
        return r

    def e_cond(self, node: A.Cond) -> Value:
        return self.eval(node.yes) if to_bool(self.eval(node.test)) else self.eval(node.no)

    def e_logical(self, node: A.Logical) -> Value:
        left = to_bool(self.eval(node.left))
        if node.op == "&&":
            return 1.0 if left and to_bool(self.eval(node.right)) else 0.0
        return 1.0 if left or to_bool(self.eval(node.right)) else 0.0

    def e_not(self, node: A.Not) -> Value:
        return 0.0 if to_bool(self.eval(node.expr)) else 1.0

    def e_binary(self, node: A.Binary) -> Value:
        a = to_num(self.eval(node.left))
        b = to_num(self.eval(node.right))
        return self.arith(node.op, a, b)

    def e_unary(self, node: A.Unary) -> Value:
        v = to_num(self.eval(node.expr))
        return -v if node.op == "-" else v

    def e_compare(self, node: A.Compare) -> Value:
        left = self.eval(node.left)
        right = self.eval(node.right)
        if type(left) is float and type(right) is float:
            c = -1 if left < right else (1 if left > right else 0)
        else:
            c = compare(left, right, self.convfmt)
        op = node.op
        if op == "==":
            r = c == 0
        elif op == "!=":
            r = c != 0
        elif op == "<":
            r = c < 0
        elif op == "<=":
            r = c <= 0
        elif op == ">":
            r = c > 0
        else:
            r = c >= 0
        return 1.0 if r else 0.0

    def e_match(self, node: A.Match) -> Value:
        text = self.tostr(self.eval(node.left))
        found = self.regex_of(node.regex).search(text) is not None
        return 1.0 if found != node.negate else 0.0

    def e_concat(self, node: A.Concat) -> Value:
        return "".join([self.tostr(self.eval(p)) for p in node.parts])

    def e_incdec(self, node: A.IncDec) -> Value:
        target = node.target
        delta = 1.0 if node.op == "++" else -1.0
        if type(target) is A.Name:
            g = self.g
            cur = g.get(target.name, UNINIT)
            if isinstance(cur, dict):
                raise AwkRuntimeError(f"can't use array {target.name} in scalar context")
            old = to_num(cur)
            g[target.name] = old + delta
        else:
            old = to_num(self.eval(target))
            self.assign(target, old + delta)
        return old + delta if node.prefix else old

    def e_in(self, node: A.In) -> Value:
        key = self.subscript(node.subs)
        return 1.0 if key in self.array(node.array) else 0.0

    def e_call(self, node: A.Call) -> Value:
        fn = self.prog.functions[node.name]
        frame: list[Any] = []
        for arg in node.args:
            while isinstance(arg, A.Group):
                arg = arg.expr
            if isinstance(arg, A.Name):
                v = self.g.get(arg.name)
                if isinstance(v, dict):
                    frame.append(v)
                elif v is None:
                    frame.append(LazyArray(self.g, arg.name))
                else:
                    frame.append(v)
            elif isinstance(arg, A.Local):
                v = self.frame[arg.index]
                if v is UNINIT:
                    frame.append(LazyArray(self.frame, arg.index))
                else:
                    frame.append(v)
            else:
                frame.append(self.eval(arg))
        frame.extend([UNINIT] * (len(fn.params) - len(frame)))
        saved = self.frame
        self.frame = frame
        self.depth += 1
        if self.depth > 1000:
            raise AwkRuntimeError("function call nesting too deep")
        try:
            self.s_block(fn.body)
        except _Return as ret:
            return ret.value
        finally:
            self.frame = saved
            self.depth -= 1
        return UNINIT

    def e_builtin(self, node: A.Builtin) -> Value:
        return self.builtins[node.name](self, node.args)

    # -- the program -----------------------------------------------------------------
    def run_rules(self) -> None:
        rules = self.prog.rules
        for rule in rules:
            if rule.end_pattern is not None:
                if rule.in_range:
                    matched = True
                    if to_bool(self.eval(rule.end_pattern)):
                        rule.in_range = False
                elif rule.pattern is not None and to_bool(self.eval(rule.pattern)):
                    matched = True
                    rule.in_range = not to_bool(self.eval(rule.end_pattern))
                else:
                    matched = False
            else:
                matched = rule.pattern is None or to_bool(self.eval(rule.pattern))
            if not matched:
                continue
            if rule.action is None:
                self.ctx.stdout.write(to_bytes(self.tostr(self.record.text) + self.var("ORS")))
            else:
                self.s_block(rule.action)

    def run(self) -> int:
        """Run BEGIN, the rules over every record, END; returns the exit status."""
        try:
            try:
                for block in self.prog.begin:
                    self.s_block(block)
                if self.prog.rules or self.prog.end:
                    self.main_loop()
            except ExitProgram as ex:
                if ex.status is not None:
                    self.exit_status = ex.status
            for block in self.prog.end:
                self.s_block(block)
        except ExitProgram as ex:
            if ex.status is not None:
                self.exit_status = ex.status
        except (_Next, _NextFile):
            raise AwkRuntimeError("improper use of next") from None
        except (_Break, _Continue):
            raise AwkRuntimeError("break or continue outside a loop") from None
        if not self.out.close_all():
            return 2
        return self.exit_status

    def main_loop(self) -> None:
        while True:
            rec = self.next_main_record()
            if rec is None:
                return
            self.g["NR"] = to_num(self.g["NR"]) + 1
            self.g["FNR"] = to_num(self.g["FNR"]) + 1
            self.set_record(rec)
            try:
                self.run_rules()
            except _Next:
                continue
            except _NextFile:
                self.main = None
