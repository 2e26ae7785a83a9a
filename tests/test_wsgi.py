"""The WSGI module leaves what start-up built out of the garbage collector's full passes."""

import subprocess
import sys


def test_the_wsgi_application_freezes_what_start_up_built() -> None:
    # A process of its own: freezing this one would change what the other tests measure.
    script = (
        "import gc; before = gc.get_freeze_count(); import config.wsgi; "
        "from apps.web import views; print(before, gc.get_freeze_count())"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert before == 0
    assert after > 10_000  # the modules, URL patterns and views, loaded before the freeze
