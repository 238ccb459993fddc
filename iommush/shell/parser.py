"""A hand-written recursive-descent parser for the POSIX sh grammar and the bash
extensions real sysfs scripts use (``[[ ]]``, ``(( ))``, arrays, ``function``).

Each ``parse_*`` method's docstring gives the production it implements, as Oils'
``cmd_parse.py`` does. :meth:`Parser.parse_next` returns one complete command at a
time, so a script runs line by line and a syntax error on line 9 comes after lines 1-8
have run, as in bash.
"""

from __future__ import annotations

import re

from .ast import DQ as DQPart
from .ast import (
    SQ,
    AndOr,
    ArithCmd,
    ArithFor,
    Assign,
    BraceGroup,
    Case,
    CaseArm,
    Command,
    CondAnd,
    CondBinary,
    CondExpr,
    CondNot,
    CondOr,
    CondUnary,
    CondWord,
    DBracket,
    Escaped,
    For,
    FuncDef,
    HereDoc,
    If,
    Lit,
    Pipeline,
    Redir,
    Seq,
    Simple,
    Subshell,
    While,
    Word,
)
from .errors import Incomplete, ShellSyntaxError
from .lexer import Lexer, Tok

__all__ = ["Parser", "parse", "KEYWORDS"]

KEYWORDS = frozenset(
    "if then elif else fi for in do done while until case esac function { } ! [[ ]]".split()
)
_LIST_END = frozenset("then elif else fi do done esac }".split())
_REDIR_OPS = frozenset(["<", ">", ">>", "<>", ">|", "<&", ">&", "&>", "&>>", "<<", "<<-", "<<<"])
_UNARY = frozenset(
    "-a -b -c -d -e -f -g -h -k -p -r -s -t -u -w -x -G -L -N -O -S -z -n -o -v -R".split()
)
_BINARY = frozenset("== = != =~ -eq -ne -lt -le -gt -ge -nt -ot -ef".split())
DECL_BUILTINS = frozenset(["declare", "typeset", "local", "export", "readonly"])
_PLAIN_LINE = re.compile(
    r"[ \t]*([\w./:@%+,*?^\[\]{}-]+(?:[ \t]+[\w./:@%+,*?^\[\]{}-]+)*)[ \t]*(\n|\Z)", re.ASCII
)


