"""Catalogs, languages, times and cutting: the pieces every translated view is built from."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import regex
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.common import cut, escape, slack_length
from bot.blocks.dates import slack_date
from bot.blocks.help import BINDING_EXAMPLES, BINDING_GRAMMAR, help_blocks
from bot.blocks.home import home_view
from bot.i18n import LANGUAGE_NAMES, SOURCE_LANGUAGE, messages, negotiate, po_path
from bot.locales import CHOICE_TTL, Locales
from bot.models import AccountSource, BindingKey
from bot.preferences import Preferences
from bot.records import BindingDeletion
from bot.roles import Role
from bot.sandbox.blockkit import check_message, check_view
from bot.settings import ConfigurationError, load_settings
from bot.store import ApprovalRequest, ApprovalStatus, ApprovalStore
from tests.test_store import database_url, store  # noqa: F401 (fixtures: SQLite and PostgreSQL)

ROOT = Path(__file__).resolve().parent.parent
# As docs/i18n.md runs pybabel: the default keywords, plus `t(...)`.
KEYWORDS = {"t": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted() -> dict[str | tuple[str, ...], Message]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, ...], Message] = {}
    for path, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        key = message if isinstance(message, str) else tuple(m for m in message if m)
        found[key] = Message(message, locations=[(path, 0)])
    return found


def catalog(code: str) -> Catalog:
    with po_path(code).open("rb") as source:
        return read_po(source)


TRANSLATED = [code for code in LANGUAGE_NAMES if code != SOURCE_LANGUAGE]


def names(text: str) -> set[str]:
    return {m[1] for m in PYTHON_FORMAT.finditer(text) if m[3] != "%"}


def test_the_code_has_messages_and_marks_them_with_named_placeholders() -> None:
    code = extracted()
    assert "Use my Slack language" in code and "WeCom" in code
    for key in code:
        for text in key if isinstance(key, tuple) else (key,):
            positional = [m for m in PYTHON_FORMAT.finditer(text) if m[3] != "%" and not m[1]]
            assert not positional, f"{text!r}: name its placeholders, %(name)s"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_in_every_catalog_translated_and_nothing_stale(code: str) -> None:
    wanted = extracted()
    po = catalog(code)
    assert not po.obsolete, f"obsolete entries in {code}: delete them"
    present = {(m.id if isinstance(m.id, str) else tuple(m.id)): m for m in po if m.id}
    assert sorted(set(wanted) - set(present), key=str) == [], f"missing from {code}"
    assert sorted(set(present) - set(wanted), key=str) == [], f"stale in {code}"
    for key, message in present.items():
        assert "fuzzy" not in message.flags, f"{key!r} is fuzzy in {code}"
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        assert all(strings), f"{key!r} has no {code} translation"


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_match_between_languages(code: str) -> None:
    po = catalog(code)
    assert [(m.id, errors) for m, errors in po.check()] == []  # babel's checkers
    for message in po:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        for string in strings:
            # Stricter than babel: a translation may not drop a placeholder either.
            assert names(string) == names(ids[-1]) == names(ids[0]), (message.id, string)


@pytest.mark.parametrize("code", list(LANGUAGE_NAMES))
def test_every_message_formats_in_every_language(code: str) -> None:
    t = messages(code)
    for key in extracted():
        if isinstance(key, tuple):
            params: dict[str, Any] = {n: "x" for n in names(key[0]) if n != "count"}
            for count in (0, 1, 2):
                assert "%(" not in t.ngettext(key[0], key[1], count, **params)
        else:
            assert "%(" not in t(key, **{n: "x" for n in names(key)})


# Slack styles `*bold*` only where the markers stand at a word's edge: glued to a Chinese
# character or full-width punctuation they show as asterisks.
_BOLD_GLUED = re.compile(
    r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]\*\S|\S\*[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
)


@pytest.mark.parametrize("code", TRANSLATED)
def test_bold_in_a_translation_stands_apart_from_the_characters_around_it(code: str) -> None:
    for message in catalog(code):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            for span in re.finditer(r"\*[^*\s](?:[^*]*[^*\s])?\*", text or ""):
                around = text[max(span.start() - 1, 0) : span.end() + 1]
                assert not _BOLD_GLUED.search(around), f"{message.id!r}: {text!r}"


def test_chinese_is_translated_and_english_is_the_source() -> None:
    assert messages("zh_CN")("Use my Slack language") == "使用我的 Slack 语言"
    assert messages("en")("Use my Slack language") == "Use my Slack language"
    assert messages("zh_CN")("How to use %(command)s", command="/uc") == "/uc 用法"
    more = "…and %(count)d more."
    assert messages("en").ngettext(more, more, 3) == "…and 3 more."
    assert messages("zh_CN").ngettext(more, more, 3) == "……另有 3 条。"


@pytest.mark.parametrize(
    ("tag", "default", "code"),
    [
        ("zh-CN", "en-US", "zh_CN"),
        ("zh-TW", "en-US", "zh_CN"),
        ("zh_Hans_CN", "en-US", "zh_CN"),
        ("en-GB", "zh-CN", "en"),
        ("ja-JP", "zh-CN", "en"),
        (None, "zh-CN", "zh_CN"),
        ("", "en-US", "en"),
        ("klingon!", "zh-CN", "zh_CN"),
    ],
)
def test_languages_are_negotiated(tag: str | None, default: str, code: str) -> None:
    assert negotiate(tag, default) == code


def test_default_locale_is_validated() -> None:
    required = {
        "slack_bot_token": "xoxb-1",
        "slack_signing_secret": "s",
        "bangwo8_base_url": "https://b.example",
        "bangwo8_token": "t",
        "user_customer_base_url": "https://u.example",
        "user_customer_token": "t",
        "_env_file": None,
    }
    assert load_settings(**required).default_locale == "en-US"
    assert load_settings(**required, default_locale="zh-CN").default_locale == "zh-CN"
    with pytest.raises(ConfigurationError, match=r"^DEFAULT_LOCALE: .*not a locale"):
        load_settings(**required, default_locale="nowhere-land")


def test_chinese_source_names_are_aliases_and_labels() -> None:
    assert AccountSource.parse("钉钉") is AccountSource.DINGDING
    assert AccountSource.parse(" 微信 ") is AccountSource.WECHAT
    assert AccountSource.parse("企业微信") is AccountSource.WORK_WECHAT
    assert AccountSource.parse("开放平台") is AccountSource.OPEN
    zh = messages("zh_CN")
    labels = [zh(source.label) for source in AccountSource]
    assert labels == ["钉钉", "微信", "企业微信", "开放平台"]


def test_times_are_slack_date_tokens_with_a_utc_fallback() -> None:
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2026, 11, 24, 1, 9, 30, tzinfo=shanghai)
    assert slack_date(moment) == (
        f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-23 17:09 UTC>"
    )
    assert slack_date(moment) == slack_date(moment.astimezone(UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        slack_date(datetime(2026, 11, 23, 17, 9))


# ---- cutting to Block Kit's limits --------------------------------------------------------

_HARD = [
    "中",
    "文",
    "𠀋",  # CJK extension B: two UTF-16 units
    "😀",
    "👩‍👩‍👧",  # a ZWJ sequence: one character to a reader
    "🇨🇳",  # a flag: two regional indicators
    "é",  # e + combining accent
    "&",
    "<",
    ">",
    "a",
    " ",
    "\n",
    "。",
]
texts = st.lists(
    st.one_of(st.sampled_from(_HARD), st.text(min_size=1, max_size=3)), max_size=80
).map("".join)


def graphemes_end(text: str) -> set[int]:
    ends = {0}
    ends.update(m.end() for m in regex.finditer(r"\X", text))
    return ends


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=60))
def test_cut_keeps_within_the_limit_and_never_splits_a_character(text: str, limit: int) -> None:
    shown = cut(text, limit)
    assert slack_length(shown) <= limit
    if slack_length(text) <= limit:
        assert shown == text
        return
    assert shown.endswith("…")
    head = shown[:-1]
    assert text.startswith(head)
    assert len(head) in graphemes_end(text)


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=1, max_value=60))
def test_cut_never_splits_an_escape_or_markup(text: str, limit: int) -> None:
    escaped = escape(text)
    mention = f"<@U0AGENT> {escaped} <!date^1795000000^{{date_short_pretty}} {{time}}|2026-11-18 17:09 UTC>"
    for source in (escaped, mention):
        head = cut(source, limit).removesuffix("…")
        # Every & still starts a whole escape, and every < is closed.
        assert re.sub(r"&(amp|lt|gt);", "", head).count("&") == 0
        assert head.count("<") == head.count(">")


def test_cut_counts_what_slack_counts() -> None:
    assert slack_length("中文") == 2 and slack_length("😀") == 2
    assert cut("中" * 3000, 3000) == "中" * 3000
    assert cut("中" * 3001, 3000) == "中" * 2999 + "…"
    assert cut("😀" * 10, 5) == "😀😀…"
    assert cut("a &amp; b", 6) == "a …"


# ---- the locale cache ---------------------------------------------------------------------


class FakePreferences:
    def __init__(self) -> None:
        self.chosen: dict[str, str | None] = {}
        self.reads = 0

    async def locale(self, user_id: str) -> str | None:
        self.reads += 1
        await asyncio.sleep(0.01)  # a query takes its time: answers asking meanwhile share it
        return self.chosen.get(user_id)

    async def set_locale(self, user_id: str, locale: str | None, *, now: datetime) -> None:
        self.chosen[user_id] = locale


class CountingSlack:
    """A stand-in for AsyncWebClient's users.info (the end-to-end tests use the sandbox)."""

    def __init__(self, locale: str | None = "zh-CN", fail: bool = False) -> None:
        self.asked: list[dict[str, Any]] = []
        self.locale = locale
        self.fail = fail
        self.gate = asyncio.Event()
        self.gate.set()

    async def users_info(self, **args: Any) -> dict[str, Any]:
        self.asked.append(args)
        await self.gate.wait()
        if self.fail:
            raise TimeoutError
        return {"ok": True, "user": {"id": args["user"], "locale": self.locale}}


