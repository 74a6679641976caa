/* tiescale dashboard: toasts with Undo, auto-submitting filters, live counts, focus after Done,
   filters kept in step with the address bar. No inline scripts (strict CSP). Every form also works
   without this file (plain POST or GET). */
(function () {
  "use strict";

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; } catch (_) { return ""; }
  }

  function toast(message, isError, undoId) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = "";
    var text = document.createElement("span");
    text.textContent = message;
    el.appendChild(text);
    if (undoId !== undefined && undoId !== null) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn small toast-undo";
      button.textContent = "Undo";
      button.addEventListener("click", function () { undo(undoId); });
      el.appendChild(button);
    }
    el.className = "toast show" + (isError ? " error" : "") + (undoId ? " actionable" : "");
    clearTimeout(el._timer);
    el._timer = setTimeout(function () { el.className = "toast"; }, undoId ? 10000 : 3200);
  }

  function undo(actionId) {
    fetch("/ui/actions/" + encodeURIComponent(actionId) + "/undo", {
      method: "POST", headers: {"X-CSRF-Token": csrfToken(), "HX-Request": "true"}, credentials: "same-origin"
    }).then(function (r) {
      if (!r.ok) {
        return r.json().then(function (b) { toast(b.detail || "Undo failed", true); },
                             function () { toast("Undo failed", true); });
      }
      location.reload();
    }, function () { toast("The dashboard server is not answering", true); });
  }

  document.addEventListener("toast", function (e) {
    var detail = e.detail && (e.detail.value !== undefined ? e.detail.value : e.detail);
    if (detail && typeof detail === "object" && detail.message) {
      toast(detail.message, false, detail.undo);
    } else {
      toast(typeof detail === "string" ? detail : "Done");
    }
  });
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr, text = "Something went wrong (" + xhr.status + ")";
    try { text = JSON.parse(xhr.responseText).detail || text; } catch (_) {
      if (xhr.status === 403) text = "Refused (CSRF): reload the page and try again";
    }
    if (typeof text !== "string") {  // a validation error: the first message
      try { text = text[0].msg; } catch (_) { text = "Something went wrong"; }
    }
    toast(text, true);
  });
  document.addEventListener("htmx:sendError", function () { toast("The dashboard server is not answering", true); });

  function bump(el, by) {
    if (!el) return;
    var n = parseInt(el.textContent.replace(/[^0-9]/g, ""), 10);
    if (!isNaN(n)) el.textContent = Math.max(0, n + by);
  }
  document.addEventListener("queueRemoved", function (e) {
    var detail = e.detail && (e.detail.value !== undefined ? e.detail.value : e.detail) || {};
    var person = typeof detail === "string" ? detail : detail.person;
    var reason = typeof detail === "object" ? detail.reason : "";
    bump(document.getElementById("queue-count"), -1);
    bump(document.querySelector('.tabs a[data-reason="all"] b'), -1);
    if (reason) bump(document.querySelector('.tabs a[data-reason="' + CSS.escape(reason) + '"] b'), -1);
    // focus goes to the next person's Done (the previous one at the end), not to <body>
    var items = Array.prototype.slice.call(document.querySelectorAll("li.q-item"));
    var index = items.findIndex(function (li) { return li.dataset.person === person; });
    var next = index >= 0 ? (items[index + 1] || items[index - 1]) : null;
    // now, while the item fades out: once it is gone (a detached element's events reach no one)
    // the browser would put focus on <body>
    var target = next ? next.querySelector(".q-done") : null;
    if (target) {
      target.focus();
    } else {
      var heading = document.getElementById("queue-heading");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    }
  });

  document.addEventListener("change", function (e) {
    var form = e.target && e.target.form;
    if (form && form.hasAttribute("data-autosubmit")) form.submit();
  });

  // the filters say what the address says: after Back (htmx restores the list, not what was typed)
  function syncFilters() {
    var params = new URLSearchParams(location.search);
    document.querySelectorAll("form.filters [name]").forEach(function (field) {
      var value = params.get(field.name) || "";
      if (field.tagName === "SELECT" && !Array.prototype.some.call(field.options, function (o) { return o.value === value; })) return;
      if (field.value !== value) field.value = value;
    });
    document.querySelectorAll('form input[name="query"][type="hidden"]').forEach(function (field) {
      field.value = location.search.replace(/^\?/, "");
    });
  }
  document.addEventListener("htmx:historyRestore", syncFilters);
  document.addEventListener("htmx:pushedIntoHistory", syncFilters);
  window.addEventListener("popstate", function () { setTimeout(syncFilters, 0); });
  window.addEventListener("pageshow", syncFilters);
})();

/* The API page's "Try it" forms: the request goes to this server, with this page's CSRF token. */
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.classList || !form.classList.contains("try-api")) return;
    e.preventDefault();
    var path = form.dataset.path, query = new URLSearchParams(), body = null;
    form.querySelectorAll("input[name]").forEach(function (input) {
      if (input.dataset.where === "path") {
        path = path.replace("{" + input.name + "}", encodeURIComponent(input.value));
      } else if (input.value !== "") {
        query.append(input.name, input.value);
      }
    });
    var text = form.querySelector("textarea[name=__body]");
    if (text) body = text.value;
    var out = form.parentNode.querySelector(".try-out");
    var token = "";
    try { token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; } catch (_) {}
    var url = path + (query.toString() ? "?" + query.toString() : "");
    out.textContent = form.dataset.method + " " + url + " …";
    fetch(url, {method: form.dataset.method, credentials: "same-origin", body: body,
                headers: {"X-CSRF-Token": token, "Content-Type": "application/json", "Accept": "application/json"}})
      .then(function (r) {
        return r.text().then(function (t) {
          var shown = t;
          try { shown = JSON.stringify(JSON.parse(t), null, 2); } catch (_) {}
          out.textContent = r.status + " " + r.statusText + "\n" + shown.slice(0, 20000);
        });
      }, function () { out.textContent = "The dashboard server is not answering"; });
  });
})();
