"""CutoverApp off the demo path: files written to a folder, earlier snapshots typed in the
second box, and a form that no longer matches the result clearing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from o365diag.cutover.demo import write_demo

pytestmark = pytest.mark.notebook


async def test_the_snapshot_box_feeds_the_burndown_and_edits_clear_the_result(
    tmp_path: Path,
) -> None:
    from o365diag.widgets import CutoverApp

    write_demo(tmp_path / "demo")
    app = CutoverApp(demo=False)
    app.paths.value = str(tmp_path / "demo")
    app.as_of.value = "2026-11-30"
    await app.run()
    assert app.assessment is not None
    assert app.assessment.burndown["note"].startswith("2 snapshots, all in the week 2026-W49")
    assert "no burndown" in app.result_html.value

    app.snapshots.value = str(tmp_path / "demo" / "earlier")
    # The box changed: the result on screen is no longer this input's (it stayed before).
    assert app.report is None and app.result_html.value == "" and app.assessment is None
    await app.run()
    assert app.assessment is not None and app.assessment.burndown["note"] is None
    weeks = app.assessment.burndown["weeks"]
    assert [w["iso_week"] for w in weeks] == [f"2026-W{n}" for n in range(45, 50)]
    assert "2026-W45 (2026-11-02 to 2026-11-08): 5" in app.result_html.value
    assert any(o.outputs for o in app.charts)

    for field, value in ((app.as_of, "2026-11-29"), (app.paths, str(tmp_path / "demo") + "\n")):
        await app.run()
        assert app.report is not None
        field.value = value
        assert app.report is None and app.result_html.value == ""
        assert not any(o.outputs for o in app.charts)

    app.snapshots.value = str(tmp_path / "nowhere-2026-11-02.csv")
    await app.run()
    assert "nowhere-2026-11-02.csv" in app.error.value and app.result_html.value == ""
