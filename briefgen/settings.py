"""A TOML config file + environment variables → validated SMTP settings (the password from the environment only).

The edge where delivery settings enter briefgen. Precedence: built-in defaults < the ``[smtp]`` table of
the config file < ``BRIEFGEN_SMTP_HOST``/``_PORT``/``_SECURITY``/``_USER``/``_SENDER``/``_CA_FILE``. The password is
never read from the config file: only from ``BRIEFGEN_SMTP_PASSWORD`` or from the file named by
``BRIEFGEN_SMTP_PASSWORD_FILE``. It travels wrapped in ``Secret``, whose repr and str are redacted, so
no log line, error message or dataclass repr can show it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, get_args

from briefgen.errors import ConfigError, Problem
from briefgen.readers import is_address

Security = Literal["starttls", "ssl", "none"]
SECURITIES: tuple[Security, ...] = get_args(Security)

ENV_PREFIX = "BRIEFGEN_SMTP_"
PASSWORD_VAR = "BRIEFGEN_SMTP_PASSWORD"
PASSWORD_FILE_VAR = "BRIEFGEN_SMTP_PASSWORD_FILE"
ENV_KEYS = ("host", "port", "security", "user", "sender", "ca_file")
DEFAULT_PORTS: Mapping[Security, int] = {"starttls": 587, "ssl": 465, "none": 25}


class Secret:
    """A value that must not be shown: ``repr``/``str`` print ``'********'``; ``reveal()`` gives it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server. Invalid combinations (e.g. a login over plain text) cannot be built.

    ``max_attempts`` bounds the tries per message on temporary failures; the waits between tries
    are ``backoff_seconds`` doubled each time, capped at ``backoff_max_seconds``. ``ca_file`` adds a
    PEM file of CA certificates to trust (a private CA) on top of the system's; verification stays on.
    """

    host: str
    sender: str
    security: Security = "starttls"
    port: int = 587
    user: str = ""
    password: Secret | None = field(default=None, compare=False)
    timeout: float = 30.0
    max_message_bytes: int = 10_000_000
    max_attempts: int = 4
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 60.0
    ca_file: str = ""
    origin: str = "smtp settings"

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ConfigError(*problems)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        return float(min(self.backoff_seconds * 2 ** (attempt - 1), self.backoff_max_seconds))


def _problems(s: SmtpSettings) -> list[Problem]:
    def bad(name: str, problem: str, expected: str) -> Problem:
        return Problem(s.origin, problem, field=name, expected=expected)

    checks = [
        (not s.host or any(c.isspace() for c in s.host), "host", f"host {s.host!r} is not usable",
         "a host name or IP address"),
        (s.security not in SECURITIES, "security", f"unknown security {s.security!r}",
         " | ".join(SECURITIES)),
        (not 0 < s.port < 65536, "port", f"port {s.port} is out of range", "1–65535"),
        (not is_address(s.sender), "sender",
         f"sender {s.sender!r} is not an address", "an address like briefs@example.com"),
        (s.timeout <= 0, "timeout", "timeout must be positive", "seconds, e.g. 30"),
        (s.max_message_bytes <= 0, "max_message_bytes", "cap must be positive", "bytes, e.g. 10000000"),
        (s.max_attempts < 1, "max_attempts", "at least one attempt is needed", "an integer ≥ 1"),
        (s.backoff_seconds < 0 or s.backoff_max_seconds < s.backoff_seconds, "backoff_seconds",
         "backoff must be ≥ 0 and not above backoff_max_seconds", "e.g. 2 and 60"),
        (bool(s.user) and s.security == "none", "security",
         "refusing to log in over an unencrypted connection", "starttls or ssl when user is set"),
    ]
    return [bad(name, problem, expected) for failed, name, problem, expected in checks if failed]


def load_settings(config: Path | None, environ: Mapping[str, str], *,
                  need_password: bool = True) -> SmtpSettings:
    """Read the ``[smtp]`` table of ``config`` (if given), apply environment overrides, validate.

    ``need_password=False`` (for ``--dry-run``, which never logs in) lets a missing password pass.
    """
    origin = str(config) if config else "environment"
    values: dict[str, Any] = dict(_read_config(config)) if config else {}
    values.update(_environment(environ))
    _check_values(values, origin)
    password = _password(environ)
    if need_password and values.get("user") and password is None:
        raise ConfigError(Problem(origin, f"user {values['user']!r} is set but no password was given",
                                  field=PASSWORD_VAR,
                                  expected=f"the password in the environment variable {PASSWORD_VAR} "
                                           f"or in a file named by {PASSWORD_FILE_VAR}"))
    values.setdefault("port", DEFAULT_PORTS.get(values.get("security", "starttls"), 587))
    floats = {key: float(values[key]) for key in _FLOAT_KEYS if key in values}
    return SmtpSettings(**{**values, **floats}, password=password, origin=origin)


_REQUIRED = ("host", "sender")
_FLOAT_KEYS = ("timeout", "backoff_seconds", "backoff_max_seconds")
_FIELD_TYPES: Mapping[str, tuple[type, ...]] = {
    "host": (str,), "sender": (str,), "security": (str,), "port": (int,), "user": (str,),
    "timeout": (int, float), "max_message_bytes": (int,), "max_attempts": (int,),
    "backoff_seconds": (int, float), "backoff_max_seconds": (int, float), "ca_file": (str,),
}


def _read_config(path: Path) -> Mapping[str, object]:
    origin = str(path)
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(Problem(origin, f"cannot read the config file ({exc.strerror or exc})",
                                  expected="an existing, readable TOML file")) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Problem(origin, f"not valid TOML: {exc}", expected="TOML")) from exc
    table = document.get("smtp")
    if not isinstance(table, dict):
        raise ConfigError(Problem(origin, "no [smtp] table", field="smtp",
                                  expected="an [smtp] table with host, sender, security, ..."))
    if "password" in table:
        raise ConfigError(Problem(origin, "a password does not belong in the config file",
                                  field="smtp.password",
                                  expected=f"the environment variable {PASSWORD_VAR} "
                                           f"or {PASSWORD_FILE_VAR}"))
    unknown = sorted(set(table) - set(_FIELD_TYPES))
    if unknown:
        raise ConfigError(*(Problem(origin, "unknown setting", field=f"smtp.{key}",
                                    expected=f"one of {', '.join(_FIELD_TYPES)}") for key in unknown))
    return table


def _environment(environ: Mapping[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for key in ENV_KEYS:
        text = environ.get(ENV_PREFIX + key.upper())
        if text is not None:
            values[key] = _env_int(key, text) if key == "port" else text.strip()
    return values


def _env_int(key: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(Problem("environment", f"{text!r} is not a whole number",
                                  field=ENV_PREFIX + key.upper(), expected="e.g. 587")) from None


def _password(environ: Mapping[str, str]) -> Secret | None:
    if environ.get(PASSWORD_VAR):
        return Secret(environ[PASSWORD_VAR])
    name = environ.get(PASSWORD_FILE_VAR)
    if not name:
        return None
    try:
        text = Path(name).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(Problem(name, "cannot read the password file", field=PASSWORD_FILE_VAR,
                                  expected="a readable UTF-8 file holding only the password")) from exc
    if not text:
        raise ConfigError(Problem(name, "the password file is empty", field=PASSWORD_FILE_VAR,
                                  expected="a file holding the password"))
    return Secret(text)


def _check_values(values: Mapping[str, object], origin: str) -> None:
    problems = [Problem(origin, "missing setting", field=f"smtp.{key}",
                        expected=f"{key} in the config file or {ENV_PREFIX}{key.upper()}")
                for key in _REQUIRED if key not in values]
    problems += [
        Problem(origin, f"{type(value).__name__} value {value!r}", field=f"smtp.{key}",
                expected=" or ".join(t.__name__ for t in _FIELD_TYPES[key]))
        for key, value in values.items()
        if not isinstance(value, _FIELD_TYPES[key]) or isinstance(value, bool)
    ]
    if problems:
        raise ConfigError(*problems)


__all__ = ["SECURITIES", "PASSWORD_FILE_VAR", "PASSWORD_VAR", "Secret", "Security", "SmtpSettings",
           "load_settings"]
