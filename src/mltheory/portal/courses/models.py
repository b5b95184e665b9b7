"""Courses: an offering (e.g. Spring 2021) holds sister courses that share lectures."""

from __future__ import annotations

from django.db import models


class Offering(models.Model):
    """One term in which the sister courses run together (e.g. Spring 2021)."""

    name = models.CharField(max_length=100, help_text="e.g. Spring 2021")
    slug = models.SlugField(unique=True)
    is_current = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    """One course of an offering (e.g. Harvard CS 229br). Its sister courses share the offering."""

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="courses")
    code = models.CharField(max_length=40, help_text="e.g. CS 229br")
    slug = models.SlugField(help_text="URL name, e.g. cs229br")
    title = models.CharField(max_length=200)
    institution = models.CharField(max_length=100, help_text="e.g. Harvard")
    # Email domains that count as this institution for eligibility (comma-separated).
    institution_domains = models.CharField(max_length=200, blank=True, help_text="e.g. harvard.edu")
    instructor = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    prerequisites = models.TextField(blank=True)
    capacity = models.PositiveIntegerField(help_text="Admitted students can never exceed this.")

    class Meta:
        unique_together = [("offering", "slug")]
        ordering = ["offering", "code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.offering})"

    def sister_courses(self):
        return self.offering.courses.exclude(pk=self.pk)


class Enrollment(models.Model):
    """A student enrolled in a course. Admissions creates it when an admitted applicant accepts."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = [("user", "course")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course.code}"
