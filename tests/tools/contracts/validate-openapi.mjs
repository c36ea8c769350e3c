// Validates an OpenAPI 3 document with swagger-parser (the OpenAPI 3.0/3.1 JSON Schemas plus its own
// checks: every $ref resolves, path parameters declared, ...), then checks what a generated client
// needs on the routes under the given prefixes: every POST has a request body, every body (request and
// response) a schema, every 2xx answer other than 204 a body, and no object schema without members.
// With --responses FILE (a JSON array of {"method", "path", "status", "content_type", "body"} that a test
// recorded from a running server), every recorded body is also validated (Ajv) against the schema the
// document gives for that operation, status and media type; a recorded answer the document does not
// describe fails. Prints what it finds and exits 1 when the document fails, 2 on usage errors.
//
//   node validate-openapi.mjs docs/openapi.yaml [--responses FILE] [/csc/ /inkan/ ...]
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const args = process.argv.slice(2);
let responsesFile;
const at = args.indexOf('--responses');
if (at >= 0) {
  responsesFile = args[at + 1];
  args.splice(at, 2);
}
const [file, ...prefixes] = args;
if (!file || (at >= 0 && !responsesFile)) {
  console.error('usage: node validate-openapi.mjs OPENAPI.yaml [--responses FILE] [PATH-PREFIX ...]');
  process.exit(2);
}
let api;
try {
  api = await SwaggerParser.validate(file);  // dereferences every $ref
} catch (err) {
  console.error(`invalid: ${err.message}`);
  process.exit(1);
}

const problems = [];
// An object schema must say what it holds (properties, allOf/oneOf/anyOf, or additionalProperties).
function checkSchema(schema, where, seen = new Set()) {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  const composed = ['allOf', 'oneOf', 'anyOf'].some((k) => Array.isArray(schema[k]));
  if (schema.type === 'object' && !schema.properties && !composed && schema.additionalProperties === undefined) {
    problems.push(`${where}: an object schema without members`);
  }
  for (const [name, sub] of Object.entries(schema.properties ?? {})) checkSchema(sub, `${where}.${name}`, seen);
  if (schema.items) checkSchema(schema.items, `${where}[]`, seen);
  for (const k of ['allOf', 'oneOf', 'anyOf']) (schema[k] ?? []).forEach((sub, i) => checkSchema(sub, `${where}/${k}/${i}`, seen));
}
function checkContent(content, where) {
  for (const [type, media] of Object.entries(content ?? {})) {
    if (!media.schema) problems.push(`${where} ${type}: no schema`);
    else checkSchema(media.schema, `${where} ${type}`);
  }
}

let operations = 0;
for (const [path, item] of Object.entries(api.paths ?? {})) {
  if (!prefixes.some((p) => path.startsWith(p))) continue;
  for (const method of ['get', 'post', 'put', 'delete', 'patch']) {
    const op = item[method];
    if (!op) continue;
    ++operations;
    const name = `${method.toUpperCase()} ${path}`;
    if (method === 'post') {
      if (!op.requestBody?.content) problems.push(`${name}: no request body`);
      else checkContent(op.requestBody.content, `${name} request`);
    }
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const where = `${name} ${status}`;
      if (/^2/.test(status) && status !== '204' && !response.content) problems.push(`${where}: no body`);
      checkContent(response.content, where);
    }
  }
}
if (prefixes.length > 0 && operations === 0) problems.push(`no operation under ${prefixes.join(' ')}`);

// The operation of a concrete path: an exact entry, else a templated one ("/crl/{ca}.crl").
function operationOf(method, path) {
  for (const [template, item] of Object.entries(api.paths ?? {})) {
    const pattern = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '$');
    if (pattern.test(path) && item[method.toLowerCase()]) return item[method.toLowerCase()];
  }
  return undefined;
}
let checked = 0;
if (responsesFile) {
  // OpenAPI 3.0 schemas are a JSON Schema dialect: nullable and the byte/binary/password formats are
  // Ajv's and ajv-formats'; example and description are annotations.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const r of JSON.parse(readFileSync(responsesFile, 'utf8'))) {
    const name = `${r.method} ${r.path} ${r.status}`;
    const op = operationOf(r.method, r.path);
    const response = op?.responses?.[String(r.status)];
    if (!response) {
      problems.push(`${name}: not in the document`);
      continue;
    }
    const type = (r.content_type ?? '').split(';')[0].trim();
    if (!response.content) {
      // A documented answer without a body (204, a redirect): the server must send none.
      if (r.body || type) problems.push(`${name}: a ${type} body the document does not describe`);
      else ++checked;
      continue;
    }
    const media = response.content[type];
    if (!media) {
      problems.push(`${name}: ${type || 'no content type'} is not documented for it`);
      continue;
    }
    if (type !== 'application/json') {
      ++checked;
      continue;
    }
    let body;
    try {
      body = JSON.parse(r.body);
    } catch (err) {
      problems.push(`${name}: not JSON: ${err.message}`);
      continue;
    }
    const validate = ajv.compile(media.schema);
    if (!validate(body)) {
      for (const e of validate.errors) problems.push(`${name}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
    }
    ++checked;
  }
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
const paths = Object.keys(api.paths ?? {}).length;
console.log(`valid OpenAPI ${api.openapi}: ${api.info.title} ${api.info.version}, ${paths} paths, ` +
            `${operations} operations under ${prefixes.join(' ') || '(none)'} with body schemas` +
            (responsesFile ? `, ${checked} recorded answers match their schemas` : ''));
