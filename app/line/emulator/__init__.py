"""A local stand-in for the LINE Messaging API (see server.py): `rongtuk line-emulator`, the
service's development mode, the tests and the demo all use it."""

from app.line.emulator.checks import LineApiError, validate_messages
from app.line.emulator.server import Delivery, LineEmulator, RecordedRequest, run

__all__ = ["Delivery", "LineApiError", "LineEmulator", "RecordedRequest", "run", "validate_messages"]
