"""A recursive-descent parser for POSIX awk (the grammar of the POSIX awk page, with
its precedence table), producing :mod:`.ast` nodes. Errors read like mawk's:
``line N: syntax error at or near X``."""

from __future__ import annotations

from . import ast as A
from .errors import AwkError, AwkSyntaxError
from .lexer import Token, tokenize
from .regex import compile_ere

__all__ = ["parse"]

_ASSIGN = frozenset({"=", "+=", "-=", "*=", "/=", "%=", "^="})
_CONCAT_START = frozenset(
    {"NUMBER", "STRING", "ERE", "NAME", "FUNC_NAME", "BUILTIN", "$", "(", "!", "++", "--", "-"}
)
_CONCAT_START -= {"!", "-"}
_STMT_END = frozenset({";", "NEWLINE", "}", "EOF"})
_LVALUES = (A.Name, A.Local, A.Index, A.Field, A.NFVar)


def _near(tok: Token) -> str:
    if tok.kind == "NEWLINE":
        return "end of line"
    if tok.kind == "STRING":
        return '"' + tok.value + '"'
    if tok.kind == "ERE":
        return "/" + tok.value + "/"
    return tok.value


class Parser:
    """Parses one program; :func:`parse` is the entry point."""

    def __init__(self, src: str) -> None:
        self.toks = tokenize(src)
        self.pos = 0
        self.params: list[str] | None = None
        self.no_gt = False
        self.calls: list[tuple[str, int, int]] = []
        self.program = A.Program()

    # -- token helpers ---------------------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.pos + k, len(self.toks) - 1)]

    def kind(self, k: int = 0) -> str:
        return self.peek(k).kind

    def advance(self) -> Token:
        tok = self.toks[self.pos]
        if self.pos < len(self.toks) - 1:
            self.pos += 1
        return tok

    def error(self, tok: Token | None = None) -> AwkSyntaxError:
        tok = tok or self.peek()
        return AwkSyntaxError(tok.line, _near(tok))

    def expect(self, kind: str) -> Token:
        if self.kind() != kind:
            raise self.error()
        return self.advance()

    def newlines(self) -> None:
        while self.kind() == "NEWLINE":
            self.advance()

    def terminators(self) -> None:
        while self.kind() in ("NEWLINE", ";"):
            self.advance()

    # -- program ---------------------------------------------------------------------
    def parse_program(self) -> A.Program:
        prog = self.program
        self.terminators()
        while self.kind() != "EOF":
            self.item()
            self.terminators()
        for name, line, nargs in self.calls:
            fn = prog.functions.get(name)
            if fn is None:
                raise AwkSyntaxError(line, name, f"function {name} never defined")
            if nargs > len(fn.params):
                raise AwkSyntaxError(line, name, f"too many arguments in call to {name}")
        return prog

    def item(self) -> None:
        prog = self.program
        k = self.kind()
        if k in ("BEGIN", "END"):
            self.advance()
            if self.kind() != "{":
                raise self.error()
            (prog.begin if k == "BEGIN" else prog.end).append(self.block())
        elif k == "function":
            self.function()
        elif k == "{":
            prog.rules.append(A.Rule(None, None, self.block()))
        else:
            pattern = self.expr()
            end = None
            if self.kind() == ",":
                self.advance()
                self.newlines()
                end = self.expr()
            action = self.block() if self.kind() == "{" else None
            if action is None and self.kind() not in ("NEWLINE", ";", "EOF"):
                raise self.error()
            prog.rules.append(A.Rule(pattern, end, action))

    def function(self) -> None:
        self.advance()
        tok = self.advance()
        if tok.kind not in ("NAME", "FUNC_NAME"):
            raise self.error(tok)
        name = tok.value
        if name in self.program.functions:
            raise AwkSyntaxError(tok.line, name, f"function {name} redefined")
        self.expect("(")
        params: list[str] = []
        while self.kind() != ")":
            p = self.expect("NAME")
            if p.value in params or p.value == name:
                raise self.error(p)
            params.append(p.value)
            if self.kind() == ",":
                self.advance()
                self.newlines()
            elif self.kind() != ")":
                raise self.error()
        self.advance()
        self.newlines()
        self.params = params
        fn = A.Function(name, params, A.Block([]))
        self.program.functions[name] = fn
        try:
            fn.body = self.block()
        finally:
            self.params = None

    # -- statements ------------------------------------------------------------------
    def block(self) -> A.Block:
        self.expect("{")
        body: list[A.Stmt] = []
        while True:
            self.terminators()
            if self.kind() == "}":
                break
            body.append(self.statement())
        self.advance()
        return A.Block(body)

    def end_simple(self) -> None:
        k = self.kind()
        if k in (";", "NEWLINE"):
            self.advance()
        elif k not in ("}", "EOF"):
            raise self.error()

    def body(self) -> A.Stmt:
        self.newlines()
        if self.kind() == ";":
            self.advance()
            return A.Block([])
        return self.statement()

    def paren_expr(self) -> A.Expr:
        self.expect("(")
        saved, self.no_gt = self.no_gt, False
        e = self.expr()
        self.no_gt = saved
        self.expect(")")
        return e

    def statement(self) -> A.Stmt:
        k = self.kind()
        if k == "{":
            return self.block()
        if k == "if":
            self.advance()
            test = self.paren_expr()
            then = self.body()
            j = self.pos
            while self.toks[j].kind in ("NEWLINE", ";"):
                j += 1
            orelse = None
            if self.toks[j].kind == "else":
                self.pos = j + 1
                orelse = self.body()
            return A.If(test, then, orelse)
        if k == "while":
            self.advance()
            test = self.paren_expr()
            if self.kind() == ";":
                self.advance()
                return A.While(test, A.Block([]))
            return A.While(test, self.body())
        if k == "do":
            self.advance()
            body = self.body()
            self.terminators()
            self.expect("while")
            test = self.paren_expr()
            self.end_simple()
            return A.DoWhile(body, test)
        if k == "for":
            return self.for_stmt()
        if k == ";":
            self.advance()
            return A.Block([])
        stmt = self.simple_statement()
        self.end_simple()
        return stmt

    def for_stmt(self) -> A.Stmt:
        self.advance()
        self.expect("(")
        if (
            self.kind() == "NAME"
            and self.kind(1) == "in"
            and self.kind(2) == "NAME"
            and self.kind(3) == ")"
        ):
            var = self.var_ref(self.advance())
            self.advance()
            arr = self.array_ref(self.advance())
            self.advance()
            return A.ForIn(var, arr, self.body())
        init = None if self.kind() == ";" else self.simple_expr_stmt()
        self.expect(";")
        self.newlines()
        test = None if self.kind() == ";" else self.expr()
        self.expect(";")
        self.newlines()
        step = None if self.kind() == ")" else self.simple_expr_stmt()
        self.expect(")")
        return A.For(init, test, step, self.body())

    def simple_expr_stmt(self) -> A.Expr:
        return self.expr()

    def simple_statement(self) -> A.Stmt:
        tok = self.peek()
        k = tok.kind
        if k in ("print", "printf"):
            return self.print_stmt()
        if k in ("next", "nextfile", "break", "continue"):
            self.advance()
            return {
                "next": A.Next,
                "nextfile": A.NextFile,
                "break": A.Break,
                "continue": A.Continue,
            }[k]()
        if k in ("exit", "return"):
            self.advance()
            if k == "return" and self.params is None:
                raise self.error(tok)
            value = None if self.kind() in _STMT_END else self.expr()
            return A.Exit(value) if k == "exit" else A.Return(value)
        if k == "delete":
            self.advance()
            arr = self.array_ref(self.expect("NAME"))
            subs = None
            if self.kind() == "[":
                subs = self.subscripts()
            return A.Delete(arr, subs)
        return A.ExprStmt(self.expr())

    def print_stmt(self) -> A.Stmt:
        is_printf = self.advance().kind == "printf"
        args: list[A.Expr] | None = None
        if self.kind() == "(":
            start = self.pos
            try:
                self.advance()
                saved, self.no_gt = self.no_gt, False
                items = self.expr_list(")")
                self.no_gt = saved
                self.expect(")")
                if self.kind() in _STMT_END or self.kind() in (">", ">>", "|"):
                    args = items
                else:
                    self.pos = start
            except AwkError:
                self.pos = start
        if args is None:
            self.no_gt = True
            try:
                empty = self.kind() in _STMT_END or self.kind() in (">", ">>", "|")
                args = [] if empty else self.expr_list(None)
            finally:
                self.no_gt = False
        mode = ""
        dest = None
        if self.kind() in (">", ">>", "|"):
            mode = self.advance().kind
            self.no_gt = True
            try:
                dest = self.concat()
            finally:
                self.no_gt = False
        if is_printf and not args:
            raise self.error()
        return A.Print(is_printf, args, mode, dest)

    def expr_list(self, closer: str | None) -> list[A.Expr]:
        items = [self.expr()]
        while self.kind() == ",":
            self.advance()
            self.newlines()
            items.append(self.expr())
        return items

    # -- expressions -----------------------------------------------------------------
    def expr(self) -> A.Expr:
        left = self.ternary()
        if self.kind() in _ASSIGN and isinstance(left, _LVALUES):
            op = self.advance().kind
            self.newlines()
            return A.Assign(op, left, self.expr())
        return left

    def ternary(self) -> A.Expr:
        test = self.or_expr()
        if self.kind() != "?":
            return test
        self.advance()
        self.newlines()
        yes = self.expr()
        self.newlines()
        self.expect(":")
        self.newlines()
        no = self.expr()
        return A.Cond(test, yes, no)

    def or_expr(self) -> A.Expr:
        left = self.and_expr()
        while self.kind() == "||":
            self.advance()
            self.newlines()
            left = A.Logical("||", left, self.and_expr())
        return left

    def and_expr(self) -> A.Expr:
        left = self.in_expr()
        while self.kind() == "&&":
            self.advance()
            self.newlines()
            left = A.Logical("&&", left, self.in_expr())
        return left

    def in_expr(self) -> A.Expr:
        left = self.match_expr()
        while self.kind() == "in":
            self.advance()
            left = A.In([left], self.array_ref(self.expect("NAME")))
        return left

    def match_expr(self) -> A.Expr:
        left = self.compare()
        while self.kind() in ("~", "!~"):
            neg = self.advance().kind == "!~"
            left = A.Match(neg, left, self.compare())
        return left

    def compare(self) -> A.Expr:
        left = self.concat()
        while True:
            k = self.kind()
            if k in ("<", "<=", "!=", "==", ">=") or (k == ">" and not self.no_gt):
                self.advance()
                left = A.Compare(k, left, self.concat())
            else:
                return left

    def concat(self) -> A.Expr:
        parts = [self.additive()]
        while True:
            k = self.kind()
            if k in _CONCAT_START and not (k == "(" and False):
                parts.append(self.additive())
                continue
            if k == "|" and self.kind(1) == "getline":
                self.advance()
                self.advance()
                target = self.getline_target()
                cmd = parts[0] if len(parts) == 1 else A.Concat(parts)
                parts = [A.Getline("cmd", target, cmd)]
                continue
            break
        return parts[0] if len(parts) == 1 else A.Concat(parts)

    def additive(self) -> A.Expr:
        left = self.multiplicative()
        while self.kind() in ("+", "-"):
            op = self.advance().kind
            left = A.Binary(op, left, self.multiplicative())
        return left

    def multiplicative(self) -> A.Expr:
        left = self.unary()
        while self.kind() in ("*", "/", "%"):
            op = self.advance().kind
            left = A.Binary(op, left, self.unary())
        return left

    def unary(self) -> A.Expr:
        k = self.kind()
        if k == "!":
            self.advance()
            return A.Not(self.unary())
        if k in ("-", "+"):
            self.advance()
            return A.Unary(k, self.unary())
        return self.power()

    def power(self) -> A.Expr:
        base = self.postfix()
        if self.kind() == "^":
            self.advance()
            return A.Binary("^", base, self.unary_power())
        return base

    def unary_power(self) -> A.Expr:
        k = self.kind()
        if k in ("-", "+"):
            self.advance()
            return A.Unary(k, self.unary_power())
        if k == "!":
            self.advance()
            return A.Not(self.unary_power())
        return self.power()

    def postfix(self) -> A.Expr:
        e = self.primary()
        if self.kind() in ("++", "--") and isinstance(e, _LVALUES):
            return A.IncDec(self.advance().kind, False, e)
        return e

    def getline_target(self) -> A.Expr | None:
        if self.kind() in ("NAME", "$"):
            target = self.primary()
            if not isinstance(target, _LVALUES):
                raise self.error()
            return target
        return None

    def subscripts(self) -> list[A.Expr]:
        self.expect("[")
        saved, self.no_gt = self.no_gt, False
        subs = self.expr_list("]")
        self.no_gt = saved
        self.expect("]")
        return subs

    def var_ref(self, tok: Token) -> A.Expr:
        name = tok.value
        if self.params is not None and name in self.params:
            return A.Local(self.params.index(name), name)
        if name == "NF":
            return A.NFVar()
        return A.Name(name)

    def array_ref(self, tok: Token) -> A.Name | A.Local:
        if tok.kind != "NAME":
            raise self.error(tok)
        if self.params is not None and tok.value in self.params:
            return A.Local(self.params.index(tok.value), tok.value)
        return A.Name(tok.value)

    def call_args(self) -> list[A.Expr]:
        self.expect("(")
        saved, self.no_gt = self.no_gt, False
        args: list[A.Expr] = []
        self.newlines()
        if self.kind() != ")":
            args = self.expr_list(")")
        self.newlines()
        self.no_gt = saved
        self.expect(")")
        return args

    def primary(self) -> A.Expr:
        tok = self.peek()
        k = tok.kind
        if k == "NUMBER":
            self.advance()
            return A.Num(float(tok.value))
        if k == "STRING":
            self.advance()
            return A.Str(tok.value)
        if k == "ERE":
            self.advance()
            try:
                return A.Regex(tok.value, compile_ere(tok.value))
            except AwkError as exc:
                raise AwkSyntaxError(tok.line, "", exc.message) from None
        if k == "(":
            self.advance()
            saved, self.no_gt = self.no_gt, False
            items = self.expr_list(")")
            self.no_gt = saved
            self.expect(")")
            if len(items) > 1:
                if self.kind() != "in":
                    raise self.error()
                self.advance()
                return A.In(items, self.array_ref(self.expect("NAME")))
            return A.Group(items[0])
        if k == "$":
            self.advance()
            nk = self.kind()
            if nk in ("++", "--"):
                self.advance()
                target = self.primary()
                if not isinstance(target, _LVALUES):
                    raise self.error()
                return A.Field(A.IncDec(nk, True, target))
            if nk in ("-", "+", "!"):
                self.advance()
                operand: A.Expr = self.primary()
                operand = A.Not(operand) if nk == "!" else A.Unary(nk, operand)
                return A.Field(operand)
            return A.Field(self.primary())
        if k in ("++", "--"):
            self.advance()
            target = self.primary()
            if not isinstance(target, _LVALUES):
                raise self.error()
            return A.IncDec(k, True, target)
        if k in ("-", "+", "!"):
            return self.unary()
        if k == "NAME":
            self.advance()
            if self.kind() == "[":
                return A.Index(self.array_ref(tok), self.subscripts())
            return self.var_ref(tok)
        if k == "FUNC_NAME":
            self.advance()
            args = self.call_args()
            self.calls.append((tok.value, tok.line, len(args)))
            return A.Call(tok.value, args, tok.line)
        if k == "BUILTIN":
            self.advance()
            if self.kind() == "(":
                args = self.call_args()
            elif tok.value == "length":
                args = []
            else:
                raise self.error()
            return self.builtin(tok, args)
        if k == "getline":
            self.advance()
            dest = self.getline_target()
            if self.kind() == "<":
                self.advance()
                return A.Getline("file", dest, self.postfix())
            return A.Getline("main", dest, None)
        raise self.error(tok)

    def builtin(self, tok: Token, args: list[A.Expr]) -> A.Expr:
        name = tok.value
        arity = {
            "length": (0, 1),
            "substr": (2, 3),
            "index": (2, 2),
            "split": (2, 3),
            "sub": (2, 3),
            "gsub": (2, 3),
            "match": (2, 2),
            "sprintf": (1, 255),
            "sin": (1, 1),
            "cos": (1, 1),
            "atan2": (2, 2),
            "exp": (1, 1),
            "log": (1, 1),
            "sqrt": (1, 1),
            "int": (1, 1),
            "rand": (0, 0),
            "srand": (0, 1),
            "tolower": (1, 1),
            "toupper": (1, 1),
            "system": (1, 1),
            "close": (1, 1),
            "fflush": (0, 1),
        }[name]
        if not arity[0] <= len(args) <= arity[1]:
            raise AwkSyntaxError(tok.line, name, f"wrong number of arguments in call to {name}")
        if name == "split" and not isinstance(args[1], (A.Name, A.Local)):
            raise self.error(tok)
        if name in ("sub", "gsub") and len(args) == 3:
            target = args[2]
            while isinstance(target, A.Group):
                target = target.expr
            if not isinstance(target, _LVALUES):
                raise AwkSyntaxError(
                    tok.line, name, f"{name}() third parameter is not a changeable object"
                )
            args[2] = target
        return A.Builtin(name, args)


def parse(src: str) -> A.Program:
    """Parse awk program text; raises :class:`AwkSyntaxError`."""
    return Parser(src).parse_program()
