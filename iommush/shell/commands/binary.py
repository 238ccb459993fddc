"""Byte dumps: ``od`` (GNU coreutils) and ``hexdump`` (util-linux), for PCI config space
and ACPI tables."""

from __future__ import annotations

from iommush.shell.command import CommandContext

from ._base import UsageError, parse_options, quote, quotef, strerror, utility

__all__ = ["hexdump", "od"]

_WIDTH = {
    ("x", 1): 2,
    ("x", 2): 4,
    ("x", 4): 8,
    ("x", 8): 16,
    ("o", 1): 3,
    ("o", 2): 6,
    ("o", 4): 11,
    ("o", 8): 22,
    ("u", 1): 3,
    ("u", 2): 5,
    ("u", 4): 10,
    ("u", 8): 20,
    ("d", 1): 4,
    ("d", 2): 6,
    ("d", 4): 11,
    ("d", 8): 20,
    ("c", 1): 3,
    ("a", 1): 3,
}
_SIZES = {"C": 1, "S": 2, "I": 4, "L": 8}
_NAMES = [
    "nul",
    "soh",
    "stx",
    "etx",
    "eot",
    "enq",
    "ack",
    "bel",
    "bs",
    "ht",
    "nl",
    "vt",
    "ff",
    "cr",
    "so",
    "si",
    "dle",
    "dc1",
    "dc2",
    "dc3",
    "dc4",
    "nak",
    "syn",
    "etb",
    "can",
    "em",
    "sub",
    "esc",
    "fs",
    "gs",
    "rs",
    "us",
    "sp",
]


def _parse_types(spec: str) -> list[tuple[str, int]]:
    out = []
    i = 0
    while i < len(spec):
        kind = spec[i]
        i += 1
        if kind not in "xoudca":
            raise UsageError(f"invalid character '{kind}' in type string {quote(spec)}", 1)
        size = 1 if kind in "ca" else 4 if kind != "x" or True else 4
        if kind in "xoud":
            size = 4 if kind in "oudx" else 1
            j = i
            while i < len(spec) and spec[i].isdigit():
                i += 1
            if j < i:
                size = int(spec[j:i])
            elif i < len(spec) and spec[i] in _SIZES:
                size = _SIZES[spec[i]]
                i += 1
            if size not in (1, 2, 4, 8):
                raise UsageError(
                    f"invalid type string {quote(spec)};\nthis system doesn't "
                    f"provide a {size}-byte integral type",
                    1,
                    hint=False,
                )
        out.append((kind, size))
    return out


def _field(kind: str, size: int, chunk: bytes) -> str:
    value = int.from_bytes(chunk.ljust(size, b"\0"), "little", signed=kind == "d")
    if kind == "x":
        return f"{value:0{size * 2}x}"
    if kind == "o":
        return f"{value:0{_WIDTH[('o', size)]}o}"
    if kind == "c":
        b = chunk[0]
        named = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}
        if b in named:
            return named[b]
        if 32 <= b < 127:
            return chr(b)
        return f"{b:03o}"
    if kind == "a":
        b = chunk[0] & 0x7F
        return _NAMES[b] if b <= 32 else ("del" if b == 127 else chr(b))
    return str(value)


def _address(radix: str, n: int) -> str:
    if radix == "n":
        return ""
    if radix == "x":
        return f"{n:06x}"
    if radix == "d":
        return f"{n:07d}"
    return f"{n:07o}"


