// Reader feedback, same origin only (no cookie, nothing about the reader is sent):
// - a click on a suggestion is reported with its list's signed impression token, by
//   navigator.sendBeacon, so following the link is never delayed;
// - the vote form is sent as JSON and answered in place; without JavaScript it is a
//   plain form post.
(function () {
  "use strict";
  var EVENTS = "/api/v1/events";

  function send(body) {
    var data = new Blob([JSON.stringify(body)], { type: "application/json" });
    if (navigator.sendBeacon && navigator.sendBeacon(EVENTS, data)) return;
    fetch(EVENTS, { method: "POST", body: data, keepalive: true, credentials: "omit" });
  }

  document.addEventListener("click", function (event) {
    if (event.button !== 0) return; // a middle click is an auxclick, below
    var link = event.target.closest && event.target.closest("a[data-slug]");
    if (!link) return;
    var list = link.closest("[data-impression]");
    if (!list) return;
    send({ type: "click", impression: list.dataset.impression, to: link.dataset.slug });
  });
  // a middle click opens a new tab: it is a click on the suggestion all the same
  document.addEventListener("auxclick", function (event) {
    if (event.button !== 1) return;
    var link = event.target.closest && event.target.closest("a[data-slug]");
    var list = link && link.closest("[data-impression]");
    if (list) send({ type: "click", impression: list.dataset.impression, to: link.dataset.slug });
  });

  document.querySelectorAll("form.vote[data-comparison]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var choice = form.querySelector("input[name=agree]:checked");
      if (!choice || !window.fetch) return; // the browser's own form post
      event.preventDefault();
      var body = { type: "vote", comparison: form.dataset.comparison, agree: choice.value === "yes" };
      var comment = form.querySelector("textarea[name=comment]").value.trim();
      if (comment) body.comment = comment;
      fetch(form.dataset.events, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "omit",
      }).then(function (response) {
        if (response.status !== 202) throw new Error(String(response.status));
        return response.json();
      }).then(function (answer) {
        var note = document.createElement("p");
        note.className = "vote-recorded";
        note.setAttribute("role", "status");
        note.textContent = answer.reason === "already recorded"
          ? "Your vote was already recorded today."
          : "Thank you: your vote is recorded.";
        form.replaceWith(note);
      }).catch(function () {
        form.submit(); // let the plain form say what went wrong
      });
    });
  });
})();
