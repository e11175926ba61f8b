"""The rubric of the innovation KPI (SPEC §7), read from a YAML file an admin can change.

    ValueError
    └── RubricError   a rubric file that cannot be used; the message names the file and the line

The file is checked node by node (yaml.compose keeps each node's line), so every mistake, a YAML
syntax error included, is reported as "kpi_rubric.yaml line 12: …". docs/kpi.md explains the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.fiscal import ce_year, fiscal_year_bounds
from models.agency import AgencyKind

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "kpi_rubric.yaml"

# criterion key → the part of the score it belongs to (the seed: part 1 = steps 1–2, part 2 =
# steps 3–4, part 3 = step 5). The parts are the KPI's own; only the points are the admin's.
CRITERIA: Mapping[str, int] = MappingProxyType({
    "ideas": 1, "selection": 1,
    "forms34": 2, "committee": 2, "activities": 2,
    "form5": 3, "results": 3,
})
STEPS = ("form1", "form2", "forms34", "committee", "evidence", "form5")
TOTAL_POINTS = Decimal(100)
DEFAULT_LATE_FACTOR = Decimal("0.5")
# The seed names the minimum for these three kinds; the centre may be listed, else it is an office.
REQUIRED_KINDS = ("bureau", "district", "office")

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
_INT_TAG = "tag:yaml.org,2002:int"


class RubricError(ValueError):
    """A rubric file that cannot be used: the message names the file and the line."""


@dataclass(frozen=True)
class Deadlines:
    """The last day (inclusive, Asia/Bangkok calendar) of each step in one fiscal year."""

    form1: date
    form2: date
    forms34: date
    committee: date
    evidence: date
    form5: date


@dataclass(frozen=True)
class Rubric:
    path: Path
    late_factor: Decimal
    minimum_ideas: Mapping[str, int]
    points: Mapping[str, Decimal]
    levels: tuple[tuple[Decimal, Decimal], ...]
    # fiscal year (B.E.) → the steps' deadlines the file gives for it (possibly only some)
    by_year: Mapping[int, Mapping[str, date]] = field(default_factory=dict, repr=False)
    # step → (month, day) in the fiscal year; None when the file has no `default` rule
    default_rule: Mapping[str, tuple[int, int]] | None = field(default=None, repr=False)
    # top-level key → its line, for errors raised after loading
    lines: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def deadlines(self, fiscal_year: int) -> Deadlines:
        """The deadlines of `fiscal_year` (B.E.): the year's own dates, the rest by the default rule."""
        given = self.by_year.get(fiscal_year, {})
        days: dict[str, date] = {}
        for step in STEPS:
            if step in given:
                days[step] = given[step]
            elif self.default_rule is not None:
                days[step] = in_fiscal_year(fiscal_year, *self.default_rule[step])
            else:
                raise self._error("deadlines", f"no deadlines for fiscal year {fiscal_year} and no default rule")
        return Deadlines(**days)

    def minimum_for(self, kind: str) -> int:
        """The minimum Form 1 count of a unit kind; the centre counts as an office unless listed."""
        if kind in self.minimum_ideas:
            return self.minimum_ideas[kind]
        if kind == AgencyKind.centre and AgencyKind.office in self.minimum_ideas:
            return self.minimum_ideas[AgencyKind.office]
        raise self._error("minimum_ideas", f"no minimum Form 1 count for unit kind {kind!r}")

    def _error(self, key: str, problem: str) -> RubricError:
        return RubricError(f"{self.path.name} line {self.lines.get(key, 1)}: {problem}")


def in_fiscal_year(fiscal_year: int, month: int, day: int) -> date:
    """The day (month, day) of fiscal year `fiscal_year`: Oct–Dec of its first C.E. year, else its last."""
    end_year = ce_year(fiscal_year)
    return date(end_year - 1 if month >= 10 else end_year, month, day)


def load(path: Path | None = None) -> Rubric:
    """Read and check a rubric file (default: app/data/kpi_rubric.yaml)."""
    path = Path(path) if path is not None else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"{path.name} line 1: cannot read the file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise RubricError(f"{path.name} line 1: the file is not UTF-8 text") from exc
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        raise RubricError(f"{path.name} line {_syntax_error_line(exc)}: YAML syntax error: {_syntax_problem(exc)}") from exc
    except yaml.YAMLError as exc:
        raise RubricError(f"{path.name} line 1: YAML syntax error: {exc}") from exc
    return _Reader(path).rubric(root)


