"""awk: byte-for-byte against gawk --posix (and mawk where the two agree) on a table of
programs, plus the virtual tree, errors, pipes and the pci-caps decoder."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iommush.vfs import Attribute, Device, DeviceOps, Dir, File, Link, OpenFile

from .conftest import Machine

DATA = Path(__file__).parent / "awk"
GAWK = shutil.which("gawk")
MAWK = shutil.which("mawk")

#: (program arguments, stdin, which real awks to compare with: "gm" both, "g" gawk only)
CASES: list[tuple[list[str], bytes, str]] = [
    (["{print $2, NF}", "data.txt"], b"", "gm"),
    (["{print $NF}", "data.txt"], b"", "gm"),
    (['{ $2 = "X"; print; print NF }', "data.txt"], b"", "gm"),
    (['BEGIN{OFS="-"} { $1 = $1; print }', "data.txt"], b"", "gm"),
    (['BEGIN{OFS=":"} { $7 = "z"; print; NF = 2; print }', "data.txt"], b"", "gm"),
    (["-F:", "{print $1, $3 + 1}", "passwd"], b"", "gm"),
    (["-F", ":", "$3 >= 1000 {print $1}", "passwd"], b"", "gm"),
    (["-F", "[:,]", "{print NF, $5}", "passwd"], b"", "gm"),
    (["-F", "\\t", "{print $2}", "data.txt"], b"", "gm"),
    (["-v", "x=5", "-v", "y=a\\tb", "BEGIN{print x * 2, y}"], b"", "gm"),
    (["{print NR, FNR, FILENAME}", "passwd", "data.txt"], b"", "gm"),
    (["/8086/", "data.txt"], b"", "gm"),
    (["!/0x/", "data.txt"], b"", "gm"),
    (['/00:02/,/01:01/ {print NR": "$1}', "data.txt"], b"", "gm"),
    (["NR==2, NR==3", "data.txt"], b"", "gm"),
    (["$1 ~ /^0000:0[01]/ && $4 !~ /0604/ {print $1}", "data.txt"], b"", "gm"),
    (['NF == 0 {print "empty at", NR}', "data.txt"], b"", "gm"),
    (["{n += NF} END {print n, NR, $0}", "data.txt"], b"", "gm"),
    (["END{print $0; print NF}", "data.txt"], b"", "gm"),
    (['BEGIN { RS = "" } {print NR ": " $1 "|" $NF "|" NF}', "para.txt"], b"", "gm"),
    (['BEGIN { RS = ""; FS = ":" } {print NF; print $1}', "para.txt"], b"", "g"),
    (['BEGIN { RS = ":" } {print NR "[" $0 "]"}'], b"a:b:c\n", "gm"),
    (['BEGIN { ORS = ";"; OFS = "," } {print $1, $2} END {printf "\\n"}', "para.txt"], b"", "gm"),
    (["!seen[$0]++"], b"a\nb\na\nc\nb\n", "gm"),
    (
        ['{ a[$1] += $2 } END { for (k in a) print k, a[k] | "sort"; close("sort") }'],
        b"x 1\ny 2\nx 3\n",
        "gm",
    ),
    (
        [
            "BEGIN { x[1,2] = 3; for (k in x) { split(k, p, SUBSEP); print p[1], p[2] };"
            ' if ((1,2) in x) print "in"; delete x[1,2]; print length(x) }'
        ],
        b"",
        "m",
    ),
    (['BEGIN { n = split("a:b::c", arr, ":"); print n, arr[1], arr[3] "|" arr[4] }'], b"", "gm"),
    (['BEGIN { n = split("  a  b c ", arr); print n, arr[1], arr[3] }'], b"", "gm"),
    (['BEGIN { n = split("a1b22c", arr, /[0-9]+/); print n, arr[2], arr[3] }'], b"", "gm"),
    (['BEGIN { n = split("", arr); print n, length(arr) }'], b"", "m"),
    (
        [
            'BEGIN { s = "hello world"; print substr(s, 1, 5) "|" substr(s, 7) "|"'
            ' substr(s, 0, 3) "|" substr(s, 20) "|" substr(s, 5, -1) "|" }'
        ],
        b"",
        "gm",
    ),
    (
        [
            'BEGIN { print index("foobar", "bar"), index("x", "y"), length("abc"),'
            " length(12.50), length() }"
        ],
        b"",
        "gm",
    ),
    (["{ print length }"], b"abc\n\nhello\n", "gm"),
    (['BEGIN { s = "hello"; n = gsub(/l/, "[&]", s); print n, s }'], b"", "gm"),
    (['BEGIN { s = "a.b.c"; gsub(/\\./, "\\\\&", s); print s }'], b"", "gm"),
    (
        ['BEGIN { s = "abc"; gsub(/b*/, "-", s); print s; t = "abc"; gsub(//, "-", t); print t }'],
        b"",
        "g",
    ),
    (
        [
            'BEGIN { s = "aaa"; sub(/a/, "b", s); print s; sub(/^/, ">", s); print s;'
            ' sub(/$/, "<", s); print s }'
        ],
        b"",
        "gm",
    ),
    (['{ gsub(/[0-9]/, "#"); print }', "data.txt"], b"", "gm"),
    (['{ sub(/:/, " ", $1); print; print $1 }', "passwd"], b"", "gm"),
    (
        [
            'BEGIN { print match("foobar", /o+/), RSTART, RLENGTH;'
            ' print match("x", /y/), RSTART, RLENGTH }'
        ],
        b"",
        "gm",
    ),
    (['BEGIN { print toupper("abc-Z"), tolower("ABC-z") }'], b"", "gm"),
    (
        [
            'BEGIN { printf "%5.1f|%-5s|%05d|%+d|% d|%.3e|%G|%c%c|%#o|%#x|%X|%.3d|%5.2s|%%\\n",'
            ' 3.14159, "ab", 42, 5, 5, 0.000123, 1e-10, 65, "hello", 8, 255, 255, 7, "abc" }'
        ],
        b"",
        "gm",
    ),
    (['BEGIN { printf "%*d|%-*d|%.*f\\n", 5, 42, 4, 7, 2, 3.14159 }'], b"", "gm"),
    (['BEGIN { printf "%d %i %o %x %u\\n", -3.9, 3.9, 64, 4294967295, 42 }'], b"", "gm"),
    (['BEGIN { x = sprintf("%02x@%03x", 16, 256); print x }'], b"", "gm"),
    (
        ["BEGIN { print 1/3, 100000, 1e6, 1234567.5, 0.1 + 0.2, -0, 17 % 5, -7 % 3, 2^10 }"],
        b"",
        "gm",
    ),
    (["BEGIN { print 2^31, 4294967295, 2^53 }"], b"", "g"),
    (
        [
            'BEGIN { OFMT = "%.2f"; CONVFMT = "%.3f"; x = 3.14159; print x; y = x "";'
            " print y; print 10 }"
        ],
        b"",
        "gm",
    ),
    (['BEGIN { print -2^2, 2^3^2, 2^-1, !0, !1, !"", !"a", 1 - -1, - "3x" }'], b"", "gm"),
    (['BEGIN { print 1 == 1.0, "a" < "b", 2 < 10, "2" < "10", "abc" < 1 }'], b"", "gm"),
    (["{ print ($1 < $2), ($1 == 10), ($3 > $1) }"], b"10 9 100\n2 10 abc\n1e1 10 +10\n", "gm"),
    (['{ print ($1 == 0), ($1 == ""), length($1) }'], b"0.0\n\n", "gm"),
    (
        ['BEGIN { if (x == 0 && x == "") print "uninit"; y[1]; if (y[1] == 0) print "elem" }'],
        b"",
        "gm",
    ),
    (['BEGIN { x = "3.0"; if (x == 3) print "num"; else print "str" }'], b"", "gm"),
    (
        ['BEGIN { i = 5; print i++ + ++i, i; print i--, --i, i; $0 = "1 2 3"; $2++; print }'],
        b"",
        "gm",
    ),
    (["BEGIN { x += 2; x *= 5; x -= 1; x /= 3; x %= 2; x ^= 3; print x }"], b"", "gm"),
    (
        ['BEGIN { a = 1; b = a ? "yes" : "no"; c = 0 ? 1 : 2 ? "two" : "three"; print b, c }'],
        b"",
        "gm",
    ),
    (['BEGIN { s = "x"; s = s 1 2 "y"; print s; print 1 " " -1; print 1 -1 }'], b"", "gm"),
    (
        [
            "BEGIN { for (i = 0; i < 10; i++) { if (i == 2) continue; if (i == 5) break;"
            ' printf "%d ", i }; print "" }'
        ],
        b"",
        "gm",
    ),
    (['BEGIN { i = 0; while (i < 3) print i++; do { print "do", i-- } while (i > 1) }'], b"", "gm"),
    (
        [
            "function fact(n) { return n <= 1 ? 1 : n * fact(n - 1) }"
            " BEGIN { print fact(10), fact(20) }"
        ],
        b"",
        "g",
    ),
    (
        [
            "function fill(arr, n,   i) { for (i = 1; i <= n; i++) arr[i] = i * i; return n }"
            ' BEGIN { fill(sq, 4); print sq[3], length(sq), i "|" }'
        ],
        b"",
        "m",
    ),
    (["function f(a) { a = 5; return a } BEGIN { x = 1; print f(x), x }"], b"", "gm"),
    (['function g(a) { a["k"] = 1 } BEGIN { g(arr); print length(arr), arr["k"] }'], b"", "m"),
    (['NR == 1 { next } { print } NR == 3 { exit } END { print "end" }'], b"1\n2\n3\n4\n", "gm"),
    (['BEGIN { exit 3 } END { print "end runs" }'], b"", "gm"),
    (["{ exit $1 } END { exit }"], b"7\n", "gm"),
    (["BEGIN { while ((getline line) > 0) n++; print n, NR, line }"], b"a\nb\nc\n", "gm"),
    (['NR == 1 { getline; print "after getline:", $0, NR } END { print NR }'], b"a\nb\nc\n", "gm"),
    (
        [
            'BEGIN { while ((getline l < "passwd") > 0) n++; close("passwd");'
            ' getline < "passwd"; print n, $1, NR; print (getline x < "nonexistent") }'
        ],
        b"",
        "gm",
    ),
    (
        [
            'BEGIN { "echo hello; echo world" | getline x; print x; "echo hello; echo world"'
            ' | getline; print $0, NR; close("echo hello; echo world") }'
        ],
        b"",
        "gm",
    ),
    (
        [
            'BEGIN { while (("cat passwd" | getline) > 0) print $1 }',
        ],
        b"",
        "gm",
    ),
    (['BEGIN { print "b\\na\\nc" | "sort"; close("sort"); print "done" }'], b"", "gm"),
    (['BEGIN { r = system("false"); print "status", r }'], b"", "m"),
    (
        [
            'BEGIN { printf "x" > "out.txt"; print "y" > "out.txt"; close("out.txt");'
            ' print "z" >> "out.txt"; close("out.txt"); while ((getline l < "out.txt") > 0)'
            ' print "got", l }'
        ],
        b"",
        "gm",
    ),
    (
        ["BEGIN { print ARGC; for (i = 1; i < ARGC; i++) print i, ARGV[i] }", "a", "b=1", "c"],
        b"",
        "g",
    ),
    (["{ print v, $0 }", "v=1", "passwd", "v=2", "passwd"], b"", "gm"),
    (['BEGIN { ARGV[1] = "" } { print }', "nonexistent", "para.txt"], b"", "gm"),
    (['BEGIN { print ENVIRON["AWKTEST"] + 1 }'], b"", "gm"),
    (
        [
            'BEGIN { print int(3.9), int(-3.9), int("4x"), sqrt(16), exp(0), log(1),'
            " sin(0), cos(0), atan2(0, -1) }"
        ],
        b"",
        "gm",
    ),
    (
        ["BEGIN { srand(1); a = rand(); srand(1); b = rand(); print (a == b), (a < 1), srand(5) }"],
        b"",
        "gm",
    ),
    (['BEGIN { printf "%s %s\\n", "a", "b" > "/dev/stderr" }'], b"", "gm"),
    (['BEGIN { $3 = "c"; print NF, "[" $0 "]" }'], b"", "gm"),
    (['{ $0 = "x y"; print NF, $2 }'], b"a b c\n", "gm"),
    (
        [
            'BEGIN { x = "A"; if (x ~ "^[A-Z]$") print "re string"; if ("ab" ~ /a|b/)'
            ' print "alt"; r = "b+"; if ("abbb" ~ r) print "dyn" }'
        ],
        b"",
        "gm",
    ),
    (
        ['/^[[:digit:]]+$/ { print "num", $0 } /^[[:alpha:]_]+$/ { print "word", $0 }'],
        b"123\nabc_d\n1a\n",
        "gm",
    ),
    (['{ if ($0 ~ /[\\/]sys/) print "path" }'], b"/sys/bus\nxsys\n", "gm"),
    (['BEGIN { print length("a\\tb\\\\c\\"d"), "\\101" }'], b"", "g"),
    (["# comment\nBEGIN {\n  x = 1 + \\\n 2   # more\n  print x\n}\n"], b"", "gm"),
    (
        ['BEGIN { if (1)\n print "a"\n else\n print "b"\n if (0) print "c"; else print "d" }'],
        b"",
        "gm",
    ),
    (
        [
            'BEGIN { a["x"]; delete a; print length(a); a[1] = 1; a[2] = 2; delete a[1];'
            " for (k in a) print k }"
        ],
        b"",
        "m",
    ),
    (['{ print > "/dev/stdout" }'], b"x\n", "gm"),
    (['BEGIN { getline; print "B", $0 } { print "M", $0 }'], b"1\n2\n", "gm"),
    (['BEGIN { FS = "," } { print $2 }'], b"a,b,c\n", "gm"),
    (['{ FS = ","; print $1 }'], b"a,b c\nd,e f\n", "gm"),
    (['BEGIN { printf "%c", 256 + 65; printf "%c\\n", "" }'], b"", "g"),
    (
        ['BEGIN { x["a"] = 1; f(x) } function f(arr, k) { for (k in arr) print k, arr[k] }'],
        b"",
        "gm",
    ),
    (['BEGIN { print substr("hello", 2, 100), substr("hello", 1.5, 2.3) }'], b"", "gm"),
    (['BEGIN { print 1e300 * 1e300 > "/dev/stderr"; print log(0) }'], b"", "m"),
    (['BEGIN { printf "a" "b" "\\n"; print("x")("y"); print (1)(2) }'], b"", "gm"),
    (['BEGIN { print 1, 2 > "/dev/stdout"; print (1, 2) > "/dev/stdout" }'], b"", "gm"),
    (['{ printf("%s-%s\\n", $1, $2) }'], b"a b\n", "gm"),
    (
        [
            'BEGIN { n = split("3 1 2", a); for (i = 1; i <= n; i++) s = s a[i]; print s;'
            ' print ("x" > "y") }'
        ],
        b"",
        "gm",
    ),
    (['BEGIN { print index("abc", ""), 10 " " 010, .5 + .5, 1e3, 1E-2 }'], b"", "gm"),
    (["{ s = s $0 } END { print s }"], b"a\nb\nc", "gm"),
    (['BEGIN { RS = "x" } { print NR": " $0 }'], b"1x2xx3x", "gm"),
    (["END { print NR }"], b"", "gm"),
    (["BEGIN { print 1 +* 2 }"], b"", ""),
]


@pytest.fixture
def awkdir(m: Machine) -> Machine:
    tmp = m.fs.root.get("tmp")
    assert isinstance(tmp, Dir)
    work = tmp.add(Dir("awk", 0o777, creatable=True))
    for path in sorted(DATA.iterdir()):
        work.add(File(path.name, data=path.read_bytes()))
    m.cwd = "/tmp/awk"
    m.env["AWKTEST"] = "41"
    return m


def _real(tool: list[str], args: list[str], stdin: bytes, tmp: Path) -> tuple[bytes, bytes, int]:
    for path in DATA.iterdir():
        (tmp / path.name).write_bytes(path.read_bytes())
    for extra in tmp.glob("out.txt"):
        extra.unlink()
    proc = subprocess.run(
        [*tool, *args],
        input=stdin,
        capture_output=True,
        cwd=tmp,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "AWKTEST": "41"},
        timeout=10,
    )
    return proc.stdout, proc.stderr, proc.returncode


@pytest.mark.parametrize(("args", "stdin", "which"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_against_real_awk(
    awkdir: Machine, tmp_path: Path, args: list[str], stdin: bytes, which: str
) -> None:
    out, err, status = awkdir.run("awk", *args, stdin=stdin)
    assert b"Traceback" not in err
    tools = []
    if "g" in which and GAWK:
        tools.append([GAWK, "--posix"])
    if "m" in which and MAWK:
        tools.append([MAWK])
    if not which:
        assert status == 2 and err.startswith(b"awk: line 1: syntax error")
        return
    if not tools:
        pytest.skip("no gawk or mawk on this machine")
    for tool in tools:
        rout, rerr, rstatus = _real(tool, args, stdin, tmp_path)
        assert (out, status) == (rout, rstatus), tool
        if rerr and not err:
            pytest.fail(f"{tool} wrote {rerr!r} on stderr")


# -- pci-caps: the conformance tool's decoder of PCI config space ----------------------


def _config_space() -> bytes:
    """A PCIe root port: PM, MSI and PCIe capabilities, then AER and ACS extended ones."""
    cfg = bytearray(4096)
    cfg[0:4] = bytes([0x86, 0x80, 0x34, 0x12])
    cfg[6] = 0x10  # status: capabilities list
    cfg[0x0E] = 0x81  # multifunction, header type 1
    cfg[0x34] = 0x40
    cfg[0x40:0x42] = bytes([0x01, 0x50])
    cfg[0x50:0x52] = bytes([0x05, 0x60])
    cfg[0x60:0x63] = bytes([0x10, 0x00, 0x42])  # PCIe, root port
    aer = 0x0001 | (1 << 16) | (0x140 << 20)
    cfg[0x100:0x104] = aer.to_bytes(4, "little")
    acs = 0x000D | (1 << 16)
    cfg[0x140:0x144] = acs.to_bytes(4, "little")
    cfg[0x144:0x148] = bytes([0x1F, 0x00, 0x11, 0x00])
    return bytes(cfg)


def _od(data: bytes) -> bytes:
    """``od -An -v -tu1`` of ``data``, computed here so the test needs no od."""
    lines = []
    for i in range(0, len(data), 16):
        lines.append("".join(f"{b:4d}" for b in data[i : i + 16]))
    return ("\n".join(lines) + "\n").encode()


def _pci_caps_program() -> str:
    """The awk program of the pci-caps tool (a copy of conformance/tools/pci-caps)."""
    script = (DATA / "pci-caps").read_text()
    start = script.index('awk -v dev="$d" \'') + len('awk -v dev="$d" \'')
    return script[start : script.index("'\ndone")]


PCI_CAPS = _pci_caps_program()
PCI_CAPS_LINE = (
    "0000:00:1c.0 hdr=1 mf=1 type=root-port caps=01@40,05@50,10@60 "
    "ext=0001@100,000d@140 acs_cap=001f acs_ctrl=0011\n"
)


def test_pci_caps_program(m: Machine) -> None:
    out, err, status = m.run("awk", "-v", "dev=0000:00:1c.0", PCI_CAPS, stdin=_od(_config_space()))
    assert (out, err, status) == (PCI_CAPS_LINE.encode(), b"", 0)
    short = _od(_config_space()[:64]).replace(b"\n", b" ", 2)
    out, _, status = m.run("awk", "-v", "dev=x", PCI_CAPS, stdin=short[:40])
    assert (out, status) == (b"x config unreadable\n", 0)


@pytest.mark.parametrize("tool", ["gawk", "mawk"])
def test_pci_caps_against_real_awk(m: Machine, tool: str) -> None:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"no {tool}")
    stdin = _od(_config_space())
    real = subprocess.run(
        [path, "-v", "dev=0000:00:1c.0", PCI_CAPS], input=stdin, capture_output=True, timeout=10
    )
    out, _, status = m.run("awk", "-v", "dev=0000:00:1c.0", PCI_CAPS, stdin=stdin)
    assert (out, status) == (real.stdout, real.returncode)
    if shutil.which("od"):
        od = subprocess.run(["od", "-An", "-v", "-tu1"], input=_config_space(), capture_output=True)
        assert od.stdout == stdin


def test_pci_caps_pipeline_in_shell(m: Machine) -> None:
    """The tool's own pipeline, ``od ... config | awk -v dev=... 'program'``, in the shell."""
    from iommush.shell import Shell
    from iommush.shell.commands import utilities

    cfg = _config_space()
    d = m.fs.root.get("tmp")
    assert isinstance(d, Dir)
    d.add(File("config", data=cfg))
    d.add(File("pci-caps.awk", data=PCI_CAPS.encode()))
    d.add(File("pci-caps", 0o755, data=(DATA / "pci-caps").read_bytes()))
    out, err = io.BytesIO(), io.BytesIO()
    sh = Shell(m.system, commands=utilities(), stdin=io.BytesIO(), stdout=out, stderr=err)
    status = sh.run(
        "for d in 0000:00:1c.0; do od -An -v -tu1 /tmp/config"
        ' | awk -v dev="$d" -f /tmp/pci-caps.awk; done\n'
    )
    assert (out.getvalue(), err.getvalue(), status) == (PCI_CAPS_LINE.encode(), b"", 0)

    # the whole tool over the tree: every device's config, through od and awk
    dev = m.fs.root.get("dev")
    assert isinstance(dev, Dir)
    dev.add(Device("null", _NullOps(), 0o666, 1, 3))
    pci = m.fs.resolve("/sys/devices/pci0000:00")
    assert isinstance(pci, Dir)
    port = pci.add(Dir("0000:00:1c.0"))
    port.add(Attribute("config", 0o444, show=lambda: cfg))
    bus = m.fs.resolve("/sys/bus/pci/devices")
    assert isinstance(bus, Dir)
    bus.add(Link("0000:00:1c.0", port))
    out.seek(0)
    out.truncate()
    status = sh.run("/tmp/pci-caps\n")
    lines = out.getvalue().decode().splitlines(keepends=True)
    assert (err.getvalue(), status) == (b"", 0)
    assert lines[-1] == "0000:01:01.0 hdr=0 mf=0 type=conventional caps=- ext=-\n"
    assert PCI_CAPS_LINE in lines
    assert "0000:00:06.0 hdr=1 mf=0 type=conventional caps=- ext=-\n" in lines
    assert len(lines) == 5


