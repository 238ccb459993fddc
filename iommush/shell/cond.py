"""Conditional expressions: ``[[ ... ]]`` and the ``test``/``[`` builtin, with file
tests answered by the virtual tree (``stat``, ``access`` under the caller's
credentials, as ``test -w`` calls ``access(2)``).
"""

from __future__ import annotations

import re
import stat as st
from typing import TYPE_CHECKING

from . import pattern as pat
from .ast import CondAnd, CondBinary, CondExpr, CondNot, CondOr, CondWord
from .errors import ExpansionError

if TYPE_CHECKING:
    from .interp import Interp

__all__ = ["TestError", "eval_cond", "file_test", "test_args", "UNARY_OPS", "BINARY_OPS"]

UNARY_OPS = frozenset(
    "-a -b -c -d -e -f -g -h -k -p -r -s -t -u -w -x -G -L -N -O -S -z -n -o -v -R".split()
)
BINARY_OPS = frozenset("= == != < > -eq -ne -lt -le -gt -ge -nt -ot -ef =~".split())
_INT = re.compile(r"\s*[-+]?[0-9]+\s*\Z")


class TestError(ExpansionError):
    """A malformed ``test`` expression (status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=2)


def file_test(interp: Interp, op: str, path: str) -> bool:
    """The unary file operators of ``test``."""
    from iommush.vfs import access_ok, current_cred

    fs = interp.fs
    cwd = interp.state.cwd
    if path == "":
        return False
    try:
        if op in ("-h", "-L"):
            return fs.stat(path, cwd, follow=False).is_link
        node = fs.resolve(path, cwd)
        s = fs.stat_node(node)
    except OSError:
        return False
    mode = s.st_mode
    if op in ("-e", "-a"):
        return True
    if op == "-f":
        return st.S_ISREG(mode)
    if op == "-d":
        return st.S_ISDIR(mode)
    if op == "-b":
        return st.S_ISBLK(mode)
    if op == "-c":
        return st.S_ISCHR(mode)
    if op == "-p":
        return st.S_ISFIFO(mode)
    if op == "-S":
        return st.S_ISSOCK(mode)
    if op == "-s":
        return s.st_size > 0
    if op in ("-r", "-w", "-x"):
        want = {"-r": 4, "-w": 2, "-x": 1}[op]
        return access_ok(node, want, current_cred())
    if op == "-u":
        return bool(mode & st.S_ISUID)
    if op == "-g":
        return bool(mode & st.S_ISGID)
    if op == "-k":
        return bool(mode & st.S_ISVTX)
    if op == "-O":
        return s.st_uid == current_cred().uid
    if op == "-G":
        return s.st_gid == current_cred().gid
    if op == "-N":
        return True
    return False


def _unary(interp: Interp, op: str, arg: str) -> bool:
    if op == "-n":
        return arg != ""
    if op == "-z":
        return arg == ""
    if op == "-o":
        return arg in interp.state.options
    if op in ("-v", "-R"):
        name, _, idx = arg.partition("[")
        var = interp.state.lookup(name)
        if var is None or var.value is None:
            return False
        if idx and isinstance(var.value, dict):
            key = idx.rstrip("]")
            return (key if isinstance(next(iter(var.value), ""), str) else _toint(key)) in var.value
        return True
    if op == "-t":
        try:
            fd = int(arg)
        except ValueError:
            return False
        s = interp.fds.get(fd)
        return s is not None and s is interp.host_stdout and interp.interactive
    return file_test(interp, op, arg)


def _toint(s: str) -> int:
    try:
        return int(s)
    except ValueError:
        return -1


def _files(interp: Interp, op: str, a: str, b: str) -> bool:
    fs = interp.fs
    cwd = interp.state.cwd
    try:
        sa = fs.stat(a, cwd)
    except OSError:
        sa = None
    try:
        sb = fs.stat(b, cwd)
    except OSError:
        sb = None
    if op == "-ef":
        return sa is not None and sb is not None and sa.st_ino == sb.st_ino
    if op == "-nt":
        return sa is not None and (sb is None or sa.st_mtime > sb.st_mtime)
    return sb is not None and (sa is None or sa.st_mtime < sb.st_mtime)


def _intcmp(op: str, a: int, b: int) -> bool:
    return {
        "-eq": a == b, "-ne": a != b, "-lt": a < b,
        "-le": a <= b, "-gt": a > b, "-ge": a >= b,
    }[op]  # fmt: skip


# -- [[ ]] -------------------------------------------------------------------------
def eval_cond(interp: Interp, expr: CondExpr) -> int:
    """Status of ``[[ expr ]]``: 0 true, 1 false, 2 for a bad regex."""
    return 0 if _cond(interp, expr) else 1


def _cond(interp: Interp, e: CondExpr) -> bool:
    if isinstance(e, CondBinary):
        return _cond_binary(interp, e)
    if isinstance(e, CondAnd):
        return _cond(interp, e.left) and _cond(interp, e.right)
    if isinstance(e, CondOr):
        return _cond(interp, e.left) or _cond(interp, e.right)
    if isinstance(e, CondNot):
        return not _cond(interp, e.expr)
    if isinstance(e, CondWord):
        return interp.expand_word(e.word) != ""
    return _unary(interp, e.op, interp.expand_word(e.word))


def _cond_binary(interp: Interp, e: CondBinary) -> bool:
    op = e.op
    left = interp.expand_word(e.left)
    if op in ("==", "=", "!="):
        p = interp.expand_pattern(e.right)
        m = pat.match(p, left)
        return m if op != "!=" else not m
    if op == "=~":
        return _regex(interp, left, e)
    right = interp.expand_word(e.right)
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op in ("-nt", "-ot", "-ef"):
        return _files(interp, op, left, right)
    return _intcmp(op, interp.arith_text(left), interp.arith_text(right))


def _regex(interp: Interp, left: str, e: CondBinary) -> bool:
    frags = interp._frags(e.right.parts, False, join_at=True)
    rx = "".join(re.escape(f[0]) if f[1] else f[0] for f in frags if f is not None)
    try:
        m = re.search(_ere(rx), left)
    except re.error:
        raise ExpansionError("", status=2) from None
    if m is None:
        interp.state.set_array("BASH_REMATCH", {})
        return False
    groups = [m.group(0)] + [g or "" for g in m.groups()]
    interp.state.set_array("BASH_REMATCH", dict(enumerate(groups)))
    return True


def _ere(rx: str) -> str:
    """POSIX ERE bracket classes to Python's."""
    for name, body in pat._CLASSES.items():
        rx = rx.replace(f"[:{name}:]", body)
    return rx


