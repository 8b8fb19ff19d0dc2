// Loader hooks (run in Node's hooks thread): append every resolved module URL to the file named by
// `data.out`, one per line. Registered by record-loads-register.mjs (`node --import`).
import { appendFileSync } from 'node:fs';

let out;

export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(out, `${result.url}\n`);
  return result;
}
