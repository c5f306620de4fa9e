"""Run a real single-node Apache Kafka 4.1.1 broker (KRaft) for tests and ``make kafka``.

No Docker and no Apache tarball: the broker classpath is assembled from Maven Central with
``mvn`` (see ``kafka-pom.xml`` next to this file), cached once, and run with ``java -cp``.
The broker is a combined broker+controller with static ``controller.quorum.voters`` on free
loopback ports, sized for tests (1-partition internal topics, small heap, no rebalance delay).

Usage::

    with KafkaBroker() as broker:
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
        ...
        broker.restart()          # same ports, same data: committed data and offsets survive

``python -m devtools.kafka_broker`` runs one until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import base64
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from devtools.foreground import run_in_foreground
from devtools.kafka_libs import (
    KAFKA_VERSION,
    POM_PATH,
    KafkaBrokerError,
    default_libs_dir,
    ensure_kafka_libs,
    find_java,
)
from devtools.kafka_libs import tail as _tail
from devtools.ports import free_ports

__all__ = [
    "DEFAULT_JVM_OPTIONS",
    "KAFKA_VERSION",
    "POM_PATH",
    "READY_LINE",
    "KafkaBroker",
    "KafkaBrokerError",
    "default_libs_dir",
    "ensure_kafka_libs",
    "main",
]

_log = logging.getLogger(__name__)

_FORMAT_TIMEOUT_S = 120.0

READY_LINE = "Kafka Server started"
_BIND_FAILURE = "Address already in use"
# Small heap (the script default is 1 GiB), the GC flags of kafka-run-class.sh, and C1 only:
# measured here, it starts ~0.7 s faster and burns less CPU on 2 cores, with the same
# kafka-python throughput (the client, not the broker, is the bottleneck in tests).
DEFAULT_JVM_OPTIONS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)

# shutdownHook=disable: otherwise log4j2's own JVM shutdown hook races Kafka's and the
# controlled-shutdown lines are lost (console appenders flush per event, nothing is dropped).
_BROKER_LOG4J2 = """\
status = warn
shutdownHook = disable
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
"""
# StorageTool: WARN to stderr only, like the stock tools-log4j2.yaml.
_TOOLS_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
"""


class _BindError(KafkaBrokerError):
    """A listener port was taken between picking it and the broker binding it (retryable)."""


