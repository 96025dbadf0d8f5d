import { storeApiKey, storedApiKey } from '../api.js';
import { h } from '../dom.js';

/**
 * The API key, entered once and kept in this browser's localStorage. A native <dialog> opened
 * with showModal() keeps focus inside and closes on Escape.
 */
let dialog: HTMLDialogElement | undefined;

function build(): HTMLDialogElement {
  const input = h('input', {
    id: 'api-key-input',
    type: 'password',
    name: 'api-key',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'api-key-help',
  });
  const forget = h('button', { type: 'button', class: 'button subtle', id: 'api-key-forget' }, 'Forget key');
  const element = h(
    'dialog',
    { class: 'key-dialog', 'aria-labelledby': 'api-key-title' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'api-key-title' }, 'API key'),
      h(
        'p',
        { id: 'api-key-help', class: 'muted' },
        'Keys map to a tenant (HOTSPOTS_API_KEYS, key:tenant). Locally, npm start prints one: local-dev-key. ',
        'The key stays in this browser (localStorage) and is sent as Authorization: Bearer to this API only.',
      ),
      h('label', { for: 'api-key-input' }, 'Key'),
      input,
      h(
        'div',
        { class: 'dialog-actions' },
        forget,
        h('button', { type: 'button', class: 'button subtle', value: 'cancel', id: 'api-key-cancel' }, 'Cancel'),
        h('button', { type: 'submit', class: 'button primary', value: 'save', id: 'api-key-save' }, 'Save key'),
      ),
    ),
  );
  element.querySelector('form')?.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    element.close();
    storeApiKey(input.value);
  });
  element.querySelector('#api-key-cancel')?.addEventListener('click', () => element.close());
  forget.addEventListener('click', () => {
    input.value = '';
    element.close();
    storeApiKey(null);
  });
  document.body.append(element);
  return element;
}

export function openKeyDialog(): void {
  dialog ??= build();
  const input = dialog.querySelector('input');
  if (input) input.value = storedApiKey() ?? '';
  const forget = dialog.querySelector<HTMLButtonElement>('#api-key-forget');
  if (forget) forget.hidden = storedApiKey() === null;
  dialog.showModal();
  input?.focus();
}
