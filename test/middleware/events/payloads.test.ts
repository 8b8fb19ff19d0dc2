/** Signed-event payloads are rebuilt from their valibot schemas (event-format.ts). */
import { expect } from 'chai';
import { KNOWN_EVENTS, parseEventPayload } from '../../../middleware/events/event-format.js';
import { newId } from '../../../middleware/util/ids.js';

describe('events: parseEventPayload', () => {
  const userId = newId();
  const tokenId = newId();

  it('keeps only the declared fields', () => {
    expect(parseEventPayload('token.revoked', { tokenId, userId, extra: 1, __proto__: { polluted: true } })).to.deep.equal({ tokenId, userId });
    expect(parseEventPayload('cache.reset', { reason: 'gap' })).to.deep.equal({ reason: 'gap' });
    expect(parseEventPayload('cache.reset', { reason: 'coalesced', userId })).to.deep.equal({ reason: 'coalesced', userId });
  });

  it('drops a payload with a missing, mistyped or oversized field', () => {
    for (const [event, payload] of [
      ['user.deactivated', { userId: 42 }],
      ['user.deactivated', { userId: 'short' }],
      ['token.created', { tokenId }],
      ['user.roles_changed', { userId, roles: 'x'.repeat(1025) }],
      ['config.changed', { keys: Array.from({ length: 257 }, () => 'k') }],
      ['config.changed', { keys: ['ok', 1] }],
      ['cache.reset', { reason: 'because' }],
      ['session.revoked', []],
      ['session.revoked', null],
    ] as const) {
      expect(parseEventPayload(event, payload), `${event} ${JSON.stringify(payload)}`).to.equal(undefined);
    }
  });

  it('knows every hook event', () => {
    expect(KNOWN_EVENTS).to.include.members(['token.created', 'token.rotated', 'session.revoked', 'config.changed', 'cache.reset']);
  });
});
