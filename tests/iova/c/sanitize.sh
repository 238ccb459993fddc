#!/bin/sh
# Run the Python differential tests of the IOVA allocator against an
# AddressSanitizer + UBSan build of the cffi extension. The package is copied
# to a temporary directory, the extension is built there with the sanitizer
# flags, and pytest runs from that directory so that the copy is imported.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
python=${PYTHON:-python3}
cc=${CC:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

libasan=$("$cc" -print-file-name=libasan.so)
case "$libasan" in
/*) ;;
*) echo "sanitize.sh: $cc has no libasan.so (install libasan / gcc)" >&2; exit 1 ;;
esac

mkdir -p "$work/src" "$work/tests"
(cd "$root" && tar cf - --exclude='*.so' --exclude='__pycache__' iommush) | (cd "$work/src" && tar xf -)
cp "$here"/../*.py "$work/tests/"
rm -f "$work/tests/__init__.py"

flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
(cd "$work/src" && "$python" iommush/iova/_build.py --tmpdir "$work/build" \
	--cflags="$flags" --ldflags="-fsanitize=address,undefined")

cd "$work/src"
export PYTHONPATH="$work/src" PYTHONDONTWRITEBYTECODE=1
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
LD_PRELOAD="$libasan" "$python" -c "
import iommush.iova._iova_cffi as m, sys
assert m.__file__.startswith('$work/src/'), m.__file__
print('sanitized extension:', m.__file__)
"
LD_PRELOAD="$libasan" "$python" -m pytest -q -p no:cacheprovider --rootdir "$work/tests" \
	"$work/tests/test_differential.py" "$work/tests/test_iova.py" "$@"
