// @ts-check
/** System Console > Logs: the server's log lines (`GET /logs`), filtered in the page by any text, such as a token id. */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { ErrorAlert } from './error-alert.js';

/** Logs, newest last, filtered by text. */
export function Logs() {
  const [lines, setLines] = useState(/** @type {string[] | undefined} */ (undefined));
  const [filter, setFilter] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const load = async () => {
    setError(undefined);
    try {
      setLines(await api('GET', '/logs?page=0&logs_per_page=10000'));
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => { void load(); }, []);
  const needle = filter.trim().toLowerCase();
  const shown = (lines ?? []).filter((line) => needle === '' || line.toLowerCase().includes(needle));
  return html`
    <section class="card" aria-labelledby="logs-title">
      <h2 id="logs-title">Server Logs</h2>
      <div class="search">
        <label for="log-search">Search logs</label>
        <input id="log-search" type="search" value=${filter} placeholder="Any text, e.g. a token id"
          onInput=${(/** @type {InputEvent} */ e) => setFilter(/** @type {HTMLInputElement} */ (e.currentTarget).value)} />
        <button type="button" onClick=${load}>Reload</button>
      </div>
      <${ErrorAlert} error=${error} />
      ${lines === undefined ? null : html`
        <p role="status">${shown.length} of ${lines.length} lines</p>
        <ol class="logs" aria-label="Log lines">
          ${shown.map((line, i) => html`<li key=${i}><code>${line}</code></li>`)}
        </ol>`}
    </section>`;
}
