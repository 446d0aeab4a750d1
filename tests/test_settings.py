"""SMTP settings: config file + environment, the password only from the environment, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA

from briefgen.errors import ConfigError
from briefgen.settings import PASSWORD_FILE_VAR, PASSWORD_VAR, Secret, SmtpSettings, load_settings

SECRET = "hunter2-very-secret"


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "smtp.toml"
    path.write_text("[smtp]\n" + body, encoding="utf-8")
    return path


def test_the_example_config_loads() -> None:
    settings = load_settings(DATA / "smtp.toml", {})
    assert (settings.host, settings.port, settings.security) == ("127.0.0.1", 8025, "starttls")
    assert settings.password is None and settings.user == ""


def test_environment_overrides_the_file_and_the_password_comes_from_the_environment(tmp_path: Path) -> None:
    path = _config(tmp_path, 'host = "mail.example.com"\nsender = "b@example.com"\ntimeout = 10\n')
    settings = load_settings(path, {"BRIEFGEN_SMTP_HOST": "smtp.example.net", "BRIEFGEN_SMTP_PORT": "465",
                                    "BRIEFGEN_SMTP_SECURITY": "ssl", "BRIEFGEN_SMTP_USER": "me",
                                    PASSWORD_VAR: SECRET})
    assert (settings.host, settings.port, settings.security, settings.user) == (
        "smtp.example.net", 465, "ssl", "me")
    assert settings.timeout == 10.0 and settings.password == Secret(SECRET)
    assert settings.password is not None and settings.password.reveal() == SECRET
    assert SECRET not in repr(settings) and SECRET not in str(settings.password)


def test_password_from_a_file_named_by_the_environment(tmp_path: Path) -> None:
    secret_file = tmp_path / "pw"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    settings = load_settings(None, {"BRIEFGEN_SMTP_HOST": "h", "BRIEFGEN_SMTP_SENDER": "b@example.com",
                                    "BRIEFGEN_SMTP_USER": "me", PASSWORD_FILE_VAR: str(secret_file)})
    assert settings.password == Secret(SECRET)
    assert settings.port == 587  # the starttls default


def test_missing_password_names_the_variable(tmp_path: Path) -> None:
    path = _config(tmp_path, 'host = "h"\nsender = "b@example.com"\nuser = "me"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert str(caught.value) == (
        f"{path}: {PASSWORD_VAR}: user 'me' is set but no password was given (expected the password "
        f"in the environment variable {PASSWORD_VAR} or in a file named by {PASSWORD_FILE_VAR})")
    assert load_settings(path, {}, need_password=False).password is None  # --dry-run never logs in


def test_a_password_in_the_config_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = _config(tmp_path, f'host = "h"\nsender = "b@example.com"\npassword = "{SECRET}"\n')
    with pytest.raises(ConfigError, match="smtp.password: a password does not belong") as caught:
        load_settings(path, {})
    assert SECRET not in str(caught.value)


def test_login_over_plain_text_is_refused() -> None:
    with pytest.raises(ConfigError, match="security: refusing to log in over an unencrypted connection"):
        SmtpSettings(host="h", sender="b@example.com", security="none", user="me", password=Secret("x"))


def test_every_bad_setting_is_reported(tmp_path: Path) -> None:
    path = _config(tmp_path, 'host = "h"\nsender = "nobody"\nsecurity = "tls"\nport = 0\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert [str(p).split(":")[1].strip() for p in caught.value.problems] == ["security", "port", "sender"]


@pytest.mark.parametrize("body,env,message", [
    ('host = "h"\n', {}, r"smtp.sender: missing setting \(expected sender in the config file or "
                         r"BRIEFGEN_SMTP_SENDER\)"),
    ('host = "h"\nsender = "b@example.com"\nport = "25"\n', {}, r"smtp.port: str value '25'"),
    ('host = "h"\nsender = "b@example.com"\nretries = 3\n', {}, r"smtp.retries: unknown setting"),
    ('host = "h"\nsender = "b@example.com"\n', {"BRIEFGEN_SMTP_PORT": "x"},
     r"BRIEFGEN_SMTP_PORT: 'x' is not a whole number"),
    ('host = "h\n', {}, r"not valid TOML"),
])
def test_malformed_settings(tmp_path: Path, body: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_config(tmp_path, body), env)


def test_backoff_doubles_up_to_the_cap() -> None:
    settings = SmtpSettings(host="h", sender="b@example.com", backoff_seconds=2, backoff_max_seconds=10)
    assert [settings.backoff(n) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]
