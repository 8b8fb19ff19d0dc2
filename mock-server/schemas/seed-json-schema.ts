/**
 * The seed file's JSON Schema, generated from {@link SeedSchema} with `@valibot/to-json-schema`,
 * for editor completion and checking (`"$schema": "./mock-server/schemas/seed.schema.json"` in a
 * seed file). The committed `seed.schema.json` is this module's output; a test fails when they
 * drift. Regenerate with `npx tsx mock-server/schemas/seed-json-schema.ts`.
 *
 * @example
 * ```ts
 * const text = seedJsonSchemaText(); // what seed.schema.json holds
 * ```
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toJsonSchema } from '@valibot/to-json-schema';
import { SeedSchema } from './seed.js';

/** Where the generated schema is committed. */
export const SEED_SCHEMA_FILE = fileURLToPath(new URL('./seed.schema.json', import.meta.url));

/**
 * The JSON Schema text (2-space JSON, final newline). Checks JSON Schema cannot say (an object is
 * not an array; `system_admin` alone; names that refer to other lists) stay in the validator.
 *
 * @example
 * ```ts
 * writeFileSync(SEED_SCHEMA_FILE, seedJsonSchemaText());
 * ```
 */
export function seedJsonSchemaText(): string {
  // typeMode 'output': a `pipe(anyObject, strictObject(…))` is described by its last schema;
  // errorMode 'ignore': the `custom`/`check` steps have no JSON Schema form and are skipped.
  const schema = toJsonSchema(SeedSchema, { typeMode: 'output', errorMode: 'ignore' });
  return `${JSON.stringify({ ...schema, title: 'mattermost-pat mock server seed file' }, null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SEED_SCHEMA_FILE, seedJsonSchemaText());
  process.stdout.write(`wrote ${SEED_SCHEMA_FILE}\n`);
}
