"""The manager dashboard (`/dashboard`, SPEC §8): server-rendered Thai pages with inline SVG charts,
and the same figures as CSV and XLSX.

    routes.py     the pages and exports (one APIRouter), errors as Thai HTML pages
    auth.py       sign-in (admin token, one-time LINE link), the signed session cookie, who sees what
    filters.py    the period (fiscal year, quarter, month, custom) and unit kind in the query string
    queries.py    the page data: SQL aggregates and bounded, paginated lists
    scorecard.py  the innovation-KPI scorecard per unit (levels, parts, which forms are in)
    charts.py     bar and line charts as inline SVG
    exports.py    CSV (UTF-8 with BOM) and XLSX
    render.py     the Jinja2 environment and its Thai formatting filters
"""
