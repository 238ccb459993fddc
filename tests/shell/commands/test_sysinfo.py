"""uname, hostname, date, sleep, env, printenv, id, whoami, groups, dmesg."""

from __future__ import annotations

from iommush.shell.system import LogRecord


def test_uname(m):
    assert m.run("uname", "-a")[0] == (
        b"Linux (none) 6.12.107+deb13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.12.107-1 "
        b"(2026-08-29) x86_64 GNU/Linux\n"
    )
    assert m.run("uname")[0] == b"Linux\n"
    assert m.run("uname", "-r")[0] == b"6.12.107+deb13-amd64\n"
    assert m.run("uname", "-sm")[0] == b"Linux x86_64\n"
    assert m.run("hostname")[0] == b"(none)\n"


def test_sleep_advances_clock_and_date(m):
    before = m.system.clock
    out1 = m.run("date", "+%s")[0]
    assert m.run("sleep", "1.5", "1m")[2] == 0
    assert m.system.clock == before + 61.5
    out2 = m.run("date", "+%s")[0]
    assert int(out2) - int(out1) in (61, 62)
    _, err, rc = m.run("sleep", "x")
    assert (err, rc) == (
        b"sleep: invalid time interval 'x'\nTry 'sleep --help' for more information.\n",
        1,
    )
    assert m.run("date", "-u", "-d", "@0", "+%Y-%m-%d %H:%M")[0] == b"1970-01-01 00:00\n"


def test_env_printenv(m):
    assert m.run("printenv", "HOME")[0] == b"/root\n"
    assert m.run("printenv", "NOPE")[2] == 1
    assert m.run("env")[0] == b"PATH=/usr/bin:/bin\nHOME=/root\n"
    assert m.run("env", "-i", "A=1", "printenv")[0] == b"A=1\n"


def test_id_whoami_groups(m):
    assert m.run("id")[0] == b"uid=0(root) gid=0(root) groups=0(root)\n"
    assert m.run("id", "user")[0] == b"uid=1000(user) gid=1000(user) groups=1000(user),27(vfio)\n"
    assert m.run("id", "-u")[0] == b"0\n"
    assert m.run("id", "-un")[0] == b"root\n"
    assert m.run("whoami")[0] == b"root\n"
    assert (
        m.run("runas", "1000", "-", "id")[0] == b"uid=1000(user) gid=1000(user) groups=1000(user)\n"
    )
    assert m.run("runas", "1000", "-", "whoami")[0] == b"user\n"
    assert m.run("groups", "user")[0] == b"user : user vfio\n"
    assert m.run("id", "nobody")[1:] == (b"id: 'nobody': no such user\n", 1)


def test_dmesg(m):
    m.system.log[:] = [
        LogRecord(0.0, 6, "Linux version 6.12"),
        LogRecord(1.234567, 3, "DMAR: error"),
        LogRecord(123.5, 6, "pci 0000:00:02.0: Adding to iommu group 1"),
    ]
    out, _, _ = m.run("dmesg")
    assert out == (
        b"[    0.000000] Linux version 6.12\n[    1.234567] DMAR: error\n"
        b"[  123.500000] pci 0000:00:02.0: Adding to iommu group 1\n"
    )
    assert m.run("dmesg", "-t", "-l", "err")[0] == b"DMAR: error\n"
    assert m.run("dmesg", "-x", "-l", "3")[0] == b"kern  :err   : [    1.234567] DMAR: error\n"
    assert m.run("dmesg", "-c")[0].count(b"\n") == 3
    assert m.run("dmesg")[0] == b""
    m.system.log.append(LogRecord(2.0, 6, "x"))
    assert m.run("dmesg", "-C") == (b"", b"", 0)
    assert m.system.log == []
    assert m.run("dmesg", "-l", "bogus")[1:] == (b"dmesg: unknown level 'bogus'\n", 1)
