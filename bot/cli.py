"""`support-bot serve | demo | check`: the console script."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot import logs
from bot.settings import ConfigurationError, Settings, load_settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="support-bot", description="Slack app for bindings and user-customer relations."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP"
    )
    serve.add_argument(
        "--port", type=int, default=3000, help="HTTP port, /healthz in either mode (default 3000)"
    )
    serve.add_argument("--host", default="0.0.0.0", help="HTTP address (default 0.0.0.0)")
    commands.add_parser("check", help="validate settings and reach the store, backends and Slack")
    demo = commands.add_parser("demo", help="the whole product locally, Slack played in a terminal")
    demo.add_argument("--script", help="replay the inputs of this file and print the transcript")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from bot.sandbox.console import main as demo_main

        return demo_main(args.script)
    if args.command == "check":
        from bot.check import main as check_main

        return check_main()
    try:
        settings = load_settings()
    except ConfigurationError as problem:
        print(f"support-bot: configuration error: {problem}", file=sys.stderr)
        return 2
    return _serve(settings, host=args.host, port=args.port)


def _serve(settings: Settings, *, host: str, port: int) -> int:
    from bot.check import CannotServe
    from bot.migrations import MigrationFailed, SchemaError
    from bot.server import serve, tune_garbage_collector

    logs.configure()
    tune_garbage_collector()  # a process-wide policy: set by the process that serves
    try:
        asyncio.run(serve(settings, host=host, port=port))
    except (CannotServe, SchemaError, MigrationFailed) as problem:
        print(f"support-bot: cannot start: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the stop signals were taken over
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
