/* Kehu's own behaviour, loaded by base.html. The Content-Security-Policy refuses inline
   handlers (onclick=, onsubmit=, ...): templates say what they want with data attributes.

   data-confirm="question"   on a <form> or its submit button: ask before submitting.
   data-select-on-focus      on an <input>: select its whole value (a link to copy). */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-focus")) {
      target.select();
    }
  });
})();
