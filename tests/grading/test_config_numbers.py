"""Numbers in the config that enter grades are finite: ``inf`` would make every grade 10."""

from __future__ import annotations

from pathlib import Path

import pytest

from tdl_inbox.config import load_config
from tdl_inbox.errors import ConfigError

BASE = """
[mailbox]
username = "course@example.org"
password_env = "TDL_TEST_PASSWORD"

[grading]
{grading}

[[assignment]]
kind = "theory"
number = 1
published = 2019-02-23
max_points = {max_points}
"""


@pytest.mark.parametrize(
    ("grading", "max_points", "key"),
    [
        ("k_hw = inf", "10", "grading.k_hw"),
        ("k_exam = inf", "10", "grading.k_exam"),
        ("exam_max_points = inf", "10", "grading.exam_max_points"),
        ("", "inf", "max_points"),
        ("", "nan", "max_points"),
    ],
)
def test_non_finite_grading_numbers_are_refused(tmp_path: Path, grading, max_points, key):
    path = tmp_path / "tdl-inbox.toml"
    path.write_text(BASE.format(grading=grading, max_points=max_points), encoding="utf-8")
    with pytest.raises(ConfigError, match=key):
        load_config(path)
