import type { MockData } from './schema.js';
import type { MemoryState } from './memory.js';
import type { StoreTuning } from './store.js';

export interface Durability {
  readonly file: string;
  assertWritable(): void;
  append(seq: number, json: string): Promise<void>;
  replace(seq: number, data: MockData): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): { snapshots: number; journalWrites: number; journalEntries: number };
}

export async function openDurability(file: string, _options: StoreTuning): Promise<{ state: MemoryState; seq: number; durability: Durability }> {
  throw new Error(`file mode is not available yet (${file}); use inMemory`);
}
