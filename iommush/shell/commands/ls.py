"""``ls``: GNU coreutils ``ls`` over the virtual tree.

Output is one name per line unless stdout is a terminal (then columns, and colour with
``--color=auto``); ``-l`` prints GNU's long format with owner and group names from the
virtual ``/etc/passwd`` and ``/etc/group``. Errors and statuses follow coreutils:
``ls: cannot access 'x': No such file or directory`` and status 2 for a bad operand.
"""

from __future__ import annotations

import os
import stat as st
import time
from dataclasses import dataclass

from iommush.shell.command import CommandContext
from iommush.vfs import Dir, Link, Node, Stat

from ._base import UsageError, parse_options, quote, strerror, utility
from ._format import columns, filemode, human_size, ls_date
from ._fsutil import Passwd, readdir, user_db

__all__ = ["ls"]

_LONG = {
    "all": "a",
    "almost-all": "A",
    "directory": "d",
    "recursive": "R",
    "dereference": "L",
    "classify": "F",
    "inode": "i",
    "numeric-uid-gid": "n",
    "human-readable": "h",
    "reverse": "r",
    "color?": "color",
    "colour?": "color",
    "help": "help",
    "size": "s",
    "full-time": "full-time",
}

_COLORS = {"di": "01;34", "ln": "01;36", "ex": "01;32", "or": "40;31;01", "cd": "40;33;01"}


@dataclass
class Entry:
    """One name to print: what ``lstat`` said and, for a link, what it points to."""

    name: str
    path: str
    node: Node
    stat: Stat
    target: Stat | None = None
    link_text: str = ""


