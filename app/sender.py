"""The outbox sender: delivers claimed messages to LINE and records what LINE said.

Reply or push: a reply token is used while fresh and unused (free of quota); otherwise the same
messages go by push with the row's retry key. A reply whose outcome we never heard (timeout, or the
process died) is retried by reply while the token would still be valid: if LINE then calls the
token invalid, our earlier attempt spent it, so the message was delivered. Once the token would
have expired anyway that proof is gone and the message is pushed: a rare possible duplicate of a
short confirmation is preferred to losing it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import outbox
from app.config import Settings
from app.db import session_scope
from app.line.client import LineClient, SendResult
from app.line.errors import LineInvalidReplyToken, LinePermanent, LineRateLimited, LineRetryable
from app.loops import Dispatcher
from app.observability import OUTBOX_MESSAGES
from models import OutboxKind, OutboxMessage
from models.base import utcnow

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class Sender:
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    line: LineClient
    clock: Callable[[], datetime] = utcnow

    async def claim(self, limit: int) -> list[OutboxMessage]:
        """Lease up to `limit` due messages, at most the oldest unsent one per chat (claim_due)."""
        async with session_scope(self.sessionmaker) as session:
            return await outbox.claim_due(session, now=self.clock(), lease_seconds=self.settings.outbox_lease_seconds,
                                          limit=limit)

    async def run_once(self) -> int:
        """Claim a batch and send it to the end (tests, and a drain by hand). Returns how many
        messages were claimed. The service runs `dispatcher()` instead."""
        batch = await self.claim(self.settings.outbox_batch_size)
        await asyncio.gather(*(self.work(m) for m in batch))
        return len(batch)

    def dispatcher(self) -> Dispatcher[OutboxMessage]:
        """The service's loop: up to OUTBOX_CONCURRENCY messages in flight, each chat's in order
        (claim_due), none waiting for another chat's LINE call."""
        return Dispatcher("outbox-sender", self.claim, self.work, concurrency=self.settings.outbox_batch_size,
                          poll_seconds=self.settings.worker_poll_seconds)

    async def work(self, message: OutboxMessage) -> None:
        try:
            await self.send(message)
        except Exception:
            log.exception("outbox send crashed", extra={"outbox_id": message.id})

    async def send(self, message: OutboxMessage) -> None:
        if message.kind == OutboxKind.reply:
            await self._reply(message)
        else:
            await self._push(message)

    async def _reply(self, message: OutboxMessage) -> None:
        now = self.clock()
        spent_before = message.reply_attempted_at is not None
        age = (now - message.reply_token_at).total_seconds() if message.reply_token_at else float("inf")
        if age >= self.settings.reply_token_fresh_seconds:
            if spent_before:
                log.warning("reply outcome unknown and token expired: pushing", extra={"outbox_id": message.id})
            await self._record(outbox.switch_to_push, message, reason="reply token no longer fresh")
            return
        await self._record(outbox.mark_reply_attempt, message)
        try:
            result = await self.line.reply(message.reply_token, message.messages)
        except LineInvalidReplyToken as exc:
            if spent_before:
                OUTBOX_MESSAGES.labels("reply", "sent_earlier").inc()
                await self._record(outbox.mark_sent, message, via="reply", request_id=None, sent_message_ids=None,
                                   note="reply token spent by an earlier attempt whose answer was lost")
            else:
                OUTBOX_MESSAGES.labels("reply", "token_refused").inc()
                await self._record(outbox.switch_to_push, message, reason=str(exc))
        except LinePermanent as exc:
            OUTBOX_MESSAGES.labels("reply", "failed").inc()
            await self._record(outbox.mark_failed, message, error=str(exc))
        except LineRetryable as exc:
            OUTBOX_MESSAGES.labels("reply", "retry").inc()
            # Retry soon: the token is only good for about a minute.
            await self._record(outbox.retry_later, message, error=str(exc), base_seconds=0.5, max_seconds=2.0,
                               retry_after=exc.retry_after)
        else:
            await self._sent(message, "reply", result)

    async def _push(self, message: OutboxMessage) -> None:
        now = self.clock()
        if (now - message.created_at).total_seconds() > self.settings.outbox_give_up_after_seconds:
            OUTBOX_MESSAGES.labels("push", "expired").inc()
            await self._record(outbox.mark_failed, message,
                               error=f"not accepted by LINE within {self.settings.outbox_give_up_after_seconds:.0f} s "
                                     f"(the retry key's lifetime); last error: {message.last_error}")
            return
        try:
            result = await self.line.push(message.recipient, message.messages, retry_key=message.retry_key)
        except LineRetryable as exc:
            OUTBOX_MESSAGES.labels("push", "rate_limited" if isinstance(exc, LineRateLimited) else "retry").inc()
            await self._record(outbox.retry_later, message, error=str(exc), retry_after=exc.retry_after,
                               base_seconds=self.settings.outbox_retry_base_seconds,
                               max_seconds=self.settings.outbox_retry_max_seconds)
        except LinePermanent as exc:
            OUTBOX_MESSAGES.labels("push", "failed").inc()
            await self._record(outbox.mark_failed, message, error=str(exc))
        else:
            await self._sent(message, "push", result)

    async def _sent(self, message: OutboxMessage, via: str, result: SendResult) -> None:
        OUTBOX_MESSAGES.labels(via, "duplicate" if result.duplicate else "sent").inc()
        await self._record(outbox.mark_sent, message, via=via, request_id=result.request_id,
                           sent_message_ids=result.sent_message_ids,
                           note="LINE had already accepted this retry key (409)" if result.duplicate else None)

    async def _record(self, change, message: OutboxMessage, **kwargs) -> None:
        async with session_scope(self.sessionmaker) as session:
            await change(session, message, now=self.clock(), **kwargs)
