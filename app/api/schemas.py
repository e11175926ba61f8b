"""JSON shapes of the admin API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from models import Role


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    kind: str
    name_th: str
    name_en: str
    aliases: list[str]


class InviteIn(BaseModel):
    role: Role
    agency: str | None = Field(None, description="code or any name/alias of the unit; none for a BMA-wide manager or admin")


class InviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    role: str
    agency: AgencyOut | None
    expires_at: datetime
    used_at: datetime | None


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    line_user_id: str
    display_name: str | None
    role: str
    agency: AgencyOut | None
    active: bool
    registered_at: datetime
    deactivated_at: datetime | None
