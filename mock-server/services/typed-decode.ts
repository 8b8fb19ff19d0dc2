/**
 * Go's `json.Unmarshal` into a struct, for the integration models: a JSON object whose known
 * fields have the declared types (JSON `null` leaves the zero value; unknown fields are ignored),
 * or `undefined` when the value is not an object or a known field has the wrong type, which is
 * when Go's decoder fails and the handler answers its 400.
 *
 * @example
 * ```ts
 * const hook = typedDecode(body, { channel_id: 'string', channel_locked: 'boolean' });
 * if (hook === undefined) throw new AppError('api.context.invalid_param.app_error', { params: { Name: 'incoming_webhook' } });
 * hook.channel_id; // '' when absent or null
 * ```
 */
import { isObject } from './input.js';

/** The Go type of a field: `int` is an integer number, `strings` a `[]string`, `object` a `map[string]any`, `array` a `[]any`. */
export type FieldKind = 'string' | 'boolean' | 'int' | 'strings' | 'object' | 'array';

type ValueOf<K extends FieldKind> =
  K extends 'string' ? string :
  K extends 'boolean' ? boolean :
  K extends 'int' ? number :
  K extends 'strings' ? string[] :
  K extends 'object' ? Record<string, unknown> | null :
  unknown[] | null;

/** The decoded struct: every declared field, with Go's zero value when absent. */
export type Decoded<S extends Record<string, FieldKind>> = { [F in keyof S]: ValueOf<S[F]> };

const ZERO: { [K in FieldKind]: () => ValueOf<K> } = {
  string: () => '', boolean: () => false, int: () => 0, strings: () => [], object: () => null, array: () => null,
};

function accepts(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string': return typeof value === 'string';
    case 'boolean': return typeof value === 'boolean';
    case 'int': return typeof value === 'number' && Number.isSafeInteger(value);
    case 'strings': return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'object': return isObject(value);
    case 'array': return Array.isArray(value);
  }
}

/**
 * Decode `body` against `spec`; `undefined` when Go's decoder would fail.
 *
 * @example
 * ```ts
 * typedDecode({ trigger: 'deploy', auto_complete: 'yes' }, { trigger: 'string', auto_complete: 'boolean' }); // undefined
 * ```
 */
export function typedDecode<S extends Record<string, FieldKind>>(body: unknown, spec: S): Decoded<S> | undefined {
  if (!isObject(body)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(spec)) {
    const value = Object.hasOwn(body, field) ? body[field] : undefined;
    if (value === undefined || value === null) {
      out[field] = ZERO[kind]();
    } else if (accepts(kind, value)) {
      out[field] = kind === 'strings' ? [...(value as string[])] : value;
    } else {
      return undefined;
    }
  }
  return out as Decoded<S>;
}
