// billpay: small progressive enhancements. Every page works without this file;
// the server checks everything again.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Highlight where a field was read on the document when its input has focus.
  function boxesFor(name) { return document.querySelectorAll('.box[data-field="' + name + '"]'); }
  document.addEventListener("focusin", function (e) {
    var field = e.target.closest && e.target.closest(".field[data-field]");
    document.querySelectorAll(".box.active").forEach(function (b) { b.classList.remove("active"); });
    if (!field) return;
    var boxes = boxesFor(field.dataset.field);
    boxes.forEach(function (b) { b.classList.add("active"); });
    if (boxes.length) boxes[0].scrollIntoView({ block: "nearest", behavior: "smooth" });
  });

  // Split editor: running total that must reach the bill amount.
  function toCents(text, places) {
    var s = String(text || "").replace(/[,\s]/g, "");
    if (!/^-?\d*(\.\d*)?$/.test(s) || s === "" || s === ".") return null;
    var parts = s.split("."), frac = (parts[1] || "").padEnd(places, "0");
    if (frac.length > places) return null;
    return parseInt(parts[0] || "0", 10) * Math.pow(10, places) + (places ? parseInt(frac, 10) : 0) * (s[0] === "-" ? -1 : 1);
  }
  function fmt(cents, places, currency) {
    var neg = cents < 0, v = Math.abs(cents), p = Math.pow(10, places);
    var whole = Math.floor(v / p).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var frac = places ? "." + String(v % p).padStart(places, "0") : "";
    return (neg ? "−" : "") + (currency === "USD" ? "$" : currency + " ") + whole + frac;
  }
  function updateSplits(form) {
    var total = form.dataset.total, places = (total.split(".")[1] || "").length, currency = form.dataset.currency;
    var target = toCents(total, places), sum = 0, bad = false;
    form.querySelectorAll(".line-amount").forEach(function (i) {
      var c = toCents(i.value, places);
      if (c === null) { bad = true; i.setAttribute("aria-invalid", "true"); } else { sum += c; i.removeAttribute("aria-invalid"); }
    });
    var left = target - sum, rem = form.querySelector(".remaining");
    form.querySelector(".lines-sum").textContent = fmt(sum, places, currency);
    rem.textContent = bad ? "an amount is not a number" : left === 0 ? "balanced" : (left > 0 ? fmt(left, places, currency) + " left to allocate" : fmt(-left, places, currency) + " over the bill amount");
    rem.className = "remaining " + (left === 0 && !bad ? "even" : "off");
    form.querySelector(".save-splits").disabled = bad || left !== 0;
  }
  document.querySelectorAll("form.splits").forEach(function (form) {
    updateSplits(form);
    form.addEventListener("input", function () { updateSplits(form); });
    form.addEventListener("click", function (e) {
      var tbody = form.querySelector("tbody");
      if (e.target.closest(".remove-line")) {
        if (tbody.rows.length > 1) e.target.closest("tr").remove();
        updateSplits(form);
      } else if (e.target.closest(".add-line")) {
        var row = tbody.rows[tbody.rows.length - 1].cloneNode(true), n = tbody.rows.length + 1;
        row.querySelectorAll("input, select").forEach(function (el) {
          el.value = ""; el.id = el.id.replace(/-\d+$/, "-" + n);
        });
        row.querySelectorAll("label[for]").forEach(function (l) { l.htmlFor = l.htmlFor.replace(/-\d+$/, "-" + n); l.textContent = l.textContent.replace(/Line \d+/, "Line " + n); });
        row.querySelector(".remove-line").setAttribute("aria-label", "Remove line " + n);
        tbody.appendChild(row);
        updateSplits(form);
        row.querySelector("input").focus();
      }
    });
  });

  // Pay dates: weekends and Federal Reserve holidays are refused, with the next business day offered.
  document.querySelectorAll("form.schedule").forEach(function (form) {
    var holder = form.closest("[data-closed]");
    var closed = JSON.parse((holder && holder.dataset.closed) || "{}"), input = form.querySelector('input[type="date"]');
    var msg = form.querySelector(".date-msg"), button = form.querySelector('button[type="submit"]');
    function check() {
      var hit = closed[input.value];
      msg.textContent = ""; msg.className = "date-msg small"; button.disabled = false;
      if (!hit) return;
      button.disabled = true;
      msg.className = "date-msg small bad";
      msg.append(input.value + " is not a banking day (" + hit.why + "). ");
      var use = document.createElement("button");
      use.type = "button"; use.className = "btn-link"; use.textContent = "Use " + hit.next + " instead";
      use.addEventListener("click", function () { input.value = hit.next; check(); input.focus(); });
      msg.append(use);
    }
    input.addEventListener("change", check);
    input.addEventListener("input", check);
    check();
  });

  // Select-all checkbox; confirmations; copy buttons.
  document.addEventListener("change", function (e) {
    if (!e.target.classList.contains("select-all")) return;
    e.target.closest("table").querySelectorAll('tbody input[type="checkbox"]').forEach(function (c) { c.checked = e.target.checked; });
  });
  document.addEventListener("click", function (e) {
    var confirmBtn = e.target.closest("[data-confirm]");
    if (confirmBtn && !window.confirm(confirmBtn.dataset.confirm)) e.preventDefault();
    var copy = e.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(document.querySelector(copy.dataset.copy).textContent.trim());
      copy.textContent = "Copied";
    }
  });
  // A finished Sync Bills refreshes the dashboard's lists.
  document.body.addEventListener("sync-finished", function () { setTimeout(function () { window.location.replace("/accounting"); }, 1200); });
})();
