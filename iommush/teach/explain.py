"""``explain PATH``: what a file of the virtual tree is and which kernel rules it follows.

The path is resolved through the vfs (so it must exist, and its kind, mode and link
target are the real ones), matched against :data:`iommush.teach.notes.NOTES` by its
own name and by its canonical path, and the notes for the running kernel's rule set
("6.3", "6.4" or "6.12", from ``uname -r``) are printed.
"""

from __future__ import annotations

import errno
import os
import posixpath
import re
import stat
import textwrap

from iommush.shell.command import CommandContext
from iommush.vfs import Attribute, Device, Dir, File, Link, Node

from .notes import NOTES, Note, find_note

__all__ = ["cmd_explain", "rules_version", "explain_text"]

VERSIONS = ("6.3", "6.4", "6.12")
USAGE = "usage: explain [-k VERSION] PATH...\n       explain -l\n"


def rules_version(release: str) -> str:
    """The rule set a kernel release follows: up to 6.3 -> "6.3", 6.4 -> "6.4",
    6.5 and later -> "6.12" (``iommu_setup_default_domain`` era)."""
    m = re.match(r"(\d+)\.(\d+)", release)
    if m is None:
        return "6.12"
    version = (int(m.group(1)), int(m.group(2)))
    if version <= (6, 3):
        return "6.3"
    if version == (6, 4):
        return "6.4"
    return "6.12"


def _kind(node: Node) -> str:
    mode = stat.filemode(node.st_mode)
    if isinstance(node, Link):
        return f"a symbolic link -> {node.readlink()}"
    if isinstance(node, Dir):
        return f"a directory ({mode}) with {len(node.children)} entries"
    if isinstance(node, Attribute):
        how = [w for w, f in (("readable", node.show), ("writable", node.store)) if f is not None]
        return f"a sysfs attribute ({mode}, {' and '.join(how) or 'no access'})"
    if isinstance(node, Device):
        return f"a character device {node.major}:{node.minor} ({mode})"
    if isinstance(node, File):
        return f"a regular file ({mode}, {len(node.data)} bytes)"
    return f"a node ({mode})"


def _generic(node: Node) -> str:
    if isinstance(node, Attribute):
        return (
            "A sysfs attribute: reading it calls the kernel's show() for this file, which "
            "formats one value; a write is handed to store() in one call and its return "
            "value (a byte count or an errno) is what write(2) returns."
        )
    if isinstance(node, Link):
        return "A kernel symbolic link: it names another node and follows it when moved."
    if isinstance(node, Dir):
        return "A directory of the virtual tree."
    if isinstance(node, Device):
        return "A character device: open, read, write and ioctl go to its driver."
    return "A regular file (tmpfs): it holds what was written to it."


def _wrap(text: str, width: int, indent: str = "  ") -> str:
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent) + "\n"


def _peek(ctx: CommandContext, path: str) -> str:
    try:
        data = ctx.fs.read_bytes(path, ctx.cwd).decode("utf-8", "replace")
    except OSError as exc:
        return f"(cannot be read: {exc.strerror})"
    lines = data.splitlines()
    shown = "\n".join(f"    {line}" for line in lines[:6])
    more = f"\n    ... ({len(lines) - 6} more lines)" if len(lines) > 6 else ""
    return shown + more if lines else "    (empty)"


def explain_text(
    note: Note | None, *, path: str, kind: str, version: str, release: str, width: int = 78
) -> str:
    """The explanation of one file as plain text."""
    out = [f"{path}\n", _wrap(kind[:1].upper() + kind[1:] + ".", width)]
    if note is None:
        return "".join(out)
    out.append("\nWhat it is\n" + _wrap(note.what, width))
    if note.read:
        out.append("\nReading\n" + _wrap(note.read, width))
    if note.write:
        out.append("\nWriting\n" + _wrap(note.write, width))
    rules = note.rules_for(version)
    if rules:
        running = f" (running {release})" if release else ""
        out.append(f"\nRules on Linux {version}{running}\n")
        out.append("\n".join(_wrap(r, width) for r in rules))
    functions = note.functions_for(version)
    if functions:
        where = f" ({note.source})" if note.source else ""
        out.append(
            "\nKernel functions\n" + _wrap(", ".join(f + "()" for f in functions) + where, width)
        )
    elif note.source:
        out.append("\nKernel source\n" + _wrap(note.source, width))
    if note.see:
        out.append("\nSee also\n" + _wrap(note.see, width))
    return "".join(out)


def _explain_one(ctx: CommandContext, path: str, version: str, release: str, width: int) -> int:
    absolute = posixpath.normpath(posixpath.join(ctx.cwd, path))
    try:
        node = ctx.fs.resolve(path, ctx.cwd, follow=False)
    except OSError as exc:
        note = find_note([absolute]) if exc.errno == errno.ENOENT else None
        if note is None:
            ctx.error(f"{path}: {exc.strerror or os.strerror(exc.errno or 0)}")
            return 1
        kind = "not present on this machine now"
        ctx.out(
            explain_text(
                note, path=absolute, kind=kind, version=version, release=release, width=width
            )
        )
        return 1
    candidates = [absolute]
    try:
        candidates.append(ctx.fs.realpath(path, ctx.cwd))
    except OSError:
        pass
    note = find_note(candidates)
    kind = _kind(node)
    text = explain_text(
        note, path=absolute, kind=kind, version=version, release=release, width=width
    )
    if note is None:
        text += "\n" + _wrap(_generic(node), width)
    elif note.peek and isinstance(node, Attribute) and node.show is not None:
        text += "\nNow\n" + _peek(ctx, path) + "\n"
    ctx.out(text)
    return 0


def cmd_explain(ctx: CommandContext) -> int:
    """Explain files of the virtual tree: what the file is, what reading and writing it
    do, the rules that apply on the running kernel (or the one given with -k 6.3,
    -k 6.4, -k 6.12) and the kernel functions that implement them. -l lists the kinds
    of file that have notes."""
    args = ctx.argv[1:]
    version: str | None = None
    paths: list[str] = []
    while args:
        arg = args.pop(0)
        if arg == "--":
            paths.extend(args)
            break
        if arg in ("-h", "--help"):
            ctx.out(USAGE)
            return 0
        if arg == "-l":
            ctx.out("".join(f"{n.pattern}\n" for n in NOTES))
            return 0
        if arg in ("-k", "--kernel") or arg.startswith("--kernel="):
            value = arg.partition("=")[2] if "=" in arg else (args.pop(0) if args else "")
            if not value:
                ctx.error(f"option requires an argument -- '{arg.lstrip('-')}'")
                ctx.err(USAGE)
                return 2
            version = rules_version(value)
            continue
        if arg.startswith("-") and arg != "-":
            ctx.error(f"invalid option -- '{arg.lstrip('-')}'")
            ctx.err(USAGE)
            return 2
        paths.append(arg)
    if not paths:
        ctx.err(USAGE)
        return 2
    try:
        release = ctx.system.uname().release
    except Exception:  # a system without uname: explain the newest rules
        release = ""
    version = version or rules_version(release)
    columns = ctx.env.get("COLUMNS", "")
    width = min(int(columns), 100) - 2 if columns.isdigit() and int(columns) > 40 else 78
    status = 0
    for i, path in enumerate(paths):
        if i:
            ctx.out("\n")
        status = max(status, _explain_one(ctx, path, version, release, width))
    return status
