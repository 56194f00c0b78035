"""Drill: SIGKILL the Telegram bot at random moments while many authors submit comments.

Run: `.venv/bin/python -m drills.kill9 [--rounds 20] [--authors 24] [--mode both] [--seed 1]`

Each author goes through the real flow: `/comment <text>`, then presses the preview's Send
button (its callback_data read from the fake's recorded sendMessage); the confirmation ("waiting
for a moderator") is the acknowledgement. Readers meanwhile send `/help` and `/faq <question>`
(reads: nothing stored but the inbox entry), each from a chat of its own so every answer is
counted against its update. A few authors per round send a bare `/comment` shortly before the
kill (the bot stores the prompt and answers with a ForceReply) and, once the bot is back, reply
to that prompt with their text: it must come back as a preview, not as an answer to a question.

The bot (`python -m bots.telegram`, SQLite file) is killed with SIGKILL at a random moment of
each round and restarted against the same store and the same fake Bot API, which re-delivers
whatever was not confirmed: in polling mode the updates no poll confirmed; in webhook mode the
fake POSTs every update to the webhook as Telegram does, retrying until it is answered 200. On
top of that, every update pushed in the last seconds before the kill is delivered again (as
Telegram does when the confirming poll, or the webhook's 200, never arrived), so the
exactly-once path is exercised in every round.

Exits non-zero if an acknowledged comment is missing, a comment is stored twice, an update got
a second confirmation, preview, read answer or prompt (other than one re-sent because the kill
fell between sending it and storing that it was handled), a submission's reply, a read or an
update was lost, a prompt did not survive the restart, a stored comment has no moderation card,
or `PRAGMA integrity_check` is not ok.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import random
import re
import sys
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import table
from drills._process import (
    MODERATION_CHAT,
    BotProcess,
    CallIndex,
    DrillReport,
    bot_env,
    button_data,
    integrity,
    pending_ids,
    quiet_fake_server,
    settle,
    sqlite_rows,
    workdir,
)
from drills._webhook import Webhook, WebhookBotApi
from tests.support.telegram_api import Call, FakeBotApi

TOKEN_RE = re.compile(r"\bk\d+u\d+n\d+\b")
ACK = "is waiting for a moderator"
SEND = "✅ Send"
MODES = ("polling", "webhook")
FIRST_AUTHOR = 20_001
# Prompters and readers get a chat of their own per flow, so every reply in it is theirs.
FIRST_PROMPTER = 1_000_000
FIRST_READER = 2_000_000
PROMPT_TOKEN_BASE = 500  # the `u` part of a prompter's token: apart from the authors'
# Updates pushed this long before a kill are delivered again after the restart.
REPLAY_WINDOW = 1.5
MAX_FLOWS_PER_ROUND = 40  # per author: bounds each round's load
MAX_READS_PER_ROUND = 40  # per reader
READERS = 8
PROMPTERS = 4
# Prompters send their bare /comment this long before the planned kill, so most prompts are
# answered (and stored) by the process about to die, and answered by the user after it.
PROMPT_LEAD = (0.15, 0.6)
PROMPT_ANSWER_SECONDS = 15.0
READS = [
    "/help",
    "/faq Why wasn't Microsoft part of the announcement?",
    "/faq stargate objective",
    "/faq how much will be invested in stargate",
    "/faq who is invloved in stargate",  # a typo: a fuzzy match
    "/faq what is the weather on mars tomorrow",  # nothing close: recorded as unanswered
]
# A reply that left just before the kill, whose delivery the bot had not yet stored, is sent
# again after the restart (at least once: the alternative is losing it). A second reply to an
# update answered longer ago than this before the kill is a bug.
RESEND_WINDOW = 1.0
HEADERS = [
    "round", "killed after s", "injected", "acknowledged", "present after restart",
    "re-delivered", "duplicates", "2nd replies", "reply lost (stored)", "update lost",
    "integrity", "re-sent (unconfirmed at kill)",
]  # fmt: skip
READ_HEADERS = [
    "round", "reads", "answered once", "repeated (send-then-record instant)", "2nd answers",
    "unanswered", "prompts", "prompted before kill", "survived", "lost",
    "prompt re-sent (instant)", "2nd prompts",
]  # fmt: skip


@dataclass
class Flow:
    """One author's comment, from `/comment` to the confirmation."""

    round: int
    user_id: int
    token: str
    text: str
    preview: Call | None = None
    comment_id: int | None = None  # set once acknowledged


