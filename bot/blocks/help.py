"""Grammar, examples and usage errors for each command. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.blocks.common import context, escape, escape_entities, footer, section
from bot.models import SOURCE_ALIASES_HELP

# Escaped once here: `<cId>` would otherwise read as a link to Slack.
BINDING_GRAMMAR = escape_entities(
    "\n".join(
        [
            "`/binding <cId>`: every binding of a contact, all four sources at once",
            "`/binding <cId> <source>`: one source only",
            "`/binding openid <openId> [<source>]`: which contact a third-party account is bound to",
            "`/binding add`: open the add form",
            "`/binding add <cId> <source> <openId> [<appId>]`: add at once",
            "`/binding edit <cId> <source>`: change openId or appId",
            "`/binding delete <cId> <source>`: preview, then request a delete (a second person approves)",
            "`/binding audit [n]`: the last n audit entries (approvers)",
        ]
    )
)
BINDING_EXAMPLES = "`/binding 30851821` · `/binding 30851821 wx` · `/binding openid 10014850 dd` · `/binding add 6862715 wechat 564354327 789`"

UC_GRAMMAR = escape_entities(
    "\n".join(
        [
            "`/uc list [<filter>...] [from=YYYY-MM-DD] [to=YYYY-MM-DD] [page=n] [size=n]`: relations, filtered",
            "   filter: `<field><op><value>`, fields `user` `customer` `ref` `template` `script` `is_available` `boss_sync`,"
            " ops `=` `!=` `>` `<` `>=` `<=` `~` (contains);"
            ' a value with spaces or quotes goes in double quotes: `ref="VIP gold"`, `ref~"say \\"hi\\""`',
            "`/uc get <user_id> <customer_id>`: one relation",
            "`/uc follows <user_id> [page=n] [size=n]`: the customers a user follows",
            "`/uc add`: open the add form",
            "`/uc edit <user_id> <customer_id>`: change template, script or reference",
            "`/uc delete <user_id> <customer_id>[,<customer_id>...]`: preview, then request a delete",
            "`/uc audit [n]`: the last n audit entries (approvers)",
        ]
    )
)
UC_EXAMPLES = "`/uc list user=998 ref~VIP` · `/uc list from=2018-11-01 to=2018-11-30 size=10` · `/uc get 998 1001` · `/uc delete 998 1001,1002`"


def help_blocks(
    command: str, grammar: str, examples: str, *, correlation_id: str, problem: str | None = None
) -> list[Block]:
    blocks: list[Block] = []
    if problem:
        blocks.append(section(f":warning: I couldn't read that: {problem}"))
    blocks += [
        section(f"*{command}*\n{grammar}"),
        context(f"Examples: {examples}"),
    ]
    if command == "/binding":
        blocks.append(context(f"Sources and aliases: {escape(SOURCE_ALIASES_HELP)}"))
    blocks.append(footer(correlation_id))
    return blocks
