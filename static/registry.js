/* On small screens tables are shown as stacked cards (registry.css): each cell gets its
   column's name, read from the table's header, to show above its value. Pages work
   without it; this only labels the cards. */
(function () {
  "use strict";
  document.querySelectorAll("table.table").forEach(function (table) {
    var names = [];
    table.querySelectorAll("thead th").forEach(function (th) { names.push(th.textContent.trim()); });
    if (!names.length) { return; }
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var column = 0;
      Array.prototype.forEach.call(row.cells, function (cell) {
        var name = names[column];
        // A cell across the whole row ("No trace requests.") is no column's value.
        if (name && cell.colSpan < names.length && !cell.hasAttribute("data-label")) {
          cell.setAttribute("data-label", name);
        }
        column += cell.colSpan || 1;
      });
    });
  });
}());
