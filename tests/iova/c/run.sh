#!/bin/sh
# Build and run the C tests of the IOVA allocator without Python: once with
# -Wall -Wextra -Werror -O2, once more under AddressSanitizer + UBSan.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../../iommush/iova" && pwd)
cc=${CC:-cc}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== plain build"
"$cc" -std=c11 -Wall -Wextra -Werror -O2 -I"$src" "$here/test_iova.c" "$src/iova.c" -o "$out/test_iova"
"$out/test_iova"

echo "== ASan + UBSan build"
"$cc" -std=c11 -Wall -Wextra -Werror -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$src" "$here/test_iova.c" "$src/iova.c" -o "$out/test_iova_san"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 "$out/test_iova_san"
