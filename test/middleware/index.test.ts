import { expect } from 'chai';
import * as pkg from '../../middleware/index.js';

/** Names other modules (the mock server, examples, users) code against. */
const FUNCTIONS = [
  'extractToken', 'authenticate', 'getPrincipal', 'storeResolver', 'cachedResolver', 'createHookBus',
  'permissionsOf', 'hasPermission', 'requirePermission', 'rolesOf', 'isPermission', 'requestId', 'errorBoundary',
  'sha256Hex', 'safeEqual', 'deriveId', 'newId', 'isValidId', 'permissionError', 'invalidUrlParam', 'invalidBodyParam',
  'consoleLogger', 'toAppError',
] as const;

describe('package entry', () => {
  it('exports the public API', () => {
    for (const name of FUNCTIONS) expect(pkg[name], name).to.be.a('function');
    expect(pkg.AppError).to.be.a('function');
    expect(pkg.AuthFailure).to.be.a('function');
    expect(pkg.ERRORS).to.be.an('object');
    expect(pkg.ROLE_PERMISSIONS).to.be.an('object');
    expect(pkg.PERMISSIONS).to.be.an('array').that.includes('create_user_access_token');
  });
});
