/**
 * Shortcuts for the middleware's parameterized error ids, so every caller fills the placeholder
 * and headers the same way.
 */
import { AppError } from './app-error.js';

/** Shortcut for the 400 `invalid_body_param` error naming a body field. */
export function invalidBodyParam(name: string): AppError {
  return new AppError('api.context.invalid_body_param.app_error', { params: { Name: name } });
}

/** Shortcut for the 403 permission error naming the missing permission. */
export function permissionError(userId: string, permission: string, extra = ''): AppError {
  return new AppError('api.context.permissions.app_error', {
    detailed: `userId=${userId}, permission=${permission}${extra}`,
    headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${permission}"` },
  });
}