@dataclass
class Read:
    """One `/help` or `/faq` from a chat of its own: every answer in that chat is to it."""

    round: int
    chat_id: int
    text: str
    update_id: int = 0


@dataclass
class PromptFlow:
    """A bare `/comment` (answered with a stored prompt), then the text replying to it."""

    round: int
    chat_id: int
    token: str
    update_id: int = 0  # of the bare /comment
    prompt: Call | None = None
    answered_at: float | None = None  # when the text replying to the prompt was pushed


def keys(call: Call) -> list[Hashable]:
    text = str(call.params.get("text") or "")
    chat = call.params.get("chat_id")
    if call.method == "sendMessage" and (match := TOKEN_RE.search(text)):
        kind = "card" if chat == MODERATION_CHAT else "preview"
        return [(kind, match.group())]
    if ACK in text:
        if call.method == "editMessageText":
            return [("ack", chat, call.params.get("message_id"))]
        return [("ack-sent", chat)]
    if call.method == "sendMessage" and isinstance(chat, int) and chat >= FIRST_PROMPTER:
        markup = call.params.get("reply_markup") or {}
        if isinstance(markup, dict) and markup.get("force_reply"):
            return [("prompt", chat)]
        return [("answer", chat)]
    return []


class Load:
    """Authors, readers and prompters; remembers every update pushed and every flow."""

    def __init__(self, api: FakeBotApi, index: CallIndex, authors: int, seed: int) -> None:
        self.api = api
        self.index = index
        self.rng = random.Random(seed)
        self.users = [FakeBotApi.user(FIRST_AUTHOR + i, f"Author{i}") for i in range(authors)]
        self.flows: list[Flow] = []
        self.reads: list[Read] = []
        self.prompts: list[PromptFlow] = []
        self.kills: dict[int, float] = {}  # round -> when the bot was killed
        self.pushed: list[tuple[float, dict[str, Any]]] = []
        self.replayed: set[int] = set()  # update ids delivered again after a kill
        self._readers = 0

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        self.pushed.append((time.monotonic(), update))
        return update

    async def author(self, round_: int, user: dict[str, Any], stop: asyncio.Event) -> None:
        for n in range(MAX_FLOWS_PER_ROUND):
            if stop.is_set():
                return
            token = f"k{round_}u{user['id'] - FIRST_AUTHOR}n{n}"
            flow = Flow(round_, user["id"], token, f"Drill comment {token} on the timeline.")
            self.flows.append(flow)
            self._push(self.api.message(user, f"/comment {flow.text}"))
            flow.preview = await self.index.first(("preview", token))
            await self._send(flow, user)

    async def _send(self, flow: Flow, user: dict[str, Any]) -> None:
        """Press the preview's Send and wait for the confirmation."""
        assert flow.preview is not None
        data = button_data(flow.preview, SEND)
        if data is None:
            return  # refused (e.g. a rule): not a submission
        self._push(self.api.press(user, flow.preview.result, data))
        ack = await self.index.first(("ack", user["id"], flow.preview.result["message_id"]))
        found = re.search(r"#(\d+)", str(ack.params["text"]))
        flow.comment_id = int(found.group(1)) if found else -1

    async def reader(self, round_: int, stop: asyncio.Event) -> None:
        for _ in range(MAX_READS_PER_ROUND):
            if stop.is_set():
                return
            self._readers += 1
            user = FakeBotApi.user(FIRST_READER + self._readers, f"Reader{self._readers}")
            read = Read(round_, user["id"], self.rng.choice(READS))
            self.reads.append(read)
            read.update_id = self._push(self.api.message(user, read.text))["update_id"]
            await self.index.first(("answer", read.chat_id))

    async def prompter(
        self, round_: int, n: int, send_at: float, restarted: asyncio.Event
    ) -> None:
        """A bare /comment `send_at` s into the round; its text only once the bot restarted."""
        await asyncio.sleep(send_at)
        user = FakeBotApi.user(FIRST_PROMPTER + round_ * 1000 + n, f"Prompter{n}")
        flow = PromptFlow(round_, user["id"], f"k{round_}u{PROMPT_TOKEN_BASE + n}n0")
        self.prompts.append(flow)
        flow.update_id = self._push(self.api.message(user, "/comment"))["update_id"]
        flow.prompt = await self.index.first(("prompt", flow.chat_id))
        await restarted.wait()
        text = f"Prompted comment {flow.token}, written after the restart."
        flow.answered_at = time.monotonic()
        self._push(self.api.message(user, text, reply_to=flow.prompt.result))
        async with asyncio.timeout(PROMPT_ANSWER_SECONDS):
            preview = await self.index.first(("preview", flow.token))
        # The prompt survived: from here on it is an ordinary submission.
        comment = Flow(round_, user["id"], flow.token, text, preview)
        self.flows.append(comment)
        await self._send(comment, user)

    def replay_recent(self, since: float) -> int:
        """Deliver again the updates pushed after `since` that the bot already confirmed."""
        still_queued = pending_ids(self.api)
        replayed = 0
        for at, update in self.pushed:
            if at >= since and update["update_id"] not in still_queued:
                self.api.push(copy.deepcopy(update))
                self.replayed.add(update["update_id"])
                replayed += 1
        return replayed


