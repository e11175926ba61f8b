"""People bound to LINE accounts, their invites, LINE groups bound to units, and one-time
dashboard sign-in links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.agency import Agency
from models.base import Base, TimestampMixin, utcnow


class Role(StrEnum):
    centre = "centre"
    coordinator = "coordinator"
    manager = "manager"
    admin = "admin"


class Person(TimestampMixin, Base):
    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    registered_at: Mapped[datetime]
    deactivated_at: Mapped[datetime | None]
    deactivated_reason: Mapped[str | None] = mapped_column(String(40))

    agency: Mapped[Agency | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.role} {self.line_user_id}>"


class Invite(TimestampMixin, Base):
    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    agency: Mapped[Agency | None] = relationship(lazy="joined")


class LineGroup(TimestampMixin, Base):
    """A LINE group that has added the account; once bound, it receives its unit's case cards."""

    __tablename__ = "line_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_group_id: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    bound_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    bound_at: Mapped[datetime | None]
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)

    agency: Mapped[Agency | None] = relationship(lazy="joined")


class DashboardLink(Base):
    """A one-time dashboard sign-in link sent in LINE (`แดชบอร์ด`). Only the token's SHA-256 is
    kept: the database alone cannot sign anyone in."""

    __tablename__ = "dashboard_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
