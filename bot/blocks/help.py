"""Grammar, examples and usage errors for each command, in the reader's language. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.blocks.common import Block, context, escape, escape_entities, footer, section
from bot.i18n import N_, Messages
from bot.models import SOURCE_ALIASES_HELP

# One message per line, so a translator sees one command at a time; escaped once translated
# (`<cId>` would otherwise read as a link to Slack).
BINDING_GRAMMAR: Final = (
    N_("`/binding <cId>`: every binding of a contact, all four sources at once"),
    N_("`/binding <cId> <source>`: one source only"),
    N_("`/binding openid <openId> [<source>]`: which contact a third-party account is bound to"),
    N_("`/binding add`: open the add form"),
    N_("`/binding add <cId> <source> <openId> [<appId>]`: add at once"),
    N_("`/binding edit <cId> <source>`: change openId or appId"),
    N_(
        "`/binding delete <cId> <source>`: preview, then request a delete (a second person approves)"
    ),
    N_("`/binding audit [n]`: the last n audit entries (approvers)"),
)
BINDING_EXAMPLES: Final = N_(
    "`/binding 30851821` · `/binding 30851821 wx` · `/binding openid 10014850 dd` · `/binding add 6862715 wechat 564354327 789`"
)

USER_CUSTOMER_GRAMMAR: Final = (
    N_(
        "`/uc list [<filter>...] [from=YYYY-MM-DD] [to=YYYY-MM-DD] [page=n] [size=n]`: relations, filtered"
    ),
    N_(
        "   filter: `<field><op><value>`, fields `user` `customer` `ref` `template` `script` `is_available` `boss_sync`,"
        " ops `=` `!=` `>` `<` `>=` `<=` `~` (contains);"
        ' a value with spaces or quotes goes in double quotes: `ref="VIP gold"`, `ref~"say \\"hi\\""`'
    ),
    N_("`/uc get <user_id> <customer_id>`: one relation"),
    N_("`/uc follows <user_id> [page=n] [size=n]`: the customers a user follows"),
    N_("`/uc add`: open the add form"),
    N_("`/uc edit <user_id> <customer_id>`: change template, script or reference"),
    N_("`/uc delete <user_id> <customer_id>[,<customer_id>...]`: preview, then request a delete"),
    N_("`/uc audit [n]`: the last n audit entries (approvers)"),
)
USER_CUSTOMER_EXAMPLES: Final = N_(
    "`/uc list user=998 ref~VIP` · `/uc list from=2018-11-01 to=2018-11-30 size=10` · `/uc get 998 1001` · `/uc delete 998 1001,1002`"
)


def grammar_text(t: Messages, grammar: Sequence[str]) -> str:
    """A command's grammar as mrkdwn, one line per form."""
    return escape_entities("\n".join(t(line) for line in grammar))


def help_blocks(
    t: Messages,
    command: str,
    grammar: Sequence[str],
    examples: str,
    *,
    correlation_id: str,
    problem: str | None = None,
) -> list[Block]:
    blocks: list[Block] = []
    if problem:
        blocks.append(
            section(":warning: " + t("I couldn't read that: %(problem)s", problem=problem))
        )
    blocks += [
        section(f"*{command}*\n{grammar_text(t, grammar)}"),
        context(t("Examples: %(examples)s", examples=t(examples))),
    ]
    if command == "/binding":
        aliases = escape(SOURCE_ALIASES_HELP)
        blocks.append(context(t("Sources and aliases: %(aliases)s", aliases=aliases)))
    blocks.append(footer(t, correlation_id))
    return blocks
