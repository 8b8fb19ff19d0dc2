/**
 * Pins the public surface of each package entry: adding or removing an export is a deliberate
 * change to this list (and to the README), never a side effect of `export *`.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as root from '../../middleware/index.js';
import * as events from '../../middleware/events/index.js';
import * as remote from '../../middleware/remote/index.js';
import * as watch from '../../middleware/watch/index.js';
import * as fleet from '../../middleware/fleet/index.js';

const ROOT = [
  'AppError', 'AuthFailure', 'ERRORS', 'PERMISSIONS', 'REQUEST_ID_HEADER', 'ROLE_PERMISSIONS', 'SESSION_COOKIE',
  'authenticate', 'cachedResolver', 'consoleLogger', 'createHookBus', 'defineErrors', 'deriveId', 'errorBoundary',
  'extractToken', 'getPrincipal', 'hasPermission', 'invalidBodyParam', 'isAppError', 'isPermission', 'isValidId',
  'missingPermission', 'newId', 'permissionError', 'permissionsOf', 'rateLimit', 'requestId', 'requirePermission',
  'rolesOf', 'safeEqual', 'sha256Hex', 'silentLogger', 'storeResolver', 'verifyCommand',
];
const EVENTS = [
  'DEFAULT_EVENT_ISSUER', 'DEFAULT_EVENT_PATH', 'EVENT_JWT_TYPE', 'EVENT_MEDIA_TYPE', 'EVENT_TOKEN_TTL_SECONDS',
  'KNOWN_EVENTS', 'MIN_HS256_SECRET_BYTES', 'createEventSender', 'eventReceiver', 'generateEventKeys', 'isKnownEvent',
  'jwksHandler', 'parseEventPayload', 'publicJwks',
  'BULK_EVENTS', 'HEARTBEAT_EVENT', 'createOutbox', 'memoryOutboxStorage', 'parseStreamClaims',
];
const REMOTE = ['remoteResolver'];
const WATCH = ['createEventTranslator', 'mattermostWatcher'];
const FLEET = ['fleetResolver', 'redisEventBridge', 'sharedPrincipalCache'];

const sorted = (names: readonly string[]) => [...names].sort();

describe('package entries', () => {
  it('mattermost-pat exports exactly the documented list', () => {
    expect(sorted(Object.keys(root))).to.deep.equal(sorted(ROOT));
  });

  it('mattermost-pat/events exports exactly the documented list', () => {
    expect(sorted(Object.keys(events))).to.deep.equal(sorted(EVENTS));
  });

  it('mattermost-pat/remote exports exactly the documented list', () => {
    expect(sorted(Object.keys(remote))).to.deep.equal(sorted(REMOTE));
  });

  it('mattermost-pat/watch and mattermost-pat/fleet export exactly the documented lists', () => {
    expect(sorted(Object.keys(watch))).to.deep.equal(sorted(WATCH));
    expect(sorted(Object.keys(fleet))).to.deep.equal(sorted(FLEET));
  });

  it('exports what the names promise (functions, classes, tables)', () => {
    for (const name of ['authenticate', 'cachedResolver', 'storeResolver', 'requirePermission', 'createHookBus', 'errorBoundary', 'requestId', 'rateLimit', 'defineErrors', 'isAppError', 'getPrincipal'] as const) {
      expect(root[name], name).to.be.a('function');
    }
    expect(new root.AppError('api.context.404.app_error')).to.be.instanceOf(Error);
    expect(new root.AuthFailure('missing').reason).to.equal('missing');
    expect(root.PERMISSIONS).to.include('create_user_access_token');
    expect(root.ERRORS['api.context.session_expired.app_error'].status).to.equal(401);
    expect(events.createEventSender).to.be.a('function');
    expect(remote.remoteResolver).to.be.a('function');
  });

  it('package.json maps each entry to the built file of its source module', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      main: string; types: string; exports: Record<string, { types: string; default: string } | string>;
    };
    const entry = (source: string) => ({ types: `./dist/${source}.d.ts`, default: `./dist/${source}.js` });
    expect(pkg.exports['.']).to.deep.equal(entry('middleware/index'));
    expect(pkg.exports['./events']).to.deep.equal(entry('middleware/events/index'));
    expect(pkg.exports['./remote']).to.deep.equal(entry('middleware/remote/index'));
    expect(pkg.exports['./watch']).to.deep.equal(entry('middleware/watch/index'));
    expect(pkg.exports['./fleet']).to.deep.equal(entry('middleware/fleet/index'));
    expect([pkg.main, pkg.types]).to.deep.equal(['./dist/middleware/index.js', './dist/middleware/index.d.ts']);
  });
});