async def test_slack_is_asked_once_per_person_until_the_cache_expires() -> None:
    now = [0.0]
    locales = Locales(FakePreferences(), "en-US", ttl=60, maxsize=2, timer=lambda: now[0])  # type: ignore[arg-type]
    slack = CountingSlack()
    slack.gate.clear()
    waiting = [asyncio.create_task(locales.messages(slack, "U1")) for _ in range(5)]  # type: ignore[arg-type]
    await asyncio.sleep(0.01)
    slack.gate.set()
    assert {t.code for t in await asyncio.gather(*waiting)} == {"zh_CN"}
    assert slack.asked == [{"user": "U1", "include_locale": True}]
    await locales.messages(slack, "U1")  # type: ignore[arg-type]
    assert len(slack.asked) == 1
    now[0] = 61
    await locales.messages(slack, "U1")  # type: ignore[arg-type]
    assert len(slack.asked) == 2
    for user in ("U2", "U3", "U1"):  # maxsize 2: U1 was pushed out
        await locales.messages(slack, user)  # type: ignore[arg-type]
    assert len(slack.asked) == 5


async def test_an_unknown_locale_falls_back_to_the_default_and_is_asked_again() -> None:
    locales = Locales(FakePreferences(), "zh-CN")  # type: ignore[arg-type]
    failing = CountingSlack(fail=True)
    assert (await locales.messages(failing, "U1")).code == "zh_CN"  # type: ignore[arg-type]
    assert (await locales.messages(failing, "U1")).code == "zh_CN"  # type: ignore[arg-type]
    assert len(failing.asked) == 2
    english = Locales(FakePreferences(), "en-US")  # type: ignore[arg-type]
    assert (await english.messages(CountingSlack(locale=None), "U1")).code == "en"  # type: ignore[arg-type]


