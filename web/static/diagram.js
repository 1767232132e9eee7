/* Draws the instance's BPMN diagram with bpmn-js: marks the open tasks and the path taken, names lanes by
   their groups, opens on the open task, and offers zoom buttons and (where the package is installed) a
   minimap. */
(function () {
  'use strict';
  var box = document.getElementById('diagram');
  if (!box) { return; }
  var message = box.querySelector('.diagram-message');
  var tools = box.querySelector('.diagram-tools');
  var container = box.querySelector('.canvas');

  function say(text) {
    message.textContent = text;
    message.hidden = false;
    container.hidden = true;
    tools.hidden = true;
    box.dataset.state = 'failed';
  }

  if (typeof window.BpmnJS !== 'function') { say(box.dataset.msgMissing); return; }

  var current = JSON.parse(box.dataset.current || '[]');
  var done = JSON.parse(box.dataset.done || '[]');
  var waiting = JSON.parse(box.dataset.waiting || '[]');
  var laneNames = JSON.parse(box.dataset.laneNames || '{}');
  // diagram-js asks its translate service for the words it shows (the minimap's toggle).
  var words = { 'Open minimap': box.dataset.msgOpenMinimap, 'Close minimap': box.dataset.msgCloseMinimap };
  function translate(template, replacements) {
    var text = words[template] || template;
    return text.replace(/{([^}]+)}/g, function (all, key) {
      return replacements && key in replacements ? replacements[key] : all;
    });
  }
  var modules = [{ translate: ['value', translate] }];
  if (window.DiagramJSMinimap) { modules.push(window.DiagramJSMinimap); }
  var viewer = new window.BpmnJS({ container: container, additionalModules: modules });
  var canvas = viewer.get('canvas');
  var registry = viewer.get('elementRegistry');

  // A lane's name is the id of the group that works in it: people read the group's name instead. Renamed
  // in the parsed model, before anything is drawn; the file itself is not changed.
  viewer.on('import.parse.complete', function (event) {
    var elements = (event && event.elementsById) || {};
    Object.keys(elements).forEach(function (id) {
      var element = elements[id];
      if (element.$type === 'bpmn:Lane' && element.name && laneNames[element.name]) {
        element.name = laneNames[element.name];
      }
    });
  });

  function mark() {
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
    // a task waiting on the people it asked (加签) or on a rework: marked, with a badge saying so
    var overlays = viewer.get('overlays');
    waiting.forEach(function (id) {
      if (!registry.get(id)) { return; }
      canvas.addMarker(id, 'waiting-task');
      var badge = document.createElement('span');
      badge.className = 'waiting-badge';
      badge.textContent = box.dataset.msgWaiting;
      overlays.add(id, { position: { top: -12, left: 0 }, html: badge });
    });
  }

  // The open tasks with the steps just before and after them, at most at full size, centred; the whole
  // diagram when nothing is open.
  function openView() {
    var shown = current.map(function (id) { return registry.get(id); }).filter(Boolean);
    if (!shown.length) {
      canvas.zoom('fit-viewport', 'auto');
      return;
    }
    var around = shown.slice();
    shown.forEach(function (el) {
      (el.incoming || []).forEach(function (flow) { if (flow.source) { around.push(flow.source); } });
      (el.outgoing || []).forEach(function (flow) { if (flow.target) { around.push(flow.target); } });
    });
    var focus = bounds(shown);
    var wide = bounds(around.filter(function (el) { return !el.waypoints && !el.labelTarget; }));
    var outer = canvas.getSize();
    var margin = 40;
    var scale = Math.min(1, outer.width / (wide.width + 2 * margin), outer.height / (wide.height + 2 * margin));
    scale = Math.max(scale, Math.min(1, outer.width / (focus.width + 2 * margin), 0.75));  // still legible
    var width = outer.width / scale;
    var height = outer.height / scale;
    canvas.viewbox({
      x: focus.x + focus.width / 2 - width / 2,
      y: focus.y + focus.height / 2 - height / 2,
      width: width,
      height: height
    });
  }

  function bounds(elements) {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    elements.forEach(function (el) {
      x0 = Math.min(x0, el.x); y0 = Math.min(y0, el.y);
      x1 = Math.max(x1, el.x + el.width); y1 = Math.max(y1, el.y + el.height);
    });
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }

  function zoom(how) {
    if (how === 'fit') {
      canvas.zoom('fit-viewport', 'auto');
    } else {
      var scale = canvas.zoom() * (how === 'in' ? 1.25 : 0.8);
      canvas.zoom(Math.max(0.2, Math.min(4, scale)));  // about the middle of what is shown
    }
    box.dataset.scale = String(canvas.zoom());
  }

  function minimap() {
    var map;
    try { map = viewer.get('minimap'); } catch (missing) { return; }
    // Open beside a wide diagram box; on a phone the map would cover most of it, so it starts closed.
    if (container.clientWidth >= 640) { map.open(); }
    var toggle = container.querySelector('.djs-minimap .toggle');
    if (toggle) {
      toggle.setAttribute('role', 'button');
      toggle.setAttribute('tabindex', '0');
      toggle.addEventListener('keydown', function (event) {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          map.toggle();
        }
      });
    }
  }

  Array.prototype.forEach.call(tools.querySelectorAll('button[data-zoom]'), function (button) {
    button.addEventListener('click', function () { zoom(button.dataset.zoom); });
  });

  fetch(box.dataset.xmlUrl, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      mark();
      openView();
      minimap();
      tools.hidden = false;
      box.dataset.scale = String(canvas.zoom());
      box.dataset.state = 'ready';
    })
    .catch(function (error) {
      // A file without BPMN DI (no shapes) has nothing to draw: say so, it is not a broken page.
      var noLayout = /no diagram to display/i.test(String(error && error.message));
      say(noLayout ? box.dataset.msgNoLayout : box.dataset.msgFailed);
      box.dataset.state = noLayout ? 'no-layout' : 'failed';
    });
}());
