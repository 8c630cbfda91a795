// pssyntax.cjs FILE...: parses each PowerShell file with the tree-sitter
// grammar and prints file:line:col for every syntax error, and for every
// Windows PowerShell 5.1 trap below ("file:line:col: trap RULE: ...").
// Exit 1 on any. A file "-" reads a JSON array of {name, source} objects
// from stdin, so the Go tests can check PowerShell embedded in rendered
// documents. "--params FILE" prints the script's top-level parameters as
// JSON ({name, type, range}) instead.
//
// The traps, each documented behaviour of Windows PowerShell 5.1 (what
// AWSTOE's ExecutePowerShell and powershell.exe run):
//   native-stderr   Under $ErrorActionPreference = 'Stop', a native
//                   command's stderr (redirected with 2>/2>&1/*>, or read
//                   over WinRM) becomes error records and the first is a
//                   terminating NativeCommandError (about_Redirection,
//                   about_Preference_Variables; PowerShell 7.2 changed it:
//                   PowerShell/PowerShell#13361). A stderr redirection or a
//                   native call must follow $ErrorActionPreference =
//                   'Continue' in its own block or an enclosing one.
//   json-array      5.1's ConvertFrom-Json writes a JSON array as one
//                   object (7.0 enumerates it and added -NoEnumerate,
//                   PowerShell/PowerShell#3424): @(ConvertFrom-Json ...) and
//                   ConvertFrom-Json ... | ... see one item.
//   file-bool       powershell.exe -File passes every argument as a string
//                   (about_PowerShell_exe); a [bool] parameter refuses it and
//                   a [switch] cannot be set false. Script parameters are
//                   numbers or strings.
//   non-ascii       5.1 reads a .ps1 without a BOM in the ANSI code page,
//                   and takes typographic quotes as quote characters.
//   json-depth      ConvertTo-Json defaults to -Depth 2 and silently writes
//                   deeper objects as their type name (about ConvertTo-Json).
//   file-encoding   Out-File and the > and >> redirections write UTF-16LE by
//                   default in 5.1 (about_Redirection, about_Character_Encoding);
//                   other tools read such a file as garbage. Give -Encoding.
//   web-parsing     Invoke-WebRequest (and its 5.1 aliases iwr, curl, wget)
//                   parses HTML with Internet Explorer's engine unless given
//                   -UseBasicParsing, and fails where IE is absent or not set
//                   up, as on Server Core.
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

// Every node of a tree, depth first.
function* nodes(node) {
  yield node;
  for (const c of node.namedChildren) yield* nodes(c);
}

