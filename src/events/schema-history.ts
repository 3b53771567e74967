// The Avro contracts in schemas/: one directory per event, one file per version
// (v1.avsc, v2.avsc, …). The newest file is what producers write; the older ones are the
// history a new version must stay compatible with.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export interface SchemaVersion {
  readonly version: number;
  readonly file: string;
  /** The schema text exactly as kept in the file. */
  readonly schema: string;
}

export interface SchemaHistory {
  readonly event: string;
  readonly versions: readonly SchemaVersion[];
  readonly latest: SchemaVersion;
}

export function loadSchemaHistory(event: string, dir: string = SCHEMAS_DIR): SchemaHistory {
  const eventDir = join(dir, event);
  const versions = readdirSync(eventDir)
    .map((file) => ({ file, match: /^v(\d+)\.avsc$/.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => {
      const path = join(eventDir, file);
      const schema = readFileSync(path, 'utf8');
      JSON.parse(schema); // a malformed file fails here, naming nothing else
      return { version: Number(match[1]), file: path, schema };
    })
    .sort((a, b) => a.version - b.version);
  const latest = versions.at(-1);
  if (!latest) throw new Error(`no schema versions (v1.avsc, …) in ${eventDir}`);
  versions.forEach((v, i) => {
    if (v.version !== i + 1) throw new Error(`${eventDir}: versions must run v1, v2, … without gaps (found v${v.version})`);
  });
  return { event, versions, latest };
}
