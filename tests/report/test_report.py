import json
import re
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from harness.errors import HarnessError
from harness.invariants import Verdict
from harness.invariants.expectation import judge
from harness.report import RunRecord, load_run, rebuild_index, write_run

from .crafted_run import crafted_record


@pytest.fixture(scope="module")
def record() -> RunRecord:
    return crafted_record()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, record: RunRecord) -> Path:
    folder = tmp_path_factory.mktemp("reports") / record.meta.run_id
    write_run(folder, record)
    return folder


def as_fixed(record: RunRecord) -> RunRecord:
    """The same history judged against the fixed architecture's expectation: everything should hold."""
    return replace(record, meta=replace(record.meta, architecture="as-fixed", run_id="fixed"),
                   outcome=judge(record.verdicts, []))


def test_a_run_folder_gets_journal_junit_and_html(run_dir: Path) -> None:
    assert sorted(p.name for p in run_dir.iterdir()) == ["journal.json", "junit.xml", "report.html"]


def test_the_first_thing_the_report_says_is_the_outcome_then_the_verdicts(run_dir: Path, record: RunRecord) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    banner = page.index("PASS: database-router-failure")
    assert banner < page.index("<h2>Verdicts") < page.index("<svg")
    for verdict in record.verdicts:
        assert f"<b>{verdict.id}</b>" in page
    assert "broke exactly as expected" in page


def test_broken_windows_are_shown_on_both_clocks(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    # api-recovers-without-restart broke from the heal (72 s real, t+24m) until the first restart (81.5 s).
    assert "t+24m <span class='meta'>(72.0 s)</span> for 3m10s <span class='meta'>(9.5 s real)</span>" in page


def test_the_report_is_self_contained_with_inline_svg_charts(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 5  # overview, success, latency, mail, primary (no blocklist data here)
    assert "<style>" in page
    assert not re.search(r"<(script|link|img)\b", page)
    assert not re.search(r"(src|href)=['\"]https?://", page)


def test_the_report_says_when_the_database_was_emulated(run_dir: Path) -> None:
    assert "a replica-set emulator, not MongoDB" in (run_dir / "report.html").read_text(encoding="utf-8")


def test_junit_has_one_case_per_invariant_plus_the_outcome_and_no_failures_when_expected(run_dir: Path) -> None:
    suite = ET.parse(run_dir / "junit.xml").getroot()
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases][-1] == "expected outcome"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "0", "0")
    assert len(cases) == 7
    broke = next(c for c in cases if c.get("name") == "api-recovers-without-restart")
    assert broke.findtext("system-out").startswith("broke as expected: floating answered again 9.5 s")


def test_junit_counts_each_surprise_as_a_failure_carrying_the_summary(tmp_path: Path, record: RunRecord) -> None:
    write_run(tmp_path, as_fixed(record))
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    failures = {c.get("name"): c.find("failure") for c in suite.findall("testcase") if c.find("failure") is not None}
    assert suite.get("failures") == "5" == str(len(failures))  # four invariants + the outcome
    assert failures["primary-outside-dbhost"].get("message").startswith("no primary outside dbhost within 30.0 s")
    assert "primary-outside-dbhost broke but was expected to hold" in failures["expected outcome"].text


def test_junit_reports_an_unjudged_invariant_as_an_error(tmp_path: Path, record: RunRecord) -> None:
    unjudged = Verdict.unjudged("mail-kept", "no_mail_lost", "no mail.stored event")
    verdicts = [unjudged, *record.verdicts[1:]]
    write_run(tmp_path, replace(record, verdicts=verdicts, outcome=judge(verdicts, record.run.expect)))
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert (suite.get("errors"), suite.get("failures")) == ("1", "1")  # the error, and the outcome it spoils
    assert "not judged" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_the_journal_holds_everything_and_loads_back_to_the_same_run(run_dir: Path, record: RunRecord) -> None:
    raw = json.loads((run_dir / "journal.json").read_text(encoding="utf-8"))
    assert set(raw) >= {"meta", "scenario", "timeline", "verdicts", "outcome", "events"}
    assert raw["timeline"][0] | {"apply_ms": 42.0} == raw["timeline"][0]
    loaded = load_run(run_dir)
    assert loaded.meta == record.meta
    assert loaded.verdicts == record.verdicts
    assert loaded.outcome == record.outcome
    assert loaded.timeline == record.timeline
    assert len(loaded.history) == len(record.history)
    assert loaded.run.scenario == record.run.scenario


def test_a_loaded_run_renders_again(tmp_path: Path, run_dir: Path) -> None:
    write_run(tmp_path, load_run(run_dir))
    assert "<svg" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_loading_a_folder_without_a_journal_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="journal.json does not exist") as caught:
        load_run(tmp_path)
    assert caught.value.fix == "give a run folder under reports/"


def test_a_journal_of_the_old_format_asks_for_a_new_run(tmp_path: Path, run_dir: Path) -> None:
    raw = json.loads((run_dir / "journal.json").read_text(encoding="utf-8"))
    (tmp_path / "journal.json").write_text(json.dumps({**raw, "format": 1}), encoding="utf-8")
    with pytest.raises(HarnessError, match="has journal format 1; this harness reads format 2"):
        load_run(tmp_path)


def test_a_journal_whose_scenario_no_longer_validates_is_refused_by_name(tmp_path: Path, run_dir: Path) -> None:
    raw = json.loads((run_dir / "journal.json").read_text(encoding="utf-8"))
    raw["scenario"]["probes"] = {"smtp_delivery": {"every": "1s"}}  # the format-1 probes mapping
    (tmp_path / "journal.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(HarnessError, match="is not a journal this harness can read"):
        load_run(tmp_path)


def test_the_executed_timeline_shows_schedule_and_reality(record: RunRecord) -> None:
    cut, restart = record.timeline
    assert (cut.scheduled_s, cut.started_s, cut.ended_s, cut.apply_ms) == (3.0, 3.0, 72.0, 42.0)
    assert restart.lag_s == pytest.approx(0.0)
    assert restart.error is None


def test_the_index_links_every_run_newest_first(tmp_path: Path, record: RunRecord) -> None:
    older = replace(record, meta=replace(record.meta, run_id="older", started_at="2018-01-01T00:00:00+00:00"))
    write_run(tmp_path / "older", older)
    write_run(tmp_path / "newer", as_fixed(record))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "journal.json").write_text("{", encoding="utf-8")
    page = rebuild_index(tmp_path).read_text(encoding="utf-8")
    assert page.index("newer/report.html") < page.index("older/report.html")
    assert "<b>FAIL</b>" in page and "<b>PASS</b>" in page
    assert "unreadable journal" in page
