// @ts-check
/* global document */
/** A menu button (the Users screen's per-user dropdown), operable by keyboard. */
import { html } from 'htm/preact';
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';

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
  // Focus the first item as the menu appears (a layout effect: before the next key press can land).
  useLayoutEffect(() => {
    if (open) menuRef.current?.querySelector('button')?.focus();
  }, [open]);
  useEffect(() => {
    if (!open) return undefined;
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
