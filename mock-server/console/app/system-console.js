// @ts-check
/**
 * System Console screens other than Users: Integrations > Integration Management (the "Enable
 * Personal Access Tokens" setting, read with `GET /config` and written with `PUT /config/patch`)
 * and Logs (`GET /logs`, filtered in the page by any text, such as a token id).
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { ErrorAlert } from './widgets.js';

/**
 * Integration Management.
 * @param {{ onChanged: (enabled: boolean) => void }} props
 */
export function IntegrationManagement({ onChanged }) {
  const [saved, setSaved] = useState(/** @type {boolean | undefined} */ (undefined));
  const [value, setValue] = useState(false);
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const [status, setStatus] = useState('');
  useEffect(() => {
    api('GET', '/config').then(
      (config) => {
        const on = config?.ServiceSettings?.EnableUserAccessTokens === true;
        setSaved(on);
        setValue(on);
      },
      setError,
    );
  }, []);
  /** @param {Event} e */
  const save = async (e) => {
    e.preventDefault();
    setError(undefined);
    setStatus('');
    try {
      const config = await api('PUT', '/config/patch', { ServiceSettings: { EnableUserAccessTokens: value } });
      const on = config?.ServiceSettings?.EnableUserAccessTokens === true;
      setSaved(on);
      setValue(on);
      setStatus(`Saved: personal access tokens are ${on ? 'enabled' : 'disabled'}.`);
      onChanged(on);
    } catch (err) {
      setError(err);
    }
  };
  return html`
    <section class="card" aria-labelledby="im-title">
      <h2 id="im-title">Integration Management</h2>
      <${ErrorAlert} error=${error} />
      ${saved === undefined ? (error === undefined ? html`<p>Loading…</p>` : null) : html`
        <form onSubmit=${save}>
          <div class="setting">
            <label class="switch">
              <input type="checkbox" role="switch" checked=${value} aria-describedby="pat-setting-help"
                onChange=${(/** @type {Event} */ e) => setValue(/** @type {HTMLInputElement} */ (e.currentTarget).checked)} />
              Enable Personal Access Tokens
            </label>
            <p id="pat-setting-help" class="help">When true, users can create personal access tokens for integrations in Profile > Security. They can be used to authenticate against the API and give full access to the account. To manage who can create personal access tokens or to search users by token ID, go to the System Console > User Management > Users page.</p>
          </div>
          <button type="submit" class="primary" disabled=${value === saved}>Save</button>
          <span role="status">${status}</span>
        </form>`}
    </section>`;
}

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
