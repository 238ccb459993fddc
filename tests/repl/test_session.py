"""The REPL loop driven through prompt_toolkit's pipe input, over a fake shell."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import ColorDepth, DummyOutput

from iommush.repl.config import ReplConfig, load_config
from iommush.repl.session import Repl
from iommush.shell.command import CommandTable
from iommush.vfs import Cred, VirtualFS, as_cred

from .fakeshell import FakeShell, FakeSystem

PAUSE = "\0"
UP, RIGHT, CTRL_C, CTRL_D, CTRL_R = "\x1b[A", "\x1b[C", "\x03", "\x04", "\x12"


@pytest.fixture
def config(tmp_path: Path) -> ReplConfig:
    cfg = load_config(environ={"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "HOME": str(tmp_path)})
    return replace(cfg, history_file=tmp_path / "state" / "history")


@pytest.fixture
def shell(tree: VirtualFS, table: CommandTable) -> FakeShell:
    return FakeShell(FakeSystem(tree), table)


@contextmanager
def session(
    shell: FakeShell, config: ReplConfig, **kw: object
) -> Iterator[tuple[Repl, PipeInput, io.StringIO]]:
    out = io.StringIO()
    with create_pipe_input() as pipe:
        repl = Repl(
            shell,  # type: ignore[arg-type]
            machine_name="laptop",
            kernel_release="6.12.0",
            config=config,
            input=pipe,
            output=DummyOutput(),
            stdout=out,
            stderr=out,
            machines=lambda: ["laptop", "server"],
            **kw,  # type: ignore[arg-type]
        )
        yield repl, pipe, out


def run(shell: FakeShell, config: ReplConfig, keys: str, **kw: object) -> tuple[int, str]:
    """Type ``keys``; after a Tab or a PAUSE the typist waits for the asynchronous
    completion or auto-suggestion to finish."""
    chunks = keys.replace("\t", "\t" + PAUSE).split(PAUSE)
    with session(shell, config, **kw) as (repl, pipe, out):

        def typist() -> None:
            for i, chunk in enumerate(chunks):
                if i:
                    time.sleep(0.3)
                pipe.send_text(chunk)

        thread = threading.Thread(target=typist)
        thread.start()
        status = repl.run()
        thread.join()
    return status, out.getvalue()


def test_runs_a_command_and_ctrl_d_exits_with_its_status(shell, config) -> None:
    status, out = run(shell, config, "echo hi\rfalse\r" + CTRL_D)
    assert shell.ran == ["echo hi\n", "false\n"]
    assert status == 1
    assert out.endswith("exit\n")


def test_exit_builtin_ends_the_session_with_its_status(shell, config) -> None:
    status, _ = run(shell, config, "exit 3\recho never\r")
    assert status == 3
    assert shell.ran == ["exit 3\n"]


def test_unfinished_for_loop_continues_on_the_next_line(shell, config) -> None:
    run(shell, config, "for i in 1 2\rdo echo $i\rdone\r" + CTRL_D)
    assert shell.ran == ["for i in 1 2\ndo echo $i\ndone\n"]


def test_open_quote_and_backslash_continue(shell, config) -> None:
    run(shell, config, "echo 'a\rb'\recho x \\\ry\r" + CTRL_D)
    assert shell.ran == ["echo 'a\nb'\n", "echo x \\\ny\n"]


def test_ctrl_c_drops_the_line_and_keeps_going(shell, config) -> None:
    status, _ = run(shell, config, "echo partial" + CTRL_C + "true\r" + CTRL_D)
    assert shell.ran == ["true\n"]
    assert status == 0


def test_ctrl_c_in_a_continuation_drops_the_whole_command(shell, config) -> None:
    run(shell, config, "if true\rthen echo" + CTRL_C + "true\r" + CTRL_D)
    assert shell.ran == ["true\n"]


def test_empty_lines_run_nothing(shell, config) -> None:
    run(shell, config, "\r  \rtrue\r" + CTRL_D)
    assert shell.ran == ["true\n"]


def test_tab_completes_a_path_in_the_virtual_tree(shell, config) -> None:
    run(shell, config, "ls /sys/ker\t\r" + CTRL_D)
    assert shell.ran == ["ls /sys/kernel/\n"]


def test_tab_completes_a_value_for_the_target_file(shell, config) -> None:
    # the redirection is typed first, then the cursor goes back to echo's argument
    line = "echo  > /sys/kernel/iommu_groups/7/type" + "\x01" + RIGHT * 5
    run(shell, config, line + "DMA-\t\r" + CTRL_D)
    assert shell.ran == ["echo DMA-FQ > /sys/kernel/iommu_groups/7/type\n"]


def test_history_is_saved_and_recalled_with_up(shell, config) -> None:
    run(shell, config, "echo first\r" + CTRL_D)
    assert config.history_file is not None
    assert "echo first" in config.history_file.read_text()
    shell.ran.clear()
    run(shell, config, UP + "\r" + CTRL_D)
    assert shell.ran == ["echo first\n"]


def test_ctrl_r_searches_history(shell, config) -> None:
    run(shell, config, "cat /sys/x\rls\r" + CTRL_D)
    shell.ran.clear()
    run(shell, config, CTRL_R + "cat\r\r" + CTRL_D)
    assert shell.ran == ["cat /sys/x\n"]


def test_auto_suggestion_from_history_is_accepted_with_right(shell, config) -> None:
    run(shell, config, "echo hello world\r" + CTRL_D)
    shell.ran.clear()
    run(shell, config, "echo he" + PAUSE + RIGHT + "\r" + CTRL_D)
    assert shell.ran == ["echo hello world\n"]


def test_history_in_memory_only(shell, config, tmp_path) -> None:
    cfg = replace(config, history_file=None)
    run(shell, cfg, "echo x\r" + CTRL_D)
    assert not (tmp_path / "state").exists()


def test_a_failing_command_does_not_end_the_session(shell, config) -> None:
    status, out = run(shell, config, "boom\rtrue\r" + CTRL_D)
    assert "internal error: RuntimeError: kaboom" in out
    assert shell.ran == ["boom\n", "true\n"]
    assert "Traceback" not in out


def test_prompt_root_home_and_user(shell, config) -> None:
    with session(shell, config) as (repl, _pipe, _out):
        assert repl.prompt_text() == "root@laptop:/# "
        shell.cwd = "/root/work"
        assert repl.prompt_text() == "root@laptop:~/work# "
        shell.cwd, shell.vars["USER"] = "/tmp", "alice"
        with as_cred(Cred(uid=1000, gid=1000, caps=frozenset())):
            assert repl.prompt_text() == "alice@laptop:/tmp$ "


def test_prompt_format_from_config(shell, config) -> None:
    cfg = replace(config, prompt_format="[{kernel} {status}] {cwd}{sigil} ")
    with session(shell, cfg) as (repl, _pipe, _out):
        assert repl.prompt_text() == "[6.12.0 0] /# "


def test_toolbar_shows_kernel_and_machine_and_can_be_off(shell, config) -> None:
    with session(shell, config) as (repl, _pipe, _out):
        text = "".join(t for _s, t in repl.toolbar())
        assert "6.12.0" in text and "laptop" in text
        assert repl.session.bottom_toolbar is not None
    with session(shell, replace(config, toolbar=False)) as (repl, _pipe, _out):
        assert repl.session.bottom_toolbar is None


def test_no_color_flag_and_environment(shell, config) -> None:
    with session(shell, config, no_color=True) as (repl, _pipe, _out):
        assert repl.session.color_depth == ColorDepth.DEPTH_1_BIT
    with session(shell, config, environ={"NO_COLOR": "1"}) as (repl, _pipe, _out):
        assert repl.session.color_depth == ColorDepth.DEPTH_1_BIT
    with session(shell, config, environ={}) as (repl, _pipe, _out):
        assert repl.session.color_depth is None


def test_vi_mode_from_config(shell, config) -> None:
    from prompt_toolkit.enums import EditingMode

    with session(shell, replace(config, edit_mode="vi")) as (repl, _pipe, _out):
        assert repl.session.editing_mode == EditingMode.VI


def test_bad_colour_is_reported_and_ignored(shell, config) -> None:
    cfg = replace(config, colors={**config.colors, "keyword": "notacolour"})
    status, out = run(shell, cfg, "true\r" + CTRL_D)
    assert "colors.keyword" in out
    assert status == 0


def test_completion_context_follows_the_shell(shell, config) -> None:
    with session(shell, config) as (repl, _pipe, _out):
        shell.cwd = "/sys"
        ctx = repl.completion_context()
        assert ctx.cwd == "/sys"
        assert ctx.machines == ["laptop", "server"]
        assert "vfio-pci" in ctx.modules
        assert {i.name for i in ctx.commands} >= {"ls", "echo"}
