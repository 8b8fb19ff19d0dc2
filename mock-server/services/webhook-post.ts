/**
 * Posts made by integrations, as Mattermost's `App.CreateWebhookPost` makes them (incoming
 * webhooks and outgoing-webhook replies) and the Slack-compatible text handling they share with
 * slash-command replies (`ParseSlackLinksToMarkdown`, `ParseSlackAttachment`).
 *
 * Integration posts are stored through the same `createPost` as `POST /posts` (so the post is
 * validated, counted, and reaches every observer and socket), but with the server's own authority:
 * Mattermost's app layer does not re-check the API's `create_post` permission here, because the
 * integration's rights were checked when it was created (webhooks) or executed (commands).
 *
 * @example
 * ```ts
 * await createWebhookPost(server, { userId: hook.user_id, channel, text: 'Build <https://ci|#12> passed', props: {} });
 * // message "Build [#12](https://ci) passed", props.from_webhook "true"
 * ```
 */
import { AppError } from '../errors.js';
import type { ChannelRecord, PostRecord } from '../db/schema.js';
import type { Caller } from './channel-permissions.js';
import type { ServiceContext } from './context.js';
import { integrationSettings } from './integration-settings.js';
import { createPost, POST_MESSAGE_MAX_RUNES } from './posts.js';

/** Mattermost's `DefaultWebhookUsername`. */
export const DEFAULT_WEBHOOK_USERNAME = 'webhook';

const LINK_WITH_TEXT = /<([^\n<|>]+)\|([^|\n>]+)>/g;

/**
 * Mattermost's `ParseSlackLinksToMarkdown`: `<url|text>` becomes `[text](url)`.
 *
 * @example
 * ```ts
 * parseSlackLinksToMarkdown('see <https://x.test|the docs>'); // 'see [the docs](https://x.test)'
 * ```
 */
export function parseSlackLinksToMarkdown(text: string): string {
  return text.replace(LINK_WITH_TEXT, '[$2]($1)');
}

/**
 * `ParseSlackAttachment`: attachments go to `props.attachments` and make the post a
 * `slack_attachment` post (a no-op without attachments).
 */
export function applyAttachments(props: Record<string, unknown>, type: string, attachments: readonly unknown[] | null): string {
  if (attachments === null || attachments.length === 0) return type;
  props.attachments = attachments;
  return 'slack_attachment';
}

/**
 * The caller integration posts are made with: the integration's user, with an authority that
 * passes `createPost`'s permission checks (see the module documentation).
 */
export function integrationAuthority(userId: string): Caller {
  return { userId, roles: ['system_admin'] };
}

/** What `CreateWebhookPost` takes. */
export interface WebhookPostInput {
  /** The hook's owner (incoming) or creator (outgoing). */
  readonly userId: string;
  readonly channel: ChannelRecord;
  readonly text: string;
  readonly overrideUsername?: string;
  readonly overrideIconUrl?: string;
  readonly overrideIconEmoji?: string;
  readonly props: Readonly<Record<string, unknown>>;
  readonly type?: string;
  readonly rootId?: string;
}

/** Split a message into posts of at most `POST_MESSAGE_MAX_RUNES` runes (`SplitWebhookPost`). */
function splitMessage(message: string): string[] {
  const chars = [...message];
  if (chars.length <= POST_MESSAGE_MAX_RUNES) return [message];
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += POST_MESSAGE_MAX_RUNES) parts.push(chars.slice(i, i + POST_MESSAGE_MAX_RUNES).join(''));
  return parts;
}

/**
 * `App.CreateWebhookPost`: `from_webhook: "true"`, `override_username` (the given name or
 * `webhook`) when `EnablePostUsernameOverride`, `override_icon_url` / `override_icon_emoji` when
 * `EnablePostIconOverride`, the given props except the reserved ones, attachments, and a message
 * longer than a post split into several posts. A `system_*` type → 400; a post the store refuses
 * → 500 `api.post.create_webhook_post.creating.app_error`. Returns the first post.
 */
export async function createWebhookPost(ctx: ServiceContext, input: WebhookPostInput): Promise<PostRecord> {
  const settings = integrationSettings(ctx.store);
  const type = input.type ?? '';
  if (type.startsWith('system_')) throw new AppError('api.context.invalid_param.app_error', { params: { Name: 'post.type' } });
  const props: Record<string, unknown> = { from_webhook: 'true' };
  if (settings.enablePostUsernameOverride) props.override_username = input.overrideUsername || DEFAULT_WEBHOOK_USERNAME;
  if (settings.enablePostIconOverride) {
    if (input.overrideIconUrl) props.override_icon_url = input.overrideIconUrl;
    if (input.overrideIconEmoji) props.override_icon_emoji = input.overrideIconEmoji;
  }
  let postType = type;
  for (const [key, value] of Object.entries(input.props)) {
    if (key === 'attachments') postType = applyAttachments(props, postType, Array.isArray(value) ? value : null);
    else if (key !== 'override_icon_url' && key !== 'override_username' && key !== 'from_webhook') props[key] = value;
  }
  const caller = integrationAuthority(input.userId);
  let first: PostRecord | undefined;
  for (const message of splitMessage(parseSlackLinksToMarkdown(input.text))) {
    try {
      const post = await createPost(ctx, caller, {
        channel_id: input.channel.id, message, root_id: input.rootId ?? '', type: postType, props,
        file_ids: [], pending_post_id: '', create_at: 0,
      });
      first ??= post;
    } catch (err) {
      const detailed = err instanceof AppError ? `err=${err.message}` : '';
      throw new AppError('api.post.create_webhook_post.creating.app_error', { detailed, cause: err });
    }
  }
  return first as PostRecord;
}