@dataclass
class Kill9Report(DrillReport):
    """The comment table, then the reads and prompts table."""

    read_rows: list[list[object]] = field(default_factory=list)

    def sections(self) -> list[str]:
        return ["reads and prompts:", "", table(READ_HEADERS, self.read_rows), ""]


async def run(
    rounds: int = 20,
    authors: int = 24,
    seed: int = 1,
    replay_window: float = REPLAY_WINDOW,
    entry: str = "bots.telegram",
    keep: Path | None = None,
    mode: str = "polling",
    readers: int = READERS,
    prompters: int = PROMPTERS,
) -> Kill9Report:
    if mode not in MODES:
        raise ValueError(f"mode is one of {', '.join(MODES)}")
    quiet_fake_server()
    rng = random.Random(seed)
    report = Kill9Report(
        f"kill -9 drill, {mode} mode: {rounds} rounds, {authors} authors, {readers} readers, "
        f"{prompters} prompters a round, SQLite, seed {seed}, updates of the last "
        f"{replay_window:g} s before each kill delivered again",
        HEADERS,
    )
    root = keep or workdir(f"drill-kill9-{mode}-")
    db = root / "bot.sqlite3"
    webhook = Webhook() if mode == "webhook" else None
    api = WebhookBotApi() if webhook is not None else FakeBotApi()
    await api.start()
    extra = webhook.env() if webhook is not None else {}
    bot = BotProcess(bot_env(api.root, f"sqlite+aiosqlite:///{db}", **extra), root, entry)
    try:
        async with CallIndex(api, keys) as index:
            load = Load(api, index, authors, seed)
            await bot.start()
            for round_ in range(1, rounds + 1):
                await _one_round(
                    load, round_, bot, rng, db, report, replay_window, readers, prompters
                )
            await _final_checks(load, index, bot, db, report)
            if isinstance(api, WebhookBotApi):
                attempts = ", ".join(f"{k}: {v}" for k, v in sorted(api.statuses.items()))
                report.notes.append(f"webhook delivery attempts by outcome: {attempts}")
    finally:
        await bot.close()
        await api.stop()
        report.tidy(root, keep=keep, what="store and bot log")
    return report


