/* The diagram editor: bpmn-js Modeler plus an XML tab kept in sync, saving drafts as JSON with the CSRF token. */
(function () {
  'use strict';
  var box = document.getElementById('modeler');
  if (!box) { return; }
  var data = box.dataset;
  var message = document.getElementById('modeler-message');
  var status = document.getElementById('modeler-status');
  var xmlText = document.getElementById('xml-text');
  var tabs = { diagram: document.getElementById('tab-diagram'), xml: document.getElementById('tab-xml') };
  var panes = { diagram: document.getElementById('pane-diagram'), xml: document.getElementById('pane-xml') };
  var buttons = [document.getElementById('save-draft'), document.getElementById('save-check')];
  var nameBox = document.getElementById('draft-name');
  var view = 'diagram';
  var diagramShown = false;  // the modeler holds the current content
  var xmlEdited = false;     // the textarea changed since the modeler last read it
  var dirty = false;

  function say(text) { message.textContent = text || ''; message.hidden = !text; }
  function tell(text) { status.textContent = text || ''; }
  function setDirty(on) {
    dirty = on;
    box.dataset.dirty = on ? 'true' : 'false';
    if (on) { tell(data.msgUnsaved); }
  }
  function enable(on) { buttons.forEach(function (b) { b.disabled = !on; }); }

  function select(name) {
    view = name;
    Object.keys(tabs).forEach(function (key) {
      tabs[key].classList.toggle('active', key === name);
      tabs[key].setAttribute('aria-selected', String(key === name));
      panes[key].hidden = key !== name;
    });
    box.dataset.view = name;
  }

  /* SpiffWorkflow names a multi-instance collection by its data variable
   * (<loopDataInputRef>notice_targets</loopDataInputRef>), which is no element id in the file. bpmn-js
   * drops references it cannot resolve, and would save the diagram without them; a stand-in carrying the
   * same id is written back exactly as it was read. */
  function keepUnresolvedReferences(event) {
    var moddle = modeler.get('moddle');
    (event.warnings || []).forEach(function (warning) {
      if (!/^unresolved reference/.test(warning.message || '') || !warning.element || !warning.property) { return; }
      var property = warning.element.$descriptor.propertiesByName[warning.property];
      if (!property) { return; }
      var standIn = moddle.create('bpmn:Property', { id: warning.value });
      if (property.isMany) {
        warning.element.get(property.name).push(standIn);
      } else {
        warning.element.set(property.name, standIn);
      }
    });
  }

  var modeler = null;
  if (typeof window.BpmnJS === 'function') {
    modeler = new window.BpmnJS({ container: document.getElementById('modeler-canvas') });
    modeler.on('commandStack.changed', function () { setDirty(true); });
    modeler.on('import.parse.complete', keepUnresolvedReferences);
    if (typeof window.ApprovalsProperties === 'function') {
      new window.ApprovalsProperties(modeler, document.getElementById('props-form'));
    }
  } else {
    say(data.msgMissing);
  }

  /* Reads the textarea into the modeler; rejects (staying on the XML tab) when bpmn-js cannot draw it. */
  function importText() {
    return modeler.importXML(xmlText.value).then(function (result) {
      diagramShown = true;
      xmlEdited = false;
      modeler.get('canvas').zoom('fit-viewport', 'auto');
      return result;
    });
  }

  function exportText() {
    return modeler.saveXML({ format: true }).then(function (result) {
      xmlText.value = result.xml;
      return result.xml;
    });
  }

  tabs.xml.addEventListener('click', function () {
    if (view === 'xml') { return; }
    var ready = modeler && diagramShown ? exportText() : Promise.resolve();
    ready.then(function () { select('xml'); }, function (error) { say(data.msgFailed + ' ' + error.message); });
  });

  tabs.diagram.addEventListener('click', function () {
    if (view === 'diagram' || !modeler) { return; }
    // The canvas must be visible while bpmn-js draws and fits the diagram: show it first, go back on failure.
    select('diagram');
    var ready = xmlEdited || !diagramShown ? importText() : Promise.resolve();
    ready.then(function () { say(''); }, function (error) {
      diagramShown = false;
      select('xml');
      say(data.msgBadXml + ' ' + error.message);
    });
  });

  xmlText.addEventListener('input', function () { xmlEdited = true; setDirty(true); });
  if (nameBox) { nameBox.addEventListener('input', function () { setDirty(true); }); }

  /* The content to save: the textarea when it is in front (it may not even draw), else the modeler's export. */
  function currentXml() {
    if (view === 'xml' || !modeler || !diagramShown) { return Promise.resolve(xmlText.value); }
    return exportText();
  }

  var saveDraft = window.approvalsDraftSaver(box, { say: say, tell: tell, enable: enable,
                                                    clean: function () { setDirty(false); } });
  function save(thenCheck) { saveDraft(currentXml(), thenCheck); }

  buttons[0].addEventListener('click', function () { save(false); });
  buttons[1].addEventListener('click', function () { save(true); });

  window.addEventListener('beforeunload', function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ''; }
  });

  fetch(data.xmlUrl, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) {
      xmlText.value = xml;
      enable(true);
      if (!modeler) { select('xml'); return null; }
      return importText().then(function () { setDirty(false); tell(''); }, function () {
        say(data.msgFailed);
        select('xml');
      });
    })
    .then(function () { box.dataset.state = 'ready'; })
    .catch(function (error) { say(data.msgFailed + ' ' + error.message); box.dataset.state = 'failed'; });
}());