# Mistakes the parser notices only on a later line; the context mark is where they are: a key
# without its colon, a bracket never closed.
_BLAME_CONTEXT = ("while scanning a simple key", "while parsing a flow sequence", "while parsing a flow mapping")


def _syntax_error_line(exc: yaml.MarkedYAMLError) -> int:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark is not None and exc.context in _BLAME_CONTEXT:
        mark = exc.context_mark
    return mark.line + 1 if mark is not None else 1


def _syntax_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.problem_mark is not None and exc.problem_mark.line + 1 != _syntax_error_line(exc):
        problem += f" (noticed on line {exc.problem_mark.line + 1})"
    return problem


class _Reader:
    """Turns the composed YAML into a Rubric, raising RubricError at the first mistake."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node_or_line: Node | int, problem: str) -> RubricError:
        line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
        return RubricError(f"{self.path.name} line {line}: {problem}")

    def rubric(self, root: Node | None) -> Rubric:
        if root is None:
            raise self.fail(1, "the file is empty; it needs points, levels, minimum_ideas and deadlines")
        top = self.mapping(root, "the rubric", allowed=("late_factor", "minimum_ideas", "points", "levels", "deadlines"),
                           required=("minimum_ideas", "points", "levels", "deadlines"))
        lines = {key: key_node.start_mark.line + 1 for key, (key_node, _) in top.items()}
        late_factor = DEFAULT_LATE_FACTOR
        if "late_factor" in top:
            late_factor = self.number(top["late_factor"][1], "late_factor")
            if not 0 <= late_factor <= 1:
                raise self.fail(top["late_factor"][1], f"late_factor must be between 0 and 1, not {late_factor}")
        by_year, default_rule = self.deadlines(*top["deadlines"])
        return Rubric(
            path=self.path,
            late_factor=late_factor,
            minimum_ideas=MappingProxyType(self.minimum_ideas(*top["minimum_ideas"])),
            points=MappingProxyType(self.points(*top["points"])),
            levels=self.levels(top["levels"][1]),
            by_year=MappingProxyType(by_year),
            default_rule=MappingProxyType(default_rule) if default_rule is not None else None,
            lines=MappingProxyType(lines),
        )

    # -- sections ----------------------------------------------------------------------------

    def minimum_ideas(self, key_node: Node, node: Node) -> dict[str, int]:
        kinds = tuple(AgencyKind)
        entries = self.mapping(node, "minimum_ideas", allowed=kinds, required=REQUIRED_KINDS, key_node=key_node)
        minimums = {}
        for kind, (_, value) in entries.items():
            count = self.number(value, f"minimum_ideas.{kind}")
            if count != count.to_integral_value() or count < 1:
                raise self.fail(value, f"minimum_ideas.{kind} must be a whole number of at least 1, not {value.value}")
            minimums[kind] = int(count)
        return minimums

    def points(self, key_node: Node, node: Node) -> dict[str, Decimal]:
        entries = self.mapping(node, "points", allowed=tuple(CRITERIA), required=tuple(CRITERIA), key_node=key_node)
        points = {}
        for key, (_, value) in entries.items():
            points[key] = self.number(value, f"points.{key}")
            if points[key] < 0:
                raise self.fail(value, f"points.{key} must not be negative, not {points[key]}")
        total = sum(points.values(), Decimal(0))
        if total != TOTAL_POINTS:
            raise self.fail(key_node, f"the points must add up to {TOTAL_POINTS}, not {total}")
        return {key: points[key] for key in CRITERIA}

    def levels(self, node: Node) -> tuple[tuple[Decimal, Decimal], ...]:
        if not isinstance(node, SequenceNode) or len(node.value) < 2:
            raise self.fail(node, "levels must be a list of at least two [total, level] pairs, e.g. - [60, 1]")
        levels: list[tuple[Decimal, Decimal]] = []
        for item in node.value:
            if not isinstance(item, SequenceNode) or len(item.value) != 2:
                raise self.fail(item, "each level must be a pair [total, level], e.g. [60, 1]")
            total, level = (self.number(part, "levels") for part in item.value)
            if not 0 <= total <= TOTAL_POINTS:
                raise self.fail(item, f"a level's total must be between 0 and {TOTAL_POINTS}, not {total}")
            if levels and (total <= levels[-1][0] or level <= levels[-1][1]):
                raise self.fail(item, f"levels must increase: [{total}, {level}] comes after "
                                      f"[{levels[-1][0]}, {levels[-1][1]}]")
            levels.append((total, level))
        return tuple(levels)

    def deadlines(self, key_node: Node, node: Node):
        entries = self.mapping(node, "deadlines", key_node=key_node)
        if not entries:
            raise self.fail(key_node, "deadlines needs a default rule or at least one fiscal year")
        default_rule: dict[str, tuple[int, int]] | None = None
        if "default" in entries:
            year_key, value = entries.pop("default")
            rule = self.mapping(value, "deadlines.default", allowed=STEPS, required=STEPS, key_node=year_key)
            default_rule = {step: self.month_day(day, f"deadlines.default.{step}") for step, (_, day) in rule.items()}
        by_year: dict[int, dict[str, date]] = {}
        for name, (year_key, value) in entries.items():
            year = self.fiscal_year(year_key, name)
            required = () if default_rule is not None else STEPS
            steps = self.mapping(value, f"deadlines.{year}", allowed=STEPS, required=required, key_node=year_key)
            first, last = fiscal_year_bounds(year)
            days = {}
            for step, (_, day_node) in steps.items():
                day = self.date(day_node, f"deadlines.{year}.{step}")
                if not first <= day <= last:
                    raise self.fail(day_node, f"deadlines.{year}.{step} {day.isoformat()} is outside fiscal year "
                                              f"{year} ({first.isoformat()} – {last.isoformat()})")
                days[step] = day
            by_year[year] = days
        return by_year, default_rule

    # -- scalars and mappings ----------------------------------------------------------------

    def mapping(self, node: Node, what: str, *, allowed: tuple[str, ...] | None = None,
                required: tuple[str, ...] = (), key_node: Node | None = None) -> dict[str, tuple[Node, Node]]:
        """key → (key node, value node), refusing duplicates, unknown and missing keys."""
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} must be a mapping of `key: value` lines")
        entries: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                raise self.fail(key, f"a key of {what} must be a plain word")
            if key.value in entries:
                raise self.fail(key, f"{key.value!r} appears twice in {what} "
                                     f"(first on line {entries[key.value][0].start_mark.line + 1})")
            if allowed is not None and key.value not in allowed:
                raise self.fail(key, f"unknown key {key.value!r} in {what}; expected one of {', '.join(allowed)}")
            entries[key.value] = (key, value)
        missing = [name for name in required if name not in entries]
        if missing:
            raise self.fail(key_node if key_node is not None else node, f"{what} lacks {', '.join(missing)}")
        return entries

    def scalar(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode) or node.tag.endswith((":null", ":bool")):
            raise self.fail(node, f"{what} must be a single value")
        return node.value.strip()

    def number(self, node: Node, what: str) -> Decimal:
        text = self.scalar(node, what)
        if not _NUMBER.fullmatch(text):
            raise self.fail(node, f"{what} must be a number, not {text!r}")
        return Decimal(text)

    def date(self, node: Node, what: str) -> date:
        text = self.scalar(node, what)
        if not _ISO_DATE.fullmatch(text):
            raise self.fail(node, f"{what} must be a date YYYY-MM-DD (C.E.), not {text!r}")
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise self.fail(node, f"{what}: {text} is not a calendar date ({exc})") from exc

    def month_day(self, node: Node, what: str) -> tuple[int, int]:
        text = self.scalar(node, what)
        match = _MONTH_DAY.fullmatch(text)
        if not match:
            raise self.fail(node, f'{what} must be a month-day "MM-DD" such as "12-31", not {text!r}')
        month, day = int(match[1]), int(match[2])
        if (month, day) == (2, 29):
            raise self.fail(node, f'{what}: 02-29 is not in every year; use "02-28"')
        try:
            date(2001, month, day)
        except ValueError as exc:
            raise self.fail(node, f"{what}: {text} is not a day of the year ({exc})") from exc
        return month, day

    def fiscal_year(self, key: Node, name: str) -> int:
        if not isinstance(key, ScalarNode) or key.tag != _INT_TAG or not name.isdigit():
            raise self.fail(key, f"a key of deadlines must be `default` or a fiscal year such as 2564, not {name!r}")
        year = int(name)
        if not 2500 <= year <= 2999:
            raise self.fail(key, f"fiscal year {year} must be in the Buddhist era (FY2564 = Oct 2020 – Sep 2021)")
        return year