async def test_a_persons_own_choice_wins_and_can_be_undone() -> None:
    preferences = FakePreferences()
    locales = Locales(preferences, "en-US")  # type: ignore[arg-type]
    slack = CountingSlack(locale="zh-CN")
    await locales.choose("U1", "en", now=datetime.now(UTC))
    assert (await locales.messages(slack, "U1")).code == "en"  # type: ignore[arg-type]
    assert locales.known("U1").code == "en"
    await locales.choose("U1", None, now=datetime.now(UTC))
    assert (await locales.messages(slack, "U1")).code == "zh_CN"  # type: ignore[arg-type]


async def test_a_choice_made_on_another_replica_is_followed_within_the_choice_ttl() -> None:
    preferences = FakePreferences()
    now = [0.0]
    here = Locales(preferences, "en-US", timer=lambda: now[0])  # type: ignore[arg-type]
    there = Locales(preferences, "en-US", timer=lambda: now[0])  # type: ignore[arg-type]
    slack = CountingSlack(locale="en-US")
    assert (await here.messages(slack, "U1")).code == "en"  # type: ignore[arg-type]
    await there.choose("U1", "zh_CN", now=datetime.now(UTC))
    assert (await there.messages(slack, "U1")).code == "zh_CN"  # type: ignore[arg-type]
    now[0] += CHOICE_TTL + 1
    # Past the TTL the choice is read again; the answer asking meanwhile is not held for it.
    assert (await here.messages(slack, "U1")).code == "en"  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert (await here.messages(slack, "U1")).code == "zh_CN"  # type: ignore[arg-type]


