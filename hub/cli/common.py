"""What every `alerthub` subcommand shares: settings from the environment and the command line."""

from __future__ import annotations

import argparse

from hub.settings import Settings, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, `--env-file`, then the command line (highest)."""
    given = {k: v for k, v in vars(args).items() if k in Settings.model_fields and v is not None}
    return load_settings(args.env_file, **given)
