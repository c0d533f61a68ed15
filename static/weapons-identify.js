// Weapon form: as the user types the make, model, calibre or type, ask the registry what
// the reference table makes of them (GET /weapons/identify, read-only) and show it under
// the fields, with a button per suggestion. Without this script the form works the same:
// the <datalist> elements suggest names and the record page offers the suggestions.
(function () {
  "use strict";
  var panel = document.getElementById("identify-live");
  if (!panel || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var FIELDS = ["make", "model", "calibre", "type"];
  var inputs = {};
  FIELDS.forEach(function (field) {
    inputs[field] = document.getElementById("raw_" + field);
  });
  var timer = null;
  var asked = 0;

  function text(name) {
    return panel.getAttribute("data-" + name) || "";
  }

  function element(tag, content, className) {
    var node = document.createElement(tag);
    if (content) {
      node.textContent = content;
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function ask() {
    var params = new URLSearchParams();
    var typed = false;
    FIELDS.forEach(function (field) {
      var value = inputs[field] ? inputs[field].value.trim() : "";
      if (value) {
        params.set(field, value);
        typed = true;
      }
    });
    if (!typed) {
      panel.hidden = true;
      return;
    }
    var mine = ++asked;
    fetch(panel.getAttribute("data-url") + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      return response.ok && type.indexOf("json") !== -1 ? response.json() : null;
    }).then(function (answer) {
      if (answer && mine === asked) {
        show(answer);
      }
    }).catch(function () {
      // The form works without the answer: say nothing.
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 350);
  }

  function pick(suggestion) {
    var input = inputs[suggestion.field];
    if (input) {
      input.value = suggestion.value;
    }
    if (suggestion.field === "model" && suggestion.make && inputs.make) {
      inputs.make.value = suggestion.make;
    }
    ask();
  }

  function show(answer) {
    while (panel.firstChild) {
      panel.removeChild(panel.firstChild);
    }
    var found = [answer.make, answer.model].filter(Boolean).join(" ");
    var rest = [answer.calibre, answer.type_name].filter(Boolean);
    var line = element("p");
    if (found || rest.length) {
      line.appendChild(element("strong", text("identified") + " "));
      line.appendChild(document.createTextNode([found].concat(rest).filter(Boolean).join(" · ")));
      line.appendChild(document.createTextNode(" (" + (answer.sure ? text("certain") : text("to-check")) + ")"));
    } else {
      line.textContent = text("nothing");
    }
    panel.appendChild(line);
    var suggestions = answer.suggestions || [];
    if (suggestions.length) {
      var list = element("p");
      list.appendChild(document.createTextNode(text("suggestions") + " "));
      suggestions.forEach(function (suggestion) {
        var label = text("label-" + suggestion.field) + ": " + suggestion.value +
          (suggestion.make ? " (" + suggestion.make + ")" : "");
        var button = element("button", label);
        button.type = "button";
        button.addEventListener("click", function () {
          pick(suggestion);
        });
        list.appendChild(button);
        list.appendChild(document.createTextNode(" "));
      });
      panel.appendChild(list);
    }
    panel.hidden = false;
  }

  FIELDS.forEach(function (field) {
    if (inputs[field]) {
      inputs[field].addEventListener("input", schedule);
      inputs[field].addEventListener("change", schedule);
    }
  });
  ask();
}());