# -- test / [ ----------------------------------------------------------------------
def test_args(interp: Interp, args: list[str], name: str = "test") -> int:
    """``test`` with POSIX's rules for 0-4 arguments, then a full grammar."""
    n = len(args)
    if n == 0:
        return 1
    if n == 1:
        return 0 if args[0] != "" else 1
    if n == 2:
        if args[0] == "!":
            return 1 if args[1] != "" else 0
        if args[0] in UNARY_OPS:
            return 0 if _unary(interp, args[0], args[1]) else 1
        raise TestError(f"{name}: {args[0]}: unary operator expected")
    if n == 3:
        if args[1] in BINARY_OPS and args[1] != "=~":
            return 0 if _binary(interp, args[0], args[1], args[2], name) else 1
        if args[1] in ("-a", "-o"):
            a, b = args[0] != "", args[2] != ""
            return 0 if ((a and b) if args[1] == "-a" else (a or b)) else 1
        if args[0] == "!":
            return 1 - test_args(interp, args[1:], name) if True else 0
        if args[0] == "(" and args[2] == ")":
            return 0 if args[1] != "" else 1
        raise TestError(f"{name}: {args[1]}: binary operator expected")
    if n == 4:
        if args[0] == "!":
            return 1 - test_args(interp, args[1:], name)
        if args[0] == "(" and args[3] == ")":
            return test_args(interp, args[1:3], name)
    p = _TestParser(interp, args, name)
    value = p.or_()
    if p.i < len(args):
        raise TestError(f"{name}: too many arguments")
    return 0 if value else 1


class _TestParser:
    def __init__(self, interp: Interp, args: list[str], name: str) -> None:
        self.interp = interp
        self.args = args
        self.i = 0
        self.name = name

    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.args[j] if j < len(self.args) else None

    def or_(self) -> bool:
        v = self.and_()
        while self.peek() == "-o":
            self.i += 1
            r = self.and_()
            v = v or r
        return v

    def and_(self) -> bool:
        v = self.not_()
        while self.peek() == "-a":
            self.i += 1
            r = self.not_()
            v = v and r
        return v

    def not_(self) -> bool:
        if self.peek() == "!":
            self.i += 1
            return not self.not_()
        return self.primary()

    def primary(self) -> bool:
        a = self.peek()
        if a is None:
            raise TestError(f"{self.name}: argument expected")
        if a == "(":
            self.i += 1
            v = self.or_()
            if self.peek() != ")":
                raise TestError(f"{self.name}: `)' expected")
            self.i += 1
            return v
        op = self.peek(1)
        if op is not None and op in BINARY_OPS and op != "=~" and self.peek(2) is not None:
            self.i += 3
            return _binary(self.interp, a, op, self.args[self.i - 1], self.name)
        if a in UNARY_OPS and op is not None:
            self.i += 2
            return _unary(self.interp, a, op)
        self.i += 1
        return a != ""


def _binary(interp: Interp, a: str, op: str, b: str, name: str) -> bool:
    if op in ("=", "=="):
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op in ("-nt", "-ot", "-ef"):
        return _files(interp, op, a, b)
    for s in (a, b):
        if not _INT.match(s):
            raise TestError(f"{name}: {s}: integer expression expected")
    return _intcmp(op, int(a), int(b))
