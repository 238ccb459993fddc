"""``find``: GNU findutils over the virtual tree.

Paths come out in ``readdir`` order, as GNU find prints them: kernfs hash order under
``/sys``, creation order elsewhere. Supported: ``-H -L -P``; ``-maxdepth -mindepth
-depth``; tests ``-name -iname -path -ipath -wholename -type -xtype -empty -perm
-readable -writable -executable -true -false``; operators ``! -not -a -and -o -or ( )``;
actions ``-print -print0 -printf -exec ... {} ;`` / ``+`` ``-prune -quit``.
"""

from __future__ import annotations

import re
import stat as st
from collections.abc import Callable
from dataclasses import dataclass, field

from iommush.shell.command import CommandContext
from iommush.vfs import Dir, Link, Node, Stat, VirtualFS, access_ok, current_cred

from ._base import UsageError, run_child, strerror, utility
from ._format import filemode
from ._fsutil import readdir, user_db

__all__ = ["find", "glob_regex"]

_WARN_GLOBAL = (
    "warning: you have specified the global option {opt} after the argument {arg}, but "
    "global options are not positional, i.e., {opt} affects tests specified before it as "
    "well as those specified after it.  Please specify global options before other "
    "arguments."
)


_GLOB_REGEX: dict[str, str] = {}


def glob_regex(pattern: str) -> str:
    """``fnmatch(3)`` pattern (no FNM_PERIOD) as a Python regular expression (each
    pattern translated once)."""
    rx = _GLOB_REGEX.get(pattern)
    if rx is None:
        rx = _GLOB_REGEX[pattern] = _translate(pattern)
    return rx


