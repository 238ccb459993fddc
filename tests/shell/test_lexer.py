"""The lexer: tokens, word parts with their quoting, here-documents."""

from __future__ import annotations

import pytest

from iommush.shell.ast import DQ, SQ, ArithSub, CmdSub, Escaped, Lit, Param, Tilde
from iommush.shell.errors import Incomplete
from iommush.shell.lexer import Lexer, decode_ansi_c


def tokens(src: str) -> list[tuple[str, str]]:
    lx = Lexer(src)
    out = []
    while True:
        t = lx.next_token()
        if t.kind == "E":
            return out
        out.append((t.kind, t.value))


def test_operators_and_words() -> None:
    assert tokens("a|b&&c;d 2>&1 >>f") == [
        ("W", "a"), ("O", "|"), ("W", "b"), ("O", "&&"), ("W", "c"), ("O", ";"),
        ("W", "d"), ("IO", "2"), ("O", ">&"), ("W", "1"), ("O", ">>"), ("W", "f"),
    ]  # fmt: skip


def test_comment_and_continuation() -> None:
    assert tokens("echo a \\\n b # c\n") == [("W", "echo"), ("W", "a"), ("W", "b"), ("N", "\n")]


def test_word_parts_keep_quoting() -> None:
    w = Lexer("a'b c'\"$x\"\\*~").next_token().word
    assert w is not None
    assert [type(p) for p in w.parts] == [Lit, SQ, DQ, Escaped, Lit]
    assert isinstance(w.parts[2], DQ) and isinstance(w.parts[2].parts[0], Param)


def test_braced_params() -> None:
    w = Lexer("${x:-d}${#y}${a[@]}${p##*/}${s:1:2}").next_token().word
    assert w is not None
    ops = [(p.name, p.op, p.length) for p in w.parts if isinstance(p, Param)]
    assert ops == [("x", ":-", False), ("y", "", True), ("a", "", False), ("p", "##", False),
                   ("s", ":", False)]  # fmt: skip


def test_substitutions_and_tilde() -> None:
    w = Lexer("~/x$(echo hi)$((1+2))`date`").next_token().word
    assert w is not None
    assert [type(p) for p in w.parts] == [Tilde, Lit, CmdSub, ArithSub, CmdSub]


def test_assignment_word() -> None:
    t = Lexer("a[1]+=x").next_token()
    assert t.assign is not None and t.assign.name == "a" and t.assign.op == "+="
    t = Lexer("arr=(1 'two three' [5]=x)").next_token()
    assert t.assign is not None and t.assign.array is not None and len(t.assign.array) == 3


def test_static_text() -> None:
    w = Lexer("'a b'c\"d\"").next_token().word
    assert w is not None and w.static == "a bcd"
    g = Lexer("*.txt").next_token().word
    assert g is not None and g.static is None


@pytest.mark.parametrize("src", ["echo 'open", 'echo "open', "echo $(ls", "echo ${x", "echo `x"])
def test_unterminated_is_incomplete(src: str) -> None:
    lx = Lexer(src, final=False)
    with pytest.raises(Incomplete):
        while lx.next_token().kind != "E":
            pass


def test_ansi_c() -> None:
    assert decode_ansi_c("a\\tb\\x41\\n") == ("a\tbA\n", False)
    assert decode_ansi_c("x\\cy", echo=True) == ("x", True)
    assert decode_ansi_c("\\0101", echo=True)[0] == "A"
