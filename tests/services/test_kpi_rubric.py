from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from app.services import kpi_rubric
from app.services.kpi_rubric import Deadlines, RubricError

VALID = """\
late_factor: 0.5
minimum_ideas:
  bureau: 20
  district: 15
  office: 10
points:
  ideas: 10
  selection: 10
  forms34: 10
  committee: 10
  activities: 20
  form5: 10
  results: 30
levels:
  - [60, 1]
  - [70, 2]
  - [80, 3]
  - [90, 4]
  - [100, 5]
deadlines:
  default:
    form1: "12-31"
    form2: "01-31"
    forms34: "02-28"
    committee: "03-31"
    evidence: "08-31"
    form5: "09-15"
  2564:
    form1: 2020-12-31
    form2: 2021-01-31
    forms34: 2021-02-28
    committee: 2021-03-31
    evidence: 2021-08-31
    form5: 2021-09-15
"""


def write(tmp_path, text):
    path = tmp_path / "kpi_rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text, needle):
    """1-based line of the first line containing `needle`."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def edit(old, new, text=VALID):
    assert old in text, old
    return text.replace(old, new, 1)


# -- the default file ----------------------------------------------------------------------------


def test_default_file_is_spec_section_7():
    rubric = kpi_rubric.load()
    assert rubric.path == kpi_rubric.DEFAULT_PATH
    assert rubric.late_factor == Decimal("0.5")
    assert dict(rubric.minimum_ideas) == {"bureau": 20, "district": 15, "office": 10}
    assert dict(rubric.points) == {"ideas": 10, "selection": 10, "forms34": 10, "committee": 10,
                                   "activities": 20, "form5": 10, "results": 30}
    assert sum(rubric.points.values()) == 100
    assert rubric.levels == tuple((Decimal(t), Decimal(lv)) for t, lv in ((60, 1), (70, 2), (80, 3), (90, 4), (100, 5)))
    assert all(isinstance(p, Decimal) for p in rubric.points.values())


def test_default_file_fy2564_matches_the_seed():
    # The seed's innovation was used 1 Apr – 30 Jun 2021: the committee before, evidence and Form 5 after.
    assert kpi_rubric.load().deadlines(2564) == Deadlines(
        form1=date(2020, 12, 31), form2=date(2021, 1, 31), forms34=date(2021, 2, 28),
        committee=date(2021, 3, 31), evidence=date(2021, 8, 31), form5=date(2021, 9, 15))


@pytest.mark.parametrize("fy", [2565, 2569, 2600])
def test_default_rule_works_for_any_later_year(fy):
    ce = fy - 543
    assert kpi_rubric.load().deadlines(fy) == Deadlines(
        form1=date(ce - 1, 12, 31), form2=date(ce, 1, 31), forms34=date(ce, 2, 28),
        committee=date(ce, 3, 31), evidence=date(ce, 8, 31), form5=date(ce, 9, 15))


def test_minimum_by_unit_kind():
    rubric = kpi_rubric.load()
    assert [rubric.minimum_for(k) for k in ("bureau", "district", "office")] == [20, 15, 10]
    assert rubric.minimum_for("centre") == 10  # a ส่วนราชการในสังกัดสำนักปลัดฯ: counted as an office


# -- fiscal-year edges of the default rule -------------------------------------------------------


def test_default_month_days_fall_in_the_fiscal_year(tmp_path):
    # "10-01" is the fiscal year's first day (1 Oct of the year before), "09-30" its last.
    text = edit('form1: "12-31"', 'form1: "10-01"', VALID)
    text = edit('form5: "09-15"', 'form5: "09-30"', text)
    text = edit('form2: "01-31"', 'form2: "01-01"', text)
    rubric = kpi_rubric.load(write(tmp_path, text))
    d = rubric.deadlines(2565)  # 1 Oct 2021 – 30 Sep 2022
    assert (d.form1, d.form2, d.form5) == (date(2021, 10, 1), date(2022, 1, 1), date(2022, 9, 30))
    assert kpi_rubric.in_fiscal_year(2564, 9, 30) == date(2021, 9, 30)
    assert kpi_rubric.in_fiscal_year(2565, 10, 1) == date(2021, 10, 1)
    assert kpi_rubric.in_fiscal_year(2564, 12, 31) == date(2020, 12, 31)
    assert kpi_rubric.in_fiscal_year(2564, 1, 1) == date(2021, 1, 1)


def test_a_year_may_override_some_steps(tmp_path):
    text = VALID + "  2566:\n    committee: 2023-04-30\n"
    d = kpi_rubric.load(write(tmp_path, text)).deadlines(2566)
    assert d.committee == date(2023, 4, 30)
    assert d.form1 == date(2022, 12, 31) and d.form5 == date(2023, 9, 15)


def test_late_factor_defaults_to_half(tmp_path):
    text = edit("late_factor: 0.5\n", "")
    assert kpi_rubric.load(write(tmp_path, text)).late_factor == Decimal("0.5")


def test_year_without_deadlines_and_no_default_names_the_deadlines_line(tmp_path):
    text = edit('  default:\n    form1: "12-31"\n    form2: "01-31"\n    forms34: "02-28"\n'
                '    committee: "03-31"\n    evidence: "08-31"\n    form5: "09-15"\n', "")
    rubric = kpi_rubric.load(write(tmp_path, text))
    assert rubric.deadlines(2564).form1 == date(2020, 12, 31)
    with pytest.raises(RubricError, match=rf"^kpi_rubric\.yaml line {line_of(text, 'deadlines:')}: .*2570"):
        rubric.deadlines(2570)


def test_unknown_unit_kind_names_the_minimum_line(tmp_path):
    rubric = kpi_rubric.load(write(tmp_path, VALID))
    with pytest.raises(RubricError, match=rf"^kpi_rubric\.yaml line {line_of(VALID, 'minimum_ideas:')}: .*'school'"):
        rubric.minimum_for("school")


# -- invalid files: a clear error naming the line --------------------------------------------------

DEFAULT_BLOCK = ('  default:\n    form1: "12-31"\n    form2: "01-31"\n    forms34: "02-28"\n'
                 '    committee: "03-31"\n    evidence: "08-31"\n    form5: "09-15"\n')

INVALID = [
    # (id, text, the text of the line to blame, what the message says)
    ("syntax-missing-colon", edit("  selection: 10", "  selection 10"), "  selection 10", "YAML syntax error"),
    ("syntax-unclosed-list", edit("  - [70, 2]", "  - [70, 2"), "  - [70, 2", "YAML syntax error"),
    ("syntax-tab", edit("  form5: 10", "\tform5: 10"), "\tform5: 10", "YAML syntax error"),
    ("unknown-top-key", VALID + "bonus: 5\n", "bonus: 5", "unknown key 'bonus'"),
    ("unknown-criterion", edit("  results: 30", "  results: 20\n  innovation: 10"), "innovation: 10",
     "unknown key 'innovation' in points"),
    ("negative-points", edit("  ideas: 10", "  ideas: -10", edit("  results: 30", "  results: 50")), "ideas: -10",
     "must not be negative"),
    ("points-sum", edit("  results: 30", "  results: 25"), "points:", "add up to 100, not 95"),
    ("points-missing", edit("  form5: 10\n", "", edit("  results: 30", "  results: 40")), "points:", "lacks form5"),
    ("points-not-number", edit("  committee: 10", "  committee: ten"), "committee: ten", "must be a number"),
    ("points-duplicate", edit("  form5: 10", "  form5: 10\n  ideas: 10  # again"), "# again",
     "'ideas' appears twice in points (first on line 7)"),
    ("levels-not-increasing", edit("  - [80, 3]", "  - [65, 3]"), "[65, 3]", "levels must increase"),
    ("levels-level-not-increasing", edit("  - [90, 4]", "  - [90, 3]"), "[90, 3]", "levels must increase"),
    ("levels-not-pair", edit("  - [70, 2]", "  - [70, 2, 3]"), "[70, 2, 3]", "pair"),
    ("levels-over-100", edit("  - [100, 5]", "  - [110, 5]"), "[110, 5]", "between 0 and 100"),
    ("late-factor-range", edit("late_factor: 0.5", "late_factor: 1.5"), "late_factor", "between 0 and 1"),
    ("late-factor-word", edit("late_factor: 0.5", "late_factor: half"), "late_factor", "must be a number"),
    ("minimum-word", edit("  district: 15", "  district: fifteen"), "district: fifteen", "must be a number"),
    ("minimum-zero", edit("  office: 10", "  office: 0"), "office: 0", "at least 1"),
    ("minimum-fraction", edit("  office: 10", "  office: 10.5"), "office: 10.5", "whole number"),
    ("minimum-unknown-kind", edit("  office: 10", "  office: 10\n  school: 5"), "school: 5", "unknown key 'school'"),
    ("minimum-missing-kind", edit("  bureau: 20\n", ""), "minimum_ideas:", "lacks bureau"),
    ("bad-date", edit("    form1: 2020-12-31", "    form1: 2020-12-32"), "form1: 2020-12-32", "not a calendar date"),
    ("thai-date", edit("    form2: 2021-01-31", "    form2: 31/01/2564"), "31/01/2564", "YYYY-MM-DD"),
    ("date-outside-fy", edit("    form5: 2021-09-15", "    form5: 2021-10-15"), "form5: 2021-10-15",
     "outside fiscal year 2564 (2020-10-01 – 2021-09-30)"),
    ("date-fy-first-day-minus-one", edit("    form1: 2020-12-31", "    form1: 2020-09-30"), "form1: 2020-09-30",
     "outside fiscal year 2564"),
    ("month-day-feb-29", edit('form2: "01-31"', 'form2: "02-29"'), '"02-29"', "not in every year"),
    ("month-day-13", edit('form2: "01-31"', 'form2: "13-01"'), '"13-01"', "not a day of the year"),
    ("month-day-format", edit('form2: "01-31"', 'form2: "31 Jan"'), '"31 Jan"', "MM-DD"),
    ("default-missing-step", edit('    evidence: "08-31"\n', ""), "  default:", "lacks evidence"),
    ("unknown-step", edit("    form5: 2021-09-15", "    form5: 2021-09-15\n    form6: 2021-09-20"), "form6",
     "unknown key 'form6'"),
    ("ce-year", edit("  2564:", "  2021:"), "  2021:", "Buddhist era"),
    ("year-not-number", edit("  2564:", "  FY2564:"), "FY2564", "fiscal year such as 2564"),
    ("year-partial-without-default", edit("    evidence: 2021-08-31\n", "", edit(DEFAULT_BLOCK, "")), "  2564:",
     "lacks evidence"),
    ("no-deadlines", VALID.split("deadlines:")[0] + "deadlines: {}\n", "deadlines:", "needs a default rule"),
    ("missing-section", edit("levels:\n  - [60, 1]\n  - [70, 2]\n  - [80, 3]\n  - [90, 4]\n  - [100, 5]\n", ""),
     "late_factor", "lacks levels"),
    ("not-a-mapping", "- ideas\n- points\n", "- ideas", "must be a mapping"),
    ("points-null", edit("  ideas: 10", "  ideas:"), "  ideas:", "single value"),
]


@pytest.mark.parametrize(("text", "blamed", "says"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_invalid_rubric_names_the_line(tmp_path, text, blamed, says):
    with pytest.raises(RubricError) as caught:
        kpi_rubric.load(write(tmp_path, text))
    message = str(caught.value)
    assert message.startswith(f"kpi_rubric.yaml line {line_of(text, blamed)}: "), message
    assert says in message, message


def test_empty_file(tmp_path):
    with pytest.raises(RubricError, match=r"^kpi_rubric\.yaml line 1: the file is empty"):
        kpi_rubric.load(write(tmp_path, "# nothing but a comment\n"))


def test_missing_file(tmp_path):
    with pytest.raises(RubricError, match=r"^nowhere\.yaml line 1: cannot read"):
        kpi_rubric.load(tmp_path / "nowhere.yaml")


def test_rubric_error_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match=re.escape("kpi_rubric.yaml line 1:")):
        kpi_rubric.load(write(tmp_path, "[1, 2]\n"))
