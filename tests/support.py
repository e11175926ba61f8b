"""Helpers for end-to-end tests: the service driver (app/line/testing.py) with the test token."""

from __future__ import annotations

from app.line.testing import ServiceDriver as Service
from app.line.testing import buttons, quick_replies

ADMIN_HEADERS = {"Authorization": "Bearer test-admin-token"}

__all__ = ["ADMIN_HEADERS", "Service", "buttons", "quick_replies"]
