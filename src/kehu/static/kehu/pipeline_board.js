/* The pipeline board (pipeline/board.html): drag a card to another phase.

   A drop posts the new phase with htmx; the answer is the card as it is now (its new
   probability), swapped in place. A refused move (not yours to change, closed meanwhile)
   puts the card back where it was and says why. Cards the user may not change are not
   draggable (no .pipeline-movable). Without JavaScript, each card's page moves it. */
(function () {
  "use strict";

  function status(text) {
    var el = document.getElementById("board-status");
    if (el) { el.textContent = text; }
  }

  function bind(board) {
    if (!window.Sortable || !window.htmx || board.dataset.bound) { return; }
    board.dataset.bound = "1";
    var url = board.getAttribute("data-move-url");
    board.querySelectorAll(".pipeline-cards").forEach(function (list) {
      window.Sortable.create(list, {
        group: "pipeline",
        draggable: ".pipeline-movable",
        animation: 120,
        delay: 150,
        delayOnTouchOnly: true,
        onEnd: function (event) {
          if (event.from === event.to) { return; }
          var card = event.item;
          var from = event.from, index = event.oldIndex;
          var counts = [from, event.to].map(function (l) { return l.parentNode.querySelector(".pipeline-count"); });
          window.htmx.ajax("POST", url.replace("/0/", "/" + card.getAttribute("data-id") + "/"), {
            source: card, target: card, swap: "outerHTML",
            values: {phase: event.to.getAttribute("data-phase")}
          }).then(function () {
            if (!document.body.contains(card)) {  // swapped: the move went through
              counts.forEach(function (c, i) { if (c) { c.textContent = String(Number(c.textContent.replace(/\D/g, "")) + (i ? 1 : -1)); } });
              status("");
            }
          });
          card.addEventListener("htmx:responseError", function (e) {
            var xhr = e.detail.xhr;
            var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
            from.insertBefore(card, from.children[index] || null);
            // The service's reason (a plain-text answer), else "not yours to change" (404/403 pages).
            status(board.getAttribute("data-error-label") +
              (plain ? xhr.responseText.slice(0, 200) : board.getAttribute("data-refused-label")));
          }, {once: true});
        }
      });
    });
  }

  function init() { document.querySelectorAll(".pipeline-board").forEach(bind); }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
