"""The web benchmark's own code on a small database, so that it cannot rot: every route of
its list is measured or skipped with a note, and an error answer is reported, never timed.
Nothing here asserts a time (that is `make bench`'s job)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tdl_inbox.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    sys.path.insert(0, str(ROOT))
    try:
        import bench.cli
        import bench.web

        yield bench
    finally:
        sys.path.remove(str(ROOT))


def test_quick_mode_measures_every_route_of_the_list_or_says_why_not(bench, tmp_path):
    notes: list[str] = []
    rows = bench.web.run(tmp_path, 400, 40, 2, notes.append)

    reference, *routes = rows
    assert reference.name == "login page (reference): GET /login"
    assert reference.value is not None
    assert len(routes) == len(bench.web.ROUTES)
    app, _ = bench.web.build_app(tmp_path / "routes", 50, 10)
    try:
        site = create_app(app)
        ids = bench.web.example_ids(app)
    finally:
        app.close()
    for (name, template), row in zip(bench.web.ROUTES, routes, strict=True):
        assert row.name.startswith(name)
        if bench.web.served(site, template.format(**ids)):
            assert row.value is not None, row.detail
            assert len(row.samples) == 2
            assert row.met is not None
        else:
            assert row.value is None
            assert "not served by this code base yet" in row.detail
            assert any(name in note and "skipped" in note for note in notes)
    measured = {row.name.split(":")[0] for row in routes if row.value is not None}
    assert {"queue page", "queue page, one assignment", "API queue", "API queue, late too"} <= (
        measured
    )


def test_a_route_answering_an_error_is_reported_and_not_timed(bench, tmp_path):
    app, _ = bench.web.build_app(tmp_path, 50, 10)
    try:
        reference, found = bench.web.measure(
            app, 2, lambda _: None, [("unknown assignment", "/api/queue?assignment=nope")]
        )
    finally:
        app.close()
    (row,) = bench.web.rows("web", reference, found)[1:]
    assert (row.value, row.detail, row.met) == (None, "HTTP 400", False)


def test_make_bench_runs_the_web_section_with_fewer_requests_in_quick_mode(bench):
    assert "web" in bench.cli.SECTIONS
    assert bench.cli.parse_args([]).web_runs == 20
    quick = bench.cli.parse_args(["--quick", "--only", "web"])
    assert (quick.only, quick.web_runs, quick.db_submissions) == (["web"], 5, 10_000)
