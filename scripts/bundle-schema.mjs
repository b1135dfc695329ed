// heaplint.json's JSON schema as one self-contained file, for VS Code's `jsonValidation`.
// allocator-model/schema/heaplint.schema.json refers to model.schema.json by a relative $ref, which an
// editor resolves against the schema's https $id and cannot load offline ("Unable to load schema from
// https://heaplint.dev/schema/model.schema.json"). Here the definitions it uses are copied in and the
// $id dropped, so the editor needs nothing but this file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function bundleHeaplintSchema(root, outFile) {
  const dir = join(root, 'allocator-model/schema');
  const config = JSON.parse(readFileSync(join(dir, 'heaplint.schema.json'), 'utf8'));
  const model = JSON.parse(readFileSync(join(dir, 'model.schema.json'), 'utf8'));
  const rewrite = node => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node && typeof node === 'object') {
      const out = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^model\.schema\.json#/, '#') : rewrite(v);
      }
      return out;
    }
    return node;
  };
  const { $id, ...rest } = rewrite(config);
  const bundled = { ...rest, definitions: { ...(model.definitions ?? {}), ...(rest.definitions ?? {}) } };
  const left = JSON.stringify(bundled).match(/"\$ref":"(?!#)[^"]*"/g);
  if (left) throw new Error(`bundle-schema: unresolved $ref left in heaplint.schema.json: ${left.join(', ')}`);
  writeFileSync(outFile, `${JSON.stringify(bundled, null, 2)}\n`);
}
