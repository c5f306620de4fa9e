"""Debian's Chromium and its ChromeDriver for the browser tests, installed when missing.

Why Debian's and not a test tool's own browser download: that download reaches hosts other than
the package registries, and Debian ships the driver built from the same source as the browser,
so the two always match. As root (CI) the packages are installed with apt-get; as anyone else
the caller is told what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)
PACKAGES = ("chromium", "chromium-driver")


@dataclass(frozen=True)
class Chromium:
    browser: str
    driver: str


def find() -> Chromium | None:
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return Chromium(browser, driver) if browser and driver else None


def ensure() -> Chromium:
    """The installed browser and driver, installing them first when running as root."""
    found = find()
    if found is not None:
        return found
    if os.geteuid() != 0:
        raise RuntimeError(f"install Debian's {' and '.join(PACKAGES)} (apt-get install)")
    log.info("browser.installing", packages=PACKAGES)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env)
    found = find()
    if found is None:
        raise RuntimeError("chromium installed but not found on PATH")
    return found