async def _one_round(
    load: Load,
    round_: int,
    bot: BotProcess,
    rng: random.Random,
    db: Path,
    report: Kill9Report,
    replay_window: float,
    readers: int,
    prompters: int,
) -> None:
    first_flow, first_read, first_prompt = len(load.flows), len(load.reads), len(load.prompts)
    stop = asyncio.Event()
    restarted = asyncio.Event()
    killed_after = rng.uniform(0.3, 2.5)
    tasks = [asyncio.create_task(load.author(round_, u, stop)) for u in load.users]
    tasks += [asyncio.create_task(load.reader(round_, stop)) for _ in range(readers)]
    tasks += [
        asyncio.create_task(
            load.prompter(
                round_, n, max(0.05, killed_after - rng.uniform(*PROMPT_LEAD)), restarted
            )
        )
        for n in range(prompters)
    ]
    await asyncio.sleep(killed_after)
    stop.set()
    await bot.kill()
    kill_time = load.kills[round_] = time.monotonic()
    sound = integrity(db)  # straight after the kill, before anything repairs the WAL
    replayed = load.replay_recent(kill_time - replay_window) if replay_window else 0
    await bot.start()
    restarted.set()
    # Authors still waiting get their answers from the new process; then all is quiet.
    deadline = time.monotonic() + 60
    while not all(t.done() for t in tasks) and time.monotonic() < deadline:
        if await settle(load.api, quiet=1.0, within=5):
            break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    flows = load.flows[first_flow:]
    report.rows.append(_row(load, round_, killed_after, kill_time, flows, replayed, db, sound))
    report.read_rows.append(
        _read_row(load, round_, kill_time, load.reads[first_read:], load.prompts[first_prompt:])
    )


def repeats(calls: list[Call], kill_time: float) -> tuple[int, int]:
    """Of the repeats among `calls` (one update's answers): (those the send-then-record instant
    explains, the others).

    The instant explains one: an answer the killed process sent in its last moments, before it
    recorded the update handled, sent once more by the next process. A second answer from one
    process, or from a reply sent longer before the kill, is not explained.
    """
    if len(calls) < 2:
        return 0, 0
    before = [c for c in calls if c.at <= kill_time]
    explained = int(len(before) == 1 and kill_time - RESEND_WINDOW <= before[0].at)
    return explained, len(calls) - 1 - explained


def _row(
    load: Load,
    round_: int,
    killed_after: float,
    kill_time: float,
    flows: list[Flow],
    replayed: int,
    db: Path,
    sound: str,
) -> list[object]:
    stored = _stored(db)
    acked = [f for f in flows if f.comment_id is not None]
    present = [f for f in acked if stored.get(f.comment_id or 0) == (str(f.user_id), f.text)]
    texts = {text for _, text in stored.values()}
    drafts = {str(r[0]) for r in sqlite_rows(db, "SELECT text FROM comment_drafts")}
    unanswered = [f for f in flows if f.comment_id is None]
    # Stored but unanswered: the kill fell between the commit and the reply.
    reply_lost = [
        f for f in unanswered if f.text in texts or (f.preview is None and f.text in drafts)
    ]
    second = resent = 0
    for flow in flows:
        keys: list[Hashable] = [("preview", flow.token)]
        if flow.preview is not None:
            keys.append(("ack", flow.user_id, flow.preview.result["message_id"]))
        for key in keys:
            explained, other = repeats(load.index.by_key.get(key, []), kill_time)
            resent += explained
            second += other
    return [
        round_, killed_after, len(flows), len(acked), len(present), replayed,
        _duplicates(db), second, len(reply_lost), len(unanswered) - len(reply_lost), sound,
        resent,
    ]  # fmt: skip


def _read_row(
    load: Load, round_: int, kill_time: float, reads: list[Read], prompts: list[PromptFlow]
) -> list[object]:
    by_key = load.index.by_key
    once = repeated = second = unanswered = 0
    for read in reads:
        calls = by_key.get(("answer", read.chat_id), [])
        if not calls:
            unanswered += 1
            continue
        answers = _answers(calls)
        once += len(answers) == 1
        explained, other = repeats(answers, kill_time)
        repeated += explained
        second += other
    before_kill = survived = lost = prompt_resent = prompt_second = 0
    for flow in prompts:
        shown = by_key.get(("prompt", flow.chat_id), [])
        if shown and shown[0].at <= kill_time:
            before_kill += 1
        if by_key.get(("preview", flow.token)):
            survived += 1
        else:
            lost += 1  # never prompted, or the text was not taken as the comment
        explained, other = repeats(shown, kill_time)
        prompt_resent += explained
        prompt_second += other
    return [
        round_, len(reads), once, repeated, second, unanswered, len(prompts), before_kill,
        survived, lost, prompt_resent, prompt_second,
    ]  # fmt: skip


