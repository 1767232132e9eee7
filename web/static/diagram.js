/* Draws the instance's BPMN diagram with bpmn-js and marks the open tasks and the path taken. */
(function () {
  'use strict';
  var box = document.getElementById('diagram');
  if (!box) { return; }
  var message = box.querySelector('.diagram-message');

  function say(text) {
    message.textContent = text;
    message.hidden = false;
    box.querySelector('.canvas').hidden = true;
    box.dataset.state = 'failed';
  }

  if (typeof window.BpmnJS !== 'function') { say(box.dataset.msgMissing); return; }

  var current = JSON.parse(box.dataset.current || '[]');
  var done = JSON.parse(box.dataset.done || '[]');
  var viewer = new window.BpmnJS({ container: box.querySelector('.canvas') });

  function mark() {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var visited = {};
    done.forEach(function (id) { visited[id] = true; });
    current.forEach(function (id) { visited[id] = true; });
    // The audit trail names tasks and events, not gateways, start events or flows: infer those from their
    // neighbours (a gateway counts when something before it and something after it were visited).
    function reached(el) {
      var before = el.type === 'bpmn:StartEvent' ||
        (el.incoming || []).some(function (flow) { return flow.source && visited[flow.source.id]; });
      var after = (el.outgoing || []).some(function (flow) { return flow.target && visited[flow.target.id]; });
      return before && after;
    }
    var inferable = registry.filter(function (el) {
      return el.type === 'bpmn:StartEvent' || /Gateway$/.test(el.type);
    });
    var changed = true;
    while (changed) {
      changed = false;
      inferable.forEach(function (el) {
        if (!visited[el.id] && reached(el)) {
          visited[el.id] = true;
          done.push(el.id);
          changed = true;
        }
      });
    }
    done.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'path-done'); } });
    registry.filter(function (el) { return el.type === 'bpmn:SequenceFlow'; }).forEach(function (flow) {
      if (flow.source && flow.target && visited[flow.source.id] && visited[flow.target.id]) {
        canvas.addMarker(flow.id, 'path-done');
      }
    });
    current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'current-task'); } });
    canvas.zoom('fit-viewport', 'auto');
    box.dataset.state = 'ready';
  }

  fetch(box.dataset.xmlUrl, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(mark)
    .catch(function (error) {
      // A file without BPMN DI (no shapes) has nothing to draw: say so, it is not a broken page.
      var noLayout = /no diagram to display/i.test(String(error && error.message));
      say(noLayout ? box.dataset.msgNoLayout : box.dataset.msgFailed);
      box.dataset.state = noLayout ? 'no-layout' : 'failed';
    });
}());
