"""The ``iommush`` command: choose the machine and the mode at the process boundary.

- a terminal on stdin and stdout, no script: the interactive shell (the REPL);
- ``iommush SCRIPT [ARGS]``, ``iommush -c 'COMMANDS'``, or commands piped on stdin:
  run non-interactively, with byte-exact output and the last command's exit status;
- ``iommush snapshot -o FILE.tar.gz``: collect this host's ``/sys`` for ``--from-sysfs``.

Nothing heavy is imported before it is needed: the non-interactive path never imports
prompt_toolkit or rich.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import TYPE_CHECKING, NoReturn

import click

from iommush import __version__

if TYPE_CHECKING:
    from iommush.kernel import Kernel
    from iommush.kernel.spec import MachineSpec
    from iommush.shell import Shell
    from iommush.shell.command import InStream, OutStream
    from iommush.vfs import Cred

__all__ = ["main", "console_main", "build_session", "Session"]

EX_SOFTWARE = 70


class Session:
    """A booted machine and a shell on it, with the user the shell runs as."""

    def __init__(self, spec: MachineSpec, kernel: Kernel, shell: Shell, cred: Cred) -> None:
        self.spec = spec
        self.kernel = kernel
        self.shell = shell
        #: The credentials the shell runs with (root has every capability).
        self.cred = cred
        self.no_color = False


class FdWriter:
    """A process's stdout or stderr as the shell sees it: every ``write`` is a
    ``write(2)`` on the descriptor, so stdout and stderr interleave as they do for bash."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            try:
                done = os.write(self.fd, view)
            except BrokenPipeError:
                raise OSError(errno.EPIPE, os.strerror(errno.EPIPE)) from None
            view = view[done:]
        return len(data)

    def flush(self) -> None:
        pass


def _load_spec(
    machine: str | None, from_sysfs: str | None, from_listing: str | None
) -> MachineSpec:
    from iommush import machine as machines

    chosen = [x for x in (machine, from_sysfs, from_listing) if x is not None]
    if len(chosen) > 1:
        raise click.UsageError("--machine, --from-sysfs and --from-listing exclude each other")
    if from_sysfs is not None:
        spec, notes = machines.import_sysfs(from_sysfs)
    elif from_listing is not None:
        text = (
            sys.stdin.read()
            if from_listing == "-"
            else open(from_listing, encoding="utf-8", errors="replace").read()
        )
        spec, notes = machines.from_listing(text)
    else:
        return machines.load_machine(machine or machines.DEFAULT_MACHINE)
    for note in notes:
        click.echo(f"iommush: {note}", err=True)
    return spec


def build_session(
    *,
    machine: str | None = None,
    from_sysfs: str | None = None,
    from_listing: str | None = None,
    kernel: str | None = None,
    cmdline: str | None = None,
    user: str = "root",
    interactive: bool = False,
    argv0: str = "iommush",
    args: list[str] | None = None,
    stdin: InStream | None = None,
    stdout: OutStream | None = None,
    stderr: OutStream | None = None,
) -> Session:
    """Boot a machine and start a shell on it (the CLI, the tests and the conformance
    runner all come through here)."""
    from iommush.dma import dma_commands
    from iommush.kernel import boot
    from iommush.locklab import locklab_commands
    from iommush.shell import Shell
    from iommush.shell.commands import utilities
    from iommush.teach import teach_commands
    from iommush.teach.session import attach
    from iommush.userland import find_user, populate
    from iommush.vfs import ALL_CAPS, Cred

    spec = _load_spec(machine, from_sysfs, from_listing)
    booted = boot(spec, kernel=kernel, cmdline=cmdline)
    names = [(f.vendor, f.vendor_name, f.device, f.device_name) for f in spec.pci]
    users = populate(booted.fs, hostname=spec.hostname, devices=names)
    account = find_user(users, user)
    if account is None:
        raise click.BadParameter(f"no such user: {user}", param_hint="'--user'")
    table = utilities()
    table.update(teach_commands())
    table.update(locklab_commands())
    table.update(dma_commands())
    env = {
        "HOME": account.home,
        "USER": account.name,
        "LOGNAME": account.name,
        "SHELL": "/bin/sh",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME": spec.hostname,
    }
    shell = Shell(
        booted,
        commands=table,
        stdin=stdin if stdin is not None else sys.stdin.buffer,
        stdout=stdout if stdout is not None else FdWriter(sys.stdout.fileno()),
        stderr=stderr if stderr is not None else FdWriter(sys.stderr.fileno()),
        argv0=argv0,
        args=args or [],
        env=env,
        interactive=interactive,
        cwd=account.home,
    )
    shell.after_command = attach(booted, home=account.home).record

    def write_hint(path: str, data: bytes, err: int, cwd: str) -> str | None:
        from iommush.teach.hints import hint_for_write

        return hint_for_write(booted, path, data, err, cwd=cwd)

    shell.write_hint = write_hint

    caps = ALL_CAPS if account.uid == 0 else frozenset()
    return Session(spec, booted, shell, Cred(account.uid, account.gid, caps=caps))


def _fail(message: str, status: int = 1) -> NoReturn:
    click.echo(f"iommush: {message}", err=True)
    sys.exit(status)


def _list_machines() -> None:
    from iommush.machine import list_machines

    rows = list_machines()
    width = max((len(name) for name, _ in rows), default=0)
    for name, description in rows:
        click.echo(f"{name:<{width}}  {description}")