def _answers(calls: list[Call]) -> list[Call]:
    """The answers among a chat's messages: an answer split into several messages starts with
    the same first chunk each time."""
    return [c for c in calls if c.params.get("text") == calls[0].params.get("text")]


def _stored(db: Path) -> dict[int, tuple[str, str]]:
    rows = sqlite_rows(db, "SELECT id, author_user_id, text FROM comments")
    return {int(i): (str(author), str(text)) for i, author, text in rows}


def _duplicates(db: Path) -> int:
    rows = sqlite_rows(
        db,
        "SELECT count(*) - 1 FROM comments GROUP BY author_platform, author_user_id, text "
        "HAVING count(*) > 1",
    )
    return sum(int(r[0]) for r in rows)


async def _final_checks(
    load: Load, index: CallIndex, bot: BotProcess, db: Path, report: Kill9Report
) -> None:
    await bot.close()
    stored = _stored(db)
    acked = [f for f in load.flows if f.comment_id is not None]
    missing = [f for f in acked if stored.get(f.comment_id or 0) != (str(f.user_id), f.text)]
    if missing:
        report.problems.append(
            f"{len(missing)} acknowledged comments missing, e.g. {missing[0].token}"
        )
    if (dups := _duplicates(db)) > 0:
        report.problems.append(f"{dups} duplicate comments (same author and text)")
    if (sound := integrity(db)) != "ok":
        report.problems.append(f"integrity_check: {sound}")
    for row in report.rows:
        if row[10] != "ok":
            report.problems.append(f"round {row[0]}: integrity_check after the kill: {row[10]}")
        if row[7]:
            report.problems.append(f"round {row[0]}: {row[7]} second previews/confirmations")
        if row[8] or row[9]:
            report.problems.append(
                f"round {row[0]}: {row[8]} replies lost after the commit, {row[9]} updates lost"
            )
    for row in report.read_rows:
        if row[4] or row[5]:
            report.problems.append(
                f"round {row[0]}: {row[4]} second answers to reads, {row[5]} reads unanswered"
            )
        if row[9]:
            report.problems.append(f"round {row[0]}: {row[9]} prompts lost")
        if row[11]:
            report.problems.append(
                f"round {row[0]}: {row[11]} prompts sent twice (not the send-then-record instant)"
            )
    _name_failures(load, report)
    if sum(1 for f in load.flows if ("ack-sent", f.user_id) in index.by_key):
        report.problems.append("a confirmation was sent as a new message instead of an edit")
    unanswered = sum(1 for f in load.flows if f.comment_id is None)
    cards_missing = sqlite_rows(
        db,
        "SELECT count(*) FROM comments c WHERE NOT EXISTS "
        "(SELECT 1 FROM moderation_posts p WHERE p.comment_id = c.id)",
    )[0][0]
    if cards_missing:
        report.problems.append(f"{cards_missing} stored comments never got a moderation card")
    # Every prompt was answered: one still stored would take the user's next text as a comment.
    stale = sqlite_rows(
        db, "SELECT count(*) FROM prompts WHERE CAST(chat_id AS INTEGER) >= ?", (FIRST_PROMPTER,)
    )[0][0]
    if stale:
        report.problems.append(f"{stale} prompts still stored after the text answering them")
    reads = len(load.reads)
    repeated = sum(int(str(row[3])) for row in report.read_rows)
    gaps = _instant_gaps(load)
    spread = f" (their first answers left {min(gaps):.0f}-{max(gaps):.0f} ms before it)"
    prompted = sum(int(str(row[7])) for row in report.read_rows)
    survived = sum(int(str(row[8])) for row in report.read_rows)
    report.notes += [
        f"{len(acked)} comments acknowledged over {len(report.rows)} kills, "
        f"{len(stored)} stored, {len(missing)} missing",
        f"{unanswered} submissions never answered; 'reply lost (stored)': the draft or comment "
        "was committed but its reply never came, even after the restart; 'update lost': taken "
        "from Telegram (the offset confirmed, or the webhook answered 200) but never handled",
        f"'re-sent': a reply that left in the last {RESEND_WINDOW:g} s before the kill, before "
        "the bot stored that it had, sent once more by the next process; '2nd replies': any "
        "other repeat of a preview or confirmation (a second one from the same process, or a "
        "third)",
        f"{reads} reads (/help, /faq), each from a chat of its own; {repeated} answered once "
        "more in the send-then-record instant (the first answer in the last "
        f"{RESEND_WINDOW:g} s before the kill, its inbox entry not yet marked handled, "
        f"answered again by the next process){spread if gaps else ''}; any other repeat is a "
        "second answer, a failure",
        f"{len(load.prompts)} prompts (bare /comment), {prompted} shown before the kill; "
        f"{survived} answered by the text sent after the restart (a preview came), the rest "
        "lost (the text was taken as a question, or no prompt came); prompts shown again are "
        "classified as reads are",
        f"{cards_missing} stored comments have no moderation card (cards the dead process never "
        f"posted are posted at the next start); {stale} prompts still stored once answered",
        f"bot started {bot.starts} times",
    ]


