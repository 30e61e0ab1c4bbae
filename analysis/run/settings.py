"""The run layer's name for the declared-settings machinery (it lives in :mod:`analysis.settings`,
below every layer, because the tokens layer's ``TextSettings`` is declared with it too)."""

from analysis.settings import SettingSpec, StageSettings, coerce_value, parse_assignments, setting

__all__ = ["StageSettings", "SettingSpec", "setting", "parse_assignments", "coerce_value"]