def _translate(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\" and i < len(pattern):
            out.append(re.escape(pattern[i]))
            i += 1
        elif c == "[":
            j = i
            if j < len(pattern) and pattern[j] in "!^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "[" and pattern[j + 1 : j + 2] == ":" else 1
                if pattern[j - 2 : j] == "[:":
                    end = pattern.find(":]", j)
                    j = end + 2 if end >= 0 else j
            if j >= len(pattern):
                out.append("\\[")
                continue
            body = pattern[i:j]
            i = j + 1
            neg = body[:1] in ("!", "^")
            if neg:
                body = body[1:]
            body = body.replace("\\", "\\\\")
            for name, chars in (
                ("alpha", "a-zA-Z"),
                ("digit", "0-9"),
                ("alnum", "a-zA-Z0-9"),
                ("upper", "A-Z"),
                ("lower", "a-z"),
                ("space", " \\t\\n"),
                ("xdigit", "0-9a-fA-F"),
                ("punct", "!-/:-@\\[-`{-~"),
            ):
                body = body.replace(f"[:{name}:]", chars)
            if body.startswith("]"):
                body = "\\]" + body[1:]
            body = body.replace("[", "\\[")
            out.append(("[^" if neg else "[") + body + "]")
        else:
            out.append(re.escape(c))
    return "".join(out)


class Item:
    """What the expression sees for one path; its ``stat`` is taken when a test first
    needs it (``-name`` does not, as find's ``d_type`` shortcut)."""

    __slots__ = ("path", "node", "depth", "root", "prune", "_fs", "_stat")

    def __init__(self, path: str, node: Node, depth: int, root: str, fs: VirtualFS) -> None:
        self.path = path
        self.node = node
        self.depth = depth
        self.root = root
        self.prune = False
        self._fs = fs
        self._stat: Stat | None = None

    @property
    def stat(self) -> Stat:
        if self._stat is None:
            self._stat = self._fs.stat_node(self.node)
        return self._stat


Pred = Callable[[Item], bool]


@dataclass
class Find:
    ctx: CommandContext
    follow: str = "P"  # P, H or L
    maxdepth: int | None = None
    mindepth: int = 0
    depth_first: bool = False
    status: int = 0
    quit: bool = False
    has_action: bool = False
    batches: list[tuple[list[str], list[str]]] = field(default_factory=list)
    _stack: list[Node] = field(default_factory=list)

    # -- expression parser -------------------------------------------------------
    def parse(self, args: list[str]) -> Pred:
        self.args = args
        self.pos = 0
        self.seen_test: str | None = None
        if not args:
            return lambda it: True
        pred = self.p_or()
        if self.pos < len(args):
            tok = args[self.pos]
            if tok == ")":
                raise UsageError("invalid expression; you have too many ')'", 1, hint=False)
            raise UsageError(f"paths must precede expression: `{tok}'", 1, hint=False)
        return pred

    def peek(self) -> str | None:
        return self.args[self.pos] if self.pos < len(self.args) else None

    def take(self) -> str:
        tok = self.args[self.pos]
        self.pos += 1
        return tok

    def p_or(self) -> Pred:
        left = self.p_and()
        while self.peek() in ("-o", "-or"):
            self.take()
            right = self.p_and()
            left = (lambda a, b: lambda it: a(it) or b(it))(left, right)
        return left

    def p_and(self) -> Pred:
        left = self.p_not()
        while True:
            tok = self.peek()
            if tok is None or tok in ("-o", "-or", ")"):
                return left
            if tok in ("-a", "-and"):
                self.take()
            right = self.p_not()
            left = (lambda a, b: lambda it: a(it) and b(it))(left, right)

    def p_not(self) -> Pred:
        if self.peek() in ("!", "-not"):
            self.take()
            inner = self.p_not()
            return lambda it: not inner(it)
        return self.primary()

    def arg(self, opt: str) -> str:
        if self.peek() is None:
            raise UsageError(f"missing argument to `{opt}'", 1, hint=False)
        return self.take()

    def global_opt(self, opt: str) -> None:
        if self.seen_test is not None:
            self.ctx.error(_WARN_GLOBAL.format(opt=opt, arg=self.seen_test))

    def primary(self) -> Pred:
        if self.peek() is None:
            raise UsageError("invalid expression", 1, hint=False)
        tok = self.take()
        if tok == "(":
            inner = self.p_or()
            if self.peek() != ")":
                raise UsageError(
                    "invalid expression; I was expecting to find a ')' somewhere "
                    "but did not see one.",
                    1,
                    hint=False,
                )
            self.take()
            return inner
        if tok in ("-maxdepth", "-mindepth"):
            value = self.arg(tok)
            if not value.isdigit():
                raise UsageError(
                    f"Expected a positive decimal integer argument to {tok}, but got `{value}'",
                    1,
                    hint=False,
                )
            self.global_opt(tok)
            if tok == "-maxdepth":
                self.maxdepth = int(value)
            else:
                self.mindepth = int(value)
            return lambda it: True
        if tok in ("-depth", "-d"):
            self.global_opt(tok)
            self.depth_first = True
            return lambda it: True
        if tok in ("-noleaf", "-xdev", "-mount", "-ignore_readdir_race", "-follow"):
            if tok == "-follow":
                self.follow = "L"
            return lambda it: True
        if self.seen_test is None:
            self.seen_test = tok
        if tok in ("-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename"):
            pattern = self.arg(tok)
            flags = re.IGNORECASE | re.DOTALL if tok.startswith("-i") else re.DOTALL
            rx = re.compile(glob_regex(pattern) + r"\Z", flags)
            if tok in ("-name", "-iname"):
                return lambda it: rx.match(_base(it.path)) is not None
            return lambda it: rx.match(it.path) is not None
        if tok in ("-type", "-xtype"):
            letters = self.arg(tok).split(",")
            for t in letters:
                if t not in ("f", "d", "l", "c", "b", "p", "s") or not t:
                    raise UsageError(f"Unknown argument to {tok}: {t}", 1, hint=False)
            want = set(letters)
            if tok == "-type":
                return lambda it: _type_letter(it.stat.st_mode) in want
            return lambda it: self.xtype(it) in want
        if tok == "-empty":
            return lambda it: (
                (isinstance(it.node, Dir) and not it.node.children)
                or (st.S_ISREG(it.stat.st_mode) and it.stat.st_size == 0)
            )
        if tok == "-perm":
            return self.perm(self.arg(tok))
        if tok in ("-readable", "-writable", "-executable"):
            want_bit = {"-readable": 4, "-writable": 2, "-executable": 1}[tok]
            return lambda it: access_ok(it.node, want_bit, current_cred())
        if tok == "-true":
            return lambda it: True
        if tok == "-false":
            return lambda it: False
        if tok == "-lname":
            rx = re.compile(glob_regex(self.arg(tok)) + r"\Z", re.DOTALL)
            return lambda it: isinstance(it.node, Link) and rx.match(it.node.readlink()) is not None
        if tok in ("-print", "-print0"):
            self.has_action = True
            end = "\n" if tok == "-print" else "\0"
            return lambda it: self.emit(it.path + end)
        if tok in ("-fprint", "-ls"):
            raise UsageError(f"unsupported primary `{tok}'", 1, hint=False)
        if tok == "-printf":
            self.has_action = True
            fmt = self.arg(tok)
            return lambda it: self.emit(self.printf(fmt, it))
        if tok == "-prune":

            def prune(it: Item) -> bool:
                it.prune = True
                return True

            return prune
        if tok == "-quit":

            def quit_(it: Item) -> bool:
                self.quit = True
                return True

            return quit_
        if tok in ("-exec", "-ok", "-execdir"):
            self.has_action = True
            return self.exec_(tok)
        if tok.startswith("-"):
            raise UsageError(f"unknown predicate `{tok}'", 1, hint=False)
        raise UsageError(f"paths must precede expression: `{tok}'", 1, hint=False)

    def perm(self, spec: str) -> Pred:
        kind = spec[0] if spec[:1] in ("-", "/") else ""
        digits = spec[1:] if kind else spec
        if not digits or any(c not in "01234567" for c in digits):
            raise UsageError(f"invalid mode `{spec}'", 1, hint=False)
        mode = int(digits, 8)
        if kind == "-":
            return lambda it: it.stat.st_mode & mode == mode
        if kind == "/":
            return lambda it: mode == 0 or bool(it.stat.st_mode & mode)
        return lambda it: it.stat.st_mode & 0o7777 == mode

    def exec_(self, tok: str) -> Pred:
        cmd: list[str] = []
        while True:
            if self.peek() is None:
                raise UsageError(f"missing argument to `{tok}'", 1, hint=False)
            word = self.take()
            if word == ";":
                break
            if word == "+" and cmd and cmd[-1] == "{}":
                batch: list[str] = []
                self.batches.append((cmd[:-1], batch))

                def add(it: Item, batch: list[str] = batch) -> bool:
                    batch.append(it.path)
                    return True

                return add
            cmd.append(word)
        if not cmd:
            raise UsageError(f"missing argument to `{tok}'", 1, hint=False)

        def run(it: Item) -> bool:
            argv = [w.replace("{}", it.path) for w in cmd]
            return self.run(argv) == 0

        return run

    def run(self, argv: list[str]) -> int:
        return run_child(self.ctx, argv)

    # -- evaluation --------------------------------------------------------------
    def emit(self, text: str) -> bool:
        self.ctx.out(text)
        return True

    def xtype(self, it: Item) -> str:
        if isinstance(it.node, Link):
            try:
                return _type_letter(self.ctx.fs.stat(it.path, self.ctx.cwd).st_mode)
            except OSError:
                return "l"
        return _type_letter(it.stat.st_mode)

    def printf(self, fmt: str, it: Item) -> str:
        out = []
        i = 0
        while i < len(fmt):
            c = fmt[i]
            if c == "\\" and i + 1 < len(fmt):
                d = fmt[i + 1]
                out.append(
                    {"n": "\n", "t": "\t", "0": "\0", "\\": "\\", "r": "\r"}.get(d, "\\" + d)
                )
                i += 2
                continue
            if c == "%" and i + 1 < len(fmt):
                m = re.match(r"%(-?)(\d*)([%pfhPlyYmMsugUGidDk])", fmt[i:])
                if m:
                    val = self.directive(m.group(3), it)
                    if m.group(2):
                        w = int(m.group(2))
                        val = val.ljust(w) if m.group(1) else val.rjust(w)
                    out.append(val)
                    i += m.end()
                    continue
            out.append(c)
            i += 1
        return "".join(out)

    def directive(self, d: str, it: Item) -> str:
        s = it.stat
        if d == "%":
            return "%"
        if d == "p":
            return it.path
        if d == "f":
            return _base(it.path)
        if d == "h":
            head = it.path.rstrip("/").rsplit("/", 1)
            return (head[0] or "/") if len(head) == 2 else "."
        if d == "P":
            rel = it.path[len(it.root) :]
            return rel.lstrip("/")
        if d == "l":
            return it.node.readlink() if isinstance(it.node, Link) else ""
        if d == "y":
            return _type_letter(s.st_mode)
        if d == "Y":
            return self.xtype(it)
        if d == "m":
            return f"{s.st_mode & 0o7777:o}"
        if d == "M":
            return filemode(s.st_mode)
        if d == "s":
            return str(s.st_size)
        if d in ("u", "g"):
            db = user_db(self.ctx.fs)
            name = db.user_name(s.st_uid) if d == "u" else db.group_name(s.st_gid)
            return name if name is not None else str(s.st_uid if d == "u" else s.st_gid)
        if d == "U":
            return str(s.st_uid)
        if d == "G":
            return str(s.st_gid)
        if d == "i":
            return str(s.st_ino)
        if d == "d":
            return str(it.depth)
        if d == "D":
            return "21"
        if d == "k":
            return "0"
        return ""

    def walk(
        self,
        path: str,
        root: str,
        depth: int,
        pred: Pred,
        follow: bool,
        parent: Dir | None = None,
        name: str = "",
    ) -> None:
        """Visit ``path`` and what is below it; below the starting points, ``parent`` is
        the directory being read and ``name`` the entry's name in it."""
        fs = self.ctx.fs

        def look(follow: bool) -> Node:
            if parent is None:
                return fs.resolve(path, self.ctx.cwd, follow=follow)
            return fs.lookup(parent, name, follow=follow)

        try:
            node = look(follow)
        except OSError as exc:
            if follow and depth > 0:
                try:
                    node = look(False)
                except OSError:
                    self.fail(path, exc.errno)
                    return
            else:
                self.fail(path, exc.errno)
                return
        it = Item(path, node, depth, root, fs)
        descend = isinstance(node, Dir) and (self.maxdepth is None or depth < self.maxdepth)
        if not self.depth_first and depth >= self.mindepth:
            pred(it)
            if self.quit:
                return
        if descend and not it.prune:
            if self.follow == "L" and any(a is node for a in self._stack):
                self.ctx.error(
                    f"File system loop detected; '{path}' is part of the same "
                    "file system loop as '{root}'."
                )
                self.status = 1
                return
            self._stack.append(node)
            try:
                assert isinstance(node, Dir)
                names: list[str] = []
                try:
                    fs.list_node(node, path)
                except OSError as exc:
                    self.fail(path, exc.errno)
                else:
                    names = readdir(node)
                for entry in names:
                    child = path + entry if path.endswith("/") else f"{path}/{entry}"
                    self.walk(child, root, depth + 1, pred, self.follow == "L", node, entry)
                    if self.quit:
                        return
            finally:
                self._stack.pop()
        if self.depth_first and depth >= self.mindepth:
            pred(it)

    def fail(self, path: str, code: int | None) -> None:
        self.ctx.error(f"'{path}': {strerror(code)}")
        self.status = 1


def _base(path: str) -> str:
    stripped = path.rstrip("/")
    if not stripped:
        return "/"
    return stripped.rsplit("/", 1)[-1]


def _type_letter(mode: int) -> str:
    if st.S_ISDIR(mode):
        return "d"
    if st.S_ISLNK(mode):
        return "l"
    if st.S_ISCHR(mode):
        return "c"
    if st.S_ISBLK(mode):
        return "b"
    if st.S_ISFIFO(mode):
        return "p"
    if st.S_ISSOCK(mode):
        return "s"
    return "f"


@utility(
    "find",
    "find [-H|-L|-P] [PATH...] [EXPRESSION]",
    "search for files in a directory hierarchy",
    options=(
        "-name",
        "-iname",
        "-type",
        "-maxdepth",
        "-mindepth",
        "-path",
        "-print",
        "-print0",
        "-printf",
        "-exec",
        "-quit",
        "-prune",
    ),
)
def find(ctx: CommandContext) -> int:
    """Walk each PATH (``.`` by default) and evaluate EXPRESSION on every name."""
    args = ctx.argv[1:]
    f = Find(ctx)
    while args and args[0] in ("-H", "-L", "-P"):
        f.follow = args.pop(0)[1]
    paths: list[str] = []
    while (
        args
        and not (args[0].startswith("-") and len(args[0]) > 1)
        and args[0] not in ("(", "!", ")")
    ):
        paths.append(args.pop(0))
    pred = f.parse(args)
    if not f.has_action:
        inner = pred
        pred = lambda it: inner(it) and f.emit(it.path + "\n")  # noqa: E731
    for path in paths or ["."]:
        if path == "":
            ctx.error("'': No such file or directory")
            f.status = 1
            continue
        f.walk(path, path, 0, pred, f.follow in ("H", "L"))
        if f.quit:
            break
    for cmd, batch in f.batches:
        if batch and f.run(cmd + batch) != 0:
            f.status = 1
    return f.status
