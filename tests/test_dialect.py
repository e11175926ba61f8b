from __future__ import annotations

import pytest
from sqlalchemy import Double, Integer, cast, literal, select, union_all

from app.dialect import percentile_cont, percentile_of_sorted

# (values, {fraction: expected}); the arithmetic is PostgreSQL's: position p = f·(n-1) over the sorted
# non-NULL values, result v[⌊p⌋] + (p - ⌊p⌋)·(v[⌈p⌉] - v[⌊p⌋]).
CASES = {
    "even count": ([40.0, 10.0, 30.0, 20.0], {
        0.5: 25.0,  # p = 1.5 → 20 + 0.5·10
        0.9: 37.0,  # p = 2.7 → 30 + 0.7·10
        0.0: 10.0,
        1.0: 40.0,
    }),
    "odd count, NULLs ignored": ([3.0, None, 1.0, 2.0, None], {
        0.5: 2.0,  # [1, 2, 3], p = 1.0
        0.9: 2.8,  # p = 1.8 → 2 + 0.8·1
    }),
    "ties": ([5.0, 10.0, 5.0, 5.0], {
        0.5: 5.0,  # [5, 5, 5, 10], p = 1.5 → 5 + 0.5·0
        0.9: 8.5,  # p = 2.7 → 5 + 0.7·5
    }),
    "one value": ([42.5], {0.5: 42.5, 0.9: 42.5}),
    "all NULL": ([None, None], {0.5: None, 0.9: None}),
    "fractional values": ([0.1, 0.2, 0.7], {
        0.5: 0.2,
        0.9: 0.6,  # p = 1.8 → 0.2 + 0.8·0.5
    }),
}


def _rows(groups: dict[int, list[float | None]]):
    selects = [select(cast(literal(g), Integer).label("g"), cast(literal(v), Double).label("x"))
               for g, values in groups.items() for v in values]
    return union_all(*selects).subquery()


@pytest.mark.parametrize("name", CASES)
async def test_percentile_cont_is_postgresqls_definition_on_both_databases(engine, name):
    values, expected = CASES[name]
    rows = _rows({1: values})
    fractions = list(expected)
    async with engine.connect() as conn:
        got = (await conn.execute(select(*(percentile_cont(f, rows.c.x) for f in fractions)))).one()
    present = sorted(v for v in values if v is not None)
    for fraction, value in zip(fractions, got, strict=True):
        # The same float to the last bit on both databases (both follow the reference below) …
        assert value == percentile_of_sorted(present, fraction)
        # … and the number worked out by hand above.
        assert value == (None if expected[fraction] is None else pytest.approx(expected[fraction], rel=1e-12))


async def test_percentile_cont_per_group_and_over_no_rows(engine):
    rows = _rows({1: [1.0, 2.0, 3.0, 4.0], 2: [100.0], 3: [None]})
    async with engine.connect() as conn:
        grouped = (await conn.execute(
            select(rows.c.g, percentile_cont(0.9, rows.c.x)).group_by(rows.c.g).order_by(rows.c.g))).all()
        nothing = (await conn.execute(select(percentile_cont(0.5, rows.c.x)).where(rows.c.g > 9))).scalar_one()
    # group 1: p = 2.7 → 3 + 0.7·1 = 3.7; group 2: its one value; group 3: only NULL
    assert [tuple(row) for row in grouped] == [(1, pytest.approx(3.7)), (2, 100.0), (3, None)]
    assert nothing is None


def test_fraction_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError):
        percentile_cont(1.5, literal(1.0))
    with pytest.raises(ValueError):
        percentile_of_sorted([1.0], -0.1)
