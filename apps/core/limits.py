"""How long and how many: the limits of a story and of what people send about one.

Story files, web forms, the API and the models read them from here, so a story the API
accepts is one a file may hold and the database can store. Two notes differ on purpose:
a note on a story's upstream or mitigation link is part of the story (stored with it,
shown on its page), a submitter's note is a message to the moderators.
"""

# A story.
MAX_TITLE = 300
MAX_ORGANIZATION = 200
MAX_SLUG = 200
MAX_MARKDOWN = 20_000  # a summary or any Markdown body, before rendering
MAX_SUMMARY = MAX_MARKDOWN
MAX_URL = 1000
MAX_SOURCES = 10
MAX_UPSTREAM = 20
MAX_MITIGATIONS = 20
MAX_SYMPTOM = 300
MAX_SYMPTOMS = 20
# Each term once; the longest curated list has 19 components and 2 platforms or impacts.
MAX_COMPONENTS = 30
MAX_PLATFORMS = 10
MAX_IMPACTS = 10
MAX_LINK_NOTE = 500  # the note on one upstream issue or mitigation of a story

# What people send about a story.
MAX_SUBMISSION_NOTE = 2000  # a submitter's note to the moderators, never published
MAX_MESSAGE = 5000  # a moderator's message or reason
MAX_EMAIL = 254

# Rates ("5/hour"): the settings check them at start-up, the rate limiter counts by them.
RATE_PERIODS = {
    "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400,
}  # fmt: skip


def parse_rate(text: str) -> tuple[int, int]:
    """`count/period` as (count, seconds); ValueError when it is not a rate like 120/min."""
    number, _, period = text.partition("/")
    if not number.isdigit() or period not in RATE_PERIODS:
        raise ValueError(f"{text!r} is not a rate like 120/min")
    return int(number), RATE_PERIODS[period]