class Parser:
    """Parses tokens from a :class:`Lexer` into :mod:`iommush.shell.ast` nodes."""

    def __init__(self, lexer: Lexer) -> None:
        self.lx = lexer
        self._tok: Tok | None = None

    # -- token helpers ---------------------------------------------------------------
    def peek(self) -> Tok:
        tok = self._tok
        if tok is None:
            tok = self._tok = self.lx.next_token()
        return tok

    def idle(self) -> bool:
        """True between commands: no token read ahead, no here-document pending."""
        return self._tok is None and not self.lx.heredocs

    def next(self) -> Tok:
        tok = self.peek()
        self._tok = None
        return tok

    def error(self, tok: Tok) -> ShellSyntaxError:
        """``syntax error near unexpected token `X'`` (or end of input)."""
        if tok.kind == "E":
            if not self.lx.final:
                return Incomplete(line=tok.line)
            return ShellSyntaxError("syntax error: unexpected end of file", tok.line)
        return ShellSyntaxError(f"syntax error near unexpected token `{tok.show()}'", tok.line)

    def is_kw(self, tok: Tok, *words: str) -> bool:
        return tok.kind == "W" and tok.kw is not None and tok.kw in words

    def expect_kw(self, word: str) -> Tok:
        tok = self.next()
        if not self.is_kw(tok, word):
            raise self.error(tok)
        return tok

    def skip_newlines(self) -> None:
        while self.peek().kind == "N":
            self.next()

    # -- top level ----------------------------------------------------------------------
    def parse_next(self) -> Command | None:
        """``complete_command : list separator_op? NEWLINE`` (None at the end of input)."""
        if self._tok is None and not self.lx.heredocs:
            node = self._plain_line()
            if node is not None:
                return node
        self.skip_newlines()
        tok = self.peek()
        if tok.kind == "E":
            return None
        items = self._and_or_list(top=True)
        tok = self.peek()
        if tok.kind == "N":
            self.next()
        elif tok.kind != "E":
            raise self.error(tok)
        return items[0] if len(items) == 1 else Seq(items)

    def _plain_line(self) -> Simple | None:
        """The fast path for a line of plain words (``cat /sys/x``, ``echo foo``):
        the very tree the grammar gives, without going through the tokens."""
        lx = self.lx
        m = _PLAIN_LINE.match(lx.src, lx.pos)
        if m is None:
            return None
        words = m.group(1).split()
        if words[0] in KEYWORDS or words[0] == "time":
            return None
        node = Simple([], [Word.literal(w) for w in words], [], lx.line)
        lx.pos = m.end()
        if m.group(2):
            lx.line += 1
        return node

    def parse_program(self) -> Seq:
        """``program : linebreak complete_commands linebreak``."""
        items: list[Command] = []
        while True:
            cmd = self.parse_next()
            if cmd is None:
                return Seq(items)
            items.append(cmd)

    def parse_cmdsub_body(self) -> Command | None:
        """The commands of ``$( ... )`` up to the closing parenthesis."""
        body = self.compound_list(allow_empty=True)
        tok = self.next()
        if tok.kind != "O" or tok.value != ")":
            if tok.kind == "E":
                raise (
                    self.lx.eof(")")
                    if not self.lx.final
                    else ShellSyntaxError("unexpected EOF while looking for matching `)'", tok.line)
                )
            raise self.error(tok)
        return body if body.items else None

    def _and_or_list(self, top: bool) -> list[Command]:
        items = [self.and_or()]
        while True:
            tok = self.peek()
            if tok.kind == "O" and tok.value in (";", "&"):
                self.next()
                nxt = self.peek()
                if top:
                    if nxt.kind in ("N", "E"):
                        return items
                else:
                    self.skip_newlines()
                    nxt = self.peek()
                if self._ends_list(nxt):
                    return items
                items.append(self.and_or())
            elif not top and tok.kind == "N":
                self.skip_newlines()
                if self._ends_list(self.peek()):
                    return items
                items.append(self.and_or())
            else:
                return items

    def _ends_list(self, tok: Tok) -> bool:
        if tok.kind == "E":
            return True
        if tok.kind == "O" and tok.value in (")", ";;", ";&", ";;&"):
            return True
        return tok.kind == "W" and tok.kw in _LIST_END

    def compound_list(self, allow_empty: bool = False) -> Seq:
        """``compound_list : linebreak term separator?`` (newlines separate commands)."""
        self.skip_newlines()
        if self._ends_list(self.peek()):
            tok = self.peek()
            if allow_empty:
                return Seq([])
            raise self.error(tok)
        return Seq(self._and_or_list(top=False))

    def and_or(self) -> Command:
        """``and_or : pipeline ( ('&&' | '||') linebreak pipeline )*``."""
        first = self.pipeline()
        rest: list[tuple[str, Command]] = []
        while True:
            tok = self.peek()
            if tok.kind == "O" and tok.value in ("&&", "||"):
                self.next()
                self.skip_newlines()
                rest.append((tok.value, self.pipeline()))
            else:
                break
        return AndOr(first, rest) if rest else first

    def pipeline(self) -> Command:
        """``pipeline : Bang? command ( ('|' | '|&') linebreak command )*``."""
        negate = False
        tok = self.peek()
        line = tok.line
        while self.is_kw(tok, "!"):
            self.next()
            negate = not negate
            tok = self.peek()
        if self.is_kw(tok, "time"):
            self.next()
        cmds = [self.command()]
        both: list[bool] = []
        while True:
            tok = self.peek()
            if tok.kind == "O" and tok.value in ("|", "|&"):
                self.next()
                self.skip_newlines()
                both.append(tok.value == "|&")
                cmds.append(self.command())
            else:
                break
        if len(cmds) == 1 and not negate:
            return cmds[0]
        return Pipeline(cmds, negate, both, line)

    # -- commands ------------------------------------------------------------------
    def command(self) -> Command:
        """``command : compound_command redirect* | function_def | simple_command``."""
        tok = self.peek()
        if tok.kind == "W" and tok.kw is not None:
            kw = tok.kw
            node: Command | None = None
            if kw == "if":
                node = self.parse_if()
            elif kw in ("while", "until"):
                node = self.parse_while()
            elif kw == "for":
                node = self.parse_for()
            elif kw == "case":
                node = self.parse_case()
            elif kw == "{":
                node = self.parse_brace()
            elif kw == "[[":
                node = self.parse_dbracket()
            elif kw == "function":
                return self.parse_function()
            elif kw in _LIST_END or kw in ("]]", "in") and False:
                raise self.error(tok)
            if node is not None:
                self._trailing_redirs(node)
                return node
        elif tok.kind == "O" and tok.value == "(":
            self.next()
            if self.lx.src.startswith("(", self.lx.pos):
                self.lx.pos += 1
                text = self.lx.read_arith_text()
                node = ArithCmd(self.lx.parse_text(text, "arith"), line=tok.line)
            else:
                body = self.compound_list()
                close = self.next()
                if close.kind != "O" or close.value != ")":
                    raise self.error(close)
                node = Subshell(body)
            self._trailing_redirs(node)
            return node
        return self.simple_command()

    def _trailing_redirs(self, node: Command) -> None:
        redirs: list[Redir] = getattr(node, "redirs", [])
        while True:
            r = self._maybe_redirect()
            if r is None:
                break
            redirs.append(r)
        tok = self.peek()
        if tok.kind == "W":
            raise self.error(tok)

    def _maybe_redirect(self) -> Redir | None:
        tok = self.peek()
        fd: int | None = None
        if tok.kind == "IO":
            self.next()
            fd = int(tok.value)
            tok = self.peek()
            if tok.kind != "O" or tok.value not in _REDIR_OPS:
                raise self.error(tok)
        elif not (tok.kind == "O" and tok.value in _REDIR_OPS):
            return None
        op = self.next().value
        target = self.next()
        if target.kind != "W" or target.word is None:
            raise self.error(target)
        if op in ("<<", "<<-"):
            delim, quoted = _heredoc_delim(target.word)
            hd = HereDoc(delim, quoted, op == "<<-")
            self.lx.add_heredoc(hd)
            return Redir(fd, op, None, hd)
        return Redir(fd, op, target.word)

    def simple_command(self) -> Command:
        """``simple_command : cmd_prefix? cmd_word cmd_suffix?`` (also ``name() body``)."""
        assigns = []
        words: list[Word] = []
        redirs: list[Redir] = []
        decl: dict[int, Assign] | None = None
        first = self.peek()
        line = first.line
        while True:
            tok = self.peek()
            if tok.kind == "W":
                if tok.assign is not None and not words:
                    assigns.append(tok.assign)
                    self.next()
                    continue
                if tok.assign is not None and words and words[0].static in DECL_BUILTINS:
                    if decl is None:
                        decl = {}
                    decl[len(words)] = tok.assign
                if tok.assign is not None and tok.assign.array is not None and decl is None:
                    raise ShellSyntaxError("syntax error near unexpected token `('", tok.line)
                self.next()
                assert tok.word is not None
                words.append(tok.word)
                if len(words) == 1 and not assigns and not redirs:
                    nxt = self.peek()
                    if nxt.kind == "O" and nxt.value == "(":
                        return self._function_after_name(tok)
                continue
            if tok.kind not in ("O", "IO"):
                break
            r = self._maybe_redirect()
            if r is None:
                break
            redirs.append(r)
        if not words and not assigns and not redirs:
            raise self.error(self.peek())
        return Simple(assigns, words, redirs, line, decl)

    # -- compound commands ---------------------------------------------------------
    def parse_if(self) -> If:
        """``if_clause : If compound_list Then compound_list else_part? Fi``."""
        self.next()
        arms = []
        cond = self.compound_list()
        self.expect_kw("then")
        arms.append((cond, self.compound_list()))
        orelse = None
        while True:
            tok = self.next()
            if self.is_kw(tok, "elif"):
                cond = self.compound_list()
                self.expect_kw("then")
                arms.append((cond, self.compound_list()))
            elif self.is_kw(tok, "else"):
                orelse = self.compound_list()
                self.expect_kw("fi")
                break
            elif self.is_kw(tok, "fi"):
                break
            else:
                raise self.error(tok)
        return If(arms, orelse)

    def parse_while(self) -> While:
        """``while_clause : (While | Until) compound_list do_group``."""
        until = self.next().kw == "until"
        cond = self.compound_list()
        body = self._do_group()
        return While(cond, body, until)

    def _do_group(self) -> Seq:
        """``do_group : Do compound_list Done`` (or a brace group, as bash allows)."""
        tok = self.peek()
        if self.is_kw(tok, "{"):
            return Seq([self.parse_brace()])
        self.expect_kw("do")
        body = self.compound_list()
        self.expect_kw("done")
        return body

    def parse_for(self) -> Command:
        """``for_clause : For name (linebreak In wordlist? sequential_sep)? do_group``
        and bash's ``for (( init; cond; step ))``."""
        line = self.next().line
        tok = self.peek()
        if tok.kind == "O" and tok.value == "(" and self.lx.src.startswith("(", self.lx.pos):
            self.next()
            self.lx.pos += 1
            text = self.lx.read_arith_text()
            pieces = text.split(";")
            if len(pieces) != 3:
                raise ShellSyntaxError("syntax error: arithmetic expression required", line)
            init, cond, step = (
                self.lx.parse_text(p, "arith") if p.strip() else None for p in pieces
            )
            nxt = self.peek()
            if nxt.kind == "O" and nxt.value == ";":
                self.next()
            self.skip_newlines()
            return ArithFor(init, cond, step, self._do_group(), line=line)
        name_tok = self.next()
        if name_tok.kind != "W" or not name_tok.kw or not name_tok.kw.isidentifier():
            if name_tok.kind == "W":
                raise ShellSyntaxError(f"`{name_tok.value}': not a valid identifier", line)
            raise self.error(name_tok)
        words: list[Word] | None = None
        self.skip_newlines()
        tok = self.peek()
        if self.is_kw(tok, "in"):
            self.next()
            words = []
            while True:
                tok = self.peek()
                if tok.kind == "W":
                    self.next()
                    assert tok.word is not None
                    words.append(tok.word)
                    continue
                if tok.kind == "O" and tok.value == ";" or tok.kind == "N":
                    self.next()
                    break
                raise self.error(tok)
        elif tok.kind == "O" and tok.value == ";":
            self.next()
        self.skip_newlines()
        return For(name_tok.kw, words, self._do_group(), line=line)

    def parse_case(self) -> Case:
        """``case_clause : Case WORD linebreak In linebreak case_list? Esac``."""
        line = self.next().line
        wtok = self.next()
        if wtok.kind != "W" or wtok.word is None:
            raise self.error(wtok)
        self.skip_newlines()
        self.expect_kw("in")
        arms: list[CaseArm] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if self.is_kw(tok, "esac"):
                self.next()
                break
            if tok.kind == "O" and tok.value == "(":
                self.next()
            patterns: list[Word] = []
            while True:
                tok = self.next()
                if tok.kind != "W" or tok.word is None:
                    raise self.error(tok)
                patterns.append(tok.word)
                sep = self.next()
                if sep.kind == "O" and sep.value == "|":
                    continue
                if sep.kind == "O" and sep.value == ")":
                    break
                raise self.error(sep)
            body = self.compound_list(allow_empty=True)
            tok = self.peek()
            term = ";;"
            if tok.kind == "O" and tok.value in (";;", ";&", ";;&"):
                term = self.next().value
            elif not self.is_kw(tok, "esac"):
                raise self.error(tok)
            arms.append(CaseArm(patterns, body if body.items else None, term))
        return Case(wtok.word, arms, line=line)

    def parse_brace(self) -> BraceGroup:
        """``brace_group : '{' compound_list '}'``."""
        self.next()
        body = self.compound_list()
        self.expect_kw("}")
        return BraceGroup(body)

    def parse_function(self) -> FuncDef:
        """``function name [()] linebreak compound_command`` (bash)."""
        start = self.next()
        name = self.next()
        if name.kind != "W":
            raise self.error(name)
        tok = self.peek()
        if tok.kind == "O" and tok.value == "(":
            self.next()
            close = self.next()
            if close.kind != "O" or close.value != ")":
                raise self.error(close)
        return self._function_body(name.value, start.line)

    def _function_after_name(self, name: Tok) -> FuncDef:
        """``function_definition : fname '(' ')' linebreak function_body``."""
        self.next()
        close = self.next()
        if close.kind != "O" or close.value != ")":
            raise self.error(close)
        if not _valid_func_name(name.value):
            raise ShellSyntaxError(f"`{name.value}': not a valid identifier", name.line)
        return self._function_body(name.value, name.line)

    def _function_body(self, name: str, line: int) -> FuncDef:
        self.skip_newlines()
        start = self.lx.pos
        tok = self.peek()
        start = self.lx.src.rfind(tok.value, 0, self.lx.pos) if tok.value else start
        body = self.command()
        if not isinstance(body, (BraceGroup, Subshell, If, For, While, Case, ArithFor,
                                 DBracket, ArithCmd)):  # fmt: skip
            raise ShellSyntaxError(f"syntax error near unexpected token `{tok.show()}'", tok.line)
        end = self.lx.pos
        return FuncDef(name, body, self.lx.src[max(start, 0) : end], line)

    # -- [[ ]] -----------------------------------------------------------------------
    def parse_dbracket(self) -> DBracket:
        """``'[[' cond_or ']]'``."""
        line = self.next().line
        expr = self._cond_or()
        tok = self.next()
        if not self.is_kw(tok, "]]"):
            raise self.error(tok)
        return DBracket(expr, line=line)

    def _cond_or(self) -> CondExpr:
        left = self._cond_and()
        while self._is_op(self.peek(), "||"):
            self.next()
            self.skip_newlines()
            left = CondOr(left, self._cond_and())
        return left

    def _cond_and(self) -> CondExpr:
        left = self._cond_not()
        while self._is_op(self.peek(), "&&"):
            self.next()
            self.skip_newlines()
            left = CondAnd(left, self._cond_not())
        return left

    def _cond_not(self) -> CondExpr:
        tok = self.peek()
        if self.is_kw(tok, "!"):
            self.next()
            return CondNot(self._cond_not())
        return self._cond_primary()

    @staticmethod
    def _is_op(tok: Tok, value: str) -> bool:
        return tok.kind == "O" and tok.value == value

    def _cond_primary(self) -> CondExpr:
        tok = self.next()
        if self._is_op(tok, "("):
            expr = self._cond_or()
            close = self.next()
            if not self._is_op(close, ")"):
                raise self.error(close)
            return expr
        if tok.kind != "W" or tok.word is None or self.is_kw(tok, "]]"):
            if tok.kind == "E":
                raise self.error(tok)
            raise ShellSyntaxError(f"unexpected token `{tok.show()}' in conditional command",
                                   tok.line)  # fmt: skip
        if tok.kw in _UNARY:
            nxt = self.peek()
            if nxt.kind == "W" and not self.is_kw(nxt, "]]"):
                self.next()
                assert nxt.word is not None
                return CondUnary(tok.kw, nxt.word)
        nxt = self.peek()
        op: str | None = None
        if nxt.kind == "W" and nxt.kw in _BINARY:
            op = nxt.kw
        elif nxt.kind == "O" and nxt.value in ("<", ">"):
            op = nxt.value
        if op is None:
            return CondWord(tok.word)
        self.next()
        if op == "=~":
            right = self.lx.read_regex_word()
            if not right.parts:
                raise self.error(self.peek())
        else:
            rtok = self.next()
            if rtok.kind != "W" or rtok.word is None:
                raise self.error(rtok)
            right = rtok.word
        return CondBinary(op, tok.word, right)


def _valid_func_name(name: str) -> bool:
    return bool(name) and not any(c in name for c in "$`'\"\\") and name not in KEYWORDS


def _heredoc_delim(word: Word) -> tuple[str, bool]:
    """The delimiter text of ``<<WORD`` (quotes removed) and whether it was quoted."""
    out: list[str] = []
    quoted = False
    for p in word.parts:
        if isinstance(p, Lit):
            out.append(p.text)
        elif isinstance(p, (SQ, Escaped)):
            out.append(p.text)
            quoted = True
        elif isinstance(p, DQPart):
            quoted = True
            for q in p.parts:
                out.append(q.text if isinstance(q, Lit) else "")
        else:
            return word.raw, False
    return "".join(out), quoted


def parse(source: str, *, final: bool = True) -> Seq:
    """Parse a whole source text (raises :class:`ShellSyntaxError` or :class:`Incomplete`)."""
    return Parser(Lexer(source, final=final)).parse_program()
