"""Configuration: one TOML file, validated with pydantic.

``schema`` holds the models (unknown keys are refused); ``loading`` finds, reads and
resolves the file.
"""

from tdl_inbox.config.loading import DEFAULT_CONFIG_NAME, ENV_CONFIG, find_config, load_config
from tdl_inbox.config.schema import Settings

__all__ = ["DEFAULT_CONFIG_NAME", "ENV_CONFIG", "Settings", "find_config", "load_config"]
