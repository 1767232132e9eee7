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

/* Pickers (data-lookup): matches from the register as the person types, with code, grade and warnings; a
   new entry can be registered from the list by those allowed. Without script the field is plain text. */
(function () {
  'use strict';
  document.querySelectorAll('input[data-lookup]').forEach(function (field) {
    var list = document.getElementById(field.id + '-list');
    var picked = document.getElementById(field.id + '-picked');
    var timer = null;
    var active = -1;
    var asked = 0;
    if (!list || !picked) { return; }

    function options() { return Array.prototype.slice.call(list.querySelectorAll('[role="option"]')); }
    function close() {
      list.hidden = true;
      field.setAttribute('aria-expanded', 'false');
      field.removeAttribute('aria-activedescendant');
      active = -1;
    }
    function show(item, isNew) {
      picked.textContent = '';
      var line = document.createElement('span');
      line.className = 'lookup-summary';
      line.textContent = [isNew ? list.dataset.new : '', item.summary].filter(Boolean).join(' · ');
      picked.appendChild(line);
      if (item.warning) {
        var warn = document.createElement('strong');
        warn.className = 'lookup-warning';
        warn.textContent = '⚠ ' + item.warning;
        picked.appendChild(warn);
      }
    }
    function pick(item, isNew) {
      field.value = item.value;
      show(item, isNew);
      close();
      field.dispatchEvent(new Event('change', { bubbles: true }));
    }
    function register(label) {
      var token = field.form && field.form.querySelector('input[name="csrf_token"]');
      var body = new URLSearchParams({ label: label, csrf_token: token ? token.value : '' });
      fetch(field.dataset.lookup, { method: 'POST', body: body, credentials: 'same-origin',
                                    headers: { 'Accept': 'application/json', 'X-CSRFToken': token ? token.value : '' } })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (res.ok) { pick(res.body.item, true); } else { picked.textContent = res.body.message || list.dataset.failed; }
        })
        .catch(function () { picked.textContent = list.dataset.failed; });
    }
    function entry(id, html) {
      var li = document.createElement('li');
      li.id = id;
      li.setAttribute('role', 'option');
      li.className = 'lookup-option';
      li.appendChild(html);
      return li;
    }
    function render(text, answer) {
      list.textContent = '';
      answer.items.forEach(function (item, i) {
        var box = document.createElement('span');
        var name = document.createElement('strong');
        name.textContent = item.label;
        var summary = document.createElement('span');
        summary.className = 'muted';
        summary.textContent = ' ' + item.summary;
        box.appendChild(name);
        box.appendChild(summary);
        if (item.warning) {
          var warn = document.createElement('span');
          warn.className = 'lookup-warning';
          warn.textContent = ' ⚠ ' + item.warning;
          box.appendChild(warn);
        }
        var li = entry(field.id + '-opt-' + i, box);
        li.addEventListener('mousedown', function (e) { e.preventDefault(); pick(item, false); });
        li.pick = function () { pick(item, false); };
        list.appendChild(li);
      });
      var exact = answer.items.some(function (item) { return item.value === text; });
      if (!exact) {
        if (answer.may_register) {
          var add = document.createElement('span');
          add.textContent = '＋ ' + list.dataset.add.replace('{name}', text);
          var li = entry(field.id + '-opt-new', add);
          li.classList.add('lookup-add');
          li.addEventListener('mousedown', function (e) { e.preventDefault(); register(text); });
          li.pick = function () { register(text); };
          list.appendChild(li);
        } else {
          var note = document.createElement('li');
          note.className = 'lookup-none muted';
          note.textContent = list.dataset.none;
          list.appendChild(note);
        }
      }
      list.hidden = false;
      field.setAttribute('aria-expanded', 'true');
      active = -1;
    }
    function search() {
      var text = field.value.trim();
      picked.textContent = '';
      if (!text) { close(); return; }
      var mine = ++asked;
      fetch(field.dataset.lookup + '?q=' + encodeURIComponent(text),
            { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (answer) {  // typed on into another field meanwhile: no list pops up there
          if (mine === asked && document.activeElement === field) { render(text, answer); }
        })
        .catch(function () { if (mine === asked) { close(); picked.textContent = list.dataset.failed; } });
    }
    function move(step) {
      var all = options();
      if (!all.length) { return; }
      active = (active + step + all.length) % all.length;
      all.forEach(function (li, i) { li.classList.toggle('active', i === active); li.setAttribute('aria-selected', String(i === active)); });
      field.setAttribute('aria-activedescendant', all[active].id);
    }
    field.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(search, 200); });
    field.addEventListener('keydown', function (e) {
      if (list.hidden) { return; }
      if (e.key === 'ArrowDown') { e.preventDefault(); move(1); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); move(-1); }
      else if (e.key === 'Escape') { close(); }
      else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); options()[active].pick(); }
    });
    field.addEventListener('blur', function () { setTimeout(close, 150); });
  });
}());
