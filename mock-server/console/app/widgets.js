// @ts-check
/* global document, HTMLElement */
/**
 * Accessible building blocks: a modal dialog (native `<dialog>` with `showModal()`, so focus is
 * held inside and Escape cancels), a confirmation dialog, an error region and a menu button.
 */
import { html } from 'htm/preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { describeError } from './api.js';

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

/**
 * The server's error in words, announced to screen readers. Renders nothing without an error.
 * @param {{ error: unknown }} props
 */
export function ErrorAlert({ error }) {
  if (error === undefined || error === null) return null;
  return html`<p class="error" role="alert">${describeError(error)}</p>`;
}

/**
 * A menu button: ArrowDown/ArrowUp move between items, Escape closes and refocuses the button.
 * @param {{ label: string, text: string, items: Array<{ label: string, onSelect: () => void }> }} props
 */
export function MenuButton({ label, text, items }) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  /** @type {{ current: HTMLButtonElement | null }} */
  const buttonRef = useRef(null);
  /** @type {{ current: HTMLUListElement | null }} */
  const menuRef = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    menuRef.current?.querySelector('button')?.focus();
    /** @param {MouseEvent} e */
    const onDocClick = (e) => {
      const target = /** @type {Node} */ (e.target);
      if (!menuRef.current?.contains(target) && !buttonRef.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('click', onDocClick);
    return () => document.removeEventListener('click', onDocClick);
  }, [open]);
  /** Close, refocus the menu button (a dialog opened by the item gives focus back to it), then act. */
  const select = (/** @type {{ onSelect: () => void }} */ item) => {
    setOpen(false);
    buttonRef.current?.focus();
    item.onSelect();
  };
  /** @param {KeyboardEvent} e */
  const onKeyDown = (e) => {
    const buttons = [...(menuRef.current?.querySelectorAll('button') ?? [])];
    const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? (at + 1) % buttons.length : (at - 1 + buttons.length) % buttons.length;
      buttons[next]?.focus();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setOpen(false);
      buttonRef.current?.focus();
    } else if (e.key === 'Tab') {
      setOpen(false);
    }
  };
  return html`
    <div class="menu-wrap">
      <button type="button" ref=${buttonRef} aria-label=${label} aria-haspopup="menu" aria-expanded=${open ? 'true' : 'false'}
        aria-controls=${menuId} onClick=${() => setOpen(!open)}>${text} ▾</button>
      ${open ? html`
        <ul id=${menuId} class="menu" role="menu" aria-label=${label} ref=${menuRef} onKeyDown=${onKeyDown}>
          ${items.map((item) => html`
            <li role="none"><button type="button" role="menuitem" tabindex="-1"
              onClick=${() => select(item)}>${item.label}</button></li>`)}
        </ul>` : null}
    </div>`;
}
