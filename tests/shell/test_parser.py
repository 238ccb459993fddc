"""The parser: command structure, compound commands, syntax errors like bash."""

from __future__ import annotations

import pytest

from iommush.shell import Shell
from iommush.shell.ast import (
    AndOr,
    ArithCmd,
    ArithFor,
    BraceGroup,
    Case,
    DBracket,
    For,
    FuncDef,
    If,
    Pipeline,
    Seq,
    Simple,
    Subshell,
    While,
)  # fmt: skip
from iommush.shell.errors import ShellSyntaxError
from iommush.shell.parser import parse


def one(src: str) -> object:
    seq = parse(src)
    assert len(seq.items) == 1
    return seq.items[0]


@pytest.mark.parametrize(
    "src,kind",
    [
        ("a | b | c", Pipeline), ("a && b || c", AndOr), ("{ a; b; }", BraceGroup),
        ("( a )", Subshell), ("if a; then b; elif c; then d; else e; fi", If),
        ("for x in 1 2; do :; done", For), ("for ((i=0;i<3;i++)); do :; done", ArithFor),
        ("while a; do b; done", While), ("until a; do b; done", While),
        ("case x in a|b) c;; *) d;; esac", Case), ("f() { a; }", FuncDef),
        ("function f { a; }", FuncDef), ("[[ a == b && -f c ]]", DBracket),
        ("(( i++ ))", ArithCmd), ("x=1 y=2 cmd arg >out 2>&1", Simple),
    ],
)  # fmt: skip
def test_shapes(src: str, kind: type) -> None:
    assert isinstance(one(src), kind)


def test_simple_command_parts() -> None:
    node = one("A=1 echo hi >f 2>>g <in")
    assert isinstance(node, Simple)
    assert [a.name for a in node.assigns] == ["A"]
    assert [w.static for w in node.words] == ["echo", "hi"]
    assert [(r.fd, r.op) for r in node.redirs] == [(None, ">"), (2, ">>"), (None, "<")]


def test_heredoc_body_attached() -> None:
    node = one("cat <<EOF | wc\nline $x\nEOF\n")
    assert isinstance(node, Pipeline)
    first = node.cmds[0]
    assert isinstance(first, Simple) and first.redirs[0].heredoc is not None
    assert first.redirs[0].heredoc.body is not None


def test_newlines_separate_in_compound() -> None:
    node = one("if true\nthen\n  echo a\n  echo b\nfi")
    assert isinstance(node, If)
    assert len(node.arms[0][1].items) == 2


@pytest.mark.parametrize(
    "src,token",
    [("fi", "fi"), ("if true; then fi", "fi"), ("echo a |", None), ("a && ;", ";"),
     ("case x in a) b;; ) c;; esac", ")"), ("done", "done"), (")", ")")],
)  # fmt: skip
def test_syntax_errors(src: str, token: str | None) -> None:
    with pytest.raises(ShellSyntaxError) as info:
        parse(src)
    if token is not None:
        assert info.value.message == f"syntax error near unexpected token `{token}'"


@pytest.mark.parametrize(
    "src,complete",
    [("if true; then", False), ("if true; then echo; fi", True), ("echo 'a", False),
     ("cat <<EOF\nx", False), ("cat <<EOF\nx\nEOF", True), ("echo \\", False),
     ("a |", False), ("fi", True), ("for x in a", False), ("f() {", False)],
)  # fmt: skip
def test_is_complete(src: str, complete: bool) -> None:
    assert Shell.is_complete(src) is complete


def test_parse_program_keeps_order() -> None:
    seq = parse("a\nb; c\n\nd")
    assert isinstance(seq, Seq) and len(seq.items) == 3
