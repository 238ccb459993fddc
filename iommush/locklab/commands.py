"""The lock lab's shell commands: ``race`` and ``lockdep``.

The shell's table (:func:`iommush.locklab.locklab_commands`) imports this module when
one of them first runs.

``race [--what-if NAME] [--kernel VERSION] 'CMD1' 'CMD2' ['CMD3']`` runs the kernel paths
the commands start, concurrently, over every interleaving of their lock steps, on copies
of the running machine. Exit status 0: no deadlock, every end state keeps the invariants
and lockdep has nothing to say; 1: a deadlock, a broken invariant or a lockdep warning;
2: a usage error.

``lockdep [--classes]`` prints the lock orders the running kernel recorded while the user
worked (``/proc/lockdep_chains``, or ``/proc/lockdep`` with ``--classes``), then any
warning lockdep printed.
"""

from __future__ import annotations

from iommush.kernel import Kernel, KernelError
from iommush.shell.command import CommandContext

from .explore import Explorer
from .machine import LabMachine
from .parse import KNOWN_FORMS, LabSyntaxError, parse_request
from .paths import MODES, WHAT_IF, base_version, build_path
from .report import render_exploration

__all__ = ["RACE_HELP", "race", "lockdep_cmd"]

RACE_HELP = (
    "Each CMD is one of:\n"
    + "".join(f"  {f}\n" for f in KNOWN_FORMS)
    + "What-if modes (--what-if NAME):\n"
    + "".join(f"  {n}: {d} (runs on {v})\n" for n, (v, d) in WHAT_IF.items())
    + "Kernel versions (--kernel): 6.3, 6.4, 6.12 (default: the running kernel's).\n"
)


def _kernel(ctx: CommandContext) -> Kernel | None:
    k = ctx.system
    if isinstance(k, Kernel):
        return k
    ctx.error("the lock lab needs the modelled kernel, and this shell runs without one")
    return None


def _race_args(ctx: CommandContext) -> tuple[str | None, str | None, list[str]] | None:
    what_if: str | None = None
    version: str | None = None
    cmds: list[str] = []
    args = ctx.argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--what-if", "--kernel") or a.startswith(("--what-if=", "--kernel=")):
            if "=" in a:
                opt, val = a.split("=", 1)
            elif i + 1 < len(args):
                opt, val = a, args[i + 1]
                i += 1
            else:
                ctx.error(f"option '{a}' requires an argument")
                return None
            if opt == "--what-if":
                if val not in WHAT_IF:
                    ctx.error(f"unknown what-if mode '{val}' (one of: {', '.join(WHAT_IF)})")
                    return None
                what_if = val
            else:
                if val not in ("6.3", "6.4", "6.12"):
                    ctx.error(f"unknown kernel version '{val}' (one of: 6.3, 6.4, 6.12)")
                    return None
                version = val
        elif a == "--":
            cmds += args[i + 1 :]
            break
        elif a.startswith("-") and len(a) > 1:
            ctx.error(f"unknown option '{a}'")
            return None
        else:
            cmds.append(a)
        i += 1
    if not 2 <= len(cmds) <= 3:
        ctx.error(f"two or three commands to race, got {len(cmds)}")
        ctx.err("usage: race [--what-if NAME] [--kernel VERSION] 'CMD1' 'CMD2' ['CMD3']\n")
        ctx.err(RACE_HELP)
        return None
    if what_if is not None and version is not None and base_version(what_if) != version:
        ctx.error(f"--what-if {what_if} runs on {base_version(what_if)}, not {version}")
        return None
    return what_if, version, cmds


def race(ctx: CommandContext) -> int:
    """``race``: every interleaving of two or three kernel paths."""
    k = _kernel(ctx)
    if k is None:
        return 1
    parsed = _race_args(ctx)
    if parsed is None:
        return 2
    what_if, version, cmds = parsed
    mode = what_if or version or k.version.model
    try:
        requests = [parse_request(c) for c in cmds]
    except LabSyntaxError as e:
        ctx.error(str(e))
        return 2
    try:
        machine = LabMachine.of(k, base_version(mode))
        plan = machine.copy()
        paths = [build_path(r, plan, mode, i) for i, r in enumerate(requests)]
    except LabSyntaxError as e:
        ctx.error(str(e))
        return 2
    except (KernelError, ValueError) as e:
        ctx.error(f"cannot boot this machine under {base_version(mode)}: {e}")
        return 1
    ex = Explorer(machine, paths).run()
    release = machine.base.version.release
    if what_if is not None:
        head = f"race: {len(paths)} paths, what if: {what_if} ({WHAT_IF[what_if][1]})"
    else:
        head = f"race: {len(paths)} paths on Linux {release} ({base_version(mode)} locking)"
    text, status = render_exploration(ex, [head], release)
    ctx.out(text)
    return status


def lockdep_cmd(ctx: CommandContext) -> int:
    """``lockdep``: the lock orders recorded so far, and lockdep's warnings."""
    k = _kernel(ctx)
    if k is None:
        return 1
    classes = False
    for a in ctx.argv[1:]:
        if a in ("-c", "--classes"):
            classes = True
        else:
            ctx.error(f"unknown option '{a}'")
            ctx.err("usage: lockdep [--classes]\n")
            return 2
    ld = k.lockdep
    ctx.out(ld.render_classes() if classes else ld.render_chains())
    reports = ld.reports()
    if reports:
        ctx.out(f"\nlockdep printed {len(reports)} warning(s):\n")
        ctx.out("\n".join(reports) + "\n")
    return 0


assert set(WHAT_IF) <= set(MODES)
