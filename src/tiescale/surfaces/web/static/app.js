/* tiescale dashboard: toasts, auto-submitting filters, live counts. No inline scripts (strict CSP). */
(function () {
  "use strict";
  function toast(message, isError) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.className = "toast show" + (isError ? " error" : "");
    clearTimeout(el._timer);
    el._timer = setTimeout(function () { el.className = "toast"; }, 3200);
  }
  document.addEventListener("toast", function (e) {
    var detail = e.detail && (e.detail.value || e.detail);
    toast(typeof detail === "string" ? detail : "Done");
  });
  document.addEventListener("htmx:responseError", function (e) {
    var text = "Something went wrong";
    try { text = JSON.parse(e.detail.xhr.responseText).detail || text; } catch (_) {
      if (e.detail.xhr.status === 403) text = "Refused (CSRF): reload the page and try again";
    }
    toast(text, true);
  });
  document.addEventListener("htmx:sendError", function () { toast("The dashboard server is not answering", true); });
  document.addEventListener("queueRemoved", function () {
    var count = document.getElementById("queue-count");
    if (count) count.textContent = Math.max(0, parseInt(count.textContent, 10) - 1);
  });
  document.addEventListener("change", function (e) {
    var form = e.target && e.target.form;
    if (form && form.hasAttribute("data-autosubmit")) form.submit();
  });
})();
