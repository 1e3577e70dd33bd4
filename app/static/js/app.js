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

  /* A button that adds or removes a row of people names in `formaction`
   * where the page comes back without JavaScript: the new row, or the rows.
   * Its htmx swap replaces the button, and the focus would fall to the page:
   * it goes to the new row's first field, or to the rows (tabindex="-1"),
   * also when no row was added (one too many: the rows say why). */
  function focusAfterRowButton(event) {
    var button = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!button || !/^(add|remove)_/.test(button.name || "")) {
      return;
    }
    var rows = document.querySelector(button.getAttribute("hx-target"));
    var row = document.getElementById((button.getAttribute("formaction") || "").slice(1));
    var place =
      (row && row !== rows && row.querySelector("input:not([type=hidden]), select")) ||
      rows;
    if (place) {
      place.focus();
    }
  }

  document.addEventListener("htmx:afterSettle", syncErrorStates);
  document.addEventListener("htmx:afterSettle", focusAfterRowButton);
})();
