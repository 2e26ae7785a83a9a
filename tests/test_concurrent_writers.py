"""Two requests writing at once both succeed on the embedded SQLite database: the second
waits for the first instead of failing with "database is locked" (three concurrent API
approvals under gunicorn's three workers answered 500 for two of them)."""

import json

from tests.linkcheck.conftest import manage, shared_database  # noqa: F401

# Each writer reads, then writes (as an approval does) and holds its transaction a while.
WRITERS = """
import json, threading, time
from django.db import connection, transaction
from apps.core.models import OutboxEntry

started = threading.Barrier(3)
errors = []

def write(number):
    try:
        started.wait()
        with transaction.atomic():
            OutboxEntry.objects.count()
            OutboxEntry.objects.create(task=f"writer {number}", args=[])
            time.sleep(0.2)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()

threads = [threading.Thread(target=write, args=(number,)) for number in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"errors": errors, "written": OutboxEntry.objects.count()}))
"""


def test_concurrent_writers_wait_for_each_other(shared_database: dict[str, str]) -> None:  # noqa: F811
    result = manage("shell", "-c", WRITERS, env=shared_database, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {"errors": [], "written": 3}