def _run(session: Session, *, command: str | None, script: str | None, tty: bool) -> int:
    from iommush.vfs import as_cred

    shell = session.shell
    with as_cred(session.cred):
        try:
            if command is not None:
                return shell.run(command)
            if script is not None:
                try:
                    with open(script, encoding="utf-8", errors="surrogateescape") as f:
                        source = f.read()
                except OSError as exc:
                    _fail(f"{script}: {exc.strerror}", 127 if exc.errno == 2 else 126)
                return shell.run(source, filename=script)
            if tty:
                from iommush.repl import run_repl

                return run_repl(
                    shell,
                    machine_name=session.spec.name,
                    kernel_release=session.kernel.uname().release,
                    no_color=session.no_color,
                )
            return _run_stdin(shell)
        finally:
            shell.close()


def _run_stdin(shell: Shell) -> int:
    """Piped input: one line at a time, an empty line is an empty command."""
    status = 0
    for raw in iter(sys.stdin.buffer.readline, b""):
        result = shell.feed_line(raw.decode("utf-8", "surrogateescape"))
        if result is not None:
            status = result
        if shell.exited:
            return shell.exit_status
    result = shell.finish()
    if shell.exited:
        return shell.exit_status
    return status if result is None else result


@click.command(
    context_settings={
        "help_option_names": ["-h", "--help"],
        "ignore_unknown_options": False,
        "allow_interspersed_args": False,
    }
)
@click.option("-c", "command", metavar="COMMANDS", help="Run COMMANDS and exit.")
@click.option("-e", "errexit", is_flag=True, help="Exit on the first failing command (set -e).")
@click.option("--machine", "-m", metavar="NAME|PATH", help="Built-in machine name or TOML file.")
@click.option("--from-sysfs", metavar="PATH", help="Import a machine from a /sys tree or tarball.")
@click.option(
    "--from-listing", metavar="FILE", help="Import a pasted IOMMU group listing (- = stdin)."
)
@click.option(
    "--kernel", "kernel_version", metavar="VERSION", help="Kernel release to model (5.15 on)."
)
@click.option("--cmdline", metavar="'ARGS'", help="Kernel command line.")
@click.option("--user", default="root", show_default=True, help="Run the shell as this user.")
@click.option("--explain", is_flag=True, help="Explain refused writes, also in scripts.")
@click.option("--no-color", is_flag=True, help="No colour (NO_COLOR is honoured too).")
@click.option("--list-machines", is_flag=True, help="List the built-in machines and exit.")
@click.version_option(__version__, "--version", prog_name="iommush")
@click.argument("script", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _iommush(
    command: str | None,
    errexit: bool,
    machine: str | None,
    from_sysfs: str | None,
    from_listing: str | None,
    kernel_version: str | None,
    cmdline: str | None,
    user: str,
    explain: bool,
    no_color: bool,
    list_machines: bool,
    script: str | None,
    args: tuple[str, ...],
) -> None:
    """An interactive shell over a virtual /sys whose IOMMU files behave like Linux's.

    With no SCRIPT and a terminal, start the interactive shell; with -c, a SCRIPT or
    commands on stdin, run them and exit with the last command's status.
    """
    if list_machines:
        _list_machines()
        return
    tty = command is None and script is None and sys.stdin.isatty() and sys.stdout.isatty()
    argv = list(args)
    argv0 = script or "iommush"
    if command is not None and script is not None:
        argv0, argv = script, argv  # bash -c 'CMD' NAME ARGS...: NAME becomes $0
    try:
        session = build_session(
            machine=machine,
            from_sysfs=from_sysfs,
            from_listing=from_listing,
            kernel=kernel_version,
            cmdline=cmdline,
            user=user,
            interactive=tty,
            argv0=argv0,
            args=argv,
        )
    except (click.ClickException, click.exceptions.Exit):
        raise
    except (OSError, ValueError) as exc:
        _fail(str(exc), 2)
    session.no_color = no_color
    session.shell.explain = explain or tty
    if errexit:
        session.shell.run("set -e")
    sys.exit(_run(session, command=command, script=None if command else script, tty=tty))


@click.command("snapshot")
@click.option("-o", "output", required=True, metavar="FILE.tar.gz", help="Where to write it.")
@click.option("--root", default="/", show_default=True, help="Root of the tree to read.")
def _snapshot(output: str, root: str) -> None:
    """Collect this host's /sys (read-only) for `iommush --from-sysfs FILE.tar.gz`."""
    from iommush.machine import snapshot

    try:
        snapshot(output, root=root)
    except OSError as exc:
        _fail(f"{output}: {exc.strerror or exc}", 1)
    click.echo(f"iommush: wrote {output}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``iommush`` console script and ``python -m iommush``."""
    args = sys.argv[1:] if argv is None else argv
    try:
        if args[:1] == ["snapshot"]:
            _snapshot.main(args[1:], prog_name="iommush snapshot")
        else:
            _iommush.main(args, prog_name="iommush")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: one line, never a traceback
        click.echo(f"iommush: internal error: {exc!r}; please report it", err=True)
        sys.exit(EX_SOFTWARE)


def console_main() -> NoReturn:
    """The ``iommush`` console script and ``python -m iommush``: :func:`main`, then the
    process ends at once, as a C program's ``exit`` does, instead of the interpreter
    freeing the booted machine object by object (a one-line ``iommush -c`` would spend
    a sixth of its time on that). A session that started the terminal front end exits
    the ordinary way, so that everything it set up is closed."""
    try:
        main()
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    if "prompt_toolkit" in sys.modules:
        sys.exit(status)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


def _exit_status(code: object) -> int:
    """What ``sys.exit(code)`` makes the process's status: None is 0, a message is
    printed and gives 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
    except (OSError, ValueError):
        pass
    return 1
