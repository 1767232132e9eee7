/* A small properties panel for the diagram editor: name, documentation, form files, conditions, timers.
 *
 * Everything goes through bpmn-js's modeling commands, so each edit can be undone and marks the diagram
 * changed. SpiffWorkflow's extension elements (spiffworkflow:properties) have no moddle descriptor here:
 * bpmn-js keeps them as generic elements ($type, attributes, $children), which is how they are read and
 * written below, so anything this panel does not know survives untouched.
 */
(function () {
  'use strict';
  var SPIFF = 'http://spiffworkflow.org/bpmn/schema/1.0/core';
  var TIMER_KINDS = ['timeDuration', 'timeDate', 'timeCycle'];

  function is(bo, type) { return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type)); }

  function find(list, test) {
    for (var i = 0; i < (list || []).length; i += 1) { if (test(list[i])) { return list[i]; } }
    return null;
  }

  function extensionValues(bo) { return (bo.extensionElements && bo.extensionElements.values) || []; }

  function spiffProperties(bo) {
    return find(extensionValues(bo), function (v) { return v.$type === 'spiffworkflow:properties'; });
  }

  function spiffProperty(bo, key) {
    var holder = spiffProperties(bo);
    return holder && find(holder.$children, function (c) {
      return c.$type === 'spiffworkflow:property' && c.name === key;
    });
  }

  function operatorOf(bo) {
    var op = find(extensionValues(bo), function (v) { return v.$type === 'spiffworkflow:serviceTaskOperator'; });
    return op ? op.id : '';
  }

  function timerOf(bo) {
    return find(bo.eventDefinitions, function (d) { return is(d, 'bpmn:TimerEventDefinition'); });
  }

  function timerValue(definition) {
    var kind = find(TIMER_KINDS, function (k) { return definition[k]; }) || 'timeDuration';
    return { kind: kind, value: (definition[kind] && definition[kind].body) || '' };
  }

  function hasForm(bo) { return is(bo, 'bpmn:UserTask') || is(bo, 'bpmn:StartEvent'); }

  function conditional(element) {
    var source = element.source && element.source.businessObject;
    return is(element.businessObject, 'bpmn:SequenceFlow') &&
      (is(source, 'bpmn:ExclusiveGateway') || is(source, 'bpmn:InclusiveGateway'));
  }

  function Panel(modeler, form) {
    this.modeling = modeler.get('modeling');
    this.moddle = modeler.get('moddle');
    this.form = form;
    this.empty = document.getElementById('props-empty');
    this.element = null;
    var self = this;
    modeler.on('selection.changed', function (event) {
      self.show(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });
    modeler.on('import.done', function () { self.show(null); });
    form.addEventListener('submit', function (event) { event.preventDefault(); self.applyAll(); });
    form.querySelectorAll('input, textarea, select').forEach(function (input) {
      input.addEventListener('change', function () { self.apply(input.id); });
    });
  }

  Panel.prototype.field = function (id) { return this.form.querySelector('#' + id); };

  Panel.prototype.toggle = function (group, on) {
    this.form.querySelectorAll('[data-for="' + group + '"]').forEach(function (el) { el.hidden = !on; });
  };

  Panel.prototype.show = function (element) {
    this.element = element && element.type !== 'label' ? element : (element && element.labelTarget) || null;
    this.form.hidden = !this.element;
    this.empty.hidden = Boolean(this.element);
    if (!this.element) { return; }
    var bo = this.element.businessObject;
    this.field('prop-id').textContent = bo.id || '';
    this.field('prop-type').textContent = (bo.$type || '').replace('bpmn:', '');
    this.field('prop-name').value = bo.name || '';
    this.form.querySelector('[data-lane-help]').hidden = !is(bo, 'bpmn:Lane');
    this.field('prop-doc').value = (bo.documentation && bo.documentation[0] && bo.documentation[0].text) || '';
    var formProp = spiffProperty(bo, 'formJsonSchemaFilename');
    var uiProp = spiffProperty(bo, 'formUiSchemaFilename');
    this.toggle('form', hasForm(bo));
    this.field('prop-form').value = (formProp && formProp.value) || '';
    this.field('prop-uiform').value = (uiProp && uiProp.value) || '';
    this.toggle('condition', conditional(this.element));
    this.field('prop-condition').value = (bo.conditionExpression && bo.conditionExpression.body) || '';
    var timer = timerOf(bo);
    this.toggle('timer', Boolean(timer));
    if (timer) {
      var current = timerValue(timer);
      this.field('prop-timer-kind').value = current.kind;
      this.field('prop-timer').value = current.value;
    }
    var operator = operatorOf(bo);
    this.toggle('operator', Boolean(operator));
    this.field('prop-operator').textContent = operator;
  };

  Panel.prototype.applyAll = function () {
    ['prop-name', 'prop-doc', 'prop-form', 'prop-uiform', 'prop-condition', 'prop-timer'].forEach(this.apply, this);
  };

  Panel.prototype.apply = function (id) {
    var element = this.element;
    if (!element) { return; }
    var bo = element.businessObject;
    var input = this.field(id);
    if (input.closest('[hidden]')) { return; }
    var value = input.value.trim();
    if (id === 'prop-name' && value !== (bo.name || '')) {
      this.modeling.updateProperties(element, { name: value || undefined });
    } else if (id === 'prop-doc') {
      this.setDocumentation(element, input.value);
    } else if (id === 'prop-form') {
      this.setSpiffProperty(element, 'formJsonSchemaFilename', value);
    } else if (id === 'prop-uiform') {
      this.setSpiffProperty(element, 'formUiSchemaFilename', value);
    } else if (id === 'prop-condition' && value !== ((bo.conditionExpression && bo.conditionExpression.body) || '')) {
      var expression = value ? this.moddle.create('bpmn:FormalExpression', { body: value }) : undefined;
      this.modeling.updateProperties(element, { conditionExpression: expression });
    } else if (id === 'prop-timer' || id === 'prop-timer-kind') {
      this.setTimer(element, this.field('prop-timer-kind').value, this.field('prop-timer').value.trim());
    }
  };

  Panel.prototype.setDocumentation = function (element, text) {
    var docs = element.businessObject.documentation || [];
    var first = docs[0];
    if (first && text === (first.text || '')) { return; }
    if (!first && !text) { return; }
    if (first && text) {
      this.modeling.updateModdleProperties(element, first, { text: text });
    } else if (first) {
      this.modeling.updateProperties(element, { documentation: docs.slice(1) });
    } else {
      var doc = this.moddle.create('bpmn:Documentation', { text: text });
      this.modeling.updateProperties(element, { documentation: [doc] });
    }
  };

  Panel.prototype.setTimer = function (element, kind, value) {
    var definition = timerOf(element.businessObject);
    if (!definition) { return; }
    var current = timerValue(definition);
    if (current.kind === kind && current.value === value) { return; }
    var changes = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
    if (value) { changes[kind] = this.moddle.create('bpmn:FormalExpression', { body: value }); }
    this.modeling.updateModdleProperties(element, definition, changes);
  };

  Panel.prototype.setSpiffProperty = function (element, key, value) {
    var bo = element.businessObject;
    var existing = spiffProperty(bo, key);
    var holder = spiffProperties(bo);
    if (existing) {
      if (value === (existing.value || '')) { return; }
      if (value) {
        this.modeling.updateModdleProperties(element, existing, { value: value });
      } else {
        var kept = holder.$children.filter(function (c) { return c !== existing; });
        this.modeling.updateModdleProperties(element, holder, { $children: kept });
      }
      return;
    }
    if (!value) { return; }
    var created = this.moddle.createAny('spiffworkflow:property', SPIFF, { name: key, value: value });
    if (holder) {
      this.modeling.updateModdleProperties(element, holder, { $children: (holder.$children || []).concat([created]) });
      return;
    }
    holder = this.moddle.createAny('spiffworkflow:properties', SPIFF, {});
    holder.$children = [created];
    created.$parent = holder;
    if (bo.extensionElements) {
      this.modeling.updateModdleProperties(element, bo.extensionElements,
        { values: extensionValues(bo).concat([holder]) });
    } else {
      var extension = this.moddle.create('bpmn:ExtensionElements', { values: [holder] });
      this.modeling.updateProperties(element, { extensionElements: extension });
    }
  };

  window.ApprovalsProperties = Panel;
}());
