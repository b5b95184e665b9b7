"""What a student looks for on the course pages (issue 16): 18.408's plan, problem set 0's
questions, counts in words, the time markup."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mltheory.portal.admissions import demo as admissions_demo
from mltheory.portal.courses import demo
from mltheory.portal.courses.models import Course

pytestmark = pytest.mark.django_db


def test_18408_plan_lists_its_wednesday_topics_in_planned_order_with_experiments(client):
    demo.load()
    html = client.get("/courses/spring-2021/18408/").content.decode()
    table = html.split('<table class="lectures">', 1)[1].split("</table>", 1)[0]
    titles = [title for title, _ in demo.MIT18408_TOPICS]
    positions = [table.index(title.replace("'", "&#x27;")) for title in titles]
    assert positions == sorted(positions), "topics out of order"
    assert "Wed Feb 17, 2021, 12:00 PM EST" in table
    assert "Wed Mar 3, 2021, 12:00 PM EST" in table
    assert table.count(demo.MIT18408_PLANNED_NOTE) == len(titles)
    mit18408 = Course.objects.get(slug="18408")
    stored = {lecture.title: lecture.experiment_names for lecture in mit18408.lectures.all()}
    for title, experiment in demo.MIT18408_TOPICS:
        assert stored[title] == [experiment]
    # Shown as a command to run (experiments not in the lab's catalog yet may be left out).
    assert "<code>mlt run sparse-parity</code>" in table
    # The shared Monday lecture is still in 18.408's plan.
    assert "Adversarial robustness, privacy, fairness" in table
    # No lecture has material yet: no empty Material column.
    assert "Material" not in table


def test_problem_set_0_page_has_our_questions_and_points_to_min_norm(client):
    offering = demo.load()
    admissions_demo.load(offering)
    apply_html = client.get(reverse("admissions:apply")).content.decode()
    pset0 = offering.courses.get(slug="18408").assignments.get(title="Problem set 0")
    url = reverse("courses:assignment", args=["spring-2021", "18408", pset0.pk])
    assert f'href="{url}"' in apply_html, "the apply page links to the questions"
    html = client.get(url).content.decode()
    assert "<h3>Part 1: theory</h3>" in html and "<h3>Part 2: programming</h3>" in html
    assert "Fitting random labels" in html and "minimum-norm solution" in html
    assert "Inductive bias" in html
    assert "<pre><code>mlt run min-norm" in html
    assert "<code>mlt run min-norm</code>" in html  # the lab-experiment line


def test_counts_are_in_words_that_agree(client, cs229br, mit18408):
    cs229br.capacity = 1
    cs229br.save()
    html = client.get("/").content.decode()
    card = html.split('id="course-cs229br"', 1)[1].split("</article>", 1)[0]
    assert "limited to 1 student." in card
    assert "limited to 30 students." in html
    html = client.get(cs229br.get_absolute_url()).content.decode()
    assert "limited to 1 student." in html


def test_times_carry_a_valid_datetime_without_microseconds(client, cs229br):
    from datetime import datetime, timezone

    from mltheory.portal.courses.templatetags.portal_time import both_times

    html = both_times(datetime(2021, 1, 25, 17, 0, 0, 123456, tzinfo=timezone.utc))
    assert 'datetime="2021-01-25T17:00:00Z"' in html and "123456" not in html
    assert "Mon Jan 25, 2021, 12:00 PM EST" in html
