"""support-bot under load, side by side with a lean reference app and a bare ack-only app.

    python benchmarks/ack.py            # the full run: three rounds, three to four minutes
    python benchmarks/ack.py --quick    # three short rounds, for a first look
    python -m benchmarks.load [--quick] # the same

Processes, all on 127.0.0.1:

- backends: the sandbox's emulated bangwo8, UserCustomer and Slack Web API, plus a control
  endpoint that sets bangwo8's latency between phases and counts its GETs;
- app: support-bot exactly as production starts it (`python -m bot.cli serve`, settings from
  the environment, JSON logs at INFO);
- lean: the smallest honest bolt app doing the same work for `/binding <cId>` (`lean.py`);
- bare: a bolt app whose `/binding` only acks: the framework floor for ack latency;
- this process, the driver: it signs slash commands as Slack does, sends each on a fresh
  connection and serves the response_url endpoint, so it sees when each answer arrives.

The three servers share one core (the last) and are measured one at a time; the driver and
the emulators have the other cores. Each round runs every burst for app and bare and the
closed loop for all three, in an order that rotates between rounds; ratios are taken within
a round, so noise from other processes (reported) falls on both sides of each ratio.
"""
