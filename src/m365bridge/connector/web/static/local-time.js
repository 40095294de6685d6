// Times are sent as <time class="local-time" datetime="…Z"> with UTC text; show them in the viewer's
// own time zone instead (the UTC text stays as the tooltip, and as the text when scripts are off).
(() => {
  // Components rather than dateStyle/timeStyle, which cannot be combined with timeZoneName.
  const format = new Intl.DateTimeFormat(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  });
  const localise = () => {
    for (const element of document.querySelectorAll("time.local-time[datetime]")) {
      const moment = new Date(element.getAttribute("datetime"));
      if (Number.isNaN(moment.getTime())) continue;
      element.title = element.textContent;
      element.textContent = format.format(moment);
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
