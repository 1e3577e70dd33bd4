/* LMB: the little the pages need besides htmx; they work without it.
 *
 * When htmx swaps in (or takes away) a field's error message, the field
 * outside the swapped part follows: a field lists its message's id, ending
 * in "-error", in aria-describedby; it is marked invalid exactly while that
 * message is on the page.
 */
(function () {
  "use strict";

  function syncErrorStates() {
    var fields = document.querySelectorAll("[aria-describedby$='-error']");
    Array.prototype.forEach.call(fields, function (field) {
      var ids = field.getAttribute("aria-describedby").split(/\s+/);
      var invalid = ids.some(function (id) {
        return /-error$/.test(id) && document.getElementById(id) !== null;
      });
      if (invalid) {
        field.setAttribute("aria-invalid", "true");
      } else {
        field.removeAttribute("aria-invalid");
      }
      var wrapper = field.closest(".field");
      if (wrapper) {
        wrapper.classList.toggle("has-error", invalid);
      }
    });
  }

  document.addEventListener("htmx:afterSettle", syncErrorStates);
})();
