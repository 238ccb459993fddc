"""Word expansion: parameters, splitting, globbing over the virtual tree, arithmetic,
patterns."""

from __future__ import annotations

import pytest
from fakesys import make_shell

from iommush.shell.arith import evaluate
from iommush.shell.errors import ExpansionError
from iommush.shell.pattern import match


def out_of(src: str, **kw: object) -> str:
    sh, out, err = make_shell(**kw)  # type: ignore[arg-type]
    sh.run(src)
    return out.getvalue().decode()


@pytest.mark.parametrize(
    "src,expected",
    [
        ('x="a  b"; printf "[%s]" $x "$x"', "[a][b][a  b]"),
        ('set -- "a b" c; printf "[%s]" "$@" "$*"', "[a b][c][a b c]"),
        ('set --; printf "[%s]" "$@" x', "[x]"),
        ('IFS=,; x="1,,2"; printf "[%s]" $x', "[1][][2]"),
        ("x=abc; echo ${x/b/}${#x}${x:1}", "ac3bc\n"),
        ('a=(1 2 3); echo "${a[@]:1}" ${#a[*]}', "2 3 3\n"),
        ("x=Hello; echo ${x,,} ${x^^} ${x@Q}", "hello HELLO Hello\n"),
        ("echo ${undefined:-~}", "/root\n"),
        ('v=x; echo "${v:+"q r"}"', "q r\n"),
        ("echo $((2**10)) $((7%3)) $((-7/2)) $((1<<4)) $((0x1f))", "1024 1 -3 16 31\n"),
        ("n=3; echo $((n++ + ++n)) $n", "8 5\n"),
        (
            "echo /sys/kernel/iommu_groups/1*",
            "/sys/kernel/iommu_groups/1 /sys/kernel/iommu_groups/10\n",
        ),
        (
            "echo /sys/kernel/iommu_groups/[!1]",
            "/sys/kernel/iommu_groups/0 /sys/kernel/iommu_groups/2\n",
        ),
        ("echo /sys/*/iommu_groups/0/type", "/sys/kernel/iommu_groups/0/type\n"),
        ('echo "/sys/kernel/*"', "/sys/kernel/*\n"),
        ("shopt -s nullglob; echo /nope/* end", "end\n"),
        ("echo $(echo a; echo; echo)", "a\n"),
        ("x=$(printf 'a\\n\\n'); echo \"[$x]\"", "[a]\n"),
    ],
)
def test_expansions(src: str, expected: str) -> None:
    assert out_of(src) == expected


def test_glob_relative_to_cwd() -> None:
    assert out_of("echo *", cwd="/sys/kernel/iommu_groups") == "0 1 10 2\n"


def test_arith_errors_are_bash_like() -> None:
    def lookup(n: str, i: str | None) -> None:
        return None

    def store(n: str, i: str | None, v: int) -> None:
        pass

    with pytest.raises(ExpansionError, match="division by 0"):
        evaluate("1/0", lookup, store)
    with pytest.raises(ExpansionError):
        evaluate("1 +", lookup, store)
    assert evaluate("1 ? 2 : 3", lookup, store) == 2


@pytest.mark.parametrize(
    "pattern,text,ok",
    [("*.c", "a.c", True), ("[a-c]x", "bx", True), ("[!a-c]x", "bx", False),
     ("\\*", "*", True), ("\\*", "a", False), ("[[:digit:]]*", "9z", True), ("?", "", False)],
)  # fmt: skip
def test_patterns(pattern: str, text: str, ok: bool) -> None:
    assert match(pattern, text) is ok
