/* Saving a draft from the models editors (diagram and decision table): the page's one draft, its name, and
   the revision it was opened at, so a save after someone else's is refused rather than overwriting it. */
(function () {
  'use strict';

  /* box: the editor element (data-save-url, data-csrf, data-draft-id, data-base-version, data-revision,
     data-msg-*); ui: {say, tell, enable, clean} of the page; returns save(xmlPromise, thenCheck). */
  window.approvalsDraftSaver = function (box, ui) {
    var data = box.dataset;
    var nameBox = document.getElementById('draft-name');
    var draftId = data.draftId ? Number(data.draftId) : null;
    var baseVersion = data.baseVersion ? Number(data.baseVersion) : null;
    var revision = data.revision ? Number(data.revision) : null;

    return function save(xmlPromise, thenCheck) {
      ui.enable(false);
      ui.tell(data.msgSaving);
      ui.say('');
      xmlPromise.then(function (xml) {
        return fetch(data.saveUrl, {
          method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': data.csrf },
          body: JSON.stringify({ xml: xml, draft_id: draftId, base_version: baseVersion, revision: revision,
                                 name: nameBox ? nameBox.value : null })
        });
      }).then(function (response) {
        return response.json().catch(function () { return { ok: false }; }).then(function (body) {
          if (!response.ok || !body.ok) { throw body; }
          return body;
        });
      }).then(function (body) {
        draftId = body.draft_id;
        revision = body.revision;
        box.dataset.draftId = String(draftId);
        ui.clean();
        ui.tell(body.message);
        if (window.history && window.history.replaceState) { window.history.replaceState(null, '', body.edit_url); }
        if (thenCheck) { window.location.assign(body.check_url); }
      }).catch(function (body) {
        var text = (body && body.message) || data.msgSaveFailed;
        (body && body.problems || []).forEach(function (p) { text += ' ' + p.reason; });
        ui.say(text);
        ui.tell('');
      }).then(function () { ui.enable(true); });
    };
  };
}());
