// Paged, sortable, filterable tables over the JSON each table carries.
// Cells are only ever set with textContent: every value is text, never markup.
"use strict";
(function () {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const NUMERIC = new Set(["int", "float"]);

  function show(value, kind) {
    if (value === null || value === undefined) return "";
    if (kind === "bool") return value ? "yes" : "no";
    if (kind === "float") return Number.isInteger(value) ? String(value) : value.toFixed(2);
    return String(value);
  }

  function compareValues(a, b, numeric) {
    if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;  // empty cells last
    if (b === null || b === undefined) return -1;
    if (numeric) return a - b;
    return collator.compare(String(a), String(b));
  }

  class Table {
    constructor(root) {
      this.root = root;
      this.pageRows = Number(root.dataset.page) || 100;
      this.loaded = false;
    }

    load() {
      if (this.loaded) return;
      this.loaded = true;
      const data = JSON.parse(this.root.querySelector("script.data").textContent);
      this.columns = data.columns;
      this.kinds = data.kinds;
      this.rows = data.rows;
      this.view = this.rows.map((_, i) => i);
      this.haystack = null;
      this.page = 0;
      this.sortColumn = -1;
      this.sortDescending = false;
      this.tbody = this.root.querySelector("tbody");
      this.count = this.root.querySelector(".count");
      this.buildHead();
      const filter = this.root.querySelector(".filter");
      let timer = 0;
      filter.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.filter(filter.value), 120);
      });
      this.root.querySelector(".prev").addEventListener("click", () => this.turn(-1));
      this.root.querySelector(".next").addEventListener("click", () => this.turn(1));
      this.render();
    }

    buildHead() {
      const row = document.createElement("tr");
      this.columns.forEach((name, index) => {
        const th = document.createElement("th");
        th.textContent = name;
        th.scope = "col";
        th.tabIndex = 0;
        th.title = "sort by " + name;
        th.addEventListener("click", () => this.sort(index));
        th.addEventListener("keydown", (event) => { if (event.key === "Enter") this.sort(index); });
        row.appendChild(th);
      });
      this.root.querySelector("thead").appendChild(row);
    }

    filter(text) {
      const words = text.toLowerCase().split(/\s+/).filter(Boolean);
      if (words.length && this.haystack === null) {
        this.haystack = this.rows.map((row) => row.map((v, i) => show(v, this.kinds[i])).join("\u0001").toLowerCase());
      }
      const order = this.sortColumn >= 0 ? this.sorted : this.rows.map((_, i) => i);
      this.view = words.length ? order.filter((i) => words.every((w) => this.haystack[i].includes(w))) : order.slice();
      this.page = 0;
      this.render();
    }

    sort(column) {
      this.sortDescending = this.sortColumn === column ? !this.sortDescending : false;
      this.sortColumn = column;
      const numeric = NUMERIC.has(this.kinds[column]);
      const rows = this.rows;
      const direction = this.sortDescending ? -1 : 1;
      this.sorted = rows.map((_, i) => i).sort((a, b) => {
        const order = compareValues(rows[a][column], rows[b][column], numeric);
        return order === 0 ? a - b : (rows[a][column] === null || rows[b][column] === null ? order : order * direction);
      });
      const visible = new Set(this.view);
      this.view = this.view.length === rows.length ? this.sorted.slice() : this.sorted.filter((i) => visible.has(i));
      this.root.querySelectorAll("th").forEach((th, i) => {
        if (i === column) th.setAttribute("aria-sort", this.sortDescending ? "descending" : "ascending");
        else th.removeAttribute("aria-sort");
      });
      this.page = 0;
      this.render();
    }

    turn(step) {
      const pages = Math.max(1, Math.ceil(this.view.length / this.pageRows));
      this.page = Math.min(pages - 1, Math.max(0, this.page + step));
      this.render();
    }

    render() {
      const start = this.page * this.pageRows;
      const slice = this.view.slice(start, start + this.pageRows);
      const body = document.createDocumentFragment();
      const severity = this.columns.indexOf("severity");
      for (const index of slice) {
        const tr = document.createElement("tr");
        this.rows[index].forEach((value, i) => {
          const td = document.createElement("td");
          td.textContent = show(value, this.kinds[i]);
          if (NUMERIC.has(this.kinds[i])) td.className = "num";
          if (i === severity) td.className = "sev-" + value;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      }
      this.tbody.replaceChildren(body);
      const total = this.rows.length;
      const shown = this.view.length;
      const range = shown ? (start + 1) + "–" + (start + slice.length) : "0";
      this.count.textContent = range + " of " + shown + (shown !== total ? " (filtered from " + total + ")" : "");
      this.root.dataset.shown = String(shown);
    }
  }

  const tables = [];
  document.querySelectorAll(".tbl").forEach((root) => {
    const table = new Table(root);
    tables.push(table);
    const section = root.closest("details");
    if (!section || section.open) table.load();
    else section.addEventListener("toggle", () => { if (section.open) table.load(); });
  });
  // Printing shows every section, each table at its current page.
  window.addEventListener("beforeprint", () => {
    document.querySelectorAll("details").forEach((d) => { d.open = true; });
    tables.forEach((t) => t.load());
  });
  document.body.dataset.ready = "1";
})();
