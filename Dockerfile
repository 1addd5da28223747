# support-bot: `support-bot serve`, in Socket Mode when SLACK_APP_TOKEN is set, else HTTP on 3000.
#   docker build -t support-bot .
#   docker run --env-file .env -p 3000:3000 -v support-bot-data:/data --stop-timeout 35 support-bot
# SIGTERM lets acked requests finish their backend calls (up to 30 s), hence the stop timeout.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY . /tmp/src
RUN pip install "/tmp/src[postgres]" && rm -rf /tmp/src

RUN useradd --system --user-group --uid 10001 --home-dir /data --create-home support-bot
USER support-bot
WORKDIR /data
# The approvals store outlives the container on this volume (or set a postgresql:// URL).
ENV DATABASE_URL=sqlite+aiosqlite:////data/support-bot.db
VOLUME ["/data"]

EXPOSE 3000
# Either mode answers GET /healthz on 3000: 503 while the store is unreachable or, in Socket
# Mode, while the websocket to Slack is down (liveness pings find a dead one within seconds).
HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 CMD \
    python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"

CMD ["support-bot", "serve"]
