import { expect } from 'chai';
import { AppError, defineErrors, isAppError, renderMessage, type AppErrorClass } from '../../../middleware/errors/app-error.js';
import type { ErrorId } from '../../../middleware/errors/registry.js';
import { invalidBodyParam, permissionError } from '../../../middleware/errors/shortcuts.js';

describe('AppError', () => {
  it('renders {{.Name}} placeholders and leaves unknown ones as written', () => {
    expect(renderMessage('Invalid or missing {{.Name}} in request body.', { Name: 'description' }))
      .to.equal('Invalid or missing description in request body.');
    expect(renderMessage('{{.Other}} stays', { Name: 'x' })).to.equal('{{.Other}} stays');
    const err = invalidBodyParam('description');
    expect(err.id).to.equal('api.context.invalid_body_param.app_error');
    expect(err.status).to.equal(400);
    expect(err.message).to.equal('Invalid or missing description in request body.');
  });

  it('takes the status from the registry unless overridden', () => {
    expect(new AppError('api.context.404.app_error').status).to.equal(404);
    expect(new AppError('api.context.404.app_error', { status: 400 }).status).to.equal(400);
  });

  it('permissionError names the permission in detail and challenge, never in the message', () => {
    const err = permissionError('u1', 'manage_system');
    expect(err.status).to.equal(403);
    expect(err.message).to.equal('You do not have the appropriate permissions.');
    expect(err.detailed).to.equal('userId=u1, permission=manage_system');
    expect(err.headers['WWW-Authenticate']).to.equal('Bearer error="insufficient_scope", scope="manage_system"');
  });

  it('refuses an id outside its registry at run time (an untyped caller)', () => {
    expect(() => new AppError('app.widget.missing.app_error' as ErrorId)).to.throw(TypeError, 'unknown error id');
    expect(() => new AppError('constructor' as ErrorId)).to.throw(TypeError, 'unknown error id');
  });

  it('narrows the id in a switch (compile-time check)', () => {
    const describeId = (err: AppError): string => {
      switch (err.id) {
        case 'api.context.404.app_error': return 'not found';
        case 'api.context.rate_limited.app_error': return 'slow down';
        default: return err.id;
      }
    };
    expect(describeId(new AppError('api.context.rate_limited.app_error'))).to.equal('slow down');
    // @ts-expect-error: not a middleware id
    expect(() => new AppError('app.user.missing_account.const')).to.throw(TypeError);
  });
});

describe('defineErrors', () => {
  const Widget: AppErrorClass<ErrorId | 'app.widget.missing.app_error'> = defineErrors({
    'app.widget.missing.app_error': { status: 404, message: 'No widget {{.Name}}.' },
  });

  it('makes AppErrors for its own ids and for the middleware ids', () => {
    const own = new Widget('app.widget.missing.app_error', { params: { Name: 'w1' } });
    expect(own).to.be.instanceOf(AppError);
    expect(isAppError(own)).to.equal(true);
    expect([own.id, own.status, own.message, own.name]).to.deep.equal(['app.widget.missing.app_error', 404, 'No widget w1.', 'AppError']);
    const inherited = new Widget('api.context.session_expired.app_error');
    expect([inherited.status, inherited.message]).to.deep.equal([401, 'Invalid or expired session, please login again.']);
    expect(Widget.errors['app.widget.missing.app_error'].status).to.equal(404);
    // @ts-expect-error: in neither registry
    expect(() => new Widget('app.gadget.missing.app_error')).to.throw(TypeError, 'unknown error id');
  });

  it('refuses to redefine a middleware id', () => {
    expect(() => defineErrors({ 'api.context.404.app_error': { status: 410, message: 'Gone.' } }))
      .to.throw(TypeError, 'api.context.404.app_error is already a middleware error id');
  });

  it('keeps registries apart: an id of one class is not an id of another', () => {
    const Other = defineErrors({ 'app.other.app_error': { status: 400, message: 'Other.' } });
    // @ts-expect-error: Widget's id, not Other's
    expect(() => new Other('app.widget.missing.app_error')).to.throw(TypeError);
    expect(isAppError(new Error('plain'))).to.equal(false);
  });
});
