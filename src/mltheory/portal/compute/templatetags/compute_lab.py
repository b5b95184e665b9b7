"""``{% load compute_lab %}``: course pages show only lab experiments that exist."""

from django import template

from mltheory.portal.compute import lab_bridge

register = template.Library()


@register.filter
def existing_experiments(names: list[str]) -> list[str]:
    """The names among ``names`` that the lab's catalog has (a typo or a not-yet-written
    experiment is left out rather than shown as a command that fails)."""
    known = lab_bridge.experiment_names()
    return [n for n in names if n in known]
