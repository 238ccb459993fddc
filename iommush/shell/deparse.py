"""Syntax trees back to source text, laid out as bash's ``print_cmd.c`` does for
``type f`` and ``declare -f f``: one command a line, four spaces an indent level,
``;`` after each command of a ``do``/``then``/``else`` body, ``elif`` as a nested
``if`` under ``else``. Words are printed as they were written.
"""

from __future__ import annotations

from .ast import (
    AndOr,
    ArithCmd,
    ArithFor,
    BraceGroup,
    Case,
    Command,
    CondAnd,
    CondBinary,
    CondExpr,
    CondNot,
    CondUnary,
    CondWord,
    DBracket,
    For,
    FuncDef,
    If,
    Pipeline,
    Redir,
    Seq,
    Simple,
    Subshell,
    While,
)

__all__ = ["format_function"]

_IND = "    "


def format_function(func: FuncDef) -> str:
    """``NAME () `` and the body in braces, as ``type NAME`` shows a function."""
    return f"{func.name} () \n{_Printer().function_body(func.body)}"


class _Printer:
    def __init__(self) -> None:
        #: Here-document bodies to print after the current line.
        self.heredocs: list[str] = []

    def function_body(self, body: Command) -> str:
        if isinstance(body, BraceGroup):
            return "{ \n" + self.group(body.body, 1) + "\n}" + self.redirs(body.redirs)
        return "{ \n" + _IND + self.command(body, 1) + self.flush() + "\n}"

    # -- lists ---------------------------------------------------------------------
    def group(self, seq: Seq, level: int) -> str:
        """Commands separated by ``;`` and newlines, the last one without ``;``."""
        return self._lines(seq, level, terminate=False)

    def body(self, seq: Seq, level: int) -> str:
        """A ``do``/``then``/``else`` body: every command ends with ``;``."""
        return self._lines(seq, level, terminate=True)

    def _lines(self, seq: Seq, level: int, terminate: bool) -> str:
        ind = _IND * level
        out = []
        for i, c in enumerate(seq.items):
            line = ind + self.command(c, level)
            sep = ";" if terminate or i < len(seq.items) - 1 else ""
            out.append(line + sep + self.flush())
        return "\n".join(out)

    def flush(self) -> str:
        if not self.heredocs:
            return ""
        text = "\n" + "".join(self.heredocs)
        self.heredocs = []
        return text.rstrip("\n") + "\n"

    # -- commands ------------------------------------------------------------------
    def command(self, node: Command, level: int) -> str:  # noqa: C901 - one case a kind
        ind = _IND * level
        if isinstance(node, Simple):
            words = [a.raw for a in node.assigns] + [w.raw for w in node.words]
            return " ".join(words) + self.redirs(node.redirs)
        if isinstance(node, Pipeline):
            text = ""
            for i, c in enumerate(node.cmds):
                if i:
                    text += " |& " if node.stderr_too[i - 1] else " | "
                text += self.command(c, level)
            return ("! " if node.negate else "") + text
        if isinstance(node, AndOr):
            text = self.command(node.first, level)
            for op, c in node.rest:
                text += f" {op} " + self.command(c, level)
            return text
        if isinstance(node, Seq):
            return "; ".join(self.command(c, level) for c in node.items)
        if isinstance(node, BraceGroup):
            return (
                "{ \n" + self.group(node.body, level + 1) + f"\n{ind}}}" + self.redirs(node.redirs)
            )
        if isinstance(node, Subshell):
            inner = "; ".join(self.command(c, level) for c in node.body.items)
            return f"( {inner} )" + self.redirs(node.redirs)
        if isinstance(node, If):
            return self._if(node.arms, node.orelse, level) + self.redirs(node.redirs)
        if isinstance(node, For):
            word_list = ' "$@"' if node.words is None else "".join(" " + w.raw for w in node.words)
            return (
                f"for {node.var} in{word_list};\n{ind}do\n"
                + self.body(node.body, level + 1)
                + f"\n{ind}done"
                + self.redirs(node.redirs)
            )
        if isinstance(node, ArithFor):
            clauses = [
                w.raw.strip() if w is not None else "" for w in (node.init, node.cond, node.step)
            ]
            return (
                f"for (({'; '.join(clauses)}))\n{ind}do\n"
                + self.body(node.body, level + 1)
                + f"\n{ind}done"
                + self.redirs(node.redirs)
            )
        if isinstance(node, While):
            kw = "until" if node.until else "while"
            cond = "; ".join(self.command(c, level) for c in node.cond.items)
            return (
                f"{kw} {cond}; do\n"
                + self.body(node.body, level + 1)
                + f"\n{ind}done"
                + self.redirs(node.redirs)
            )
        if isinstance(node, Case):
            out = [f"case {node.word.raw} in "]
            for arm in node.arms:
                out.append(ind + _IND + " | ".join(p.raw for p in arm.patterns) + ")")
                out.append(self.group(arm.body, level + 2) if arm.body is not None else "")
                out.append(ind + _IND + arm.term)
            out.append(ind + "esac")
            return "\n".join(out) + self.redirs(node.redirs)
        if isinstance(node, FuncDef):
            body = _Printer().function_body(node.body)
            return f"{node.name} () \n" + body.replace("\n", "\n" + ind)
        if isinstance(node, DBracket):
            return f"[[ {_cond(node.expr)} ]]" + self.redirs(node.redirs)
        if isinstance(node, ArithCmd):
            return f"(( {node.expr.raw.strip()} ))" + self.redirs(node.redirs)
        return ""

    def _if(self, arms: list[tuple[Seq, Seq]], orelse: Seq | None, level: int) -> str:
        ind = _IND * level
        cond, then = arms[0]
        text = (
            "if "
            + "; ".join(self.command(c, level) for c in cond.items)
            + "; then\n"
            + self.body(then, level + 1)
        )
        if len(arms) > 1:
            nested = self._if(arms[1:], orelse, level + 1)
            text += f"\n{ind}else\n{ind}{_IND}{nested};"
        elif orelse is not None:
            text += f"\n{ind}else\n" + self.body(orelse, level + 1)
        return text + f"\n{ind}fi"

    def redirs(self, redirs: list[Redir]) -> str:
        out = ""
        for r in redirs:
            if r.heredoc is not None:
                hd = r.heredoc
                fd = "" if r.fd is None else str(r.fd)
                out += f" {fd}{r.op}{hd.delim}"
                body = hd.body.raw if hd.body is not None else ""
                self.heredocs.append(body + hd.delim + "\n")
                continue
            target = r.target.raw if r.target is not None else ""
            if r.op in (">&", "<&"):
                fd = str(r.fd if r.fd is not None else (1 if r.op == ">&" else 0))
                out += f" {fd}{r.op}{target}"
            else:
                fd = "" if r.fd is None else str(r.fd)
                out += f" {fd}{r.op} {target}"
        return out


def _cond(e: CondExpr) -> str:
    if isinstance(e, CondWord):
        return e.word.raw
    if isinstance(e, CondUnary):
        return f"{e.op} {e.word.raw}"
    if isinstance(e, CondBinary):
        return f"{e.left.raw} {e.op} {e.right.raw}"
    if isinstance(e, CondNot):
        return "! " + _cond(e.expr)
    if isinstance(e, CondAnd):
        return f"{_cond(e.left)} && {_cond(e.right)}"
    return f"{_cond(e.left)} || {_cond(e.right)}"
