"""Configuration: the example loads, mistakes are refused naming the key."""

from pathlib import Path

import pytest

from tdl_inbox.config import load_config
from tdl_inbox.config.loading import find_config, read_password
from tdl_inbox.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = """
[mailbox]
username = "course@example.org"
password_env = "TDL_TEST_PASSWORD"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tdl-inbox.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_with_the_2019_deadlines():
    settings = load_config(ROOT / "src" / "tdl_inbox" / "config.example.toml")
    deadlines = {a.key: a.deadline.isoformat() for a in settings.assignments()}
    assert deadlines["theory-1"] == "2019-03-16T23:59:00+03:00"
    assert deadlines["lab-1"] == "2019-03-30T23:59:00+03:00"
    assert settings.mailbox.security == "starttls"


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    settings = load_config(write(tmp_path, MINIMAL))
    assert settings.database.url == f"sqlite:///{tmp_path}/tdl-inbox.db"
    assert settings.storage.dir == tmp_path / "store"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[course]\ntimezone = 'Mars/Olympus'\n", "course.timezone: unknown time zone"),
        ("[course]\ndeadline_time = '25:99'\n", "course.deadline_time"),
        ("[course]\ndeadline_after_dys = 3\n", "course.deadline_after_dys: unknown key"),
        ("[storage]\ndir = 'x'\npath = 'y'\n", "storage.path: unknown key"),
        (
            "[[assignment]]\nkind = 'essay'\nnumber = 1\npublished = 2019-02-23\nmax_points = 10\n",
            "assignment.0.kind",
        ),
        (
            "[[assignment]]\nkind = 'lab'\nnumber = 1\npublished = 2019-02-23\nmax_points = 10\n"
            "[[assignment]]\nkind = 'lab'\nnumber = 1\npublished = 2019-03-23\nmax_points = 10\n",
            "assignment lab-1 is defined twice",
        ),
    ],
)
def test_bad_values_are_refused_naming_the_key(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_config(write(tmp_path, MINIMAL + extra))


def test_plain_text_to_a_remote_host_is_refused(tmp_path):
    text = MINIMAL.replace("[mailbox]", "[mailbox]\nhost = 'mail.example.org'\nsecurity = 'plain'")
    with pytest.raises(ConfigError, match="password in clear"):
        load_config(write(tmp_path, text))
    allowed = text.replace("security = 'plain'", "security = 'plain'\nallow_plain = true")
    assert load_config(write(tmp_path, allowed)).mailbox.allow_plain


def test_exactly_one_password_source(tmp_path):
    text = MINIMAL + "password_file = 'secret.txt'\n"
    with pytest.raises(ConfigError, match="exactly one of password_env or password_file"):
        load_config(write(tmp_path, text))


def test_missing_file_and_invalid_toml_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[mailbox\n"))


def test_password_from_env_or_file(tmp_path, monkeypatch):
    settings = load_config(write(tmp_path, MINIMAL))
    monkeypatch.delenv("TDL_TEST_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="TDL_TEST_PASSWORD is not set"):
        read_password(settings.mailbox)
    monkeypatch.setenv("TDL_TEST_PASSWORD", "s3cret")
    assert read_password(settings.mailbox) == "s3cret"
    (tmp_path / "pw").write_text("from-file\n")
    text = MINIMAL.replace('password_env = "TDL_TEST_PASSWORD"', 'password_file = "pw"')
    assert read_password(load_config(write(tmp_path, text)).mailbox) == "from-file"


def test_config_location_order(tmp_path, monkeypatch):
    monkeypatch.delenv("TDL_INBOX_CONFIG", raising=False)
    assert find_config(None) == Path("tdl-inbox.toml")
    monkeypatch.setenv("TDL_INBOX_CONFIG", str(tmp_path / "env.toml"))
    assert find_config(None) == tmp_path / "env.toml"
    assert find_config(tmp_path / "cli.toml") == tmp_path / "cli.toml"


def _with_deadline(deadline: str, published: str = "2019-03-07") -> str:
    return MINIMAL + (
        f"[[assignment]]\nkind = 'lab'\nnumber = 1\npublished = {published}\n"
        f"max_points = 10\ndeadline = {deadline}\n"
    )


def test_a_deadline_date_alone_means_that_day_at_the_course_deadline_time(tmp_path):
    settings = load_config(write(tmp_path, _with_deadline("2019-03-30")))
    [lab] = settings.assignments()
    assert lab.deadline.isoformat() == "2019-03-30T23:59:00+03:00"
    assert lab.overridden


def test_a_deadline_as_a_quoted_string_is_read_like_the_toml_value(tmp_path):
    settings = load_config(write(tmp_path, _with_deadline("'2019-03-30T22:00'")))
    assert settings.assignments()[0].deadline.isoformat() == "2019-03-30T22:00:00+03:00"
    settings = load_config(write(tmp_path, _with_deadline("'2019-03-30'")))
    assert settings.assignments()[0].deadline.isoformat() == "2019-03-30T23:59:00+03:00"


@pytest.mark.parametrize(
    "deadline", ["2019-03-30T23:59:00Z", "2019-03-30T23:59:00+03:00", "'2019-03-30T23:59Z'"]
)
def test_a_deadline_with_an_offset_is_refused_not_shifted(tmp_path, deadline):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, _with_deadline(deadline)))
    message = str(caught.value)
    assert "assignment.0.deadline:" in message
    assert "deadlines are local times in course.timezone (Europe/Moscow)" in message
    assert "remove the offset" in message


def test_a_deadline_before_publication_is_refused_naming_the_assignment(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, _with_deadline("2019-03-06T23:59:00")))
    message = str(caught.value)
    assert "assignment.0.deadline:" in message
    assert "lab-1" in message
    assert "before its publication date 2019-03-07" in message
    # The publication day itself is allowed (an in-class quiz, say).
    load_config(write(tmp_path, _with_deadline("2019-03-07T18:00:00")))
