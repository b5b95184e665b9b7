"""The Spring 2021 offering as demo data: both courses, the CS 229br lecture plan, 18.408's
Wednesday sessions by topic, and problem set 0 (its questions are ``demo_content/pset0.md``,
our own writing). Loading twice changes nothing (every row is found by its natural key)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.db import transaction

from .models import Assignment, Course, Lecture, Offering, Weekday, course_zone

PREREQUISITES = (
    "Mathematical maturity: comfort with proofs, probability and information theory, and the "
    "basics of machine learning.\n"
    "Theory background: Harvard CS 121 and CS 124, or MIT 6.046 (or similar). "
    "ML background: Harvard CS 181 or 183, or MIT 6.036 (or similar).\n"
    "Students of one course are asked to keep the other course's time slot free."
)

COURSES = {
    "cs229br": {
        "code": "CS 229br",
        "title": "Foundations of Deep Learning",
        "institution": "Harvard",
        "institution_domains": "harvard.edu",
        "instructor": "Boaz Barak",
        "capacity": 40,
        "meeting_weekday": Weekday.MONDAY,
        "first_lecture_date": date(2021, 1, 25),
        "description": (
            "A graduate seminar that looks at deep learning through experiments as much as "
            "through theorems: why classifiers generalize when classical bounds say they "
            "should not, what representations networks learn, how generative models work, "
            "and what goes wrong under adversaries and distribution shift.\n"
            "Students reproduce results from papers in a substantial programming component; "
            "GPUs are provided."
        ),
    },
    "18408": {
        "code": "18.408",
        "title": "Theoretical Foundations for Deep Learning",
        "institution": "MIT",
        "institution_domains": "mit.edu",
        "instructor": "Ankur Moitra",
        "capacity": 40,
        "meeting_weekday": Weekday.WEDNESDAY,
        "first_lecture_date": date(2021, 2, 17),
        "description": (
            "The mathematical side of the same questions: what networks can approximate "
            "(Barron's theorem, depth separations), why optimization finds good solutions "
            "(landscape analysis), implicit regularization, neural tangent kernels, "
            "generalization bounds, data poisoning, and lower bounds against deep learning.\n"
            "The lecture plan lists the course's topics in their planned order, one Wednesday "
            "each, with the lab experiments that go with them."
        ),
    },
}

# (date, title, lab experiments) — the CS 229br plan, Mondays 12:00–15:00 Eastern.
CS229BR_LECTURES = [
    (date(2021, 1, 25), "Introduction; a blitz through classical learning theory; Zhang et al. experiments",
     "min-norm, linear-double-descent, random-labels, deep-double-descent, pac-bayes"),
    (date(2021, 2, 1), "Learning dynamics: over-parameterized linear regression, deep linear networks, simplicity bias, early layers, a lower bound for parities",
     "deep-linear, simplicity-bias, sparse-parity"),
    (date(2021, 2, 8), "Out-of-distribution performance (ImageNet v2, CIFAR-10.1); self-supervised learning and its generalization",
     "accuracy-on-the-line, contrastive-probe"),
    (date(2021, 2, 22), "Transfer learning, meta-learning", "transfer, maml-sinusoid"),
    (date(2021, 3, 8), "Generative models (GANs, VAEs, autoregressive models)",
     "gan-modes, vae-digits, diffusion-2d"),
    (date(2021, 3, 15), "Natural language processing", "grokking"),
    (date(2021, 3, 22), "Theoretical neuroscience; visualizing and interpreting neural networks (guest lecture)",
     "superposition"),
    (date(2021, 3, 29), "Bandits, contextual bandits, reinforcement learning", "bandits, q-learning"),
    (date(2021, 4, 5), "Control theory", "lqr-policy-gradient"),
    (date(2021, 4, 12), "Causality", "irm"),
    (date(2021, 4, 19), "Adversarial robustness, privacy, fairness",
     "adversarial, dp-sgd, membership-inference, backdoor, fairness"),
    (date(2021, 4, 26), "The statistical physics view of machine learning", "teacher-student"),
]  # fmt: skip

# 18.408 meets every Wednesday from Feb 17. The course publishes its topics, not a dated plan: its
# first sessions take them in this order, one topic a week, with the lab experiments of each.
MIT18408_TOPICS = [
    ("Approximation: universal approximation and Barron's theorem", "barron"),
    ("Depth separation: functions deep networks represent and shallow ones cannot", "depth-separation"),
    ("Optimization landscapes: when every local minimum is global", "landscape"),
    ("Implicit regularization: what gradient descent prefers among interpolating solutions", "matrix-factorization"),
    ("Neural tangent kernels: wide networks as kernel methods", "ntk"),
    ("Generalization bounds for deep networks: norms, margins, PAC-Bayes", "pac-bayes"),
    ("Data poisoning and backdoors", "backdoor"),
    ("Lower bounds against deep learning: parities and statistical queries", "sparse-parity"),
]  # fmt: skip
MIT18408_PLANNED_NOTE = "Planned topic order; a session may move as the course goes."

PSET0_QUESTIONS = Path(__file__).with_name("demo_content") / "pset0.md"

# Adversarial robustness overlaps 18.408's data poisoning unit, so the demo shares it: it
# shows how a shared lecture appears in both plans.
SHARED_LECTURE_DATE = date(2021, 4, 19)


def _eastern(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=course_zone())


@transaction.atomic
def load() -> Offering:
    """Create or update the Spring 2021 offering and return it."""
    offering, _ = Offering.objects.update_or_create(
        slug="spring-2021", defaults={"name": "Spring 2021", "is_current": True}
    )
    Offering.objects.exclude(pk=offering.pk).filter(is_current=True).update(is_current=False)

    courses = {}
    for slug, facts in COURSES.items():
        courses[slug], _ = Course.objects.update_or_create(
            offering=offering,
            slug=slug,
            defaults={
                **facts,
                "prerequisites": PREREQUISITES,
                "meeting_start": time(12, 0),
                "meeting_end": time(15, 0),
            },
        )
    cs229br, mit18408 = courses["cs229br"], courses["18408"]

    for day, title, experiments in CS229BR_LECTURES:
        starts_at, ends_at = cs229br.meeting_on(day)
        lecture = Lecture.objects.filter(courses=cs229br, starts_at=starts_at).first()
        if lecture is None:
            lecture = Lecture(starts_at=starts_at)
        lecture.ends_at = ends_at
        lecture.title = title
        lecture.experiments = experiments
        lecture.save()
        lecture.courses.add(cs229br)
        if day == SHARED_LECTURE_DATE:
            lecture.description = "A joint session, open to the students of both courses."
            lecture.save()
            lecture.courses.add(mit18408)

    first_wednesday = mit18408.first_lecture_date
    for week, (title, experiments) in enumerate(MIT18408_TOPICS):
        starts_at, ends_at = mit18408.meeting_on(first_wednesday + timedelta(weeks=week))
        lecture = Lecture.objects.filter(courses=mit18408, starts_at=starts_at).first()
        if lecture is None:
            lecture = Lecture(starts_at=starts_at)
        lecture.ends_at = ends_at
        lecture.title = title
        lecture.description = MIT18408_PLANNED_NOTE
        lecture.experiments = experiments
        lecture.save()
        lecture.courses.add(mit18408)

    # A shared assignment joins once per course, hence distinct() before first().
    pset0 = (
        Assignment.objects.filter(title="Problem set 0", courses__offering=offering)
        .distinct()
        .first()
    ) or Assignment(title="Problem set 0")
    pset0.description = PSET0_QUESTIONS.read_text(encoding="utf-8")
    pset0.released_at = _eastern(date(2021, 1, 4), 9)
    pset0.due_at = _eastern(date(2021, 1, 21), 23, 59)
    pset0.experiments = "min-norm"
    pset0.save()
    pset0.courses.add(cs229br, mit18408)
    return offering