// The value a statement assigns to $ErrorActionPreference: the literal
// ('Stop', 'Continue', ...), "?" when not a literal, or null when the
// statement assigns something else.
function eapAssignment(stmt) {
  const m = /^\s*\$ErrorActionPreference\s*=\s*(.*?)\s*$/is.exec(stmt.text);
  if (!m) return null;
  const lit = /^['"]([A-Za-z]+)['"]$/.exec(m[1]);
  return lit ? lit[1].toLowerCase() : '?';
}

// Whether node runs with a preference that lets stderr records through:
// the nearest preceding assignment, in its statement list or an enclosing
// one, sets 'Continue' or 'SilentlyContinue'.
function underContinue(node) {
  for (let n = node; n.parent; n = n.parent) {
    const list = n.parent;
    if (list.type !== 'statement_list') continue;
    const stmts = list.namedChildren;
    for (let i = stmts.findIndex((s) => s.id === n.id) - 1; i >= 0; i--) {
      const v = eapAssignment(stmts[i]);
      if (v !== null) return v === 'continue' || v === 'silentlycontinue';
    }
  }
  return false;
}

// Aliases of cmdlets without a hyphen; any other hyphenless name, a *.exe
// and "& <expression>" are native commands.
const aliases = new Set(['%', '?', 'foreach', 'where', 'select', 'sort', 'echo', 'cd', 'ls', 'dir', 'cat', 'cp',
  'mv', 'rm', 'del', 'copy', 'move', 'type', 'write', 'sleep', 'tee', 'measure', 'group', 'gci', 'gc', 'sc',
  'iex', 'iwr', 'irm', 'gcm', 'gsv', 'sasv', 'spsv', 'ni', 'ri', 'mkdir', 'md', 'pwd', 'exit', 'return']);

function isNative(cmd) {
  const op = cmd.namedChildren.find((c) => c.type === 'command_invokation_operator');
  const nameNode = cmd.namedChildren.find((c) => c.type === 'command_name' || c.type === 'command_name_expr');
  if (!nameNode) return false;
  if (op) return op.text === '&' && !nameNode.namedChildren.some((c) => c.type === 'script_block_expression');
  const name = nameNode.text.toLowerCase();
  if (/\.(exe|cmd|bat|com)$/.test(name)) return true;
  return !name.includes('-') && !aliases.has(name);
}

function isStderrRedirection(node) {
  if (node.type === 'redirection') return /^\s*(2|\*)>/.test(node.text);
  // The grammar reads "2>$null" (no space) as a bare token.
  return node.type === 'generic_token' && /^(2|\*)>/.test(node.text);
}

function commandName(node) {
  if (node.type !== 'command') return null;
  const n = node.namedChildren.find((c) => c.type === 'command_name');
  return n ? n.text.toLowerCase() : null;
}

// Whether a command is given the parameter full (any unambiguous prefix of
// at least min characters, as PowerShell accepts).
function hasParam(cmd, full, min) {
  return [...nodes(cmd)].some((c) => {
    if (c.type !== 'command_parameter') return false;
    const name = c.text.slice(1).replace(/:.*$/, '').toLowerCase();
    return name.length >= min && full.startsWith(name);
  });
}

function isConvertFromJson(node) {
  if (node.type !== 'command') return false;
  const n = node.namedChildren.find((c) => c.type === 'command_name');
  return n && n.text.toLowerCase() === 'convertfrom-json';
}

// The top-level param block of a script: [{name, type, range, node}].
function scriptParams(tree) {
  const block = tree.rootNode.namedChildren.find((c) => c.type === 'param_block');
  if (!block) return [];
  const out = [];
  for (const p of nodes(block)) {
    if (p.type !== 'script_parameter') continue;
    const v = p.namedChildren.find((c) => c.type === 'variable');
    let type = 'object';
    let range = null;
    for (const a of nodes(p)) {
      if (a.type === 'type_literal' && a.parent.type === 'attribute') type = a.text.slice(1, -1).toLowerCase();
      if (a.type === 'attribute' && /^\[?\s*ValidateRange\s*\(/i.test(a.text)) {
        range = (a.text.match(/-?\d+/g) || []).map(Number);
      }
    }
    out.push({ name: v.text.slice(1), type, range, node: p });
  }
  return out;
}

function traps(tree, source) {
  const out = [];
  const at = (node, rule, what) => out.push({ row: node.startPosition.row + 1, col: node.startPosition.column + 1, what: `trap ${rule}: ${what}` });
  const stops = [...nodes(tree.rootNode)].some((n) => n.type === 'pipeline' && eapAssignment(n) === 'stop');
  for (const n of nodes(tree.rootNode)) {
    if (stops && isStderrRedirection(n) && !underContinue(n)) {
      at(n, 'native-stderr', `${n.text.trim()} under $ErrorActionPreference = 'Stop' turns the first stderr line into a terminating error in 5.1; set 'Continue' around the call and judge it by $LASTEXITCODE`);
    } else if (stops && n.type === 'command' && isNative(n) && !underContinue(n)) {
      const target = n.namedChildren.find((c) => c.type === 'command_name' || c.type === 'command_name_expr');
      at(n, 'native-stderr', `native command ${target.text} under $ErrorActionPreference = 'Stop': its stderr (over WinRM even without redirection) is a terminating error in 5.1; set 'Continue' around the call and judge it by $LASTEXITCODE`);
    }
    if (isConvertFromJson(n)) {
      const chain = n.parent;
      const cmds = chain.namedChildren.filter((c) => c.type === 'command');
      if (cmds[cmds.length - 1].id !== n.id) {
        at(n, 'json-array', 'ConvertFrom-Json piped on: 5.1 writes a JSON array as one object, so the next command sees one item; assign it to a variable, then enumerate the variable');
      }
      let p = chain;
      while (p && ['pipeline_chain', 'pipeline', 'statement_list'].includes(p.type)) p = p.parent;
      if (p && p.type === 'array_expression') {
        at(n, 'json-array', '@(ConvertFrom-Json ...) is one element holding the whole array in 5.1; assign it to a variable, then enumerate the variable');
      }
    }
  }
  for (const n of nodes(tree.rootNode)) {
    const name = commandName(n);
    if (name === 'convertto-json' && !hasParam(n, 'depth', 1)) {
      at(n, 'json-depth', 'ConvertTo-Json without -Depth cuts objects deeper than 2 levels to their type name; give -Depth');
    }
    if (name === 'out-file' && !hasParam(n, 'encoding', 1)) {
      at(n, 'file-encoding', 'Out-File without -Encoding writes UTF-16LE in 5.1; give -Encoding (or use Set-Content -Encoding)');
    }
    if (['invoke-webrequest', 'iwr', 'curl', 'wget'].includes(name) && !hasParam(n, 'usebasicparsing', 4)) {
      at(n, 'web-parsing', `${name} without -UseBasicParsing needs Internet Explorer's engine in 5.1, which Server Core lacks`);
    }
    if (n.type === 'redirection' && n.namedChildren.some((c) => c.type === 'file_redirection_operator')) {
      const target = n.namedChildren.find((c) => c.type === 'redirected_file_name');
      if (target && target.text.trim().toLowerCase() !== '$null') {
        at(n, 'file-encoding', `${n.text.trim()} writes UTF-16LE in 5.1; use Set-Content -Encoding or Out-File -Encoding`);
      }
    }
  }
  for (const p of scriptParams(tree)) {
    if (['bool', 'boolean', 'system.boolean', 'switch', 'system.management.automation.switchparameter'].includes(p.type)) {
      at(p.node, 'file-bool', `parameter $${p.name} is [${p.type}]: powershell -File passes arguments as strings, which [bool] refuses and [switch] cannot take; use [int] (0/1) or [string]`);
    }
  }
  source.split('\n').forEach((line, i) => {
    const m = /[^\x00-\x7f]/.exec(line);
    if (m) out.push({ row: i + 1, col: m.index + 1, what: `trap non-ascii: character U+${m[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}; 5.1 reads scripts without a BOM in the ANSI code page` });
  });
  return out.sort((a, b) => a.row - b.row || a.col - b.col);
}

(async () => {
  await Parser.init();
  const lang = await Language.load(path.join(root, 'node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm'));
  const parser = new Parser();
  parser.setLanguage(lang);
  const args = process.argv.slice(2);
  if (args[0] === '--params') {
    const params = scriptParams(parser.parse(fs.readFileSync(args[1], 'utf8')));
    console.log(JSON.stringify(params.map(({ name, type, range }) => ({ name, type, range }))));
    return;
  }
  let inputs = [];
  for (const f of args) {
    if (f === '-') inputs = inputs.concat(JSON.parse(fs.readFileSync(0, 'utf8')));
    else inputs.push({ name: f, source: fs.readFileSync(f, 'utf8') });
  }
  let bad = 0;
  let trapped = 0;
  for (const { name, source } of inputs) {
    const tree = parser.parse(source);
    for (const p of problems(tree)) {
      console.log(`${name}:${p.row}:${p.col}: ${p.what}`);
      bad++;
    }
    for (const p of traps(tree, source)) {
      console.log(`${name}:${p.row}:${p.col}: ${p.what}`);
      trapped++;
    }
  }
  console.log(`checked ${inputs.length} PowerShell sources, ${bad} syntax errors, ${trapped} Windows PowerShell 5.1 traps`);
  process.exit(bad || trapped ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
