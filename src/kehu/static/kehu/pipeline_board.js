/* The pipeline board (pipeline/board.html): drag a card to another phase, or to 赢单.

   A drop on a phase posts the new phase with htmx; the answer is the card as it is now
   (its new probability), swapped in place. A drop on 赢单 first asks in a dialog (the
   order to be recorded, its payment status), then posts the win; the answer is the won
   card, linking to the order. A refused move (not yours to change, closed meanwhile, a
   win without products or amount) puts the card back where it was and says why. Cards
   the user may not change are not draggable (no .pipeline-movable). Without
   JavaScript, each card's page moves it. */
(function () {
  "use strict";

  function status(text) {
    var el = document.getElementById("board-status");
    if (el) { el.textContent = text; }
  }

  // Post ``values`` for ``card`` to ``url``; the answer replaces the card. Refused: the
  // card goes back to ``from`` at ``index`` and the status line says why.
  function post(board, url, card, values, from, index, counts) {
    card.addEventListener("htmx:beforeSwap", function (e) {
      // 422 (a refusal in words) is swapped by the page's htmx config: not a card's.
      if (e.detail.xhr.status === 422) { e.detail.shouldSwap = false; e.detail.isError = true; }
    }, {once: true});
    card.addEventListener("htmx:responseError", function (e) {
      var xhr = e.detail.xhr;
      var plain = (xhr.getResponseHeader("Content-Type") || "").indexOf("text/plain") === 0;
      from.insertBefore(card, from.children[index] || null);
      // The service's reason (a plain-text answer), else "not yours to change" (404/403 pages).
      status(board.getAttribute("data-error-label") +
        (plain ? xhr.responseText.slice(0, 200) : board.getAttribute("data-refused-label")));
    }, {once: true});
    window.htmx.ajax("POST", url.replace("/0/", "/" + card.getAttribute("data-id") + "/"), {
      source: card, target: card, swap: "outerHTML", values: values
    }).then(function () {
      if (!document.body.contains(card)) {  // swapped: the move went through
        counts.forEach(function (c, i) { if (c) { c.textContent = String(Number(c.textContent.replace(/\D/g, "")) + (i ? 1 : -1)); } });
        status("");
      }
    });
  }

  // A drop on 赢单: the dialog confirms (and asks the payment status) or puts it back.
  function win(board, list, card, from, index, counts) {
    var dialog = document.getElementById("win-dialog");
    var name = card.querySelector("a");
    document.getElementById("win-dialog-name").textContent = name ? name.textContent : "";
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      if (dialog.returnValue !== "win") {
        from.insertBefore(card, from.children[index] || null);
        return;
      }
      var payment = dialog.querySelector("select[name=payment_status]");
      post(board, list.getAttribute("data-win-url"), card,
        {version: card.getAttribute("data-version"), payment_status: payment ? payment.value : ""},
        from, index, counts);
    }, {once: true});
    dialog.showModal();
  }

  function bind(board) {
    if (!window.Sortable || !window.htmx || board.dataset.bound) { return; }
    board.dataset.bound = "1";
    var url = board.getAttribute("data-move-url");
    board.querySelectorAll(".pipeline-cards").forEach(function (list) {
      var won = list.classList.contains("pipeline-won");
      window.Sortable.create(list, {
        group: {name: "pipeline", pull: !won},
        sort: !won,
        draggable: ".pipeline-movable",
        animation: 120,
        delay: 150,
        delayOnTouchOnly: true,
        onEnd: function (event) {
          if (event.from === event.to) { return; }
          var card = event.item;
          var from = event.from, index = event.oldIndex;
          var counts = [from, event.to].map(function (l) { return l.parentNode.querySelector(".pipeline-count"); });
          if (event.to.classList.contains("pipeline-won")) {
            win(board, event.to, card, from, index, counts);
            return;
          }
          post(board, url, card, {phase: event.to.getAttribute("data-phase")}, from, index, counts);
        }
      });
    });
  }

  function init() { document.querySelectorAll(".pipeline-board").forEach(bind); }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
