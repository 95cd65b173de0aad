"""The README documents every setting (as datasette's docs tests do)."""

from __future__ import annotations

from bot.telegram.settings import BotSettings
from index.settings import Settings
from tests.conftest import ROOT


def test_every_setting_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    assert set(Settings.model_fields) < set(BotSettings.model_fields)  # the bot's extend the engine's
    for name, field in BotSettings.model_fields.items():
        env = field.validation_alias if isinstance(field.validation_alias, str) else f"VERBATIM_{name.upper()}"
        assert f"`{env}`" in readme, f"{env} is not documented in README.md"


def test_readme_starts_with_the_two_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_cmd = 'pip install -e ".[test]" && python -m pytest -q'
    assert test_cmd in readme and test_cmd in ci
    assert 'pip install -e . && verbatim ask "' in readme.split("## Using it")[0]
