"""``groups``: an overview of the IOMMU groups (group, type, devices, drivers, owner,
viable) read from sysfs; ``tree``: the virtual tree drawn as tree(1) draws it."""

from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass

from iommush.shell.command import CommandContext
from iommush.vfs import Dir, Link, Node

__all__ = ["GroupRow", "cmd_groups", "cmd_tree", "group_rows", "plain_table"]

GROUPS = "/sys/kernel/iommu_groups"
#: Drivers that manage DMA themselves (``driver_managed_dma``): they keep a group viable.
MANAGED = frozenset(("vfio-pci", "pci-stub", "pcieport"))


@dataclass
class GroupRow:
    """One group as sysfs shows it."""

    group: int
    type: str
    devices: list[str]
    drivers: list[str]
    owner: str
    viable: bool


def _read(ctx: CommandContext, path: str) -> str:
    try:
        return ctx.fs.read_bytes(path, "/").decode("utf-8", "replace").strip()
    except OSError:
        return "?"


def _driver(ctx: CommandContext, path: str) -> str:
    try:
        return posixpath.basename(ctx.fs.readlink(path + "/driver", "/"))
    except OSError:
        return "-"


def group_rows(ctx: CommandContext) -> list[GroupRow]:
    """Every group under /sys/kernel/iommu_groups, by number."""
    names = sorted((n for n in ctx.fs.listdir(GROUPS, "/") if n.isdigit()), key=int)
    rows = []
    for name in names:
        base = f"{GROUPS}/{name}"
        try:
            devs = sorted(ctx.fs.listdir(base + "/devices", "/"))
        except OSError:
            devs = []
        drivers = [_driver(ctx, f"{base}/devices/{d}") for d in devs]
        dma_api = [d for d in drivers if d != "-" and d not in MANAGED]
        try:
            ctx.fs.stat(f"/dev/vfio/{name}", "/")
            vfio = True
        except OSError:
            vfio = False
        if dma_api:
            owner = "kernel"
        elif vfio:
            owner = "vfio"
        else:
            owner = "-"
        rows.append(
            GroupRow(int(name), _read(ctx, base + "/type"), devs, drivers, owner, not dma_api)
        )
    return rows


def plain_table(rows: list[GroupRow]) -> str:
    """Aligned text: one line per device, the group's columns on its first line."""
    head = ("GROUP", "TYPE", "DEVICE", "DRIVER", "OWNER", "VIABLE")
    lines: list[tuple[str, ...]] = [head]
    for r in rows:
        pairs = list(zip(r.devices, r.drivers, strict=True)) or [("-", "-")]
        for i, (dev, drv) in enumerate(pairs):
            if i == 0:
                lines.append((str(r.group), r.type, dev, drv, r.owner, "yes" if r.viable else "no"))
            else:
                lines.append(("", "", dev, drv, "", ""))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )


def _rich_table(rows: list[GroupRow], width: int, color: bool) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="IOMMU groups", header_style="bold")
    for col in ("group", "type", "devices", "drivers", "owner", "viable"):
        table.add_column(col, justify="right" if col == "group" else "left")
    for r in rows:
        viable = "[green]yes[/]" if r.viable else "[red]no[/]"
        table.add_row(
            str(r.group), r.type, "\n".join(r.devices), "\n".join(r.drivers), r.owner, viable
        )
    buf = io.StringIO()
    Console(
        file=buf,
        width=width,
        force_terminal=True,
        no_color=not color,
        color_system="standard" if color else None,
    ).print(table)
    return buf.getvalue()


def _user_groups(ctx: CommandContext, users: list[str]) -> int:
    """The coreutils ``groups``: ``id -Gn`` for the caller or for each USER."""
    if not users:
        return ctx.shell.run_argv(ctx, ["id", "-Gn"])
    status = 0
    for user in users:
        buf = io.BytesIO()
        sub = CommandContext(
            ["id"],
            ctx.stdin,
            buf,
            ctx.stderr,
            ctx.fs,
            ctx.system,
            ctx.shell,
            ctx.cwd,
            ctx.env,
            ctx.interactive,
        )
        st = ctx.shell.run_argv(sub, ["id", "-Gn", user])
        if st == 0:
            ctx.out(f"{user} : {buf.getvalue().decode()}")
        status = max(status, st)
    return status


def cmd_groups(ctx: CommandContext) -> int:
    """On a terminal, or with -i/--iommu: a table of the IOMMU groups read from
    /sys/kernel/iommu_groups: each group's type, its devices and their drivers, who
    owns it (kernel: a DMA-API driver is bound; vfio: only vfio-pci/pci-stub/pcieport
    or no driver, /dev/vfio/N exists) and whether VFIO would find it viable. Otherwise,
    and with USER operands, the groups a user is in (as coreutils groups)."""
    args = ctx.argv[1:]
    iommu = any(a in ("-i", "--iommu") for a in args)
    users = [a for a in args if a not in ("-i", "--iommu")]
    if users and iommu:
        ctx.err("usage: groups [-i|--iommu]  |  groups [USER]...\n")
        return 2
    if not iommu and (users or not ctx.interactive):
        return _user_groups(ctx, users)
    try:
        rows = group_rows(ctx)
    except OSError as exc:
        ctx.error(f"{GROUPS}: {exc.strerror}")
        return 1
    if not rows:
        ctx.out("no IOMMU groups (is the IOMMU enabled?)\n")
        return 0
    if ctx.interactive:
        columns = ctx.env.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() else 100
        try:
            ctx.out(_rich_table(rows, width, not ctx.env.get("NO_COLOR")))
            return 0
        except ImportError:
            pass
    ctx.out(plain_table(rows))
    return 0


