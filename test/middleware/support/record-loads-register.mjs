// `node --import` this file to record every module the process resolves (see record-loads.mjs);
// the list goes to the file named by RECORD_LOADS_OUT. CommonJS modules a CommonJS module
// require()s bypass the hooks: they are added from require.cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const out = process.env.RECORD_LOADS_OUT;
if (!out) throw new Error('RECORD_LOADS_OUT is not set');
register('./record-loads.mjs', import.meta.url, { data: { out } });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const urls = Object.keys(cache).map((file) => pathToFileURL(file).href);
  if (urls.length > 0) appendFileSync(out, `${urls.join('\n')}\n`);
});
