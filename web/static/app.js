/* Repeated rows: the "add a row" button clones the row template (without script, one spare row is always there). */
(function () {
  'use strict';
  document.querySelectorAll('button.add-row').forEach(function (button) {
    var template = document.getElementById(button.dataset.template);
    var body = button.parentElement.querySelector('.rows-body');
    if (!template || !body) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      var index = Number(button.dataset.next);
      var html = template.innerHTML.split('__i__').join(String(index));
      body.insertAdjacentHTML('beforeend', html);
      var added = body.lastElementChild;
      var number = added.querySelector('.row-no');
      if (number) { number.textContent = String(index + 1); }
      button.dataset.next = String(index + 1);
      var first = added.querySelector('input, select, textarea');
      if (first) { first.focus(); }
    });
  });
}());

/* Copy buttons (a new API token): shown only where the clipboard can be written; the field stays selectable. */
(function () {
  'use strict';
  document.querySelectorAll('button.copy[data-copy]').forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.dataset.done;
      }, function () {
        field.select();
      });
    });
  });
  document.querySelectorAll('input.secret').forEach(function (field) {
    field.addEventListener('focus', function () { field.select(); });
  });
}());

/* Forms that end something for everyone ask first (data-confirm holds the question). */
(function () {
  'use strict';
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
}());

/* Fields the form requires only while another field holds certain values (data-show-field, data-show-values)
   are shown only then; hidden, their inputs are disabled so they send nothing. Without script every field
   shows, and the server's validation says which are needed. */
(function () {
  'use strict';
  function valueOf(form, name) {
    var found = Array.prototype.filter.call(form.elements, function (el) { return el.name === name; });
    if (!found.length) { return null; }
    if (found[0].type === 'checkbox' && found.length === 1) { return found[0].checked ? 'true' : 'false'; }
    if (found[0].type === 'radio' || found[0].type === 'checkbox') {
      var checked = found.filter(function (el) { return el.checked; });
      return checked.length ? checked[0].value : '';
    }
    return found[0].value;
  }
  document.querySelectorAll('form').forEach(function (form) {
    var dependent = form.querySelectorAll('[data-show-field]');
    if (!dependent.length) { return; }
    function update() {
      dependent.forEach(function (box) {
        var current = valueOf(form, box.dataset.showField);
        var shown = current === null || box.dataset.showValues.split(' ').indexOf(current) >= 0;
        box.hidden = !shown;
        box.querySelectorAll('input, select, textarea').forEach(function (el) { el.disabled = !shown; });
      });
    }
    form.addEventListener('change', update);
    update();
  });
}());

/* "12 / 200 characters" under text with a limit, as the person types (characters, not UTF-16 units). */
(function () {
  'use strict';
  document.querySelectorAll('[data-count-for]').forEach(function (counter) {
    var field = document.getElementById(counter.dataset.countFor);
    if (!field) { return; }
    function update() {
      counter.textContent = counter.dataset.template.replace('{used}', String(Array.from(field.value).length));
    }
    field.addEventListener('input', update);
  });
}());

/* The print view's button (shown only where script runs: without it, the browser's own print works). */
(function () {
  'use strict';
  document.querySelectorAll('button[data-print]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });
}());
