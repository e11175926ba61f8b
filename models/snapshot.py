"""Dashboard figures precomputed for the standard periods (app/web/snapshots.py): one row per
fiscal year × span × unit kind, rewritten by the `dashboard-snapshots` job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, JSONType


class FiguresSnapshot(Base):
    __tablename__ = "figures_snapshot"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)  # "2569|q2|district": fy|span|kind
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
