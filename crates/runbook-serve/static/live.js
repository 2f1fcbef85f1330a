// The live session page: follows /sessions/ID/events (server-sent events) and appends each new
// journal line, already rendered and escaped by the server, to the timeline; marks the step on
// the graph and updates the state and the driver. Without it the page is complete as loaded.
"use strict";
(function () {
  const timeline = document.getElementById("timeline");
  if (!timeline || !window.EventSource) return;
  const note = document.getElementById("live-note");
  const nodes = () => Array.from(document.querySelectorAll("svg.graph g.node"));
  function mark(step) {
    for (const n of nodes()) {
      if (n.dataset.step === step) {
        n.setAttribute("data-taken", "");
        n.setAttribute("data-current", "");
      } else {
        n.removeAttribute("data-current");
      }
    }
  }
  function setText(id, text) {
    const el = document.getElementById(id);
    if (el) {
      el.textContent = text;
      if (id === "state") el.className = "state " + text;
    }
  }
  // Reconnects resume after the last event seen: the browser sends it as Last-Event-ID.
  const source = new EventSource(timeline.dataset.events);
  source.addEventListener("line", function (message) {
    const f = JSON.parse(message.data);
    if (document.getElementById("event-" + f.seq)) return;
    timeline.insertAdjacentHTML("beforeend", f.html);
    // When it arrived here: the delay from the driver's commit to the follower's screen is
    // this minus the event's own time (measured by the tests).
    const item = document.getElementById("event-" + f.seq);
    if (item) item.setAttribute("data-received", String(Date.now()));
    if (f.step) mark(f.step);
    if (f.state) setText("state", f.state);
    if (f.driver) setText("driver", f.driver);
    if (note) note.textContent = "Live: event " + f.seq + " received.";
  });
  source.addEventListener("open", function () {
    document.body.setAttribute("data-live", "");
  });
  source.addEventListener("error", function () {
    document.body.removeAttribute("data-live");
  });
})();
