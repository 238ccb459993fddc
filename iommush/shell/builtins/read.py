"""The ``read`` builtin: one line (or up to a delimiter) from standard input, split on
IFS into variables, with bash's backslash rules and status 1 at end of file."""

from __future__ import annotations

from ..command import CommandContext
from ..state import VarError
from ..streams import HostIn
from .base import err, interp_of

__all__ = ["input_ready", "read_builtin", "split_read"]


def split_read(chars: list[tuple[str, bool]], ifs: str, n: int) -> list[str]:
    """Split ``(char, escaped)`` pairs into at most ``n`` fields (``n`` 0: no limit);
    the last field keeps the rest of the line, trailing IFS whitespace removed."""
    ws = {c for c in ifs if c in " \t\n"}
    fields: list[str] = []
    i, total = 0, len(chars)
    while i < total and chars[i][0] in ws and not chars[i][1]:
        i += 1
    cur: list[str] = []
    while i < total:
        c, esc = chars[i]
        if not esc and c in ifs and (n == 0 or len(fields) < n - 1):
            fields.append("".join(cur))
            cur = []
            j = i + 1
            while j < total and chars[j][0] in ws and not chars[j][1]:
                j += 1
            if (
                c in ws
                and j < total
                and chars[j][0] in ifs
                and chars[j][0] not in ws
                and not chars[j][1]
            ):
                j += 1
                while j < total and chars[j][0] in ws and not chars[j][1]:
                    j += 1
            i = j
            continue
        cur.append(c)
        i += 1
    # trailing IFS whitespace of the last field is not part of it
    k = len(cur)
    tail = chars[total - k :] if k else []
    while k and cur[k - 1] in ws and not (tail and tail[k - 1][1]):
        k -= 1
    last = "".join(cur[:k])
    if last or cur or not fields or (n and len(fields) < n):
        fields.append(last)
    return fields


def read_builtin(ctx: CommandContext) -> int:  # noqa: C901
    sh = interp_of(ctx)
    st = sh.state
    args = ctx.argv[1:]
    raw = False
    array: str | None = None
    delim = "\n"
    nchars = -1
    exact = False
    prompt = ""
    timeout: float | None = None
    stream = ctx.stdin
    while args and args[0].startswith("-") and len(args[0]) > 1:
        a = args.pop(0)
        if a == "--":
            break
        j = 1
        while j < len(a):
            ch = a[j]
            if ch in "adnNptui":
                val = a[j + 1 :] if j + 1 < len(a) else (args.pop(0) if args else None)
                if val is None:
                    err(ctx, f"-{ch}: option requires an argument")
                    return 2
                if ch == "a":
                    array = val
                elif ch == "d":
                    delim = val[:1] if val else "\0"
                elif ch in "nN":
                    try:
                        nchars = int(val)
                    except ValueError:
                        err(ctx, f"{val}: invalid number")
                        return 1
                    exact = ch == "N"
                elif ch == "p":
                    prompt = val
                elif ch == "t":
                    timeout = _timeout(val)
                    if timeout is None:
                        err(ctx, f"{val}: invalid timeout specification")
                        return 1
                elif ch == "u":
                    s = sh.fds.get(int(val)) if val.isdigit() else None
                    if s is None:
                        err(ctx, f"{val}: invalid file descriptor: Bad file descriptor")
                        return 1
                    stream = s
                break
            if ch == "r":
                raw = True
            elif ch not in "es":
                err(ctx, f"-{ch}: invalid option")
                ctx.err("read: usage: read [-ers] [-a array] [-d delim] [-i text] [-n nchars] "
                        "[-N nchars] [-p prompt] [-t timeout] [-u fd] [name ...]\n")  # fmt: skip
                return 2
            j += 1
    if prompt and sh.interactive:
        ctx.err(prompt)
    names = args
    for nm in names:
        if not nm.replace("_", "a").isalnum() or nm[0].isdigit():
            err(ctx, f"`{nm}': not a valid identifier")
            return 1
    timed_out = False
    if timeout is not None:
        ready = input_ready(stream, timeout)
        if timeout == 0:
            return 0 if ready else 1
        timed_out = not ready
    chars: list[tuple[str, bool]] = []
    eof = False
    pending = b""
    count = 0
    while not timed_out:
        if delim == "\n" and nchars < 0 and not pending:
            line = stream.readline()
            if not line:
                eof = True
                break
            text = line.decode("utf-8", "surrogateescape")
            got_delim = text.endswith("\n")
            body = text[:-1] if got_delim else text
            i = 0
            cont = False
            while i < len(body):
                c = body[i]
                if c == "\\" and not raw:
                    if i + 1 < len(body):
                        chars.append((body[i + 1], True))
                        i += 2
                        continue
                    if got_delim:
                        cont = True
                        i += 1
                        continue
                    i += 1
                    continue
                chars.append((c, False))
                i += 1
            if cont:
                continue
            if not got_delim:
                eof = True
            break
        b = stream.read(1)
        if not b:
            eof = True
            break
        c = b.decode("latin-1")
        if not exact and c == delim:
            break
        if c == "\\" and not raw:
            b2 = stream.read(1)
            if not b2:
                eof = True
                break
            c2 = b2.decode("latin-1")
            if c2 != "\n":
                chars.append((c2, True))
                count += 1
        else:
            chars.append((c, False))
            count += 1
        if nchars >= 0 and count >= nchars:
            break
    ifs = st.get("IFS")
    if ifs is None:
        ifs = " \t\n"
    try:
        if array is not None:
            fields = split_read(chars, ifs, 0) if chars else []
            if fields == [""]:
                fields = []
            st.set_array(array, dict(enumerate(fields)))
        elif not names:
            st.set("REPLY", "".join(c for c, _ in chars))
        else:
            fields = split_read(chars, ifs, len(names))
            for i, nm in enumerate(names):
                st.set(nm, fields[i] if i < len(fields) else "")
    except VarError as exc:
        err(ctx, exc.message)
        return 1
    if timed_out:
        return 128 + 14  # SIGALRM, as bash reports a timeout
    return 1 if eof else 0


def _timeout(text: str) -> float | None:
    """``-t`` seconds: a non-negative decimal number, or None if invalid."""
    if not text or not all(c.isdigit() or c == "." for c in text) or text.count(".") > 1:
        return None
    if text == ".":
        return None
    return float(text)


def input_ready(stream: object, timeout: float) -> bool:
    """Whether input (or end of file) is there within ``timeout`` seconds: always for
    pipes, files and here-documents (their data is all there); for the terminal, what
    ``select(2)`` says."""
    if not isinstance(stream, HostIn):
        return True
    try:
        fd = stream.raw.fileno()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return True
    import select

    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    except (OSError, ValueError):
        return True
    return bool(ready)