@utility(
    "od",
    "od [-A RADIX] [-t TYPE]... [-v] [-N BYTES] [-j SKIP] [FILE]...",
    "dump files in octal and other formats",
    options=("-A", "-t", "-v", "-N", "-j", "-w", "-x", "-c"),
)
def od(ctx: CommandContext) -> int:
    """Write the bytes of FILEs as numbers (``-t x1``: hex bytes; ``-A x``: hex offsets)."""
    long = {
        "address-radix=": "A",
        "format=": "t",
        "output-duplicates": "v",
        "read-bytes=": "N",
        "skip-bytes=": "j",
        "width?": "w",
    }
    opts = parse_options(ctx.argv[1:], "A:t:vN:j:w::xcbdos", long)
    radix = opts.last("A", "o") or "o"
    if radix not in ("o", "d", "x", "n"):
        raise UsageError(
            f"invalid output address radix '{radix}'; it must be one character from [doxn]", 1
        )
    types: list[tuple[str, int]] = []
    for key, value in opts.order:
        if key == "t":
            types.extend(_parse_types(value))
        elif key in "xcbdos" and len(key) == 1:
            types.append(
                {
                    "x": ("x", 2),
                    "c": ("c", 1),
                    "b": ("o", 1),
                    "d": ("u", 2),
                    "o": ("o", 2),
                    "s": ("d", 2),
                }[key]
            )
    if not types:
        types = [("o", 2)]
    width_arg = opts.last("w")
    width = 16 if width_arg is None else int(width_arg or 32)
    data = b""
    status = 0
    for name in opts.operands or ["-"]:
        try:
            if name == "-":
                data += ctx.stdin.read()
            else:
                with ctx.fs.open(name, cwd=ctx.cwd) as of:
                    data += of.read()
        except OSError as exc:
            ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
            status = 1
    skip = int(opts.last("j", "0") or "0", 0)
    start = skip
    data = data[skip:]
    if opts.has("N"):
        data = data[: int(opts.last("N") or "0", 0)]
    # every type gets the same number of columns per byte, as GNU od aligns them
    per_byte = max((_WIDTH[t] + 1) / t[1] for t in types)
    lines = []
    prev: bytes | None = None
    starred = False
    for off in range(0, len(data), width):
        chunk = data[off : off + width]
        if not opts.has("v") and chunk == prev and len(chunk) == width:
            if not starred:
                lines.append("*\n")
                starred = True
            continue
        starred = False
        prev = chunk
        for idx, (kind, size) in enumerate(types):
            col = int(per_byte * size)
            fields = []
            for k in range(0, len(chunk), size):
                text = _field(kind, size, chunk[k : k + size])
                fields.append(text.rjust(col))
            lead = _address(radix, start + off) if idx == 0 else (" " * len(_address(radix, 0)))
            lines.append(lead + "".join(fields) + "\n")
    if radix != "n":
        lines.append(_address(radix, start + len(data)) + "\n")
    ctx.out("".join(lines))
    return status


@utility(
    "hexdump",
    "hexdump [-C] [-v] [-n LENGTH] [-s OFFSET] [FILE]...",
    "display file contents in hexadecimal",
    options=("-C", "-v", "-n", "-s"),
)
def hexdump(ctx: CommandContext) -> int:
    """Dump FILEs: ``-C`` canonical hex+ASCII, otherwise 16-bit words."""
    long = {"canonical": "C", "no-squeezing": "v", "length=": "n", "skip=": "s"}
    opts = parse_options(ctx.argv[1:], "Cvn:s:x", long)
    data = b""
    status = 0
    for name in opts.operands or ["-"]:
        try:
            if name == "-":
                data += ctx.stdin.read()
            else:
                with ctx.fs.open(name, cwd=ctx.cwd) as of:
                    data += of.read()
        except OSError as exc:
            ctx.error(f"{name}: {strerror(exc.errno)}")
            status = 1
    if status and not data:
        ctx.error("all input file arguments failed")
        return 1
    skip = int(opts.last("s", "0") or "0", 0)
    data = data[skip:]
    if opts.has("n"):
        data = data[: int(opts.last("n") or "0", 0)]
    canonical = opts.has("C")
    lines = []
    prev: bytes | None = None
    starred = False
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        if not opts.has("v") and chunk == prev and len(chunk) == 16:
            if not starred:
                lines.append("*\n")
                starred = True
            continue
        starred = False
        prev = chunk
        addr = skip + off
        if canonical:
            hexes = [f"{b:02x}" for b in chunk]
            left = " ".join(hexes[:8])
            right = " ".join(hexes[8:])
            body = f"{left:<23}  {right:<23}"
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            lines.append(f"{addr:08x}  {body}  |{text}|\n")
        else:
            padded = chunk + bytes(len(chunk) % 2)
            words = [
                f"{int.from_bytes(padded[k : k + 2], 'little'):04x}"
                for k in range(0, len(padded), 2)
            ]
            words += ["    "] * (8 - len(words))
            lines.append(f"{addr:07x} " + " ".join(words) + "\n")
    if data or skip:
        end = skip + len(data)
        lines.append(f"{end:08x}\n" if canonical else f"{end:07x}\n")
    ctx.out("".join(lines))
    return status