def _cluster_id() -> str:
    """A cluster id like ``StorageTool random-uuid``: base64url, 22 chars, no leading '-'."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


# --------------------------------------------------------------------------- broker


class KafkaBroker:
    """A throw-away single-node Kafka broker (combined KRaft broker+controller) in a child JVM.

    ``start()`` on a fresh instance picks ports and formats a new work dir. After ``kill()``,
    ``restart()`` or ``stop(keep_work_dir=True)``, ``start()`` brings the broker back on the same
    ports with the same data, which is what fault-injection tests need. Only a cleaning
    ``stop()`` (the default, also on context exit) deletes the work dir.
    """

    def __init__(
        self,
        libs_dir: Path | None = None,
        *,
        work_root: Path | None = None,
        keep_work_dir: bool = False,
        start_timeout: float = 90.0,
        stop_timeout: float = 30.0,
        jvm_options: Sequence[str] = DEFAULT_JVM_OPTIONS,
        properties: Mapping[str, str] | None = None,
        scram_users: Mapping[str, str] | None = None,
    ) -> None:
        """Configure (but do not start) a broker.

        ``libs_dir`` defaults to ``ensure_kafka_libs()``; ``work_root`` is where the temp work dir
        is created; ``properties`` override/extend server.properties; ``jvm_options`` replace
        the broker JVM flags (heap and GC).

        ``scram_users`` (name -> password) opts in to partner security: a second listener,
        SASL_PLAINTEXT with SCRAM-SHA-512 (``sasl_bootstrap``), those users' credentials written
        into the KRaft metadata at format time, and KRaft's ``StandardAuthorizer`` denying
        whatever no ACL allows. The PLAINTEXT listener stays the operator's: its anonymous
        principal is a super user, so the hub and the admin tools work there as before.
        """
        self._libs_dir = libs_dir
        self._work_root = work_root
        self._keep_work_dir = keep_work_dir
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._jvm_options = tuple(jvm_options)
        self._properties = dict(properties or {})
        self._scram_users = dict(scram_users or {})
        self._work: Path | None = None
        self._ports: tuple[int, ...] | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # ---- context manager

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- properties

    @property
    def bootstrap(self) -> str:
        """``127.0.0.1:PORT`` of the PLAINTEXT listener (stable across restarts)."""
        if self._ports is None:
            raise KafkaBrokerError("broker has not been started")
        return f"127.0.0.1:{self._ports[0]}"

    @property
    def sasl_bootstrap(self) -> str:
        """``127.0.0.1:PORT`` of the SASL_PLAINTEXT (SCRAM-SHA-512) listener partners use."""
        if self._ports is None or not self._scram_users:
            raise KafkaBrokerError("broker has not been started with scram_users")
        return f"127.0.0.1:{self._ports[2]}"

    @property
    def work_dir(self) -> Path:
        """Directory holding server.properties, log4j2 config, ``data/`` and ``broker.log``."""
        if self._work is None:
            raise KafkaBrokerError("broker has not been started")
        return self._work

    @property
    def log_path(self) -> Path:
        """The broker's combined stdout/stderr log (appended to across restarts)."""
        return self.work_dir / "broker.log"

    @property
    def pid(self) -> int | None:
        """PID of the broker JVM, or None when it is not running."""
        return self._proc.pid if self.is_running and self._proc else None

    @property
    def is_running(self) -> bool:
        """True while the broker JVM is alive (it may not be ready yet during ``start()``)."""
        return self._proc is not None and self._proc.poll() is None

    def tail_log(self, lines: int = 40) -> str:
        """The last lines of the broker log (empty if there is none), for diagnostics."""
        if self._work is None or not self.log_path.exists():
            return ""
        return _tail(self.log_path.read_text(errors="replace"), lines)

    # ---- lifecycle

    def start(self) -> None:
        """Start the broker and block until it logs ``Kafka Server started``.

        Raises KafkaBrokerError (with the log tail) if it exits or is not ready in time. On any
        failure the JVM is killed, and a work dir created by this call is removed.
        """
        if self.is_running:
            raise KafkaBrokerError(f"broker already running at {self.bootstrap}")
        libs = self._libs_dir or ensure_kafka_libs()
        fresh = self._work is None
        try:
            if fresh:
                self._start_fresh(libs)
            else:
                self._launch(libs)  # same ports, same data dir
        except BaseException:
            self._halt(graceful=False)
            if fresh and not self._keep_work_dir:
                self._remove_work_dir()
            raise

    def stop(self, *, keep_work_dir: bool | None = None) -> int | None:
        """SIGTERM the broker (SIGKILL after ``stop_timeout``) and return its exit code.

        Removes the work dir unless ``keep_work_dir`` (default: the constructor's) is true; a kept
        work dir lets a later ``start()`` resume on the same ports and data.
        """
        code = self._halt(graceful=True)
        keep = self._keep_work_dir if keep_work_dir is None else keep_work_dir
        if not keep:
            self._remove_work_dir()
        return code

    def kill(self) -> int | None:
        """SIGKILL the broker (a crash, for fault tests); ports and data stay for ``start()``."""
        return self._halt(graceful=False)

    def restart(self, *, hard: bool = False) -> None:
        """Stop (SIGTERM, or SIGKILL if ``hard``) and start again on the same ports and data."""
        self._halt(graceful=not hard)
        self.start()

    # ---- internals

    def _start_fresh(self, libs: Path) -> None:
        """Create and format a new work dir and start; retry once with new ports on a bind race."""
        self._work = Path(tempfile.mkdtemp(prefix="alerthub-kafka-", dir=self._work_root))
        for attempt in (1, 2):
            self._ports = tuple(free_ports(3 if self._scram_users else 2))
            bport, cport = self._ports[:2]
            self._write_configs()
            self._format(libs)
            try:
                self._launch(libs)
                return
            except _BindError:
                if attempt == 2:
                    raise
                _log.warning("Kafka port %s or %s was taken; retrying with new ports", bport, cport)
                self._halt(graceful=False)
                shutil.rmtree(self.work_dir / "data", ignore_errors=True)

    def _server_properties(self) -> dict[str, str]:
        """server.properties for a test-sized node that is both broker and KRaft controller."""
        assert self._ports is not None
        bport, cport = self._ports[:2]
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{cport}",
            "controller.listener.names": "CONTROLLER",
            "listeners": f"PLAINTEXT://127.0.0.1:{bport},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{bport}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.work_dir / "data"),
            "num.partitions": "1",
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # The cleaner's dedupe buffer defaults to 128 MiB of heap, allocated at start.
            "log.cleaner.dedupe.buffer.size": "2097152",
            # RECOVERY -> RUNNING waits one heartbeat (default 2000 ms).
            "broker.heartbeat.interval.ms": "500",
            # After a SIGKILL the restarted broker cannot re-register until the controller
            # expires the old session (default 9000 ms): keeps kill-then-restart around 5 s.
            "broker.session.timeout.ms": "3000",
            "num.network.threads": "2",
            "num.io.threads": "2",
            **self._partner_security(),
            **self._properties,
        }

    def _partner_security(self) -> dict[str, str]:
        """The SASL/SCRAM listener and the authorizer, when ``scram_users`` asked for them."""
        if not self._scram_users:
            return {}
        assert self._ports is not None
        bport, cport, sport = self._ports
        plain, sasl = f"127.0.0.1:{bport}", f"127.0.0.1:{sport}"
        return {
            "listeners": f"PLAINTEXT://{plain},SASL_PLAINTEXT://{sasl},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://{plain},SASL_PLAINTEXT://{sasl}",
            "listener.security.protocol.map": (
                "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"
            ),
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            # The broker itself (inter-broker and controller traffic on PLAINTEXT) and the operator.
            "super.users": "User:ANONYMOUS",
        }

    def _write_configs(self) -> None:
        """Write server.properties and the two log4j2 configs into the work dir."""
        props = "".join(f"{k}={v}\n" for k, v in self._server_properties().items())
        (self.work_dir / "server.properties").write_text(props)
        (self.work_dir / "log4j2.properties").write_text(_BROKER_LOG4J2)
        (self.work_dir / "tools-log4j2.properties").write_text(_TOOLS_LOG4J2)

    def _java_cmd(self, libs: Path, log4j2: str, jvm: Sequence[str], *args: str) -> list[str]:
        """``java`` command line with the jar directory as a (JVM-expanded) wildcard classpath."""
        config = f"-Dlog4j2.configurationFile={self.work_dir / log4j2}"
        return [find_java(), *jvm, config, "-cp", f"{libs}/*", *args]

    def _format(self, libs: Path) -> None:
        """Format ``data/`` with a new cluster id (static voters: no ``--standalone``)."""
        cmd = self._java_cmd(
            libs,
            "tools-log4j2.properties",
            ("-Xmx256m",),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            _cluster_id(),
            "-c",
            str(self.work_dir / "server.properties"),
            *(
                arg
                for name, password in sorted(self._scram_users.items())
                for arg in ("--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]")
            ),
        )
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=_FORMAT_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise KafkaBrokerError(
                f"kafka StorageTool format timed out after {_FORMAT_TIMEOUT_S:.0f}s"
            ) from exc
        if done.returncode != 0:
            raise KafkaBrokerError(
                f"kafka StorageTool format failed (exit {done.returncode}):\n"
                f"{_tail(done.stdout + done.stderr)}"
            )

    def _launch(self, libs: Path) -> None:
        """Start the JVM and wait until ready.

        The JVM gets its own session, so a terminal Ctrl-C reaches us (and we stop it cleanly)
        rather than killing it behind our back.
        """
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        cmd = self._java_cmd(
            libs,
            "log4j2.properties",
            self._jvm_options,
            "kafka.Kafka",
            str(self.work_dir / "server.properties"),
        )
        started = time.monotonic()
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the fd
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.work_dir,
                start_new_session=True,
            )
        self._wait_ready(offset)
        _log.info(
            "Kafka broker ready at %s in %.1fs (pid %d, work dir %s)",
            self.bootstrap,
            time.monotonic() - started,
            self._proc.pid,
            self.work_dir,
        )

    def _wait_ready(self, offset: int) -> None:
        """Poll the log (from this launch's offset) for the readiness line while the JVM lives."""
        assert self._proc is not None
        deadline = time.monotonic() + self._start_timeout
        while True:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
            if READY_LINE in text:
                return
            code = self._proc.poll()
            if _BIND_FAILURE in text or code is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if _BIND_FAILURE in text:
            raise _BindError(
                f"Kafka broker could not bind its ports; tail of {self.log_path}:\n{_tail(text)}"
            )
        reason = (
            f"exited with code {code}"
            if code is not None
            else f"not ready after {self._start_timeout:.0f}s"
        )
        raise KafkaBrokerError(f"Kafka broker {reason}; tail of {self.log_path}:\n{_tail(text)}")

    def _halt(self, *, graceful: bool) -> int | None:
        """End the JVM (SIGTERM, SIGKILL on timeout; or SIGKILL) keeping the work dir; exit code."""
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None and graceful:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(self._stop_timeout)
            except subprocess.TimeoutExpired:
                _log.warning(
                    "Kafka broker (pid %d) ignored SIGTERM for %.0fs; killing",
                    proc.pid,
                    self._stop_timeout,
                )
        if proc.poll() is None:
            proc.kill()
        return proc.wait()

    def _remove_work_dir(self) -> None:
        """Forget ports and delete the work dir; the next ``start()`` is a fresh broker."""
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
        self._work = None
        self._ports = None


# --------------------------------------------------------------------------- CLI


def main() -> int:
    """Run a broker until Ctrl-C or SIGTERM (backs ``make kafka``); returns the exit status."""

    def announce(broker: KafkaBroker) -> None:
        _log.info(
            "Kafka %s bootstrap=%s (log %s); Ctrl-C to stop",
            KAFKA_VERSION,
            broker.bootstrap,
            broker.log_path,
        )

    return run_in_foreground(KafkaBroker(), "Kafka broker", announce, KafkaBrokerError)


if __name__ == "__main__":
    sys.exit(main())
