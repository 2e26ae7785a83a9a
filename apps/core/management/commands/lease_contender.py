import datetime
import signal
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.core.lease import lease_acquire_or_renew, lease_release


class Command(BaseCommand):
    help = (
        "Contend for a scheduler lease the way the beat scheduler does, printing "
        "'<unix time> leader|standby' lines. For watching failover and for tests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="contender-test")
        parser.add_argument("--holder", required=True)
        parser.add_argument("--duration", type=float, default=2.0, help="Lease seconds.")
        parser.add_argument("--renew", type=float, default=0.5, help="Seconds between tries.")
        parser.add_argument("--run-for", type=float, default=10.0, help="Seconds, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        name, holder = options["name"], options["holder"]
        duration = datetime.timedelta(seconds=options["duration"])
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        leader = False
        deadline = time.monotonic() + options["run_for"]
        while not stopping and time.monotonic() < deadline:
            leader = lease_acquire_or_renew(name=name, holder=holder, duration=duration)
            sys.stdout.write(f"{time.time():.3f} {'leader' if leader else 'standby'}\n")
            sys.stdout.flush()
            time.sleep(options["renew"])
        if leader:
            lease_release(name=name, holder=holder)