class _NullOps(DeviceOps):
    def read(self, of: OpenFile, size: int) -> bytes:
        return b""

    def write(self, of: OpenFile, data: bytes) -> int:
        return len(data)


# -- the virtual tree, errors, options -------------------------------------------------

_FUZZ_TOKENS = (
    'BEGIN { } ( ) [ ] ; \n print printf x y $ 1 0 "s" /re/ + - * / % ^ ! > < | ? : ~ '
    "!~ = += ++ -- in if else while for do break continue next exit return delete getline "
    "function f length substr split sub gsub match sprintf close , && || NF NR a "
    '"%d%s%c" -1 1e400 "(["'
).split(" ")


def test_reads_sysfs_files_and_globbed_operands(m: Machine) -> None:
    out, err, status = m.run(
        "awk",
        '{ print FILENAME ": " $0 } END { print NR }',
        "/sys/kernel/iommu_groups/1/type",
        "/sys/bus/pci/devices/0000:00:02.0/vendor",
    )
    assert (err, status) == (b"", 0)
    assert out == (
        b"/sys/kernel/iommu_groups/1/type: DMA-FQ\n"
        b"/sys/bus/pci/devices/0000:00:02.0/vendor: 0x8086\n2\n"
    )


def test_hex_strings_convert_like_strtod(m: Machine) -> None:
    out, _, status = m.run("awk", "{ print $1 + 0 }", "/sys/bus/pci/devices/0000:00:02.0/vendor")
    assert (out, status) == (b"32902\n", 0)


