/**
 * The permissions the mock checks (every permission id quoted in mock-server/ sources) and the
 * built-in roles that grant each, as docs/permissions.md lists them. The docs test compares the
 * two; `npx tsx test/support/permission-table.ts` prints the table to paste after a change.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PERMISSIONS, ROLE_PERMISSIONS, type Permission } from '../../middleware/permissions/permissions.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'console' ? [] : sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Permission ids quoted anywhere in mock-server/ (its checks), sorted. */
export function checkedPermissions(): Permission[] {
  const known = new Set<string>(PERMISSIONS);
  const found = new Set<Permission>();
  for (const file of sources(path.join(ROOT, 'mock-server'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'([a-z_]+)'/g)) {
      if (known.has(m[1]!)) found.add(m[1] as Permission);
    }
  }
  return [...found].sort();
}

/** Built-in roles granting `permission`, `system_admin` left out (it grants every one). */
export function grantingRoles(permission: Permission): string[] {
  return Object.entries(ROLE_PERMISSIONS)
    .filter(([role, perms]) => role !== 'system_admin' && (perms as readonly string[]).includes(permission))
    .map(([role]) => role);
}

/** The markdown rows. */
export function permissionRows(): string[] {
  return checkedPermissions().map((p) => `| \`${p}\` | ${grantingRoles(p).map((r) => `\`${r}\``).join(', ') || '—'} |`);
}

if (process.argv[1] !== undefined && import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${permissionRows().join('\n')}\n`);
}
