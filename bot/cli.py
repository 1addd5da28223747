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
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP address (default 0.0.0.0)")
    commands.add_parser("check", help="validate settings and reach the backends and Slack")
    demo = commands.add_parser("demo", help="the whole product locally, Slack played in a terminal")
    demo.add_argument("--script", help="replay the inputs of this file and print the transcript")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from bot.sandbox.console import run_demo

        try:
            return asyncio.run(run_demo(script=args.script))
        except KeyboardInterrupt:
            return 130
    try:
        settings = load_settings()
    except ConfigurationError as problem:
        print(f"support-bot: configuration error: {problem}", file=sys.stderr)
        return 2
    if args.command == "check":
        from bot.check import run_check

        return asyncio.run(run_check(settings))
    return _serve(settings, host=args.host, port=args.port)


def _serve(settings: Settings, *, host: str, port: int) -> int:
    from bot.migrations import SchemaError
    from bot.server import serve_http, serve_socket_mode, tune_garbage_collector

    logs.configure()
    tune_garbage_collector()  # a process-wide policy: set by the process that serves
    try:
        if settings.slack_app_token is not None:
            asyncio.run(serve_socket_mode(settings))
        else:
            asyncio.run(serve_http(settings, host=host, port=port))
    except SchemaError as problem:
        print(f"support-bot: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