def test_print_to_sysfs_attribute_is_one_store_at_close(m: Machine) -> None:
    prog = (
        'BEGIN { f = "/sys/kernel/iommu_groups/1/type"; print "identity" > f; close(f);'
        " getline t < f; print t }"
    )
    out, err, status = m.run("awk", prog)
    assert (out, err, status) == (b"identity\n", b"", 0)
    assert m.group1.type == "identity"


def test_failed_store_reported_at_close(m: Machine) -> None:
    out, err, status = m.run("awk", 'BEGIN { print "bogus" > "/sys/kernel/iommu_groups/1/type" }')
    assert (out, status) == (b"", 2)
    assert err == b"awk: close failed on file /sys/kernel/iommu_groups/1/type (Invalid argument)\n"
    assert m.group1.type == "DMA-FQ"


def test_output_files_and_append(m: Machine) -> None:
    prog = 'BEGIN { print "a" > "/tmp/o"; print "b" > "/tmp/o"; close("/tmp/o"); print "c" >> "/tmp/o" }'
    assert m.run("awk", prog)[2] == 0
    assert m.fs.read_bytes("/tmp/o") == b"a\nb\nc\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["BEGIN { print 1 +* 2 }"], b"awk: line 1: syntax error at or near *\n"),
        (["BEGIN {\n if (1) }"], b"awk: line 2: syntax error at or near }\n"),
        (["{ print $1 "], b"awk: line 1: syntax error at or near end of file\n"),
        (['BEGIN { x = "abc'], b'awk: line 1: runaway string constant "abc ...\n'),
        (["BEGIN { f(1) }"], b"awk: line 1: function f never defined\n"),
        (["BEGIN { return }"], b"awk: line 1: syntax error at or near return\n"),
        (
            ["{ print }", "/nonexistent"],
            b"awk: cannot open /nonexistent (No such file or directory)\n",
        ),
        (["{ print }", "/sys"], b"awk: cannot open /sys (Is a directory)\n"),
        (
            ['BEGIN { print "x" > "/sys/x/y" }'],
            b'awk: cannot open "/sys/x/y" for output (No such file or directory)\n',
        ),
        (["-x", "1"], b"awk: not an option: -x\n"),
    ],
)
def test_errors(m: Machine, args: list[str], message: bytes) -> None:
    out, err, status = m.run("awk", *args)
    assert (out, err, status) == (b"", message, 2)