async def test_answers_wanting_a_choice_at_once_share_one_read() -> None:
    """50 answers missing the choice together queued 50 reads on SQLite's one connection."""
    preferences = FakePreferences()
    now = [0.0]
    locales = Locales(preferences, "en-US", timer=lambda: now[0])  # type: ignore[arg-type]
    slack = CountingSlack(locale="en-US")
    answers = [locales.messages(slack, "U1") for _ in range(50)]  # type: ignore[arg-type]
    assert {m.code for m in await asyncio.gather(*answers)} == {"en"}
    assert preferences.reads == 1
    now[0] += CHOICE_TTL + 1
    answers = [locales.messages(slack, "U1") for _ in range(50)]  # type: ignore[arg-type]
    assert {m.code for m in await asyncio.gather(*answers)} == {"en"}
    assert preferences.reads == 2


# ---- every converted builder holds Block Kit's limits in every language ---------------------

long_texts = st.lists(
    st.sampled_from([*_HARD, "授权码错误", "<!channel>", "&amp;"]), max_size=1500
).map("".join)


def _request(request_id: int, summary: str) -> ApprovalRequest:
    now = datetime(2026, 11, 23, 17, 9, tzinfo=UTC)
    return ApprovalRequest(
        id=request_id,
        requester="U0AGENT",
        channel_id="C0SUPPORT",
        deletion=BindingDeletion(BindingKey(cid=request_id, source=AccountSource.WECHAT)),
        snapshot=[],
        summary=summary,
        status=ApprovalStatus.PENDING,
        created_at=now,
        expires_at=now + timedelta(days=1),
        decided_by=None,
        decided_at=None,
        reason=None,
        result=None,
        finished_at=None,
        message_channel="C0APPROVALS",
        message_ts="1.2",
    )


def _all_texts(node: Any) -> list[str]:
    if isinstance(node, list):
        return [text for item in node for text in _all_texts(item)]
    if not isinstance(node, dict):
        return []
    found = [node["text"]] if isinstance(node.get("text"), str) else []
    return found + [t for v in node.values() if isinstance(v, dict | list) for t in _all_texts(v)]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(list(LANGUAGE_NAMES)), st.lists(long_texts, max_size=14), long_texts)
def test_home_and_help_hold_block_kit_limits_with_any_text(
    code: str, summaries: list[str], problem: str
) -> None:
    t = messages(code)
    pending = [_request(i + 1, summary) for i, summary in enumerate(summaries)]
    view = home_view(t, list(Role), pending, choice=None).to_dict()
    assert check_view(view) == []
    blocks = help_blocks(
        t,
        "/binding",
        BINDING_GRAMMAR,
        BINDING_EXAMPLES,
        correlation_id="abc",
        problem=escape(problem),
    )
    assert check_message("help", blocks) == []
    for text in _all_texts(view["blocks"]) + _all_texts(blocks):
        assert slack_length(text) <= 3000


async def test_a_language_choice_is_stored_and_replaced(store: ApprovalStore) -> None:  # noqa: F811
    preferences = Preferences(store.engine)
    assert await preferences.locale("U1") is None
    await preferences.set_locale("U1", "zh_CN", now=datetime.now(UTC))
    await preferences.set_locale("U2", "en", now=datetime.now(UTC))
    await preferences.set_locale("U1", None, now=datetime.now(UTC))
    assert await preferences.locale("U1") is None
    assert await preferences.locale("U2") == "en"