class Lister:
    """One run of ``ls``: options, the output being built and the exit status."""

    def __init__(self, ctx: CommandContext, opts: dict[str, bool], color: bool) -> None:
        self.ctx = ctx
        self.o = opts
        self.color = color
        self.status = 0
        self.users: Passwd | None = None
        self.lines: list[str] = []
        self.now = time.time()

    # -- collecting ----------------------------------------------------------------
    def entry(self, name: str, path: str, follow: bool, parent: Dir | None = None) -> Entry:
        """The entry ``path`` names; ``parent`` is the directory it was listed from (its
        last name is then looked up there, without walking the whole path again)."""
        fs = self.ctx.fs
        if parent is None:
            node = fs.resolve(path, self.ctx.cwd, follow=follow)
        else:
            node = fs.lookup(parent, name, follow=follow)
        e = Entry(name, path, node, fs.stat_node(node))
        # what a link points to shows in long listings and colours, and decides whether
        # a command-line argument is followed; a plain listing never looks
        if isinstance(node, Link) and (parent is None or self.o["l"] or self.color):
            e.link_text = node.readlink()
            try:
                if parent is None:
                    e.target = fs.stat(path, self.ctx.cwd)
                else:
                    e.target = fs.stat_node(fs.lookup(parent, name))
            except OSError:
                e.target = None
        return e

    def children(self, d: Entry, top: bool) -> list[Entry] | None:
        fs = self.ctx.fs
        node = d.node
        try:
            names = fs.list_node(node, d.path)
        except OSError as exc:
            self.ctx.error(f"cannot open directory {quote(d.path)}: {strerror(exc.errno)}")
            self.status = 2 if top else max(self.status, 1)
            return None
        assert isinstance(node, Dir)
        if self.o["U"]:
            names = readdir(node)
        out: list[Entry] = []
        if self.o["a"]:
            out.append(Entry(".", d.path, node, fs.stat_node(node)))
            parent = node.parent or node
            out.append(Entry("..", d.path, parent, fs.stat_node(parent)))
        for name in names:
            if name.startswith(".") and not (self.o["a"] or self.o["A"]):
                continue
            path = d.path.rstrip("/") + "/" + name if d.path != "/" else "/" + name
            try:
                out.append(self.entry(name, path, self.o["L"], node))
            except OSError as exc:
                self.ctx.error(f"cannot access {quote(path)}: {strerror(exc.errno)}")
                self.status = max(self.status, 1)
        return out

    def sort(self, entries: list[Entry]) -> list[Entry]:
        if self.o["U"]:
            return entries

        def name_key(e: Entry) -> bytes:
            return e.name.encode("utf-8", "surrogateescape")

        entries = sorted(entries, key=name_key)
        if self.o["t"]:
            entries.sort(key=lambda e: -e.stat.st_mtime)
        elif self.o["S"]:
            entries.sort(key=lambda e: -e.stat.st_size)
        if self.o["r"]:
            entries.reverse()
        return entries

    # -- printing ------------------------------------------------------------------
    def indicator(self, mode: int) -> str:
        if not self.o["F"]:
            return ""
        if st.S_ISDIR(mode):
            return "/"
        if st.S_ISLNK(mode):
            return "@"
        if st.S_ISFIFO(mode):
            return "|"
        if st.S_ISSOCK(mode):
            return "="
        if st.S_ISREG(mode) and mode & 0o111:
            return "*"
        return ""

    def paint(self, name: str, e: Entry | None, mode: int) -> str:
        if not self.color or e is None:
            return name
        if st.S_ISLNK(mode):
            code = _COLORS["ln"] if e.target is not None else _COLORS["or"]
        elif st.S_ISDIR(mode):
            code = _COLORS["di"]
        elif st.S_ISCHR(mode):
            code = _COLORS["cd"]
        elif st.S_ISREG(mode) and mode & 0o111:
            code = _COLORS["ex"]
        else:
            return name
        return f"\x1b[{code}m{name}\x1b[0m"

    def short_name(self, e: Entry) -> str:
        mode = e.stat.st_mode
        ind = self.indicator(mode)
        text = self.paint(e.name, e, mode) + ind
        if self.o["i"]:
            text = f"{e.stat.st_ino} {text}"
        return text

    def owner(self, uid: int, group: bool) -> str:
        if self.o["n"]:
            return str(uid)
        if self.users is None:
            self.users = user_db(self.ctx.fs)
        name = self.users.group_name(uid) if group else self.users.user_name(uid)
        return name if name is not None else str(uid)

    def size_text(self, s: Stat) -> str:
        if self.o["h"]:
            return human_size(s.st_size)
        return str(s.st_size)

    def long_lines(self, entries: list[Entry]) -> list[str]:
        rows = []
        for e in entries:
            s = e.stat
            if st.S_ISCHR(s.st_mode) or st.S_ISBLK(s.st_mode):
                size: tuple[str, str] | str = (str(os.major(s.st_rdev)), str(os.minor(s.st_rdev)))
            else:
                size = self.size_text(s)
            rows.append(
                (
                    str(s.st_ino),
                    filemode(s.st_mode),
                    str(s.st_nlink),
                    self.owner(s.st_uid, False),
                    self.owner(s.st_gid, True),
                    size,
                    e,
                )
            )
        if not rows:
            return []
        w_ino = max(len(r[0]) for r in rows)
        w_link = max(len(r[2]) for r in rows)
        w_user = max(len(r[3]) for r in rows)
        w_group = max(len(r[4]) for r in rows)
        w_major = max((len(r[5][0]) for r in rows if isinstance(r[5], tuple)), default=0)
        w_minor = max((len(r[5][1]) for r in rows if isinstance(r[5], tuple)), default=0)
        w_size = (
            max(len(r[5]) for r in rows if isinstance(r[5], str))
            if any(isinstance(r[5], str) for r in rows)
            else 0
        )
        if w_major:
            w_size = max(w_size, w_major + 2 + w_minor)
        out = []
        for ino, mode, nlink, user, group, size, e in rows:
            if isinstance(size, tuple):
                blanks = w_size - (w_major + 2 + w_minor)
                size_col = f"{size[0].rjust(blanks + w_major)}, {size[1].rjust(w_minor)}"
            else:
                size_col = size.rjust(w_size)
            line = f"{mode} {nlink.rjust(w_link)} {user.ljust(w_user)} {group.ljust(w_group)} "
            line += f"{size_col} {ls_date(e.stat.st_mtime, self.now)} "
            if self.o["i"]:
                line = f"{ino.rjust(w_ino)} {line}"
            line += self.paint(e.name, e, e.stat.st_mode)
            if e.link_text and st.S_ISLNK(e.stat.st_mode):
                tmode = e.target.st_mode if e.target is not None else 0
                target = self.paint(e.link_text, e if e.target else None, tmode)
                line += f" -> {target}{self.indicator(tmode) if e.target else ''}"
            else:
                line += self.indicator(e.stat.st_mode)
            out.append(line)
        return out

    def total(self, entries: list[Entry]) -> str:
        blocks = 0
        for e in entries:
            if st.S_ISREG(e.stat.st_mode) and e.stat.st_size and not e.path.startswith("/sys"):
                blocks += -(-e.stat.st_size // 4096) * 4
        return f"total {human_size(blocks * 1024) if self.o['h'] else blocks}"

    def emit(self, entries: list[Entry], with_total: bool) -> None:
        if self.o["l"]:
            if with_total:
                self.lines.append(self.total(entries))
            self.lines.extend(self.long_lines(entries))
        elif self.o["1"] or not self.ctx.interactive:
            self.lines.extend(self.short_name(e) for e in entries)
        else:
            names = [self.short_name(e) for e in entries]
            if self.color:
                self.lines.extend(names)  # escape codes break width arithmetic: one per line
            else:
                width = int(self.ctx.env.get("COLUMNS", "80") or 80)
                self.lines.extend(columns(names, width))

    def list_dir(self, d: Entry, header: bool, top: bool, first: bool) -> None:
        if header:
            if not first:
                self.lines.append("")
            self.lines.append(f"{d.path}:")
        kids = self.children(d, top)
        if kids is None:
            return
        kids = self.sort(kids)
        self.emit(kids, True)
        if self.o["R"]:
            for k in kids:
                if k.name in (".", "..") or not st.S_ISDIR(k.stat.st_mode):
                    continue
                self.list_dir(k, True, False, False)

    def flush(self) -> None:
        if self.lines:
            self.ctx.out("\n".join(self.lines) + "\n")
            self.lines = []


@utility(
    "ls",
    "ls [-laAdRLF1inhtrSU] [FILE]...",
    "list directory contents",
    options=tuple("-" + c for c in "laAdRLF1inhtrSU") + ("--color=",),
)
def ls(ctx: CommandContext) -> int:
    """List each FILE (the current directory by default), sorted by name."""
    opts = parse_options(ctx.argv[1:], "laAdRLF1inhtrSUsfgoc", _LONG, status=2)
    if opts.has("help"):
        ctx.out("Usage: ls [OPTION]... [FILE]...\n")
        return 0
    flags = {c: opts.has(c) for c in "laAdRLF1inhtrSU"}
    if opts.has("f"):
        flags.update(a=True, U=True)
    if opts.has("n") or opts.has("g") or opts.has("o"):
        flags["l"] = True
    color_arg = opts.last("color")
    color = False
    if color_arg is not None:
        if color_arg in ("", "always", "yes", "force"):
            color = True
        elif color_arg in ("auto", "tty", "if-tty"):
            color = ctx.interactive and "NO_COLOR" not in ctx.env
        elif color_arg not in ("never", "no", "none"):
            raise UsageError(
                f"invalid argument {quote(color_arg)} for '--color'\n"
                "Valid arguments are:\n  - 'always', 'yes', 'force'\n  - 'never', 'no', 'none'\n"
                "  - 'auto', 'tty', 'if-tty'",
                2,
            )
    lister = Lister(ctx, flags, color)
    args = opts.operands or ["."]
    files: list[Entry] = []
    dirs: list[Entry] = []
    for arg in args:
        follow_cmdline = flags["L"] or not (flags["l"] or flags["d"] or flags["F"])
        try:
            e = lister.entry(arg, arg, follow=flags["L"])
            if isinstance(e.node, Link) and (follow_cmdline or arg.endswith("/")) and e.target:
                if not flags["d"] or flags["L"]:
                    e = lister.entry(arg, arg, follow=True)
        except OSError as exc:
            ctx.error(f"cannot access {quote(arg)}: {strerror(exc.errno)}")
            lister.status = 2
            continue
        if st.S_ISDIR(e.stat.st_mode) and not flags["d"]:
            dirs.append(e)
        else:
            files.append(e)
    files = lister.sort(files)
    dirs = lister.sort(dirs)
    lister.emit(files, False)
    many = len(args) > 1 or flags["R"]
    for i, d in enumerate(dirs):
        lister.list_dir(d, many, True, first=(i == 0 and not files))
    lister.flush()
    return lister.status
