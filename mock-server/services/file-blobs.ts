/**
 * Where uploaded file bytes live: never in the lowdb snapshot (a 100 MB upload would be rewritten
 * with every snapshot). A file-backed store keeps them in a `files/` folder next to its database
 * file (`<dir>/files/<file id>`); an in-memory store keeps them in a `Map`. One blob store per
 * `Store`, found through a `WeakMap`, so services need nothing new in their context.
 *
 * @example
 * ```ts
 * await blobsFor(store).put(info.id, bytes);
 * const bytes = await blobsFor(store).get(info.id); // undefined when missing
 * ```
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Store } from '../db/schema.js';

/** Bytes of uploaded files by file id. */
export interface FileBlobs {
  put(id: string, bytes: Buffer): Promise<void>;
  get(id: string): Promise<Buffer | undefined>;
  delete(id: string): Promise<void>;
}

function memoryBlobs(): FileBlobs {
  const blobs = new Map<string, Buffer>();
  return {
    put: async (id, bytes) => { blobs.set(id, bytes); },
    get: async (id) => blobs.get(id),
    delete: async (id) => { blobs.delete(id); },
  };
}

/** File ids are 26 lowercase base32 chars: safe as file names, checked anyway (no path tricks). */
const SAFE_ID = /^[a-z0-9]{26}$/;

function folderBlobs(dir: string): FileBlobs {
  const pathOf = (id: string): string => {
    if (!SAFE_ID.test(id)) throw new TypeError('file ids are 26 lowercase alphanumerics');
    return join(dir, id);
  };
  return {
    async put(id, bytes) {
      await mkdir(dir, { recursive: true });
      await writeFile(pathOf(id), bytes);
    },
    async get(id) {
      try {
        return await readFile(pathOf(id));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    delete: (id) => rm(pathOf(id), { force: true }),
  };
}

const byStore = new WeakMap<Store, FileBlobs>();

/** The blob store of `store` (created on first use). */
export function blobsFor(store: Store): FileBlobs {
  let blobs = byStore.get(store);
  if (blobs === undefined) {
    blobs = store.file === undefined ? memoryBlobs() : folderBlobs(join(dirname(store.file), 'files'));
    byStore.set(store, blobs);
  }
  return blobs;
}
