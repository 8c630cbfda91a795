// pssyntax.cjs FILE...: parses each PowerShell file with the tree-sitter
// grammar and prints file:line:col for every syntax error. Exit 1 on any.
// A file "-" reads a JSON array of {name, source} objects from stdin, so the
// Go tests can check PowerShell embedded in rendered documents.
'use strict';
const fs = require('fs');
const path = require('path');

const root = process.env.PSGRAMMAR_DIR;
const { Parser, Language } = require(path.join(root, 'node_modules/web-tree-sitter/tree-sitter.cjs'));

function problems(tree) {
  const out = [];
  const walk = (node) => {
    if (node.isError || node.isMissing) {
      out.push({ row: node.startPosition.row + 1, col: node.startPosition.column + 1,
        what: node.isMissing ? `missing ${node.type}` : `unexpected ${JSON.stringify(node.text.slice(0, 40))}` });
      return;
    }
    if (!node.hasError) return;
    for (const c of node.children) walk(c);
  };
  walk(tree.rootNode);
  return out;
}

(async () => {
  await Parser.init();
  const lang = await Language.load(path.join(root, 'node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm'));
  const parser = new Parser();
  parser.setLanguage(lang);
  let inputs = [];
  for (const f of process.argv.slice(2)) {
    if (f === '-') inputs = inputs.concat(JSON.parse(fs.readFileSync(0, 'utf8')));
    else inputs.push({ name: f, source: fs.readFileSync(f, 'utf8') });
  }
  let bad = 0;
  for (const { name, source } of inputs) {
    for (const p of problems(parser.parse(source))) {
      console.log(`${name}:${p.row}:${p.col}: ${p.what}`);
      bad++;
    }
  }
  console.log(`checked ${inputs.length} PowerShell sources, ${bad} syntax errors`);
  process.exit(bad ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
