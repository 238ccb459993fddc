"""The tokenizer and the highlighting lexer."""

from __future__ import annotations

from prompt_toolkit.document import Document

from iommush.repl.lexer import ShellLexer, style_spans
from iommush.repl.tokens import split_commands, tokenize


def roles(src: str) -> list[tuple[str, str]]:
    return [(t.role, t.value) for t in tokenize(src) if t.kind == "word"]


def test_roles_of_words() -> None:
    assert roles("A=1 ls -l 'a b' >out") == [
        ("assignment", "A=1"),
        ("command", "ls"),
        ("option", "-l"),
        ("arg", "a b"),
        ("redirect", "out"),
    ]
    assert roles("for i in 1 2; do echo $i; done")[:4] == [
        ("keyword", "for"),
        ("name", "i"),
        ("keyword", "in"),
        ("arg", "1"),
    ]
    assert roles("case $x in a) ls;; esac")[3:5] == [("pattern", "a"), ("command", "ls")]
    assert [t.text for t in tokenize("cmd 2>&1 | wc") if t.kind == "op"] == ["2>&", "|"]


def test_unterminated_quotes_and_escapes() -> None:
    assert tokenize('echo "a $b')[-1].open_quote == '"'
    assert tokenize("echo a\\")[-1].open_quote == "\\"
    assert tokenize('echo "x\\"y"')[-1].value == 'x"y'
    assert len(split_commands(tokenize("a; b | c && d"))) == 4


def test_styles_mark_unknown_commands_strings_and_comments() -> None:
    styles = style_spans("ls 'x' # c; nosuch", lambda n: n == "ls")
    assert styles[0] == "class:command"
    assert "class:string" in styles[4]
    assert styles[-1] == "class:comment"
    assert style_spans("nosuch", lambda n: False)[0] == "class:command.unknown"


def test_lexer_splits_lines() -> None:
    get_line = ShellLexer(lambda n: True).lex_document(Document("if true\nthen ls\nfi"))
    assert get_line(0)[0] == ("class:keyword", "if")
    assert "".join(t for _s, t in get_line(1)) == "then ls"
    assert get_line(5) == []
