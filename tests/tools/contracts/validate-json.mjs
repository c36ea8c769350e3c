// Validates JSON documents against a JSON Schema (draft 2020-12) with Ajv in strict mode, formats
// (date-time, ...) checked by ajv-formats. Each instance is a file name, or "-" for standard input.
// Prints every error with its JSON pointer and exits 1 when an instance does not validate, 2 on usage
// errors or a schema that does not compile.
//
//   node validate-json.mjs docs/validation-report.schema.json report.json [more.json ...]
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [schemaFile, ...instances] = process.argv.slice(2);
if (!schemaFile || instances.length === 0) {
  console.error('usage: node validate-json.mjs SCHEMA.json INSTANCE.json|- ...');
  process.exit(2);
}
let validate;
try {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
} catch (err) {
  console.error(`schema ${schemaFile}: ${err.message}`);
  process.exit(2);
}
let failed = false;
for (const name of instances) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(name === '-' ? 0 : name, 'utf8'));
  } catch (err) {
    console.error(`${name}: not JSON: ${err.message}`);
    failed = true;
    continue;
  }
  if (validate(doc)) {
    console.log(`${name}: valid`);
  } else {
    failed = true;
    for (const e of validate.errors) {
      console.error(`${name}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
}
process.exit(failed ? 1 : 0);
