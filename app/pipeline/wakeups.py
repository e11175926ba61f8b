"""Wake-ups: telling the workers there is new work, so they claim it at once rather than at their
next poll (WORKER_POLL_SECONDS).

Two sources: the webhook, after it stores new events (the inbox), and any commit of a web session
that added or changed outbox rows or inbox events (an API forward of a case, a replay): the
session class from `session_class` notes what a flush wrote and wakes after the commit, so no
route has to remember to.

Across processes (WORKERS=process) `rongtuk serve` makes a UNIX datagram socket pair before it
starts the worker and passes it one end. A wake-up is one byte ("i" inbox, "o" outbox) sent without
blocking; when the buffer is full or nobody reads it (the worker is restarting) it is dropped, which
is harmless: the worker still polls, and a worker that starts claims whatever is due anyway. With
several replicas each `serve` wakes its own worker; any worker may claim the work.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from itertools import chain

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import InboxEvent, OutboxMessage

INBOX, OUTBOX = b"i", b"o"


class Wake:
    """Where wake-ups go; does nothing until `bind` (WORKERS=off: nobody to wake here)."""

    def __init__(self) -> None:
        self._inbox: Callable[[], None] = _nothing
        self._outbox: Callable[[], None] = _nothing

    def bind(self, *, inbox: Callable[[], None], outbox: Callable[[], None]) -> Wake:
        self._inbox, self._outbox = inbox, outbox
        return self

    def inbox(self) -> None:
        self._inbox()

    def outbox(self) -> None:
        self._outbox()


def _nothing() -> None:
    pass


# -- across processes ------------------------------------------------------------------------------

def pair() -> tuple[socket.socket, socket.socket]:
    """(the web's end, the worker's end); the worker's end is inherited with pass_fds."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    ours.setblocking(False)
    return ours, theirs


def sender(sock: socket.socket) -> Wake:
    """A Wake that sends datagrams on `sock` (the web's end of `pair()`)."""
    def send(byte: bytes) -> Callable[[], None]:
        def wake() -> None:
            try:
                sock.send(byte)
            except OSError:  # full, or nobody listening: the worker's poll covers it
                pass
        return wake

    return Wake().bind(inbox=send(INBOX), outbox=send(OUTBOX))


def listen(sock: socket.socket, *, inbox: Callable[[], None], outbox: Callable[[], None]) -> Callable[[], None]:
    """Read wake-ups from `sock` (the worker's end) in the running loop; returns how to stop."""
    loop = asyncio.get_running_loop()
    sock.setblocking(False)

    def readable() -> None:
        got = b""
        try:
            while True:  # several wake-ups since the last read are one
                got += sock.recv(64)
        except BlockingIOError:
            pass
        except OSError:
            return
        if INBOX in got:
            inbox()
        if OUTBOX in got:
            outbox()

    loop.add_reader(sock.fileno(), readable)
    return lambda: loop.remove_reader(sock.fileno())


# -- from web sessions ----------------------------------------------------------------------------

def session_class(wake: Wake) -> type[Session]:
    """A Session class whose commits wake the inbox or the outbox when they wrote to it."""

    class WakingSession(Session):
        pass

    @event.listens_for(WakingSession, "after_flush")
    def _noted(session: Session, _context) -> None:
        for obj in chain(session.new, session.dirty):
            if isinstance(obj, OutboxMessage):
                wrote_outbox(session)
            elif isinstance(obj, InboxEvent):
                session.info["wake_inbox"] = True

    @event.listens_for(WakingSession, "after_commit")
    def _committed(session: Session) -> None:
        if session.info.pop("wake_inbox", False):
            wake.inbox()
        if session.info.pop("wake_outbox", False):
            wake.outbox()

    @event.listens_for(WakingSession, "after_rollback")
    def _rolled_back(session: Session) -> None:
        session.info.pop("wake_inbox", None)
        session.info.pop("wake_outbox", None)

    return WakingSession


def wrote_outbox(session: Session | AsyncSession) -> None:
    """Outbox rows were written in this session's transaction: its commit wakes the sender. A
    flush notes it by itself; a Core INSERT, which no flush sees, says it here."""
    session.info["wake_outbox"] = True
