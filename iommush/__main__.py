"""``python -m iommush``."""

from iommush.cli import console_main

console_main()
