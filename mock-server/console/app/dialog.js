// @ts-check
/* global document, HTMLElement */
/**
 * Modal dialogs: the native `<dialog>` opened with `showModal()` (the page behind is inert, Escape
 * cancels), Tab held inside, focus given back to the opener on close; and a confirmation dialog
 * built on it.
 */
import { html } from 'htm/preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ErrorAlert } from './error-alert.js';

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

/**
 * Keep Tab and Shift+Tab inside a modal dialog: `showModal()` makes the page inert, but Tab from
 * the last control would still leave the dialog for the browser's own UI.
 * @param {KeyboardEvent} e
 */
function holdFocus(e) {
  if (e.key !== 'Tab') return;
  const dialog = /** @type {HTMLDialogElement} */ (e.currentTarget);
  const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => el instanceof HTMLElement && el.offsetParent !== null);
  const first = /** @type {HTMLElement | undefined} */ (items[0]);
  const last = /** @type {HTMLElement | undefined} */ (items[items.length - 1]);
  if (first === undefined || last === undefined) return;
  const at = document.activeElement;
  if (e.shiftKey && (at === first || !dialog.contains(at))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (at === last || !dialog.contains(at))) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * A modal dialog labelled by its title. Escape or the close button call `onClose`; Tab cycles
 * inside it.
 * @param {{ title: string, onClose: () => void, children?: any, footer?: any }} props
 */
export function Dialog({ title, onClose, children, footer }) {
  /** @type {{ current: HTMLDialogElement | null }} */
  const ref = useRef(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      // Give focus back to what opened the dialog (it may have been re-rendered away).
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return html`
    <dialog ref=${ref} aria-labelledby=${titleId} onKeyDown=${holdFocus} onCancel=${(/** @type {Event} */ e) => { e.preventDefault(); onClose(); }}>
      <header class="dialog-header">
        <h2 id=${titleId}>${title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick=${onClose}>×</button>
      </header>
      <div class="dialog-body">${children}</div>
      ${footer === undefined ? null : html`<footer class="dialog-footer">${footer}</footer>`}
    </dialog>`;
}

/**
 * A confirmation: Cancel and a confirm button; the confirm runs `onConfirm` and shows its error.
 * @param {{ title: string, confirmLabel: string, onConfirm: () => Promise<void>, onClose: () => void, children?: any }} props
 */
export function ConfirmDialog({ title, confirmLabel, onConfirm, onClose, children }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`
    <${Dialog} title=${title} onClose=${onClose} footer=${html`
      <button type="button" onClick=${onClose}>Cancel</button>
      <button type="button" class="danger" disabled=${busy} onClick=${confirm}>${confirmLabel}</button>`}>
      ${children}
      <${ErrorAlert} error=${error} />
    <//>`;
}

