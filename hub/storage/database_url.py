"""`ALERTHUB_DATABASE_URL`: a PostgreSQL URL, parsed once, and shown only without its password."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from psycopg.conninfo import make_conninfo

from domain.errors import ConfigurationError

SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class DatabaseUrl:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        """Parse `postgresql://user:password@host:port/dbname`; errors never echo the password."""
        parts = urlsplit(url)
        shown = redact(url)
        if parts.scheme not in SCHEMES:
            raise ConfigurationError(f"database URL {shown} is not a postgresql:// URL")
        try:
            port = parts.port or 5432
        except ValueError:
            raise ConfigurationError(f"database URL {shown} has an invalid port") from None
        dbname = unquote(parts.path.lstrip("/"))
        if not parts.hostname or not parts.username or not dbname:
            raise ConfigurationError(f"database URL {shown} needs a user, a host and a database")
        return cls(
            host=parts.hostname,
            port=port,
            user=unquote(parts.username),
            password=unquote(parts.password or ""),
            dbname=dbname,
        )

    def __str__(self) -> str:
        """The URL as logs and error messages show it: no password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def __repr__(self) -> str:
        return f"DatabaseUrl({self})"

    def conninfo(self) -> str:
        """The libpq connection string (quoting done by psycopg)."""
        return make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.dbname,
        )


def redact(url: str) -> str:
    """`url` with any password replaced by `***` (for messages about a URL that may not parse)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
