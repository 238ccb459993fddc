"""The interpreter: status, redirections through the vfs, fds held by exec, scripts,
line-by-line input, robustness, and the work done per line."""

from __future__ import annotations

import pytest
from fakesys import FakeSystem, make_shell
from hypothesis import given, settings
from hypothesis import strategies as st

from iommush.shell.ast import Command
from iommush.shell.lexer import Lexer, Tok
from iommush.shell.parser import Parser
from iommush.vfs import Cred, as_cred


def test_store_called_once_with_whole_write() -> None:
    system = FakeSystem()
    sh, out, err = make_shell(system)
    assert sh.run("echo identity > /sys/kernel/iommu_groups/0/type") == 0
    assert system.type_values["0"] == "identity"
    assert sh.run("printf 'DMA\\0junk' > /sys/kernel/iommu_groups/0/type") == 0
    assert system.type_values["0"] == "DMA"


def test_write_error_in_script_names_file_and_line() -> None:
    sh, out, err = make_shell()
    status = sh.run("true\necho bad > /sys/kernel/iommu_groups/0/type\n", filename="fix.sh")
    assert status == 1
    assert err.getvalue() == b"fix.sh: line 2: echo: write error: Invalid argument\n"


def test_exec_holds_device_until_close() -> None:
    system = FakeSystem()
    sh, out, err = make_shell(system)
    assert sh.run("exec 3<>/dev/vfio/1") == 0
    assert system.vfio_ops.opened == 1 and system.vfio_ops.released == 0
    sh.run("cat <&3 >/dev/null; true 4<&3")
    assert system.vfio_ops.released == 0
    sh.close()
    assert system.vfio_ops.released == 1


def test_exec_close_releases_device() -> None:
    system = FakeSystem()
    sh, out, err = make_shell(system)
    sh.run("exec 3<>/dev/vfio/1; exec 3>&-")
    assert system.vfio_ops.released == 1


def test_redirection_respects_credentials() -> None:
    sh, out, err = make_shell()
    with as_cred(Cred(uid=1000, gid=1000, caps=frozenset())):
        status = sh.run("echo x > /root/secret")
    assert status == 1
    assert err.getvalue() == b"iommush: /root/secret: Permission denied\n"


def test_feed_line_waits_for_complete_command() -> None:
    sh, out, err = make_shell()
    assert sh.feed_line("for i in 1 2; do") is None
    assert sh.feed_line("  echo $i") is None
    assert sh.feed_line("done") == 0
    assert sh.feed_line("") == 0
    assert sh.feed_line("cat <<EOF") is None
    assert sh.feed_line("x") is None
    assert sh.feed_line("EOF") == 0
    assert out.getvalue() == b"1\n2\nx\n"


def test_exit_sets_exited() -> None:
    sh, out, err = make_shell()
    assert sh.run("echo a; exit 4; echo b") == 4
    assert sh.exited and sh.exit_status == 4
    assert out.getvalue() == b"a\n"


def test_state_visible_through_api() -> None:
    sh, out, err = make_shell()
    sh.run("cd /tmp; x=42; false")
    assert sh.cwd == "/tmp" and sh.vars["x"] == "42" and sh.last_status == 1
    assert "echo" in sh.table and "cat" in sh.table


def test_run_file_and_path_lookup() -> None:
    system = FakeSystem()
    system.fs.write_bytes("/tmp/tool", b"#!/usr/bin/env bash\necho tool $1\n")
    system.fs.chmod("/tmp/tool", 0o755)
    sh, out, err = make_shell(system)
    assert sh.run("PATH=/tmp:$PATH; tool a; /tmp/tool b; cd /tmp && ./tool c") == 0
    assert out.getvalue() == b"tool a\ntool b\ntool c\n"
    sh2, out2, _ = make_shell(system)
    assert sh2.run_file("/tmp/tool", ["z"]) == 0 and out2.getvalue() == b"tool z\n"


def test_pipeline_stage_state_does_not_leak() -> None:
    sh, out, err = make_shell()
    sh.run('echo v | read x; echo "[${x-}]"; echo v | { read y; echo $y; }')
    assert out.getvalue() == b"[]\nv\n"


def test_syntax_error_interactive_keeps_going() -> None:
    sh, out, err = make_shell(interactive=True)
    assert sh.run("fi") == 2
    assert not sh.exited
    assert err.getvalue() == b"iommush: syntax error near unexpected token `fi'\n"
    assert sh.run("echo ok") == 0


def test_repeated_lines_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work counts, not seconds (timing lives in benchmarks/): a plain line never goes
    through the tokenizer, and a repeated line of any other kind is parsed twice at
    most (its tree is kept the second time)."""
    calls = {"tokens": 0, "simple": 0}
    real_token, real_simple = Lexer.next_token, Parser.simple_command

    def next_token(self: Lexer) -> Tok:
        calls["tokens"] += 1
        return real_token(self)

    def simple_command(self: Parser) -> Command:
        calls["simple"] += 1
        return real_simple(self)

    monkeypatch.setattr(Lexer, "next_token", next_token)
    monkeypatch.setattr(Parser, "simple_command", simple_command)
    sh, out, err = make_shell()
    plain = "".join(f"echo line {i}\n" for i in range(500))
    assert sh.run(plain) == 0
    assert calls["tokens"] <= 1 and calls["simple"] == 0
    repeated = "echo DMA > /sys/kernel/iommu_groups/0/type; x=$((x+1)) # again\n" * 500
    assert sh.run(repeated) == 0
    assert calls["simple"] <= 2 * 3
    assert sh.vars["x"] == "500" and err.getvalue() == b""


def test_cached_lines_keep_their_line_numbers() -> None:
    sh, out, err = make_shell()
    line = 'echo "$LINENO" > /sys/kernel/iommu_groups/0/type\n'
    status = sh.run(line + "\n# comment\n" + line + line, filename="s.sh")
    assert status == 1
    assert err.getvalue() == b"".join(
        b"s.sh: line %d: echo: write error: Invalid argument\n" % n for n in (1, 4, 5)
    )


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("ab $'\"\\`(){}[]<>|&;*?!#=~-+0123456789\n\t:%/^,@")),
        max_size=40,
    )
)
def test_random_input_never_escapes(src: str) -> None:
    system = FakeSystem()
    sh, out, err = make_shell(system)
    before = dict(system.type_values)
    sh.run(src)
    sh.close()
    assert b"Traceback" not in err.getvalue()
    assert b"internal error" not in err.getvalue(), (src, err.getvalue())
    assert system.type_values == before


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(
    ["echo $((", "${x:?e}", "if", "then", "fi", "case", "esac", "a=(", ")", "$(", "`", "<<E",
     "f(){", "}", "[[", "]]", "((1/0))", "exec 9>&-", "read -a", "declare -A m", "m[k]=v",
     "printf %d x", "cd -", "shift 9", "break 3", "return", "trap 'echo t' EXIT", "\n", ";"]),
    max_size=12))  # fmt: skip
def test_random_fragments_never_escape(parts: list[str]) -> None:
    sh, out, err = make_shell()
    src = " ".join(parts)
    sh.run(src)
    sh.close()
    assert b"internal error" not in err.getvalue(), (src, err.getvalue())
