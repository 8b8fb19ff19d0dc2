// @ts-check
/* global document, window */
/**
 * The console's shell: sign-in (`POST /users/login`, which sets the session cookies), the signed-in
 * user (`GET /users/me`), sign-out (`POST /users/logout`, which clears them), and hash routes for
 * the screens of Mattermost's personal access token guide. Screens live in their own modules.
 */
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, describeError, readCookie, SESSION_EXPIRED } from './api.js';
import { ErrorAlert } from './error-alert.js';
import { IntegrationManagement } from './integration-management.js';
import { isSystemAdmin } from './model.js';
import { PersonalAccessTokens } from './personal-access-tokens.js';
import { Logs } from './server-logs.js';
import { Users } from './users.js';
import './console.css';

/** @typedef {import('./model.js').User} User */

/** The screens: hash route → where it sits in Mattermost's menus. */
const ROUTES = {
  '#/profile/security': { trail: ['Profile', 'Security'] },
  '#/admin_console/integrations/integration_management': { trail: ['System Console', 'Integrations', 'Integration Management'] },
  '#/admin_console/user_management/users': { trail: ['System Console', 'User Management', 'Users'] },
  '#/admin_console/reporting/server_logs': { trail: ['System Console', 'Logs'] },
};
/** @typedef {keyof typeof ROUTES} Route */
const DEFAULT_ROUTE = /** @type {Route} */ ('#/profile/security');

/** @returns {Route} */
function currentRoute() {
  const hash = window.location.hash;
  return hash in ROUTES ? /** @type {Route} */ (hash) : DEFAULT_ROUTE;
}

function useRoute() {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

/** @param {{ onSignedIn: (user: User) => void, notice: string }} props */
function Login({ onSignedIn, notice }) {
  const [loginId, setLoginId] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const [busy, setBusy] = useState(false);
  /** @param {Event} e */
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await api('POST', '/users/login', { login_id: loginId, password }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  /** @param {(v: string) => void} set */
  const onInput = (set) => (/** @type {Event} */ e) => set(/** @type {HTMLInputElement} */ (e.currentTarget).value);
  return html`
    <main class="login card">
      <h1>Mattermost mock console</h1>
      ${notice === '' ? null : html`<p role="status">${notice}</p>`}
      <form onSubmit=${submit}>
        <label for="login-id">Email or Username</label>
        <input id="login-id" autocomplete="username" value=${loginId} onInput=${onInput(setLoginId)} autoFocus />
        <label for="login-password">Password</label>
        <input id="login-password" type="password" autocomplete="current-password" value=${password} onInput=${onInput(setPassword)} />
        <button type="submit" class="primary" disabled=${busy}>Log in</button>
      </form>
      <${ErrorAlert} error=${error} />
    </main>`;
}

/** @param {{ me: User, route: Route, onSignOut: () => void }} props */
function Nav({ me, route, onSignOut }) {
  /** @param {Route} to @param {string} text */
  const link = (to, text) => html`<li><a href=${to} aria-current=${route === to ? 'page' : undefined}>${text}</a></li>`;
  return html`
    <header class="top">
      <span class="brand">Mattermost mock console</span>
      <nav aria-label="Main">
        ${isSystemAdmin(me.roles) ? html`
          <span class="group" id="nav-sc">System Console</span>
          <ul aria-labelledby="nav-sc">
            ${link('#/admin_console/integrations/integration_management', 'Integration Management')}
            ${link('#/admin_console/user_management/users', 'Users')}
            ${link('#/admin_console/reporting/server_logs', 'Logs')}
          </ul>` : null}
        <span class="group" id="nav-profile">Profile</span>
        <ul aria-labelledby="nav-profile">${link('#/profile/security', 'Security')}</ul>
      </nav>
      <span class="who">Signed in as <strong>@${me.username}</strong></span>
      <button type="button" onClick=${onSignOut}>Log out</button>
    </header>`;
}

function App() {
  const [me, setMe] = useState(/** @type {User | null | undefined} */ (undefined));
  const [notice, setNotice] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const [tokensEnabled, setTokensEnabled] = useState(true);
  const route = useRoute();

  // Like Mattermost's webapp: the readable MMUSERID cookie says whether a session may exist.
  useEffect(() => {
    if (readCookie('MMUSERID') === undefined) {
      setMe(null);
      return;
    }
    api('GET', '/users/me').then(setMe, (err) => {
      setNotice(`Please log in again: ${describeError(err)}`);
      setMe(null);
    });
  }, []);
  // A revoked session (logged out elsewhere, user deactivated): back to the login form, saying why.
  useEffect(() => {
    /** @param {Event} e */
    const onExpired = (e) => {
      setNotice(`Please log in again: ${String(/** @type {CustomEvent} */ (e).detail)}`);
      setMe(null);
    };
    window.addEventListener(SESSION_EXPIRED, onExpired);
    return () => window.removeEventListener(SESSION_EXPIRED, onExpired);
  }, []);
  useEffect(() => {
    if (me === null || me === undefined) return;
    api('GET', '/config/client?format=old').then((c) => setTokensEnabled(c?.EnableUserAccessTokens === 'true'), setError);
  }, [me?.id]);

  const signOut = async () => {
    try {
      await api('POST', '/users/logout');
      setNotice('You are logged out.');
      setMe(null);
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    const info = ROUTES[route];
    document.title = `${info.trail.join(' > ')} - Mattermost mock console`;
  }, [route]);

  if (me === undefined) return html`<p>Loading…</p>`;
  if (me === null) return html`<${Login} notice=${notice} onSignedIn=${(/** @type {User} */ u) => { setNotice(''); setError(undefined); setMe(u); }} />`;
  const info = ROUTES[route];
  // A non-admin may open a System Console route: the screen's own request answers 403, shown in words.
  let screen;
  switch (route) {
    case '#/admin_console/integrations/integration_management':
      screen = html`<${IntegrationManagement} onChanged=${setTokensEnabled} />`;
      break;
    case '#/admin_console/user_management/users':
      screen = html`<${Users} me=${me} tokensEnabled=${tokensEnabled} />`;
      break;
    case '#/admin_console/reporting/server_logs':
      screen = html`<${Logs} />`;
      break;
    default:
      screen = html`<${PersonalAccessTokens} me=${me} />`;
  }
  return html`
    <${Nav} me=${me} route=${route} onSignOut=${signOut} />
    <main>
      <h1 class="trail">${info.trail.join(' > ')}</h1>
      <${ErrorAlert} error=${error} />
      ${screen}
    </main>`;
}

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