@pytest.mark.parametrize(
    "prog",
    [
        "BEGIN { print 1 / 0 }",
        "BEGIN { print 1 % 0 }",
        'BEGIN { printf "%d %d", 1 }',
        "BEGIN { x[1] = 1; x = 2 }",
        "BEGIN { x = 1; x[1] = 2 }",
        'BEGIN { r = "a["; print "a" ~ r }',
        "BEGIN { $(-1) = 1 }",
        "function f(n) { return f(n + 1) } BEGIN { f(1) }",
    ],
)
def test_runtime_errors(m: Machine, prog: str) -> None:
    out, err, status = m.run("awk", prog)
    assert status == 2
    assert err.startswith(b"awk: run time error: ") and b"\tFILENAME=" in err


def test_usage_without_program(m: Machine) -> None:
    out, err, status = m.run("awk")
    assert (out, status) == (b"", 2)
    assert err.startswith(b"usage: awk ")


def test_program_file_and_stdin(m: Machine) -> None:
    m.fs.write_bytes("/tmp/p.awk", b"function twice(x) { return 2 * x }\n{ print twice($1) }\n")
    out, err, status = m.run("awk", "-f", "/tmp/p.awk", "-", stdin=b"4\n5\n")
    assert (out, err, status) == (b"8\n10\n", b"", 0)
    out, err, status = m.run("awk", "-f", "/tmp/missing.awk")
    assert status == 2 and err.startswith(b"awk: couldn't open file /tmp/missing.awk")


def test_pipes_and_system_run_through_the_shell(m: Machine) -> None:
    out, err, status = m.run(
        "awk",
        'BEGIN { print "x y" | "cat"; close("cat"); system("echo sys"); '
        '"echo hi" | getline v; print v }',
    )
    assert (out, err, status) == (b"x y\nsys\nhi\n", b"", 0)
    assert ["cat"] in m.shell.ran and ["echo", "sys"] in m.shell.ran


def test_stdout_write_error(m: Machine) -> None:
    from .conftest import Sink

    out, err, status = m.run("awk", 'BEGIN { print "x" }', stdout=Sink(fail=28))
    assert status == 1 and err == b"awk: write error: No space left on device\n"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_FUZZ_TOKENS), min_size=1, max_size=12))
def test_random_programs_never_raise(tokens: list[str]) -> None:
    from .conftest import FakeShell, FakeSystem, GroupState, build_fs

    g = GroupState()
    fs = build_fs(g)
    machine = Machine(fs, FakeSystem(fs), FakeShell(), g)
    out, err, status = machine.run("awk", " ".join(tokens), stdin=b"a b c\n1 2 3\n")
    assert b"Traceback" not in err
    assert status in (0, 1, 2) or 0 <= status < 256
