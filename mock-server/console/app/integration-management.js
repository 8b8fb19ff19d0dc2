// @ts-check
/**
 * System Console > Integrations > Integration Management: the "Enable Personal Access Tokens"
 * setting, read with `GET /config` and written with `PUT /config/patch`.
 */
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { ErrorAlert } from './error-alert.js';

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
