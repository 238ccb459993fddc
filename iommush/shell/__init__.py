"""The shell language: lexer, parser, expansion and interpreter of the POSIX sh subset
(and the bash extensions) that real sysfs scripts are written in.

``import iommush.shell`` stays cheap: no prompt_toolkit, no rich.
"""

from .errors import Incomplete
from .shell import Shell

__all__ = ["Incomplete", "Shell"]