# -- tree ---------------------------------------------------------------------------
_BLUE, _CYAN, _RESET = "\x1b[01;34m", "\x1b[01;36m", "\x1b[0m"


class _Tree:
    def __init__(self, ctx: CommandContext, depth: int | None, dirs_only: bool, follow: bool):
        self.ctx = ctx
        self.depth = depth
        self.dirs_only = dirs_only
        self.follow = follow
        self.color = ctx.interactive and not ctx.env.get("NO_COLOR")
        self.ndirs = 0
        self.nfiles = 0
        self.lines: list[str] = []

    def paint(self, name: str, kind: str) -> str:
        if not self.color:
            return name
        return f"{_BLUE if kind == 'dir' else _CYAN}{name}{_RESET}" if kind != "file" else name

    def walk(self, node: Dir, prefix: str, level: int, seen: frozenset[int]) -> None:
        if self.depth is not None and level > self.depth:
            return
        names = sorted(node.children)
        entries: list[tuple[str, Node, Node | None, bool]] = []
        for name in names:
            child = node.children[name]
            target: Node | None = child
            if isinstance(child, Link):
                try:
                    target = self.ctx.fs.resolve(child.abspath(), "/")
                except OSError:
                    target = None
            is_dir = isinstance(target, Dir)
            if self.dirs_only and not (is_dir and (not isinstance(child, Link) or self.follow)):
                continue
            entries.append((name, child, target, is_dir))
        for i, (name, child, target, is_dir) in enumerate(entries):
            last = i == len(entries) - 1
            branch = "└── " if last else "├── "
            if isinstance(child, Link):
                label = f"{self.paint(name, 'link')} -> {child.readlink()}"
                if self.follow and is_dir and isinstance(target, Dir):
                    if id(target) in seen:
                        self.lines.append(f"{prefix}{branch}{label}  [recursive, not followed]\n")
                        self.ndirs += 1
                        continue
                    self.lines.append(f"{prefix}{branch}{label}\n")
                    self.ndirs += 1
                    self.walk(
                        target,
                        prefix + ("    " if last else "│   "),
                        level + 1,
                        seen | {id(target)},
                    )
                    continue
                self.lines.append(f"{prefix}{branch}{label}\n")
                if is_dir:
                    self.ndirs += 1
                else:
                    self.nfiles += 1
                continue
            if isinstance(child, Dir):
                self.lines.append(f"{prefix}{branch}{self.paint(name, 'dir')}\n")
                self.ndirs += 1
                self.walk(
                    child, prefix + ("    " if last else "│   "), level + 1, seen | {id(child)}
                )
            else:
                self.lines.append(f"{prefix}{branch}{name}\n")
                self.nfiles += 1


def cmd_tree(ctx: CommandContext) -> int:
    """List a directory of the virtual tree as a tree, like tree(1). -L N limits the
    depth, -d lists directories only, -l follows links to directories (off by default:
    /sys links back up the tree)."""
    args = ctx.argv[1:]
    depth: int | None = None
    dirs_only = follow = False
    paths: list[str] = []
    while args:
        arg = args.pop(0)
        if arg == "-L":
            value = args.pop(0) if args else ""
            if not value.isdigit() or int(value) < 1:
                ctx.error("Invalid level, must be greater than 0.")
                return 2
            depth = int(value)
        elif arg == "-d":
            dirs_only = True
        elif arg == "-l":
            follow = True
        elif arg.startswith("-") and arg != "-":
            ctx.error(f"Invalid argument -`{arg.lstrip('-')}'.")
            ctx.err("usage: tree [-dl] [-L level] [PATH...]\n")
            return 2
        else:
            paths.append(arg)
    walker = _Tree(ctx, depth, dirs_only, follow)
    status = 0
    for path in paths or ["."]:
        try:
            node = ctx.fs.resolve(path, ctx.cwd)
        except OSError as exc:
            walker.lines.append(f"{path}  [error opening dir: {exc.strerror}]\n")
            status = 2
            continue
        if not isinstance(node, Dir):
            walker.lines.append(f"{path}  [error opening dir]\n")
            status = 2
            continue
        walker.lines.append(walker.paint(path, "dir") + "\n")
        walker.walk(node, "", 1, frozenset({id(node)}))
    d = walker.ndirs
    summary = f"\n{d} director{'y' if d == 1 else 'ies'}"
    if not dirs_only:
        summary += f", {walker.nfiles} file{'' if walker.nfiles == 1 else 's'}"
    ctx.out("".join(walker.lines) + summary + "\n")
    return status
