"""cffi (API mode) builder of the IOVA allocator extension, ``iommush.iova._iova_cffi``.

setup.py names it in ``cffi_modules``, so ``pip install .`` compiles ``iova.c`` with the
system C compiler. Paths given to ``set_source`` are relative to the project root, where
the build backend runs (setuptools refuses absolute source paths in a wheel build).

Developers can build in place (the ``.so`` lands next to this file) with::

    python iommush/iova/_build.py

``tests/iova/c/sanitize.sh`` uses :func:`build_inplace` with sanitizer flags on a copy of the
package.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import sysconfig
from pathlib import Path

from cffi import FFI

__all__ = ["MODULE", "build_inplace", "ffibuilder", "make_ffibuilder", "missing_toolchain"]

MODULE = "iommush.iova._iova_cffi"
_SRC_DIR = "iommush/iova"
_CDEF = Path(__file__).resolve().with_name("iova.cdef")

# setuptools commands that compile the extension (PEP 517 backends run these too).
_COMPILING_COMMANDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def missing_toolchain() -> str | None:
    """Say what is missing to compile the extension, or None when a build can proceed."""
    cc_var = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc = shlex.split(cc_var)[0] if cc_var.strip() else "cc"
    if shutil.which(cc) is None:
        return (
            f"no C compiler found (looked for {cc!r}). iommush compiles its IOVA allocator "
            "(C, through cffi) at install time: install a C compiler and the Python headers, "
            "e.g. 'apt install gcc python3-dev' (Debian/Ubuntu), 'dnf install gcc python3-devel' "
            "(Fedora) or 'xcode-select --install' (macOS), then retry."
        )
    include = sysconfig.get_paths().get("include", "")
    if not Path(include, "Python.h").exists():
        return (
            f"Python.h not found in {include!r}. iommush compiles its IOVA allocator at install "
            "time: install the Python development headers, e.g. 'apt install python3-dev' "
            "(Debian/Ubuntu) or 'dnf install python3-devel' (Fedora), then retry."
        )
    return None


def make_ffibuilder(
    extra_compile_args: list[str] | None = None,
    extra_link_args: list[str] | None = None,
    src_dir: str = _SRC_DIR,
) -> FFI:
    """The FFI for ``iova.h``: cdef from ``iova.cdef``, source linked through ``sources=``.

    ``src_dir`` is relative to the project root for setuptools; :func:`build_inplace` passes
    an absolute one because ``FFI.compile`` changes into its temporary directory.
    """
    ffi = FFI()
    ffi.cdef(_CDEF.read_text(encoding="utf-8"))
    ffi.set_source(
        MODULE,
        '#include "iova.h"',
        sources=[f"{src_dir}/iova.c"],
        include_dirs=[src_dir],
        depends=[f"{src_dir}/iova.h", f"{src_dir}/iova.cdef"],
        extra_compile_args=extra_compile_args
        if extra_compile_args is not None
        else ["-O2", "-Wall", "-Wextra"],
        extra_link_args=extra_link_args or [],
    )
    return ffi


def build_inplace(
    tmpdir: str | os.PathLike[str],
    extra_compile_args: list[str] | None = None,
    extra_link_args: list[str] | None = None,
) -> Path:
    """Compile the extension in ``tmpdir`` and copy it next to this file; return its path."""
    here = _CDEF.parent
    problem = missing_toolchain()
    if problem is not None:
        raise SystemExit(f"error: iommush: {problem}")
    ffi = make_ffibuilder(extra_compile_args, extra_link_args, src_dir=str(here))
    built = Path(ffi.compile(tmpdir=os.fspath(Path(tmpdir).resolve())))
    name = built.name
    if os.name == "posix" and sys.implementation.name == "cpython":
        # cffi compiles against the limited API: use the abi3 name a wheel build uses, so
        # that the two never leave a stale copy shadowing the other
        for stale in here.glob("_iova_cffi.cpython-*.so"):
            stale.unlink()
        name = "_iova_cffi.abi3.so"
    target = here / name
    shutil.copyfile(built, target)
    return target


if _COMPILING_COMMANDS.intersection(sys.argv[1:]):
    _problem = missing_toolchain()
    if _problem is not None:
        raise SystemExit(f"error: iommush: {_problem}")

ffibuilder = make_ffibuilder()


def main(argv: list[str] | None = None) -> None:
    """``python iommush/iova/_build.py [--cflags FLAGS] [--ldflags FLAGS] [--tmpdir DIR]``."""
    import argparse

    parser = argparse.ArgumentParser(description="Build the IOVA allocator extension in place.")
    parser.add_argument("--cflags", help="compiler flags (default: -O2 -Wall -Wextra)")
    parser.add_argument("--ldflags", default="", help="linker flags")
    parser.add_argument("--tmpdir", default=str(_CDEF.parents[2] / "build" / "cffi"))
    args = parser.parse_args(argv)
    cflags = shlex.split(args.cflags) if args.cflags is not None else None
    print(build_inplace(args.tmpdir, cflags, shlex.split(args.ldflags)))


if __name__ == "__main__":
    main()
