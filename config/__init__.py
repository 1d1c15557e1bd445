"""Typed settings: a TOML file plus environment overrides."""

from config.reader import ConfigError
from config.settings import (
    DatabaseSettings,
    FormSettings,
    HttpSettings,
    IntakeSettings,
    ManagerSettings,
    PipelineSettings,
    QueueSettings,
    Settings,
    StageSettings,
    load_settings,
)

__all__ = [
    "ConfigError",
    "DatabaseSettings",
    "FormSettings",
    "HttpSettings",
    "IntakeSettings",
    "ManagerSettings",
    "PipelineSettings",
    "QueueSettings",
    "Settings",
    "StageSettings",
    "load_settings",
]
