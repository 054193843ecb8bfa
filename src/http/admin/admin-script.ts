/**
 * @module http/admin/admin-script — the admin UI's few behaviours, served as /ui/assets/admin.js
 * because the pages' Content-Security-Policy runs no inline script or event handler attribute:
 * `data-confirm` on a form asks before submitting, `data-copy="<id>"` on a button copies that
 * field's value, `data-autosubmit` on a select submits its form when the choice changes (from
 * `data-current`). Every form still works without JavaScript.
 */
export const ADMIN_SCRIPT = `'use strict';
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener('click', function (event) {
  var button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  var field = button ? document.getElementById(button.getAttribute('data-copy')) : null;
  if (field && navigator.clipboard) {
    navigator.clipboard.writeText(field.value).catch(function () {});
  }
});
document.addEventListener('change', function (event) {
  var select = event.target;
  if (select instanceof HTMLSelectElement && select.hasAttribute('data-autosubmit') && select.value !== select.dataset.current && select.form) {
    select.form.submit();
  }
});
`;
