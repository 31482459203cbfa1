// mermaid-check validates Mermaid files with Mermaid's own parser (the
// mermaid npm package, as GitHub and GitLab render it), so spanmap's .mmd
// output is known to render, not only to look right.
//
//   (cd build/mermaid && npm ci)
//   node build/mermaid-check.mjs docs/demo.mmd [more.mmd ...]
//
// For each file it prints the diagram type and how many nodes, links and
// subgraphs Mermaid read, and exits 1 if any file fails to parse or is not
// a flowchart. Mermaid sanitises labels with DOMPurify, which needs a DOM:
// jsdom provides one under Node.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.join(here, 'mermaid');
const require = createRequire(path.join(pkgDir, 'package.json'));

let JSDOM;
try {
  ({ JSDOM } = require('jsdom'));
} catch {
  console.error('mermaid-check: run `npm ci` in build/mermaid first');
  process.exit(2);
}
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
for (const name of ['window', 'document', 'navigator', 'Element', 'HTMLElement', 'Node', 'DOMParser', 'MutationObserver']) {
  if (!(name in globalThis) || name === 'window' || name === 'document') {
    Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true, writable: true });
  }
}

// mermaid is an ES module that reads the DOM when it loads: import it only
// now that the globals exist.
const { default: mermaid } = await import(pathToFileURL(path.join(pkgDir, 'node_modules', 'mermaid', 'dist', 'mermaid.core.mjs')).href);
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node build/mermaid-check.mjs FILE.mmd...');
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  const text = await readFile(file, 'utf8');
  try {
    const res = await mermaid.parse(text);
    if (!res || !String(res.diagramType).startsWith('flowchart')) {
      throw new Error(`diagram type ${res && res.diagramType}, want a flowchart`);
    }
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const db = diagram.db;
    const nodes = db.getVertices().size;
    const links = db.getEdges().length;
    const subgraphs = db.getSubGraphs().length;
    console.log(`${file}: ok, ${res.diagramType}, ${nodes} nodes, ${links} links, ${subgraphs} subgraphs`);
  } catch (err) {
    failed++;
    console.error(`${file}: ${String(err && err.message ? err.message : err).split('\n').join(' | ')}`);
  }
}
console.log(`${files.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
