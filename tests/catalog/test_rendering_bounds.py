"""Rendering time is bounded: adversarial Markdown up to the maximum size renders in ≤ 100 ms.

Each case is timed in CPU seconds of this process, the best of three runs, so other work on
a busy machine does not count; the slowest case takes about 40 ms on the CI machine.
"""

import re
import time

import pytest

from apps.catalog.rendering import (
    MARKUP_CHARACTERS,
    MAX_INPUT_LENGTH,
    MAX_LINES,
    MAX_MARKUP,
    markup_problems,
    render_markdown,
)

BUDGET_SECONDS = 0.100
_MARKUP = re.compile("[" + re.escape(MARKUP_CHARACTERS) + "]")


def _at_markup_cap(pattern: str) -> str:
    """`pattern` repeated until the text holds as many markup characters as allowed."""
    text = ""
    while len(_MARKUP.findall(text + pattern)) <= MAX_MARKUP:
        text += pattern
    return text


def _filled(head: str) -> str:
    """`head`, then plain words up to the maximum length: the largest text the checks accept."""
    return (head + "\n\n" + "lorem ipsum dolor sit amet " * MAX_INPUT_LENGTH)[:MAX_INPUT_LENGTH]


# _filled adds two lines of its own.
LINES = MAX_LINES - 3

ACCEPTED = {
    **{f"run of {ch}": ch * MAX_MARKUP for ch in MARKUP_CHARACTERS},
    **{
        f"repeated {pattern}": _at_markup_cap(pattern)
        for pattern in [
            "![",
            "[a](",
            "[a][",
            "[!",
            "**a",
            "*_",
            "__a",
            "~~a",
            "`a",
            "``a",
            "<a",
            "&#",
        ]
    },
    **{
        f"{LINES} lines of {line.strip()!r}": line * LINES
        for line in [
            "a\n",
            "- a\n",
            "1. a\n",
            "> a\n",
            "# a\n",
            "a  \n",
            "[x]: https://a\n",
            "```\n",
        ]
    },
    "table": "|a|b|c|d|\n|-|-|-|-|\n" + "|w|x|y|z|\n" * 390,
    "nested lists": "".join("  " * depth + "- a\n" for depth in range(LINES)),
    "nested quotes": "".join(">" * depth + " a\n" for depth in range(1, 62)),
    "long link": "[a](https://example.org/" + "a" * (MAX_INPUT_LENGTH - 40) + ")",
    "long autolink": "<https://example.org/" + "a" * (MAX_INPUT_LENGTH - 40) + ">",
    "long code span": "`" + "a" * (MAX_INPUT_LENGTH - 10) + "`",
}

REFUSED = {
    "run of [": "[" * MAX_INPUT_LENGTH,
    "repeated ![": "![" * (MAX_INPUT_LENGTH // 2),
    "repeated [a][": "[a][" * (MAX_INPUT_LENGTH // 4),
    "run of *": "*_" * (MAX_INPUT_LENGTH // 2),
    "one line each": "a\n" * (MAX_INPUT_LENGTH // 2),
    "nested quotes": "> " * (MAX_INPUT_LENGTH // 2),
    "a megabyte of [": "[" * 1_000_000,
}


def _best_of_three(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        render_markdown(text)
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_text_at_the_caps_renders_quickly(name: str) -> None:
    text = _filled(ACCEPTED[name])
    assert markup_problems(text) == [], "the case must be text the checks accept"
    assert _best_of_three(text) <= BUDGET_SECONDS


@pytest.mark.parametrize("name", REFUSED)
def test_text_over_the_caps_is_refused_and_still_renders_quickly(name: str) -> None:
    text = REFUSED[name]
    assert markup_problems(text)
    assert _best_of_three(text) <= BUDGET_SECONDS
    # Shown as the words that were typed, escaped, without Markdown.
    assert str(render_markdown("<b>" + text)).startswith("<p>&lt;b&gt;")


def test_problems_name_the_cap() -> None:
    assert markup_problems("a" * (MAX_INPUT_LENGTH + 1)) == [
        f"is longer than {MAX_INPUT_LENGTH:,} characters"
    ]
    assert markup_problems("a\n" * MAX_LINES) == [
        f"has {MAX_LINES + 1:,} lines; at most {MAX_LINES:,} are allowed"
    ]
    (problem,) = markup_problems("[" * (MAX_MARKUP + 1))
    assert problem.startswith(f"uses {MAX_MARKUP + 1:,} Markdown markup characters")
    assert problem.endswith(f"at most {MAX_MARKUP:,} are allowed")
