"""A TOML config file + environment variables → validated SMTP settings (the password from the environment only).

The edge where delivery settings enter briefgen. Precedence: built-in defaults < the ``[smtp]`` table of
the config file < ``BRIEFGEN_SMTP_HOST``/``_PORT``/``_SECURITY``/``_USER``/``_SENDER``/``_SENDER_NAME``/``_CA_FILE``.
The password is never read from the config file: only from ``BRIEFGEN_SMTP_PASSWORD`` or from the file
named by ``BRIEFGEN_SMTP_PASSWORD_FILE`` (any Unicode; see ``briefgen.deliver.mail`` for how a non-ASCII one
logs in). It travels wrapped in ``Secret``, whose repr and str are redacted, so no log line, error
message or dataclass repr can show it. An environment value that is not valid UTF-8 is refused by name.

The ``From`` header: ``sender`` is the address (also the envelope sender); a display name comes from
``sender_name`` or from ``sender = "Name <address>"``, and is refused if a mail header could not
carry it as plain text (``briefgen.base.headertext``).

``list_unsubscribe`` (a URI or a list of them) gives every message ``List-Unsubscribe`` (RFC 2369),
per reader: ``{brief}``, ``{email}`` (percent-encoded) and ``{token}`` are filled in for each
message. At most one ``https://`` URI, which must hold ``{token}``: mail providers POST to it with
nothing else to say who is leaving (RFC 8058 one-click, announced by ``List-Unsubscribe-Post``), so
it needs a part nobody can forge for someone else's address. ``{token}`` is
``unsubscribe_token(key, brief, email)``: HMAC-SHA256 keyed with ``BRIEFGEN_UNSUBSCRIBE_KEY`` (or the
file named by ``BRIEFGEN_UNSUBSCRIBE_KEY_FILE``), which the unsubscribe endpoint recomputes. At most
one ``mailto:`` URI (its address is checked; placeholders are allowed in its query).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence, get_args
from urllib.parse import quote, urlsplit

from briefgen.base import headertext
from briefgen.base.errors import ConfigError, Problem, quoted
from briefgen.load.readers import is_address

Security = Literal["starttls", "ssl", "none"]
SECURITIES: tuple[Security, ...] = get_args(Security)

ENV_PREFIX = "BRIEFGEN_SMTP_"
PASSWORD_VAR = "BRIEFGEN_SMTP_PASSWORD"
PASSWORD_FILE_VAR = "BRIEFGEN_SMTP_PASSWORD_FILE"
UNSUBSCRIBE_KEY_VAR = "BRIEFGEN_UNSUBSCRIBE_KEY"
UNSUBSCRIBE_KEY_FILE_VAR = "BRIEFGEN_UNSUBSCRIBE_KEY_FILE"
ENV_KEYS = ("host", "port", "security", "user", "sender", "sender_name", "ca_file")
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


def unsubscribe_token(key: str, brief: str, email: str) -> str:
    """The ``{token}`` of ``email``'s unsubscribe link for ``brief``: the first 32 hex digits of
    HMAC-SHA256(key, ``"<brief>\\n<email in lower case>"``), all UTF-8. An endpoint verifies it the same way."""
    message = f"{brief}\n{email.lower()}".encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Sender:
    """Who the messages come from and how a reader leaves the list: the ``From`` address and display
    name, and the ``list_unsubscribe`` URI templates with the key for their ``{token}``."""

    address: str
    name: str = ""
    list_unsubscribe: tuple[str, ...] = ()
    unsubscribe_key: Secret | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        problems = _unsubscribe_problems(self.list_unsubscribe, self.unsubscribe_key, "sender")
        if problems:
            raise ConfigError(*problems)

    @property
    def one_click(self) -> bool:
        """True when an https URI is configured: messages then say ``List-Unsubscribe-Post`` (RFC 8058)."""
        return any(uri.startswith("https://") for uri in self.list_unsubscribe)

    def unsubscribe(self, brief: str, email: str) -> tuple[str, ...]:
        """The ``List-Unsubscribe`` URIs for ``email``'s copy of ``brief``: placeholders filled in."""
        key = self.unsubscribe_key.reveal() if self.unsubscribe_key else ""
        values = {"brief": brief, "email": quote(email, safe=""),
                  "token": unsubscribe_token(key, brief, email) if key else ""}
        return tuple(_PLACEHOLDER.sub(lambda m: values[m.group(1)], uri) for uri in self.list_unsubscribe)


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server. Invalid combinations (e.g. a login over plain text) cannot be built.

    ``timeout`` bounds connecting and every reply but one: the server's final reply to a message
    (after its DATA) may take ``data_timeout``, 10 minutes by default as RFC 5321 suggests, since giving
    up sooner on a slow server makes a message whose fate is unknown.
    ``max_attempts`` bounds the tries per message on temporary failures; the waits between tries
    are ``backoff_seconds`` doubled each time, capped at ``backoff_max_seconds``. ``ca_file`` adds a
    PEM file of CA certificates to trust (a private CA) on top of the system's; verification stays on.
    """

    host: str
    sender: str
    sender_name: str = ""
    list_unsubscribe: tuple[str, ...] = ()
    unsubscribe_key: Secret | None = field(default=None, compare=False)
    security: Security = "starttls"
    port: int = 587
    user: str = ""
    password: Secret | None = field(default=None, compare=False)
    timeout: float = 30.0
    data_timeout: float = 600.0
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

    @property
    def identity(self) -> Sender:
        """The sender the messages name: address, display name, unsubscribe links."""
        return Sender(self.sender, self.sender_name, self.list_unsubscribe, self.unsubscribe_key)


def _problems(s: SmtpSettings) -> list[Problem]:
    def bad(name: str, problem: str, expected: str) -> Problem:
        return Problem(s.origin, problem, field=name, expected=expected)

    checks = [
        (not s.host or any(c.isspace() for c in s.host), "host", f"host {quoted(s.host)} is not usable",
         "a host name or IP address"),
        (s.security not in SECURITIES, "security", f"unknown security {quoted(s.security)}",
         " | ".join(SECURITIES)),
        (not 0 < s.port < 65536, "port", f"port {s.port} is out of range", "1–65535"),
        (not is_address(s.sender), "sender",
         f"sender {quoted(s.sender)} is not an address", "an address like briefs@example.com, or "
                                                   "\"Name <briefs@example.com>\" in the config file"),
        (bool(headertext.refusal(s.sender_name)), "sender_name",
         f"{headertext.refusal(s.sender_name)} in the display name", headertext.EXPECTED),
        (s.timeout <= 0, "timeout", "timeout must be positive", "seconds, e.g. 30"),
        (s.data_timeout < s.timeout, "data_timeout", "the wait for the reply to a message must not be "
         "shorter than timeout", "seconds, e.g. 600 (RFC 5321 suggests 10 minutes)"),
        (s.max_message_bytes <= 0, "max_message_bytes", "cap must be positive", "bytes, e.g. 10000000"),
        (s.max_attempts < 1, "max_attempts", "at least one attempt is needed", "an integer ≥ 1"),
        (s.backoff_seconds < 0 or s.backoff_max_seconds < s.backoff_seconds, "backoff_seconds",
         "backoff must be ≥ 0 and not above backoff_max_seconds", "e.g. 2 and 60"),
        (bool(s.user) and s.security == "none", "security",
         "refusing to log in over an unencrypted connection", "starttls or ssl when user is set"),
    ]
    problems = [bad(name, problem, expected) for failed, name, problem, expected in checks if failed]
    return problems + _unsubscribe_problems(s.list_unsubscribe, s.unsubscribe_key, s.origin)


_PLACEHOLDER = re.compile(r"\{(brief|email|token)\}")
# RFC 3986 characters (a URI in List-Unsubscribe is written as is: percent-encode anything else).
_URI = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_URI_FORM = ("an https:// URI holding {token} (one-click unsubscribe) and/or a mailto: URI, "
             "percent-encoded, with {brief}, {email}, {token} filled in per reader")


def _unsubscribe_problems(uris: Sequence[str], key: Secret | None, origin: str) -> list[Problem]:
    """What is wrong with the ``list_unsubscribe`` URI templates (see the module docstring)."""
    def bad(problem: str, name: str = "list_unsubscribe", expected: str = _URI_FORM) -> Problem:
        return Problem(origin, problem, field=name, expected=expected)

    problems = [bad(f"{quoted(uri)}: {reason}") for uri in uris for reason in [_uri_problem(uri)] if reason]
    for scheme in ("https://", "mailto:"):
        if sum(uri.startswith(scheme) for uri in uris) > 1:
            problems.append(bad(f"more than one {scheme} URI"))
    if key is None and any("{token}" in uri for uri in uris):
        problems.append(bad("{token} is used but no key was given", UNSUBSCRIBE_KEY_VAR,
                            f"the key in the environment variable {UNSUBSCRIBE_KEY_VAR} or in a file "
                            f"named by {UNSUBSCRIBE_KEY_FILE_VAR}"))
    return problems


def _uri_problem(uri: str) -> str:
    """Why one ``list_unsubscribe`` URI template is unusable, or ``""``."""
    sample = _PLACEHOLDER.sub("x", uri)
    if not _URI.fullmatch(sample):
        return ("not a URI: spaces, quotes, angle brackets, unknown {placeholders} or non-ASCII "
                "characters must not appear")
    if uri.startswith("https://"):
        if not urlsplit(sample).hostname:
            return "no host name"
        return "" if "{token}" in uri else "an https URI must hold {token} (nothing else says who unsubscribes)"
    if uri.startswith("mailto:"):
        address = sample.removeprefix("mailto:").partition("?")[0]
        return "" if is_address(address) else f"{quoted(address)} is not an address"
    return "neither https:// nor mailto:"


def load_settings(config: Path | None, environ: Mapping[str, str], *,
                  need_password: bool = True) -> SmtpSettings:
    """Read the ``[smtp]`` table of ``config`` (if given), apply environment overrides, validate.

    ``need_password=False`` (for ``--dry-run``, which never logs in) lets a missing password pass.
    """
    origin = str(config) if config else "environment"
    values: dict[str, Any] = dict(_read_config(config)) if config else {}
    values.update(_environment(environ))
    _check_values(values, origin)
    values.update(_display_name(values, origin))
    values["list_unsubscribe"] = _as_tuple(values.get("list_unsubscribe", ()))
    password = _secret(environ, PASSWORD_VAR, PASSWORD_FILE_VAR, "password")
    if need_password and values.get("user") and password is None:
        raise ConfigError(Problem(origin, f"user {quoted(values['user'])} is set but no password was given",
                                  field=PASSWORD_VAR,
                                  expected=f"the password in the environment variable {PASSWORD_VAR} "
                                           f"or in a file named by {PASSWORD_FILE_VAR}"))
    values.setdefault("port", DEFAULT_PORTS.get(values.get("security", "starttls"), 587))
    floats = {key: float(values[key]) for key in _FLOAT_KEYS if key in values}
    key = _secret(environ, UNSUBSCRIBE_KEY_VAR, UNSUBSCRIBE_KEY_FILE_VAR, "unsubscribe key")
    return SmtpSettings(**{**values, **floats}, password=password, unsubscribe_key=key, origin=origin)


_REQUIRED = ("host", "sender")
_FLOAT_KEYS = ("timeout", "data_timeout", "backoff_seconds", "backoff_max_seconds")
_FIELD_TYPES: Mapping[str, tuple[type, ...]] = {
    "host": (str,), "sender": (str,), "sender_name": (str,), "list_unsubscribe": (str, list),
    "security": (str,), "port": (int,), "user": (str,),
    "timeout": (int, float), "data_timeout": (int, float), "max_message_bytes": (int,), "max_attempts": (int,),
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
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(Problem(origin, "arrays or tables nested too deep for the TOML reader",
                                  expected="an [smtp] table of plain values")) from None
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
        text = _env_text(environ, ENV_PREFIX + key.upper())
        if text is not None:
            values[key] = _env_int(key, text) if key == "port" else text.strip()
    return values


def _env_text(environ: Mapping[str, str], name: str) -> str | None:
    """The variable's value; one the process got as bytes that are not UTF-8 is refused by name."""
    text = environ.get(name)
    if text is not None and any("\ud800" <= c <= "\udfff" for c in text):  # undecodable bytes, escaped
        raise ConfigError(Problem("environment", "the value is not valid UTF-8 (its bytes are not shown)",
                                  field=name, expected="UTF-8 text"))
    return text


