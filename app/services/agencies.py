"""Units of the BMA: loading the shipped list and finding a unit by code, name or alias."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import utf16
from app.errors import AgencyNotFound, AmbiguousAgency
from models import Agency, AgencyKind

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "agencies.csv"

# Longest first: "สำนักงานเขตบางรัก" must lose "สำนักงานเขต", not just "สำนัก".
_PREFIXES = ("สำนักงานเขต", "สำนักงาน", "สำนัก", "เขต", "district office", "district", "department")
_SUFFIXES = ("district office", "district", "department", "กรุงเทพมหานคร")
QUERY_ECHO_UNITS = 60  # what a "not found" answer quotes of the name typed: the longest unit name is 42


def normalize(name: str) -> str:
    """Case, spaces, dots and the เขต/สำนัก prefixes do not matter when people type a unit."""
    text = re.sub(r"[\s.\-_]+", "", name.strip().lower())
    for prefix in _PREFIXES:
        p = prefix.replace(" ", "")
        if text.startswith(p) and len(text) > len(p):
            text = text[len(p):]
            break
    for suffix in _SUFFIXES:
        s = suffix.replace(" ", "")
        if text.endswith(s) and len(text) > len(s):
            text = text[: -len(s)]
            break
    return text


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def read_file(path: Path = DATA_FILE) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    kinds = {k.value for k in AgencyKind}
    for n, row in enumerate(rows, start=2):
        if row["kind"] not in kinds:
            raise ValueError(f"{path}:{n}: unknown kind {row['kind']!r}")
        row["aliases"] = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
    return rows


async def load(session: AsyncSession, rows: list[dict] | None = None) -> LoadResult:
    """Insert or update every unit of the file by code; never deletes (history refers to units)."""
    rows = read_file() if rows is None else rows
    existing = {a.code: a for a in (await session.scalars(select(Agency))).all()}
    created = updated = unchanged = 0
    for row in rows:
        values = {k: row[k] for k in ("kind", "name_th", "name_en", "aliases")}
        agency = existing.get(row["code"])
        if agency is None:
            session.add(Agency(code=row["code"], active=True, **values))
            created += 1
        elif any(getattr(agency, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(agency, k, v)
            updated += 1
        else:
            unchanged += 1
    await session.flush()
    return LoadResult(created, updated, unchanged)


async def get_by_code(session: AsyncSession, code: str) -> Agency:
    agency = await session.scalar(select(Agency).where(Agency.code == code.strip().upper()))
    if agency is None:
        raise AgencyNotFound(f"ไม่พบหน่วยงานรหัส {utf16.cut(code, QUERY_ECHO_UNITS)}", query=code)
    return agency


async def find(session: AsyncSession, query: str) -> list[Agency]:
    """Units matching a code, a name or an alias exactly (after normalising); if none, those whose
    names contain the query. The shipped list is ~80 rows, so matching happens here, not in SQL."""
    agencies = (await session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.code))).all()
    q = normalize(query)
    if not q:
        return []
    exact = [a for a in agencies if q in _keys(a)]
    if exact:
        return exact
    return [a for a in agencies if any(q in key for key in _keys(a))]


async def resolve(session: AsyncSession, query: str) -> Agency:
    """Exactly one unit for the query, or AgencyNotFound / AmbiguousAgency."""
    matches = await find(session, query)
    if not matches:
        raise AgencyNotFound(f"ไม่พบหน่วยงาน “{utf16.cut(query, QUERY_ECHO_UNITS)}”", query=query)
    if len(matches) > 1:
        raise AmbiguousAgency(f"“{utf16.cut(query, QUERY_ECHO_UNITS)}” ตรงกับหลายหน่วยงาน", matches)
    return matches[0]


def _keys(agency: Agency) -> set[str]:
    return {normalize(x) for x in (agency.code, agency.name_th, agency.name_en, *agency.aliases)}
