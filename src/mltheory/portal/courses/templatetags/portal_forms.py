"""``{% form_field form.x %}``: one form field rendered accessibly.

- Radio and checkbox groups go in a ``<fieldset>`` whose ``<legend>`` is the question, so a
  screen reader announces it with each option (``<label for="">`` named nothing).
- Help text and errors get ids, and ``aria-describedby`` names exactly those ids (Django's
  default points at a help-text id that hand-written templates never rendered).
- Required fields say so in their label; a form may list fields that are required only to
  submit (``required_to_submit``: the application form saves drafts without them).
- ``autocomplete`` and other attributes can be given in the template:
  ``{% form_field form.email autocomplete="email" %}``.
"""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("includes/form_field.html")
def form_field(field, **attrs):
    auto_id = field.auto_id or f"id_{field.html_name}"
    help_id = f"{auto_id}_helptext" if field.help_text else ""
    errors_id = f"{auto_id}_errors" if field.errors else ""
    described_by = " ".join(i for i in (errors_id, help_id) if i)
    group = field.use_fieldset
    required_to_submit = field.name in getattr(field.form, "required_to_submit", ())
    widget_attrs = {key.replace("_", "-"): value for key, value in attrs.items()}
    if described_by and not group:
        widget_attrs["aria-describedby"] = described_by
    return {
        "field": field,
        "group": group,
        "widget": field.as_widget(attrs=widget_attrs),
        "help_id": help_id,
        "errors_id": errors_id,
        "described_by": described_by,
        "required": field.field.required and not group,
        "required_to_submit": required_to_submit,
    }