_NAMED_ADDRESS = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<address>[^<>]*)>")


def _display_name(values: Mapping[str, object], origin: str) -> dict[str, str]:
    """``sender = "Name <address>"`` → ``{"sender": address, "sender_name": Name}`` (``{}`` for a bare address)."""
    match = _NAMED_ADDRESS.fullmatch(str(values["sender"]).strip())
    if match is None:
        return {}
    if values.get("sender_name"):
        raise ConfigError(Problem(origin, "a display name in sender and sender_name too", field="smtp.sender",
                                  expected="the name in one place: sender_name, or sender = \"Name <address>\""))
    name = match["name"].strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1]
    return {"sender": match["address"].strip(), "sender_name": name}


def _as_tuple(value: object) -> tuple[str, ...]:
    """``list_unsubscribe`` as written (one URI, or a list already checked to hold strings) → a tuple."""
    return (value,) if isinstance(value, str) else tuple(str(item) for item in _listed(value))


def _env_int(key: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(Problem("environment", f"{quoted(text)} is not a whole number",
                                  field=ENV_PREFIX + key.upper(), expected="e.g. 587")) from None


def _secret(environ: Mapping[str, str], var: str, file_var: str, what: str) -> Secret | None:
    """A secret from the variable ``var``, else from the file named by ``file_var``; ``None`` if neither."""
    value = _env_text(environ, var)
    if value:
        return Secret(value)
    name = _env_text(environ, file_var)
    if not name:
        return None
    try:
        text = Path(name).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(Problem(name, f"cannot read the {what} file", field=file_var,
                                  expected=f"a readable UTF-8 file holding only the {what}")) from exc
    if not text:
        raise ConfigError(Problem(name, f"the {what} file is empty", field=file_var,
                                  expected=f"a file holding the {what}"))
    return Secret(text)


def _check_values(values: Mapping[str, object], origin: str) -> None:
    problems = [Problem(origin, "missing setting", field=f"smtp.{key}",
                        expected=f"{key} in the config file or {ENV_PREFIX}{key.upper()}")
                for key in _REQUIRED if key not in values]
    problems += [
        Problem(origin, f"{type(value).__name__} value {quoted(value)}", field=f"smtp.{key}",
                expected=" or ".join(t.__name__ for t in _FIELD_TYPES[key]))
        for key, value in values.items()
        if not isinstance(value, _FIELD_TYPES[key]) or isinstance(value, bool)
    ]
    problems += [Problem(origin, f"{type(item).__name__} value {quoted(item)} in the list", field="smtp.list_unsubscribe",
                         expected="URIs as strings") for item in _listed(values.get("list_unsubscribe"))
                 if not isinstance(item, str)]
    if problems:
        raise ConfigError(*problems)


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


__all__ = ["SECURITIES", "PASSWORD_FILE_VAR", "PASSWORD_VAR", "UNSUBSCRIBE_KEY_FILE_VAR", "UNSUBSCRIBE_KEY_VAR",
           "Secret", "Security", "Sender", "SmtpSettings", "load_settings", "unsubscribe_token"]
