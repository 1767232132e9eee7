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
