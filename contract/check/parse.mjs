// Parses an AsyncAPI document with @asyncapi/parser and prints every
// diagnostic; exits 1 if the parser reports an error (severity 0) or
// returns no document, so that a document it refuses fails the build.
import { readFile } from 'node:fs/promises';
import { Parser } from '@asyncapi/parser';

const file = process.argv[2];
if (!file) {
  console.error('usage: node parse.mjs ASYNCAPI.json');
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(file, 'utf8'));
const severities = ['error', 'warning', 'info', 'hint'];
for (const d of diagnostics) {
  console.log(`${severities[d.severity] ?? d.severity} ${d.code} at ${d.path.join('.')}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === 0);
if (!document || errors.length > 0) {
  console.error(`${file}: ${errors.length} error(s); the parser ${document ? 'returned' : 'did not return'} a document`);
  process.exit(1);
}
console.log(`${file}: AsyncAPI ${document.version()}, ${document.channels().length} channels, ${document.operations().length} operations, ${document.allMessages().length} messages`);
