"""junit.xml: one testcase per invariant and one for the expected outcome.

A testcase fails when reality differs from the architecture's expectation, so
an as-was run that breaks exactly what it should is green in CI; the verdict
summary is in the failure message or, for passing cases, in system-out.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from harness.report.record import RunRecord

JUNIT = "junit.xml"
OUTCOME_CASE = "expected outcome"


def junit_tree(record: RunRecord) -> ET.ElementTree:
    scenario, architecture = record.run.scenario.name, record.meta.architecture
    expected = set(record.outcome.expected_broken)
    suite = ET.Element("testsuite", name=f"{scenario}[{architecture}]", timestamp=record.meta.started_at)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("run_id", record.meta.run_id), ("database_tier", record.meta.database_tier),
                        ("time_scale", str(record.meta.time_scale)), ("seed", str(record.meta.seed))):
        ET.SubElement(properties, "property", name=name, value=value)
    failures = errors = 0
    classname = f"{scenario}.{architecture}"
    for verdict in record.verdicts:
        case = ET.SubElement(suite, "testcase", classname=classname, name=verdict.id, time="0")
        if verdict.inconclusive:
            errors += 1
            ET.SubElement(case, "error", message=verdict.summary, type="not judged")
        elif verdict.broken and verdict.id not in expected:
            failures += 1
            ET.SubElement(case, "failure", message=verdict.summary, type="broken")
        elif verdict.held and verdict.id in expected:
            failures += 1
            ET.SubElement(case, "failure", message=f"expected to break, but held: {verdict.summary}",
                          type="held")
        else:
            state = "broke as expected" if verdict.broken else "held"
            ET.SubElement(case, "system-out").text = f"{state}: {verdict.summary}"
    case = ET.SubElement(suite, "testcase", classname=classname, name=OUTCOME_CASE,
                         time=f"{record.end_s:.1f}")
    if record.outcome.passed:
        ET.SubElement(case, "system-out").text = record.outcome.summary
    else:
        failures += 1
        failure = ET.SubElement(case, "failure", message=record.outcome.summary, type="outcome")
        failure.text = "\n".join(record.outcome.mismatches)
    suite.set("tests", str(len(record.verdicts) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", f"{record.end_s:.1f}")
    ET.indent(suite)
    return ET.ElementTree(suite)


def write_junit(run_dir: Path, record: RunRecord) -> Path:
    path = run_dir / JUNIT
    junit_tree(record).write(path, encoding="utf-8", xml_declaration=True)
    return path
