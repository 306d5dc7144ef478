// Search as you type: ask GET /search?q= (JSON) and list the matching terms under the box.
// Without JavaScript the form submits to /find, which lists the same results on a page.
(function () {
  "use strict";
  const form = document.querySelector("[data-search]");
  if (!form) return;
  const input = form.querySelector("input[type=search]");
  const list = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  let timer = null;
  let latest = 0;

  function show(results, query) {
    list.replaceChildren();
    for (const hit of results) {
      const item = document.createElement("li");
      // A link only where the server gives one (a /term/ page or a web IRI), never built from the IRI here.
      const link = document.createElement(hit.href ? "a" : "span");
      if (hit.href) link.href = hit.href;
      if (hit.notation) {
        const notation = document.createElement("span");
        notation.className = "notation";
        notation.textContent = hit.notation + " ";
        link.append(notation);
      }
      link.append(hit.label);
      item.append(link);
      if (hit.matched && hit.matched !== hit.label) {
        const why = document.createElement("span");
        why.className = "muted";
        why.textContent = " matched “" + hit.matched + "”";
        item.append(why);
      }
      list.append(item);
    }
    const n = results.length;
    status.textContent = query ? n + (n === 1 ? " term" : " terms") + " found" : "";
  }

  async function search() {
    const query = input.value.trim();
    const ticket = ++latest;
    if (!query) {
      show([], "");
      return;
    }
    try {
      const response = await fetch("/search?limit=10&q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
      });
      const data = await response.json();
      if (ticket === latest) show(data.results || [], query);
    } catch (error) {
      status.textContent = "Search failed; press Enter to search on a new page.";
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
})();
