/* The decision-table editor: dmn-js opens the file's first decision table; saving keeps a draft (the same
   one after the first save, refused when someone saved it since it was opened) and may go on to the check. */
(function () {
  'use strict';
  var box = document.getElementById('dmn-editor');
  if (!box) { return; }
  var data = box.dataset;
  var status = document.getElementById('modeler-status');
  var message = document.getElementById('modeler-message');
  var buttons = [document.getElementById('save-draft'), document.getElementById('save-check')];
  var nameBox = document.getElementById('draft-name');
  var dirty = false;

  function tell(text) { status.textContent = text || ''; }
  function say(text) { message.textContent = text || ''; message.hidden = !text; }
  function enable(on) { buttons.forEach(function (b) { b.disabled = !on; }); }
  function setDirty(on) {
    dirty = on;
    box.dataset.dirty = on ? 'true' : 'false';
    if (on) { tell(data.msgUnsaved); }
  }

  if (typeof window.DmnJS !== 'function') { say(data.msgMissing); box.dataset.state = 'missing'; return; }
  var modeler = new window.DmnJS({ container: '#dmn-canvas', common: { keyboard: { bindTo: window } } });

  function openTable() {
    var table = modeler.getViews().filter(function (view) { return view.type === 'decisionTable'; })[0];
    return table ? modeler.open(table) : Promise.resolve();
  }

  var saveDraft = window.approvalsDraftSaver(box, { say: say, tell: tell, enable: enable,
                                                    clean: function () { setDirty(false); } });
  function save(thenCheck) {
    saveDraft(modeler.saveXML({ format: true }).then(function (result) { return result.xml; }), thenCheck);
  }

  buttons[0].addEventListener('click', function () { save(false); });
  buttons[1].addEventListener('click', function () { save(true); });
  nameBox.addEventListener('input', function () { setDirty(true); });
  window.addEventListener('beforeunload', function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ''; }
  });

  fetch(data.xmlUrl, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(openTable)
    .then(function () {
      modeler.on('views.changed', function () { box.dataset.view = (modeler.getActiveView() || {}).type || ''; });
      var viewer = modeler.getActiveViewer();
      if (viewer) { viewer.on('elements.changed', function () { setDirty(true); }); }
      box.dataset.view = (modeler.getActiveView() || {}).type || '';
      box.dataset.state = 'ready';
      enable(true);
    })
    .catch(function (error) {
      say(data.msgFailed + ' ' + (error && error.message ? error.message : ''));
      box.dataset.state = 'failed';
    });
}());
