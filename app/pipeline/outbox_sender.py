"""The outbox sender: delivers claimed messages to LINE and records what LINE said.

Up to OUTBOX_CONCURRENCY chats are served at once, each chat's messages in order (outbox.claim_due:
its oldest unsent message and the pushes due behind it, OUTBOX_CHAIN_MAX in all), so a chat whose
LINE calls hang or fail holds its own slot and nobody else's. A chat's chain goes one message after
another, each as soon as LINE accepted the one before: a busy chat (the centre, told of every relay)
does not wait for a claim between two messages. Outcomes are written in groups
(app/pipeline/group_commit.py): sends that end while a write is in flight are recorded together by the next
one, each still only while its lease holds. After a message that did not go, the rest of its chain
is given back unsent, and waits behind it.

Reply or push: a reply token is used while fresh and unused (free of quota); otherwise the same
messages go by push with the row's retry key, which LINE accepts at most once (409 = already
accepted). A reply token is single use too, so a reply can only be lost, never doubled, and the
sender's job is to know whether it went:
  - The claim marks a reply attempted in its own transaction, and leases it for its call's timeout
    and a little: if the process dies mid-call, the retry comes while the token is still fresh.
  - LINE answering 5xx or 429, or a connection that never opened, means LINE did nothing: the mark
    is taken back.
  - No answer (a timeout, a dropped connection, a crash) leaves the mark, and the retry is a probe
    with a longer timeout (REPLY_PROBE_TIMEOUT_SECONDS): 200 means our earlier attempt never took
    the token and this one delivered; "Invalid reply token" to a probe sent while the token is
    fresh means the earlier attempt spent it, so the message was delivered.
  - When the token is no longer fresh and the outcome is still unknown (no answer to any attempt),
    nothing can tell. The message is then pushed: a rare possible duplicate of a short
    confirmation is preferred to losing it. Counted as OUTBOX_MESSAGES{kind="reply",
    result="unknown_pushed"}.

LINE's limits are the channel's: a 429 pauses all sending until its Retry-After has passed. A
single chat's 5xx or timeouts back off that message only; when sends to several chats fail in a row
(OUTBOX_OUTAGE_CHATS: LINE is down), one waiting message is tried every OUTBOX_OUTAGE_PROBE_SECONDS,
and the first success brings every message waiting out a backoff forward, so the backlog drains at
LINE's pace rather than at each row's backoff.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import session_scope
from app.line.client import LineClient, SendResult
from app.line.errors import (
    LineInvalidReplyToken,
    LineNoAnswer,
    LinePermanent,
    LineRateLimited,
    LineRetryable,
)
from app.observability import OUTBOX_MESSAGES
from app.pipeline import outbox
from app.pipeline.group_commit import GroupCommit, Together
from app.pipeline.loops import Dispatcher
from models import OutboxKind, OutboxMessage
from models.base import utcnow

log = logging.getLogger(__name__)

# A reply row's lease beyond its call's timeout: time to write the outcome.
REPLY_LEASE_MARGIN_SECONDS = 2.0


@dataclass(kw_only=True)
class Sender:
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    line: LineClient
    clock: Callable[[], datetime] = utcnow
    _outcomes: GroupCommit = field(init=False)
    _dispatcher: Dispatcher[OutboxMessage] | None = field(init=False, default=None)
    _paused_until: datetime | None = field(init=False, default=None)  # a 429's Retry-After
    _wakeups: list[datetime] = field(init=False, default_factory=list)  # heap: when retries fall due
    _failing: set[str] = field(init=False, default_factory=set)  # chats failed since the last success
    _last_call_at: datetime | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._outcomes = GroupCommit(self.sessionmaker)

    async def close(self) -> None:
        """After the dispatcher stopped: the outcomes still being written are written."""
        await self._outcomes.close()

    # -- claiming ---------------------------------------------------------------------------------

    async def claim(self, limit: int) -> list[OutboxMessage]:
        """Lease the due messages of up to `limit` chats, each chat's oldest unsent one and the
        pushes due behind it (claim_due), unless LINE asked us to wait (429). In id order."""
        now = self.clock()
        if self._paused_until is not None and now < self._paused_until:
            self._due_in(self._paused_until, now)
            return []
        async with session_scope(self.sessionmaker) as session:
            if self._probe_due(now):
                await outbox.bring_forward(session, now=now, limit=1)
            rows = await outbox.claim_due(
                session, now=now, lease_seconds=self.settings.outbox_lease_seconds, limit=limit,
                reply_lease_seconds=self.settings.line_request_timeout_seconds + REPLY_LEASE_MARGIN_SECONDS,
                retried_reply_lease_seconds=self.settings.reply_probe_timeout_seconds + REPLY_LEASE_MARGIN_SECONDS,
                chain_max=self.settings.outbox_chain_max)
        self._report_next_due(now)
        return rows

    async def run_once(self) -> int:
        """Claim a batch and send it to the end (tests, and a drain by hand). Returns how many
        messages were claimed. The service runs `dispatcher()` instead."""
        batch = await self.claim(self.settings.outbox_concurrency)
        await asyncio.gather(*(self.work(chain) for chain in _chains(batch)))
        return len(batch)

    def dispatcher(self) -> Dispatcher[list[OutboxMessage]]:
        """The service's loop: up to OUTBOX_CONCURRENCY chats served at once, each chat's messages
        in order (claim_due), none waiting for another chat's LINE call."""
        async def claim(limit: int) -> list[list[OutboxMessage]]:
            return _chains(await self.claim(limit))

        self._dispatcher = Dispatcher("outbox-sender", claim, self.work,
                                      concurrency=self.settings.outbox_concurrency,
                                      poll_seconds=self.settings.worker_poll_seconds)
        return self._dispatcher

    # -- sending ----------------------------------------------------------------------------------

    async def work(self, chain: list[OutboxMessage]) -> None:
        """One chat's claimed messages, in order. Each goes once LINE accepted the one before; its
        outcome is written meanwhile. After one that did not go (or whose lease is too short for a
        call), the rest are given back unsent."""
        recorded: list[asyncio.Future] = []
        for i, message in enumerate(chain):
            if i and not self._lease_covers_a_call(message):
                await self._give_back(chain[i:])
                break
            accepted = None
            try:
                accepted = await self._send(message)
            except Exception as exc:
                _log_failure(message, exc)
            if accepted is None:
                await self._give_back(chain[i + 1:])
                break
            recorded.append(accepted)
        outcomes = await asyncio.gather(*recorded, return_exceptions=True)
        for message, outcome in zip(chain, outcomes):
            if isinstance(outcome, Exception):
                _log_failure(message, outcome)

    def _lease_covers_a_call(self, message: OutboxMessage) -> bool:
        left = (message.claimed_until - self.clock()).total_seconds() if message.claimed_until else 0.0
        return left > self.settings.line_request_timeout_seconds + REPLY_LEASE_MARGIN_SECONDS

    async def _give_back(self, messages: list[OutboxMessage]) -> None:
        if not messages:
            return
        try:
            await self._outcomes.apply(lambda session: outbox.release(session, messages))
        except Exception:  # their leases run out instead
            log.exception("claimed messages not given back", extra={"outbox_ids": [m.id for m in messages]})
        self._wake()

    async def send(self, message: OutboxMessage) -> None:
        """Send one message and write what came of it (LeaseLost if the lease ran out first)."""
        accepted = await self._send(message)
        if accepted is not None:
            await accepted

    async def _send(self, message: OutboxMessage) -> asyncio.Future | None:
        """Send one message. When LINE has it: the write of that, still in progress (awaiting it
        raises LeaseLost if the lease ran out first); otherwise None, once the outcome is written."""
        if message.kind == OutboxKind.reply:
            return await self._reply(message)
        return await self._push(message)

    async def _reply(self, message: OutboxMessage) -> asyncio.Future | None:
        now = self.clock()
        unknown_before = message.reply_attempted_at is not None  # as it was before this claim
        age = (now - message.reply_token_at).total_seconds() if message.reply_token_at else float("inf")
        if age >= self.settings.reply_token_fresh_seconds:
            if unknown_before:
                OUTBOX_MESSAGES.labels("reply", "unknown_pushed").inc()
                log.warning("reply outcome unknown and token expired: pushing", extra={"outbox_id": message.id})
            await self._record(outbox.switch_to_push, message, reason="reply token no longer fresh")
            self._wake()
            return
        timeout = self.settings.reply_probe_timeout_seconds if unknown_before else None
        try:
            result = await self._call(message, self.line.reply(message.reply_token, message.messages,
                                                               timeout_seconds=timeout))
        except LineInvalidReplyToken as exc:
            if unknown_before:
                OUTBOX_MESSAGES.labels("reply", "sent_earlier").inc()
                return self._record_sent(message, via="reply", request_id=None, sent_message_ids=None,
                                         note="reply token spent by an earlier attempt whose answer was lost")
            else:
                OUTBOX_MESSAGES.labels("reply", "token_refused").inc()
                await self._record(outbox.switch_to_push, message, reason=str(exc))
                self._wake()
        except LinePermanent as exc:
            OUTBOX_MESSAGES.labels("reply", "failed").inc()
            await self._record(outbox.mark_failed, message, error=str(exc))
        except LineRetryable as exc:
            OUTBOX_MESSAGES.labels("reply", _retry_result(exc)).inc()
            # No answer: this try may have spent the token, the claim's mark stays. Otherwise LINE
            # did nothing and the mark goes back to what it was. Retry soon: the token is only good
            # for about a minute.
            restore = {} if isinstance(exc, LineNoAnswer) else {"reply_attempted_at": message.reply_attempted_at}
            await self._retry(message, exc, base_seconds=0.5, max_seconds=2.0, **restore)
        else:
            return self._sent(message, "reply", result)
        return None

    async def _push(self, message: OutboxMessage) -> asyncio.Future | None:
        now = self.clock()
        if (now - message.created_at).total_seconds() > self.settings.outbox_give_up_after_seconds:
            OUTBOX_MESSAGES.labels("push", "expired").inc()
            await self._record(outbox.mark_failed, message,
                               error=f"not accepted by LINE within {self.settings.outbox_give_up_after_seconds:.0f} s "
                                     f"(the retry key's lifetime); last error: {message.last_error}")
            return
        try:
            result = await self._call(message, self.line.push(message.recipient, message.messages,
                                                              retry_key=message.retry_key))
        except LineRetryable as exc:
            OUTBOX_MESSAGES.labels("push", _retry_result(exc)).inc()
            await self._retry(message, exc, base_seconds=self.settings.outbox_retry_base_seconds,
                              max_seconds=self.settings.outbox_retry_max_seconds)
        except LinePermanent as exc:
            OUTBOX_MESSAGES.labels("push", "failed").inc()
            await self._record(outbox.mark_failed, message, error=str(exc))
        else:
            return self._sent(message, "push", result)
        return None

    async def _call(self, message: OutboxMessage, call):
        """One request to LINE, noting what it says about LINE's health (not the chat's)."""
        self._last_call_at = self.clock()
        try:
            result = await call
        except LineRetryable as exc:
            self._failed(message, exc)
            raise
        except LinePermanent:
            raise
        await self._succeeded()
        return result

    def _sent(self, message: OutboxMessage, via: str, result: SendResult) -> asyncio.Future:
        OUTBOX_MESSAGES.labels(via, "duplicate" if result.duplicate else "sent").inc()
        return self._record_sent(message, via=via, request_id=result.request_id, sent_message_ids=result.sent_message_ids,
                                 note="LINE had already accepted this retry key (409)" if result.duplicate else None)

    async def _retry(self, message: OutboxMessage, exc: LineRetryable, **kwargs) -> None:
        delay = await self._record(outbox.retry_later, message, error=str(exc), retry_after=exc.retry_after, **kwargs)
        heapq.heappush(self._wakeups, self.clock() + timedelta(seconds=delay))
        if self._dispatcher is not None:
            self._dispatcher.due_in(delay)

    async def _record(self, change, message: OutboxMessage, **kwargs):
        now = self.clock()  # when LINE answered, not when the group is written
        return await self._outcomes.apply(lambda session: change(session, message, now=now, **kwargs))

    def _record_sent(self, message: OutboxMessage, **kwargs) -> asyncio.Future:
        """The commonest outcome, written with the others of its group in one statement per table;
        the write goes on without the caller, who awaits it when it needs to."""
        return self._outcomes.submit(Together(outbox.mark_sent_all, outbox.Sent(message, self.clock(), **kwargs)))

    # -- LINE's health, for every chat --------------------------------------------------------------

    def _failed(self, message: OutboxMessage, exc: LineRetryable) -> None:
        self._failing.add(message.recipient)
        if isinstance(exc, LineRateLimited):  # the channel's limit: everyone waits
            wait = exc.retry_after if exc.retry_after is not None else self.settings.outbox_retry_base_seconds
            until = self.clock() + timedelta(seconds=wait)
            if self._paused_until is None or until > self._paused_until:
                self._paused_until = until
                log.warning("LINE rate limit: sending paused", extra={"seconds": wait})

    async def _succeeded(self) -> None:
        outage, self._failing = self._in_outage(), set()
        if not outage:
            return
        now = self.clock()
        try:
            count = await self._outcomes.apply(lambda session: outbox.bring_forward(session, now=now))
        except Exception:  # the backoffs then run their course; this send's outcome still counts
            log.exception("bringing waiting messages forward failed")
            return
        log.info("LINE answers again: messages waiting out a backoff are due now", extra={"messages": count})
        self._wake()

    def _in_outage(self) -> bool:
        return len(self._failing) >= self.settings.outbox_outage_chats

    def _probe_due(self, now: datetime) -> bool:
        """In an outage, one waiting message is brought forward when nothing has been tried for a
        while: without it, a long outage would leave every message in a long backoff."""
        if not self._in_outage() or self._last_call_at is None:
            return False
        return (now - self._last_call_at).total_seconds() >= self.settings.outbox_outage_probe_seconds

    # -- waking the dispatcher ----------------------------------------------------------------------

    def _wake(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.wake()

    def _report_next_due(self, now: datetime) -> None:
        """Tell the dispatcher when the next message put back for later falls due, and in an outage
        when the next probe is due, so neither waits for the poll."""
        while self._wakeups and self._wakeups[0] <= now:
            heapq.heappop(self._wakeups)
        if self._wakeups:
            self._due_in(self._wakeups[0], now)
        if self._in_outage():
            self._due_in(now + timedelta(seconds=self.settings.outbox_outage_probe_seconds), now)

    def _due_in(self, at: datetime, now: datetime) -> None:
        if self._dispatcher is not None:
            self._dispatcher.due_in((at - now).total_seconds())


def _chains(rows: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """Claimed rows (in id order) as one chain per chat, each in order."""
    chains: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        chains.setdefault(row.recipient, []).append(row)
    return list(chains.values())


def _log_failure(message: OutboxMessage, exc: Exception) -> None:
    if isinstance(exc, outbox.LeaseLost):
        log.warning("outbox lease lost before the outcome was written", extra={"outbox_id": message.id})
    else:
        log.error("outbox send or outcome failed", extra={"outbox_id": message.id}, exc_info=exc)


def _retry_result(exc: LineRetryable) -> str:
    if isinstance(exc, LineRateLimited):
        return "rate_limited"
    return "no_answer" if isinstance(exc, LineNoAnswer) else "retry"
