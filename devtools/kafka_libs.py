"""The Kafka broker's classpath, assembled once from Maven Central with `mvn` and cached.

No Apache tarball and no network at run time beyond Maven Central: `kafka-pom.xml` (next to this
file) names kafka_2.13 plus the logging binding the tarball would add; `copy-dependencies` puts
the runtime jars in a cache folder, written to a temporary sibling and renamed when complete, so
an interrupted download never leaves a half set.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

_log = logging.getLogger(__name__)

KAFKA_VERSION = "4.1.1"
POM_PATH = Path(__file__).with_name("kafka-pom.xml")
# Pinned: Maven 3.8.7's super-POM would otherwise pick maven-dependency-plugin 2.8 (2013).
_COPY_DEPENDENCIES = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
_MARKER = ".alerthub-complete"
_KEY_JAR = f"kafka_2.13-{KAFKA_VERSION}.jar"
_MVN_TIMEOUT_S = 900.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class KafkaBrokerError(RuntimeError):
    """The Kafka jars could not be fetched, or the broker could not be formatted/started."""


# --------------------------------------------------------------------------- jars


def default_libs_dir() -> Path:
    """Return the jar cache: ``$ALERTHUB_KAFKA_LIBS`` or ``~/.cache/alerthub/kafka-4.1.1/libs``."""
    override = os.environ.get("ALERTHUB_KAFKA_LIBS")
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "alerthub" / f"kafka-{KAFKA_VERSION}" / "libs"


def ensure_kafka_libs(cache_dir: Path | None = None) -> Path:
    """Return a directory holding the complete broker classpath, downloading it once with mvn.

    A directory counts as complete only if it carries the marker written after a successful
    copy (for the current POM). Downloads go to a sibling temp dir that is renamed into place,
    so an interrupted run never leaves a half jar set behind.
    """
    target = cache_dir or default_libs_dir()
    if _libs_complete(target):
        return target
    find_java()  # mvn itself needs it; fail with the clearer message first
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaBrokerError(
            f"mvn not found on PATH: needed once to download Kafka jars into {target}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        started = time.monotonic()
        _log.info("downloading Kafka %s jars with mvn into %s (one-time)", KAFKA_VERSION, target)
        _copy_dependencies(mvn, partial)
        (partial / _MARKER).write_text(_marker_text(partial))
        _install_dir(partial, target)
        _log.info("Kafka jars ready in %.1fs", time.monotonic() - started)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _copy_dependencies(mvn: str, out_dir: Path) -> None:
    """Run maven-dependency-plugin copy-dependencies for the POM into ``out_dir``."""
    cmd = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(POM_PATH),
        _COPY_DEPENDENCIES,
        "-DincludeScope=runtime",
        f"-DoutputDirectory={out_dir}",
    ]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=_MVN_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise KafkaBrokerError(
            f"mvn download of Kafka jars timed out after {_MVN_TIMEOUT_S:.0f}s"
        ) from exc
    if done.returncode != 0 or not (out_dir / _KEY_JAR).is_file():
        output = _ANSI.sub("", done.stdout + done.stderr).split("[ERROR] To see the full stack")[0]
        raise KafkaBrokerError(
            f"mvn failed to download Kafka jars (exit {done.returncode}): {' '.join(cmd)}\n"
            f"{tail(output)}"
        )


def _marker_text(libs: Path) -> str:
    """Describe a finished copy (source POM + every jar), so a partial set is detectable."""
    jars = sorted(p.name for p in libs.glob("*.jar"))
    return "\n".join([f"pom-sha256={_pom_digest()}", *jars]) + "\n"


def _libs_complete(libs: Path) -> bool:
    """True if ``libs`` holds a marker for the current POM and every jar the marker lists."""
    try:
        header, *jars = (libs / _MARKER).read_text().splitlines()
    except (OSError, ValueError):
        return False
    return (
        header == f"pom-sha256={_pom_digest()}"
        and bool(jars)
        and all((libs / j).is_file() for j in jars)
    )


def _pom_digest() -> str:
    """Hash of kafka-pom.xml: editing the POM invalidates the cache."""
    return hashlib.sha256(POM_PATH.read_bytes()).hexdigest()


def _install_dir(partial: Path, target: Path) -> None:
    """Move a finished jar set into place over an incomplete one; tolerate a concurrent winner."""
    if target.exists() and not _libs_complete(target):
        shutil.rmtree(target)
    try:
        partial.rename(target)
    except OSError:
        if not _libs_complete(target):
            raise


def find_java() -> str:
    """Locate ``java`` ($JAVA_HOME first, then PATH)."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise KafkaBrokerError(
            "java not found (JAVA_HOME or PATH): Kafka 4.1 brokers need a JDK >= 17"
        )
    return java


def tail(text: str, lines: int = 40) -> str:
    """Last ``lines`` lines of ``text``, for error messages."""
    return "\n".join(text.splitlines()[-lines:])
