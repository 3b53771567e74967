// Part of `npm run build`: tsc emits only JavaScript, and each service reads its SQL
// migrations from the folder next to its compiled store (dist/services/<service>/migrations).
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

for (const file of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
  if (/(^|[\\/])migrations[\\/][^\\/]+\.sql$/.test(file)) cpSync(join('src', file), join('dist', file));
}
