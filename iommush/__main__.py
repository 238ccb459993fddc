"""``python -m iommush``."""

from iommush.cli import main

main()
