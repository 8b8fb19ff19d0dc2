/**
 * The translator alone, frame by frame, with an injected clock and timer: what each websocket
 * event becomes on the hook bus, and the fail-safe reset when a bare activation trigger is not
 * explained by a user_updated.
 */
import { expect } from 'chai';
import { createHookBus } from '../../../middleware/index.js';
import { createEventTranslator } from '../../../middleware/watch/index.js';

const USER = 'u'.repeat(26);

function setup() {
  const hooks = createHookBus();
  const seen: Array<[string, unknown]> = [];
  hooks.onAny((event, payload) => { seen.push([event, payload]); });
  let t = 1_000;
  const timers: Array<{ at: number; fn: () => void; done: boolean }> = [];
  const translate = createEventTranslator({
    hooks, graceMs: 100, now: () => t,
    setTimer: (fn, ms) => { const timer = { at: t + ms, fn, done: false }; timers.push(timer); return { cancel: () => { timer.done = true; } }; },
  });
  const advance = (ms: number) => {
    t += ms;
    for (const timer of timers) if (!timer.done && timer.at <= t) { timer.done = true; timer.fn(); }
  };
  return { seen, translate, advance };
}

const updated = (deleteAt: number, roles = 'system_user') => ({ event: 'user_updated', data: { user: { id: USER, delete_at: deleteAt, roles } } });

describe('event translator', () => {
  it('user_updated: deactivated, then activated; a later profile update with the same roles is nothing', () => {
    const { seen, translate } = setup();
    translate(updated(5));
    translate(updated(0));
    translate(updated(0));
    expect(seen).to.deep.equal([['user.deactivated', { userId: USER }], ['user.activated', { userId: USER }]]);
  });

  it('user_updated: a user first seen active is reset (roles unknown); changed roles are roles_changed', () => {
    const { seen, translate } = setup();
    translate(updated(0, 'system_user'));
    translate(updated(0, 'system_user system_admin'));
    expect(seen).to.deep.equal([
      ['cache.reset', { reason: 'reset', userId: USER }],
      ['user.roles_changed', { userId: USER, roles: 'system_user system_admin' }],
    ]);
  });

  it('a bare activation trigger explained by a user_updated (either order) emits no reset', () => {
    const { seen, translate, advance } = setup();
    translate({ event: 'user_activation_status_change', data: {} });
    advance(10);
    translate(updated(7));
    advance(500);
    translate(updated(0));
    translate({ event: 'user_activation_status_change', data: {} });
    advance(500);
    expect(seen.map(([e]) => e)).to.deep.equal(['user.deactivated', 'user.activated']);
  });

  it('a bare activation trigger nobody explains resets everything after graceMs', () => {
    const { seen, translate, advance } = setup();
    translate({ event: 'user_activation_status_change', data: {} });
    advance(50);
    expect(seen).to.deep.equal([]);
    advance(60);
    expect(seen).to.deep.equal([['cache.reset', { reason: 'reset' }]]);
  });

  it('config_changed: EnableUserAccessTokens "false" or a change emits config.changed; the first "true" does not', () => {
    const { seen, translate } = setup();
    const config = (v: string) => ({ event: 'config_changed', data: { config: { EnableUserAccessTokens: v } } });
    translate(config('true'));
    translate(config('false'));
    translate(config('true'));
    translate(config('true'));
    expect(seen).to.deep.equal([
      ['config.changed', { keys: ['ServiceSettings.EnableUserAccessTokens'] }],
      ['config.changed', { keys: ['ServiceSettings.EnableUserAccessTokens'] }],
    ]);
  });

  it('malformed frames are ignored', () => {
    const { seen, translate } = setup();
    translate({ event: 'user_updated', data: 'nope' });
    translate({ event: 'user_updated', data: { user: { id: 3 } } });
    translate({ event: 'user_role_updated', data: { user_id: USER } });
    translate({ event: 'config_changed' });
    translate({ event: 'posted', data: { post: '{}' } });
    expect(seen).to.deep.equal([]);
  });
});
