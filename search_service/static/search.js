// Enhances the search page: suggestions while typing, results without a full reload
// (the URL stays shareable), theme toggle. The page works without this script.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  var content = document.getElementById("content");
  var toggle = document.getElementById("theme-toggle");

  // Theme ---------------------------------------------------------------------------
  function currentTheme() {
    var chosen = root.getAttribute("data-theme");
    if (chosen) return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function showTheme() {
    var dark = currentTheme() === "dark";
    toggle.setAttribute("aria-pressed", dark ? "true" : "false");
    toggle.textContent = dark ? toggle.dataset.light : toggle.dataset.night;
  }
  if (toggle) {
    toggle.hidden = false;
    showTheme();
    toggle.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("theme", next); } catch (e) { /* not remembered */ }
      showTheme();
    });
  }

  if (!form || !input || !content) return;

  // Results without a reload ----------------------------------------------------------
  var loading = 0;
  function queryFromForm() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (String(value).trim() !== "" && !(name === "sort" && value === "relevance")) {
        params.append(name, value);
      }
    });
    return "/?" + params.toString();
  }
  function load(url, push) {
    var ticket = ++loading;
    var headers = { "X-Partial": "content" };
    if (!push) headers["X-Replay"] = "history";  // back/forward: no new search to log
    var results = document.getElementById("results");
    if (results) {
      results.setAttribute("aria-busy", "true");
      var spinner = results.querySelector(".loading");
      if (spinner) spinner.hidden = false;
    }
    return fetch(url, { headers: headers })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (ticket !== loading) return;  // a newer request has been made
        content.innerHTML = html;        // rendered and escaped by the server
        var q = new URL(url, location.href).searchParams.get("q") || "";
        input.value = q;
        document.title = (q ? q + " · " : "") + document.title.replace(/^.* · /, "");
        if (push) history.pushState({}, "", url);
      })
      .catch(function () { location.href = url; });  // fall back to a normal page load
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    dismissSuggestions();
    load(queryFromForm(), true);
  });
  content.addEventListener("change", function (event) {
    if (event.target.hasAttribute("data-autosubmit")) load(queryFromForm(), true);
  });
  content.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-nav]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    load(link.getAttribute("href"), true).then(function () {
      var status = document.getElementById("status");
      if (status && link.closest(".pagination")) {
        status.setAttribute("tabindex", "-1");
        status.focus();
      }
    });
  });
  window.addEventListener("popstate", function () { load(location.href, false); });

  // Clicks: the link opens as it is; a beacon tells the service which result was followed
  // (it outlives the page being left). Middle clicks open results too.
  function followed(event) {
    var link = event.target.closest("a[data-id]");
    var hits = link && link.closest("[data-search-id]");
    if (!hits || !navigator.sendBeacon || event.button > 1) return;
    var click = {
      search_id: hits.getAttribute("data-search-id"),
      id: link.getAttribute("data-id"),
      position: parseInt(link.getAttribute("data-position"), 10)
    };
    navigator.sendBeacon(
      "/events/click", new Blob([JSON.stringify(click)], { type: "application/json" })
    );
  }
  content.addEventListener("click", followed);
  content.addEventListener("auxclick", followed);

  // Suggestions ---------------------------------------------------------------------
  var items = [];
  var active = -1;
  var timer = null;
  var asked = 0;

  // After a search is submitted or a suggestion picked, nothing typed before may reopen the
  // list: the pending keystroke is dropped and answers still on their way are ignored.
  function dismissSuggestions() {
    clearTimeout(timer);
    asked++;
    closeSuggestions();
  }
  function closeSuggestions() {
    list.hidden = true;
    list.textContent = "";
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function highlight(index) {
    active = index;
    items.forEach(function (item, i) {
      item.element.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", items[index].element.id);
      items[index].element.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function pick(item) {
    dismissSuggestions();
    if (item.kind === "article" && /^https?:\/\//.test(item.url || "")) {
      location.href = item.url;
      return;
    }
    input.value = item.text;
    load(queryFromForm(), true);
  }
  function show(suggestions) {
    list.textContent = "";
    items = suggestions.map(function (suggestion, i) {
      var element = document.createElement("li");
      element.id = "suggestion-" + i;
      element.setAttribute("role", "option");
      element.setAttribute("aria-selected", "false");
      var text = document.createElement("span");
      text.textContent = suggestion.text;  // text, never HTML
      element.appendChild(text);
      if (suggestion.kind === "article") {
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = (suggestion.lang || "").toUpperCase();
        element.appendChild(kind);
      }
      element.addEventListener("mousedown", function (event) {
        event.preventDefault();
        pick(suggestion);
      });
      list.appendChild(element);
      return { element: element, kind: suggestion.kind, text: suggestion.text, url: suggestion.url };
    });
    active = -1;
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }
  function fetchSuggestions() {
    var text = input.value;
    if (!text.trim()) { closeSuggestions(); return; }
    var ticket = ++asked;
    var params = new URLSearchParams({ q: text, limit: "8" });
    var lang = form.querySelector("[name=lang]");
    if (lang && lang.value) params.set("lang", lang.value);
    fetch("/suggest?" + params.toString())
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (body) {
        if (ticket === asked && document.activeElement === input) show(body.suggestions || []);
      })
      .catch(function () { /* suggestions are optional */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      highlight((active + 1) % items.length);
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      pick(items[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      closeSuggestions();
    }
  });
  input.addEventListener("blur", function () { setTimeout(closeSuggestions, 150); });
})();
