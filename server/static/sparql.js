// Replace the plain SPARQL form with YASGUI (served from /static/vendor/yasgui), pointed at this
// server's endpoint, with the ontology's prefixes and example queries in tabs. Without JavaScript,
// or if YASGUI fails to load, the plain form stays and works.
(function () {
  "use strict";
  const host = document.getElementById("yasgui");
  const plain = document.getElementById("plain-editor");
  if (!host || !window.Yasgui) return;
  const Yasgui = window.Yasgui;
  // Class and property completion ask a remote vocabulary service (LOV): keep only local completers.
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(
    (name) => !/class|propert/i.test(name)
  );
  const endpoint = host.dataset.endpoint;
  const starter = document.getElementById("query").value;
  const examples = JSON.parse(host.dataset.examples || "[]");
  const titles = JSON.parse(host.dataset.titles || "[]");
  const yasgui = new Yasgui(host, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    persistenceId: null,
    populateFromUrl: false,
    autofocus: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    yasqe: { value: starter },
  });
  // A fresh YASGUI has one tab: give it the starting query, then add one tab per example.
  const first = yasgui.getTab();
  first.setQuery(starter);
  first.setName("Start");
  examples.forEach((text, i) => {
    yasgui.addTab(false, { ...Yasgui.Tab.getDefaults(), name: titles[i] || "Example", yasqe: { value: text } });
  });
  plain.hidden = true;
  // YASGUI's own controls have no labels: name them for screen readers, also in tabs added later.
  function labelControls() {
    const label = (selector, text) =>
      host.querySelectorAll(selector + ":not([aria-label])").forEach((el) => el.setAttribute("aria-label", text));
    label(".CodeMirror textarea", "SPARQL query");
    label("input.autocomplete", "SPARQL endpoint");
    host.querySelectorAll("select:not([aria-label])").forEach((select) => {
      const solutions = [...select.options].some((o) => o.value.includes("sparql-results"));
      select.setAttribute("aria-label", solutions ? "Result format of SELECT and ASK queries" : "Result format of CONSTRUCT and DESCRIBE queries");
    });
  }
  labelControls();
  new MutationObserver(labelControls).observe(host, { childList: true, subtree: true });
})();
