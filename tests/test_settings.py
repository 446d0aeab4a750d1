"""SMTP settings: config file + environment, the password only from the environment, never shown."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from conftest import DATA

from briefgen.base.errors import ConfigError
from briefgen.load.settings import (
    PASSWORD_FILE_VAR,
    PASSWORD_VAR,
    UNSUBSCRIBE_KEY_FILE_VAR,
    UNSUBSCRIBE_KEY_VAR,
    Secret,
    SmtpSettings,
    load_settings,
    unsubscribe_token,
)

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


# --- the From display name, List-Unsubscribe, non-ASCII secrets (issue 9, point 6) -------------------

BASE = 'host = "h"\nsender = "b@example.com"\n'
URL = "https://lists.example.org/unsubscribe?list={brief}&email={email}&t={token}"
KEY = "ключ-鍵-key"


@pytest.mark.parametrize(("sender", "env"), [
    ('sender = "週報チーム <b@example.com>"\n', {}),
    ('sender = "\\"週報チーム\\" <b@example.com>"\n', {}),
    ('sender = "b@example.com"\nsender_name = "週報チーム"\n', {}),
    ('sender = "b@example.com"\n', {"BRIEFGEN_SMTP_SENDER_NAME": "週報チーム"}),
    ('sender = "nobody@example.com"\n', {"BRIEFGEN_SMTP_SENDER": "週報チーム <b@example.com>"}),
])
def test_the_display_name_comes_from_sender_name_or_a_named_sender(tmp_path: Path, sender: str,
                                                                  env: dict[str, str]) -> None:
    settings = load_settings(_config(tmp_path, 'host = "h"\n' + sender), env)
    assert (settings.sender, settings.sender_name) == ("b@example.com", "週報チーム")
    assert (settings.identity.address, settings.identity.name) == ("b@example.com", "週報チーム")


def test_a_display_name_in_two_places_or_one_a_header_cannot_carry_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, 'host = "h"\nsender = "A <b@example.com>"\nsender_name = "B"\n')
    with pytest.raises(ConfigError, match=r"smtp.sender: a display name in sender and sender_name too"):
        load_settings(path, {})
    path = _config(tmp_path, 'host = "h"\nsender = "=?utf-8?q?Bcc=3A?= <b@example.com>"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {})
    assert str(caught.value) == (f"{path}: sender_name: an RFC 2047 encoded word '=?utf-8?q?Bcc=3A?=' in the "
                                 "display name (expected plain text on one line, without control characters, "
                                 "bidi controls or =?…?= encoded words)")
    with pytest.raises(ConfigError, match=r"sender_name: bidi controls U\+202E in the display name"):
        SmtpSettings(host="h", sender="b@example.com", sender_name="\u202eevil")


def test_list_unsubscribe_is_filled_in_per_reader_with_a_keyed_token(tmp_path: Path) -> None:
    path = _config(tmp_path, BASE + f'list_unsubscribe = ["{URL}", "mailto:leave@example.org?subject={{token}}"]\n')
    sender = load_settings(path, {UNSUBSCRIBE_KEY_VAR: KEY}).identity
    token = hmac.new(KEY.encode(), b"xai-colossus\nhanako+news@example.jp", hashlib.sha256).hexdigest()[:32]
    assert unsubscribe_token(KEY, "xai-colossus", "Hanako+News@Example.jp") == token
    assert sender.one_click and sender.unsubscribe("xai-colossus", "Hanako+News@Example.jp") == (
        f"https://lists.example.org/unsubscribe?list=xai-colossus&email=Hanako%2BNews%40Example.jp&t={token}",
        f"mailto:leave@example.org?subject={token}")
    assert sender.unsubscribe("xai-colossus", "bob@example.com")[0].endswith(
        unsubscribe_token(KEY, "xai-colossus", "bob@example.com"))
    assert unsubscribe_token(KEY, "other-brief", "bob@example.com") != unsubscribe_token(
        KEY, "xai-colossus", "bob@example.com")
    assert KEY not in repr(sender) and KEY not in repr(load_settings(path, {UNSUBSCRIBE_KEY_VAR: KEY}))


def test_a_mailto_alone_needs_no_key_and_is_not_one_click(tmp_path: Path) -> None:
    sender = load_settings(_config(tmp_path, BASE + 'list_unsubscribe = "mailto:leave@example.org"\n'), {}).identity
    assert not sender.one_click and sender.unsubscribe("b", "x@example.com") == ("mailto:leave@example.org",)
    assert load_settings(_config(tmp_path, BASE), {}).identity.unsubscribe("b", "x@example.com") == ()


def test_the_unsubscribe_key_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    path = _config(tmp_path, BASE + f'list_unsubscribe = "{URL}"\n')
    sender = load_settings(path, {UNSUBSCRIBE_KEY_FILE_VAR: str(key_file)}).identity
    assert sender.unsubscribe("b", "x@example.com")[0].endswith(unsubscribe_token(KEY, "b", "x@example.com"))
    key_file.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{key_file}: {UNSUBSCRIBE_KEY_FILE_VAR}: the unsubscribe key file is empty"):
        load_settings(path, {UNSUBSCRIBE_KEY_FILE_VAR: str(key_file)})


URI_FORM = ("(expected an https:// URI holding {token} (one-click unsubscribe) and/or a mailto: URI, "
            "percent-encoded, with {brief}, {email}, {token} filled in per reader)")


@pytest.mark.parametrize(("value", "problem"), [
    ('"http://example.org/u?t={token}"', "'http://example.org/u?t={token}': neither https:// nor mailto:"),
    ('"https://example.org/unsubscribe"', "'https://example.org/unsubscribe': an https URI must hold {token} "
                                          "(nothing else says who unsubscribes)"),
    ('"https:///u?t={token}"', "'https:///u?t={token}': no host name"),
    ('"mailto:leave"', "'mailto:leave': 'leave' is not an address"),
    ('"https://example.org/u?t={tokn}"', "'https://example.org/u?t={tokn}': not a URI: spaces, quotes, angle "
                                         "brackets, unknown {placeholders} or non-ASCII characters must not appear"),
    ('"https://example.org/ü?t={token}"', "'https://example.org/ü?t={token}': not a URI"),
    ('"mailto:a@example.org>, <https://evil.example"', "'mailto:a@example.org>, <https://evil.example': not a URI"),
    ('"mailto:a@example.org\\r\\nBcc: x@example.net"', "not a URI"),
    ('["mailto:a@example.org", "mailto:b@example.org"]', "list_unsubscribe: more than one mailto: URI"),
])
def test_bad_unsubscribe_uris_are_refused_with_the_valid_form(tmp_path: Path, value: str, problem: str) -> None:
    path = _config(tmp_path, BASE + f"list_unsubscribe = {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, {UNSUBSCRIBE_KEY_VAR: KEY})
    assert str(caught.value).startswith(f"{path}: list_unsubscribe: ") and problem in str(caught.value)
    assert str(caught.value).endswith(URI_FORM)


@pytest.mark.parametrize(("value", "message"), [
    ("3", r"smtp.list_unsubscribe: int value 3 \(expected str or list\)"),
    ('["mailto:a@example.org", 3]', r"smtp.list_unsubscribe: int value 3 in the list \(expected URIs as strings\)"),
    (f'"{URL}"', f"smtp.toml: {UNSUBSCRIBE_KEY_VAR}: {{token}} is used but no key was given \\(expected the key in the environment "
                 f"variable {UNSUBSCRIBE_KEY_VAR} or in a file named by {UNSUBSCRIBE_KEY_FILE_VAR}\\)"),
])
def test_a_malformed_unsubscribe_setting_or_a_missing_key(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(_config(tmp_path, BASE + f"list_unsubscribe = {value}\n"), {})


def test_a_non_ascii_password_is_kept_and_an_undecodable_variable_is_refused_by_name(tmp_path: Path) -> None:
    path = _config(tmp_path, BASE + 'user = "me"\n')
    password = load_settings(path, {PASSWORD_VAR: "pässwörd-パスワード"}).password
    assert password is not None and password.reveal() == "pässwörd-パスワード"
    for name in (PASSWORD_VAR, "BRIEFGEN_SMTP_USER", UNSUBSCRIBE_KEY_VAR):
        with pytest.raises(ConfigError) as caught:  # what os.environ holds for the bytes b"pa\xffss"
            load_settings(path, {PASSWORD_VAR: "x", name: "pa\udcffss"})
        assert str(caught.value) == (f"environment: {name}: the value is not valid UTF-8 (its bytes are not "
                                     "shown) (expected UTF-8 text)")
