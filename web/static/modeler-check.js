/* The check page's diagram: marks the elements with problems (or, when there are none, the changed ones);
   on the replay page, how many requests part from their path or get stuck at each element. */
(function () {
  'use strict';
  var box = document.getElementById('check-diagram');
  if (!box) { return; }
  var message = box.querySelector('.diagram-message');

  function say(text, state) {
    message.textContent = text;
    message.hidden = false;
    box.querySelector('.canvas').hidden = true;
    var legend = box.parentElement.querySelector('.legend');
    if (legend) { legend.hidden = true; }
    box.dataset.state = state || 'failed';
  }

  if (typeof window.BpmnJS !== 'function') { say(box.dataset.msgMissing); return; }

  var problems = JSON.parse(box.dataset.problems || '[]');
  var changed = JSON.parse(box.dataset.changed || '[]');
  var replay = JSON.parse(box.dataset.replay || '{}');
  var viewer = new window.BpmnJS({ container: box.querySelector('.canvas') });

  // How many problems each element has, so its badge can say so.
  function counts() {
    var out = {};
    document.querySelectorAll('#problems .problem').forEach(function (item) {
      var id = item.dataset.element;
      if (id) { out[id] = (out[id] || 0) + 1; }
    });
    return out;
  }

  function badge(text, kind) {
    var span = document.createElement('span');
    span.className = 'diagram-badge ' + kind;
    span.textContent = text;
    return span;
  }

  function mark() {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    var perElement = counts();
    problems.forEach(function (id) {
      if (!registry.get(id)) { return; }
      canvas.addMarker(id, 'has-problem');
      overlays.add(id, 'problem', { position: { top: 2, left: 2 }, html: badge(String(perElement[id] || '!'), 'problem') });
    });
    changed.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, 'is-changed'); }
    });
    Object.keys(replay).forEach(function (id) {
      if (!registry.get(id)) { return; }
      var top = 2;
      ['different', 'stuck'].forEach(function (verdict) {
        var count = replay[id][verdict];
        if (!count) { return; }
        canvas.addMarker(id, verdict === 'stuck' ? 'has-problem' : 'is-changed');
        var label = (box.dataset['label' + verdict.charAt(0).toUpperCase() + verdict.slice(1)] || '{n}')
          .replace('{n}', String(count));
        var span = badge(label, verdict === 'stuck' ? 'problem' : 'rerouted');
        span.dataset.element = id;
        overlays.add(id, 'replay', { position: { top: top, left: 2 }, html: span });
        top += 22;
      });
    });
    canvas.zoom('fit-viewport', 'auto');
    box.dataset.state = 'ready';
  }

  // Hovering or focusing a problem in the list points at its element on the diagram.
  document.querySelectorAll('#problems .problem[data-element]').forEach(function (item) {
    var id = item.dataset.element;
    function toggle(on) {
      if (!id || box.dataset.state !== 'ready' || !viewer.get('elementRegistry').get(id)) { return; }
      var canvas = viewer.get('canvas');
      if (on) { canvas.addMarker(id, 'is-pointed'); } else { canvas.removeMarker(id, 'is-pointed'); }
    }
    item.addEventListener('mouseenter', function () { toggle(true); });
    item.addEventListener('mouseleave', function () { toggle(false); });
  });

  fetch(box.dataset.xmlUrl, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(mark)
    .catch(function (error) {
      var noLayout = /no diagram to display/i.test(String(error && error.message));
      say(noLayout ? box.dataset.msgNoLayout : box.dataset.msgFailed, noLayout ? 'no-layout' : 'failed');
    });
}());
