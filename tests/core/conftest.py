# A fixture of the link-check tests, used here too: a database other processes can open.
from tests.linkcheck.conftest import shared_database  # noqa: F401
