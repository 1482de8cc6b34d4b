// Optional: n / p move between changes, and times show in the reader's zone.
(function () {
  "use strict";
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) { t.title = t.textContent; t.textContent = d.toLocaleString(); }
  });
  var at = 0;
  document.addEventListener("keydown", function (e) {
    if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
    var marks = document.querySelectorAll("[id^='change-']");
    if (e.key === "n" || e.key === "p") {
      if (marks.length === 0) {
        var link = document.getElementById(e.key === "n" ? "next-diff" : "prev-diff");
        if (link) location.href = link.href;
        return;
      }
      at = e.key === "n" ? Math.min(at + 1, marks.length) : Math.max(at - 1, 1);
      marks[at - 1].scrollIntoView({ block: "center" });
      marks[at - 1].classList.add("focus");
    }
  });
})();