def _instant_gaps(load: Load) -> list[float]:
    """For each read answered again in the instant: ms from its first answer to the kill."""
    gaps = []
    for read in load.reads:
        answers = _answers(load.index.by_key.get(("answer", read.chat_id), []))
        kill = load.kills.get(read.round, 0.0)
        if repeats(answers, kill)[0]:
            gaps.append((kill - answers[0].at) * 1000)
    return gaps


def _name_failures(load: Load, report: Kill9Report) -> None:
    """Name a few of the reads and prompts that failed, with what their chat received."""
    by_key = load.index.by_key
    named = 0
    for read in load.reads:
        answers = _answers(by_key.get(("answer", read.chat_id), []))
        kill = load.kills.get(read.round, 0.0)
        if (not answers or repeats(answers, kill)[1]) and named < 5:
            named += 1
            report.notes.append(
                f"read in chat {read.chat_id} (round {read.round}, {read.text!r}): "
                f"{len(answers)} answers, at {_times(answers, kill)} from the kill; delivered "
                f"again after the kill: {'yes' if read.update_id in load.replayed else 'no'}"
            )
    for flow in load.prompts:
        kill = load.kills.get(flow.round, 0.0)
        shown = by_key.get(("prompt", flow.chat_id), [])
        previewed = bool(by_key.get(("preview", flow.token)))
        if (previewed and not repeats(shown, kill)[1]) or named >= 10:
            continue
        named += 1
        other = [str(c.params.get("text"))[:60] for c in by_key.get(("answer", flow.chat_id), [])]
        answered = f"{flow.answered_at - kill:+.3f} s" if flow.answered_at else "never"
        report.notes.append(
            f"prompt in chat {flow.chat_id} (round {flow.round}): shown {len(shown)} times, at "
            f"{_times(shown, kill)} from the kill; the text replying to it pushed at "
            f"{answered}; {'previewed' if previewed else 'not previewed'}; the /comment "
            f"delivered again after the kill: {'yes' if flow.update_id in load.replayed else 'no'}"
            f"; other messages to the chat: {other or 'none'}"
        )


def _times(calls: list[Call], kill: float) -> str:
    return ", ".join(f"{c.at - kill:+.3f} s" for c in calls) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--authors", type=int, default=24)
    parser.add_argument("--readers", type=int, default=READERS)
    parser.add_argument("--prompters", type=int, default=PROMPTERS, help="per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--mode",
        choices=[*MODES, "both"],
        default="both",
        help="how the bot receives updates (both: one drill per mode, one table each)",
    )
    parser.add_argument(
        "--replay-window",
        type=float,
        default=REPLAY_WINDOW,
        help="deliver again the updates of this many seconds before each kill (0: only what "
        "the fake holds unconfirmed, as Telegram does)",
    )
    parser.add_argument(
        "--entry", default="bots.telegram", help="module the bot runs as: bots.telegram or bots"
    )
    args = parser.parse_args(argv)
    modes = MODES if args.mode == "both" else (args.mode,)
    ok = True
    print(f"bot: python -m {args.entry}")
    for mode in modes:
        report = asyncio.run(
            run(
                args.rounds,
                args.authors,
                args.seed,
                args.replay_window,
                args.entry,
                mode=mode,
                readers=args.readers,
                prompters=args.prompters,
            )
        )
        print()
        print(report.render())
        ok = ok and report.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
