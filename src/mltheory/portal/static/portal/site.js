// Times: every {% both_times %} is rendered by the server in Eastern time (the courses' zone).
// Where the viewer's zone shows another wall-clock time, the viewer's time goes first and
// Eastern stays beside it; where it shows the same time, only one time is shown. The zone is
// detected by the browser, can be changed in the footer, and is remembered in localStorage.
(function () {
  "use strict";
  var COURSE_ZONE = "America/New_York";
  var STORAGE_KEY = "mlt-tz";

  function storedZone() {
    try { return window.localStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
  }
  function storeZone(zone) {
    try { window.localStorage.setItem(STORAGE_KEY, zone); } catch (e) { /* private mode */ }
  }
  function validZone(zone) {
    try { new Intl.DateTimeFormat("en-US", {timeZone: zone}); return true; } catch (e) { return false; }
  }

  // "Mon Jan 25, 2021, 6:00 PM GMT+1": the same shape as the server's Eastern text.
  function formatIn(zone, date) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, weekday: "short", month: "short", day: "numeric", year: "numeric",
      hour: "numeric", minute: "2-digit", timeZoneName: "short"
    }).formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return parts.weekday + " " + parts.month + " " + parts.day + ", " + parts.year + ", " +
      parts.hour + ":" + parts.minute + " " + parts.dayPeriod + " " + parts.timeZoneName;
  }
  function wallClock(zone, date) {
    return new Intl.DateTimeFormat("en-US", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).format(date);
  }

  function render(zone) {
    document.querySelectorAll(".both-times").forEach(function (el) {
      var viewer = el.querySelector(".viewer-time");
      if (!viewer || !viewer.dataset.utc) { return; }
      var date = new Date(viewer.dataset.utc);
      if (isNaN(date.getTime())) { return; }
      var differs = wallClock(zone, date) !== wallClock(COURSE_ZONE, date);
      el.classList.toggle("both-times--two", differs);
      el.dataset.zone = zone;
      viewer.textContent = differs ? formatIn(zone, date) : "";
      viewer.title = differs ? "Your time (" + zone + ")" : "";
    });
  }

  function start() {
    var select = document.getElementById("viewer-tz");
    var detected = Intl.DateTimeFormat().resolvedOptions().timeZone || COURSE_ZONE;
    var zone = storedZone();
    if (!zone || !validZone(zone)) { zone = detected; }
    if (select) {
      var zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [detected];
      if (zones.indexOf(zone) < 0) { zones.unshift(zone); }
      zones.forEach(function (z) { select.add(new Option(z, z, false, z === zone)); });
      select.addEventListener("change", function () { storeZone(select.value); render(select.value); });
      var choice = select.closest(".tz-choice");
      if (choice) { choice.hidden = false; }
    }
    render(zone);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
