"""The app's languages: gettext catalogs (Babel) and the `Messages` object views write with.

English is the source language: every message is written in English in the code, marked with
`t(...)`, `t.ngettext(...)` or `N_(...)`, and each other language has a catalog
`bot/i18n/locale/<code>/LC_MESSAGES/messages.po` (see docs/i18n.md).

The `.po` files are the only thing shipped: each is compiled in memory the first time its
language is needed (babel's pofile/mofile), so there is no build step and no `.mo` that can
drift from the `.po` it came from. Fuzzy entries are left out, so a doubtful translation
shows the English original rather than a wrong sentence.

Placeholders are named, `%(name)s`, so a translation may move them (and babel's checker can
compare them); every message is %-formatted, so a literal percent sign is written `%%`.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CATALOGS: Final = Path(__file__).parent / "locale"
DOMAIN: Final = "messages"
SOURCE_LANGUAGE: Final = "en"
# The catalog each Slack language is answered in: by language, so zh-TW and zh-HK read
# Simplified Chinese too (the team's choice), and every other language reads English.
LANGUAGES: Final[Mapping[str, str]] = {"en": "en", "zh": "zh_CN"}
# How each language names itself, for the language picker.
LANGUAGE_NAMES: Final[Mapping[str, str]] = {"en": "English", "zh_CN": "简体中文"}
# The language picker's choice that means "no choice of my own: follow my Slack language".
FOLLOW_SLACK: Final = "slack"


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; translate it where it is shown."""
    return message


def parse_locale(tag: str) -> Locale:
    """`en-US`, `zh_CN`, `zh-Hans-CN` as Babel reads them; ValueError when it is no locale."""
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise ValueError(f"{tag!r} is not a locale such as en-US or zh-CN") from error


# Slack has a few dozen locales; parsing one with Babel cost more than the rest of choosing.
@lru_cache(maxsize=256)
def negotiate(tag: str | None, default: str) -> str:
    """The catalog code for a Slack locale (`zh-CN` → `zh_CN`), `default`'s when unknown."""
    for candidate in (tag, default):
        if not candidate:
            continue
        try:
            language = parse_locale(candidate).language
        except ValueError:
            continue
        return LANGUAGES.get(language, SOURCE_LANGUAGE)
    return SOURCE_LANGUAGE


def parse_choice(value: str) -> str | None:
    """A language picker value: a catalog code, or None for `FOLLOW_SLACK`; ValueError else."""
    if value == FOLLOW_SLACK:
        return None
    if value in LANGUAGE_NAMES:
        return value
    raise ValueError(f"{value!r} is not a language choice")


@dataclass(frozen=True, eq=False)
class Messages:
    """Every sentence for one reader's language: `t("Hello %(name)s", name=...)`.

    Parameters are inserted as given: pass text that is already safe for where it goes
    (escaped or `code(...)` for mrkdwn).
    """

    code: str
    locale: Locale
    translations: gettext.NullTranslations

    def gettext(self, message: str, /, **params: object) -> str:
        return self.translations.gettext(message) % params

    __call__ = gettext

    def ngettext(self, singular: str, plural: str, count: int, /, **params: object) -> str:
        """A message that depends on a number, given to the text as `%(count)d`."""
        return self.translations.ngettext(singular, plural, count) % {"count": count, **params}

    def language_name(self) -> str:
        return LANGUAGE_NAMES[self.code]


def compile_catalog(po_file: Path) -> gettext.GNUTranslations:
    with po_file.open("rb") as source:
        catalog = read_po(source, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def po_path(code: str) -> Path:
    return CATALOGS / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def messages(code: str) -> Messages:
    """The `Messages` of a catalog code (`en`, `zh_CN`); compiled once per process."""
    if code not in LANGUAGE_NAMES:
        raise ValueError(f"no catalog for {code!r}; have {sorted(LANGUAGE_NAMES)}")
    translations = (
        gettext.NullTranslations() if code == SOURCE_LANGUAGE else compile_catalog(po_path(code))
    )
    return Messages(code, Locale.parse(code), translations)


def messages_for(tag: str | None, default: str) -> Messages:
    """The `Messages` for a Slack locale such as `zh-CN`, or `default`'s language."""
    return messages(negotiate(tag, default))


class Sentence:
    """A message and its parameters, said in the reader's language once the reader is known.

    Errors and usage problems are raised where no reader is known (a parser, a backend
    client); they carry a `Sentence`, and the view says it with the reader's `t`. A parameter
    that is itself a `Sentence` is said in the same language. `str()` is the English, for logs.
    """

    __slots__ = ("message", "params")

    def __init__(self, message: str, /, **params: object) -> None:
        self.message = message
        self.params = params

    def say(self, t: Messages) -> str:
        params = {
            name: value.say(t) if isinstance(value, Sentence) else value
            for name, value in self.params.items()
        }
        return t(self.message, **params)

    def __str__(self) -> str:
        return self.say(messages(SOURCE_LANGUAGE))

    def __repr__(self) -> str:
        return f"Sentence({self.message!r}, **{self.params!r})"
