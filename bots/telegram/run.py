"""Building, starting and stopping the PTB application inside a caller's event loop."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bots.runner import AdapterMisconfigured
from bots.telegram.application import NewsroomApplication
from bots.telegram.commands import sync_commands
from bots.telegram.deliver import Sender
from bots.telegram.dispatch import Handlers
from bots.telegram.intake import Intake
from bots.telegram.limits import FloodControl
from bots.telegram.logs import protect_token
from bots.telegram.polling import Poller
from bots.telegram.port import TelegramPlatform
from bots.telegram.settings import TelegramSettings
from bots.telegram.transport import AiohttpRequest
from core.app import Core
from core.comments.catch_up import CaughtUp
from core.events import ContentReloaded, Event
from core.store.leadership import Leadership
from core.tasks import cancel_and_wait

if TYPE_CHECKING:
    from bots.web import WebServer

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
# A host sends SIGKILL some seconds after SIGTERM (10 s in our drills, ~30 s on Heroku): stop()
# takes at most this long. In-flight updates get most of it; event deliveries (cards, author
# notices) the rest. What does not finish is delivered again (updates) or posted at the next
# start (cards).
STOP_SECONDS = 8.0
IN_FLIGHT_SECONDS = 6.0
BOOTSTRAP_RETRIES = 3
# Telegram opens at most this many concurrent webhook connections (setWebhook's default is 40).
WEBHOOK_MAX_CONNECTIONS = 40
# How long a webhook request waits for room in memory before Telegram is asked to retry.
WEBHOOK_ROOM_SECONDS = 5.0


class PollingConflict(RuntimeError):
    """Another process polls with the same token (409 Conflict): this one must stop."""

    exit_status = 3


class PollingFailed(RuntimeError):
    """Polling ended and cannot resume (e.g. the token was revoked)."""


class WebhookBusy(RuntimeError):
    """Too many updates wait in memory: the web server answers 503 and Telegram retries."""


def default_concurrency() -> int:
    # Handlers mostly wait on the store and Telegram; a couple per core keeps both busy. More
    # costs CPU for nothing (bench.telegram_read, on httpx: 8 slots on 2 cores took ~15% more
    # CPU per update than 4).
    return max(4, min(32, 2 * (os.cpu_count() or 1)))


class TelegramAdapter:
    """The Telegram adapter: `start()`, then `wait(stop)`, then `stop()` (or `run(stop)`)."""

    def __init__(
        self,
        core: Core,
        settings: TelegramSettings | None = None,
        *,
        poll_timeout: float = 30.0,
        concurrency: int | None = None,
        limiter: FloodControl | None = None,
        webhook_listen: str = "0.0.0.0",
    ) -> None:
        self.core = core
        self.settings = settings or TelegramSettings.from_environment()
        if self.settings.bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.token = self.settings.bot_token.reveal()
        core.grant_moderators("telegram", self.settings.moderator_rule())
        self.poll_timeout = poll_timeout
        # All interfaces by default: the host's router forwards the public URL to PORT.
        self.webhook_listen = webhook_listen
        self.failure: BaseException | None = None
        self._failed = asyncio.Event()
        self._stopping = False
        self.concurrency = concurrency = concurrency or default_concurrency()
        self.poller: Poller | None = None
        self.leadership: Leadership | None = None
        self._electing: asyncio.Task[None] | None = None
        self.web: WebServer | None = None
        # The catch-up `start` begins; alone on the store it ends after one round.
        self.catching_up: asyncio.Task[CaughtUp] | None = None
        # One menu update at a time, each reading the registry when it starts: two reloads in
        # quick succession end with the newer menus, never an interleaving of both.
        self._menus = asyncio.Lock()
        root = self.settings.api_base_url.rstrip("/")
        self.limiter = limiter or FloodControl(pacing=self.settings.rate_limit)
        self.app = (
            Application.builder()
            .token(self.token)
            .base_url(f"{root}/bot{{token}}")
            .base_file_url(f"{root}/file/bot{{token}}")
            .rate_limiter(self.limiter)
            .application_class(NewsroomApplication)
            # Updates come from the inbox (polling.py, the web server), not PTB's Updater.
            .updater(None)
            # Every concurrent handler may hold a connection, plus event deliveries.
            .request(AiohttpRequest(concurrency + 4))
            .get_updates_request(AiohttpRequest(1))
            .build()
        )
        self.sender = Sender(self.app.bot)
        self.handlers = Handlers(core, self.sender, self.settings.moderation_chat_id)
        self.intake = Intake(core, self.app, self.sender, concurrency)
        self.platform = TelegramPlatform(
            self.sender, self.settings.moderation_chat_id, self.settings.announce_chat_ids
        )
        self._install_handlers()

    def _install_handlers(self) -> None:
        h = self.handlers
        messages = filters.UpdateType.MESSAGE
        self.app.add_handler(MessageHandler(messages & filters.COMMAND, h.on_command))
        self.app.add_handler(MessageHandler(messages & filters.TEXT & ~filters.COMMAND, h.on_text))
        self.app.add_handler(CallbackQueryHandler(h.on_callback))
        self.app.add_handler(InlineQueryHandler(h.on_inline))
        self.app.add_error_handler(h.on_error)

    @property
    def webhook_mode(self) -> bool:
        return bool(self.settings.webhook_url)

    async def start(self) -> None:
        """Connect, publish the command menus, subscribe to core events, start receiving."""
        protect_token(self.token)
        await self.app.initialize()
        await self.publish_menus()
        self.core.events.subscribe(self._on_event)
        self.core.relay.attach(self.platform)
        await self.app.start()
        await self.intake.resume()
        if self.webhook_mode:
            await self._start_webhook()
        else:
            await self._start_polling()
        self._catch_up()
        self.core.health_probes["telegram"] = self.healthy
        worker = self.core.presence.worker_id if self.core.presence else "the only worker"
        log.info(
            "Telegram adapter running as @%s: %s (%s)",
            self.app.bot.username,
            self.core.roles["telegram"],
            worker,
        )

    async def publish_menus(self) -> None:
        """The readers' menu and each moderator's, from the registry as it is now."""
        async with self._menus:
            try:
                await sync_commands(
                    self.app.bot,
                    self.core,
                    self.settings.moderator_ids,
                    self.settings.moderation_chat_id,
                )
            except TelegramError as exc:
                log.warning("could not publish the command menus: %s", exc)

    async def _on_event(self, event: Event) -> None:
        """New content with other commands (an article added, removed or renamed): the menus
        follow. A changed text alone leaves them as they are."""
        if isinstance(event, ContentReloaded) and event.commands_changed:
            await self.publish_menus()
            log.info("command menus updated after the content reload")

    async def _start_webhook(self) -> None:
        url = self.settings.webhook_url or ""
        secret = self.settings.webhook_secret
        # Without a configured secret, derive a stable one so forged posts are still refused.
        token = (
            secret.reveal()
            if secret
            else hashlib.sha256(f"webhook:{self.token}".encode()).hexdigest()
        )
        from bots.web import WebServer  # aiohttp: only webhook mode needs it

        self.web = WebServer(
            host=self.webhook_listen,
            port=self.core.settings.port,
            health=self.core.health,
            max_concurrent=WEBHOOK_MAX_CONNECTIONS,
        )
        self.web.add_webhook(
            "/" + urlsplit(url).path.lstrip("/"), secret=token, accept=self._accept_one
        )
        await self.web.start()
        self.core.roles["telegram"] = "webhook receiver, worker"
        await _bootstrap(
            "set the webhook",
            lambda: self.app.bot.set_webhook(
                url,
                secret_token=token,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=WEBHOOK_MAX_CONNECTIONS,
            ),
        )

    async def _accept_one(self, data: Any) -> None:
        # The web server answers 200 only once this returns: the update is in the store. While
        # too many updates wait in memory, Telegram is told to come back later (503), so a
        # backlog stays with Telegram, as polling leaves it there.
        try:
            async with asyncio.timeout(WEBHOOK_ROOM_SECONDS):
                await self.intake.room()
        except TimeoutError:
            raise WebhookBusy("too many updates waiting to be handled") from None
        await self.intake.accept([data])

    async def _start_polling(self) -> None:
        # Polling and a webhook exclude each other: make sure none is set (as PTB's bootstrap).
        await _bootstrap("delete the webhook", self.app.bot.delete_webhook)
        if not self.core.inbox.shared:
            self.core.roles["telegram"] = "poller, worker"
            self._poll()
            return
        # Several processes on PostgreSQL: one polls, elected; the others stand by, and all
        # handle what the inbox holds.
        self.core.roles["telegram"] = "polling standby, worker"
        self.leadership = Leadership(self.core.database, "telegram-poller")
        self._electing = asyncio.create_task(self._poll_when_elected(), name="telegram-election")

    def _poll(self) -> asyncio.Task[None]:
        self.poller = Poller(
            self.app.bot,
            self.intake,
            timeout=self.poll_timeout,
            allowed_updates=ALLOWED_UPDATES,
            on_error=self._polling_error,
        )
        task = self.poller.start()
        task.add_done_callback(self._polling_ended)
        return task

    async def _poll_when_elected(self) -> None:
        assert self.leadership is not None
        while not self._stopping:
            await self.leadership.lead()
            self.core.roles["telegram"] = "poller, worker"
            log.info("elected to poll Telegram")
            polling = self._poll()
            lost = asyncio.ensure_future(self.leadership.lost())
            try:
                await asyncio.wait({polling, lost}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                lost.cancel()
            if not lost.done() or lost.cancelled():
                return  # polling ended for good (_polling_ended reports why)
            log.warning("stopped polling: the election cannot be trusted; standing by")
            if self.poller is not None:
                await self.poller.stop()
                self.poller = None
            self.core.roles["telegram"] = "polling standby, worker"

    def healthy(self) -> bool:
        """Receiving: not failed, and (polling) Telegram answered a poll lately."""
        if self.failure is not None or self._stopping:
            return False
        return self.poller is None or self.poller.in_touch()

    def _polling_error(self, exc: TelegramError) -> None:
        if isinstance(exc, Conflict) and self.core.inbox.shared:
            # Elected, so another poller is a process outside the election, or one that lost
            # the store and has not noticed yet: back off rather than exit.
            log.warning("409 Conflict: another process polls with this bot token; backing off")
            return
        if isinstance(exc, Conflict):
            self._fail(
                PollingConflict(
                    "409 Conflict: another instance is polling with this bot token. "
                    "Run a single instance (or use webhook mode); stopping this one."
                )
            )
            return
        log.warning("polling Telegram failed (will retry with backoff): %s", exc)

    def _polling_ended(self, task: asyncio.Task[None]) -> None:
        # The loop retries every network error; it ends on its own only for a refused token
        # (or a bug): without this the process would stay up and silently receive nothing.
        if self._stopping or task.cancelled():
            return
        error = task.exception()
        if isinstance(error, InvalidToken):
            self._fail(PollingFailed("Telegram refused the bot token (revoked or wrong)."))
        else:
            self._fail(PollingFailed(f"polling stopped unexpectedly: {error!r}"))

    def _catch_up(self) -> None:
        # In the background: a long backlog (paced 20/min in a group) must not delay polling.
        self.catching_up = asyncio.create_task(
            self.core.relay.keep_caught_up(self.platform), name="telegram-catch-up"
        )

    def _fail(self, error: BaseException) -> None:
        if self.failure is None:
            log.critical("%s", error)
            self.failure = error
        self._failed.set()

    async def wait(self, stop: asyncio.Event) -> None:
        """Return when `stop` is set; raise if the adapter failed (409 Conflict, bad token)."""
        stopped = asyncio.ensure_future(stop.wait())
        failed = asyncio.ensure_future(self._failed.wait())
        try:
            await asyncio.wait((stopped, failed), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            failed.cancel()
        if self.failure is not None:
            raise self.failure

    async def stop(self) -> None:
        """Stop taking updates, finish in-flight ones, confirm the offset, let events drain."""
        self._stopping = True
        self.core.events.unsubscribe(self._on_event)
        deadline = asyncio.get_running_loop().time() + STOP_SECONDS
        # The next start delivers whatever is still owed.
        await cancel_and_wait(self.catching_up, ignore_failure=True)
        await cancel_and_wait(self._electing, ignore_failure=True)
        if self.poller is not None:
            await self.poller.stop()  # confirms what the inbox committed
        if self.leadership is not None:
            await self.leadership.resign()  # after confirming: the next poller starts there
        if self.web is not None:
            await self.web.stop()  # answers the requests in progress
        unfinished = await self.intake.join(IN_FLIGHT_SECONDS)
        if unfinished:
            log.warning(
                "%d updates not handled within %.0f s: they stay in the inbox for the next start",
                unfinished,
                IN_FLIGHT_SECONDS,
            )
        if self.app.running:
            await self.app.stop()
        self.core.relay.detach(self.platform)
        left = max(1.0, deadline - asyncio.get_running_loop().time())
        try:
            await asyncio.wait_for(self.core.events.drain(), left)
        except TimeoutError:
            log.warning("some event deliveries did not finish within %.0f s", left)
        await self.app.shutdown()

    async def run(self, stop: asyncio.Event) -> None:
        """start(), wait(stop), stop(): the whole life of the adapter in a shared loop."""
        try:
            await self.start()
            await self.wait(stop)
        finally:
            await self.stop()  # also after a failed start: nothing is left half-open


async def _bootstrap(what: str, call: Callable[[], Awaitable[object]]) -> None:
    """A start-up call retried a few times over network trouble (as PTB's bootstrap_retries)."""
    for attempt in range(BOOTSTRAP_RETRIES + 1):
        try:
            await call()
            return
        except (NetworkError, RetryAfter) as exc:
            if attempt == BOOTSTRAP_RETRIES:
                raise
            log.warning("could not %s (retrying): %s", what, exc)
            await asyncio.sleep(1.0)


async def run_telegram(
    core: Core, stop: asyncio.Event, settings: TelegramSettings | None = None
) -> None:
    """Entry point for `python -m bots`: run until `stop` is set (settings from the environment
    unless given).

    Raises PollingConflict / PollingFailed when Telegram will not let this process receive
    updates; the runner should then exit with a non-zero status.
    """
    try:
        await TelegramAdapter(core, settings).run(stop)
    except InvalidToken as exc:
        raise AdapterMisconfigured(
            "Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather"
        ) from exc
