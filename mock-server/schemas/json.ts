/**
 * Building blocks for the mock's valibot schemas and the one adapter from valibot issues to what
 * a caller sees. Valibot's `object` accepts arrays; JSON decoding into a Go struct does not, so
 * every object schema here refuses them first.
 *
 * @example
 * ```ts
 * const Patch = jsonObject({ nickname: nullishString });
 * const patch = decodeBody(Patch, body, 'user'); // 400 invalid_body_param naming user on a mistyped field
 * const hook = decodeBody(jsonObject({ channel_locked: goBool }), body, 'incoming_webhook', 'param'); // 400 invalid_param
 * ```
 */
import * as v from 'valibot';
import { invalidBodyParam, invalidParam } from '../errors.js';

/** A plain JSON object (not null, not an array). */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Any plain JSON object. */
export const anyObject = v.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object');

/**
 * A plain object with the given fields; unknown keys are kept (Go's `json.Decoder` ignores them).
 *
 * @example
 * ```ts
 * jsonObject({ name: v.string() });
 * ```
 */
export function jsonObject<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(anyObject, v.looseObject(entries));
}

/**
 * Go's `json.Unmarshal` into a struct: a plain object decoded into the given fields; unknown keys
 * are ignored and dropped from the output (a struct has nowhere to keep them).
 *
 * @example
 * ```ts
 * v.parse(goStruct({ trigger: goString }), { trigger: null, extra: 1 }); // { trigger: '' }
 * ```
 */
export function goStruct<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(anyObject, v.object(entries));
}

/**
 * A plain object with exactly the given fields: an unknown key is an issue at its path (seed
 * files, where a misspelled key would otherwise be silently dropped).
 *
 * @example
 * ```ts
 * strictJsonObject({ username: v.string() }); // { "user": … } fails at "user"
 * ```
 */
export function strictJsonObject<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(anyObject, v.strictObject(entries));
}

/** A Go `int`: a JSON number without a fraction. */
export const int = v.pipe(v.number(), v.integer());

/**
 * Go's decoding of a string field: absent or `null` is the zero value `''`; another type fails.
 * (The zero values of these fields are the schemas' defaults for `undefined` and for `null`: no
 * transform step per field, which a body decode would pay for every field of its struct.)
 *
 * @example
 * ```ts
 * v.parse(jsonObject({ message: goString }), { message: null }); // { message: '' }
 * ```
 */
export const goString = v.optional(v.nullable(v.string(), ''), '');

/** A Go `bool` field: absent or `null` is `false`; another type fails. */
export const goBool = v.optional(v.nullable(v.boolean(), false), false);

/** A Go `int` field: absent or `null` is `0`; a fraction or an unsafe integer fails. */
export const goInt = v.optional(v.nullable(v.pipe(v.number(), v.safeInteger()), 0), 0);

/** A Go `[]string` field: absent or `null` is `[]` (the mock's zero value); a non-string item fails. */
export const goStrings = v.optional(v.nullable(v.array(v.string()), () => []), () => []);

/** A Go `map[string]any` field: absent or `null` stays `null`; a non-object fails. */
export const goObject = v.optional(v.nullable(anyObject, null), null);

/** A Go `[]any` field: absent or `null` stays `null`; a non-array fails. */
export const goArray = v.optional(v.nullable(v.array(v.unknown()), null), null);

/** A Go `map[string]any` field read as a map: absent or `null` is `{}`; a non-object fails. */
export const goMap = v.optional(v.nullable(anyObject, () => ({})), () => ({}));

/**
 * A patch body (`model.PostPatch`, `model.ChannelPatch`): Go's pointer fields, so a field absent
 * or `null` is not in the output (nothing to change), a present one must have its type, unknown
 * keys are ignored. Spreading the output over a record changes only the fields given.
 *
 * @example
 * ```ts
 * v.parse(goPatch({ header: v.string() }), { header: null, name: 1 }); // {}
 * ```
 */
export function goPatch<const E extends Record<string, v.GenericSchema>>(entries: E) {
  type Patch = { [K in keyof E]?: v.InferOutput<E[K]> };
  const fields: Record<string, v.GenericSchema> = {};
  for (const [key, schema] of Object.entries(entries)) fields[key] = v.nullish(schema);
  return v.pipe(
    anyObject,
    v.object(fields),
    v.transform((o): Patch => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined && x !== null)) as Patch),
  );
}

/**
 * An issue's path as `a.b[0].c` (the root is `root`).
 *
 * @example
 * ```ts
 * issuePath(issue); // 'users[0].role'
 * ```
 */
export function issuePath(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = item.key;
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? 'root' : out;
}

/**
 * The issue to report: for a union that failed every option, the option's issue that got furthest
 * into the value (`{ "username": "a", "role": … }` reports `role`, not "expected string").
 *
 * @example
 * ```ts
 * const issue = deepestIssue(result.issues[0]);
 * ```
 */
export function deepestIssue(issue: v.BaseIssue<unknown>): v.BaseIssue<unknown> {
  // A union's sub-issues carry paths relative to the union's value.
  let best: v.BaseIssue<unknown> | undefined;
  for (const sub of issue.issues ?? []) {
    const candidate = deepestIssue(sub);
    if ((candidate.path?.length ?? 0) > (best?.path?.length ?? 0)) best = candidate;
  }
  if (best === undefined) return issue;
  return { ...best, path: [...(issue.path ?? []), ...(best.path ?? [])] as v.BaseIssue<unknown>['path'] };
}

/**
 * The message for a seed or store issue: `unknown key` for a key a strict object does not
 * declare, else valibot's message (or the one the schema gave).
 *
 * @example
 * ```ts
 * `${issuePath(issue)}: ${issueMessage(issue)}`; // 'users[0].role: unknown key'
 * ```
 */
export function issueMessage(issue: v.BaseIssue<unknown>): string {
  return issue.kind === 'schema' && issue.type === 'strict_object' && issue.expected === 'never' ? 'unknown key' : issue.message;
}

/**
 * The adapter from valibot to Mattermost's visible error for a request body: any issue is 400
 * `api.context.invalid_body_param.app_error` naming `name` (the Go handler's `SetInvalidParam`
 * / `SetInvalidParamWithErr` on a failed `json.Decode`), never a 500.
 *
 * @example
 * ```ts
 * const input = decodeBody(TeamInput, jsonBody(ctx), 'team');
 * ```
 */
export function decodeBody<S extends v.GenericSchema>(schema: S, value: unknown, name: string, kind: DecodeErrorKind = 'body'): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (!result.success) throw kind === 'body' ? invalidBodyParam(name) : invalidParam(name);
  return result.output;
}

/**
 * Which 400 a failed decode answers: `body` is `invalid_body_param` (most handlers), `param` is
 * `invalid_param` (the integration handlers: hooks, commands and command args use
 * `c.SetInvalidParam` on a failed `…FromJson`).
 */
export type DecodeErrorKind = 'body' | 'param';

/**
 * Go's `json.Unmarshal` into a struct where a failure is not answered but logged or dropped (an
 * outgoing webhook's or a command's reply): the decoded value, or `undefined`.
 *
 * @example
 * ```ts
 * tryDecode(jsonObject({ text: goString }), { text: 1 }); // undefined
 * ```
 */
export function tryDecode<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, value);
  return result.success ? result.output : undefined;
}
