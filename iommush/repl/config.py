"""The interactive configuration: the packaged defaults merged with the user's file.

``default_config.toml`` (shipped in this package, commented) holds every key; the
user's ``$XDG_CONFIG_HOME/iommush/config.toml`` overrides keys one by one, the way
pgcli merges ``pgclirc`` with ``~/.config/pgcli/config``. A broken user file never
stops the shell: the problem is reported once and the defaults are used.

>>> cfg = load_config(environ={"XDG_CONFIG_HOME": "/nonexistent"})
>>> cfg.edit_mode, cfg.toolbar, cfg.prompt_format
('emacs', True, '{user}@{host}:{cwd}{sigil} ')
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "ReplConfig",
    "default_config_text",
    "history_path",
    "load_config",
    "merge",
    "user_config_path",
    "xdg_dir",
]

_EDIT_MODES = ("emacs", "vi")
_COMPLETION_STYLES = ("column", "multi-column", "readline")


@dataclass(frozen=True)
class ReplConfig:
    """Everything the REPL reads from the configuration, validated."""

    prompt_format: str
    continuation: str
    edit_mode: str
    auto_suggest: bool
    complete_while_typing: bool
    completion_style: str
    highlight: bool
    toolbar: bool
    #: The history file, or None to keep history in memory only.
    history_file: Path | None
    colors: dict[str, str]
    #: Problems found in the user's file (already replaced by defaults).
    warnings: tuple[str, ...] = field(default=())


def default_config_text() -> str:
    """The packaged, commented default configuration."""
    return resources.files("iommush.repl").joinpath("default_config.toml").read_text("utf-8")


def xdg_dir(environ: Mapping[str, str], var: str, fallback: str) -> Path:
    """``$var`` if it is set to an absolute path (XDG Base Directory rule), else
    ``~/fallback``."""
    value = environ.get(var, "")
    if value and os.path.isabs(value):
        return Path(value)
    home = environ.get("HOME") or os.path.expanduser("~")
    return Path(home) / fallback


def user_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/iommush/config.toml``."""
    env = os.environ if environ is None else environ
    return xdg_dir(env, "XDG_CONFIG_HOME", ".config") / "iommush" / "config.toml"


def history_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/iommush/history``."""
    env = os.environ if environ is None else environ
    return xdg_dir(env, "XDG_STATE_HOME", ".local/state") / "iommush" / "history"


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``, tables merged key by key."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _typed(
    data: Mapping[str, Any], defaults: Mapping[str, Any], section: str, key: str, warn: list[str]
) -> Any:
    default = defaults[section][key]
    value = data.get(section, {}).get(key, default)
    if type(value) is not type(default):
        warn.append(f"{section}.{key}: expected {type(default).__name__}, using the default")
        return default
    return value


def load_config(path: str | None = None, environ: Mapping[str, str] | None = None) -> ReplConfig:
    """The defaults merged with ``path`` (default: the XDG user file, if it exists)."""
    env = os.environ if environ is None else environ
    defaults = tomllib.loads(default_config_text())
    warn: list[str] = []
    user: dict[str, Any] = {}
    file = Path(path) if path else user_config_path(env)
    if path or file.exists():
        try:
            user = tomllib.loads(file.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            warn.append(f"{file}: cannot read: {getattr(exc, 'strerror', None) or exc}")
        except tomllib.TOMLDecodeError as exc:
            warn.append(f"{file}: {exc}")
    for section, body in user.items():
        if section not in defaults or not isinstance(body, dict):
            warn.append(f"{file}: unknown section [{section}] ignored")
        elif section != "colors":
            for key in body:
                if key not in defaults[section]:
                    warn.append(f"{file}: unknown key {section}.{key} ignored")
    data = merge(defaults, {k: v for k, v in user.items() if k in defaults and isinstance(v, dict)})

    def get(section: str, key: str) -> Any:
        return _typed(data, defaults, section, key, warn)

    mode = get("editing", "mode")
    if mode not in _EDIT_MODES:
        warn.append(f"editing.mode: {mode!r} is not emacs or vi, using emacs")
        mode = "emacs"
    style = get("editing", "completion_style")
    if style not in _COMPLETION_STYLES:
        warn.append(f"editing.completion_style: {style!r} unknown, using column")
        style = "column"
    hist = get("history", "file")
    history: Path | None
    if hist == "-":
        history = None
    elif hist:
        history = Path(os.path.expanduser(hist))
    else:
        history = history_path(env)
    colors = {str(k): str(v) for k, v in data.get("colors", {}).items()}
    return ReplConfig(
        prompt_format=get("prompt", "format"),
        continuation=get("prompt", "continuation"),
        edit_mode=mode,
        auto_suggest=get("editing", "auto_suggest"),
        complete_while_typing=get("editing", "complete_while_typing"),
        completion_style=style,
        highlight=get("editing", "highlight"),
        toolbar=get("toolbar", "enabled"),
        history_file=history,
        colors=colors,
        warnings=tuple(warn),
    )
