// Autocomplete for the search boxes: asks the search API as the reader types and
// lists matching comparisons, topics and tags as links. Without JavaScript the form
// still submits to /search. An input marked data-autocomplete-list (the stack form)
// completes the last of its comma-separated topics instead of following a link.
(function () {
  "use strict";
  var DELAY = 150;
  var KIND = { comparison: "comparison", set: "side by side", topic: "topic", tag: "tag" };

  function setup(input) {
    var form = input.form;
    var list = document.createElement("ul");
    list.className = "autocomplete";
    list.hidden = true;
    list.setAttribute("role", "listbox");
    list.id = "ac-" + Math.random().toString(36).slice(2);
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-autocomplete", "list");
    form.appendChild(list);
    var timer = null;
    var active = -1;
    var latest = 0;
    var listMode = input.hasAttribute("data-autocomplete-list");

    function parts() { return input.value.split(","); }

    function choose(item) {
      // list mode: the chosen topic replaces the part being typed, ready for the next
      var all = parts();
      all[all.length - 1] = " " + item.title;
      input.value = all.join(",").replace(/^\s+/, "") + ", ";
      close();
      input.focus();
    }

    function close() { list.hidden = true; list.textContent = ""; active = -1; }

    function show(items) {
      list.textContent = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "none");
        var a = document.createElement("a");
        a.href = item.url;
        if (listMode) {
          a.addEventListener("click", function (e) { e.preventDefault(); choose(item); });
        }
        a.textContent = item.title;
        a.setAttribute("role", "option");
        a.id = list.id + "-" + i;
        var label = document.createElement("span");
        label.className = "kind-label";
        label.textContent = KIND[item.kind] || "";
        a.appendChild(label);
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      active = -1;
    }

    function query() {
      var q = (listMode ? parts()[parts().length - 1] : input.value).trim();
      if (q.length < 2) { close(); return; }
      var mine = ++latest;
      var url = input.dataset.autocomplete + "?limit=4&q=" + encodeURIComponent(q);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || mine !== latest) { return; }
          show(listMode ? data.topics.slice(0, 8)
            : data.comparisons.concat(data.topics, data.tags).slice(0, 8));
        })
        .catch(function () { close(); });
    }

    function move(step) {
      var links = list.querySelectorAll("a");
      if (!links.length) { return; }
      if (active >= 0) { links[active].classList.remove("active"); }
      active = (active + step + links.length) % links.length;
      links[active].classList.add("active");
      input.setAttribute("aria-activedescendant", links[active].id);
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(query, DELAY);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        list.querySelectorAll("a")[active].click();
      }
    });
    document.addEventListener("click", function (e) {
      if (!form.contains(e.target)) { close(); }
    });
  }

  document.querySelectorAll("input[data-autocomplete]").forEach(setup);
})();
