#!/bin/sh
# The whole check, as CI runs it (after `pip install -e '.[test]'` in a venv):
# lint, types, the allocator's C test and sanitizer run, the man pages, then pytest.
set -eu
cd "$(dirname "$0")/.."
echo "== ruff"
ruff check iommush tests benchmarks
ruff format --check iommush tests benchmarks
echo "== mypy"
mypy
if [ -x tests/iova/c/run.sh ] || [ -f tests/iova/c/run.sh ]; then
    echo "== C allocator test (plain and ASan+UBSan)"
    sh tests/iova/c/run.sh
fi
if [ -f tests/iova/c/sanitize.sh ]; then
    echo "== differential test against a sanitizer build"
    sh tests/iova/c/sanitize.sh
fi
echo "== pytest"
python -m pytest -n 2 -p no:cacheprovider "$@"
