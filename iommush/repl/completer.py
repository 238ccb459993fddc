"""The prompt_toolkit face of :func:`iommush.repl.suggest.suggest`."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from .suggest import CompletionContext, suggest

__all__ = ["ShellCompleter"]


class ShellCompleter(Completer):
    """Turns suggestions into completions; ``context`` is asked afresh on every Tab,
    so the shell's current directory and the tree as it is now are used."""

    def __init__(self, context: Callable[[], CompletionContext]) -> None:
        self.context = context

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        try:
            found = suggest(document.text_before_cursor, self.context(), document.text_after_cursor)
        except Exception:  # completion must never break the line being edited
            return
        for s in found:
            yield Completion(s.text, -s.replace, display=s.label, display_meta=s.meta or None)
