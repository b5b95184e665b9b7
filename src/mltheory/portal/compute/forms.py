"""The submission form, generated from the experiment's typed config (via :mod:`.lab_bridge`)."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings

from . import lab_bridge
from . import queue as run_queue
from .models import Queue

MAX_SEEDS = 10
MAX_SEED = 2**31  # what every random generator the lab seeds accepts
MAX_SWEEP_CELLS = 60


def parse_seeds(text: str) -> list[int]:
    """``0,1,2`` or ``0-4``: the seeds to run."""
    text = text.strip()
    try:
        if "-" in text and "," not in text:
            lo, hi = (int(x) for x in text.split("-", 1))
            if hi - lo >= MAX_SEEDS:
                raise forms.ValidationError(f"At most {MAX_SEEDS} seeds per run.")
            seeds = list(range(lo, hi + 1))
        else:
            seeds = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise forms.ValidationError(
            f"Seeds must be integers like 0,1,2 or a range like 0-4, got {text!r}."
        ) from None
    if not seeds or any(not 0 <= s < MAX_SEED for s in seeds):
        raise forms.ValidationError(f"Give at least one seed; seeds are from 0 to {MAX_SEED - 1}.")
    if len(seeds) > MAX_SEEDS:
        raise forms.ValidationError(f"At most {MAX_SEEDS} seeds per run, got {len(seeds)}.")
    return sorted(set(seeds))


def _field_for(spec: lab_bridge.FieldSpec) -> forms.Field:
    scale_text = ", ".join(f"{s}: {json.dumps(v)}" for s, v in spec.scale_values.items())
    bounds = f" Allowed: {spec.bounds_text}." if spec.bounds_text else ""
    help_text = f"{spec.description}.{bounds} Blank: the scale's value ({scale_text})."
    kw = {"required": False, "help_text": help_text, "label": spec.name}
    if spec.kind == "int":
        return forms.IntegerField(**kw)
    if spec.kind == "float":
        return forms.FloatField(**kw)
    if spec.kind == "bool":
        return forms.TypedChoiceField(
            choices=[("", "scale's value"), ("true", "true"), ("false", "false")],
            coerce=lambda v: v == "true",
            empty_value=None,
            **kw,
        )
    if spec.kind == "choice":
        return forms.ChoiceField(
            choices=[("", "scale's value")] + [(c, c) for c in spec.choices], **kw
        )
    if spec.kind == "json":
        kw["help_text"] = help_text + " As JSON, e.g. [1, 2, 3]."
        return forms.JSONField(**kw)
    return forms.CharField(**kw)


class RunForm(forms.Form):
    """Scale, seeds, queue and one optional field per config field of the experiment."""

    scale = forms.ChoiceField(
        choices=[(s, s) for s in lab_bridge.SCALES],
        initial="smoke",
        help_text="smoke: seconds; cpu: minutes on a CPU; paper: the paper's setting (GPU)",
    )
    seeds = forms.CharField(initial="0", help_text="e.g. 0 or 0,1,2 or 0-4 (at most 10)")
    queue = forms.ChoiceField(choices=Queue.choices, initial=Queue.CPU)
    grid = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text="A sweep (optional): one FIELD=V1,V2,... per line, run at every combination; "
        f"with K seeds given, each point runs seeds 0..K-1. At most {MAX_SWEEP_CELLS} cells.",
    )
    publish = forms.BooleanField(required=False, help_text="staff: show it in the gallery")

    def __init__(self, *args, experiment: str, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.experiment = experiment
        self.specs = lab_bridge.config_fields(experiment)
        self.config_field_names = []
        for spec in self.specs:
            name = f"cfg_{spec.name}"
            self.fields[name] = _field_for(spec)
            self.config_field_names.append(name)
        if not user.is_staff:
            del self.fields["publish"]

    def config_fields(self):
        return [self[name] for name in self.config_field_names]

    def clean_seeds(self) -> list[int]:
        return parse_seeds(self.cleaned_data["seeds"])

    def overrides(self) -> dict:
        return {
            name.removeprefix("cfg_"): self.cleaned_data[name]
            for name in self.config_field_names
            if self.cleaned_data.get(name) not in (None, "")
        }

    def clean_grid(self) -> dict:
        lines = [line.strip() for line in self.cleaned_data["grid"].splitlines() if line.strip()]
        if not lines:
            return {}
        from mltheory.lab import BadInput

        try:
            return lab_bridge.parse_grid(self.experiment, lines)
        except BadInput as err:
            raise forms.ValidationError(str(err).replace("--grid ", "")) from None

    def clean(self):
        cleaned = super().clean()
        if self.errors or "scale" not in cleaned:
            return cleaned
        grid = cleaned.get("grid") or {}
        if grid:
            both = sorted(set(grid) & set(self.overrides()))
            if both:
                self.add_error("grid", f"{', '.join(both)}: give a value or a sweep, not both.")
                return cleaned
            cleaned["seeds"] = list(range(len(cleaned["seeds"])))
            points = lab_bridge.grid_points(grid)
            cells = len(points) * len(cleaned["seeds"])
            if cells > MAX_SWEEP_CELLS:
                self.add_error("grid", f"{cells} cells; at most {MAX_SWEEP_CELLS} per sweep.")
                return cleaned
            for point in points:  # checks across fields (e.g. d > n) at every grid point
                _, general = lab_bridge.validate_config(
                    self.experiment, cleaned["scale"], {**self.overrides(), **point}
                )
                for m in general:
                    self.add_error("grid", f"at {point}: {m}")
        per_field, general = lab_bridge.validate_config(
            self.experiment, cleaned["scale"], self.overrides()
        )
        for name, messages in per_field.items():
            target = f"cfg_{name}"
            for m in messages:
                self.add_error(target if target in self.fields else None, f"{name}: {m}")
        for m in general:
            self.add_error(None, m)
        if not self.errors:
            estimate = lab_bridge.estimated_seconds(
                self.experiment, cleaned["scale"], self.overrides(), grid, cleaned["queue"]
            )
            too_long = run_queue.beyond_the_scale_limit(
                cleaned["scale"], cleaned["queue"], estimate
            )
            if too_long:
                self.add_error(None, too_long)
        return cleaned


class UploadRunForm(forms.Form):
    """A student's own experiment module (one .py file), run on workers allowed to run it."""

    module = forms.FileField(help_text="one .py file that registers one experiment (@experiment)")
    scale = forms.ChoiceField(choices=[(s, s) for s in lab_bridge.SCALES], initial="smoke")
    seeds = forms.CharField(initial="0", help_text="e.g. 0 or 0,1,2 or 0-4 (at most 10)")
    queue = forms.ChoiceField(choices=Queue.choices, initial=Queue.CPU)
    overrides = forms.JSONField(
        required=False,
        initial=dict,
        help_text='config fields as JSON, e.g. {"n": 50}; checked by the worker, which is where '
        "your module is loaded (never on the web server)",
    )

    def clean_seeds(self) -> list[int]:
        return parse_seeds(self.cleaned_data["seeds"])

    def clean_module(self):
        f = self.cleaned_data["module"]
        if not f.name.endswith(".py"):
            raise forms.ValidationError(f"Upload a Python file (.py), got {f.name!r}.")
        if f.size > settings.COMPUTE_MAX_MODULE_BYTES:
            raise forms.ValidationError(
                f"The module is {f.size} bytes; at most {settings.COMPUTE_MAX_MODULE_BYTES}."
            )
        return f

    def clean_overrides(self) -> dict:
        value = self.cleaned_data.get("overrides") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError('Give the fields as a JSON object, e.g. {"n": 50}.')
        return value
