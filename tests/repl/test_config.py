"""The configuration: packaged defaults merged with the XDG user file."""

from __future__ import annotations

from pathlib import Path

from iommush.repl.config import default_config_text, history_path, load_config, user_config_path


def test_defaults_and_xdg_paths(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    cfg = load_config(environ=env)
    assert cfg.warnings == () and cfg.edit_mode == "emacs" and cfg.toolbar
    assert cfg.history_file == tmp_path / ".local/state/iommush/history"
    assert user_config_path(env) == tmp_path / ".config/iommush/config.toml"
    assert history_path({"XDG_STATE_HOME": "/s", "HOME": "/h"}) == Path("/s/iommush/history")
    # a relative XDG value is ignored, as the XDG spec says
    assert history_path({"XDG_STATE_HOME": "rel", "HOME": "/h"}) == Path(
        "/h/.local/state/iommush/history"
    )
    assert default_config_text().lstrip().startswith("#")


def test_user_file_is_merged_key_by_key(tmp_path: Path) -> None:
    user = tmp_path / "iommush" / "config.toml"
    user.parent.mkdir()
    user.write_text(
        '[editing]\nmode = "vi"\n[toolbar]\nenabled = false\n[colors]\nkeyword = "ansired"\n'
        '[history]\nfile = "-"\n'
    )
    cfg = load_config(environ={"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)})
    assert cfg.edit_mode == "vi" and not cfg.toolbar and cfg.history_file is None
    assert cfg.colors["keyword"] == "ansired" and cfg.colors["option"] == "ansicyan"
    assert cfg.auto_suggest  # untouched keys keep their defaults


def test_bad_user_file_gives_warnings_and_defaults(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[editing\nmode=")
    cfg = load_config(str(bad), environ={"HOME": str(tmp_path)})
    assert cfg.edit_mode == "emacs" and len(cfg.warnings) == 1
    odd = tmp_path / "odd.toml"
    odd.write_text('[editing]\nmode = "nano"\nauto_suggest = "yes"\nfoo = 1\n[bar]\nx = 1\n')
    cfg = load_config(str(odd), environ={"HOME": str(tmp_path)})
    assert cfg.edit_mode == "emacs" and cfg.auto_suggest is True
    text = "\n".join(cfg.warnings)
    assert "editing.mode" in text and "editing.auto_suggest" in text
    assert "editing.foo" in text and "[bar]" in text
    missing = load_config(str(tmp_path / "none.toml"), environ={"HOME": str(tmp_path)})
    assert "cannot read" in missing.warnings[0]
