"""The interactive shell on a terminal: the only package that imports prompt_toolkit.

The command-line entry point calls :func:`run_repl` when stdin and stdout are a
terminal; scripts, ``-c`` and piped input never import this package. prompt_toolkit
itself is imported only when the session starts, so the pure completion logic
(:mod:`iommush.repl.suggest`) can be used and tested on its own.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .session import ReplShell

__all__ = ["run_repl"]


def run_repl(
    shell: ReplShell,
    *,
    machine_name: str,
    kernel_release: str,
    no_color: bool,
    config_path: str | None = None,
) -> int:
    """Run the interactive session over ``shell`` until ``exit`` or Ctrl-D.

    Reads the configuration (the packaged defaults merged with ``config_path`` or
    ``$XDG_CONFIG_HOME/iommush/config.toml``), keeps history under
    ``$XDG_STATE_HOME/iommush/history`` and returns the session's exit status.
    """
    from .config import load_config
    from .session import Repl

    config = load_config(config_path)
    for warning in config.warnings:
        sys.stderr.write(f"iommush: config: {warning}\n")
    repl = Repl(
        shell,
        machine_name=machine_name,
        kernel_release=kernel_release,
        config=config,
        no_color=no_color,
    )
    sys.stdout.write(
        f"iommush: machine {machine_name}, Linux {kernel_release}. "
        "Type 'help' for commands, 'man iommush' for the manual.\n"
    )
    return repl.run()
