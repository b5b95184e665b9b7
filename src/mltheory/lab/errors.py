"""Errors the lab reports to users. ``BadInput`` means: nothing ran, fix the input (exit code 2)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BadInput(ValueError):
    """Input the lab refuses before doing any work; the message says what is wrong and what is allowed."""


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)


def unknown(kind: str, word: str, choices: Iterable[str]) -> BadInput:
    """``unknown experiment 'min_norm' (did you mean: min-norm?); allowed: a, b, c.``"""
    choices = sorted(choices)
    near = closest(word, choices)
    hint = f" (did you mean: {', '.join(near)}?)" if near else ""
    return BadInput(f"unknown {kind} {word!r}{hint}; allowed: {', '.join(choices)}.")
